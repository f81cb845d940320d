"""What the service keeps between requests: derived results, until the store changes."""

from __future__ import annotations

from pathlib import Path

from contextgraph.schema import Analyses
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
        assert analysis["unopened_at_risk"] and kept.get(store, Filter(), None) is analysis
