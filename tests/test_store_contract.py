"""The store contract: every test here runs against each store (SQLite and a real Neo4j)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

import numpy as np
import pytest

from contextgraph.localities import Localities, Locality, LocalityError
from contextgraph.model import GRADE_CODES, Entity, Relationship, day, service_id
from contextgraph.store import Filter, NotFound, Store, StoreError, open_store
from contextgraph.store.types import Staged, Subgraph, WriteAbout

from .data import ENTITIES, RELATIONSHIPS, a, rel

SQUARE = {"type": "Polygon", "coordinates": [[[0.0, 51.0], [0.1, 51.0], [0.1, 51.1], [0.0, 51.0]]]}

T = TypeVar("T")


@pytest.fixture
def loaded(store: Store) -> Store:
    store.upsert(ENTITIES, RELATIONSHIPS)
    return store


def counts(store: Store) -> dict[str, object]:
    return store.stats().to_json()


def test_upsert_counts_by_kind_type_and_locality(loaded: Store) -> None:
    st = loaded.stats()
    assert st.entities == {"child": 4, "person_of_concern": 1, "location": 2, "school": 1, "group": 1, "service": 1}
    assert st.relationships["SEEN_AT"] == 3
    assert sum(st.relationships.values()) == len(RELATIONSHIPS)
    assert st.localities == {"East": 7, "West": 2}


def test_upsert_is_idempotent(loaded: Store) -> None:
    before = counts(loaded)
    again = loaded.upsert(ENTITIES, RELATIONSHIPS)
    assert again.entities_created == again.relationships_created == 0
    assert again.entities_updated == again.relationships_updated == 0
    assert counts(loaded) == before
    r = loaded.neighbourhood("c-1", 1, Filter.of(types=["SEEN_AT"])).edges
    assert [x.count for x in r] == [1]


def test_a_load_of_many_batches_is_written_whole_and_once(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Neo4j makes each batch's rows while the server writes the one before (batches of 50 here)."""
    from contextgraph.store.neo4j.txn import Neo4jTxn

    monkeypatch.setattr(Neo4jTxn, "batch", 50)
    kids = [Entity(f"k-{i:03d}", "child", f"Child {i}", locality="East", properties={"n": i}) for i in range(240)]
    places = [Entity(f"p-{i:02d}", "location", f"Place {i}", locality="East") for i in range(12)]
    seen = [rel("SEEN_AT", k.id, places[i % 12].id, ref=f"n{i}") for i, k in enumerate(kids)]
    went = [rel("MISSING_WITH", kids[i].id, kids[i + 1].id, ref=f"m{i}") for i in range(0, 238, 2)]
    first = store.upsert([*kids, *places], [*seen, *went])
    assert (first.entities_created, first.relationships_created) == (252, 240 + 119)
    again = store.upsert([*kids, *places], [*seen, *went])
    assert again.entities_created == again.relationships_created == again.relationships_updated == 0
    st = store.stats()
    assert (st.entities["child"], st.relationships["SEEN_AT"], st.relationships["MISSING_WITH"]) == (240, 240, 119)
    got = store.get_many([k.id for k in kids])
    assert [got[k.id].properties for k in kids] == [{"n": i} for i in range(240)]
    hood = store.neighbourhood("p-05", 1)
    assert {n.id for n in hood.nodes} == {"p-05", *(kids[i].id for i in range(5, 240, 12))}


def test_two_sources_make_one_relationship_with_both(loaded: Store) -> None:
    second = Relationship("SEEN_AT", "c-1", "l-1", [a("intel-2024-05-01", "2024-04-28", "2C P", "c-1", "l-1")])
    s = loaded.upsert([], [second])
    assert (s.relationships_created, s.relationships_updated) == (0, 1)
    (edge,) = loaded.neighbourhood("c-1", 1, Filter.of(types=["SEEN_AT"])).edges
    assert edge.sources == ["mace-east-2024-03-14", "intel-2024-05-01"]
    assert (edge.first_seen, edge.last_seen, edge.count) == ("2024-03-02", "2024-04-28", 2)
    assert edge.grading == "1B P"
    assert loaded.stats().relationships["SEEN_AT"] == 3


def test_symmetric_relationships_are_stored_once_either_way(loaded: Store) -> None:
    loaded.upsert([], [rel("ASSOCIATES_WITH", "c-1", "c-2", ref="log-east-2024-04-18")])
    edges = loaded.neighbourhood("c-2", 1, Filter.of(types=["ASSOCIATES_WITH"])).edges
    assert len(edges) == 1
    assert (edges[0].source, edges[0].target) == ("c-1", "c-2")
    assert edges[0].count == 2
    assert loaded.stats().relationships["ASSOCIATES_WITH"] == 1


def test_entity_facts_accumulate_without_loss(loaded: Store) -> None:
    loaded.upsert(
        [
            Entity(
                "c-1",
                "child",
                "Kyle BENSON",
                aliases=["KB"],
                sources=["intel-2024-05-01"],
                properties={"risk_level": "medium"},
            )
        ]
    )
    e = loaded.get("c-1")
    assert e is not None
    assert e.name == "Kyle BENSON"
    assert set(e.aliases) == {"Benno", "Kyle Benson", "KB"}
    assert e.sources == ["mace-east-2024-03-14", "intel-2024-05-01"]
    assert e.properties == {"risk_level": "medium", "exploitation_types": ["CCE"]}
    assert e.dob == "2009-04-12"


def test_kind_of_an_id_cannot_change(loaded: Store) -> None:
    with pytest.raises(StoreError, match="is a child in the store"):
        loaded.upsert([Entity("c-1", "location", "Kyle Benson")])
    assert loaded.get("c-1").kind == "child"  # type: ignore[union-attr]


def test_get_by_id(loaded: Store) -> None:
    e = loaded.get("l-1")
    assert e is not None and (e.name, e.lat, e.lon, e.locality) == ("Carrow Park skate area", 52.62, -1.06, "East")
    assert loaded.get("nope") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kyle benson", "c-1"),
        ("KYLE BENSON", "c-1"),
        ("benno", "c-1"),
        ("Kyle Bensen", "c-1"),
        ("zoe ahmed", "c-2"),
        ("Zoë Ahmad", "c-2"),
        ("tank", "p-1"),
        ("carow park", "l-1"),
    ],
)
def test_search_forgives_case_accents_and_misspellings(loaded: Store, text: str, expected: str) -> None:
    found = loaded.search(text)
    assert found, text
    assert found[0][0].id == expected


def test_names_are_compared_as_they_look_in_any_script(store: Store) -> None:
    """What shows as nothing (a soft hyphen, a zero-width space, a mark of direction) does not make a
    name another; names in other scripts, and Latin letters Unicode does not decompose, are found."""
    store.upsert(
        [
            Entity("c-1", "child", "Kyle Benson", locality="East"),
            Entity("c-2", "child", "محمد علي", locality="East"),
            Entity("c-3", "child", "Дмитрий Иванов", locality="East"),
            Entity("c-4", "child", "Łukasz Nowak", locality="East"),
        ],
        [],
    )
    for text, expected in (
        ("Kyle Ben\u00adson", "c-1"),
        ("Kyle\u200b Ben\u200bson", "c-1"),
        ("\u202eKyle Benson\u202c", "c-1"),
        ("محمد علي", "c-2"),
        ("дмитрий иванов", "c-3"),
        ("Lukasz Nowak", "c-4"),
        ("Kyl\u0435 B\u0435n\u00adson", "c-1"),  # Cyrillic е, drawn as a Latin e, and a soft hyphen
        ("Дмитрий Ив\u0061нов", "c-3"),  # a Latin a in a Cyrillic word: read as the Cyrillic а
    ):
        found = store.search(text)
        assert found and found[0][0].id == expected and found[0][1] == 1.0, (text, found[:2])


def test_search_filters_by_kind_and_locality(loaded: Store) -> None:
    assert [e.id for e, _ in loaded.search("benson", kinds=["person_of_concern"])] == []
    assert {e.id for e, _ in loaded.search("benson")} >= {"c-1", "c-4"}
    assert [e.id for e, _ in loaded.search("tyler marsh", localities=["East"])] == []
    assert [e.id for e, _ in loaded.search("tyler marsh", localities=["West"])] == ["c-3"]
    assert loaded.search("   ") == []


def test_a_search_is_not_crowded_out_by_names_the_reader_may_not_see(store: Store) -> None:
    """A reader of one locality finds the person of that locality however many of the same name
    another holds (the candidates are cut after the reader's localities and kinds, not before)."""
    crowd = [Entity(f"c-x{n}", "child", "Jordan Reid", locality="Farside") for n in range(1_050)]
    places = [Entity(f"l-x{n}", "location", "Jordan Reid", locality="Hillcrest") for n in range(300)]
    store.upsert([*crowd, *places, Entity("c-mine", "child", "Jordan Reid", locality="Hillcrest")], [])
    for text, threshold in (("Jordan Reed", 0.8), ("Jordan Reid", 0.8), ("jordan reid", 0.999)):
        mine = store.search(text, kinds=["child"], localities=["Hillcrest"], threshold=threshold)
        assert [e.id for e, _ in mine] == ["c-mine"], text
    assert len(store.search("Jordan Reid", localities=["Farside"], limit=2_000)) == 1_050


