"""The ranking takes no protected characteristic as input: children's recorded sex, ethnicity and
date of birth changed (shuffled among them, or removed) leave every score, rank and hotspot as
it was. Whether its top over-represents a group is then a question of the evidence, which the
partnership report answers (tests/test_report.py)."""

from __future__ import annotations

import random
from pathlib import Path

from contextgraph.analysis.report import analyse_store
from contextgraph.interchange import entity_from_json, relationship_from_json
from contextgraph.interchange.synth import generate
from contextgraph.model.tracked import Tracked
from contextgraph.store import open_store


def _ranked(path: Path, entities: list[dict], data: object) -> tuple[list[tuple[str, float]], list[str]]:
    with open_store(f"sqlite:///{path}") as s:
        s.upsert(
            [entity_from_json(e) for e in entities],
            [relationship_from_json(r) for r in data.relationships],  # type: ignore[attr-defined]
            tracking=[Tracked.from_json(t) for t in data.tracking],  # type: ignore[attr-defined]
        )
        got = analyse_store(s, as_of="2025-06-30")
    return [(c.id, c.score) for c in got.unopened_at_risk], [h.id for h in got.hotspots]


def test_the_ranking_does_not_change_with_sex_ethnicity_or_age(tmp_path: Path) -> None:
    data = generate(children=500, seed=21)
    children = [e for e in data.entities if e["kind"] == "child"]
    assert {e["properties"]["ethnicity"] for e in children} > {"white_british"}  # recorded, and varied
    base = _ranked(tmp_path / "as-recorded.db", data.entities, data)
    assert base[0], "nothing ranked: the test would prove nothing"
    rng = random.Random(5)
    traits = [(e["properties"]["sex"], e["properties"]["ethnicity"], e.get("dob")) for e in children]
    rng.shuffle(traits)
    shuffled = []
    for e in data.entities:
        if e["kind"] == "child":
            sex, ethnicity, dob = traits.pop()
            e = {**e, "properties": {**e["properties"], "sex": sex, "ethnicity": ethnicity}, "dob": dob}
        shuffled.append(e)
    assert _ranked(tmp_path / "shuffled.db", shuffled, data) == base
    removed = []
    for e in data.entities:
        if e["kind"] == "child":  # not recorded at all (the child's other properties, a flag, kept)
            kept = {k: v for k, v in e["properties"].items() if k not in ("sex", "ethnicity")}
            e = {k: v for k, v in {**e, "properties": kept}.items() if k != "dob"}
        removed.append(e)
    assert _ranked(tmp_path / "removed.db", removed, data) == base
