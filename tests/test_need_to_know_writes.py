"""Need-to-know on every write path: a writer changes only what they may read, and no answer tells
them whether an id or a name exists outside their area.

Each test tries, with a valid East analyst's token, what an attacker would: take over a West
record, merge one into theirs, have a note matched to one, or tell an existing West id or name
from an invented one by the status, the message or the counts. The contract data (East and
West, both handling codes) is served over real HTTP on each store.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from typing import Any

import jwt
import pytest

from contextgraph.ingest.queue import reviews
from contextgraph.service.auth import LocalKeys
from contextgraph.store import Store, open_store

from .service import Service

ADMIN_READ = '{ entity(id: "c-3") { id name dob locality aliases sources neighbours(first: 50) { id } } }'


def zipped(files: dict[str, list[dict[str, Any]]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, lines in files.items():
            z.writestr(name, "".join(json.dumps(x) + "\n" for x in lines))
    return buf.getvalue()


def post_import(service: Service, token: str, files: dict[str, list[dict[str, Any]]]) -> tuple[int, Any]:
    status, _, body = service.call("POST", "/import", token, zipped(files), "application/zip", "test")
    return status, json.loads(body)


def same_but_ids(a: Any, b: Any, *pairs: tuple[str, str]) -> bool:
    """Whether two answers are the same once each id of a pair is written as the other."""
    text = json.dumps(a, sort_keys=True)
    for x, y in pairs:
        text = text.replace(x, y)
    return text == json.dumps(b, sort_keys=True)


def west_child(service: Service) -> Any:
    return service.data(ADMIN_READ, service.token("admin", ()))["entity"]


def test_an_import_cannot_take_over_another_localitys_record(service: Service) -> None:
    """Finding 1: re-declaring a West child's id as East is a new East record, like an unused id."""
    ana = service.token("analyst", ("East",))
    before = west_child(service)
    took = post_import(
        service, ana, {"entities.jsonl": [{"id": "c-3", "kind": "child", "name": "T M", "locality": "East"}]}
    )
    fresh = post_import(
        service, ana, {"entities.jsonl": [{"id": "c-77", "kind": "child", "name": "T M", "locality": "East"}]}
    )
    assert took[0] == fresh[0] == 200
    assert took[1]["ids"] == {"c-3": "east:c-3"} and fresh[1]["ids"] == {"c-77": "east:c-77"}
    assert same_but_ids(took[1], fresh[1], ("c-3", "c-77"))
    assert took[1]["entities_created"] == 1 and took[1]["entities_updated"] == 0
    # the West record is as it was; its locality's analyst still reads it, the East analyst does not
    assert west_child(service) == before
    west = service.token("analyst", ("West",), user="wes")
    assert service.data('{ entity(id: "c-3") { name locality } }', west)["entity"] == {
        "name": "Tyler Marsh",
        "locality": "West",
    }
    assert service.data('{ entity(id: "c-3") { name } }', ana)["entity"] is None
    # an export the analyst imports again updates what it came from, under the same ids
    again = post_import(
        service, ana, {"entities.jsonl": [{"id": "east:c-3", "kind": "child", "name": "T M", "locality": "East"}]}
    )
    assert again == (200, {**again[1], "ids": {}}) and again[1]["entities_created"] == 0


def test_an_import_giving_a_child_of_yours_another_date_of_birth_is_refused_and_tells_nothing_else(
    service: Service,
) -> None:
    """An East child's id given another date of birth is refused, naming the line and both dates;
    a West child's id (which the East analyst does not see) is a new East record as ever, so the
    refusal tells nothing of anyone outside the writer's area."""
    ana = service.token("analyst", ("East",))
    kyle = {"id": "c-1", "kind": "child", "name": "Someone Else", "dob": "2011-01-01", "locality": "East"}
    status, body = post_import(service, ana, {"entities.jsonl": [kyle]})
    assert status == 422 and "entities.jsonl:1: field 'dob': 'c-1' is held with the date of birth 2009-04-12" in str(
        body["detail"]
    )
    assert service.data('{ entity(id: "c-1") { name dob } }', ana)["entity"] == {
        "name": "Kyle Benson",
        "dob": "2009-04-12",
    }
    west = {"id": "c-3", "kind": "child", "name": "T M", "dob": "2011-01-01", "locality": "East"}
    status, body = post_import(service, ana, {"entities.jsonl": [west]})
    assert status == 200 and body["ids"] == {"c-3": "east:c-3"}