def test_a_window_for_a_reader_cleared_for_p_goes_by_the_dates_they_may_see(store: Store) -> None:
    """Links in a window are chosen, for a reader cleared for P, by the dates of the statements they
    may see: one said under C must neither keep a link in the window nor take one out of it, or
    moving the window would tell the reader its date."""
    kids = [Entity(f"c-{i}", "child", f"Child {i}", locality="East") for i in range(1, 4)]
    place = Entity("l-1", "location", "Yard", locality="East")

    def said(child: str, *facts: tuple[str | None, str]) -> Relationship:
        return Relationship("SEEN_AT", child, "l-1", [a(f"n-{child}-{g}", d, g, child, "l-1") for d, g in facts])

    store.upsert(
        [*kids, place],
        [
            said("c-1", ("2020-01-01", "1B P"), ("2024-05-01", "1B C")),  # P dated before, C in the window
            said("c-2", (None, "1B P"), ("2024-05-01", "1B C")),  # P undated, C in the window
            said("c-3", (None, "1B P"), ("2019-05-01", "1B C")),  # P undated, C before the window
        ],
    )

    def linked(**window: object) -> dict[str, tuple[int, int]]:
        p = store.projection(Filter.of(localities=["East"], **window))  # type: ignore[arg-type]
        return {p.ids[int(s)]: (int(p.first_seen[e]), int(p.last_seen[e])) for e, s in enumerate(p.src)}

    assert linked(handling=["P"], since="2024-01-01", undated=False) == {}
    assert sorted(linked(handling=["P"], since="2024-01-01")) == ["c-2", "c-3"]  # undated to them
    assert linked(handling=["P"], since="2024-01-01")["c-2"] == (-1, -1)
    assert sorted(linked(handling=["P"], until="2020-06-01", undated=False)) == ["c-1"]
    # a reader cleared for C goes by every statement
    assert sorted(linked(handling=["P", "C"], since="2024-01-01", undated=False)) == ["c-1", "c-2"]


@pytest.mark.parametrize("with_c", [False, True])
def test_a_walk_in_a_window_tells_a_reader_cleared_for_p_nothing_said_under_c(store: Store, with_c: bool) -> None:
    """A neighbourhood and the count of links outside a reader's area, asked with a window, are the
    same whether or not a statement under C dated in the window was made (found by a review)."""
    under_c = [a("n2", "2024-05-01", "1B C", "c-1", "l-1")] if with_c else []
    far_c = [a("n4", "2024-05-01", "1B C", "c-1", "l-9")] if with_c else []
    store.upsert(
        [
            Entity("c-1", "child", "Amy", locality="East"),
            Entity("l-1", "location", "Yard", locality="East"),
            Entity("l-9", "location", "Far", locality="West"),
        ],
        [
            Relationship("SEEN_AT", "c-1", "l-1", [a("n1", "2020-01-01", "1B P", "c-1", "l-1"), *under_c]),
            Relationship("SEEN_AT", "c-1", "l-9", [a("n3", "2020-01-01", "1B P", "c-1", "l-9"), *far_c]),
        ],
    )
    for since in ("2024-05-01", "2024-05-02"):
        f = Filter.of(localities=["East"], handling=["P"], since=since)
        assert store.neighbourhood("c-1", 1, f).edges == [], since
        assert store.outside_links(["c-1"], f) == {}, since
    f = Filter.of(localities=["East"], handling=["P"], since="2019-01-01")
    assert [r.target for r in store.neighbourhood("c-1", 1, f).edges] == ["l-1"]
    assert store.outside_links(["c-1"], f) == {"c-1": 1}


def test_a_link_dated_before_1970_is_read_alike_in_a_window_by_every_reader(store: Store) -> None:
    """A link dated before 1970 is dated like any other (the SQLite store's day numbers began in 1970,
    and took it for undated: found by a review), for a reader cleared for P as for C, on the map as
    in an export (Filter.passes), on every store."""
    store.upsert(
        [Entity("c-1", "child", "Amy", locality="East"), Entity("l-1", "location", "Yard", locality="East")],
        [Relationship("SEEN_AT", "c-1", "l-1", [a("n1", "1965-06-01", "1B P", "c-1", "l-1")])],
    )
    r = next(iter(store.iter_relationships()))
    for window in ({}, {"until": "2030-01-01"}, {"since": "2024-01-01"}, {"since": "2024-01-01", "undated": False}):
        for handling in (["P"], ["P", "C"]):
            f = Filter.of(localities=["East"], handling=handling, **window)  # type: ignore[arg-type]
            assert len(store.projection(f).src) == int(f.passes(r)), (window, handling)
    assert not Filter.of(since="2024-01-01").passes(r) and Filter.of(until="1970-01-01", undated=False).passes(r)


def test_a_search_by_a_reader_cleared_for_p_is_not_crowded_out_by_what_only_c_says(store: Store) -> None:
    """Neither people named only under C in the reader's own locality, nor a statement under C
    placing someone of the reader's locality elsewhere, changes what a reader cleared for P only
    finds (either would tell them something said only under C)."""
    crowd = [Entity(f"c-x{n}", "child", "Jordan Reid", locality="Farside") for n in range(1_050)]
    secret = [Entity(f"c-s{n}", "child", "Jordan Reid", locality="Hillcrest", handling=["C"]) for n in range(1_050)]
    mine = Entity("c-mine", "child", "Jordan Reid", aliases=["JR"], locality="Hillcrest", handling=["P"])
    store.upsert([*crowd, *secret, mine], [])

    def found() -> list[str]:
        got = store.search("Jordan Reid", kinds=["child"], localities=["Hillcrest"], handling=["P"])
        return [e.id for e, _ in got]

    assert found() == ["c-mine"]
    opened = Entity("c-moved", "child", "Ash Dale", locality="Hillcrest", handling=["P"])
    moved = Entity("c-moved", "child", "Ash Dale", locality="Farside", handling=["C", "P"], open=opened)
    store.upsert([moved], [])
    assert found() == ["c-mine"]
    assert [e.id for e, _ in store.search("Ash Dale", localities=["Hillcrest"], handling=["P"])] == ["c-moved"]
    assert store.search("Ash Dale", localities=["Farside"], handling=["P"]) == []


def test_a_reader_cleared_for_p_finds_a_record_named_under_p_merged_into_one_named_only_under_c(
    store: Store,
) -> None:
    store.upsert(
        [
            Entity("p-c1", "person_of_concern", "Cara Dunn", locality="Hillcrest", handling=["C"]),
            Entity("p-c2", "person_of_concern", "Cara Dunn", locality="Hillcrest", handling=["C"]),
        ],
        [],
    )
    store.merge("p-c1", "p-c2", user="t", reason="the same person")
    store.upsert([Entity("p-c2", "person_of_concern", "Cara Dunn", locality="Hillcrest", handling=["P"])], [])
    for threshold in (0.8, 0.999):
        found = store.search("Cara Dunn", localities=["Hillcrest"], handling=["P"], threshold=threshold)
        assert [e.id for e, _ in found] == ["p-c1"], threshold


def test_a_reader_cleared_for_p_is_not_crowded_out_by_people_p_statements_place_elsewhere(store: Store) -> None:
    away = [
        Entity(
            f"c-a{n}",
            "child",
            "Jordan Reid",
            locality="Hillcrest",
            handling=["C", "P"],
            open=Entity(f"c-a{n}", "child", "Jordan Reid", locality="Farside", handling=["P"]),
        )
        for n in range(1_050)
    ]
    mine = Entity("c-mine", "child", "Jordan Reid", locality="Hillcrest", handling=["P"])
    store.upsert([*away, mine], [])
    for text, threshold in (("Jordan Reed", 0.8), ("jordan reid", 0.999)):
        found = store.search(text, kinds=["child"], localities=["Hillcrest"], handling=["P"], threshold=threshold)
        assert [e.id for e, _ in found] == ["c-mine"], text
    assert len(store.search("Jordan Reid", localities=["Farside"], handling=["P"], limit=2_000)) == 1_050


def test_a_merged_record_written_again_is_still_one_member(store: Store) -> None:
    store.upsert([Entity("c-m1", "child", "Ola Nowak"), Entity("c-m2", "child", "Ola Novak")], [])
    store.merge("c-m1", "c-m2", user="t", reason="the same child")
    store.upsert([Entity("c-m2", "child", "Ola Novak", aliases=["Ola N"])], [])
    assert store.get("c-m1").members == ["c-m2"]


def test_an_exact_search_finds_every_entity_of_that_name_and_no_other(store: Store) -> None:
    """Matching a note's mentions asks for the same name only (threshold 0.999): every store answers
    it as its fuzzy search would, names and aliases alike, merged entities as one, kinds and
    localities as asked, and a name that only nearly matches not at all."""
    ents = [
        Entity("c-a", "child", "Kyle Benson", locality="East"),
        Entity("c-b", "child", "Kyle Bensen", locality="East"),
        Entity("c-c", "child", "Tia Grant", aliases=["Kyle Benson"], locality="West"),
        Entity("c-d", "child", "KYLE  benson", locality="East"),
        Entity("p-a", "person_of_concern", "Kyle Benson", locality="East"),
        Entity("c-e", "child", "Benson Kyle", locality="East"),
    ]
    store.upsert(ents, [])
    found = {e.id for e, s in store.search("kyle benson", threshold=0.999)}
    assert found == {"c-a", "c-c", "c-d", "p-a"}
    assert {e.id for e, _ in store.search("Kyle Benson", kinds=["child"], localities=["East"], threshold=0.999)} == {
        "c-a",
        "c-d",
    }
    store.merge("c-a", "c-d", user="t", reason="the same child")
    assert {e.id for e, _ in store.search("kyle benson", kinds=["child"], threshold=0.999)} == {"c-a", "c-c"}
    assert store.search("kyle bensn", threshold=0.999) == []
    assert {e.id for e, _ in store.search("kyle bensn")} >= {"c-a", "c-b"}  # the fuzzy search as before


