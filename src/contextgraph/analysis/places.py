"""Hotspot locations: places where children at risk and persons of concern meet."""

from __future__ import annotations

import numpy as np

from .context import KIND_INDEX, TYPE_INDEX, Context, iso, unique_pairs
from .results import Hotspot
from .scoring import at_risk, in_localities, score_children


def hotspots(ctx: Context, localities: list[str] | None = None, top: int | None = None) -> list[Hotspot]:
    """Locations ranked by the at-risk children linked to them.

    A child known to be exploited counts 1; a child not open to services and at risk
    (see :func:`at_risk`) counts its score up to 1; each person of concern linked
    adds 0.5. Places no at-risk child or person of concern is linked to are not hotspots.
    """
    if ctx.score.shape[0] != ctx.p.n_nodes:
        score_children(ctx)
    p = ctx.p
    src, dst, typ = p.src, p.dst, p.type
    loc = p.kind == KIND_INDEX["location"]
    risky_child = at_risk(ctx)
    at_risk_w = np.where(ctx.known, 1.0, np.clip(ctx.score, 0.0, 1.0)) * risky_child
    types = [TYPE_INDEX[t] for t in ("SEEN_AT", "FOUND_AT", "LIVES_AT")]
    m = ctx.valid & np.isin(typ, types) & loc[dst] & (ctx.child[src] | ctx.poc[src])
    n = p.n_nodes
    place, person = unique_pairs(dst[m], src[m], n)
    score = np.bincount(place, weights=at_risk_w[person] + 0.5 * ctx.poc[person], minlength=n)
    kids = np.bincount(place, weights=ctx.child[person], minlength=n)
    at_risk_kids = np.bincount(place, weights=risky_child[person], minlength=n)
    open_kids = np.bincount(place, weights=ctx.child[person] & ctx.open[person], minlength=n)
    pocs = np.bincount(place, weights=ctx.poc[person], minlength=n)
    fm = m & (typ == TYPE_INDEX["FOUND_AT"])
    found = np.bincount(dst[fm], minlength=n)
    last = np.full(n, -1, np.int64)
    np.maximum.at(last, dst[m].astype(np.int64), p.last_seen[m].astype(np.int64))
    keep = np.flatnonzero((score > 0) & (at_risk_kids + pocs > 0) & loc & in_localities(p, localities))
    order = sorted(keep.tolist(), key=lambda i: (-round(float(score[i]), 9), p.ids[i]))
    if top is not None:
        order = order[:top]
    return [
        Hotspot(
            p.ids[i],
            p.localities[int(p.locality[i])],
            round(float(score[i]), 4),
            r,
            int(kids[i]),
            int(at_risk_kids[i]),
            int(open_kids[i]),
            int(pocs[i]),
            int(found[i]),
            iso(int(last[i])),
        )
        for r, i in enumerate(order, 1)
    ]


# --- peer groups -------------------------------------------------------------------
