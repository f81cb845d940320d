"""Tracking records through the command line, as a new user runs it, on each store."""

from __future__ import annotations

import json
from pathlib import Path

from contextgraph.interchange.synth import generate
from contextgraph.store import Store

from .cli import cg


def test_a_sample_imports_with_its_records_and_a_timeline_reads_them(store: Store, tmp_path: Path) -> None:
    data = generate(children=300, seed=5)
    data.write(tmp_path / "area")
    assert cg("import", str(tmp_path / "area"), store=store).returncode == 0
    stats = json.loads(cg("stats", "--format", "json", store=store).stdout)
    assert sum(stats["tracking"].values()) == len(data.tracking) > 100
    # a child with a pathway: their records in date order, in words, and their moves
    child = next(t["subject"] for t in data.tracking if t["record"] == "risk_assessment")
    r = cg("timeline", child, "--format", "json", "--purpose", "test", store=store)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    dates = [x["date"] for x in doc["records"]]
    assert dates == sorted(dates) and all(x["text"] for x in doc["records"])
    mine = [t for t in data.tracking if child in (t["subject"], *t.get("with_children", []), *t.get("children", []))]
    assert {x["id"] for x in doc["records"]} == {t["id"] for t in mine}
    assert doc["pathway"][0]["direction"] == "first"
    table = cg("timeline", child, "--purpose", "test", store=store)
    assert table.returncode == 0 and "pathway:" in table.stdout
    assert cg("timeline", "nobody", "--purpose", "test", store=store).returncode == 1


def test_a_bad_record_is_named_by_file_and_line_and_nothing_is_written(store: Store, tmp_path: Path) -> None:
    area = tmp_path / "area"
    generate(children=200, seed=6).write(area)
    lines = (area / "tracking.jsonl").read_text().splitlines()
    bad = json.loads(lines[4])
    bad["record"], bad["level"] = "risk_assessment", "purple"
    bad = {k: v for k, v in bad.items() if k in ("id", "record", "subject", "date", "source", "recorded_by", "level")}
    lines[4] = json.dumps(bad)
    (area / "tracking.jsonl").write_text("\n".join(lines) + "\n")
    r = cg("import", str(area), store=store)
    assert r.returncode == 1
    assert "tracking.jsonl:5: field 'level': 'purple' is not one of green, amber, red" in r.stderr
    assert store.stats().to_json()["entities_total"] == 0 and list(store.iter_tracking()) == []


def test_a_timeline_for_a_reader_cleared_for_p_shows_only_what_they_may_see(store: Store) -> None:
    """``--clearance P``: the records graded P only, the entities named only under C left out of
    them, and an entity only C named answered as one that does not exist."""
    from contextgraph.model import Entity
    from contextgraph.model.tracked import Tracked

    def rec(i: str, kind: str, subject: str, grading: str, **fields: object) -> Tracked:
        base = {"id": i, "record": kind, "subject": subject, "date": "2025-03-01", "source": f"form-{i}"}
        return Tracked.from_json({**base, "recorded_by": "u", "grading": grading, **fields})

    store.upsert(
        [
            Entity("k1", "child", "Amy Stone", locality="East", handling=["P"]),
            Entity("k2", "child", "Kyle Hidden", locality="East", handling=["C"]),
            Entity("l1", "location", "Mill Lane Park", locality="East", handling=["P"]),
        ],
        [],
    )
    store.record_tracking(
        [
            rec("m1", "missing_episode", "k1", "1A P", found_at="l1", with_children=["k2"]),
            rec("m2", "missing_episode", "k1", "1A C"),
            rec("m3", "missing_episode", "k2", "1A P"),
        ]
    )
    full = json.loads(cg("timeline", "k1", "--format", "json", "--purpose", "test", store=store).stdout)
    assert {x["id"] for x in full["records"]} == {"m1", "m2"} and "Kyle Hidden" in json.dumps(full)
    r = cg("timeline", "k1", "--format", "json", "--purpose", "test", "--clearance", "P", store=store)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [x["id"] for x in doc["records"]] == ["m1"]
    assert "k2" not in json.dumps(doc) and "Kyle" not in json.dumps(doc) and "Mill Lane Park" in json.dumps(doc)
    hidden = cg("timeline", "k2", "--purpose", "test", "--clearance", "P", store=store)
    missing = cg("timeline", "nobody", "--purpose", "test", "--clearance", "P", store=store)
    assert hidden.returncode == missing.returncode == 1
    assert hidden.stderr.replace("k2", "ID") == missing.stderr.replace("nobody", "ID")  # no oracle
    assert cg("timeline", "k1", "--purpose", "test", "--clearance", "X", store=store).returncode != 0