def test_neighbourhood_depths(loaded: Store) -> None:
    one = loaded.neighbourhood("p-1", 1)
    assert {n.id for n in one.nodes} == {"p-1", "c-1", "g-1"}
    two = loaded.neighbourhood("p-1", 2)
    assert {n.id for n in two.nodes} == {"p-1", "c-1", "g-1", "l-1", "c-2", "c-3", "s-1", service_id("YJS")}
    three = loaded.neighbourhood("p-1", 3)
    assert {"c-4", "l-2"} <= {n.id for n in three.nodes}
    for sub in (one, two, three):
        ids = {n.id for n in sub.nodes}
        assert all(e.source in ids and e.target in ids for e in sub.edges)
    with pytest.raises(StoreError):
        loaded.neighbourhood("p-1", 4)
    with pytest.raises(NotFound):
        loaded.neighbourhood("nope", 1)


def test_each_store_walks_as_the_interface_does(loaded: Store) -> None:
    """A store's own neighbourhood (walked in its index or by its queries) equals the one the
    interface builds from ``expand`` alone, which a new store gets for free."""
    for eid in ("p-1", "c-1", "l-1"):
        for depth in (1, 2, 3):
            for flt in (None, Filter.of(types=["SEEN_AT", "ASSOCIATES_WITH"]), Filter.of(handling={"P"})):
                own = loaded.neighbourhood(eid, depth, flt)
                generic = Store.neighbourhood(loaded, eid, depth, flt)
                assert sorted(n.id for n in own.nodes) == sorted(n.id for n in generic.nodes)
                assert sorted(e.key for e in own.edges) == sorted(e.key for e in generic.edges)
                assert {e.key: e for e in own.edges} == {e.key: e for e in generic.edges}


def test_neighbourhood_filters(loaded: Store) -> None:
    by_type = loaded.neighbourhood("c-1", 1, Filter.of(types=["SEEN_AT", "EXPLOITS"]))
    assert {n.id for n in by_type.nodes} == {"c-1", "l-1", "p-1"}
    by_kind = loaded.neighbourhood("c-1", 1, Filter.of(kinds=["child"]))
    assert {n.id for n in by_kind.nodes} == {"c-1", "c-2", "c-3"}
    by_place = loaded.neighbourhood("c-1", 1, Filter.of(localities=["East"]))
    assert "c-3" not in {n.id for n in by_place.nodes}
    assert service_id("YJS") in {n.id for n in by_place.nodes}
    # the date window drops facts wholly outside it and keeps undated ones
    window = loaded.neighbourhood("c-1", 1, Filter.of(since="2024-03-01", until="2024-03-31"))
    ids = {n.id for n in window.nodes}
    assert {"l-1", "c-2", "p-1", "s-1", service_id("YJS")} <= ids
    assert "c-3" not in ids  # missing together on 20 Feb
    # asked to leave undated facts out: a window keeps only facts dated within it
    dated = Filter.of(since="2024-03-01", until="2024-03-31", undated=False)
    assert {n.id for n in loaded.neighbourhood("c-1", 1, dated).nodes} == {"c-1", "l-1", "c-2"}
    p = loaded.projection(dated)
    assert sorted(p.ids[i] for i in set(p.src.tolist()) | set(p.dst.tolist())) == ["c-1", "c-2", "l-1"]
    # without a window, undated facts are all there whatever is asked
    assert len(loaded.neighbourhood("c-1", 1, Filter.of(undated=False)).nodes) == len(
        loaded.neighbourhood("c-1", 1).nodes
    )
    with pytest.raises(StoreError, match="after its end"):
        Filter.of(since="2024-04-01", until="2024-03-01")


def test_projection_is_compact_and_filtered(loaded: Store) -> None:
    p = loaded.projection()
    assert p.n_nodes == len(ENTITIES)
    assert p.n_edges == len(RELATIONSHIPS)
    assert p.src.dtype == np.int32 and p.type.dtype == np.int8
    adj = p.adjacency()
    assert adj.shape == (p.n_nodes, p.n_nodes)
    assert adj[p.index["c-1"], p.index["l-1"]] == 1.0
    # gradings and flags travel with the projection
    edge = {(p.ids[s], p.ids[d]): int(g) for s, d, g in zip(p.src, p.dst, p.grade, strict=True)}
    assert GRADE_CODES[edge[("p-1", "c-1")]] == "1B" and GRADE_CODES[edge[("c-2", "l-1")]] == "2C"
    assert edge[("c-1", "s-1")] == 0
    assert [p.ids[i] for i in np.flatnonzero(p.flag)] == ["c-1"]
    east = loaded.projection(Filter.of(localities=["East"]))
    assert "c-3" not in east.index and "l-2" not in east.index
    assert all(east.localities[int(x)] in {"East", None} for x in east.locality)
    seen = loaded.projection(Filter.of(types=["SEEN_AT"]))
    assert seen.n_edges == 3
    g = loaded.graph(Filter.of(localities=["East"]))
    assert g.nodes["c-1"]["name"] == "Kyle Benson"
    assert g.has_edge("p-1", "c-1", key="EXPLOITS")


def test_projection_and_facts_keep_to_the_readers_handling_codes(loaded: Store) -> None:
    mixed = Relationship("SEEN_AT", "c-1", "l-1", [a("intel-2024-05-01", "2024-05-01", "1A C", "c-1", "l-1")])
    legacy = Relationship("SEEN_AT", "c-4", "l-1", [a("intel-2019-01-01", "2019-01-01", "B23", "c-4", "l-1")])
    loaded.upsert([], [mixed, legacy])
    public = Filter.of(handling=["P"])
    p = loaded.projection(public)
    edges = {(p.ids[s], p.ids[d]): e for e, (s, d) in enumerate(zip(p.src.tolist(), p.dst.tolist(), strict=True))}
    assert ("p-1", "c-1") not in edges and ("c-2", "l-1") not in edges  # only ever graded C
    e = edges[("c-1", "l-1")]  # one P and one C assertion: only the P one counts
    assert (int(p.count[e]), GRADE_CODES[int(p.grade[e])], int(p.last_seen[e])) == (1, "1B", day("2024-03-02"))
    assert int(p.count[edges[("c-4", "l-1")]]) == 1  # the legacy C-like assertion is left out
    full = loaded.projection(Filter.of(handling=["P", "C"]))
    assert full.n_edges == len(RELATIONSHIPS) and p.n_edges == len(RELATIONSHIPS) - 2
    keys = [("SEEN_AT", "c-1", "l-1"), ("EXPLOITS", "p-1", "c-1")]
    facts = loaded.facts(keys, public)
    assert list(facts) == [keys[0]]
    assert (facts[keys[0]].sources, facts[keys[0]].grading) == (["mace-east-2024-03-14"], "1B P")
    assert loaded.facts(keys)[keys[0]].grading == "1A C"


def test_an_entity_named_only_under_handling_code_c_is_not_there_for_p(loaded: Store) -> None:
    secret = Entity("p-9", "person_of_concern", "Samuel Secret", locality="East", sources=["intel-1"], handling=["C"])
    loaded.upsert([secret], [rel("ASSOCIATES_WITH", "c-1", "p-9", ref="intel-1", grading="1B C")])
    public, cleared = Filter.of(handling=["P"]), Filter.of(handling=["P", "C"])
    assert loaded.visible("p-9", public) is None and loaded.visible("p-9", cleared) is not None
    assert [e.id for e, _ in loaded.search("samuel secret", handling=["P"])] == []
    assert [e.id for e, _ in loaded.search("samuel secret")] == ["p-9"]
    assert "p-9" not in {n.id for n in loaded.neighbourhood("c-1", 2, public).nodes}
    assert "p-9" not in loaded.projection(public).index and "p-9" in loaded.projection(cleared).index
    # named again in an open statement: there for everyone, under both codes
    loaded.upsert([Entity("p-9", "person_of_concern", "Samuel Secret", sources=["log-1"], handling=["P"])], [])
    assert loaded.get("p-9").handling == ["C", "P"]  # type: ignore[union-attr]
    assert loaded.visible("p-9", public) is not None and "p-9" in loaded.projection(public).index
    # a record merged into a C-only entity brings it into the open; a split takes it back
    loaded.upsert([Entity("p-7", "person_of_concern", "Sam Hidden", locality="East", handling=["C"])], [])
    loaded.upsert([Entity("p-6", "person_of_concern", "Sam H", locality="East", handling=["P"])], [])
    into = loaded.merge("p-7", "p-6", reason="same man")
    assert into in loaded.projection(public).index
    # the id named only under C does not answer for the entity it joined, for a P reader
    assert set(loaded.visible_many(["p-6", "p-7"], public)) == {"p-6"}
    assert set(loaded.visible_many(["p-6", "p-7"], cleared)) == {"p-6", "p-7"}
    loaded.split("p-7", "p-6", reason="not the same")
    assert "p-7" not in loaded.projection(public).index and "p-6" in loaded.projection(public).index


