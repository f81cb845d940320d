"""The partnership report through GraphQL: its figures as JSON and the same as one HTML file to
print, of what the reader may see (their localities and clearance), for roles that report."""

from __future__ import annotations

from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from ....errors import BadInput
from ....ingest.writes import linkable
from ....partnership.build import Report, build
from ....partnership.holdings import period
from ....partnership.render import plain, to_html
from ..context import NO_PURPOSE, Context, RequestError


@strawberry.type(
    name="PartnershipReport",
    description="The partnership report of a period: figures (JSON, as `contextgraph report --format json` "
    "writes them) and one HTML file with charts, to read or print. No child is named in it.",
)
class PartnershipReportView:
    figures: JSON
    marking: str
    made: strawberry.Private[Report]

    @strawberry.field
    def html(self) -> str:
        return to_html(self.made)  # made only when asked for


def report(
    info: Info[Context, None],
    start: Annotated[str, strawberry.argument(name="from", description="The period's first day (YYYY-MM-DD).")],
    end: Annotated[str, strawberry.argument(name="to", description="The period's last day (YYYY-MM-DD).")],
    locality: str | None = None,
    recipient: Annotated[
        str | None,
        strawberry.argument(description="Who it is for, when it leaves the service (logged as a disclosure)."),
    ] = None,
    outside: Annotated[
        bool, strawberry.argument(description="For a recipient outside the partnership: small counts suppressed.")
    ] = False,
) -> PartnershipReportView:
    ctx = info.context
    ctx.allow(ctx.rules.may_report, "the partnership report")
    try:
        p = period(start, end)
    except BadInput as exc:
        raise RequestError(str(exc).replace("--from", "from").replace("--to", "to")) from exc
    flt = ctx.scope(locality=locality)
    detail: dict[str, Any] = {
        "graphql": "report",
        "from": p.start,
        "to": p.end,
        "localities": sorted(flt.localities or []),
        "handling": "P" if flt.public_only else "C",
        **({"outside": True} if outside else {}),
    }
    if not (ctx.purpose or "").strip():  # refused before the work, not after it
        raise RequestError(NO_PURPOSE)
    if recipient is not None and not recipient.strip():
        raise RequestError("say who it is for (recipient): it leaves the service")
    try:
        made = build(ctx.store, p, flt, visible=lambda ids: set(linkable(ctx.store, flt, ids)), outside=outside)
    except BadInput as exc:  # a census table configured wrongly, told as such
        raise RequestError(str(exc)) from exc
    # logged once made and before it is answered: what is not logged is not shown
    if recipient is not None:
        ctx.disclosed(recipient, detail)
    else:
        ctx.logged("consultation", [], detail)
    return PartnershipReportView(figures=cast(JSON, plain(made)), marking=made.marking, made=made)
