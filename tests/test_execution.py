"""The quick completion of lists (FastLists) answers exactly as graphql-core's own execution does:
the same queries, through a service of each kind, give the same answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contextgraph.interchange import entity_from_json, relationship_from_json
from contextgraph.interchange.synth import SAMPLE_AREA, generate
from contextgraph.service.auth import ENV_LOCAL_KEY, LocalKeys
from contextgraph.settings import FAST_LISTS
from contextgraph.store import open_store

from .service import running

MAP = """query($l: String!) { localityMap(locality: $l, first: 400) {
  truncated
  nodes { id kind name aliases dob locality lat lon sources openTo __typename
          ... on Entity @include(if: true) { kindAgain: kind }
          ... @skip(if: true) { properties } }
  edges { type source target date firstSeen lastSeen grading count sources __typename }
  hotspots { __typename }
} }"""
ALIASED = """query($l: String!) { localityMap(locality: $l, first: 400) {
  a: nodes { ...E }
  b: nodes { id name neighbours(first: 3) { id kind } }
  edges { ...R }
} }
fragment E on Entity { id who: name locality properties }
fragment R on Relationship { source target count }"""
LISTS = """query($l: String) {
  unopenedAtRisk(locality: $l, first: 15) { total items { __typename } }
  hotspots(locality: $l, first: 10) { __typename }
  search(text: "a") { id kind name aliases }
}"""


def _answers(url: str, key: LocalKeys, fast: bool, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    monkeypatch.setenv(FAST_LISTS, "1" if fast else "0")
    out = []
    with running(url, key) as svc:
        token = svc.token("analyst", tuple(SAMPLE_AREA.names), user="ana")
        for q in (MAP, ALIASED, LISTS):
            for loc in SAMPLE_AREA.names[:2]:
                status, body = svc.post(q, token, variables={"l": loc})
                out.append((status, body))
    return out


def test_quick_lists_answer_as_graphql_core_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'lists.db'}"
    data = generate(children=300, seed=3)
    with open_store(url) as s:
        s.set_localities(SAMPLE_AREA)
        s.upsert([entity_from_json(e) for e in data.entities], [relationship_from_json(r) for r in data.relationships])
    key = LocalKeys(tmp_path / "lists.key.pem")
    monkeypatch.setenv(ENV_LOCAL_KEY, str(key.path))
    fast = _answers(url, key, True, monkeypatch)
    plain = _answers(url, key, False, monkeypatch)
    assert all(status == 200 and "errors" not in body for status, body in fast), fast[0]
    nodes = fast[0][1]["data"]["localityMap"]["nodes"]
    assert len(nodes) > 50  # lists long enough to take the quick path
    assert fast == plain