def test_a_place_linked_only_by_links_a_reader_never_sees_is_not_there_for_them(loaded: Store) -> None:
    """A home known only as a child's home, and a school known only as where a child goes, are
    nothing to a reader who never sees those links; a place with any other link, or none, is."""
    home = Entity("l-9", "location", "22 Ash Grove", locality="East", lat=52.61, lon=-1.05)
    bare = Entity("l-8", "location", "Ash Grove shops", locality="East")
    loaded.upsert([home, bare], [rel("LIVES_AT", "c-2", "l-9"), rel("LIVES_AT", "p-1", "l-1")])
    never = frozenset({"LIVES_AT", "ATTENDS", "FAMILY_OF"})
    assert sorted(loaded.linked_only_by(never)) == ["l-9", "s-1"]
    assert loaded.linked_only_by(never, ["l-9", "l-1", "l-8", "c-2", "nobody"]) == ["l-9"]
    assert loaded.linked_only_by(frozenset({"LIVES_AT"})) == ["l-9"]
    mace, everyone = Filter.of(unseen=never), Filter.of()
    assert mace.types is not None and not mace.types & never
    assert loaded.visible("l-9", mace) is None and loaded.visible("l-9", everyone) is not None
    assert set(loaded.visible_many(["l-9", "l-1", "l-8", "s-1"], mace)) == {"l-1", "l-8"}
    assert [e.id for e, _ in loaded.search("ash grove", unseen=never)] == ["l-8"]
    assert {e.id for e, _ in loaded.search("ash grove")} == {"l-8", "l-9"}
    seen = loaded.projection(mace).index
    assert "l-9" not in seen and "s-1" not in seen and {"l-1", "l-8", "c-2"} <= set(seen)
    assert "l-9" in loaded.projection(everyone).index
    # seen anywhere else, it is a place like any other (the home link itself stays hidden)
    loaded.upsert([], [rel("SEEN_AT", "c-4", "l-9")])
    assert loaded.visible("l-9", mace) is not None and loaded.linked_only_by(never) == ["s-1"]
    with pytest.raises(StoreError, match="never sees"):
        Filter.of(types=["LIVES_AT"], unseen=never)


def test_what_only_statements_under_c_say_of_an_entity_reaches_no_reader_cleared_for_p(store: Store) -> None:
    """An entity named openly and under conditions: a reader cleared for P only is shown what the
    open statements say (name, sources), never an alias, a date of birth, a flag or a source said
    only under C; not by reading it, finding it, walking to it, labelling it or exporting it."""
    from contextgraph.interchange import entity_from_json, export_lines

    said = Entity("c-1", "child", "Kyle Benson", locality="East", sources=["log-east-1"], handling=["P"])
    told = Entity(
        "c-1",
        "child",
        "Kyle James Benson",
        aliases=["Ghost"],
        dob="2009-04-12",
        locality="East",
        properties={"risk_level": "high"},
        sources=["intel-7"],
        handling=["C"],
    )
    place = Entity("l-1", "location", "Carrow Park", locality="East", handling=["P"])
    store.upsert([said, place], [rel("SEEN_AT", "c-1", "l-1", ref="log-east-1")])
    store.upsert([told], [rel("SEEN_AT", "c-1", "l-1", ref="intel-7", grading="1B C")])
    p, c = Filter.of(handling=["P"]), Filter.of(handling=["P", "C"])
    full = store.get("c-1")
    assert full is not None and full.name == "Kyle James Benson" and full.dob == "2009-04-12"
    assert full.handling == ["C", "P"] and full.open is not None  # kept beside the record, in the store
    opened = store.visible("c-1", p)
    assert opened is not None
    assert (opened.name, opened.aliases, opened.dob, opened.properties, opened.sources) == (
        "Kyle Benson",
        [],
        None,
        {},
        ["log-east-1"],
    )
    assert store.visible("c-1", c) == full
    assert [e.id for e, _ in store.search("Ghost", handling=["P"])] == []
    assert [e.id for e, _ in store.search("Ghost", threshold=0.999, handling=["P"])] == []
    assert [e.id for e, _ in store.search("Ghost")] == ["c-1"]
    assert [e.name for e, _ in store.search("Kyle Benson", handling=["P"])] == ["Kyle Benson"]
    walked = {e.id: e for e in store.neighbourhood("l-1", 1, p).nodes}
    assert walked["c-1"].aliases == [] and walked["c-1"].dob is None
    assert store.labels(["c-1"], p)["c-1"].name == "Kyle Benson"
    assert store.labels(["c-1"])["c-1"].name == "Kyle James Benson"
    flags = store.projection(p)
    assert not flags.flag[flags.index["c-1"]] and store.projection(c).flag[store.projection(c).index["c-1"]]
    lines = [x for f, x in export_lines(store, p) if f == "entities.jsonl" and x["id"] == "c-1"]
    assert "Ghost" not in str(lines) and "intel-7" not in str(lines) and "2009" not in str(lines)
    # an export for a reader cleared for C carries both, and an import keeps them apart again
    (line,) = [x for f, x in export_lines(store) if f == "entities.jsonl" and x["id"] == "c-1"]
    again = entity_from_json(line)
    assert again.open is not None and again.open.aliases == [] and sorted(again.aliases) == ["Ghost", "Kyle Benson"]
    # later statements under P add to what P readers see; a merged record named only under C adds nothing
    store.upsert([Entity("c-1", "child", "Kyle Benson", aliases=["KB"], locality="East", handling=["P"])], [])
    assert store.visible("c-1", p).aliases == ["KB"]  # type: ignore[union-attr]
    store.upsert([Entity("c-9", "child", "Blade", dob="2009-01-01", locality="East", handling=["C"])], [])
    store.merge("c-1", "c-9", reason="same child")
    merged = store.visible("c-1", p)
    assert merged is not None and "Blade" not in merged.aliases and merged.dob is None
    assert "Blade" in store.visible("c-1", c).aliases  # type: ignore[union-attr]
    # merged the other way round, the id kept is still the one readers cleared for P know
    store.upsert([Entity("intel-77", "child", "Blade", locality="East", handling=["C"])], [])
    assert store.merge("intel-77", "c-1", reason="same child") == "c-1"
    assert store.visible("c-1", p).id == "c-1" and store.projection(p).index.keys() >= {"c-1"}  # type: ignore[union-attr]
    assert "intel-77" not in store.projection(p).index and store.canonical_id("intel-77") == "c-1"
    store.split("intel-77", "c-1")
    assert store.canonical_id("intel-77") == "intel-77" and store.visible("intel-77", p) is None


def test_an_entity_named_under_both_codes_with_no_open_record_shows_p_readers_no_name(store: Store) -> None:
    """A record named under both codes with no record of what P alone said (an import line without
    ``open``, a store written before it was kept): a reader cleared for P only learns that it
    exists and where, never its name, not by reading, labelling, finding, walking to or exporting
    it; a later statement under P gives them that statement's name, and the withheld placeholder
    is never stored as a name."""
    from contextgraph.interchange import export_lines
    from contextgraph.model import WITHHELD

    old = Entity(
        "c-1", "child", "Kyle James Benson", aliases=["Ghost"], dob="2009-04-12", locality="East", handling=["C", "P"]
    )
    place = Entity("l-1", "location", "Carrow Park", locality="East", handling=["P"])
    store.upsert([old, place], [rel("SEEN_AT", "c-1", "l-1", ref="log-east-1")])
    p = Filter.of(handling=["P"])
    seen = store.visible("c-1", p)
    assert seen is not None
    assert (seen.name, seen.aliases, seen.dob, seen.locality) == (WITHHELD, [], None, "East")
    assert store.labels(["c-1"], p)["c-1"].name == WITHHELD
    assert [e.id for e, _ in store.search("Kyle James Benson", handling=["P"])] == []
    assert [e.id for e, _ in store.search("Kyle James Benson")] == ["c-1"]
    for probe in ("withheld", "withheldgho", "withheldkyle", "(withheld)"):  # no oracle through the placeholder
        assert store.search(probe, handling=["P"]) == [], probe
    # what a P reader's export says of it, imported back: the placeholder is no name
    store.upsert([Entity("c-1", "child", WITHHELD, locality="East", handling=["P"])], [])
    kept = store.get("c-1")
    assert kept is not None and kept.name == "Kyle James Benson" and kept.open is None
    assert WITHHELD not in kept.aliases
    # a record stored under the placeholder (a P export imported into a new store) is found by its
    # other names by a reader cleared for C, never by one cleared for P only
    store.upsert([Entity("c-7", "child", WITHHELD, aliases=["Tyler Marsh"], locality="East", handling=["P"])], [])
    assert [e.id for e, _ in store.search("Tyler Marsh")] == ["c-7"]
    assert store.search("Tyler Marsh", handling=["P"]) == []
    walked = {e.id: e for e in store.neighbourhood("l-1", 1, p).nodes}
    assert walked["c-1"].name == WITHHELD
    lines = str([x for f, x in export_lines(store, p) if f == "entities.jsonl"])
    assert "Kyle" not in lines and "Ghost" not in lines and "2009" not in lines
    # a later statement under P: P readers are shown what it says, and nothing of the old record
    store.upsert([Entity("c-1", "child", "Kyle Benson", locality="East", handling=["P"])], [])
    now = store.visible("c-1", p)
    assert now is not None and (now.name, now.aliases, now.dob) == ("Kyle Benson", [], None)
    full = store.get("c-1")
    assert full is not None and full.open is not None and full.open.name == "Kyle Benson"
    assert WITHHELD not in [full.name, *full.aliases, full.open.name, *full.open.aliases]


