"""Commands of the analysis: synth and analyse."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import orjson
import typer
from rich.table import Table
from rich.text import Text

from .. import quoted
from .common import (
    FormatOpt,
    PurposeOpt,
    StoreOpt,
    UserError,
    UserOpt,
    access_log,
    app,
    check_format,
    counted,
    localities_given,
    opened,
    out,
    print_whole,
    purpose_of,
    shown_of,
)

if TYPE_CHECKING:
    from ..analysis import Weights
    from ..analysis.results import Analysis
    from ..interchange.synth_shapes import Shape


@app.command("synth")
def synth_(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write entities.jsonl and relationships.jsonl into")],
    truth_file: Annotated[Path, typer.Argument(help="JSON file for the ground truth, kept apart from the data")],
    children: Annotated[int, typer.Option(help="How many children")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
    shape: Annotated[
        str, typer.Option("--shape", help="How exploitation spreads: lines, chains or online (see docs/analysis.md)")
    ] = "lines",
    force: Annotated[bool, typer.Option("--force", help="Replace an area and truth file that are there")] = False,
) -> None:
    """Write a synthetic locality with ground truth: which exploited children are not open to services."""
    from ..interchange.jsonl import ENTITIES_FILE, RELATIONSHIPS_FILE, TRACKING_FILE
    from ..interchange.synth import generate

    if not 5 <= children <= 2_000_000:
        raise UserError("--children must be from 5 to 2,000,000")
    if seed < 0:
        raise UserError("--seed must be 0 or more")
    shape_ = _shape(shape)
    if truth_file.resolve().is_relative_to(out_dir.resolve()):
        raise UserError(f"{truth_file}: keep the truth file out of the data folder {out_dir}")
    if truth_file.is_dir() or (truth_file.exists() and not truth_file.is_file()):
        raise UserError(f"{truth_file}: not a file; name the truth file")
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"{out_dir}: not a folder")
    there = [f for f in (truth_file, *(out_dir / n for n in (ENTITIES_FILE, RELATIONSHIPS_FILE, TRACKING_FILE)))
             if f.exists()]  # fmt: skip
    if there and not force:
        raise UserError(f"{there[0]}: there is a file there already; give --force to replace the area and its truth")
    if _is_store_or_log(truth_file):
        raise UserError(f"{truth_file}: that is a store or its access log; choose another name")
    data = generate(children=children, seed=seed, shape=shape_)
    data.write(out_dir)
    truth_file.parent.mkdir(parents=True, exist_ok=True)
    truth = {
        "generator": "contextgraph synth",
        "children": children,
        "seed": seed,
        "shape": shape_,
        "exploited_not_open": data.exploited_not_open,
        "exploited_open": data.open_exploited,
    }
    truth_file.write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    out.print(
        f"wrote {len(data.entities)} entities and {len(data.relationships)} relationships to {out_dir}; "
        f"{len(data.exploited_not_open)} exploited children not open to services listed in {truth_file}"
    )


def _shape(value: str, option: str = "--shape") -> Shape:
    from ..interchange.synth_shapes import SHAPES

    for x in SHAPES:
        if value.strip().lower() == x:
            return x
    raise UserError(f"{option} {value!r}: one of {', '.join(SHAPES)}")


def _is_store_or_log(path: Path) -> bool:
    """Whether ``path`` is an embedded store or an access log (their first bytes say so)."""
    if not path.is_file():
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return head.startswith(b"SQLite format 3") or path.name.endswith((".audit.jsonl", ".audit.key"))


def _date_opt(value: str | None, name: str) -> str | None:
    from ..model import parse_date

    if value is None:
        return None
    try:
        got = parse_date(value)
    except ValueError:
        got = None
    if not got:
        raise UserError(f"{name} {value!r}: not a date (use YYYY-MM-DD)")
    return got


def _weights(path: Path | None) -> Weights:
    from ..analysis import DEFAULT as DEFAULT_WEIGHTS
    from ..analysis import AnalysisError, Weights

    if path is None:
        return DEFAULT_WEIGHTS
    try:
        return Weights.load(path)
    except AnalysisError as e:
        raise UserError(str(e)) from None


@app.command()
def analyse(
    locality: Annotated[
        list[str] | None, typer.Option("--locality", help="Locality to report on (repeatable; default all)")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Report what is new since this date (YYYY-MM-DD)")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Analyse the graph as it stood on this date (default: latest fact)")
    ] = None,
    top: Annotated[int | None, typer.Option(help="Cut each ranked list to its first N")] = None,
    weights: Annotated[Path | None, typer.Option(help="TOML or JSON file overriding weights")] = None,
    seed: Annotated[int, typer.Option(help="Random seed for community detection")] = 0,
    initials: Annotated[
        bool,
        typer.Option("--initials", help="Every person by initials, in the reasons too: a report to share"),
    ] = False,
    store: StoreOpt = None,
    user: UserOpt = "cli",
    purpose: PurposeOpt = None,
    fmt: FormatOpt = "table",
    validate: Annotated[
        bool,
        typer.Option(
            "--validate",
            help="Check the ranking on the area's own known cases: hide some, rank, and see how it finds them",
        ),
    ] = False,
    hide: Annotated[float, typer.Option("--hide", help="With --validate: the share of known cases hidden")] = 0.2,
    repeats: Annotated[int, typer.Option("--repeats", help="With --validate: how many times")] = 10,
    learn: Annotated[
        bool,
        typer.Option(
            "--learn", help="With --validate: also learn weights from the cases left each time, and rank with them"
        ),
    ] = False,
) -> None:
    """Linked at-risk children not open to services, peer groups, hotspots, persons of concern and changes."""
    from ..analysis import AnalysisError
    from ..analysis.report import analyse_store, explain
    from ..service.policy import PEOPLE

    check_format(fmt)
    purpose = purpose_of("analyse", purpose)
    if top is not None and top < 1:
        raise UserError("--top must be at least 1")
    w = _weights(weights)
    since_d, as_of_d = _date_opt(since, "--since"), _date_opt(as_of, "--as-of")
    if seed < 0:
        raise UserError("--seed must be 0 or more")
    if validate:
        if not 0 < hide < 1:
            raise UserError("--hide must be above 0 and below 1 (a share of the known cases)")
        if not 1 <= repeats <= 1000:
            raise UserError("--repeats must be from 1 to 1000")
        _validate(store, user, purpose, fmt, locality, w, as_of_d, hide, repeats, seed, learn)
        return
    if learn:
        raise UserError(
            "--learn goes with --validate; `contextgraph learn --out FILE` writes weights to review and use"
        )
    # One pass making millions of objects and no cycles worth collecting: the collector,
    # re-enabled between steps, would only scan them all again. Afterwards they are kept out
    # of later collections (still freed as usual), so a caller in the same process pays nothing.
    was = gc.isenabled()
    gc.disable()
    try:
        log = access_log(store)
        with opened(store, log) as s:
            proj = s.projection()
            locality = localities_given(locality, s.localities(), proj.localities) or None
            try:
                result = analyse_store(s, w, as_of_d, since_d, locality, top, seed, projection=proj)
            except AnalysisError as e:
                raise UserError(str(e)) from None
            spaces: frozenset[str] = frozenset()
            if initials:
                from ..service.pseudonyms import spaces_of

                result, spaces = explain(result, s, None, PEOPLE), spaces_of(s)
        shown = [c.id for c in result.unopened_at_risk] + [x.id for x in result.persons_of_concern]
        log.append(user, "consultation", shown, purpose, detail={"command": "analyse", "localities": locality or []})
        if fmt == "json":
            # indented for a person at a terminal; compact (a third smaller) for a file or a pipe
            indent = orjson.OPT_INDENT_2 if sys.stdout.isatty() else 0
            made = result.to_json()
            if initials:  # a report to share: each id the service did not make as a pseudonym, as it gives it
                from ..service.pseudonyms import of_log

                ids = of_log(log)
                made = with_ids(made, lambda i: ids.shown(i, spaces))
            sys.stdout.buffer.write(orjson.dumps(made, option=indent))
            sys.stdout.buffer.write(b"\n")
            return
        _analysis_tables(result, top)
    finally:
        if was:
            gc.freeze()
            gc.enable()


ID_KEYS: Final = frozenset({"id", "other", "source", "target", "members", "records", "subject", "children", "groups"})
"""The keys of an analysis written as JSON whose values are records' ids."""


