"""The access log: every operation of section 62 recorded, chained with a key, kept against the
store, written ahead of each write, fail closed."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest

from contextgraph.interchange.synth import SAMPLE_AREA
from contextgraph.service.audit import (
    ENV_AUDIT,
    ENV_AUDIT_KEY,
    ENV_MAX_SUBJECTS,
    GENESIS,
    HEAD_SLOT,
    AuditError,
    AuditLog,
    Journal,
    audit_folder,
    audit_path,
)
from contextgraph.service.audit.chain import LogState
from contextgraph.store import Store, open_store

from .cli import cg
from .data import ENTITIES, RELATIONSHIPS
from .service import Service


@pytest.fixture
def loaded(store: Store) -> Store:
    store.upsert(ENTITIES, RELATIONSHIPS)
    return store


def records(path: Path) -> list[dict[str, Any]]:
    """The log's records; a torn last line (an append cut short by a kill, without its line
    break) is no record, as the log itself reads it (it moves such a line aside when next opened)."""
    text = path.read_text()
    lines = text.split("\n")
    if not text.endswith("\n"):
        lines.pop()
    return [json.loads(x) for x in lines if x.strip()]


def verify(store: Store | None = None, log: Path | None = None) -> subprocess.CompletedProcess[str]:
    return cg("audit", "verify", *(["--log", str(log)] if log else []), store=store)


def test_every_operation_is_logged_with_user_purpose_and_recipient(loaded: Store, _audit_log: Path) -> None:
    assert cg("show", "c-1", "--user", "ana", "--purpose", "MACE 14 March", store=loaded).returncode == 0
    assert cg("search", "kyle", "--user", "ana", "--purpose", "MACE 14 March", store=loaded).returncode == 0
    out = _audit_log.parent / "export"
    res = cg("export", str(out), "--user", "ana", "--recipient", "CSC East", "--purpose", "strategy", store=loaded)
    assert res.returncode == 0, res.stderr
    assert cg("merge", "c-1", "c-4", "--user", "ana", "--reason", "same DOB", store=loaded).returncode == 0
    assert cg("split", "c-1", "c-4", "--user", "ana", "--reason", "twins", store=loaded).returncode == 0
    assert cg("erase", "c-3", "--user", "dpo", "--reason", "court order", store=loaded).returncode == 0
    assert cg("analyse", "--user", "ana", "--purpose", "LOG East", "--top", "2", store=loaded).returncode == 0
    log = records(_audit_log)
    assert [r["operation"] for r in log] == [
        "consultation",
        "consultation",
        "disclosure",
        "combination",
        "alteration",
        "erasure",
        "consultation",
    ]
    assert log[0]["subjects"] == ["c-1"] and log[0]["purpose"] == "MACE 14 March" and log[0]["user"] == "ana"
    assert "c-1" in log[1]["subjects"]
    assert log[2]["recipient"] == "CSC East" and log[2]["purpose"] == "strategy"
    assert log[3]["subjects"] == ["c-1", "c-4"] and log[3]["purpose"] == "same DOB"
    erasure = log[5]
    assert "c-3" not in json.dumps(erasure) and "Tyler" not in json.dumps(erasure)  # no erased data
    assert erasure["detail"]["erasure"] == loaded.erasures()[0].id
    assert all(str(r["time"]).endswith("Z") for r in log)
    assert [r["seq"] for r in log] == list(range(len(log)))
    # the store keeps the record of its last write: the erasure
    head = loaded.audit_head()
    assert head is not None and (head["seq"], head["hash"]) == (5, erasure["hash"])
    res = verify(loaded)
    assert res.returncode == 0 and "7 records, chain intact; the store's last write is record 5" in res.stdout
    listed = json.loads(cg("audit", "list", "--subject", "c-1", "--format", "json").stdout)
    assert {r["operation"] for r in listed} >= {"consultation", "combination", "alteration"}
    assert json.loads(cg("audit", "list", "--user", "dpo", "--format", "json").stdout)[0]["operation"] == "erasure"


def test_the_list_piped_is_not_cut_to_the_width_of_a_terminal(_audit_log: Path) -> None:
    """Piped (to a file, to grep), the listing is as wide as its cells: a time or a purpose is
    never cut short nor folded onto lines of its own, whatever the width of the terminal."""
    purpose = "MACE 14 March: the children seen at the Yard, and who takes them there"
    written = AuditLog(_audit_log).append("ana", "consultation", ["c-1"], purpose)
    listed = cg("audit", "list", columns=80)
    assert listed.returncode == 0, listed.stderr
    assert written["time"] in listed.stdout and purpose in listed.stdout, listed.stdout
    assert "…" not in listed.stdout


def test_every_table_piped_is_as_wide_as_its_cells(loaded: Store) -> None:
    """Not only the access log's: a search's hits, piped at 80 columns, each on one line whole."""
    from contextgraph.model import Entity

    name = "Kyle Alexander Benson-Fitzwilliam of the Carrow Park skate area and Market Street"
    loaded.upsert([Entity("c-9", "child", name, aliases=["Kyle BF"], locality="East")])
    found = cg("search", "Kyle Alexander", "--purpose", "check", columns=80, store=loaded)
    assert found.returncode == 0, found.stderr
    assert any(name in line and "c-9" in line for line in found.stdout.splitlines()), found.stdout


def test_what_a_terminal_would_not_show_is_listed_as_an_escape(_audit_log: Path) -> None:
    """A recipient holding a right-to-left override or a line separator (not refused: a name may
    be written right to left) is listed with them as escapes, so it reads as it was given."""
    AuditLog(_audit_log).append("ana", "disclosure", [], "MACE", recipient="CSC \u202etsaE", detail={})
    listed = cg("audit", "list", columns=200).stdout
    assert "CSC \\u202etsaE" in listed and "\u202e" not in listed


def test_a_purpose_or_recipient_too_long_for_the_log_is_refused(
    loaded: Store, tmp_path: Path, _audit_log: Path
) -> None:
    """A purpose or a recipient is at most MOST_SAID characters: one could otherwise make each
    record of the access log as large as they liked."""
    from contextgraph.service.audit import MOST_SAID, AuditError

    long = "x" * (MOST_SAID + 1)
    for option in ("--purpose", "--recipient"):
        args = {"--purpose": "MACE", "--recipient": "CSC", option: long}
        r = cg("export", str(tmp_path / "o"), *(x for kv in args.items() for x in kv), store=loaded)
        assert r.returncode == 1 and f"error: {option}: at most {MOST_SAID} characters" in r.stderr, r.stderr
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())
    with pytest.raises(AuditError, match="at most"):
        AuditLog(_audit_log).append("ana", "disclosure", [], "MACE", recipient=long, detail={})
    assert (
        cg("export", str(tmp_path / "p"), "--purpose", "x" * MOST_SAID, "--recipient", "CSC", store=loaded).returncode
        == 0
    )


def test_a_writers_reason_and_name_are_held_to_what_the_log_keeps(loaded: Store, _audit_log: Path) -> None:
    """A reason given at the command line (merge, split, erase, review) is recorded as the write's
    purpose: at most MOST_SAID characters, and free text holding no control character but a tab or a
    line break; --user holds none. Refused, naming the option, before anything is done."""
    from contextgraph.service.audit import MOST_SAID

    before = len(AuditLog(_audit_log).records()) if _audit_log.exists() else 0
    for args, told in (
        (
            ["merge", "c-1", "c-4", "--reason", "same\x1b]8;;http://x\x1b\\ boy"],
            "--reason: holds a control character (\\x1b)",
        ),
        (["split", "c-1", "c-4", "--reason", "x" * (MOST_SAID + 1)], f"--reason: at most {MOST_SAID} characters"),
        (["erase", "c-1", "--reason", "lawful", "--user", "ev\x1b[2Jil"], "--user: holds a control character (\\x1b)"),
        (["review", "list", "--user", "a\x07"], "--user: holds a control character (\\x07)"),
    ):
        r = cg(*args, store=loaded)
        assert r.returncode == 1 and told in r.stderr, (args, r.stderr)
    assert loaded.canonical_id("c-4") == "c-4" and loaded.get("c-1") is not None
    assert (len(AuditLog(_audit_log).records()) if _audit_log.exists() else 0) == before
    r = cg("merge", "c-1", "c-4", "--reason", "same boy\r\nsame school", store=loaded)
    assert r.returncode == 0, r.stderr


def test_consultation_and_disclosure_need_a_purpose(loaded: Store, _audit_log: Path, tmp_path: Path) -> None:
    for args in (
        ["show", "c-1"],
        ["search", "kyle"],
        ["analyse", "--top", "2"],
        ["export", str(tmp_path / "out"), "--recipient", "CSC"],
        ["show", "c-1", "--purpose", "  "],
    ):
        res = cg(*args, store=loaded)
        assert res.returncode == 1 and "needs --purpose" in res.stderr, args
        assert "Kyle" not in res.stdout
    assert not (tmp_path / "out" / "entities.jsonl").exists()
    assert not _audit_log.exists() or records(_audit_log) == []
    with pytest.raises(AuditError, match="needs its purpose"):
        AuditLog(_audit_log).append("ana", "consultation", ["c-1"])


def test_the_service_refuses_reads_and_disclosures_without_a_purpose(service: Service, _audit_log: Path) -> None:
    ana = service.token("analyst")
    for query in ('{ entity(id: "c-1") { name } }', '{ search(text: "kyle") { id } }'):
        status, body = service.post(query, ana, purpose="")
        assert status == 200 and "send X-Purpose" in body["errors"][0]["message"], body
        assert "Kyle" not in json.dumps(body)
    status, _, raw = service.call("GET", "/export", ana, recipient="CSC East")
    assert status == 400 and b"send X-Purpose" in raw
    # a purpose as a query parameter will do
    status, _, _ = service.call("GET", "/export", ana, recipient="CSC East", purpose="strategy")
    assert status == 200
    assert [r["operation"] for r in records(_audit_log)] == ["disclosure"]


def _plain_rehash(recs: list[dict[str, Any]]) -> list[str]:
    """What someone without the key can do: renumber and chain again with plain SHA-256."""
    prev, out = GENESIS, []
    for i, r in enumerate(recs):
        r = {**r, "seq": i, "prev": prev}
        body = {k: v for k, v in r.items() if k != "hash"}
        r["hash"] = hashlib.sha256(prev.encode() + json.dumps(body, sort_keys=True).encode()).hexdigest()
        prev = r["hash"]
        out.append(json.dumps(r))
    return out


@pytest.mark.parametrize("tamper", ["edit", "delete", "reorder", "delete-rehash", "rename-rehash", "cut", "replace"])
def test_verify_finds_a_changed_log(tmp_path: Path, tamper: str) -> None:
    log = AuditLog(tmp_path / "a.jsonl")
    for i in range(5):
        log.append("ana" if i != 2 else "bob", "consultation", [f"c-{i}"], purpose="meeting")
    assert log.verify() == []
    lines = log.path.read_text().splitlines()
    recs = [json.loads(x) for x in lines]
    if tamper == "edit":
        recs[1]["subjects"] = ["c-9"]
        lines[1] = json.dumps(recs[1])
    elif tamper == "delete":
        del lines[2]
    elif tamper == "reorder":
        lines[1], lines[2] = lines[2], lines[1]
    elif tamper == "delete-rehash":  # bob's look at c-2 removed, the rest chained again
        lines = _plain_rehash([r for r in recs if r["user"] != "bob"])
    elif tamper == "rename-rehash":
        lines = _plain_rehash([{**r, "user": "someone"} for r in recs])
    elif tamper == "cut":  # the last two records cut off
        lines = lines[:3]
    else:  # a fresh chain at seq 0, written with another key, put in its place
        other = AuditLog(tmp_path / "other" / "a.jsonl")
        other.append("ana", "consultation", ["c-0"], purpose="meeting")
        lines = other.path.read_text().splitlines()
    log.path.write_text("\n".join(lines) + "\n")
    problems = AuditLog(log.path).verify()
    assert problems, tamper
    if tamper.endswith("rehash"):
        assert any("keyed hash" in p for p in problems)
    if tamper == "cut":
        assert problems == [
            "the log ends at record 2 but its head file says 4: records were cut off the end, or the log was replaced"
        ]
    res = verify(log=log.path)
    assert res.returncode == 1 and "the access log has been changed" in res.stderr
    # a list of it says so after the records, and fails
    listed = cg("audit", "list", "--log", str(log.path))
    assert listed.returncode == 1 and "this list cannot be trusted" in listed.stderr and "consultation" in listed.stdout
    # nothing more is appended to a log that was cut off or replaced
    if tamper in ("cut", "replace", "delete-rehash", "rename-rehash", "delete"):
        with pytest.raises(AuditError):
            AuditLog(log.path).append("ana", "consultation", ["c-5"], purpose="meeting")


@pytest.mark.parametrize(
    ("how", "records"),
    [(how, n) for how in ("spoil", "zeros", "truncate", "move") for n in (1, 4, 5) if how != "truncate" or n % 2],
)
def test_a_head_slot_torn_by_a_crash_is_taken_over_but_one_spoilt_to_hide_a_cut_is_found(
    tmp_path: Path, records: int, how: str
) -> None:
    """The head file's two slots are written in turn, so a crash mid-write leaves the other. A torn
    slot always names a record the log holds (the head is written after its records are synced):
    the log is taken up again. Hiding a cut of the newest record without the key — its slot
    spoilt, zeroed, cut off the file, or the older slot copied over it — would leave the older
    slot seeming to be the head: ``verify`` finds it, and every write stops."""
    log = AuditLog(tmp_path / "a.jsonl")
    for i in range(records):
        log.append("ana", "consultation", [f"c-{i}"], purpose="meeting")
    newest = HEAD_SLOT * (records % 2)  # record records - 1 is in slot (seq + 1) % 2 (cut off the file's end if 1)

    def hide() -> None:
        raw = bytearray(log.head_path.read_bytes())
        if how == "truncate":
            del raw[HEAD_SLOT:]
        elif how == "move":
            raw[newest : newest + HEAD_SLOT] = raw[HEAD_SLOT - newest : 2 * HEAD_SLOT - newest]
        else:
            raw[newest : newest + HEAD_SLOT] = (
                b"{" + b" " * (HEAD_SLOT - 2) + b"\n" if how == "spoil" else bytes(HEAD_SLOT)
            )
        log.head_path.write_bytes(bytes(raw))

    kept = log.path.read_bytes(), log.head_path.read_bytes()
    if how in ("spoil", "zeros"):  # as a crash would leave it: the record it named is in the log
        hide()
        assert AuditLog(log.path).verify() == []
        AuditLog(log.path).append("ana", "consultation", ["c-9"], purpose="meeting")
        assert AuditLog(log.path).verify() == []
        log.path.write_bytes(kept[0])
        log.head_path.write_bytes(kept[1])
    # hidden and cut: the newest record (a look at a child) removed with its slot
    hide()
    log.path.write_text("".join(f"{x}\n" for x in log.path.read_text().splitlines()[:-1]))
    cut = "the head file's newer slot is damaged or missing and the log ends at the record its older slot names"
    assert [p for p in AuditLog(log.path).verify() if cut in p], AuditLog(log.path).verify()
    res = verify(log=log.path)
    assert res.returncode == 1 and "the access log has been changed" in res.stderr
    with pytest.raises(AuditError, match="records after it were cut off the end"):
        AuditLog(log.path).append("ana", "consultation", ["c-5"], purpose="meeting")


@pytest.mark.parametrize("torn", [False, True])
@pytest.mark.parametrize("first", [0, 3])
def test_a_cut_hidden_after_a_write_of_several_records_is_found(tmp_path: Path, first: int, torn: bool) -> None:
    """A write of several records leaves the head of the one before its last in the other slot, so
    the other slot is always one record behind: cutting the newest off the end with its slot
    spoilt (a first write of two, the whole log wiped, too) is found, as after a write of one."""
    log = AuditLog(tmp_path / "a.jsonl")
    for i in range(first):
        log.append("ana", "consultation", [f"c-{i}"], purpose="meeting")
    log.append_many("ana", None, [("collection", ["c-7"], {}), ("alteration", ["c-8"], {})])
    newest = HEAD_SLOT * ((first + 2) % 2)
    raw = bytearray(log.head_path.read_bytes())
    older = orjson.loads(bytes(raw[HEAD_SLOT - newest : 2 * HEAD_SLOT - newest]).strip())
    assert older["seq"] == first  # one behind the newest, first + 1
    raw[newest : newest + 10] = b"x" * 10
    log.head_path.write_bytes(bytes(raw))
    # (and, torn, a byte after the cut to pass it off as an append a crash cut short)
    log.path.write_text("".join(f"{x}\n" for x in log.path.read_text().splitlines()[:-1]) + ("{" if torn else ""))
    assert [p for p in AuditLog(log.path).verify() if "records after it were cut off the end" in p]
    with pytest.raises(AuditError):
        AuditLog(log.path).append("ana", "consultation", ["c-5"], purpose="meeting")
    assert [p for p in AuditLog(log.path).verify() if "records after it were cut off the end" in p]


def test_a_new_head_file_cut_short_by_a_crash_is_taken_up(tmp_path: Path) -> None:
    """A new log's head file is written second slot first: a crash before the first leaves only
    the second, and the log is taken up as new."""
    log = AuditLog(tmp_path / "a.jsonl")
    log.append("ana", "consultation", ["c-1"], purpose="meeting")
    fresh = AuditLog(tmp_path / "b" / "a.jsonl")
    fresh.key_path.parent.mkdir(parents=True, exist_ok=True)
    fresh.key_path.write_bytes(log.key_path.read_bytes())
    fresh.folder.mkdir(parents=True)
    fresh._write_head(LogState())  # as a new log's is written
    half = fresh.head_path.read_bytes()
    fresh.head_path.write_bytes(bytes(HEAD_SLOT) + half[HEAD_SLOT:])  # the first slot never written
    fresh.path.write_bytes(b"")
    assert fresh.verify() == []
    AuditLog(fresh.path).append("ana", "consultation", ["c-2"], purpose="meeting")
    assert AuditLog(fresh.path).verify() == []


def test_the_key_is_kept_apart_owner_only_and_needed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = AuditLog(tmp_path / "team.audit.jsonl")
    log.append("ana", "consultation", ["c-1"], purpose="meeting")
    key = tmp_path / "team.audit.key"
    assert log.key_path == key and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().strip() not in log.path.read_text()
    elsewhere = tmp_path / "keys" / "audit.key"
    monkeypatch.setenv(ENV_AUDIT_KEY, str(elsewhere))
    other = AuditLog(tmp_path / "b.jsonl")
    other.append("ana", "consultation", ["c-1"], purpose="meeting")
    assert elsewhere.exists() and stat.S_IMODE(elsewhere.stat().st_mode) == 0o600
    # without its key a log can neither be checked nor continued, and a new key is not made for it
    elsewhere.unlink()
    assert any("key is missing" in p for p in AuditLog(other.path).verify())
    with pytest.raises(AuditError, match="key is missing"):
        AuditLog(other.path).append("ana", "consultation", ["c-1"], purpose="meeting")
    assert not elsewhere.exists()


def test_the_store_and_every_file_of_its_log_are_their_owners_only(tmp_path: Path) -> None:
    """The embedded store holds children's records, and its access log who looked at which child and
    why: every file either makes (the database and its journal, the log, its head, its manifests, its
    lock) is readable by its owner only, and its folder theirs alone, whatever the umask."""
    before = os.umask(0o022)
    try:
        store = open_store(f"sqlite:///{tmp_path / 'team.db'}")
        store.upsert(ENTITIES, RELATIONSHIPS)
        log = AuditLog(tmp_path / "team.audit.jsonl")
        log.append("ana", "consultation", [f"c-{i}" for i in range(1001)], purpose="meeting")  # to a manifest
        Journal.attach(log, store)
        store.close()
    finally:
        os.umask(before)
    made = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert {p.name for p in made} >= {"team.db", "team.audit.jsonl", "head", "write.lock", "0.json"}, made
    loose = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in made if stat.S_IMODE(p.stat().st_mode) & 0o077}
    assert not loose
    folders = [p for p in tmp_path.rglob("*") if p.is_dir()]
    assert folders and not [p.name for p in folders if stat.S_IMODE(p.stat().st_mode) & 0o077]


def test_a_store_in_memory_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store held in memory (``sqlite:///:memory:``) makes no file of that name where it is run."""
    monkeypatch.chdir(tmp_path)
    with open_store("sqlite:///:memory:") as store:
        store.upsert(ENTITIES, RELATIONSHIPS)
    assert not list(tmp_path.iterdir())


