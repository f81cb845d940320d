"""The whole analysis of one projection, and its parts for the service's lists."""

from __future__ import annotations

from ..memory import paused_gc
from ..projection import Projection
from .changes import changes
from .context import Context, iso, prepare
from .networks import leiden_communities, peer_groups, persons_of_concern
from .places import hotspots
from .results import Analysis, Networks
from .scoring import score_children, unopened_at_risk
from .weights import DEFAULT, Weights


def analyse(
    p: Projection,
    w: Weights = DEFAULT,
    as_of: str | None = None,
    since: str | None = None,
    localities: list[str] | None = None,
    top: int | None = None,
    seed: int = 0,
) -> Analysis:
    """The whole analysis of a projection, as typed records of ids and numbers (no names).

    >>> from contextgraph.projection import Projection
    >>> p = Projection.from_lists(
    ...     ["p", "a", "l", "svc-YJS"], ["person_of_concern", "child", "location", "service"], ["E"] * 4,
    ...     [(0, 1, "EXPLOITS", "2024-03-01", "2024-03-01", 1, "1B P"),
    ...      (1, 2, "FOUND_AT", "2024-03-02", "2024-03-02", 1, None)])
    >>> out = analyse(p)
    >>> [c.id for c in out.unopened_at_risk], [h.id for h in out.hotspots]
    (['a'], ['l'])
    """
    with paused_gc():
        return analyse_parts(p, w, as_of, since, localities, top, seed)


def analyse_parts(
    p: Projection,
    w: Weights,
    as_of: str | None,
    since: str | None,
    localities: list[str] | None,
    top: int | None,
    seed: int,
) -> Analysis:
    ctx = prepare(p, w, as_of)
    score_children(ctx)
    return lists(ctx, localities, top).joined(networks(ctx, since, localities, top, seed))


def lists(
    ctx: Context, localities: list[str] | None = None, top: int | None = None, with_hotspots: bool = True
) -> Analysis:
    """The ranked children and hotspots of a scored context (the first half of :func:`analyse`,
    the network half left empty); ``with_hotspots=False`` leaves the hotspots out, for a caller
    that computes them elsewhere."""
    return Analysis(
        as_of=iso(ctx.today),
        localities=tuple(sorted(localities)) if localities else None,
        known_children=int(ctx.known.sum()),
        unopened_at_risk=tuple(unopened_at_risk(ctx, localities, top)),
        hotspots=tuple(hotspots(ctx, localities, top)) if with_hotspots else (),
    )


def networks(
    ctx: Context,
    since: str | None = None,
    localities: list[str] | None = None,
    top: int | None = None,
    seed: int = 0,
    groups: bool = True,
) -> Networks:
    """Peer groups, persons of concern and changes of a scored context (the second half of
    :func:`analyse`); ``groups=False`` leaves the peer groups and the persons of concern out (none
    listed), for a caller that asks for them apart (:func:`.report.groups_of_store`) only when they
    are read."""
    changed = changes(ctx.p, since, ctx.w, iso(ctx.today), localities, now=ctx) if since else None
    if not groups:
        return Networks(peer_groups=(), persons_of_concern=(), changes=changed)
    comm = leiden_communities(ctx, seed, 1.0)
    return Networks(
        peer_groups=tuple(peer_groups(ctx, localities, seed, communities=comm)),
        persons_of_concern=tuple(persons_of_concern(ctx, localities, top, seed, communities=comm)),
        changes=changed,
    )


# --- baselines and measures ------------------------------------------------------------