def test_an_import_cannot_move_a_record_out_of_the_writers_area(service: Service) -> None:
    ana = service.token("analyst", ("East",))
    status, body = post_import(
        service, ana, {"entities.jsonl": [{"id": "c-1", "kind": "child", "name": "Kyle Benson", "locality": "West"}]}
    )
    assert status == 403 and "outside your localities" in body["detail"]
    assert service.data('{ entity(id: "c-1") { locality } }', ana)["entity"] == {"locality": "East"}


def test_import_judgements_may_not_reach_outside_the_writers_area(service: Service) -> None:
    """Finding 2: a merge with a West record is refused as for an id that does not exist."""
    ana = service.token("analyst", ("East",))
    before = west_child(service)
    answers = {}
    for other in ("c-3", "c-404"):
        for kind in ("merge", "split"):
            answers[other, kind] = post_import(
                service, ana, {"judgements.jsonl": [{"a": "c-1", "b": other, "kind": kind}], "entities.jsonl": []}
            )
    for kind in ("merge", "split"):
        status, body = answers["c-3", kind]
        assert status == 422 and body["detail"] == [
            "judgements.jsonl:1: 'c-3' is not an entity in entities.jsonl or the store"
        ]
        assert same_but_ids(answers["c-3", kind], answers["c-404", kind], ("c-3", "c-404"))
    assert west_child(service) == before
    kyle = service.data('{ entity(id: "c-1") { aliases } }', ana)["entity"]
    assert "Tyler Marsh" not in kyle["aliases"]
    # within the writer's area a judgement still applies
    status, body = post_import(
        service, ana, {"judgements.jsonl": [{"a": "c-1", "b": "c-4", "reason": "x"}], "entities.jsonl": []}
    )
    assert status == 200 and body["judgements_applied"] == 1


NOTE = """# MACE – Northbrook East

**Date:** 18/01/2024

INT 3 – 20/01/2024 – 2B P: {name} (DOB 03/05/2009) was seen with {friend} on Friday evening.
"""


def test_a_note_is_resolved_only_against_what_its_writer_may_read(service: Service, store: Store) -> None:
    """Finding 3: an East note naming a West child by full name and date of birth is not matched
    to that child; the likely match waits for a review by someone who may see both."""
    ana = service.token("analyst", ("East",))
    before = west_child(service)
    results = {}
    for name, friend in (("Tyler Marsh", "Jay Reid"), ("Tamsin Vardy", "Ola Quist")):
        note = NOTE.format(name=name, friend=friend).encode()
        status, _, body = service.call("POST", "/notes", ana, note, "text/markdown", "test", name="n.md")
        assert status == 200
        results[name] = json.loads(body)
    real, invented = results["Tyler Marsh"], results["Tamsin Vardy"]
    counts = ("status", "created", "matched", "queued", "relationships_added", "relationships_updated")
    assert {k: real[k] for k in counts} == {k: invented[k] for k in counts}
    assert real["matched"] == 0 and real["queued"] == 0
    after = west_child(service)
    assert after == before, "the West record gained the East note"
    pending = [r for r in reviews(store) if r.name == "Tyler Marsh"]
    assert len(pending) == 1 and pending[0].candidates == ("c-3",)
    assert any("outside the writer's localities" in e for e in pending[0].evidence)
    assert not [r for r in reviews(store) if r.name == "Tamsin Vardy"]