def test_a_place_whose_name_is_withheld_is_located_and_pinned_under_c(store: Store) -> None:
    """A place named under both codes with no record of what P alone said: coordinates the
    gazetteer finds by its name (which may be one said only under C) and a pin are kept from a
    reader cleared for P only, who still sees the place, withheld, in its locality."""
    from contextgraph.ingest.gazetteer import Located, located, pinned
    from contextgraph.model import WITHHELD

    yard = Entity("l-1", "location", "The Yard behind 12 Elm St", locality="East", handling=["C", "P"])
    gate = Entity("l-2", "location", "The Back Gate", locality="East", handling=["C", "P"])
    store.upsert([yard, gate], [])
    write = located(yard, Located(52.1, -1.2, "gazetteer"), None)
    assert write.handling == ["C"]
    store.upsert([write, pinned(gate, 52.3, -1.4, "seen there", "u")], [])
    p = Filter.of(handling=["P"], localities=["East"])
    for eid, lat in (("l-1", 52.1), ("l-2", 52.3)):
        seen = store.visible(eid, p)
        assert seen is not None and (seen.name, seen.locality, seen.lat, seen.lon) == (WITHHELD, "East", None, None)
        assert store.labels([eid], p)[eid].lat is None
        full = store.get(eid)
        assert full is not None and full.lat == lat and full.name != "" and full.open is None


def test_a_home_touched_only_by_statements_under_c_stays_unknown_to_a_reader_who_never_sees_homes(
    store: Store,
) -> None:
    """A MACE member (cleared for P, never seeing LIVES_AT) knows nothing of a child's home: a
    sighting there said only under C must not make it appear, in the map, a read by id or a
    search; one said under P does."""
    store.upsert(
        [
            Entity("c-1", "child", "Kyle Benson", locality="Hillcrest", handling=["P"]),
            Entity("l-home", "location", "22 Ash Grove", locality="Hillcrest", handling=["P"]),
        ],
        [rel("LIVES_AT", "c-1", "l-home", ref="log-1")],
    )
    mace = Filter.of(localities=["Hillcrest"], handling=["P"], unseen=["LIVES_AT", "ATTENDS", "FAMILY_OF"])
    cleared = Filter.of(localities=["Hillcrest"], handling=["P", "C"], unseen=["LIVES_AT", "ATTENDS", "FAMILY_OF"])

    def knows(flt: Filter) -> tuple[bool, bool, bool]:
        found = [
            e.id
            for e, _ in store.search("22 Ash Grove", localities=["Hillcrest"], handling=flt.handling, unseen=flt.unseen)
        ]
        return "l-home" in store.projection(flt).index, store.visible("l-home", flt) is not None, "l-home" in found

    assert knows(mace) == (False, False, False)
    store.upsert([], [rel("SEEN_AT", "c-1", "l-home", ref="intel-7", grading="1B C")])
    assert knows(mace) == (False, False, False)
    assert knows(cleared) == (True, True, True)  # a reader cleared for C is told of the sighting
    store.upsert([], [rel("SEEN_AT", "c-1", "l-home", ref="intel-8", grading="1B P")])
    assert knows(mace) == (True, True, True)


def test_a_place_a_mace_member_is_told_nothing_of_is_one_known_only_as_a_home_at_any_grading(
    store: Store,
) -> None:
    """For a MACE member a link said only under C is not there at all: a place named under P whose
    only link is such a sighting is shown as a place with no link is. One known only as a child's
    home (or school, or family's address) is not shown, whatever the grading of what says so: an
    address that is nothing else is a child's home. A home where a child was seen, said under P,
    is a place they know of, whatever else is said of it under C."""
    store.upsert(
        [
            Entity("c-1", "child", "Kyle Benson", locality="Hillcrest", handling=["P"]),
            Entity("l-4", "location", "Quiet flat", locality="Hillcrest", handling=["P"]),
            Entity("l-5", "location", "9 Elm Row", locality="Hillcrest", handling=["P"]),
            Entity("l-6", "location", "22 Ash Grove", locality="Hillcrest", handling=["P"]),
            Entity("l-7", "location", "5 Birch Close", locality="Hillcrest", handling=["P"]),
        ],
        [rel("SEEN_AT", "c-1", "l-5", ref="log-0"), rel("LIVES_AT", "c-1", "l-6", ref="log-1")],
    )
    mace = Filter.of(localities=["Hillcrest"], handling=["P"], unseen=["LIVES_AT", "ATTENDS", "FAMILY_OF"])
    places = (("l-4", "Quiet flat"), ("l-5", "9 Elm Row"), ("l-6", "22 Ash Grove"), ("l-7", "5 Birch Close"))

    def known() -> dict[str, tuple[bool, bool, bool]]:
        index = store.projection(mace).index
        out = {}
        for i, name in places:
            found = [e.id for e, _ in store.search(name, localities=["Hillcrest"], handling=["P"], unseen=mace.unseen)]
            out[i] = (i in index, store.visible(i, mace) is not None, i in found)
        return out

    assert known() == {"l-4": (True,) * 3, "l-5": (True,) * 3, "l-6": (False,) * 3, "l-7": (True,) * 3}
    store.upsert(
        [],
        [
            rel("SEEN_AT", "c-1", "l-4", ref="intel-1", grading="1B C"),
            rel("LIVES_AT", "c-1", "l-5", ref="intel-2", grading="1B C"),
            rel("SEEN_AT", "c-1", "l-6", ref="intel-3", grading="1B C"),
            rel("LIVES_AT", "c-1", "l-7", ref="intel-4", grading="1B C"),
        ],
    )
    assert known() == {"l-4": (True,) * 3, "l-5": (True,) * 3, "l-6": (False,) * 3, "l-7": (False,) * 3}
    # a sighting there said under C too tells them nothing: it is still known only as a home
    store.upsert([], [rel("SEEN_AT", "c-1", "l-7", ref="intel-5", grading="1B C")])
    assert known()["l-7"] == (False,) * 3
    # nor is a home hidden from a reader cleared for C, who is told of the sighting
    cleared = Filter.of(localities=["Hillcrest"], unseen=["LIVES_AT", "ATTENDS", "FAMILY_OF"])
    assert "l-7" in store.projection(cleared).index and store.visible("l-7", cleared) is not None


def test_a_link_out_to_an_entity_named_only_under_c_is_not_counted_for_readers_cleared_for_p(store: Store) -> None:
    """A West child named only under C, linked by a statement under P to an East child: for readers
    cleared for P in East the West child is not there at all, so nor is a link leaving East to them."""
    store.upsert(
        [
            Entity("c-1", "child", "Kyle Benson", locality="East", handling=["P"]),
            Entity("c-9", "child", "Secret Child", locality="West", handling=["C"]),
            Entity("c-8", "child", "Open Child", locality="West", handling=["P"]),
        ],
        [rel("ASSOCIATES_WITH", "c-1", "c-9", ref="log-1"), rel("ASSOCIATES_WITH", "c-1", "c-8", ref="log-2")],
    )
    assert store.outside_links(["c-1"], Filter.of(localities=["East"], handling=["P"])) == {"c-1": 1}
    assert store.outside_links(["c-1"], Filter.of(localities=["East"])) == {"c-1": 2}


def test_a_locality_said_only_under_c_places_no_one_for_readers_cleared_for_p(store: Store) -> None:
    """A child known openly in East, whom a later statement under C places in West: for readers
    cleared for P the child stays in East — in the projection (and its locality), search, walks and
    counts of links leaving a locality — and is nowhere in West; readers cleared for C see West."""
    store.upsert(
        [
            Entity("c-1", "child", "Kyle Benson", locality="East", handling=["P"]),
            Entity("c-2", "child", "Amy Hart", locality="East", handling=["P"]),
            Entity("l-9", "location", "Dock Road", locality="West", handling=["P"]),
        ],
        [rel("ASSOCIATES_WITH", "c-1", "c-2", ref="log-1"), rel("SEEN_AT", "c-1", "l-9", ref="log-2")],
    )
    store.upsert([Entity("c-1", "child", "Kyle Benson", locality="West", sources=["intel-9"], handling=["C"])], [])
    assert store.get("c-1").locality == "West"  # type: ignore[union-attr]
    east, west = Filter.of(localities=["East"], handling=["P"]), Filter.of(localities=["West"], handling=["P"])

    def placed(flt: Filter) -> dict[str, str | None]:
        p = store.projection(flt)
        return {i: p.localities[int(p.locality[n])] for i, n in p.index.items()}

    assert placed(east) == {"c-1": "East", "c-2": "East"}
    assert placed(west) == {"l-9": "West"}
    assert placed(Filter.of(handling=["P"]))["c-1"] == "East"
    assert placed(Filter.of(localities=["West"]))["c-1"] == "West"  # cleared for C
    assert "c-1" not in placed(Filter.of(localities=["East"]))
    assert [e.id for e, _ in store.search("Kyle Benson", localities=["East"], handling=["P"])] == ["c-1"]
    assert [e.id for e, _ in store.search("Kyle Benson", localities=["West"], handling=["P"])] == []
    assert [e.id for e, _ in store.search("Kyle Benson", localities=["West"])] == ["c-1"]
    walked = store.neighbourhood("c-2", 1, east)
    assert {e.id for e in walked.nodes} == {"c-1", "c-2"}
    walked = store.neighbourhood("l-9", 1, west)
    assert {e.id for e in walked.nodes} == {"l-9"} and walked.edges == []
    assert store.outside_links(["l-9"], west) == {"l-9": 1}
    assert store.outside_links(["l-9"], Filter.of(localities=["West"])) == {}
    assert store.visible("c-1", west) is None and store.visible("c-1", east) is not None
    # a child recorded with no handling code was seen by everyone: a note under C hides them from no one
    store.upsert([Entity("c-3", "child", "Rory Williams", locality="East")], [])
    store.upsert([Entity("c-3", "child", "Rory Williams", locality="West", sources=["intel-9"], handling=["C"])], [])
    seen = store.visible("c-3", east)
    assert seen is not None and (seen.name, seen.locality, seen.sources) == ("Rory Williams", "East", [])
    assert store.visible("c-3", west) is None and "c-3" in placed(east)
    # said again openly (a note of East naming the child), the locality P knew moves nothing
    store.upsert([Entity("c-1", "child", "Kyle Benson", locality="East", sources=["log-5"], handling=["P"])], [])
    assert store.get("c-1").locality == "West" and "c-1" in placed(Filter.of(localities=["West"]))  # type: ignore[union-attr]
    # a record merged in that only C named hides none of a record kept with no handling code
    store.upsert(
        [Entity("c-4", "child", "Ann Lee", locality="East"), Entity("c-9", "child", "Ghost", handling=["C"])], []
    )
    store.merge("c-4", "c-9", reason="same child")
    seen = store.visible("c-4", east)
    assert seen is not None and seen.name == "Ann Lee" and "Ghost" not in seen.aliases
    assert [e.id for e, _ in store.search("Ann Lee", handling=["P"])] == ["c-4"]


