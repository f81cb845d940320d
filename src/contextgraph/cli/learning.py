"""The command that learns the ranking's weights from an area's known cases: ``learn``."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from .analysis import _date_opt, _weights
from .common import (
    FormatOpt,
    PurposeOpt,
    StoreOpt,
    UserError,
    UserOpt,
    access_log,
    app,
    check_format,
    localities_given,
    opened,
    out,
    print_whole,
    purpose_of,
)


@app.command("learn")
def learn_(
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the learned weights to this TOML file (for --weights)")
    ] = None,
    weights: Annotated[
        Path | None, typer.Option(help="Start from these weights (TOML or JSON) instead of the reviewed ones")
    ] = None,
    folds: Annotated[int, typer.Option("--folds", help="Groups the known cases are hidden in, one at a time")] = 5,
    seed: Annotated[int, typer.Option(help="Random seed for the folds")] = 0,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Learn from the graph as it stood on this date (default: latest fact)")
    ] = None,
    locality: Annotated[
        list[str] | None,
        typer.Option("--locality", help="Learn from these localities' cases (repeatable; default all)"),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="With --out: replace a file that is there")] = False,
    store: StoreOpt = None,
    user: UserOpt = "cli",
    purpose: PurposeOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """Learn the ranking's weights from the area's known cases, to review and then use with --weights."""
    from ..analysis import AnalysisError
    from ..analysis.learning import FIXED, learn
    from ..analysis.tracking import tracked_events
    from ..analysis.weights import Weights
    from ..store import Filter

    check_format(fmt)
    purpose = purpose_of("learn", purpose)
    if not 2 <= folds <= 20:
        raise UserError("--folds must be from 2 to 20")
    if seed < 0:
        raise UserError("--seed must be 0 or more")
    if out_file is not None:
        _writable(out_file, store, force)
    given = _weights(weights)
    as_of_d = _date_opt(as_of, "--as-of")
    log = access_log(store)
    with opened(store, log) as s:
        areas = localities_given(locality, s.localities(), s.stats().localities) if locality else []
        flt = Filter.of(localities=areas) if areas else None
        p = s.projection(flt)
        try:
            fit = learn(p, tracked_events(s, p, flt), given, as_of_d, folds, seed)
            refused = None
        except AnalysisError as e:
            refused = str(e)
    # the records were read whether or not weights could be learned from them
    detail: dict[str, Any] = {"command": "learn", "localities": areas}
    log.append(user, "consultation", [], purpose, detail=detail if refused is None else {**detail, "refused": refused})
    if refused is not None:
        raise UserError(refused)
    if out_file is not None:
        _write(out_file, fit.to_toml(date.today(), given_label="given" if weights else "reviewed"))
    meaning = Weights.meanings()
    if fmt == "json":
        import orjson

        doc = {
            "positives": fit.positives,
            "known": fit.known,
            "unlabelled": fit.unlabelled,
            "folds": fit.folds,
            "seed": fit.seed,
            "as_of": fit.as_of,
            "weights": [
                {"weight": name, "given": was, "learned": got, "meaning": meaning.get(name, "")}
                for name, was, got in fit.changed()
            ],
            "kept": {name: getattr(fit.weights, name) for name in FIXED},
            "written_to": str(out_file) if out_file else None,
        }
        sys.stdout.buffer.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
        return
    out.print(
        f"Learned from {fit.positives} known cases with evidence once hidden ({fit.known} known), against "
        f"{fit.unlabelled} children open to no service with evidence; {fit.folds} folds, seed {fit.seed}."
    )
    t = Table(show_edge=False)
    for col in ("weight", "given" if weights else "reviewed", "learned", "what it weighs"):
        t.add_column(col, justify="right" if col in ("reviewed", "learned") else "left")
    for name, was, got in fit.changed():
        t.add_row(name, f"{was:g}", f"{got:.3f}", meaning.get(name, ""))
    print_whole(t)
    kept = ", ".join(f"{n} {getattr(fit.weights, n):g}" for n in FIXED)
    out.print(f"Kept as {'given' if weights else 'reviewed'}, since they define a known case: {kept}.")
    if out_file is not None:
        out.print(
            f"wrote {out_file}: review it, check it with `contextgraph analyse --weights {out_file} --validate`, "
            "then rank with --weights"
        )


def _writable(out_file: Path, store: str | None, force: bool) -> None:
    """Refuse an ``--out`` that is not a new or replaceable ``.toml`` file: the store, its access
    log and what goes with it, a folder, a device, or a file there already without ``--force``."""
    from ..service.audit import audit_folder, audit_key_path, audit_path
    from ..store import store_url

    if out_file.suffix.lower() != ".toml":
        raise UserError(f"{out_file}: the learned weights are written as TOML: give a name ending .toml")
    url = store_url(store)
    log = audit_path(url)
    kept = [log, audit_key_path(log), audit_folder(log)]
    if url.startswith("sqlite:///"):
        kept.append(Path(url.removeprefix("sqlite:///")))
    target = out_file.resolve()
    for p in kept:
        x = p.resolve()
        if target == x or x in target.parents:
            raise UserError(f"{out_file}: that is the store's own file or its access log; choose another")
    if out_file.exists() or out_file.is_symlink():
        if not out_file.is_file():
            raise UserError(f"{out_file}: not a file; choose a file's name")
        if not force:
            raise UserError(f"{out_file}: there is a file there already; give --force to replace it")
    if out_file.parent.exists() and not out_file.parent.is_dir():
        raise UserError(f"{out_file}: {out_file.parent} is not a folder")


def _write(out_file: Path, text: str) -> None:
    """Write ``text`` whole or not at all: to a new file beside it, then moved into its place."""
    import os
    import tempfile

    try:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out_file.name}.", suffix=".part", dir=out_file.parent)
    except OSError as e:
        raise UserError(f"{out_file}: cannot write the weights: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, out_file)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise UserError(f"{out_file}: cannot write the weights: {e.strerror or e}") from None