def test_no_answer_tells_an_id_outside_the_area_from_an_unused_one(service: Service) -> None:
    """Finding 4: status, message and counts are the same for a West id and an invented one."""
    ana = service.token("analyst", ("East",))
    pairs = [("c-3", "c-404"), ("l-2", "l-404")]
    for real, fake in pairs:
        # a relationship to it, of a type that would not fit its kind either
        for rtype in ("SEEN_AT", "ASSOCIATES_WITH"):
            got = {
                x: post_import(service, ana, {"relationships.jsonl": [{"type": rtype, "source": "c-1", "target": x}]})
                for x in (real, fake)
            }
            assert got[real][0] == 422 and same_but_ids(got[real], got[fake], (real, fake)), got
        # a link, a service record, a merge and a split
        mutations = [
            'mutation { link(link: {type: SEEN_AT, source: "c-1", target: "%s"}) { count } }',
            'mutation { link(link: {type: ASSOCIATES_WITH, source: "%s", target: "c-1"}) { count } }',
            'mutation { merge(a: "c-1", b: "%s", reason: "x") { id } }',
            'mutation { split(a: "c-1", b: "%s", reason: "x") { id } }',
            'mutation { recordService(child: "%s", service: CSC) { type } }',
        ]
        for m in mutations:
            a, b = service.error(m % real, ana), service.error(m % fake, ana)
            assert a.replace(real, fake) == b, (m, a, b)
        # an upsert of it is a new record of the writer's own, as for an unused id
        up = "mutation($e: EntityInput!) { upsertEntity(entity: $e) { id name locality } }"
        made = {
            x: service.data(up, ana, e={"id": x, "kind": "LOCATION", "name": "Somewhere", "locality": "East"})
            for x in (real, fake)
        }
        assert same_but_ids(made[real], made[fake], (real, fake))
    # nothing of the West records changed
    admin = service.token("admin", ())
    assert service.data('{ entity(id: "l-2") { name locality } }', admin)["entity"] == {
        "name": "14 Mill Road",
        "locality": "West",
    }


def test_the_list_of_sources_is_filtered_by_handling_code_and_logged(service: Service, _audit_log: Any) -> None:
    """Finding 5: a note all of whose facts are graded C is not known to a reader cleared for P;
    a MACE member never sees a note's file name; every read of the list is logged."""
    ana = service.token("analyst", ("East",))
    graded_c = NOTE.format(name="Jay Reid", friend="Mo Dean").replace("2B P", "2B C")
    status, _, body = service.call(
        "POST", "/notes", ana, graded_c.encode(), "text/markdown", "test", name="jay-reid-and-mo-dean.md"
    )
    assert status == 200, body
    ref = json.loads(body)["source_ref"]
    q = "{ sources(first: 50) { total items { id file } } }"
    assert ref in {s["id"] for s in service.data(q, ana)["sources"]["items"]}
    for role in ("chair", "mace"):
        seen = service.data(q, service.token(role, ("East",)))["sources"]
        assert ref not in json.dumps(seen) and "jay-reid" not in json.dumps(seen)
    mace_c = LocalKeys(service.keys.path).mint("m", "mace", ["East"], clearance="C")
    seen = service.data(q, mace_c)["sources"]["items"]
    assert ref in {s["id"] for s in seen} and all(s["file"] is None for s in seen)
    logged = [json.loads(x) for x in _audit_log.read_text().splitlines()]
    reads = [r for r in logged if r["operation"] == "consultation" and r["detail"].get("graphql") == "sources"]
    assert len(reads) == 4 and ref in reads[0]["detail"]["sources"]


