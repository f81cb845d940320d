"""``eval-analysis --shapes ... --from-notes``: the ranking measured on the graph a team would build
from its notes — each generated area told as meeting notes (:mod:`..interchange.synth_notes`),
read by the whole extraction and ingest into a new store — rather than on the generator's records.

It is measured twice: as ingested, with the review queue left as it is (a mention that may be a
child already held is kept apart until someone decides), and after a reviewer who merges each
queued mention into its one candidate of the same full name (or, for a first name alone, the one
candidate with that first name), leaving the rest. The ranking is read by child: a child of the
truth is ranked where the first entity of its name and locality is (notes name children, not the
generator's ids; a child kept apart in two entities is one child found, and two children of one
name are one name to a reader too).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..analysis import Weights
    from ..interchange.synth import Synthetic
    from ..interchange.synth_shapes import Shape
    from ..store import Store

GRAPHS = ("as ingested", "after review by name")


@dataclass(frozen=True)
class FromNotes:
    """One area read from its notes: how much came through, and each method's figures on each graph."""

    notes: int
    facts: int
    """Relationships the area holds (before any were left unsaid)."""
    relationships: int
    """Relationships in the store once the notes are read."""
    children: int
    """Children in the store, against the area's own (mentions kept apart count twice)."""
    queued: int
    merged: int
    """Queued mentions the reviewer merged."""
    graphs: dict[str, dict[str, Any]]
    """For each graph: each method's :class:`.evaluation.Measured`, or None with why."""


def from_notes(data: Synthetic, seed: int, w: Weights, as_of: str | None) -> FromNotes:
    """Write ``data`` as notes, ingest them into a new embedded store, and measure the ranking."""
    from ..ingest.pipeline import ingest_paths
    from ..interchange.synth import SAMPLE_AREA
    from ..interchange.synth_notes import notes
    from ..store import open_store
    from .evaluation import measured

    written = notes(data, seed)
    names = {e["id"]: (e["name"], e.get("locality")) for e in data.entities}
    wanted = {"\t".join(map(str, names[c])) for c in data.exploited_not_open}
    graphs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "notes"
        folder.mkdir()
        for name, text in written:
            (folder / name).write_text(text, encoding="utf-8")
        with open_store(f"sqlite:///{Path(tmp) / 'notes.db'}") as s:
            s.set_localities(SAMPLE_AREA, "eval-analysis")
            report = ingest_paths(s, sorted(folder.glob("*.md")), user="eval-analysis")
            totals = report.totals()
            for graph in GRAPHS:
                merged = _review_by_name(s) if graph == GRAPHS[1] else 0
                p = s.projection()
                key = {e.id: f"{e.name}\t{e.locality}" for e in s.iter_entities() if e.kind == "child"}
                graphs[graph] = measured(p, None, wanted, w, as_of, True, seed, key)
            rels = sum(s.stats().relationships.values())
            kids = sum(1 for e in s.iter_entities() if e.kind == "child")
    return FromNotes(len(written), len(data.relationships), rels, kids, totals["queued"], merged, graphs)


def _review_by_name(store: Store) -> int:
    """Merge each queued mention into its one candidate of the same name: the full name, or for a
    first name alone the candidate's first name. Returns how many were merged."""
    from ..ingest.queue import decide_review, reviews

    done = 0
    for item in reviews(store):
        if item.type != "identity" or not item.entity:
            continue
        said = item.name.strip().lower()
        same: dict[str, str] = {}  # the entity a candidate now is (it may have been merged since) -> the candidate
        for c in item.candidates:
            e = store.get(c)
            if e is None or e.id == store.canonical_id(item.entity):
                continue
            full = e.name.strip().lower()
            if full == said or (" " not in said and full.split()[:1] == [said]):
                same.setdefault(e.id, c)
        if len(same) == 1:
            decide_review(
                store, item.id, "accept", next(iter(same.values())), user="eval-analysis", reason="the same name"
            )
            done += 1
    return done


def print_from_notes(shapes: list[Shape], seeds: int, children: int, w: Weights, as_of: str | None, fmt: str) -> None:
    """Every shape and seed read from its notes, as a table or JSON."""
    import json

    from rich.table import Table

    from ..interchange.synth import generate
    from .common import out, print_whole
    from .evaluation import LEARNED, NEIGHBOURS, PAGERANK, REVIEWED

    runs = []
    for shape in shapes:
        for seed in range(seeds):
            data = generate(children=children, seed=seed, shape=shape)
            runs.append((shape, seed, len(data.exploited_not_open), from_notes(data, seed, w, as_of)))
    if fmt == "json":
        doc = [
            {
                "shape": shape,
                "seed": seed,
                "truth": truth,
                **{k: v for k, v in vars(got).items() if k != "graphs"},
                "graphs": {
                    g: {m: vars(x) if hasattr(x, "r_precision") else x for m, x in figures.items()}
                    for g, figures in got.graphs.items()
                },
            }
            for shape, seed, truth, got in runs
        ]
        print(json.dumps({"children": children, "seeds": seeds, "runs": doc}, indent=2))
        return
    methods = (REVIEWED, LEARNED, PAGERANK, NEIGHBOURS)
    short = {REVIEWED: "reviewed weights", LEARNED: "learned weights", NEIGHBOURS: "one-hop", PAGERANK: "PageRank"}
    t = Table("shape", "seed", "graph", "truth", *(short[m] for m in methods), title="R-precision, read from notes")
    notes_said = []
    for shape, seed, truth, got in runs:
        for graph, figures in got.graphs.items():
            cells = [f"{figures[m].r_precision:.3f}" if figures.get(m) is not None else "-" for m in methods]
            t.add_row(shape, str(seed), graph, str(truth), *cells)
            if figures.get(LEARNED) is None and figures.get("why not learned"):
                notes_said.append(f"{shape} seed {seed}, {graph}: not learned, {figures['why not learned']}")
        out.print(
            f"{shape} seed {seed}: {got.notes} notes; {got.relationships} relationships read of the {got.facts} "
            f"the area holds; {got.children} children held for the area's {children}; {got.queued} mentions "
            f"queued for review, {got.merged} merged by name"
        )
    print_whole(t)
    for x in dict.fromkeys(notes_said):
        out.print(x)