def test_a_write_that_records_no_handling_code_is_seen_alike_whatever_was_said_under_c(store: Store) -> None:
    """A write with no handling code (a field set by hand, a pin) is seen by everyone, as the
    interchange format has it, whether or not a statement under C also named the entity: what a
    reader cleared for P sees never tells them which. It never makes an entity only C named
    appear. Coordinates found by a name said only under C are written under C; those found by the
    name readers cleared for P know are theirs. Saying again what they see changes nothing of it."""
    from contextgraph.ingest.gazetteer import Located, located

    p = Filter.of(handling=["P"])
    store.upsert([Entity("l-5", "location", "Lindenmoor Park", locality="East", handling=["C"])], [])
    store.upsert([Entity("l-5", "location", "Lindenmoor Park", lat=52.6, lon=-1.1, properties={"x": 1})], [])
    assert store.visible("l-5", p) is None and store.search("Lindenmoor", handling=["P"]) == []
    amy = Entity("c-5", "child", "Amy Pond", locality="East", sources=["log-1"], handling=["P"])
    rory = Entity("c-6", "child", "Rory Williams", locality="East", sources=["log-1"], handling=["P"])
    store.upsert([amy, rory, Entity("c-6", "child", "Rory Williams", sources=["intel-1"], handling=["C"])], [])
    for kid in ("c-5", "c-6"):
        store.upsert([Entity(kid, "child", "x", dob="2011-01-01", properties={"risk_level": "high"})], [])
    seen = [store.visible(k, p) for k in ("c-5", "c-6")]
    assert [(e.name, e.dob, e.properties) for e in seen if e] == [("x", "2011-01-01", {"risk_level": "high"})] * 2
    store.upsert([Entity("l-6", "location", "Oakwood", locality="East", sources=["log-1"], handling=["P"])], [])
    store.upsert([Entity("l-6", "location", "Oakwood House", locality="East", sources=["intel-1"], handling=["C"])], [])
    held = store.get("l-6")
    assert held is not None and held.open is not None and held.name == "Oakwood House"
    store.upsert([located(held, Located(52.1, -1.2, "gazetteer"), None)], [])
    seen_6 = store.visible("l-6", p)
    assert seen_6 is not None and (seen_6.name, seen_6.lat) == ("Oakwood", None)
    store.upsert([located(held, None, Located(52.3, -1.4, "gazetteer"))], [])
    seen_6 = store.visible("l-6", p)
    assert seen_6 is not None and (seen_6.name, seen_6.lat, seen_6.lon) == ("Oakwood", 52.3, -1.4)
    full = store.get("l-6")
    assert full is not None and (full.name, full.lat) == ("Oakwood House", 52.1)
    # what a reader cleared for P sees, said again (their export imported again), changes nothing of it
    store.upsert([seen_6], [])
    assert store.visible("l-6", p) == seen_6 and store.get("l-6").name == "Oakwood House"  # type: ignore[union-attr]


def test_the_version_changes_with_every_write_and_only_then(loaded: Store) -> None:
    before = loaded.version()
    assert before is not None
    loaded.neighbourhood("c-1", 2)
    loaded.projection()
    assert loaded.version() == before
    loaded.upsert([], [rel("SEEN_AT", "c-2", "l-2", ref="log-west-2024-06-01")])
    after = loaded.version()
    assert after != before
    loaded.merge("c-1", "c-4", reason="same child")
    assert loaded.version() != after


def test_merge_and_split_are_reversible(loaded: Store) -> None:
    before_c1 = loaded.neighbourhood("c-1", 1)
    before_c4 = loaded.neighbourhood("c-4", 1)
    kept = loaded.merge("c-1", "c-4", user="analyst1", reason="same DOB and school")
    assert kept == "c-1"
    e = loaded.get("c-4")
    assert e is not None and e.id == "c-1" and e.members == ["c-4"]
    assert "K. Benson" in e.aliases
    assert loaded.stats().entities["child"] == 3
    assert loaded.stats().merged == 1
    merged = loaded.neighbourhood("c-1", 1)
    (seen,) = [r for r in merged.edges if r.type == "SEEN_AT"]
    assert seen.count == 2 and seen.sources == ["mace-east-2024-03-14", "log-east-2024-04-18"]
    assert loaded.search("k benson")[0][0].id == "c-1"
    # a fact about the merged id that arrives later lands on the kept entity...
    loaded.upsert([], [rel("SEEN_AT", "c-4", "l-2", ref="intel-2024-06-01", day="2024-05-30")])
    assert "l-2" in {n.id for n in loaded.neighbourhood("c-1", 1).nodes}
    # ...and goes back with it on a split
    loaded.split("c-1", "c-4", user="analyst2", reason="different children")
    after_c1 = loaded.neighbourhood("c-1", 1)
    after_c4 = loaded.neighbourhood("c-4", 1)
    assert _edges(after_c1) == _edges(before_c1)
    assert _edges(after_c4) == _edges(before_c4) | {("SEEN_AT", "c-4", "l-2", 1)}
    assert loaded.get("c-4").name == "K. Benson"  # type: ignore[union-attr]
    assert [j.kind for j in loaded.judgements()] == ["merge", "split"]
    assert loaded.judgements()[0].user == "analyst1"


def test_merge_refuses_what_cannot_be_one(loaded: Store) -> None:
    with pytest.raises(StoreError, match="cannot merge a child with a location"):
        loaded.merge("c-1", "l-1")
    with pytest.raises(NotFound):
        loaded.merge("c-1", "nope")
    loaded.merge("c-1", "c-4")
    with pytest.raises(StoreError, match="already one"):
        loaded.merge("c-4", "c-1")
    with pytest.raises(StoreError, match="not merged"):
        loaded.split("c-1", "c-2")


def test_merging_two_linked_entities_keeps_the_link_for_a_split(loaded: Store) -> None:
    loaded.merge("c-1", "c-2")
    assert "ASSOCIATES_WITH" not in {r.type for r in loaded.neighbourhood("c-1", 1).edges}
    assert loaded.stats().relationships["ASSOCIATES_WITH"] == 0
    loaded.split("c-1", "c-2")
    assert "ASSOCIATES_WITH" in {r.type for r in loaded.neighbourhood("c-1", 1).edges}
    assert loaded.stats() == loaded.stats()


def test_erasure_removes_the_person_and_keeps_no_personal_data(loaded: Store) -> None:
    rec = loaded.erase("c-1", user="dpo", reason="erasure request upheld")
    assert loaded.get("c-1") is None
    assert loaded.search("kyle benson") == [] or all(e.id != "c-1" for e, _ in loaded.search("kyle benson"))
    assert "c-1" not in loaded.projection().index
    assert rec.relationships == 6
    (stored,) = loaded.erasures()
    text = repr(stored)
    for personal in ("c-1", "Kyle", "Benson", "2009-04-12", "Benno"):
        assert personal not in text
    assert loaded.stats().erasures == 1
    with pytest.raises(StoreError, match="not a person"):
        loaded.erase("l-1", reason="x")


def test_erasure_removes_the_review_items_that_name_the_person(loaded: Store) -> None:
    item = {"kind": "review", "status": "pending", "entity": "c-4", "name": "K. Benson", "candidates": ["c-1"]}
    other = {"kind": "review", "status": "pending", "entity": "c-2", "name": "Zoë Ahmed", "candidates": ["c-9"]}
    decision = {"kind": "decision", "review": "r-1", "decision": "rejected", "reason": "not Kyle Benson"}
    loaded.add_records([("reviews", {**item, "id": "r-1"}), ("reviews", {**other, "id": "r-2"})])
    loaded.add_records([("reviews", {**decision, "id": "d-1"})])
    loaded.erase("c-1", reason="request")
    left = loaded.records("reviews")
    assert [r["id"] for r in left] == ["r-2"]
    assert "Benson" not in repr(left)