def test_a_mace_member_cannot_reidentify_a_child(service: Service) -> None:
    """Finding 6: a child shown by initials is never shown with a home address, school or family,
    walking from the child or from the place."""
    admin = service.token("admin", ())
    up = "mutation($e: EntityInput!) { upsertEntity(entity: $e) { id } }"
    service.data(up, admin, e={"id": "l-9", "kind": "LOCATION", "name": "3 Elm Close", "locality": "East"})
    service.data(up, admin, e={"id": "p-9", "kind": "PERSON_OF_CONCERN", "name": "Ann Benson", "locality": "East"})
    for t, target in (("LIVES_AT", "l-9"), ("FAMILY_OF", "p-9")):
        service.data(f'mutation {{ link(link: {{type: {t}, source: "c-1", target: "{target}"}}) {{ count }} }}', admin)
    identifying = {"l-9", "s-1", "p-9"}
    mace = service.token("mace", ("East",))
    ana = service.token("analyst", ("East",))
    walk = '{ entity(id: "c-1") { name neighbours(first: 50) { id neighbours(first: 50) { id } } } }'
    seen = service.data(walk, mace)["entity"]
    assert seen["name"] == "K.B."
    assert not identifying & {n["id"] for n in seen["neighbours"]}
    assert "l-1" in {n["id"] for n in seen["neighbours"]}  # where the child was seen stays
    assert identifying <= {n["id"] for n in service.data(walk, ana)["entity"]["neighbours"]}
    for centre in ("c-1", "s-1", "l-9", "p-9"):
        net = service.data(f'{{ network(centre: "{centre}", depth: 3) {{ nodes {{ id }} edges {{ type }} }} }}', mace)
        if net["network"] is None:
            continue
        ids = {n["id"] for n in net["network"]["nodes"]}
        assert not ({"c-1", "c-4"} & ids and identifying & ids), (centre, ids)
        assert not {"ATTENDS", "LIVES_AT", "FAMILY_OF"} & {e["type"] for e in net["network"]["edges"]}
    # a school (and a home) known only as where a child goes (or lives) is no place of theirs at all
    for place in ("s-1", "l-9"):
        assert service.data(f'{{ entity(id: "{place}") {{ neighbours(first: 50) {{ id }} }} }}', mace)["entity"] is None
    assert "does not see" in service.error('{ entity(id: "c-1") { neighbours(types: [ATTENDS]) { id } } }', mace)


def test_tokens_have_a_bounded_life_and_a_chair_one_locality(service: Service) -> None:
    keys = service.keys
    now = int(time.time())
    base = {"sub": "x", "role": "analyst", "localities": ["East"], "iss": "contextgraph-local", "aud": "contextgraph"}

    def status(claims: dict[str, Any]) -> int:
        token = jwt.encode(claims, keys.private_key(), algorithm="ES256")
        return service.post("{ me { user } }", token, "test")[0]

    assert status({**base, "iat": now, "exp": now + 3600}) == 200
    assert status({**base, "iat": now, "exp": now + 10 * 365 * 86400}) == 401
    assert status({**base, "iat": now + 86400, "exp": now + 86400 + 60}) == 401
    assert status({**base, "role": "chair", "localities": ["East", "West"], "iat": now, "exp": now + 60}) == 401
    with pytest.raises(ValueError, match="at most 1 locality"):
        keys.mint("c", "chair", ["East", "West"])


def test_nothing_is_written_when_the_batch_is_refused(service: Service, store: Store) -> None:
    ana = service.token("analyst", ("East",))
    before = store.stats()
    status, _ = post_import(
        service,
        ana,
        {
            "entities.jsonl": [{"id": "c-50", "kind": "child", "name": "New Child", "locality": "East"}],
            "judgements.jsonl": [{"a": "c-50", "b": "c-3"}],
        },
    )
    assert status == 422
    fresh = open_store(store.url) if store.url.startswith("sqlite") else store
    assert fresh.stats() == before


