#!/usr/bin/env bash
# Installs what the tests need and runs the whole suite: lint, types, and every
# test against both stores (a real Neo4j included).
set -euo pipefail
cd "$(dirname "$0")/.."

# The mapping page is bundled by the package build, which needs Node.js and npm.
if ! command -v npm >/dev/null && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
python3 -m pip install --quiet --disable-pip-version-check -e '.[dev]'

# Headless Chromium for the page's end-to-end tests: Debian's package, driven by Playwright.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi

# GDAL's ogrinfo, which reads the GeoJSON export as QGIS does: Debian's gdal-bin.
if ! command -v ogrinfo >/dev/null && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq gdal-bin >/dev/null
fi

# pdftotext, which reads the text of the page's printed pack: Debian's poppler-utils.
if ! command -v pdftotext >/dev/null && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq poppler-utils >/dev/null
fi

# Neo4j for the contract suite: NEO4J_URI if given, else testcontainers when a
# Docker engine answers, else Neo4j Community from Maven Central (fetched here,
# so the tests themselves download nothing). Keycloak for the sign-in tests comes
# from Maven Central too, always: Java and Maven are needed either way.
if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
  if command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq openjdk-17-jdk-headless maven >/dev/null
  fi
fi
if [ -z "${NEO4J_URI:-}" ]; then
  python3 tests/neo4j_server/launch.py --fetch >/dev/null
fi
python3 tests/keycloak/launch.py --fetch >/dev/null

python3 -m ruff check src tests bench
python3 -m mypy
python3 -m pytest "$@"