def test_a_torn_last_line_is_moved_aside_not_a_lock_out(loaded: Store, _audit_log: Path) -> None:
    assert cg("show", "c-1", "--purpose", "meeting", store=loaded).returncode == 0
    whole = _audit_log.read_bytes()
    torn = b'{"seq":1,"time":"2025-01-0'
    _audit_log.write_bytes(whole + torn)  # an append cut short by a crash
    res = verify(loaded)
    assert res.returncode == 0 and "torn last line" in res.stderr
    res = cg("show", "c-2", "--purpose", "meeting", store=loaded)
    assert res.returncode == 0 and "Zo" in res.stdout, res.stderr
    assert "moved aside" in res.stderr
    aside = list(audit_folder(_audit_log).glob("torn-*.jsonl"))
    assert len(aside) == 1 and aside[0].read_bytes() == torn
    log = records(_audit_log)
    assert [r["operation"] for r in log] == ["consultation", "recovery", "consultation"]
    assert log[1]["detail"]["sha256"] == hashlib.sha256(torn).hexdigest() and log[1]["detail"]["bytes"] == len(torn)
    assert verify(loaded).returncode == 0


def test_a_write_the_store_refuses_is_marked_not_committed(loaded: Store, _audit_log: Path) -> None:
    res = cg("merge", "c-1", "l-1", "--reason", "same", store=loaded)
    assert res.returncode == 1 and "cannot merge a child with a location" in res.stderr
    log = records(_audit_log)
    assert [r["operation"] for r in log] == ["combination", "recovery"]
    assert log[0]["write"] == {"transactions": 1, "records": [0]}
    assert log[1]["detail"]["write"] == 0 and log[1]["detail"]["committed_transactions"] == 0
    assert "cannot merge" in log[1]["detail"]["reason"]
    assert loaded.audit_head() is None  # nothing was committed
    assert verify(loaded).returncode == 0


