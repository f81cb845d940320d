#!/usr/bin/env bash
# Installs what the tests need and runs the whole suite: lint, types, and every
# test against both stores (a real Neo4j included).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -e '.[dev]'

# Neo4j for the contract suite: NEO4J_URI if given, else testcontainers when a
# Docker engine answers, else Neo4j Community from Maven Central (fetched here,
# so the tests themselves download nothing).
if [ -z "${NEO4J_URI:-}" ]; then
  if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
    if command -v apt-get >/dev/null; then
      apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless maven >/dev/null
    fi
  fi
  python3 tests/neo4j_server/launch.py --fetch >/dev/null
fi

python3 -m ruff check src tests bench
python3 -m mypy
python3 -m pytest "$@"
