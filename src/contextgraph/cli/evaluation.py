"""The command that measures the ranking against a known truth: ``eval-analysis``, on a folder
with its truth file, or on generated areas of every shape and several seeds."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from .analysis import _date_opt, _shape, _weights
from .common import FormatOpt, UserError, app, check_format, out, print_whole

if TYPE_CHECKING:
    from ..analysis import Weights
    from ..analysis.tracking import Events
    from ..interchange.jsonl import Batch
    from ..interchange.synth_shapes import Shape
    from ..projection import Projection

REVIEWED = "contextgraph"
LEARNED = "contextgraph, learned weights"
NEIGHBOURS = "risky one-hop neighbours"
PAGERANK = "personalised PageRank"
BASELINES = (NEIGHBOURS, PAGERANK)


@dataclass(frozen=True)
class Measured:
    r_precision: float
    average_precision: float
    ranked: int


def _read_truth(path: Path) -> set[str]:
    """Ids from a truth file: a JSON list, a JSON object with one list (or ``exploited_not_open``), or lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: cannot read the truth file: {e}") from None
    try:
        data: Any = json.loads(text)
    except ValueError:
        ids = {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}
    else:
        if isinstance(data, dict):
            lists = {k: v for k, v in data.items() if isinstance(v, list)}
            key = "exploited_not_open" if "exploited_not_open" in lists else None
            if key is None and len(lists) == 1:
                key = next(iter(lists))
            if key is None:
                raise UserError(f"{path}: expected a list of ids, or an object with an 'exploited_not_open' list")
            data = lists[key]
        if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
            raise UserError(f"{path}: expected a list of entity ids")
        ids = set(data)
    if not ids:
        raise UserError(f"{path}: the truth file lists no children")
    return ids


def _measure(
    batch: Batch,
    truth: set[str],
    w: Weights,
    as_of: str | None,
    learn: bool,
    seed: int,
    where: str,
    strict: bool = True,
) -> dict[str, Any]:
    """Import ``batch`` into a temporary store and rank it by each method; each method's figures
    against ``truth``. Not ``strict``, weights that cannot be learned are None, with why, rather
    than an error."""
    from ..analysis.tracking import events_of
    from ..store import open_store

    with tempfile.TemporaryDirectory() as tmp, open_store(f"sqlite:///{Path(tmp) / 'eval.db'}") as s:
        s.upsert(batch.entities, batch.relationships)
        proj = s.projection()
    unknown = truth - set(proj.ids)
    if unknown:
        raise UserError(f"{where}: {len(unknown)} ids are not in the data, e.g. {sorted(unknown)[0]!r}")
    kinds = {e.id: e.kind for e in batch.entities}
    others = sorted(i for i in truth if kinds.get(i, "child") != "child")
    if others:  # the ranking is of children: anything else in the truth could never be found
        raise UserError(f"{where}: {len(others)} ids are not children, e.g. {others[0]!r} (a {kinds[others[0]]})")
    got = measured(proj, events_of(batch.tracking, proj), truth, w, as_of, learn, seed)
    if learn and got.get(LEARNED) is None and strict:
        raise UserError(f"{where}: {got.pop('why not learned', '')}")
    return got if not strict else {k: v for k, v in got.items() if isinstance(v, Measured)}