def test_a_log_cut_off_replaced_or_missing_stops_writes_and_the_service(
    loaded: Store, _audit_log: Path, tmp_path: Path
) -> None:
    assert cg("merge", "c-1", "c-4", "--reason", "same DOB", store=loaded).returncode == 0
    assert cg("show", "c-1", "--purpose", "meeting", store=loaded).returncode == 0
    kept = tmp_path / "kept"
    kept.mkdir()
    shutil.copy(_audit_log, kept / "log")
    folder = audit_folder(_audit_log)
    # cut off: the last record (a consultation) removed
    _audit_log.write_text("\n".join(_audit_log.read_text().splitlines()[:1]) + "\n")
    for args in (["split", "c-1", "c-4", "--reason", "twins"], ["show", "c-1", "--purpose", "meeting"]):
        res = cg(*args, store=loaded)
        assert res.returncode == 1 and "cut off" in res.stderr, res.stderr
    assert verify(loaded).returncode == 1
    # moved away with its folder while the store has writes: a new chain is not started
    _audit_log.unlink()
    shutil.rmtree(folder)
    res = cg("split", "c-1", "c-4", "--reason", "twins", store=loaded)
    assert res.returncode == 1 and "the store's last write is access record 0 but the log is missing" in res.stderr
    assert loaded.canonical_id("c-4") == "c-1"  # nothing was done
    res = verify(loaded)
    assert res.returncode == 1 and "missing" in res.stderr
    if loaded.url.startswith("sqlite"):
        res = cg("serve", "--port", "1", store=loaded)
        assert res.returncode == 1 and "the log is missing" in res.stderr, res.stderr
    # replaced by a fresh chain at seq 0 (with its own head file), as a service would start one
    for p in (_audit_log, folder):
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink(missing_ok=True)
    AuditLog(_audit_log).append("ana", "consultation", ["c-2"], purpose="meeting")
    res = cg("show", "c-1", "--purpose", "meeting", store=loaded)
    assert res.returncode == 1 and "not the log's" in res.stderr, res.stderr
    assert verify(loaded).returncode == 1


