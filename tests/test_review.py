"""A note reviewed before it is recorded, over the service on both stores: the preview shows the
writer what the note would record, with the spans of its text, and writes nothing; the commit
records exactly what was shown as edited, under the note's source, or nothing at all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contextgraph.ingest.review import commit
from contextgraph.model import REL_TYPES, Entity, canonical_pair
from contextgraph.store import Store

from .service import Service

NOTE = """# MACE – East

**Date:** 14/03/2024

## Children discussed

- Kyle Benson (15) was seen at Carrow Park skate area on 02/03/2024 with Jordan Pike (14).
- Jordan Pike is open to YJS.
- Daniel Okafor (aka Tank) is believed to be running Kyle for the Tank line.
- Mia Rowe (13) was found at Eastgate Retail Park after going missing with Jordan Pike on 05/03/2024.
- Tyler Marsh (15) was seen at the Eastgate Retail Park too.
"""

PREVIEW = """query($text: String!, $name: String) {
  notePreview(text: $text, name: $name) {
    name text digest sourceRef recorded kind date locality queued
    entities { id kind name aliases mentions confidence outcome
      existing { id kind name locality } candidates { id name } }
    links { id type source target date grading evidence confidence }
  }
}"""

COMMIT = """mutation($text: String!, $digest: String!, $edits: NoteEdits) {
  noteCommit(text: $text, digest: $digest, name: "mace-east.md", edits: $edits) {
    result { status sourceRef created matched relationshipsAdded }
    entities { id stored kind name merged }
    links { id type source target }
  }
}"""


def preview(service: Service, token: str, text: str = NOTE) -> dict[str, Any]:
    return service.data(PREVIEW, token, text=text, name="mace-east.md")["notePreview"]


def by_name(p: dict[str, Any], name: str) -> dict[str, Any]:
    return next(e for e in p["entities"] if e["name"] == name)


def log_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def facts(store: Store, ref: str) -> set[tuple[str, str, str]]:
    """The relationships the store holds asserted by the source ``ref``, in stored order."""
    return {
        (r.type, *canonical_pair(r.type, r.source, r.target))
        for r in store.iter_relationships()
        if any(a.source_ref == ref for a in r.assertions)
    }


def contents(store: Store) -> tuple[int, int, int]:
    ents = list(store.iter_entities())
    return len(ents), len(list(store.iter_relationships())), len(list(store.records("sources")))


def test_the_preview_shows_every_entity_and_link_with_its_spans_and_writes_nothing(
    service: Service, store: Store, _audit_log: Path
) -> None:
    before = contents(store)
    p = preview(service, service.token("analyst", ("East",), user="ana"))
    assert p["text"] == NOTE and p["kind"] == "MACE" and p["locality"] == "East" and p["recorded"] is None
    assert p["queued"] is None  # nothing in this note is below the confidence threshold
    for e in p["entities"]:
        forms = {f.lower() for f in [e["name"], *e["aliases"]]}
        assert e["mentions"], e
        for start, end in e["mentions"]:
            assert " ".join(NOTE[start:end].split()).lower() in forms, (e["name"], NOTE[start:end])
        assert 0.0 <= e["confidence"] <= 1.0
    ids = {e["id"] for e in p["entities"]}
    for r in p["links"]:
        assert 0.0 <= r["confidence"] <= 1.0
        assert r["source"] in ids and (r["target"] in ids or r["target"].startswith("svc-"))
        start, end = r["evidence"]
        said = NOTE[start:end]
        assert "\n\n" not in said and said.strip()
        # the sentence names both ends (a service by its code)
        for end_id in (r["source"], r["target"]):
            if end_id.startswith("svc-"):
                assert end_id[4:] in said
            else:
                e = next(x for x in p["entities"] if x["id"] == end_id)
                assert any(start <= a and b <= end for a, b in e["mentions"]) or "Kyle" in said, (r, said)
    # a record of the writer's own locality: the entity would be filed under it
    kyle = by_name(p, "Kyle Benson")
    assert kyle["outcome"] == "match" and kyle["existing"] == {
        "id": "c-1",
        "kind": "CHILD",
        "name": "Kyle Benson",
        "locality": "East",
    }
    seen = by_name(p, "Kyle Benson")["mentions"][0]
    assert NOTE[seen[0] : seen[1]] == "Kyle Benson"
    assert contents(store) == before  # nothing written
    logged = [r for r in log_of(_audit_log) if (r.get("detail") or {}).get("graphql") == "notePreview"]
    assert logged and logged[-1]["user"] == "ana" and "c-1" in logged[-1]["subjects"]


def test_another_localitys_record_is_never_offered_nor_accepted_as_a_merge(service: Service, store: Store) -> None:
    ana = service.token("analyst", ("East",), user="ana")
    p = preview(service, ana)
    # Tyler Marsh is recorded in West only (c-3): for an East analyst he is as unknown as a made-up name
    tyler = by_name(p, "Tyler Marsh")
    other = preview(service, ana, NOTE.replace("Tyler Marsh", "Tyler Marsz"))
    made_up = by_name(other, "Tyler Marsz")
    shape = ("kind", "outcome", "existing", "candidates", "mentions")
    assert {k: tyler[k] for k in shape} == {k: made_up[k] for k in shape}
    assert tyler["outcome"] == "new" and "c-3" not in json.dumps(p)
    # the search the page offers for merging does not find him either
    found = service.data('{ search(text: "Tyler Marsh") { id } }', ana)["search"]
    assert "c-3" not in {x["id"] for x in found}
    before = contents(store)
    answers = []
    for into in ("c-3", "c-made-up"):
        edits = {"merge": [{"entity": tyler["id"], "into": into}]}
        status, body = service.post(COMMIT, ana, variables={"text": NOTE, "digest": p["digest"], "edits": edits})
        answers.append((status, body["errors"][0]["message"].replace(into, "ID")))
    assert answers[0] == answers[1]
    assert answers[0] == (422, "edits.merge[0].into: no entity 'ID' in your localities")
    # one entity chosen for twice: which is meant cannot be told, so nothing is recorded
    twice = {"merge": [{"entity": tyler["id"], "into": None}, {"entity": tyler["id"], "into": "c-1"}]}
    status, body = service.post(COMMIT, ana, variables={"text": NOTE, "digest": p["digest"], "edits": twice})
    assert (
        status == 422
        and f"edits.merge[1].entity: {tyler['id']} is already chosen for at edits.merge[0]"
        in (body["errors"][0]["message"])
    )
    assert contents(store) == before


def test_a_role_that_may_not_record_notes_is_refused(service: Service, store: Store) -> None:
    before = contents(store)
    digest = preview(service, service.token("analyst"))["digest"]
    mace = service.token("mace", ("East",), user="mace")
    status, body = service.post(PREVIEW, mace, variables={"text": NOTE})
    assert status == 403 and "does not allow" in body["errors"][0]["message"]
    status, body = service.post(COMMIT, mace, variables={"text": NOTE, "digest": digest})
    assert status == 403 and "does not allow" in body["errors"][0]["message"]
    # a note of a locality not the writer's, for an analyst and for a chair
    for token in (service.token("analyst", ("West",), user="wes"), service.token("chair", ("West",), user="cw")):
        status, body = service.post(PREVIEW, token, variables={"text": NOTE})
        assert status == 403 and "not one of your localities" in body["errors"][0]["message"]
        status, body = service.post(COMMIT, token, variables={"text": NOTE, "digest": digest})
        assert status == 403 and "not one of your localities" in body["errors"][0]["message"]
    assert contents(store) == before


def test_a_chair_records_their_meetings_note_but_changes_nothing_else(service: Service, store: Store) -> None:
    """A chair records the notes of their locality's meetings (reviewed, then committed), and still may
    not change records any other way."""
    chair = service.token("chair", ("East",), user="chair-east")
    p = preview(service, chair)
    status, body = service.post(COMMIT, chair, variables={"text": NOTE, "digest": p["digest"]})
    assert status == 200, body
    ref = p["sourceRef"]
    (source,) = [r for r in store.records("sources") if r.get("id") == ref]
    assert source["user"] == "chair-east"
    assert any(ref in e.sources for e in store.iter_entities())
    up = "mutation($e: EntityInput!) { upsertEntity(entity: $e) { id } }"
    status, body = service.post(up, chair, variables={"e": {"id": "c-77", "kind": "CHILD", "name": "Ada Lyle"}})
    assert "does not allow" in body["errors"][0]["message"] and not body.get("data")


def test_edits_that_cannot_be_applied_are_refused_naming_the_field(service: Service, store: Store) -> None:
    ana = service.token("analyst")
    p = preview(service, ana)
    kyle = by_name(p, "Kyle Benson")
    before = contents(store)

    def refused(edits: dict[str, Any], digest: str = p["digest"]) -> tuple[int, str]:
        status, body = service.post(COMMIT, ana, variables={"text": NOTE, "digest": digest, "edits": edits})
        assert "data" not in body or body["data"] is None, body
        return status, body["errors"][0]["message"]

    # Kyle was seen at a place: as a group, that link would not be valid
    status, message = refused({"retype": [{"entity": kyle["id"], "kind": "GROUP"}]})
    assert status == 422 and message.startswith("edits.retype[0].kind: SEEN_AT r")
    status, message = refused({"retype": [{"entity": kyle["id"], "kind": "SERVICE"}]})
    assert status == 422 and "edits.retype[0].kind: 'service' is not a kind" in message
    status, message = refused({"remove": ["e999"]})
    assert (status, message) == (422, "edits.remove[0]: no entity 'e999' in this note")
    # a selection that is not a span of the note, and a link the vocabulary does not allow
    link = {"type": "SEEN_AT", "source": {"proposed": kyle["id"]}, "target": {"existing": "l-1"}}
    status, message = refused({"addLinks": [{**link, "evidence": [10, 5]}]})
    assert status == 422 and message.startswith("edits.addLinks[0].evidence:")
    status, message = refused({"addLinks": [{**link, "target": {"existing": "c-2"}, "evidence": [0, 5]}]})
    assert (status, message) == (422, "edits.addLinks[0].type: SEEN_AT cannot link a child to a child")
    status, message = refused({"addLinks": [{**link, "target": {"existing": "l-2"}, "evidence": [0, 5]}]})
    assert (status, message) == (422, "edits.addLinks[0].target.existing: no entity 'l-2' in your localities")
    # a plan that is no longer the one shown
    status, message = refused({}, digest="0" * 32)
    assert status == 409 and message.startswith("digest:")
    assert contents(store) == before


def test_the_commit_writes_exactly_the_reviewed_plan(service: Service, store: Store, _audit_log: Path) -> None:
    ana = service.token("analyst", ("East",), user="ana")
    p = preview(service, ana)
    ents = {e["id"]: e for e in p["entities"]}
    daniel, mia, kyle = (by_name(p, n) for n in ("Daniel Okafor", "Mia Rowe", "Kyle Benson"))
    eastgate = by_name(p, "Eastgate Retail Park")
    # remove a place: its links go with it
    removed = {eastgate["id"]}
    kinds = {i: e["kind"].lower() for i, e in ents.items()}
    # retype a person to the other person kind, dropping the links the vocabulary no longer allows
    who = daniel if daniel["kind"] == "CHILD" else mia
    kinds[who["id"]] = "person_of_concern"
    retype = [{"entity": who["id"], "kind": "PERSON_OF_CONCERN"}]
    remove_links = []
    for r in p["links"]:
        if r["source"] in removed or r["target"] in removed:
            continue
        target = "service" if r["type"] == "OPEN_TO" else kinds[r["target"]]
        if not REL_TYPES[r["type"]].allows(kinds[r["source"]], target):
            remove_links.append(r["id"])
    # one link the writer decides against
    kept_links = [r for r in p["links"] if r["id"] not in remove_links and not {r["source"], r["target"]} & removed]
    remove_links.append(kept_links[0]["id"])
    # Daniel Okafor is the East person of concern p-1
    merges = [{"entity": daniel["id"], "into": "p-1"}] if kinds[daniel["id"]] == "person_of_concern" else []
    # the link the extraction missed, from the text selected
    start = NOTE.index("running Kyle")
    evidence = [start, start + len("running Kyle")]
    added = {
        "type": "EXPLOITS",
        "source": {"proposed": daniel["id"]},
        "target": {"proposed": kyle["id"]},
        "evidence": evidence,
    }
    if kinds[daniel["id"]] != "person_of_concern":
        added["source"] = {"existing": "p-1"}
    edits = {
        "remove": sorted(removed),
        "retype": retype,
        "merge": merges,
        "removeLinks": remove_links,
        "addLinks": [added],
    }
    before_entities = {e.id for e in store.iter_entities()}
    out = service.data(COMMIT, ana, text=NOTE, digest=p["digest"], edits=edits)["noteCommit"]
    ref = out["result"]["sourceRef"]
    assert out["result"]["status"] == "ingested" and ref == p["sourceRef"]
    stored = {e["id"]: e["stored"] for e in out["entities"]}
    # every entity shown and kept, and no other, under the id the preview said or a new one
    assert set(stored) == set(ents) - removed
    assert stored[kyle["id"]] == "c-1"
    if merges:
        assert stored[daniel["id"]] == "p-1"
    for eid, sid in stored.items():
        got = store.get(sid)
        assert got is not None and got.kind == kinds[eid] and ref in got.sources
        if ents[eid]["existing"] is None and not any(m["entity"] == eid for m in merges):
            assert sid not in before_entities and got.name == ents[eid]["name"]
    assert not [e for e in store.iter_entities() if e.name == "Eastgate Retail Park"]
    # every link shown, less those removed, plus the one added: nothing else from this note
    expected = set()
    for r in p["links"]:
        if r["id"] in remove_links or {r["source"], r["target"]} & removed:
            continue
        target = r["target"] if r["target"].startswith("svc-") else stored[r["target"]]
        expected.add((r["type"], *canonical_pair(r["type"], stored[r["source"]], target)))
    expected.add(("EXPLOITS", "p-1", "c-1"))
    assert facts(store, ref) == expected
    # the note is the source: its record keeps the edits, the added link its evidence
    (source,) = [r for r in store.records("sources") if r["id"] == ref]
    assert source["user"] == "ana" and source["review"]["removed"] == sorted(removed)
    assert source["review"]["links_added"] == [
        {"type": "EXPLOITS", "source": "p-1", "target": "c-1", "evidence": evidence}
    ]
    # logged with who and when
    recs = [r for r in log_of(_audit_log) if (r.get("detail") or {}).get("graphql") == "noteCommit"]
    assert {r["operation"] for r in recs} == {"collection", "alteration"}
    assert all(r["user"] == "ana" and r["time"] and r["detail"]["source_ref"] == ref for r in recs)
    assert set(stored.values()) == {s for r in recs for s in r["subjects"]} - {"svc-YJS"}
    # the same note again changes nothing, as POST /notes answers
    again = service.data(COMMIT, ana, text=NOTE, digest=p["digest"], edits=edits)["noteCommit"]
    assert again["result"] == {
        **out["result"],
        "status": "unchanged",
        "created": 0,
        "matched": 0,
        "relationshipsAdded": 0,
    }
    assert preview(service, ana)["recorded"] == ref
    status, _, body = service.call("POST", "/notes", ana, NOTE.encode(), "text/markdown", name="mace-east.md")
    assert status == 200 and json.loads(body)["status"] == "unchanged" and json.loads(body)["source_ref"] == ref


def test_a_note_shaped_like_markup_comes_back_as_text(service: Service) -> None:
    ana = service.token("analyst")
    text = NOTE.replace("Mia Rowe (13)", '<img src=x onerror="alert(1)"> Mia Rowe (13)')
    p = preview(service, ana, text)
    assert p["text"] == text
    mia = by_name(p, "Mia Rowe")
    assert all(text[a:b] == "Mia Rowe" for a, b in mia["mentions"])


def test_commit_refuses_a_stale_plan_in_the_library_too(store: Store) -> None:
    """The same checks without the service: a plan computed before the store changed."""
    from contextgraph.ingest.review import Edits, ReviewError
    from contextgraph.ingest.review import preview as plan
    from contextgraph.store import Filter

    scope = Filter.of(localities=["East"], handling=["P", "C"])
    p = plan(store, NOTE, "n.md", "ana", scope)
    from .data import ENTITIES, RELATIONSHIPS

    store.upsert(ENTITIES, RELATIONSHIPS)  # Kyle Benson is now on record: the note would file under him
    try:
        commit(store, NOTE, "n.md", "ana", scope, p.digest, Edits())
    except ReviewError as exc:
        assert exc.status == 409
    else:
        raise AssertionError("a stale plan was committed")
    assert not [r for r in store.records("sources")]


def test_a_note_is_neither_previewed_nor_recorded_by_initials(service: Service, store: Store) -> None:
    """A request asking for ``X-Names: initials`` is refused a note's preview and its record: the
    preview hands back the note's own words, and the records they match (a child's home among them,
    which a view by initials never shows). Nothing is written, and the refusal names no one."""
    store.upsert([Entity("c-Mia-Rowe-3", "child", "Mia Rowe", locality="East")], [])
    before = contents(store)
    ana, initials = service.token("analyst", ("East",), user="ana"), {"X-Names": "initials"}
    digest = preview(service, ana)["digest"]  # by names, the same writer is shown it
    asks = ((PREVIEW, {"text": NOTE, "name": "mace-east.md"}), (COMMIT, {"text": NOTE, "digest": digest}))
    for ask, variables in asks:
        status, body = service.post(ask, ana, variables=variables, headers=initials)
        said = body["errors"][0]["message"]
        assert status == 403 and said.startswith("a note's preview or record is not given by initials"), body
        assert "Initials only" in said and body.get("data") is None
        assert not any(n in json.dumps(body) for n in ("Mia", "Kyle", "Carrow", "c-Mia-Rowe-3"))
    assert contents(store) == before
