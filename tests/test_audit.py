"""The access log: every operation of section 62 recorded, hash-chained, fail closed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from contextgraph.audit import ENV_AUDIT, AuditError, AuditLog, audit_path
from contextgraph.store import Store

from .data import ENTITIES, RELATIONSHIPS
from .test_cli_interchange import cg


@pytest.fixture
def loaded(store: Store) -> Store:
    store.upsert(ENTITIES, RELATIONSHIPS)
    return store


def records(path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def test_every_operation_is_logged_with_user_purpose_and_recipient(loaded: Store, _audit_log: Path) -> None:
    assert cg("show", "c-1", "--user", "ana", "--purpose", "MACE 14 March", store=loaded).returncode == 0
    assert cg("search", "kyle", "--user", "ana", store=loaded).returncode == 0
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
    assert log[3]["subjects"] == ["c-1", "c-4"]
    erasure = log[5]
    assert "c-3" not in json.dumps(erasure) and "Tyler" not in json.dumps(erasure)  # no erased data
    assert all(str(r["time"]).endswith("Z") for r in log)
    assert [r["seq"] for r in log] == list(range(len(log)))
    res = cg("audit", "verify")
    assert res.returncode == 0 and "7 records, chain intact" in res.stdout
    listed = json.loads(cg("audit", "list", "--subject", "c-1", "--format", "json").stdout)
    assert {r["operation"] for r in listed} >= {"consultation", "combination", "alteration"}
    assert json.loads(cg("audit", "list", "--user", "dpo", "--format", "json").stdout)[0]["operation"] == "erasure"


@pytest.mark.parametrize("tamper", ["edit", "delete", "reorder"])
def test_verify_finds_an_edited_deleted_or_moved_record(tmp_path: Path, tamper: str) -> None:
    log = AuditLog(tmp_path / "a.jsonl")
    for i in range(4):
        log.append("ana", "consultation", [f"c-{i}"], purpose="meeting")
    assert log.verify() == []
    lines = log.path.read_text().splitlines()
    if tamper == "edit":
        r = json.loads(lines[1])
        r["subjects"] = ["c-9"]
        lines[1] = json.dumps(r)
    elif tamper == "delete":
        del lines[2]
    else:
        lines[1], lines[2] = lines[2], lines[1]
    log.path.write_text("\n".join(lines) + "\n")
    problems = log.verify()
    assert problems and problems[0].startswith(("line 2", "line 3"))
    res = cg("audit", "verify", "--log", str(log.path))
    assert res.returncode == 1 and "the access log has been changed" in res.stderr
    # appending after tampering still chains on from the last line; the break stays visible
    log.append("ana", "consultation", ["c-5"])
    assert log.verify()


def test_fail_closed_when_the_log_cannot_be_written(
    loaded: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "ro"
    blocked.mkdir()
    (blocked / "log.jsonl").mkdir()  # a folder where the file should be: nothing can be appended
    monkeypatch.setenv(ENV_AUDIT, str(blocked / "log.jsonl"))
    res = cg("show", "c-1", store=loaded)
    assert res.returncode == 1 and "cannot write the access log" in res.stderr and "Kyle" not in res.stdout
    res = cg("erase", "c-2", "--reason", "court order", store=loaded)
    assert res.returncode == 1 and loaded.get("c-2") is not None  # nothing was done
    with pytest.raises(AuditError, match="needs its recipient"):
        AuditLog(tmp_path / "x.jsonl").append("ana", "disclosure", [])
    with pytest.raises(AuditError, match="unknown operation"):
        AuditLog(tmp_path / "x.jsonl").append("ana", "peek", [])


def test_the_log_lives_beside_a_sqlite_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_AUDIT)
    assert audit_path("sqlite:///data/team.db") == Path("data/team.audit.jsonl")
    assert audit_path("neo4j://neo4j:pw@host:7687") == Path("contextgraph.audit.jsonl")
    monkeypatch.setenv(ENV_AUDIT, os.path.join("logs", "a.jsonl"))
    assert audit_path("sqlite:///x.db") == Path("logs/a.jsonl")
