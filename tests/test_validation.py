"""The ranking checked on an area's own known cases: hiding takes away exactly what makes a child
known, the hidden are looked for among the children open to no service, and too few known cases
are said to be too few."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from contextgraph.analysis.context import TYPE_INDEX, prepare
from contextgraph.analysis.validation import hide, validate
from contextgraph.interchange.synth import generate
from contextgraph.projection import Projection


def area(known: int, unlinked_known: int = 0) -> Projection:
    """``known`` children open to the exploitation team, each associating with one of two persons
    of concern; ``unlinked_known`` more with nothing else; and 30 children open to no service, 10 of
    them associating with each other."""
    ids = ["p1", "p2", "svc-EXPLOITATION_TEAM", "s1"]
    kinds = ["person_of_concern", "person_of_concern", "service", "school"]
    edges: list[tuple[int, int, str, str | None, str | None, int, str | None]] = []
    for i in range(known + unlinked_known):
        ids.append(f"k{i}")
        kinds.append("child")
        me = len(ids) - 1
        edges.append((me, 2, "OPEN_TO", "2024-03-01", "2024-03-01", 1, None))
        if i < known:
            edges.append((me, i % 2, "ASSOCIATES_WITH", "2024-03-01", "2024-03-01", 1, "1B P"))
            edges.append((i % 2, me, "EXPLOITS", "2024-03-01", "2024-03-01", 1, "1B P"))
    for i in range(30):
        ids.append(f"u{i}")
        kinds.append("child")
        if 0 < i < 10:
            edges.append((len(ids) - 1, len(ids) - 2, "ASSOCIATES_WITH", "2024-02-01", "2024-02-01", 1, "2C P"))
    return Projection.from_lists(ids, kinds, ["East"] * len(ids), edges, flags=[k.startswith("k") for k in ids])


def test_hiding_takes_away_the_flag_the_team_and_the_exploiter_and_nothing_else() -> None:
    p = area(12)
    mask = np.zeros(p.n_nodes, bool)
    mask[p.index["k0"]] = True
    q, _ = hide(p, None, mask)
    k0 = p.index["k0"]
    gone = (p.src == k0) & (p.type == TYPE_INDEX["OPEN_TO"]) | (p.dst == k0) & (p.type == TYPE_INDEX["EXPLOITS"])
    assert q.n_edges == p.n_edges - int(gone.sum()) == p.n_edges - 2
    assert not q.flag[k0] and q.flag[p.index["k1"]]
    ctx = prepare(q)
    assert not ctx.known[k0] and not ctx.open[k0] and ctx.known[p.index["k1"]]


def test_hidden_cases_with_strong_evidence_are_found_first() -> None:
    """Each hidden child still associates with a person of concern; the children open to no
    service associate only with other children: the ranking and both baselines put the hidden first."""
    got = validate(area(20), repeats=5, seed=3)
    assert (got.known, got.hidden, got.repeats) == (20, 4, 5)
    for m in got.methods:
        assert m.r_precision.mean == 1.0, m.method
        assert m.recall["top 20"].low == 1.0 and m.auc.low == 1.0
    assert "only 4 known cases" in (got.warning or "")


def test_hidden_cases_with_no_evidence_left_are_not_found() -> None:
    """Known cases whose only evidence was what hiding takes away are not found: the check does
    not flatter the ranking."""
    got = validate(area(0, unlinked_known=15), repeats=3, seed=0)
    assert got.known == 15
    for m in got.methods:
        assert m.r_precision.mean == 0.0 and m.recall["top 50"].high == 0.0, m.method
        assert m.auc.high <= 0.5  # never above a child open to no service that has any evidence


def test_too_few_known_cases_are_said_to_be_too_few() -> None:
    got = validate(area(6), repeats=3)
    assert got.methods == () and "too few known cases" in (got.warning or "") and got.known == 6


def test_the_command_validates_a_generated_area(tmp_path: Path) -> None:
    data = generate(children=600, seed=8)
    folder = tmp_path / "area"
    data.write(folder)
    env_store = f"sqlite:///{tmp_path / 'a.db'}"
    run = [sys.executable, "-m", "contextgraph"]
    subprocess.run([*run, "import", str(folder), "--store", env_store], check=True, capture_output=True)
    r = subprocess.run(
        [*run, "analyse", "--validate", "--repeats", "4", "--store", env_store, "--purpose", "t", "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
    )
    got = json.loads(r.stdout)
    assert (
        got["repeats"] == 4
        and got["known"] >= 10
        and got["hidden"] == sum(round(n * 0.2) for n in _known_by_locality(tmp_path / "a.db"))
    )
    assert [m["method"] for m in got["methods"]] == ["contextgraph", "risky neighbours", "personalised PageRank"]
    again = subprocess.run(
        [*run, "analyse", "--validate", "--repeats", "4", "--store", env_store, "--purpose", "t", "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert json.loads(again.stdout) == got  # seeded: the same hidden each time
    bad = subprocess.run(
        [*run, "analyse", "--validate", "--hide", "0", "--store", env_store, "--purpose", "t"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0 and "--hide must be above 0" in bad.stderr


def _known_by_locality(db: Path) -> list[int]:
    from contextgraph.analysis.tracking import tracked_events
    from contextgraph.store import open_store

    with open_store(f"sqlite:///{db}") as s:
        p = s.projection()
        ctx = prepare(p, events=tracked_events(s, p))
    return [int((ctx.known & (p.locality == k)).sum()) for k in range(len(p.localities))]


def test_with_no_other_child_to_rank_against_the_figures_are_said_to_say_nothing() -> None:
    """Every child is a known case: the hidden ones have nobody to be ranked above."""
    ids = ["p1", "svc-EXPLOITATION_TEAM", *[f"k{i}" for i in range(12)]]
    kinds = ["person_of_concern", "service", *["child"] * 12]
    day = "2024-03-01"
    edges = [(2 + i, 1, "OPEN_TO", day, day, 1, None) for i in range(12)]
    edges += [(2 + i, 0, "ASSOCIATES_WITH", day, day, 1, "1B P") for i in range(12)]
    got = validate(Projection.from_lists(ids, kinds, ["East"] * len(ids), edges), repeats=2)
    assert got.known == 12 and "no child open to no service besides the hidden ones" in (got.warning or "")
