"""The partnership report: quarterly or yearly figures from the tracking records, written as HTML,
PDF, JSON or CSV. Writing one is a disclosure: the access log records who it is for and why."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from .common import (
    PurposeOpt,
    StoreOpt,
    UserError,
    UserOpt,
    access_log,
    app,
    err,
    localities_given,
    opened,
    out,
    purpose_of,
    recipient_of,
)

REPORT_FORMATS = ("html", "pdf", "json", "csv")


@app.command()
def report(
    start: Annotated[str, typer.Option("--from", help="The period's first day (YYYY-MM-DD)")],
    end: Annotated[str, typer.Option("--to", help="The period's last day (YYYY-MM-DD)")],
    recipient: Annotated[str, typer.Option(help="Who the report is for (the access log records it)")],
    store: StoreOpt = None,
    user: UserOpt = "cli",
    purpose: PurposeOpt = None,
    locality: Annotated[str | None, typer.Option("--locality", help="Only this locality (default: every one)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="html (one file to email), pdf, json or csv")] = "html",
    out_to: Annotated[
        str | None,
        typer.Option(
            "--out", help="The file to write (default: report-LOCALITY-FROM-TO.FORMAT here); - for standard output"
        ),
    ] = None,
    clearance: Annotated[
        str | None, typer.Option(help="Count only what a reader of this clearance may see: P, or C (the default)")
    ] = None,
    outside: Annotated[
        bool,
        typer.Option(
            "--outside",
            help="For a recipient outside the partnership: counts below CONTEXTGRAPH_SMALL_COUNT (5) shown as <5",
        ),
    ] = False,
    census: Annotated[
        list[Path] | None,
        typer.Option(
            "--census",
            help="A census table (ONS 2021 layout; repeatable; `sample` for the sample area's; "
            "default CONTEXTGRAPH_CENSUS)",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a file already there")] = False,
) -> None:
    """The partnership report for a period: referrals, caseload, pathway movement, missing episodes,
    before and during, outcomes, contexts and disruption, over-representation and data quality,
    each with its figures, a chart and its method."""
    from ..partnership import census as tables
    from ..partnership.build import build
    from ..partnership.holdings import period
    from ..partnership.render import to_csv, to_html, to_json
    from ..store import Filter

    if fmt not in REPORT_FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(REPORT_FORMATS)}")
    if clearance is not None and clearance not in ("P", "C"):
        raise typer.BadParameter("--clearance must be P or C")
    recipient = recipient_of("report", recipient)
    p = period(start, end)
    purpose = purpose_of("report", purpose)
    log = access_log(store)
    with opened(store, log) as s:
        areas = localities_given([locality], s.localities(), s.stats().localities) if locality else []
        flt = Filter.of(localities=areas, handling=["P"] if clearance == "P" else None)
        scoped = flt if (areas or clearance == "P") else None
        given = tables.for_report(tables.configured(census), areas or None) if census else None
        target = None if out_to == "-" else _target(out_to, areas, p.start, p.end, fmt, force)
        made = build(s, p, scoped, census=given, outside=outside)
    body = {"json": to_json, "csv": to_csv}.get(fmt)
    if body is not None:
        data = body(made)
    else:
        html = to_html(made)
        if fmt == "pdf":
            from ..partnership.pdf import to_pdf

            data = to_pdf(html)
        else:
            data = html.encode("utf-8")
    detail = {
        "command": "report",
        "format": fmt,
        "from": p.start,
        "to": p.end,
        **({"localities": areas} if areas else {}),
        "handling": made.handling,
        **({"outside": True} if outside else {}),
    }
    said = f"the partnership report for {p.start} to {p.end} ({fmt}, {len(data):,} bytes)"
    if out_to == "-":  # as given: ./- is a file of that name
        # logged before it is written: a disclosure the log could not record is not made
        log.append(user, "disclosure", [], purpose, recipient=recipient, detail={**detail, "file": "-"})
        try:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        except OSError as e:  # a full disk, a closed pipe: said, as for a file (the disclosure stays logged)
            raise UserError(
                f"standard output: cannot write the report ({e.strerror or e}); it was logged as disclosed"
            ) from None
        err.print(f"wrote {said} to standard output")
        return
    assert target is not None
    partial: Path | None = None
    logged = False
    try:
        # a new file of its own (never one a link at a guessable name points to), readable by its
        # owner alone, as an export's files are
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
        partial = Path(temp)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # logged before the file takes its name: a disclosure the log could not record is not made
        log.append(
            user,
            "disclosure",
            [],
            purpose,
            recipient=recipient,
            detail={**detail, "file": str(target.resolve())},
        )
        logged = True
        if force:
            partial.replace(target)
        else:  # takes the name only if it is still free: a file put there meanwhile is kept
            os.link(partial, target)
    except FileExistsError:
        raise UserError(
            f"{target}: a file was put there meanwhile; it was kept, and the report was logged as disclosed "
            "and not written (replace it with --force)"
        ) from None
    except OSError as e:
        told = "it was logged as disclosed, and not written" if logged else "nothing was disclosed"
        raise UserError(f"{target}: cannot write the report ({e.strerror or e}); {told}") from None
    finally:
        if partial is not None:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
    out.print(f"wrote {said} to {target}")


def _target(out_to: str | None, areas: list[str], start: str, end: str, fmt: str, force: bool) -> Path:
    """The file a report is written to (``--out``, a file or a folder, or its own name here),
    refused before anything is made when it cannot be written or would replace one unasked."""
    name = f"report-{(areas[0] if areas else 'all').lower().replace(' ', '-')}-{start}-{end}.{fmt}"
    target = Path(out_to) if out_to is not None else Path(name)
    if out_to is not None and out_to.endswith(("/", os.sep)) and not target.is_dir():  # a folder meant
        raise UserError(f"{target}: no such folder; nothing was written")
    if target.is_dir():
        target = target / name
    if target.is_dir():
        raise UserError(f"{target}: a folder has the report's name; nothing was written")
    if not target.parent.is_dir():
        raise UserError(f"{target.parent}: no such folder; nothing was written")
    if target.exists() and not force:
        raise UserError(f"{target}: a file is already there; choose another name, or replace it with --force")
    return target