def measured(
    proj: Projection,
    events: Events | None,
    truth: set[str],
    w: Weights,
    as_of: str | None,
    learn: bool,
    seed: int,
    key: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Each method's figures on ``proj`` against ``truth``: the reviewed weights, with ``learn``
    weights learned from its known cases (None, and why under ``why not learned``, when too few),
    and the two baselines. With ``key``, each ranked id stands for its key (several entities for
    one child read from notes) and ``truth`` holds keys: a key is ranked where its first id is."""
    from ..analysis import (
        AnalysisError,
        average_precision,
        baseline_pagerank,
        baseline_risky_neighbours,
        prepare,
        r_precision,
        ranking,
        unopened_at_risk,
    )
    from ..analysis.learning import learn as learn_weights

    ctx = prepare(proj, w, as_of, events)
    rows: dict[str, list[str] | None] = {REVIEWED: [c.id for c in unopened_at_risk(ctx)]}
    why = None
    if learn:
        try:
            fit = learn_weights(proj, events, w, as_of, seed=seed)
        except AnalysisError as e:
            rows[LEARNED], why = None, str(e)
        else:
            rows[LEARNED] = [c.id for c in unopened_at_risk(prepare(proj, fit.weights, as_of, events))]
    rows[NEIGHBOURS] = ranking(baseline_risky_neighbours(ctx))
    rows[PAGERANK] = ranking(baseline_pagerank(ctx))
    if key is not None:
        rows = {name: None if r is None else list(dict.fromkeys(key.get(x, x) for x in r)) for name, r in rows.items()}
    out: dict[str, Any] = {
        name: None
        if r is None
        else Measured(round(r_precision(r, truth), 4), round(average_precision(r, truth), 4), len(r))
        for name, r in rows.items()
    }
    if why:
        out["why not learned"] = why
    return out


@app.command("eval-analysis")
def eval_analysis(
    data_dir: Annotated[Path | None, typer.Argument(help="Folder in the interchange format")] = None,
    truth_file: Annotated[
        Path | None, typer.Argument(help="File listing the exploited children not open to services")
    ] = None,
    weights: Annotated[Path | None, typer.Option(help="TOML or JSON file overriding weights")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Analysis date (default: latest fact)")] = None,
    learn: Annotated[
        bool, typer.Option("--learn", help="Also rank with weights learned from the data's own known cases")
    ] = False,
    shapes: Annotated[
        str | None,
        typer.Option("--shapes", help="Instead of a folder: generated areas of these shapes (comma-separated, or all)"),
    ] = None,
    seeds: Annotated[int, typer.Option("--seeds", help="With --shapes: seeds 0 to N-1 of each shape")] = 5,
    children: Annotated[int, typer.Option(help="With --shapes: children in each generated area")] = 2000,
    from_notes: Annotated[
        bool,
        typer.Option(
            "--from-notes", help="With --shapes: tell each area as meeting notes and read them back through ingest"
        ),
    ] = False,
    fmt: FormatOpt = "table",
) -> None:
    """Rank, and score the ranking and two baselines against the truth: of one folder, or of generated
    areas of every shape (where weights learned from each area's known cases are ranked too)."""
    check_format(fmt)
    w = _weights(weights)
    as_of_d = _date_opt(as_of, "--as-of")
    if shapes is not None:
        if data_dir is not None or truth_file is not None:
            raise UserError("give a folder and its truth file, or --shapes, not both")
        _eval_shapes(shapes, seeds, children, w, as_of_d, fmt, from_notes)
        return
    if from_notes:
        raise UserError("--from-notes goes with --shapes")
    if data_dir is None or truth_file is None:
        raise UserError("give a folder and its truth file (or --shapes to generate areas)")
    from ..interchange import InputError, read_folder
    from ..memory import paused_gc

    truth = _read_truth(truth_file)
    try:
        with paused_gc(keep=True):
            batch = read_folder(data_dir)
    except InputError as e:
        raise UserError(str(e)) from None
    got = _measure(batch, truth, w, as_of_d, learn, 0, str(truth_file))
    report: dict[str, Any] = {
        "truth": len(truth),
        "methods": {
            name: {"r_precision": m.r_precision, "average_precision": m.average_precision, "ranked": m.ranked}
            for name, m in got.items()
        },
    }
    if fmt == "json":
        print(json.dumps(report, indent=2))
        return
    t = Table("method", "R-precision", "average precision", "children ranked")
    for name, m in got.items():
        t.add_row(name, f"{m.r_precision:.3f}", f"{m.average_precision:.3f}", str(m.ranked))
    print_whole(t)
    out.print(f"{len(truth)} exploited children not open to services in {truth_file}")


def _eval_shapes(
    given: str, seeds: int, children: int, w: Weights, as_of: str | None, fmt: str, from_notes: bool = False
) -> None:
    """``eval-analysis --shapes``: every shape and seed, each method's worst shape first."""
    from ..interchange import read_folder
    from ..interchange.synth import generate
    from ..interchange.synth_shapes import SHAPES

    names = (
        list(SHAPES)
        if given.strip().lower() == "all"
        else [_shape(x, "--shapes") for x in given.split(",") if x.strip()]
    )
    if not names:
        raise UserError("--shapes: name at least one shape, or all")
    if not 1 <= seeds <= 100:
        raise UserError("--seeds must be from 1 to 100")
    if not 50 <= children <= 1_000_000:
        raise UserError("--children must be from 50 to 1,000,000")
    if from_notes:
        from .evaluation_notes import print_from_notes

        print_from_notes(list(dict.fromkeys(names)), seeds, children, w, as_of, fmt)
        return
    runs: list[dict[str, Any]] = []
    for shape in dict.fromkeys(names):
        for seed in range(seeds):
            data = generate(children=children, seed=seed, shape=shape)
            with tempfile.TemporaryDirectory() as tmp:
                data.write(Path(tmp))
                batch = read_folder(Path(tmp))
            got = _measure(batch, set(data.exploited_not_open), w, as_of, True, seed, f"{shape} seed {seed}", False)
            why = got.pop("why not learned", None)
            runs.append(
                {"shape": shape, "seed": seed, "truth": len(data.exploited_not_open), "methods": got, "why": why}
            )
    # each method judged by its worst shape: the mean over the seeds of its worst shape (a method
    # that could not be used on some area is not judged)
    methods = [REVIEWED, LEARNED, NEIGHBOURS, PAGERANK]
    by_shape = {
        m: {s: [r["methods"][m] for r in runs if r["shape"] == s] for s in dict.fromkeys(names)} for m in methods
    }
    worst = {
        m: min((sum(x.r_precision for x in v) / len(v), s) for s, v in by_shape[m].items())
        for m in methods
        if all(x is not None for v in by_shape[m].values() for x in v)
    }
    chosen = max(worst, key=lambda m: worst[m][0])
    notes = [f"{r['shape']} seed {r['seed']}: weights not learned: {r['why']}" for r in runs if r["why"]]
    if fmt == "json":
        doc = {
            "children": children,
            "seeds": seeds,
            "runs": [
                {**{k: v for k, v in r.items() if k not in ("methods", "why")},
                 "methods": {m: None if x is None else vars(x) for m, x in r["methods"].items()},
                 **({"why_not_learned": r["why"]} if r["why"] else {})}
                for r in runs
            ],
            "worst_shape": {m: {"shape": s, "r_precision": round(v, 4)} for m, (v, s) in worst.items()},
            "chosen": chosen,
        }  # fmt: skip
        print(json.dumps(doc, indent=2))
        return

    def mean(m: str, shape: Shape) -> float:
        got = [x.r_precision for x in by_shape[m][shape] if x is not None]
        return sum(got) / len(got) if got else 0.0

    ranked_by = LEARNED if LEARNED in worst else REVIEWED
    order = sorted(dict.fromkeys(names), key=lambda s: mean(ranked_by, s))  # the learned ranking's worst first
    short = {REVIEWED: "reviewed weights", LEARNED: "learned weights", NEIGHBOURS: "one-hop", PAGERANK: "PageRank"}
    t = Table("shape", "seed", "truth", *(short[m] for m in methods), "learned - best baseline", title="R-precision")
    for s in order:
        for r in (r for r in runs if r["shape"] == s):
            m = r["methods"]
            best = max(m[b].r_precision for b in BASELINES)
            margin = "-" if m[LEARNED] is None else f"{m[LEARNED].r_precision - best:+.3f}"
            cells = ("-" if m[x] is None else f"{m[x].r_precision:.3f}" for x in methods)
            t.add_row(s, str(r["seed"]), str(r["truth"]), *cells, margin)
    print_whole(t)
    t = Table(
        "method", "worst shape", "its mean R-precision", "mean over every shape", title="Each method by its worst shape"
    )
    for m in sorted(worst, key=lambda m: -worst[m][0]):
        every = [x.r_precision for v in by_shape[m].values() for x in v]
        t.add_row(m, worst[m][1], f"{worst[m][0]:.3f}", f"{sum(every) / len(every):.3f}")
    print_whole(t)
    out.print(f"Chosen by its worst shape: {chosen}.")
    for x in notes:
        out.print(x)
