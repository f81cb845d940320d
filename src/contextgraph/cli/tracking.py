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
    purpose_of,
)


@app.command()
def timeline(
    entity_id: Annotated[str, typer.Argument(help="Entity id: a child, a place, a school, a group or a person")],
    store: StoreOpt = None,
    fmt: FormatOpt = "table",
    user: UserOpt = "cli",
    purpose: PurposeOpt = None,
) -> None:
    """What happened to an entity over time: its missing episodes, referrals, risk assessments,
    plans, disruptions and outcome reviews, and those of others that name it, oldest first; for
    a child, their moves on the risk pathway."""
    from ..model.timeline import describe, steps

    check_format(fmt)
    purpose = purpose_of("timeline", purpose)
    log = access_log(store)
    with opened(store, log) as s:
        e = s.get(entity_id)
        if e is None:
            raise UserError(f"no entity {entity_id!r}")
        records = s.timeline(entity_id)
        names = {x.id: x.name for x in s.get_many({i for t in records for i in t.involves}).values()}
    log.append(user, "consultation", [e.id], purpose, detail={"command": "timeline", "records": len(records)})
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
    out.print(t)
    if moves:
        now = moves[-1]
        out.print(f"pathway: {' → '.join(m.after for m in moves)}; now {now.after} since {now.day}")
    if not records:
        out.print("no tracking records name this entity")