def test_the_running_service_stops_when_its_log_is_moved_away(service: Service, _audit_log: Path) -> None:
    ana = service.token("analyst")
    assert service.data('{ entity(id: "c-1") { name } }', ana)["entity"]["name"] == "Kyle Benson"
    _audit_log.rename(_audit_log.with_name("moved.jsonl"))
    shutil.rmtree(audit_folder(_audit_log))
    _, body = service.post('{ entity(id: "c-1") { name } }', ana)
    assert "the access log cannot be written" in body["errors"][0]["message"] and "Kyle" not in json.dumps(body)
    assert not _audit_log.exists() or _audit_log.read_text() == ""


def test_service_writes_are_logged_ahead_and_named(service: Service, store: Store, _audit_log: Path) -> None:
    ana = service.token("analyst")
    mutation = "mutation($e: EntityInput!) { upsertEntity(entity: $e) { id } }"
    new = {"id": "c-9", "kind": "CHILD", "name": "Ruby Lane", "locality": "East", "sourceRef": "log-east-1"}
    kept = service.data(mutation, ana, e=new)["upsertEntity"]["id"]  # a new record's id, as stored
    service.data(mutation, ana, e={**new, "id": kept, "aliases": ["Rubes"]})
    merge = 'mutation { merge(a: "c-1", b: "c-4", reason: "same DOB") { id } }'
    service.data(merge, ana)
    log = records(_audit_log)
    assert [(r["operation"], r["subjects"]) for r in log] == [
        ("collection", [kept]),
        ("alteration", [kept]),
        ("combination", ["c-1", "c-4"]),
    ]
    assert all(r["write"]["transactions"] == 1 for r in log)
    head = store.audit_head()
    assert head is not None and (head["seq"], head["hash"]) == (2, log[2]["hash"])
    # an import's merge judgement is a combination, an existing entity asserted again an alteration
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(
            "entities.jsonl",
            json.dumps({"id": "c-2", "kind": "child", "name": "Zoë Ahmed", "aliases": ["Zo"], "locality": "East"})
            + "\n"
            + json.dumps({"id": "c-20", "kind": "child", "name": "Amy Ray", "locality": "East"})
            + "\n",
        )
        z.writestr("relationships.jsonl", "")
        z.writestr(
            "judgements.jsonl", json.dumps({"kind": "merge", "a": "c-2", "b": kept, "reason": "same girl"}) + "\n"
        )
    status, _, raw = service.call("POST", "/import", ana, buf.getvalue(), "application/zip", "monthly load")
    assert status == 200, raw
    created = json.loads(raw)["ids"].get("c-20", "c-20")
    log = records(_audit_log)[3:]
    assert [(r["operation"], r["subjects"]) for r in log] == [
        ("collection", [created]),
        ("alteration", ["c-2"]),
        ("combination", ["c-2", kept]),
    ]
    assert {r["purpose"] for r in log} == {"monthly load"} and log[0]["detail"]["rest"] == "import"
    assert AuditLog(_audit_log).check(store.audit_head(), True).problems == []