def test_erasure_takes_merged_records_too_and_refuses_one_merged_into_another(loaded: Store) -> None:
    loaded.merge("c-1", "c-4")
    # one record of a person held as two is not erased with the other: it is split off first
    with pytest.raises(StoreError, match="'c-4' is merged into 'c-1': split it off to erase it alone"):
        loaded.erase("c-4", reason="request")
    assert loaded.get("c-4") is not None and loaded.erasures() == []
    loaded.erase("c-1", reason="request")
    assert loaded.get("c-1") is None and loaded.get("c-4") is None
    assert loaded.stats().merged == 0


def test_a_person_erased_is_not_written_again_under_any_id_they_had(loaded: Store) -> None:
    """An erasure keeps keyed digests of the ids it took (the person's and every record merged with
    them): a write naming one (an export made before the erasure, imported again) is refused
    whole, and nothing of it is written; the digests name no one."""
    kyle, also = loaded.get("c-1"), loaded.get("c-4")
    assert kyle is not None and also is not None
    loaded.merge("c-1", "c-4")
    loaded.erase("c-1", reason="request upheld")
    before = loaded.stats()
    newcomer = Entity("c-77", "child", "New Child", locality="Hillcrest")
    for back in (kyle, also):
        with pytest.raises(StoreError, match=f"entity {back.id!r}: a person erased had this id"):
            loaded.upsert([newcomer, back], [])
    assert loaded.stats() == before and loaded.get("c-77") is None
    assert loaded.erased_among(["c-77", "c-4", "c-1", "c-4"]) == ["c-4", "c-1"]
    assert "c-1" not in repr(loaded.records("erasures")) and "c-4" not in repr(loaded.records("erasures"))
    loaded.upsert([newcomer], [])  # anyone else is written as ever
    assert loaded.get("c-77") is not None


def test_erasure_leaves_no_judgement_view_or_reason_naming_the_person(loaded: Store) -> None:
    """The judgements about an erased person go (a merge's reason can name them), and saved views
    keep no focus, pin or note on them, so nothing attaches to a record given the same id later. A
    reason naming them is refused before anything is written: it is kept."""
    loaded.merge("c-1", "c-4", reason="Kyle Benson twice")
    loaded.split("c-1", "c-4", reason="two boys")
    loaded.merge("c-2", "c-4", reason="same school")
    state = {"focus": "c-1", "pinned": {"c-1": [1, 2], "l-1": [3, 4]}, "notes": {"c-1": "Kyle at the park"}}
    view = loaded.save_view("March", "ana", "East", state)
    for named in ("request from Kyle's mother, Mrs Benson", "erasure of c-1 upheld"):
        with pytest.raises(StoreError, match="the reason names the person erased"):
            loaded.erase("c-1", reason=named)
    for born in ("the boy born 12/04/2009 asked", "request re DOB 12th April 09", "2009-04-12 request"):
        with pytest.raises(StoreError, match="the reason gives the date of birth of the person erased"):
            loaded.erase("c-1", reason=born)
    assert loaded.get("c-1") is not None and loaded.erasures() == []
    loaded.erase("c-1", reason="request upheld")
    left = repr(loaded.judgements()) + repr(loaded.saved_views())
    assert "c-1" not in left and "Kyle" not in left and "Benson" not in left
    assert [j.reason for j in loaded.judgements()] == ["same school"]
    (kept,) = loaded.saved_views()
    assert kept.id == view.id and kept.state == {"focus": None, "pinned": {"l-1": [3, 4]}, "notes": {}}
    with pytest.raises(StoreError, match="a person erased had this id"):  # nor is the id given again
        loaded.upsert([Entity("c-1", "child", "Someone Else", locality="East")])
    assert loaded.saved_views()[0].state["pinned"] == {"l-1": [3, 4]}


def test_a_split_puts_back_what_was_merged_into_the_record_split_off(loaded: Store) -> None:
    """Records merged into one before it was merged into another go back into it when it is
    split off: a chain of merges is undone one judgement at a time, not left with the first."""
    loaded.merge("c-2", "c-4", reason="same school")
    loaded.merge("c-1", "c-2", reason="same DOB")
    assert loaded.get("c-4").id == loaded.get("c-2").id == "c-1"  # type: ignore[union-attr]
    loaded.split("c-1", "c-2", reason="different children")
    assert loaded.get("c-2").members == ["c-4"] and loaded.get("c-4").id == "c-2"  # type: ignore[union-attr]
    assert loaded.get("c-1").members == []  # type: ignore[union-attr]
    loaded.split("c-2", "c-4", reason="two boys")
    assert loaded.get("c-4").id == "c-4" and loaded.stats().merged == 0  # type: ignore[union-attr]
    # a record judged again since (split off, then merged anew) stays where it was last put, however
    # quickly the judgements were made
    loaded.merge("c-2", "c-4", reason="same school")
    loaded.merge("c-1", "c-2", reason="same DOB")
    loaded.split("c-1", "c-4", reason="not him")
    loaded.merge("c-1", "c-4", reason="him after all")
    loaded.split("c-1", "c-2", reason="different children")
    assert loaded.get("c-4").id == "c-1" and loaded.get("c-2").members == []  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("judged", "heads"),
    [
        # a chain of chains: what came with the record split off goes with it, however deep
        (
            [("merge", "c-2", "c-4"), ("merge", "c-3", "c-2"), ("merge", "c-1", "c-3"), ("split", "c-1", "c-2")],
            {"c-4": "c-2", "c-2": "c-2", "c-3": "c-1"},
        ),
        # a record taken out with another, then merged anew: it stays with the one it came back with
        (
            [("merge", "c-2", "c-4"), ("merge", "c-3", "c-2"), ("merge", "c-1", "c-3"), ("split", "c-1", "c-2"),
             ("merge", "c-1", "c-2"), ("split", "c-1", "c-3")],
            {"c-4": "c-1", "c-2": "c-1", "c-3": "c-3"},
        ),
    ],
)  # fmt: skip
def test_a_split_takes_what_was_merged_under_the_record_and_nothing_judged_again_since(
    loaded: Store, judged: list[tuple[str, str, str]], heads: dict[str, str]
) -> None:
    for kind, one, other in judged:
        (loaded.merge if kind == "merge" else loaded.split)(one, other, reason="checked")
    assert {x: loaded.get(x).id for x in heads} == heads  # type: ignore[union-attr]


def test_erasing_a_person_keeps_the_judgements_of_others_they_were_moved_with(loaded: Store) -> None:
    """A judgement that moved the erased person with others is kept without them (it is still the
    others' history, and a split reads it), its reason withheld if it named them."""
    loaded.merge("c-2", "c-4", reason="same school")
    loaded.merge("c-1", "c-2", reason="Zoë Ahmed and her cousin Benson")
    loaded.merge("c-3", "c-1", reason="the same girl")
    loaded.split("c-3", "c-4", reason="not him")
    loaded.erase("c-4", reason="request upheld")
    (kept,) = [j for j in loaded.judgements() if j.kind == "merge" and j.b == "c-2"]
    assert kept.reason == "(withheld: it named a person erased)" and "c-4" not in kept.ids  # his surname
    assert [j.reason for j in loaded.judgements() if j.b == "c-1"] == ["the same girl"]
    loaded.split("c-3", "c-1", reason="two girls")
    loaded.split("c-1", "c-2", reason="different children")
    assert loaded.get("c-2").id == "c-2" and loaded.get("c-1").members == []  # type: ignore[union-attr]
    assert loaded.get("c-3").members == []  # type: ignore[union-attr]


def test_iteration_returns_records_and_assertions(loaded: Store) -> None:
    assert {e.id for e in loaded.iter_entities()} == {e.id for e in ENTITIES}
    rels = list(loaded.iter_relationships())
    assert len(rels) == len(RELATIONSHIPS)
    assert all(r.assertions for r in rels)


def test_a_failed_write_leaves_nothing(loaded: Store) -> None:
    before = counts(loaded)

    def work(tx: object) -> None:
        from contextgraph.store.txn import Txn

        assert isinstance(tx, Txn)
        tx.put_entities([Entity("c-99", "child", "Half Written", locality="East")], new=True)
        tx.put_relationships([rel("SEEN_AT", "c-99", "l-1")], new=True)
        raise RuntimeError("injected failure mid-write")

    with pytest.raises(RuntimeError, match="injected"):
        loaded.transaction(work)
    assert counts(loaded) == before
    assert loaded.get("c-99") is None
    assert "c-99" not in loaded.projection().index


def _edges(sub: object) -> set[tuple[str, str, str, int]]:
    return {(r.type, r.source, r.target, r.count) for r in sub.edges}  # type: ignore[attr-defined]


def test_large_upserts_may_commit_in_parts_with_the_same_result(store: Store) -> None:
    limit = store.atomic_rows
    store.atomic_rows = 4
    try:
        s = store.upsert(ENTITIES, RELATIONSHIPS)
        assert s.entities_created == len(ENTITIES) and s.relationships_created == len(RELATIONSHIPS)
        assert s.transactions == 6
        again = store.upsert(ENTITIES, RELATIONSHIPS)
        assert again.unchanged == len(ENTITIES) + len(RELATIONSHIPS)
    finally:
        store.atomic_rows = limit
    assert store.stats().relationships["SEEN_AT"] == 3


