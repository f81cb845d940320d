"""The service explains an analysis a page at a time: on each store, every page read in any order
(named in full or by initials, within a reader's filter) is what explaining the whole analysis
gives, item for item, and reading one page explains that page only; what the service keeps of an
analysis is never one of a store as it was before a write, or of a store since closed."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from contextgraph.analysis.report import analyse_store, explain
from contextgraph.analysis.results import Analysis
from contextgraph.interchange import entity_from_json, relationship_from_json
from contextgraph.interchange.synth import generate
from contextgraph.service.graphql import context
from contextgraph.service.graphql.context import Analyses
from contextgraph.service.graphql.explaining import ShownAnalysis
from contextgraph.service.policy import PEOPLE
from contextgraph.store import Filter, Store, open_store


def test_pages_explained_alone_are_the_whole_explained(store: Store) -> None:
    data = generate(children=400, seed=11)
    store.upsert([entity_from_json(e) for e in data.entities], [relationship_from_json(r) for r in data.relationships])
    locality = next(e["locality"] for e in data.entities if e.get("locality"))
    for flt, initials in ((Filter.of(), frozenset()), (Filter.of(handling=["P"]), PEOPLE)):
        whole = analyse_store(store, flt=flt, since="2024-01-01", localities=[locality], parallel=False)
        if initials:
            whole = explain(whole, store, flt, initials)
        raw = analyse_store(store, flt=flt, since="2024-01-01", localities=[locality], parallel=False, explained=False)
        shown = ShownAnalysis(raw, store, flt, initials)
        assert len(whole.unopened_at_risk) > 20 and whole.hotspots and whole.peer_groups
        assert all(c.summary is None for c in raw.unopened_at_risk)  # nothing explained yet

        first = shown.unopened_at_risk[:7]  # one page alone: only its children are explained
        assert [c.to_json() for c in first] == [c.to_json() for c in whole.unopened_at_risk[:7]]
        assert len(shown.unopened_at_risk._done) == 7
        for name in ("unopened_at_risk", "hotspots", "peer_groups", "persons_of_concern"):
            lazy, full = getattr(shown, name), getattr(whole, name)
            starts = list(range(0, len(full), 5))
            random.Random(3).shuffle(starts)
            for at in starts:
                assert [x.to_json() for x in lazy[at : at + 5]] == [x.to_json() for x in full[at : at + 5]], name
            assert [x.to_json() for x in lazy] == [x.to_json() for x in full], name
            assert lazy[-1].to_json() == full[-1].to_json() and len(lazy) == len(full)
        assert whole.changes is not None and shown.changes is not None
        assert shown.changes.to_json() == whole.changes.to_json()
        # the service makes the analysis without its peer groups and persons of concern, and finds
        # them, the same, when they are first read
        served = Analyses().get(store, flt, "2024-01-01", initials, (locality,))
        assert served.raw.persons_of_concern == () and served.raw.peer_groups == ()
        assert whole.persons_of_concern and whole.peer_groups
        assert [x.to_json() for x in served.persons_of_concern] == [x.to_json() for x in whole.persons_of_concern]
        assert [x.to_json() for x in served.peer_groups] == [x.to_json() for x in whole.peer_groups]
        assert served.changes is not None and served.changes.to_json() == whole.changes.to_json()
        assert [x.to_json() for x in served.unopened_at_risk] == [x.to_json() for x in whole.unopened_at_risk]


def test_an_analysis_made_before_a_write_is_not_kept_as_the_one_after(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write landing while an analysis is made (here: the top child erased just after it) leaves
    nothing kept: the next reader is given an analysis of the store as it is now."""
    area(store)
    real = context.analyse_store
    erased: list[str] = []

    def then_erase(*args: Any, **kwargs: Any) -> Analysis:
        result = real(*args, **kwargs)
        erased.append(result.unopened_at_risk[0].id)
        store.erase(erased[0], "dpo", "right to erasure")
        return result

    analyses = Analyses()
    monkeypatch.setattr(context, "analyse_store", then_erase)
    analyses.get(store, Filter.of(), None)
    monkeypatch.setattr(context, "analyse_store", real)
    later = analyses.get(store, Filter.of(), None)
    assert erased and erased[0] not in {c.id for c in later.unopened_at_risk.raw}
    assert erased[0] not in {c.id for c in later.unopened_at_risk}


def test_a_store_opened_again_is_analysed_afresh(tmp_path: Path) -> None:
    """The service keeps its analyses for its whole life, across a store closed and opened again
    (which starts at the same version): what was kept from the closed one is not served."""
    url = f"sqlite:///{tmp_path / 'area.db'}"
    with open_store(url) as s:
        area(s)
    analyses = Analyses()
    first = open_store(url)
    kept = analyses.get(first, Filter.of(), None)
    first.close()
    with open_store(url) as again:
        shown = analyses.get(again, Filter.of(), None)
        assert shown is not kept
        assert shown.unopened_at_risk[0].name  # explained from the open store, not the closed one


def area(store: Store) -> None:
    data = generate(children=150, seed=5)
    store.upsert([entity_from_json(e) for e in data.entities], [relationship_from_json(r) for r in data.relationships])
