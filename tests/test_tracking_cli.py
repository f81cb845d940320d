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
