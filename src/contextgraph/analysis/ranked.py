"""The ranking alone: the children not open to any service linked to harm, by id, and the first
hotspots, without reasons in words, names, peer groups or persons of concern — for a caller that
counts them (the partnership report), at a fraction of the time of the whole analysis, whose
order it gives."""

from __future__ import annotations

import msgspec

from ..memory import paused_gc
from ..store.base import Store
from ..store.filter import Filter
from .context import iso, prepare
from .places import hotspots
from .results import Hotspot
from .scoring import ranked_children, score_children
from .tracking import tracked_events
from .weights import DEFAULT


class Ranked(msgspec.Struct, frozen=True):
    """The children not open to any service linked to harm, by id, highest score first, and the
    first hotspots (ids and numbers)."""

    as_of: str | None
    children: tuple[str, ...]
    hotspots: tuple[Hotspot, ...]


def ranked(
    store: Store,
    as_of: str | None = None,
    localities: list[str] | None = None,
    flt: Filter | None = None,
    hotspots_top: int = 10,
) -> Ranked:
    """The store's ranking as a reader within ``flt`` would see it (as
    :func:`~contextgraph.analysis.report.analyse_store` ranks), as of ``as_of``."""
    p = store.projection(flt)
    with paused_gc():
        ctx = prepare(p, DEFAULT, as_of, tracked_events(store, p, flt))
        score_children(ctx)
        order = ranked_children(ctx, localities)
        return Ranked(
            as_of=iso(ctx.today),
            children=tuple(p.ids[i] for i in order),
            hotspots=tuple(hotspots(ctx, localities, hotspots_top)),
        )