def test_services_are_shared_and_only_an_admin_changes_them(service: Service) -> None:
    ana = service.token("analyst", ("East",))
    up = "mutation($e: EntityInput!) { upsertEntity(entity: $e) { id name } }"
    renamed = {"id": "svc-YJS", "kind": "SERVICE", "name": "CSC", "locality": "West", "aliases": ["closed"]}
    assert "only an admin" in service.error(up, ana, e=renamed)
    for q in ('mutation { merge(a: "svc-YJS", b: "svc-CSC", reason: "x") { id } }',):
        assert "no entity 'svc-YJS'" in service.error(q, ana)
    status, body = post_import(service, ana, {"entities.jsonl": [{**renamed, "kind": "service"}]})
    assert status == 403 and "only an admin" in body["detail"]
    # a service's own line, as an export gives it, only makes sure it exists
    status, body = post_import(service, ana, {"entities.jsonl": [{"id": "svc-CSC", "kind": "service", "name": "CSC"}]})
    assert status == 200 and body["ids"] == {}
    assert service.data('{ entity(id: "svc-YJS") { name aliases } }', ana)["entity"] == {"name": "YJS", "aliases": []}
    # children may still be recorded open to a service
    q = 'mutation { recordService(child: "c-2", service: CSC) { target } }'
    assert service.data(q, ana)["recordService"] == {"target": "svc-CSC"}


def test_a_record_merged_from_another_locality_stays_its_localitys(service: Service) -> None:
    admin, ana = service.token("admin", ()), service.token("analyst", ("East",))
    service.data('mutation { merge(a: "c-1", b: "c-3", reason: "review 12") { id } }', admin)
    up = "mutation($e: EntityInput!) { upsertEntity(entity: $e) { id } }"
    got = service.data(up, ana, e={"id": "c-3", "kind": "CHILD", "name": "Overwritten", "locality": "East"})
    assert got["upsertEntity"]["id"] == "east:c-3"
    assert "no entity 'c-3'" in service.error('mutation { split(a: "c-1", b: "c-3", reason: "x") { id name } }', ana)
    q = 'mutation { link(link: {type: SEEN_AT, source: "c-3", target: "l-1"}) { count } }'
    assert "no entity 'c-3'" in service.error(q, ana)
    service.data('mutation { split(a: "c-1", b: "c-3", reason: "not the same") { id } }', admin)
    assert service.data('{ entity(id: "c-3") { name locality } }', admin)["entity"] == {
        "name": "Tyler Marsh",
        "locality": "West",
    }


def test_an_import_refused_for_a_judgement_writes_nothing_and_judges_as_its_sender(
    service: Service, store: Store
) -> None:
    ana = service.token("analyst", ("East",), user="ana")
    files: dict[str, list[dict[str, Any]]] = {
        "entities.jsonl": [{"id": "c-60", "kind": "child", "name": "Ivy Noon", "locality": "East"}],
        "relationships.jsonl": [{"type": "SEEN_AT", "source": "c-60", "target": "l-1"}],
        "judgements.jsonl": [{"a": "c-1", "b": "l-1"}],
    }
    status, body = post_import(service, ana, files)
    assert status == 422 and body["detail"] == ["judgements.jsonl:1: cannot judge a child and a location to be one"]
    assert service.data('{ entity(id: "east:c-60") { id } }', ana)["entity"] is None
    files["judgements.jsonl"] = [{"a": "c-1", "b": "c-4", "user": "chief.constable", "reason": "approved"}]
    status, body = post_import(service, ana, files)
    assert status == 200 and body["judgements_applied"] == 1
    assert [j.user for j in store.judgements()] == ["ana"]