def with_ids(value: Any, new: Callable[[str], str], key: str = "") -> Any:
    """An analysis written as JSON with each record's id (under :data:`ID_KEYS`) given by ``new``.

    >>> with_ids({"id": "c1", "reasons": [{"other": "p1", "text": "c1"}], "members": ["c2"]}, str.upper)
    {'id': 'C1', 'reasons': [{'other': 'P1', 'text': 'c1'}], 'members': ['C2']}
    """
    if isinstance(value, dict):
        return {k: with_ids(v, new, k) for k, v in value.items()}
    if isinstance(value, list):
        return [with_ids(v, new, key) for v in value]
    if isinstance(value, str) and key in ID_KEYS:
        return new(value)
    return value


def _validate(
    store: str | None,
    user: str,
    purpose: str,
    fmt: str,
    locality: list[str] | None,
    w: Any,
    as_of: str | None,
    hide: float,
    repeats: int,
    seed: int,
    learn: bool = False,
) -> None:
    """``analyse --validate``: the ranking checked on the area's own known cases."""
    import msgspec

    from ..analysis.tracking import tracked_events
    from ..analysis.validation import validate
    from ..store import Filter

    log = access_log(store)
    with opened(store, log) as s:
        areas = localities_given(locality, s.localities(), s.stats().localities) if locality else []
        flt = Filter.of(localities=areas) if areas else None
        p = s.projection(flt)
        got = validate(p, tracked_events(s, p, flt), w, as_of, hide, repeats, seed, learned=learn)
    log.append(user, "consultation", [], purpose, detail={"command": "analyse --validate", "localities": areas})
    if fmt == "json":
        sys.stdout.buffer.write(msgspec.json.format(msgspec.json.encode(got)) + b"\n")
        return
    if not got.methods:
        out.print(f"{got.warning}.")
        return
    out.print(
        f"{got.known} known cases; {got.hidden} hidden each time ({got.fraction:.0%} of each locality's), "
        f"{got.repeats} times. Each figure: the mean over the repeats (the middle 95% of them)."
    )
    t = Table(show_edge=False)
    for col in ("method", "R-precision", "average precision", "found in the top 20", "found in the top 50", "AUC"):
        t.add_column(col)

    def cell(e: Any) -> str:
        return f"{e.mean:.2f} ({e.low:.2f}-{e.high:.2f})"

    for m in got.methods:
        t.add_row(
            m.method,
            cell(m.r_precision),
            cell(m.average_precision),
            cell(m.recall["top 20"]),
            cell(m.recall["top 50"]),
            cell(m.auc),
        )
    print_whole(t)
    out.print(
        "Children exploited but not yet known rank above the hidden ones, as they should, and pull R-precision "
        "down: read it as a floor. AUC, the chance that a hidden case ranks above another child open to no "
        "service, is not pulled down so."
    )
    if got.warning:
        out.print(f"note: {got.warning}")


