"""Confidence on every extracted fact, the model that gives it, and the queue of facts below the threshold.

A queued fact is not in the graph until a person who may read its note accepts it; rejecting it
writes nothing; a person's erasure takes the queued facts naming them; another locality's queued
fact cannot be told from one that does not exist.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contextgraph.cli import app
from contextgraph.ingest.pipeline import ingest_paths
from contextgraph.ingest.queue import ReviewError, decide_review, reviews
from contextgraph.localities import Locality
from contextgraph.notes.confidence import ENV_THRESHOLD, Linear, Model, candidates, load_model, split
from contextgraph.notes.extract import extract, extract_parsed
from contextgraph.notes.parse import parse_note, read_note
from contextgraph.notes.record import tracked_names
from contextgraph.notes.training import corpus, train
from contextgraph.service.audit import AuditLog
from contextgraph.store import Filter, Store

from .cli import cg
from .conftest import SHARED
from .service import Service

CORPORA = [SHARED / "corpus" / "notes", SHARED / "corpus" / "notes-2"]

# the second sentence links Jay Reid and Tyrone Mitchell only through a hedged, negated statement
NOTE = """# MACE – East

**Date:** 18/01/2024

## Children

Jay Reid (14) is open to YJS and was seen at Carrow Park on 12/01.
Police believe an adult associate of Tyrone Mitchell may no longer be in contact with Jay Reid, though this is \
unconfirmed.
Ola Quist (15) attends Hillside Academy.
"""
DOUBTFUL = "Police believe an adult associate of Tyrone Mitchell"


def write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    return p


def related(store: Store, name: str) -> set[tuple[str, str]]:
    """(type, the other end's name, or a service's id) of each relationship of the entity named ``name``."""
    (e, _), *_ = store.search(name)
    rels = [r for r, _ in store.expand([e.id], Filter.of())]
    others = [r.target if r.source == e.id else r.source for r in rels]
    names = {x.id: x.name for x in store.get_many(others).values() if x.kind != "service"}
    return {(r.type, names.get(o, o)) for r, o in zip(rels, others, strict=True)}


# --- the model ----------------------------------------------------------------------------


def test_training_is_deterministic_given_the_seed(tmp_path: Path) -> None:
    data = corpus(CORPORA[1])
    a, b = train(data, ["notes-2"], seed=7), train(data, ["notes-2"], seed=7)
    assert a.to_json() == b.to_json()
    assert a.trained_on == ("notes-2",) and a.seed == 7 and a.rows["relationships"] > 100
    # the command writes the same file twice, and the file reads back as the model it wrote
    outs = [tmp_path / "m1.json", tmp_path / "m2.json"]
    for out in outs:
        r = CliRunner().invoke(app, ["train", "--corpus", str(CORPORA[1]), "--seed", "7", "--out", str(out)])
        assert r.exit_code == 0, r.output
    assert outs[0].read_bytes() == outs[1].read_bytes()
    doc = json.loads(outs[0].read_text())
    assert Model.from_json(doc).to_json() == a.to_json()
    # no feature names a word or a name of either corpus: only rules, kinds, types and measures
    for part in ("entities", "relationships"):
        for name in doc[part]["coef"]:
            assert "=" not in name or name.split("=")[0] in ("how", "found_by", "kind", "type"), name


def test_the_committed_model_was_trained_on_both_corpora() -> None:
    model = load_model()
    assert model is not None
    assert sorted(model.trained_on) == ["notes", "notes-2"] and 0.0 <= model.threshold <= 1.0


def test_every_fact_extract_gives_has_a_confidence_and_the_shape_is_kept() -> None:
    queued_seen = 0
    for folder in CORPORA:
        for note in sorted(folder.glob("*.md")):
            doc = extract(read_note(note), str(note))
            assert set(doc) == {"meeting", "entities", "relationships", "queued", "tracking"}
            for e in doc["entities"]:
                assert set(e) - {"aliases", "dob", "postcode", "mentions"} == {"id", "kind", "name", "confidence"}, e
                assert 0.0 <= e["confidence"] <= 1.0
            for r in doc["relationships"]:
                assert set(r) - {"grading", "evidence"} == {"type", "source", "target", "date", "confidence"}, r
                assert 0.0 <= r["confidence"] <= 1.0
            ids = {e["id"] for e in doc["entities"]}
            held = {e["id"] for e in doc["queued"]["entities"]}
            for q in doc["queued"]["entities"] + doc["queued"]["relationships"]:
                assert 0.0 <= q["confidence"] <= 1.0 and q["how"] and isinstance(q["sentence"], str)
                queued_seen += 1
            for r in doc["relationships"]:  # what is recorded never points at what is queued
                assert r["source"] in ids and (r["type"] == "OPEN_TO" or r["target"] in ids)
            for r in doc["queued"]["relationships"]:
                assert r["source"] in ids | held
            for t in doc["tracking"]:  # a tracking record names only what is recorded
                assert set(tracked_names(t)) <= ids, t
    assert queued_seen > 0


def test_a_relationship_whose_end_is_queued_is_queued_too() -> None:
    x = extract_parsed(parse_note(NOTE, "n.md"))
    cands = candidates(x, *x.document())
    # a model sure of every relationship, and unsure of places
    model = Model(Linear({"kind=location": -10.0}, 5.0), Linear({}, 5.0), 0.5, (), 0, {})
    doc = split(cands, model, 0.5)
    assert [e["name"] for e in doc["queued"]["entities"]] == ["Carrow Park"]
    (seen,) = doc["queued"]["relationships"]
    assert seen["type"] == "SEEN_AT" and seen["why"] == "an end is queued" and seen["confidence"] > 0.5
    assert "Carrow Park" in seen["sentence"] and seen["how"] == "place_cue"
    assert {r["type"] for r in doc["relationships"]} == {"OPEN_TO", "ASSOCIATES_WITH", "ATTENDS"}
    everything = extract(NOTE, "n.md", threshold=0.0)
    assert not everything["queued"]["entities"] and not everything["queued"]["relationships"]


def test_a_low_confidence_fact_is_not_written_but_queued_with_its_sentence(store: Store, tmp_path: Path) -> None:
    doc = extract(NOTE, "n.md")
    (low,) = doc["queued"]["relationships"]
    assert low["type"] == "ASSOCIATES_WITH" and DOUBTFUL in low["sentence"]
    rep = ingest_paths(store, [write(tmp_path, "n.md", NOTE)])
    assert rep.notes[0].facts_queued == 1
    assert ("ASSOCIATES_WITH", "Tyrone Mitchell") not in related(store, "Jay Reid")
    assert ("OPEN_TO", "svc-YJS") in related(store, "Jay Reid")
    (item,) = [r for r in reviews(store) if r.type == "fact"]
    assert DOUBTFUL in item.sentence and item.source_ref == rep.notes[0].source_ref
    assert item.confidence == low["confidence"] and "ASSOCIATES_WITH" in item.name


def test_accept_writes_the_fact_as_proposed_with_its_source_and_logs_it(
    store: Store, tmp_path: Path, _audit_log: Path
) -> None:
    rep = ingest_paths(store, [write(tmp_path, "n.md", NOTE)])
    (item,) = [r for r in reviews(store) if r.type == "fact"]
    r = cg("review", "accept", item.id, "--user", "dana", "--reason", "confirmed at the LOG", store=store)
    assert r.returncode == 0, r.stderr
    (e, _), *_ = store.search("Jay Reid")
    (rel,) = [x for x, _ in store.expand([e.id], Filter.of()) if x.type == "ASSOCIATES_WITH"]
    assert [a.source_ref for a in rel.assertions] == [rep.notes[0].source_ref]
    assert {r.id: r.status for r in reviews(store, pending_only=False)}[item.id] == "accepted"
    logged = [x for x in AuditLog(_audit_log).records() if (x.get("detail") or {}).get("review") == item.id]
    assert logged and logged[0]["user"] == "dana" and logged[0]["time"]
    again = cg("review", "accept", item.id, store=store)
    assert again.returncode == 1 and "already decided" in again.stderr


def test_reject_writes_nothing(store: Store, tmp_path: Path) -> None:
    ingest_paths(store, [write(tmp_path, "n.md", NOTE)])
    (item,) = [r for r in reviews(store) if r.type == "fact"]
    before = store.stats().to_json()
    decide_review(store, item.id, "reject", user="dana", reason="not so")
    assert store.stats().to_json() == before
    assert ("ASSOCIATES_WITH", "Tyrone Mitchell") not in related(store, "Jay Reid")
    with pytest.raises(ReviewError, match="already decided"):
        decide_review(store, item.id, "accept")


def test_a_queued_entity_comes_before_its_relationships(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_THRESHOLD, "0.9")
    ingest_paths(store, [write(tmp_path, "n.md", NOTE)])
    facts = [r for r in reviews(store) if r.type == "fact"]
    (person,) = [r for r in facts if r.name == "Tyrone Mitchell"]
    assert not store.search("Tyrone Mitchell")
    (link,) = [r for r in facts if person.id in r.needs]
    with pytest.raises(ReviewError, match="accept that one first"):
        decide_review(store, link.id, "accept")
    decide_review(store, person.id, "accept", user="dana")
    decide_review(store, link.id, "accept", user="dana")
    assert ("ASSOCIATES_WITH", "Jay Reid") in related(store, "Tyrone Mitchell")
    with pytest.raises(ReviewError, match="accept or reject"):
        decide_review(store, facts[0].id, "new")


def test_both_corpora_ingest_with_their_doubtful_facts_queued(store: Store) -> None:
    notes = [p for f in CORPORA for p in sorted(f.glob("*.md")) if p.name != "README.md"]
    # the localities the notes name, as the refusal of a note of a locality not configured says them
    refused = ingest_paths(store, notes)
    locs = store.localities()
    for name in sorted({m for n in refused.failed for m in re.findall(r"locality '([^']+)'", n.error or "")}):
        locs = locs.with_locality(Locality(name))
    store.set_localities(locs)
    rep = ingest_paths(store, notes)
    assert not rep.failed, [n.error for n in rep.failed]
    rep.notes = [n for n in [*refused.notes, *rep.notes] if n.status == "ingested"]
    facts = [r for r in reviews(store) if r.type == "fact"]
    assert len(facts) == rep.totals()["facts_queued"] > 0
    refs = {r["id"] for r in store.records("sources")}
    assert all(f.source_ref in refs and f.sentence and f.proposal for f in facts)


def test_erasure_takes_the_queued_facts_naming_the_person(store: Store, tmp_path: Path) -> None:
    ingest_paths(store, [write(tmp_path, "n.md", NOTE)])
    assert [r for r in reviews(store) if r.type == "fact"]
    (jay, _), *_ = store.search("Jay Reid")
    store.erase(jay.id, user="admin", reason="erasure request")
    left = [r for r in store.records("reviews") if DOUBTFUL in json.dumps(r)]
    assert left == []


def test_erasure_takes_the_queued_facts_of_others_whose_sentence_names_the_person(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A queued fact about a place and another child, read from a sentence naming the person
    erased, quoted them: it goes with them; a fact of the same note that does not name them stays."""
    monkeypatch.setenv(ENV_THRESHOLD, "0.99")  # every fact queued
    note = (
        "# MACE – East\nDate: 14/03/2024\n\n- Kyle Benson (14) was seen with Jordan Pike (14) at Carrow Park.\n"
        "- Mia Shaw (15) was seen at Larch Court.\n"
    )
    from contextgraph.model import Entity

    store.upsert([Entity("c-1", "child", "Kyle Benson", locality="East")], [])
    ingest_paths(store, [write(tmp_path, "n.md", note)])
    store.erase("c-1", user="admin", reason="erasure request")
    left = [r for r in reviews(store) if r.type == "fact"]
    assert not [r for r in left if "Kyle" in r.sentence], [r.sentence for r in left]
    assert [r for r in left if "Mia Shaw" in r.sentence]


