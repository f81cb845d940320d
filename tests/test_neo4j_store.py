"""What only the Neo4j store has: records a warmed store holds, and when it may keep them."""

from __future__ import annotations

import pytest

from contextgraph.model import Entity
from contextgraph.store.neo4j.held import Held


def test_held_records_go_with_the_version_and_are_kept_only_once_it_has_settled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [100.0]
    monkeypatch.setattr("contextgraph.store.neo4j.held.time.monotonic", lambda: now[0])
    held = Held()
    gen, keep = held.observe(("t", 1))
    assert not keep  # a version first seen: what is read now may be mid-write
    gen.entities["c-1"] = Entity("c-1", "child", "Kyle")
    now[0] += held.settle / 2
    assert held.observe(("t", 1)) == (gen, False)
    now[0] += held.settle
    assert held.observe(("t", 1)) == (gen, True)
    assert "c-1" in held.current.entities
    newer, keep = held.observe(("t", 2))  # any write, by any process: nothing held is kept
    assert not keep and newer is not gen and newer.entities == {} and newer.relationships == {}
    gen.entities["c-2"] = Entity("c-2", "child", "Late")  # a reader still at the older version
    assert "c-2" not in held.current.entities
    assert not held.observe(("u", 2))[1]  # a cleared store starts a new token
