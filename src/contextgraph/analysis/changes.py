"""What changed since a date: new links, new children at risk, places that became hotspots."""

from __future__ import annotations

import numpy as np

from ..model import KIND_CODES
from ..projection import Projection, day
from .context import KIND_INDEX, TYPE_INDEX, Context, iso, prepare
from .networks import fact_of, persons_of_concern
from .places import hotspots
from .results import Changes, ChildChange, Named, PersonChange, TrackedChange
from .scoring import in_localities, score_children
from .weights import DEFAULT, AnalysisError, Weights


def changes(
    p: Projection,
    since: str,
    w: Weights = DEFAULT,
    as_of: str | None = None,
    localities: list[str] | None = None,
    now: Context | None = None,
) -> Changes:
    """What is new since ``since``: links, at-risk children, hotspots and persons of concern.

    The analysis is run as of ``since`` and as of the analysis date, and compared.
    """
    after = now or prepare(p, w, as_of)
    before = prepare(p, w, since, after.events)
    if before.today > after.today:
        raise AnalysisError(f"--since {since} is after the analysis date {iso(after.today)}")
    score_children(before)
    if after.score.shape[0] != p.n_nodes:
        score_children(after)
    inloc = in_localities(p, localities)
    was = set(np.flatnonzero(before.score > 1e-9).tolist())
    now_set = np.flatnonzero((after.score > 1e-9) & inloc).tolist()

    def scored(i: int) -> ChildChange:
        return ChildChange(p.ids[i], round(float(after.score[i]), 4), round(float(before.score[i]), 4))

    new_children = tuple(scored(i) for i in sorted(now_set, key=lambda i: -after.score[i]) if i not in was)
    raised = tuple(
        scored(i)
        for i in sorted(now_set, key=lambda i: -after.score[i])
        if i in was and after.score[i] >= before.score[i] * 1.5 + 0.1
    )
    newly_open = tuple(Named(p.ids[i]) for i in np.flatnonzero(after.open & ~before.open & inloc).tolist())
    newly_known = tuple(Named(p.ids[i]) for i in np.flatnonzero(after.known & ~before.known & inloc).tolist())
    d = day(since)
    risky_end = after.risky | (after.score > 1e-9) | (p.kind != KIND_INDEX["child"])
    fresh = after.valid & (p.first_seen > d) & (p.type != TYPE_INDEX["ATTENDS"])
    m = fresh & (after.risky[p.src] | after.risky[p.dst] | (after.score[p.src] > 1e-9) | (after.score[p.dst] > 1e-9))
    m &= risky_end[p.src] & risky_end[p.dst] & (inloc[p.src] | inloc[p.dst])
    links = sorted((fact_of(p, e) for e in np.flatnonzero(m).tolist()), key=lambda f: (f.date or "", f.type))
    hs_before = {h.id for h in hotspots(before, localities)}
    new_hot = tuple(h for h in hotspots(after, localities) if h.id not in hs_before)
    poc_before = {r.id: r for r in persons_of_concern(before, localities)}
    poc_changes = []
    for r in persons_of_concern(after, localities):
        old = poc_before.get(r.id)
        if old is None or r.children_linked > old.children_linked:
            poc_changes.append(PersonChange(r.id, r.children_linked, old.children_linked if old else 0, old is None))
    return Changes(
        since=iso(d) or since,
        links=tuple(links),
        children=new_children,
        children_raised=raised,
        children_newly_open=newly_open,
        children_newly_known=newly_known,
        hotspots=new_hot,
        persons_of_concern=tuple(poc_changes),
        tracking=tuple(
            TrackedChange(i, record, p.ids[node], KIND_CODES[p.kind[node]], iso(at), what)
            for at, i, record, node, what in after.events.log
            if d < at <= after.today and inloc[node]
        ),
    )


# --- everything at once ----------------------------------------------------------------