def test_thousands_of_subjects_go_to_a_manifest_covered_by_the_chain(
    store: Store, _audit_log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contextgraph.interchange.synth import generate

    generate(children=60, seed=1).write(tmp_path / "area")
    monkeypatch.setenv(ENV_MAX_SUBJECTS, "20")
    res = cg("import", str(tmp_path / "area"), store=store)
    assert res.returncode == 0, res.stderr
    (rec,) = records(_audit_log)
    ids = [json.loads(x)["id"] for x in (tmp_path / "area" / "entities.jsonl").read_text().splitlines()]
    assert rec["operation"] == "collection" and rec["subjects"] == []
    assert rec["manifest"]["count"] == len(set(ids)) and rec["manifest"]["file"] == "manifests/0.json"
    manifest = audit_folder(_audit_log) / "manifests" / "0.json"
    assert set(json.loads(manifest.read_text())["subjects"]) == set(ids)
    listed = json.loads(cg("audit", "list", "--subject", ids[7], "--format", "json").stdout)
    assert [r["seq"] for r in listed] == [0] and ids[7] in listed[0]["subjects"]
    assert verify(store).returncode == 0
    manifest.write_text(manifest.read_text().replace(ids[7], "c-elsewhere"))
    res = verify(store)
    assert res.returncode == 1 and "manifest" in res.stderr
    with pytest.raises(AuditError, match="CONTEXTGRAPH_AUDIT_MAX_SUBJECTS"):
        monkeypatch.setenv(ENV_MAX_SUBJECTS, "none")
        AuditLog(tmp_path / "x.jsonl").append("ana", "consultation", ["c-1"], purpose="meeting")


def test_fail_closed_when_the_log_cannot_be_written(
    loaded: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "ro"
    blocked.mkdir()
    (blocked / "log.jsonl").mkdir()  # a folder where the file should be: nothing can be appended
    monkeypatch.setenv(ENV_AUDIT, str(blocked / "log.jsonl"))
    res = cg("show", "c-1", "--purpose", "meeting", store=loaded)
    assert res.returncode == 1 and "cannot write the access log" in res.stderr and "Kyle" not in res.stdout
    res = cg("erase", "c-2", "--reason", "court order", store=loaded)
    assert res.returncode == 1 and loaded.get("c-2") is not None  # nothing was done
    with pytest.raises(AuditError, match="needs its recipient"):
        AuditLog(tmp_path / "x.jsonl").append("ana", "disclosure", [], purpose="strategy")
    with pytest.raises(AuditError, match="unknown operation"):
        AuditLog(tmp_path / "x.jsonl").append("ana", "peek", [])


def test_the_log_lives_beside_a_sqlite_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_AUDIT)
    assert audit_path("sqlite:///data/team.db") == Path("data/team.audit.jsonl")
    assert audit_path("neo4j://neo4j:pw@host:7687") == Path("contextgraph.service.audit.jsonl")
    monkeypatch.setenv(ENV_AUDIT, os.path.join("logs", "a.jsonl"))
    assert audit_path("sqlite:///x.db") == Path("logs/a.jsonl")
    assert AuditLog(Path("logs/a.jsonl")).key_path == Path("logs/a.audit.key")


# --- kill -9 in the middle of a write ----------------------------------------------------------

KILL_SEEDS = range(8)
"""Each seed picks a moment to kill the command at: even seeds anywhere between its start and its
usual end; odd seeds a moment after its first write's record reached the log, so that the kill
falls between a record and its commit as often as not."""


def _snapshot(url: str) -> tuple[list[str], list[str]]:
    s = open_store(url)
    try:
        ents = sorted(json.dumps(e.to_json(), sort_keys=True) for e in s.iter_entities())
        rels = sorted(repr(r) for r in s.iter_relationships())
        return ents, rels
    finally:
        s.close()


def _assertions(url: str) -> dict[str | None, set[tuple[Any, ...]]]:
    """Every assertion in the store, by the note (source) that made it."""
    s = open_store(url)
    try:
        out: dict[str | None, set[tuple[Any, ...]]] = {}
        for r in s.iter_relationships():
            for a in r.assertions:
                out.setdefault(a.source_ref, set()).add((r.type, a.subject, a.object, a.date, a.grading))
        return out
    finally:
        s.close()


def _killed(args: list[str], url: str, log: Path, seed: int, took: float) -> tuple[str, bool]:
    """Run the command and SIGKILL it at a moment drawn by ``seed`` (see :data:`KILL_SEEDS`):
    where it was killed, and whether it had already finished."""
    rnd = random.Random(seed)
    scratch = log.parent / f"tmp-{seed}"  # what a process killed outright cannot clean up stays here
    scratch.mkdir(exist_ok=True)
    env = {**os.environ, "NO_COLOR": "1", "TMPDIR": str(scratch)}
    cmd = [sys.executable, "-m", "contextgraph", *args, "--store", url]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    start = time.monotonic()
    if seed % 2 == 0:
        delay = rnd.uniform(0.2, took)
        where = f"{delay:.2f}s after start"
    else:
        while p.poll() is None and not (log.exists() and b'"write":' in log.read_bytes()):
            time.sleep(0.002)
        delay = rnd.uniform(0.0, min(0.6, took / 3))
        where = f"{delay:.2f}s after its first write's record ({time.monotonic() - start:.2f}s after start)"
    try:
        p.wait(timeout=max(0.0, delay - (time.monotonic() - start)) if seed % 2 == 0 else delay)
        return where, True
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGKILL)
        p.wait()
        return where, False