def _hood(sub: Subgraph) -> tuple[list[str], list[str]]:
    return sorted(repr(e) for e in sub.nodes), sorted(repr(r) for r in sub.edges)


def test_a_warmed_store_answers_the_same_and_follows_writes_by_others(
    loaded: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store holding every record in memory (as the service does) reads what another process wrote."""
    from contextgraph.store.neo4j.held import Held

    monkeypatch.setattr(Held, "settle", 0.0)  # keep what is read at once, so that the test reaches it
    warm = open_store(loaded.url)
    try:
        assert warm.warm() >= len(ENTITIES) + len(RELATIONSHIPS)
        filters = [None, Filter.of(handling=["P"]), Filter.of(localities=["East"]), Filter.of(types=["SEEN_AT"])]
        for c in ("p-1", "c-1", "l-1"):
            for depth in (1, 2, 3):
                for flt in filters:
                    assert _hood(warm.neighbourhood(c, depth, flt)) == _hood(loaded.neighbourhood(c, depth, flt))
        # writes through the other store: a new fact, a renamed child, a merge, an erasure
        loaded.upsert([Entity("c-2", "child", "Zoe Renamed")], [rel("SEEN_AT", "c-2", "l-2", ref="n7")])
        hood = warm.neighbourhood("c-2", 1)
        assert "l-2" in {n.id for n in hood.nodes}
        assert "Zoe Renamed" in {n.name for n in hood.nodes} | {a for n in hood.nodes for a in n.aliases}
        loaded.merge("c-1", "c-4")
        assert _hood(warm.neighbourhood("p-1", 2)) == _hood(loaded.neighbourhood("p-1", 2))
        loaded.erase("c-3", reason="erasure request upheld")
        for c in ("c-1", "l-1"):
            assert "c-3" not in {n.id for n in warm.neighbourhood(c, 2).nodes}
        assert _hood(warm.neighbourhood("l-1", 3)) == _hood(loaded.neighbourhood("l-1", 3))
    finally:
        warm.close()


class _Ahead:
    """A journal that stages the head of a record numbered ``seq`` for each write, as the
    access log's journal does once the record is synced."""

    def __init__(self, seq: int) -> None:
        self.seq = seq

    def write(self, store: Store, about: WriteAbout, run: Callable[[], T]) -> T:
        store.stage(Staged(self.seq, f"{self.seq:064x}", about.transactions))
        try:
            return run()
        finally:
            store.stage(None)


class _Unlogged:
    def write(self, store: Store, about: WriteAbout, run: Callable[[], T]) -> T:
        return run()


def test_the_access_logs_head_is_kept_in_the_writes_own_transaction(store: Store) -> None:
    assert store.audit_head() is None
    try:
        store.journal = _Ahead(7)
        store.upsert(ENTITIES, RELATIONSHIPS)
        assert store.audit_head() == {"seq": 7, "hash": f"{7:064x}", "transaction": 1, "transactions": 1}
        store.journal = _Ahead(8)
        with pytest.raises(StoreError):
            store.merge("c-1", "l-1")  # refused inside the transaction: the head stays as it was
        assert store.audit_head() == {"seq": 7, "hash": f"{7:064x}", "transaction": 1, "transactions": 1}
        store.merge("c-1", "c-4", reason="same DOB")
        assert store.audit_head() is not None and store.audit_head()["seq"] == 8  # type: ignore[index]
        store.journal = _Ahead(9)
        store.erase("c-3", reason="court order")
        store.add_records([("reviews", {"id": "r-1", "kind": "decision"})], subjects=["c-2"])
        assert store.audit_head()["seq"] == 9  # type: ignore[index]
        # a store with a journal refuses a write that was not logged first, and writes nothing
        store.journal = _Unlogged()
        with pytest.raises(StoreError, match="no access record"):
            store.upsert([Entity("c-77", "child", "Nobody Logged", locality="East")])
        assert store.get("c-77") is None and store.audit_head()["seq"] == 9  # type: ignore[index]
    finally:
        store.journal = None
    # a store opened again finds the head where the last write left it
    if store.url.startswith("sqlite"):
        again = open_store(store.url)
        assert again.audit_head()["seq"] == 9  # type: ignore[index]
        again.close()


def test_a_large_upsert_keeps_each_of_its_transactions_numbered(store: Store) -> None:
    many = [Entity(f"c-{i}", "child", f"Child {i}", locality="East") for i in range(25)]
    old = store.atomic_rows
    try:
        store.atomic_rows = 10
        store.journal = _Ahead(3)
        summary = store.upsert(many, [])
        assert summary.transactions == 3
        assert store.audit_head() == {"seq": 3, "hash": f"{3:064x}", "transaction": 3, "transactions": 3}
    finally:
        store.atomic_rows = old
        store.journal = None


# --- the gazetteer ------------------------------------------------------------------------


def test_gazetteer_postcodes_and_named_places_are_held_and_replaced(store: Store) -> None:
    from contextgraph.store.types import Named

    pcs = [("NB3 4LQ", 52.62, -1.06), ("NB1 6TW", 52.63, -1.13)]
    named = [Named("lindenmoor park", "Lindenmoor Park", 52.66, -1.14, "North", "location")]
    assert store.import_gazetteer([pcs], [named], origin="a.csv") == (2, 1)
    assert store.gazetteer_size() == (2, 1)
    assert store.postcode_at("NB3 4LQ") == (52.62, -1.06)
    assert store.postcode_at("NB9 9ZZ") is None
    assert store.postcode_at("nb3 4lq") is None  # keys are normalised before they are asked for
    assert store.named_places(["lindenmoor park", "nowhere"]) == named
    # loaded again with new coordinates: replaced, not doubled; the same name in another locality is another place
    again = [Named("lindenmoor park", "Lindenmoor Park", 52.67, -1.15, "North", "location")]
    other = Named("lindenmoor park", "Lindenmoor Park", 52.5, -1.0, "", "")
    store.import_gazetteer([[("NB3 4LQ", 52.7, -1.0)]], [[*again, other]])
    assert store.gazetteer_size() == (2, 2)
    assert store.postcode_at("NB3 4LQ") == (52.7, -1.0)
    assert store.named_places(["lindenmoor park"]) == [other, *again]
    # the gazetteer is no part of the graph
    assert counts(store)["entities_total"] == 0


def test_a_gazetteer_load_that_fails_midway_writes_nothing(store: Store) -> None:
    store.import_gazetteer([[("NB1 1AA", 52.6, -1.1)]])

    def batches() -> Iterator[list[tuple[str, float, float]]]:
        yield [("NB2 2BB", 52.6, -1.1), ("NB1 1AA", 10.0, 10.0)]
        raise ValueError("line 3: bad")

    with pytest.raises(ValueError, match="line 3"):
        store.import_gazetteer(batches(), origin="bad.csv")
    assert store.gazetteer_size() == (1, 0)
    assert store.postcode_at("NB1 1AA") == (52.6, -1.1)
    assert store.postcode_at("NB2 2BB") is None


def test_localities_are_kept_replaced_and_removed(store: Store) -> None:
    store.set_localities(Localities())
    assert not store.localities()
    hill = Locality("Hillcrest", ("Hillcrest ward",), SQUARE)
    store.set_localities(Localities("Eastmoor", (hill, Locality("Docklands"))), user="admin")
    got = store.localities()
    assert got.area == "Eastmoor" and got.names == ["Hillcrest", "Docklands"]
    assert got.items[0].aliases == ("Hillcrest ward",) and got.items[0].boundary == SQUARE
    assert got.canonical("HILLCREST WARD") == "Hillcrest" and got.canonical("Tanyard") is None
    store.set_localities(got.without("Docklands"))
    assert store.localities().names == ["Hillcrest"]
    # a change of settings is a record, not an entity: the graph is untouched
    assert store.stats().to_json()["entities_total"] == 0


def test_bad_locality_settings_are_refused_naming_the_field(store: Store) -> None:
    before = store.localities()
    with pytest.raises(LocalityError, match=r"localities\[1\]\.name: 'hillcrest' is given twice"):
        Localities.from_json({"localities": [{"name": "Hillcrest"}, {"name": "hillcrest"}]})
    with pytest.raises(LocalityError, match=r"localities\[0\]\.boundary: .*Polygon"):
        Localities.from_json({"localities": [{"name": "Docklands", "boundary": {"type": "Point"}}]})
    with pytest.raises(LocalityError, match="'Hillcrest' already names the locality Hillcrest"):
        Localities(None, (Locality("Hillcrest"),)).with_locality(Locality("Upper Hill", ("Hillcrest",)))
    with pytest.raises(LocalityError, match="no locality 'Docklands'"):
        Localities().without("Docklands")
    assert store.localities() == before  # nothing of a refused setting is written


def test_saved_views_are_kept_and_removed(store: Store) -> None:
    a = store.save_view("March MACE", "ana", "East", {"since": "2024-03-01", "pinned": {"c-1": [1, 2]}})
    b = store.save_view("For the group", "bob", "East", {}, shared=True)
    got = store.saved_views()
    assert [(v.id, v.name, v.user, v.shared) for v in got] == [
        (a.id, "March MACE", "ana", False),
        (b.id, "For the group", "bob", True),
    ]
    assert got[0].state == {"since": "2024-03-01", "pinned": {"c-1": [1, 2]}}
    store.delete_view(a.id)
    assert [v.id for v in store.saved_views()] == [b.id]
