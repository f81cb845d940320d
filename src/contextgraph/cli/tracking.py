"""Commands on tracking records: an entity's timeline and a child's pathway."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from .common import (
    FormatOpt,
    PurposeOpt,
    StoreOpt,
    UserError,
    UserOpt,
    access_log,
    app,
    check_format,
    opened,
    out,
    print_whole,
    purpose_of,
)


@app.command()
def timeline(
    entity_id: Annotated[str, typer.Argument(help="Entity id: a child, a place, a school, a group or a person")],
    store: StoreOpt = None,
    fmt: FormatOpt = "table",
    user: UserOpt = "cli",
    purpose: PurposeOpt = None,
    clearance: Annotated[
        str | None,
        typer.Option(help="Only what a reader of this clearance may see: P, or C (P and C; the default)"),
    ] = None,
) -> None:
    """What happened to an entity over time: its missing episodes, referrals, risk assessments,
    plans, disruptions and outcome reviews, and those of others that name it, oldest first; for
    a child, their moves on the risk pathway. With ``--clearance P``, only the records and names
    a reader cleared for P only may see, as they may see them."""
    from ..model.timeline import describe, steps
    from ..store import Filter

    check_format(fmt)
    if clearance is not None and clearance not in ("P", "C"):
        raise typer.BadParameter("--clearance must be P or C")
    purpose = purpose_of("timeline", purpose)
    flt = Filter.of(handling=["P"]) if clearance == "P" else None
    log = access_log(store)
    with opened(store, log) as s:
        e = s.get(entity_id) if flt is None else s.visible(entity_id, flt)
        if e is None:  # the same answer whether it does not exist or may not be seen
            raise UserError(f"no entity {entity_id!r}")
        records = s.timeline(entity_id)
        named = s.get_many({i for t in records for i in t.involves})
        if flt is not None:  # what statements under P give of the entities; records under P naming them
            named = {i: seen for i, x in named.items() if (seen := flt.shown(x)) is not None}
            records = [r for t in records if (r := flt.tracking_ok(t, named.__contains__)) is not None]
        names = {x.id: x.name for x in named.values()}
    detail = {"command": "timeline", "records": len(records), **({"clearance": clearance} if clearance else {})}
    log.append(user, "consultation", [e.id], purpose, detail=detail)
    moves = steps(records)
    if fmt == "json":
        doc = {
            "entity": e.id,
            "records": [{**t.to_json(), "text": describe(t, names.get)} for t in records],
            "pathway": [{"day": m.day, "before": m.before, "after": m.after, "direction": m.direction} for m in moves],
        }
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    t = Table(title=f"{e.name} ({e.kind}, {e.id})", show_edge=False)
    for col in ("date", "record", "what", "source", "grading"):
        t.add_column(col)
    for r in records:
        t.add_row(r.date.replace("T", " "), r.record, describe(r, names.get), r.source, r.grading or "")
    print_whole(t)
    if moves:
        now = moves[-1]
        out.print(f"pathway: {' → '.join(m.after for m in moves)}; now {now.after} since {now.day}")
    if not records:
        out.print("no tracking records name this entity")
