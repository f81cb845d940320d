"""Fixtures: every contract test runs against each store, Neo4j for real."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from contextgraph.interchange.synth import SAMPLE_AREA
from contextgraph.service.audit import ENV_AUDIT
from contextgraph.service.auth import ENV_LOCAL_KEY, LocalKeys
from contextgraph.store import Store, open_store
from contextgraph.store.neo4j import Neo4jStore

from .data import ENTITIES, RELATIONSHIPS
from .keycloak.launch import Keycloak
from .keycloak.launch import Unavailable as KeycloakUnavailable
from .keycloak.launch import keycloak as keycloak_server
from .neo4j_server.launch import Unavailable, neo4j_uri
from .service import Service, running

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
IN_CI = bool(os.environ.get("CI"))


@pytest.fixture(autouse=True)
def _audit_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test writes its own access log, never one in the working folder."""
    path = tmp_path / "test.audit.jsonl"
    monkeypatch.setenv(ENV_AUDIT, str(path))
    return path


@pytest.fixture(scope="session")
def neo4j_url() -> Iterator[str]:
    try:
        with neo4j_uri() as uri:
            yield uri
    except Unavailable as e:
        if IN_CI:
            pytest.fail(f"the Neo4j leg must run in CI: {e}")
        # Outside CI only (a developer without Java, Maven or Docker): say how to run it.
        pytest.skip(f"Neo4j leg not run: {e}. Set NEO4J_URI, or install Java and Maven, or start Docker.")


@pytest.fixture(scope="session")
def keycloak() -> Iterator[Keycloak]:
    """A real Keycloak on loopback that has imported ``tests/keycloak/realm.json``."""
    try:
        with keycloak_server() as kc:
            yield kc
    except KeycloakUnavailable as e:
        if IN_CI:
            pytest.fail(f"the Keycloak sign-in tests must run in CI: {e}")
        # Outside CI only (a developer without Java or Maven): say how to run them.
        pytest.skip(
            f"Keycloak sign-in tests not run: {e}. Install Java 17+ and Maven, then run"
            " python tests/keycloak/launch.py --fetch."
        )


@pytest.fixture(scope="session")
def neo4j_store(neo4j_url: str) -> Iterator[Neo4jStore]:
    s = open_store(neo4j_url)
    assert isinstance(s, Neo4jStore)
    yield s
    s.close()


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store of each kind, holding no entities; the sample area's localities are configured."""
    if request.param == "sqlite":
        s = open_store(f"sqlite:///{tmp_path / 'test.db'}")
        s.set_localities(SAMPLE_AREA)
        yield s
        s.close()
    else:
        n: Neo4jStore = request.getfixturevalue("neo4j_store")
        n.clear()
        n.set_localities(SAMPLE_AREA)
        yield n


@pytest.fixture
def service(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    """The service over real HTTP on a store of each kind, holding the contract data (two
    localities, both handling codes); tokens are minted with a key of this test's own."""
    store.upsert(ENTITIES, RELATIONSHIPS)
    key = tmp_path / "service.key.pem"
    monkeypatch.setenv(ENV_LOCAL_KEY, str(key))
    with running(store.url, LocalKeys(key)) as svc:
        yield svc