def test_a_p_cleared_writer_learns_nothing_of_c_records(service: Service) -> None:
    ana = service.token("analyst", ("East",))
    p_ana = LocalKeys(service.keys.path).mint("pat", "analyst", ["East"], clearance="P")
    up = "mutation($e: EntityInput!) { upsertEntity(entity: $e) { id } }"
    secret = {"id": "s1", "kind": "CHILD", "name": "Hidden Child", "locality": "East", "grading": "2B C"}
    assert service.data(up, ana, e={**secret, "sourceRef": "intel-9"})["upsertEntity"]["id"] == "east:s1"
    made = [
        service.data(up, p_ana, e={**secret, "id": x, "grading": "2B P"})["upsertEntity"]["id"] for x in ("s1", "s2")
    ]
    assert made == ["east.p:s1", "east.p:s2"]
    # a P statement of a link that only C statements made before reads as new, as for a link never made
    counts = {}
    for source in ("c-2", "p-1"):  # c-2 was seen at l-1 under C only; p-1 never
        line = {"type": "SEEN_AT", "source": source, "target": "l-1", "date": "2024-05-01", "grading": "1B P"}
        status, body = post_import(service, p_ana, {"relationships.jsonl": [line], "entities.jsonl": []})
        assert status == 200
        counts[source] = (body["relationships_created"], body["relationships_updated"])
    assert counts["c-2"] == counts["p-1"] == (1, 0)


def test_mace_analysis_never_rests_on_a_childs_home_or_family(service: Service) -> None:
    admin = service.token("admin", ())
    up = "mutation($e: EntityInput!) { upsertEntity(entity: $e) { id } }"
    service.data(
        up,
        admin,
        e={"id": "l-8", "kind": "LOCATION", "name": "8 Ash Row", "locality": "East", "lat": 52.6, "lon": -1.1},
    )
    service.data('mutation { link(link: {type: LIVES_AT, source: "c-2", target: "l-8"}) { count } }', admin)
    service.data('mutation { link(link: {type: FAMILY_OF, source: "p-1", target: "c-1"}) { count } }', admin)
    mace = service.token("mace", ("East",))
    text = json.dumps(
        service.data(
            """{ hotspots(first: 50) { items { id } } personsOfConcern { items { evidence { type } } }
                 localityMap(locality: "East") { hotspots { id } edges { type } graph } }""",
            mace,
        )
    )
    assert '"l-8"' not in text.split('"localityMap"')[0] and "FAMILY_OF" not in text and "LIVES_AT" not in text
    ana_text = json.dumps(service.data("{ personsOfConcern { items { evidence { type } } } }", admin))
    assert "FAMILY_OF" in ana_text


def test_malformed_claims_and_archives_get_clear_4xx(service: Service) -> None:
    now = int(time.time())
    base = {"sub": "x", "iss": "contextgraph-local", "aud": "contextgraph", "iat": now, "exp": now + 60}
    for claims in (
        {"role": ["admin"]},
        {"role": {"a": 1}},
        {"roles": [["admin"]]},
        {"role": "analyst", "localities": ["East"], "clearance": ["P"]},
        {"role": None, "roles": None},
    ):
        token = jwt.encode({**base, **claims}, service.keys.private_key(), algorithm="ES256")
        assert service.post("{ me { user } }", token, "test")[0] == 401, claims
    status, _, body = service.call("POST", "/import", service.token(), zipped({}), "application/zip", "test")
    assert status == 422 and b"/tmp" not in body and b"the archive" in body


def test_a_p_writer_merging_a_note_into_a_record_whose_name_is_withheld_stores_no_placeholder(
    store: Store,
) -> None:
    """A writer cleared for P only is shown a record named under both codes, with no record of what
    P alone said, as ``(withheld)``; merging their note's person into it keeps the placeholder out
    of every name, and the name said under C is not lost."""
    from contextgraph.ingest.review import Edits, commit, preview
    from contextgraph.model import WITHHELD, Entity
    from contextgraph.store import Filter

    store.upsert(
        [Entity("c-1", "child", "Kyle James Benson", aliases=["Ghost"], locality="East", handling=["C", "P"])], []
    )
    p = Filter.of(handling=["P"])
    note = (
        "# MACE – Northbrook East\n\n**Date:** 18/01/2024\n\n"
        "INT 3 – 20/01/2024 – 2B P: Tyler Marsh (DOB 03/05/2009) was seen with Jay Reid on Friday evening.\n"
    )
    seen = preview(store, note, "n.md", "pw", p)
    tyler = next(e.id for e in seen.entities if e.name == "Tyler Marsh")
    commit(store, note, "n.md", "pw", p, seen.digest, Edits(merge=[(tyler, "c-1")]))
    full = store.get("c-1")
    assert full is not None and full.open is not None
    names = [full.name, *full.aliases, full.open.name, *full.open.aliases]
    assert WITHHELD not in names and "Kyle James Benson" in names
    shown = store.visible("c-1", p)
    assert shown is not None and shown.name == "Tyler Marsh" and "Kyle James Benson" not in shown.aliases


