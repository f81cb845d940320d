"""What the service keeps between requests: derived results, until the store changes."""

from __future__ import annotations

from pathlib import Path

from contextgraph.model import Entity
from contextgraph.service.graphql import Analyses
from contextgraph.store import Filter, open_store

from .data import ENTITIES, RELATIONSHIPS, rel


def test_derived_results_are_kept_until_the_store_changes(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'kept.db'}") as store:
        store.upsert(ENTITIES, RELATIONSHIPS)
        kept = Analyses(size=2)
        calls: list[str] = []

        def compute(name: str) -> object:
            calls.append(name)
            return {"name": name}

        first = kept.derived(store, ("a",), lambda: compute("a"))
        assert kept.derived(store, ("a",), lambda: compute("a")) is first and calls == ["a"]
        kept.derived(store, ("b",), lambda: compute("b"))
        kept.derived(store, ("c",), lambda: compute("c"))  # the least recently used, "a", goes
        kept.derived(store, ("a",), lambda: compute("a"))
        assert calls == ["a", "b", "c", "a"] and len(kept.kept) == 2
        store.upsert([], [rel("SEEN_AT", "c-2", "l-1", ref="log-east-2024-06-01", day="2024-06-01")])
        kept.derived(store, ("a",), lambda: compute("a"))  # a write: computed again, the rest dropped
        assert calls[-1] == "a" and list(kept.kept) == [("a",)]
        analysis = kept.get(store, Filter(), None)
        assert analysis.unopened_at_risk and kept.get(store, Filter(), None) is analysis


def test_fast_lists_answer_exactly_as_the_general_path(tmp_path: Path) -> None:
    import strawberry

    from contextgraph.service.audit import AuditLog
    from contextgraph.service.auth import Principal
    from contextgraph.service.graphql import Context, FastLists, Mutation, Query, schema

    queries = [
        '{ network(centre: "c-1", depth: 3) { nodes { id kind name aliases dob locality lat lon sources } '
        "edges { type source target date firstSeen lastSeen grading count sources } outside { entity count text } } }",
        '{ network(centre: "c-1") { nodes { __typename ...N b: name openTo } '
        "edges { t: type source @skip(if: true) } } } fragment N on Entity { id kind }",
        '{ search(text: "benson") { id name kind properties } localityMap(locality: "East") { nodes { id kind name } '
        "edges { type source target sources } hotspots { id name score lat lon } } }",
        "{ unopenedAtRisk { items { id name reasons { kind text facts { type source target sources grading } } } } "
        "personsOfConcern { items { id name evidence { type source target } } } }",
    ]
    with open_store(f"sqlite:///{tmp_path / 'same.db'}") as store:
        store.upsert(ENTITIES, RELATIONSHIPS)
        log = AuditLog(tmp_path / "audit.jsonl")
        fast = schema(production=False)
        general = strawberry.Schema(query=Query, mutation=Mutation)
        assert fast.execution_context_class is FastLists
        for role in ("analyst", "chair", "mace"):
            who = Principal("u", role, ("East",), "C" if role == "analyst" else "P")
            for q in queries:
                a = fast.execute_sync(q, context_value=Context(store, who, log, "test"))
                b = general.execute_sync(q, context_value=Context(store, who, log, "test"))
                assert [e.message for e in a.errors or []] == [e.message for e in b.errors or []], (role, q)
                assert unordered(a.data) == unordered(b.data), (role, q)
                assert role == "mace" or not a.errors


def unordered(x: object) -> object:
    """The same data with every list sorted: a neighbourhood's order is not part of the answer."""
    import json

    if isinstance(x, dict):
        return {k: unordered(v) for k, v in x.items()}
    if isinstance(x, list):
        return sorted((unordered(v) for v in x), key=lambda v: json.dumps(v, sort_keys=True))
    return x


def test_a_kept_map_list_is_completed_once_per_selection(tmp_path: Path) -> None:
    import strawberry

    from contextgraph.service.audit import AuditLog
    from contextgraph.service.auth import Principal
    from contextgraph.service.graphql import Context, Kept, Mutation, Query, schema

    first = '{ localityMap(locality: "East") { nodes { id name } edges { type source target } } }'
    other = '{ localityMap(locality: "East") { nodes { name: id id: name kind } edges { __typename type } } }'
    with open_store(f"sqlite:///{tmp_path / 'kept.db'}") as store:
        store.upsert(ENTITIES, RELATIONSHIPS)
        log = AuditLog(tmp_path / "audit.jsonl")
        shared = Analyses()
        fast, general = schema(production=False), strawberry.Schema(query=Query, mutation=Mutation)
        who = Principal("u", "analyst", ("East",), "C")

        def run(q: str) -> object:
            got = fast.execute_sync(q, context_value=Context(store, who, log, "test", shared))
            want = general.execute_sync(q, context_value=Context(store, who, log, "test"))
            assert not got.errors and got.data == want.data
            return got.data

        assert run(first) == run(first)
        kept = [v for v in shared.kept.values() if isinstance(v, Kept)]
        assert len(kept) == 2 and all(len(k.completed) == 1 for k in kept)  # nodes and edges, one selection each
        run(other)
        assert all(len(k.completed) == 2 for k in kept)
        # a write makes a new map; what was completed for the old one is not served
        store.upsert([Entity("c-9", "child", "New Child", locality="East")], [rel("EXPLOITS", "p-1", "c-9")])
        assert "c-9" in {n["id"] for n in run(first)["localityMap"]["nodes"]}  # type: ignore[index]


def test_requests_asking_for_the_same_analysis_at_once_compute_it_once(tmp_path: Path) -> None:
    """The page asks for its map and its lists together: the second waits for the first's answer."""
    import threading
    import time as clock

    store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    kept = Analyses()
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        clock.sleep(0.3)
        return 42

    got: list[int] = []
    threads = [threading.Thread(target=lambda: got.append(kept.derived(store, ("k",), slow))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [42] * 4 and len(calls) == 1
    assert kept.derived(store, ("other",), lambda: 7) == 7 and not kept.busy
    store.close()