def _not_committed(log: list[dict[str, Any]]) -> set[int]:
    """Anchors of writes a recovery record says were not committed."""
    return {
        r["detail"]["write"]
        for r in log
        if r["operation"] == "recovery" and "write" in r["detail"] and not r["detail"]["committed_transactions"]
    }


def _reference(args: list[str], root: Path, settings: Path | None = None) -> tuple[str, float]:
    env = {**os.environ, ENV_AUDIT: str(root / "ref.audit.jsonl")}
    url = f"sqlite:///{root / 'ref.db'}"
    if settings is not None:  # the area's localities, configured first
        cmd = [sys.executable, "-m", "contextgraph", "localities", "import", str(settings), "--store", url]
        assert subprocess.run(cmd, env=env, capture_output=True, text=True).returncode == 0
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "contextgraph", *args, "--store", url], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return url, time.monotonic() - start


Reference = tuple[Path, tuple[list[str], list[str]], float]


@pytest.fixture(scope="module")
def big_area(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """A generated area that takes a second or two to import, the store an uninterrupted import
    of it gives, and how long that took."""
    from contextgraph.interchange.synth import generate

    root = tmp_path_factory.mktemp("kill-import")
    generate(children=3000, seed=5).write(root / "area")
    url, took = _reference(["import", str(root / "area")], root)
    return root / "area", _snapshot(url), took


@pytest.mark.parametrize("seed", KILL_SEEDS)
def test_import_killed_at_random_leaves_a_whole_store_and_a_true_log(
    seed: int, big_area: Reference, tmp_path: Path, _audit_log: Path
) -> None:
    area, reference, took = big_area
    url = f"sqlite:///{tmp_path / 'k.db'}"
    where, finished = _killed(["import", str(area)], url, _audit_log, seed, took)
    res = cg("audit", "verify", "--store", url)
    assert res.returncode == 0 or "no access log" in res.stderr, (where, res.stderr)  # killed before it began
    ents, rels = _snapshot(url)
    s = open_store(url)
    head = s.audit_head()
    s.close()
    log = records(_audit_log) if _audit_log.exists() else []
    if ents or rels:  # committed: all of it, with its record named by the store
        assert (ents, rels) == reference, where
        assert head is not None
        anchor = next(r for r in log if r["seq"] == head["seq"])
        assert anchor["operation"] == "collection" and anchor["manifest"]["count"] == len(reference[0])
        assert anchor["seq"] not in _not_committed(log)
    else:
        assert head is None
    # run again to the end: the same store as an import never interrupted
    again = cg("import", str(area), "--store", url)
    assert again.returncode == 0, again.stderr
    assert _snapshot(url) == reference
    assert cg("audit", "verify", "--store", url).returncode == 0
    after = records(_audit_log)
    cut = [r for r in log if "write" in r] if not (ents or rels) else []
    if cut:  # the write cut off is marked by the run that found it
        assert cut[-1]["seq"] in _not_committed(after)
    rerun = [r for r in after[len(log) :] if r["operation"] in ("collection", "alteration")]
    assert rerun and all(r["subjects"] or r.get("manifest") for r in rerun)  # named, not anonymous
    print(f"KILL import seed {seed}: {where}; finished={finished}; committed={bool(ents)}; cut write={bool(cut)}")


@pytest.fixture(scope="module")
def notes_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[list[str], list[str]], float, Any]:
    from .conftest import SHARED

    root = tmp_path_factory.mktemp("kill-ingest")
    folder = root / "notes"
    folder.mkdir()
    for note in sorted((SHARED / "corpus" / "notes").glob("*.md")):
        if note.name != "README.md":
            shutil.copy(note, folder / note.name)
    (root / "area.json").write_text(json.dumps(SAMPLE_AREA.to_json()), encoding="utf-8")
    url, took = _reference(["ingest", str(folder)], root, root / "area.json")
    return folder, _snapshot(url), took, _assertions(url)