def test_erasure_takes_the_queued_facts_naming_a_record_merged_into_the_person(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name of a record merged into the person erased counts as theirs: a queued fact whose
    sentence says it goes too (the merged records are read before they are erased)."""
    from contextgraph.model import Entity

    monkeypatch.setenv(ENV_THRESHOLD, "0.99")  # every fact queued
    store.upsert(
        [Entity("c-1", "child", "Kyle Benson", locality="East"), Entity("c-4", "child", "Ky Hartley", locality="East")],
        [],
    )
    store.merge("c-1", "c-4", user="ana", reason="the same boy")
    note = "# MACE – East\nDate: 14/03/2024\n\n- Mia Shaw (15) was seen with Ky Hartley at Larch Court.\n"
    ingest_paths(store, [write(tmp_path, "n.md", note)])
    assert [r for r in reviews(store) if r.type == "fact" and "Hartley" in r.sentence]
    store.erase("c-1", user="admin", reason="erasure request")
    assert not [r.sentence for r in reviews(store) if r.type == "fact" and "Hartley" in r.sentence]


def test_a_bad_threshold_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_THRESHOLD, "high")
    r = cg("eval-extract", str(CORPORA[0]))
    assert r.returncode == 1 and ENV_THRESHOLD in r.stderr and "Traceback" not in r.stderr


# --- need-to-know over the API --------------------------------------------------------------

QUEUED = "{ queuedFacts { total items { id fact kind confidence how sentence source status } } }"
DECIDE = 'mutation($id: ID!, $ok: Boolean!) { decideFact(id: $id, accept: $ok, reason: "checked") { id status } }'


def test_another_localitys_queued_fact_cannot_be_seen_nor_told_from_none(service: Service, store: Store) -> None:
    east = service.token("analyst", ("East",))
    status, _, body = service.call("POST", "/notes", east, NOTE.encode(), "text/markdown", "test", name="n.md")
    assert status == 200 and json.loads(body)["facts_queued"] == 1
    got = service.data(QUEUED, east)["queuedFacts"]
    assert got["total"] == 1 and DOUBTFUL in got["items"][0]["sentence"]
    rid = got["items"][0]["id"]
    west = service.token("analyst", ("West",), user="wes")
    assert service.data(QUEUED, west)["queuedFacts"] == {"total": 0, "items": []}
    real = service.error(DECIDE, west, id=rid, ok=True)
    invented = service.error(DECIDE, west, id="0123456789ab", ok=True)
    assert real == invented.replace("0123456789ab", rid)
    assert [r.status for r in reviews(store) if r.id == rid] == ["pending"]
    # a role that does not write sees no queue at all
    assert "does not allow" in service.error(QUEUED, service.token("mace", ("East",)))
    # nor is it given to a request asking for initials (it quotes the notes' words), nor decided by one
    for ask, variables in ((QUEUED, None), (DECIDE, {"id": rid, "ok": True})):
        _, body = service.post(ask, east, variables=variables, headers={"X-Names": "initials"})
        assert body["errors"][0]["message"].startswith("the review queue is not given by initials")
        assert "Tyrone" not in json.dumps(body)
    assert [r.status for r in reviews(store) if r.id == rid] == ["pending"]
    # the East analyst accepts it: the fact is in the graph, with the note as its source
    assert service.data(DECIDE, east, id=rid, ok=True)["decideFact"] == {"id": rid, "status": "accepted"}
    assert ("ASSOCIATES_WITH", "Tyrone Mitchell") in related(store, "Jay Reid")
    assert service.data(QUEUED, east)["queuedFacts"]["total"] == 0


# --- the cross-corpus figures --------------------------------------------------------------


def test_eval_extract_reports_the_cross_corpus_figures() -> None:
    r = CliRunner().invoke(app, ["eval-extract", *map(str, CORPORA), "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    scored = {Path(c["scored"]).name: c for c in doc["cross"]}
    assert set(scored) == {"notes", "notes-2"}
    assert scored["notes"]["trained_on"] == [str(CORPORA[1])]
    for c in scored.values():
        for method in ("rules", "priors", "model"):
            assert 0.0 < c[method]["relationships"]["f1"] <= 1.0
        # the rules' figures are every candidate: a threshold can only take facts away
        assert c["model"]["relationships"]["predicted"] <= c["rules"]["relationships"]["predicted"]
    table = CliRunner().invoke(app, ["eval-extract", *map(str, CORPORA)])
    assert "Unseen corpus" in table.output


def test_a_queued_fact_about_a_record_outside_the_deciders_view_is_not_written_by_them(
    service: Service, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A note read without a writer's scope (the command line) may match a place of another
    locality: an East analyst accepting its queued fact would change a West record they cannot
    see. It stays queued for one who may; an administrator's acceptance writes it."""
    from contextgraph.ingest.pipeline import ingest_text
    from contextgraph.model import Entity

    from .data import rel

    store.upsert(
        [
            Entity("c-1", "child", "Kyle Benson", locality="East"),
            Entity("l-2", "location", "14 Mill Road", locality="West"),
        ],
        [rel("SEEN_AT", "c-1", "l-2")],
    )
    monkeypatch.setenv(ENV_THRESHOLD, "0.99")  # every fact queued
    note = "# MACE – East\nDate: 14/03/2024\n\n- Jordan Pike (14) was seen at 14 Mill Road with Kyle Benson.\n"
    ingest_text(store, note, "n.md", user="cli")
    east = service.token("analyst", ("East",))
    touching = [it for it in reviews(store) if it.type == "fact" and "l-2" in (*it.ends, it.entity)]
    assert touching, [(it.name, it.ends) for it in reviews(store)]
    for it in reviews(store):  # the note's new child first, as its links need
        if it.type == "fact" and it not in touching and not it.needs:
            assert service.data(DECIDE, east, id=it.id, ok=True)["decideFact"]["status"] == "accepted"
    before = store.get("l-2")
    for it in touching:
        message = service.error(DECIDE, east, id=it.id, ok=True)
        assert "a record you may not change" in message, message
    assert store.get("l-2") == before and all(r.status == "pending" for r in reviews(store) if r in touching)
    admin = service.token("admin", ())
    for it in touching:
        assert service.data(DECIDE, admin, id=it.id, ok=True)["decideFact"]["status"] == "accepted"