def test_a_queued_proposal_matched_to_a_record_carries_only_what_p_readers_know_of_it(store: Store) -> None:
    """A fact below the confidence threshold, about a record named under both codes, held for
    review: the proposal (and its review item) names the record as readers cleared for P know it,
    and accepting it gives them nothing said only under C."""
    from contextgraph.ingest.plan import plan_note
    from contextgraph.interchange.jsonl import entity_from_json
    from contextgraph.model import Entity
    from contextgraph.store import Filter

    open_part = Entity("c-1", "child", "Ghost Benson", handling=["P"])
    store.upsert(
        [
            Entity(
                "c-1",
                "child",
                "Kyle James Benson",
                aliases=["Ghost Benson"],
                locality="East",
                handling=["C", "P"],
                open=open_part,
            )
        ],
        [],
    )
    p = Filter.of(handling=["P"])
    queued = {"id": "e1", "kind": "child", "name": "Ghost Benson", "aliases": [], "sentence": "Ghost Benson was seen."}
    doc = {
        "meeting": {"kind": "MACE", "locality": "East", "date": "2024-01-18"},
        "entities": [],
        "relationships": [],
        "queued": {"entities": [{**queued, "confidence": 0.4, "how": "named"}], "relationships": []},
    }
    _, _, _, records = plan_note(store, "text", "n.md", "cw", Filter.of(), doc=doc)
    (item,) = [r for t, r in records if t == "reviews"]
    assert "Kyle James" not in str(item)
    store.upsert([entity_from_json(item["proposal"]["entity"])], [])  # what accepting it writes
    seen = store.visible("c-1", p)
    assert seen is not None and "Kyle James Benson" not in [seen.name, *seen.aliases]


def test_an_erasure_elsewhere_is_not_told_to_a_writer_and_judgements_sent_again_apply_nothing(
    service: Service, store: Store
) -> None:
    """An East analyst importing the id of a West child since erased is answered as for any id not
    theirs (filed under their namespace), not told of the erasure; a file of a merge and its split
    sent twice applies them once."""
    store.erase("c-3", reason="request upheld")
    ana = service.token("analyst", ("East",))
    for eid in ("c-3", "c-88"):
        status, body = post_import(
            service, ana, {"entities.jsonl": [{"id": eid, "kind": "child", "name": "T M", "locality": "East"}]}
        )
        assert status == 200 and body["ids"] == {eid: f"east:{eid}"}, body
    # one of their own locality erased is not brought back by their old export
    store.erase("c-2", reason="request upheld")
    line = {"id": "c-2", "kind": "child", "name": "Zoë Ahmed", "locality": "East"}
    status, body = post_import(service, ana, {"entities.jsonl": [line]})
    assert status == 422 and "entities.jsonl:1: field 'id': a person erased had the id 'c-2'" in str(body), body
    admin = service.token("admin", ())
    judged = [
        {"id": "J7", "kind": "merge", "a": "c-1", "b": "c-4", "reason": "one boy"},
        {"id": "J8", "kind": "split", "a": "c-1", "b": "c-4", "reason": "two boys"},
    ]
    applied = [post_import(service, admin, {"judgements.jsonl": judged, "entities.jsonl": []}) for _ in range(2)]
    assert [a[1]["judgements_applied"] for a in applied] == [2, 0], applied
    assert [str(j.id).rsplit("/", 1)[1] for j in store.judgements()] == ["J7", "J8"]  # under the sender's name