def _analysis_tables(result: Analysis, top: int | None) -> None:
    from ..analysis.words import long_date

    where = quoted.shown(", ".join(result.localities or ["all localities"]), one_line=True)
    out.print(
        Text.assemble(
            (f"Analysis of {where} as of {long_date(result.as_of)}", "bold"),
            f" — {counted(result.known_children, 'child', 'children')} known to be exploited and open to services",
        )
    )
    cut = top or 20
    kids = result.unopened_at_risk
    t = Table(
        title=f"Linked at-risk children not open to any service ({shown_of(len(kids), cut, top)})", show_lines=True
    )
    for col in ("#", "child", "locality", "score", "why"):
        t.add_column(col, justify="right" if col in ("#", "score") else "left")
    for c in kids[:cut]:
        why = "\n".join(f"• {r.text}" for r in c.reasons[:3])
        if c.further_pieces:
            pieces = counted(c.further_pieces, "further piece", "further pieces")
            why += f"\n• and {pieces} of evidence, adding {c.further:.2f}"
        t.add_row(str(c.rank), c.name or c.id, c.locality or "", f"{c.score:.2f}", why)
    print_whole(t)
    hs = result.hotspots
    t = Table(title=f"Hotspot locations ({shown_of(len(hs), cut, top)})")
    for col in ("#", "place", "locality", "score", "what is linked"):
        t.add_column(col, justify="right" if col in ("#", "score") else "left")
    for h in hs[:cut]:
        t.add_row(str(h.rank), h.name or h.id, h.locality or "", f"{h.score:.2f}", h.text or "")
    print_whole(t)
    pg = result.peer_groups
    t = Table(title=f"Peer groups holding risk ({shown_of(len(pg), cut)})")
    for col in ("#", "members", "what"):
        t.add_column(col)
    for g in pg[:cut]:
        shown = g.member_names or g.members
        names = ", ".join(shown[:8]) + (f" and {g.size - 8} more" if g.size > 8 else "")
        t.add_row(str(g.rank), names, g.text or "")
    print_whole(t)
    ps = result.persons_of_concern
    t = Table(title=f"Persons of concern by reach ({shown_of(len(ps), cut, top)})")
    for col in ("#", "person", "children", "groups bridged", "betweenness", "what"):
        t.add_column(col, justify="right" if col in ("#", "children", "groups bridged", "betweenness") else "left")
    for x in ps[:cut]:
        t.add_row(
            str(x.rank),
            x.name or x.id,
            str(x.children_linked),
            str(x.peer_groups_bridged),
            f"{x.betweenness:.2f}",
            x.text or "",
        )
    print_whole(t)
    ch = result.changes
    if ch:
        out.print(
            Text.assemble(
                (f"Since {long_date(ch.since)}", "bold"),
                f": {counted(len(ch.links), 'new link')}; "
                f"{counted(len(ch.children), 'child', 'children')} newly at risk, {len(ch.children_raised)} at "
                f"markedly higher risk, {len(ch.children_newly_open)} newly open to services; "
                f"{counted(len(ch.hotspots), 'new hotspot')}; "
                f"{counted(len(ch.persons_of_concern), 'person of concern', 'persons of concern')} new or reaching "
                "more children",
            )
        )
        for y in ch.children[:cut]:
            out.print(f"  new: {quoted.shown(y.name or y.id, one_line=True)} (score {y.score:.2f})")