@pytest.mark.parametrize("seed", KILL_SEEDS)
def test_ingest_killed_at_random_leaves_whole_notes_each_with_its_record(
    seed: int, notes_folder: tuple[Path, tuple[list[str], list[str]], float, Any], tmp_path: Path, _audit_log: Path
) -> None:
    folder, reference, took, by_source = notes_folder
    url = f"sqlite:///{tmp_path / 'k.db'}"
    assert cg("localities", "import", str(folder.parent / "area.json"), "--store", url).returncode == 0
    where, finished = _killed(["ingest", str(folder)], url, _audit_log, seed, took)
    res = cg("audit", "verify", "--store", url)
    assert res.returncode == 0 or "no access log" in res.stderr, (where, res.stderr)
    s = open_store(url)
    sources = [r["id"] for r in s.records("sources")]
    s.close()
    log = records(_audit_log) if _audit_log.exists() else []
    logged = {r["detail"].get("source_ref"): r["seq"] for r in log if "write" in r}
    for src in sources:  # every note committed has its record, not marked as not committed
        assert src in logged and logged[src] not in _not_committed(log), (where, src)
    # each note committed is whole: every assertion it makes in an uninterrupted run, and no other
    got = _assertions(url)
    assert set(got) <= set(sources) | {None}
    for src in sources:
        assert got.get(src, set()) == by_source.get(src, set()), (where, src)
    again = cg("ingest", str(folder), "--store", url)
    assert again.returncode == 0, again.stderr
    assert _snapshot(url) == reference
    assert cg("audit", "verify", "--store", url).returncode == 0
    print(f"KILL ingest seed {seed}: {where}; finished={finished}; notes committed={len(sources)} of 30")
