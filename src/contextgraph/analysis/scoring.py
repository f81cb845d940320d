"""Children linked to harm and not open to any service: evidence, scores and reasons."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import numpy.typing as npt

from ..model import GRADE_CODES, KIND_CODES, TYPE_CODES
from ..projection import Projection
from .context import KIND_INDEX, TYPE_INDEX, B, Context, F, I, iso
from .results import AtRiskChild, Fact, PlaceContext, Reason, ReasonKind
from .weights import (
    ASSOCIATES_KNOWN,
    ASSOCIATES_POC,
    EXPLOITED_BY,
    FAMILY_KNOWN,
    FAMILY_POC,
    FLAGGED,
    FOUND_AT,
    FOUND_AWAY,
    LIVES_AT,
    MEMBER_OF,
    MISSING_WITH,
    NO_RETURN_INTERVIEW,
    PEER,
    REASON_INDEX,
    REASON_KINDS,
    REPEAT_MISSING,
    SEEN_AT,
    STEPPED_UP,
)


def evidence(ctx: Context) -> tuple[I, I, I, F, I]:
    """Rows of direct evidence: (child, edge, other end, value, reason kind); edge -1 for a flag."""
    p, w = ctx.p, ctx.w
    src, dst, typ = p.src.astype(np.int64), p.dst.astype(np.int64), p.type
    unopened = ctx.child & ~ctx.open
    out_c: list[I] = []
    out_e: list[I] = []
    out_o: list[I] = []
    out_v: list[F] = []
    out_k: list[I] = []

    def add(mask: B, c: I, o: I, value: F, kinds: I) -> None:
        keep = mask & unopened[c] & (value > 0)
        e = np.flatnonzero(keep)
        out_c.append(c[keep])
        out_e.append(e)
        out_o.append(o[keep])
        out_v.append(value[keep] * ctx.factor[keep])
        out_k.append(kinds[keep])

    m = len(src)
    valid = ctx.valid

    def const(x: float) -> F:
        return np.full(m, x)

    def kinds(name: str) -> I:
        return np.full(m, REASON_INDEX[name], np.int64)

    # directed types: the child is the source (or the target of EXPLOITS)
    add(valid & (typ == TYPE_INDEX["EXPLOITS"]) & ctx.poc[src], dst, src, const(w.exploited_by), kinds(EXPLOITED_BY))
    for t, wt, base, kind in (
        ("SEEN_AT", w.seen_at_risky, 0.0, SEEN_AT),
        ("LIVES_AT", w.lives_at_risky, 0.0, LIVES_AT),
        ("FOUND_AT", w.found_at_risky, w.found_at, FOUND_AT),
        ("MEMBER_OF", w.member_of_risky, 0.0, MEMBER_OF),
    ):
        add(valid & (typ == TYPE_INDEX[t]), src, dst, base + wt * ctx.risk[dst], kinds(kind))
    # found far from home: a place in another locality than the child's (both known)
    none = p.localities.index(None) if None in p.localities else -1
    away = (p.locality[src] != p.locality[dst]) & (p.locality[src] != none) & (p.locality[dst] != none)
    add(valid & (typ == TYPE_INDEX["FOUND_AT"]) & away, src, dst, const(w.found_out_of_area), kinds(FOUND_AWAY))
    # symmetric types between people: either end may be the child
    for c, o in ((src, dst), (dst, src)):
        a = valid & (typ == TYPE_INDEX["ASSOCIATES_WITH"])
        poc_value = w.associates_with_poc + w.associates_with_risky_poc * ctx.poc_risk[o]
        add(a & ctx.poc[o], c, o, poc_value, kinds(ASSOCIATES_POC))
        add(a & ctx.known[o], c, o, const(w.associates_with_known), kinds(ASSOCIATES_KNOWN))
        f = valid & (typ == TYPE_INDEX["FAMILY_OF"])
        add(f & ctx.poc[o], c, o, const(w.family_of_poc), kinds(FAMILY_POC))
        add(f & ctx.known[o], c, o, const(w.family_of_known), kinds(FAMILY_KNOWN))
        mw = valid & (typ == TYPE_INDEX["MISSING_WITH"]) & ctx.child[o]
        add(mw, c, o, (w.missing + w.missing_with_known * ctx.known[o]).astype(np.float64), kinds(MISSING_WITH))
    flagged = np.flatnonzero(unopened & p.flag)
    if w.flagged > 0 and flagged.size:
        out_c.append(flagged)
        out_e.append(np.full(flagged.size, -1, np.int64))
        out_o.append(flagged)
        out_v.append(np.full(flagged.size, w.flagged))
        out_k.append(np.full(flagged.size, REASON_INDEX[FLAGGED], np.int64))
    # tracking events raise the concern for a child already linked to harm by evidence other
    # than their missing episodes (at least ``at_risk_threshold`` of it): alone, a child who goes
    # missing is vulnerable, not linked to harm, and the links of their episodes (where they were
    # found, with whom) are already counted
    kc, kv, kk = np.concatenate(out_c), np.concatenate(out_v), np.concatenate(out_k)
    besides = ~np.isin(kk, [REASON_INDEX[x] for x in (FOUND_AT, FOUND_AWAY, MISSING_WITH)])
    so_far = np.bincount(kc[besides], weights=kv[besides], minlength=p.n_nodes)
    for node, value, kind in tracked_evidence(ctx, unopened & (so_far >= w.at_risk_threshold)):
        out_c.append(node)
        out_e.append(np.full(node.size, -1, np.int64))
        out_o.append(node)
        out_v.append(value)
        out_k.append(np.full(node.size, REASON_INDEX[kind], np.int64))
    return (
        np.concatenate(out_c),
        np.concatenate(out_e),
        np.concatenate(out_o),
        np.concatenate(out_v),
        np.concatenate(out_k),
    )


def tracked_evidence(ctx: Context, unopened: B) -> list[tuple[I, F, str]]:
    """Evidence read from the children's tracking events: (children, values, reason kind) for
    repeated missing episodes, episodes with no return interview, and a recent step up. Each
    child's latest event dates it (its weight halves every ``half_life_days`` before the
    analysis date); what is behind each is kept in ``ctx.tracked`` for its reason."""
    ev, w, today = ctx.events, ctx.w, ctx.today
    out: list[tuple[I, F, str]] = []

    def recency(d: npt.NDArray[Any]) -> F:
        age = np.clip(today - d.astype(np.float64), 0, None)
        got: F = 0.5 ** (age / max(w.half_life_days, 1e-9))
        return got

    def per_child(mask: B, nodes: I, days: npt.NDArray[Any], ids: tuple[str, ...], kind: str) -> tuple[I, I, F]:
        """The children with events under ``mask``: how many each, and the day of the latest."""
        sel = np.flatnonzero(mask & unopened[nodes])
        if not sel.size:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        order = sel[np.lexsort((-days[sel], nodes[sel]))]  # by child, newest first
        kids, first, count = np.unique(nodes[order], return_index=True, return_counts=True)
        latest = days[order][first]
        k = REASON_INDEX[kind]
        for kid, at, n in zip(kids.tolist(), first.tolist(), count.tolist(), strict=True):
            ctx.tracked[kid, k] = (iso(int(days[order][at])), tuple(ids[i] for i in order[at : at + n]), None)
        return kids.astype(np.int64), count.astype(np.int64), recency(latest)

    if ev.episode_node.size:
        window = (ev.episode_day <= today) & (ev.episode_day > today - w.tracking_days)
        kids, n, rec = per_child(window, ev.episode_node, ev.episode_day, ev.episode_id, REPEAT_MISSING)
        many = n >= 2
        for kid in kids[~many].tolist():
            ctx.tracked.pop((kid, REASON_INDEX[REPEAT_MISSING]), None)
        out.append((kids[many], w.repeat_missing * (1 - 0.5 ** (n[many] - 1)) * rec[many], REPEAT_MISSING))
        kids, n, rec = per_child(
            window & ~ev.interviewed, ev.episode_node, ev.episode_day, ev.episode_id, NO_RETURN_INTERVIEW
        )
        out.append((kids, w.no_return_interview * rec, NO_RETURN_INTERVIEW))
    if ev.step_node.size:
        past = ev.step_day <= today
        sel = np.flatnonzero(past & unopened[ev.step_node])
        latest: dict[int, int] = {}
        for i in sel[np.lexsort((ev.step_day[sel], ev.step_node[sel]))].tolist():
            latest[int(ev.step_node[i])] = i  # the last step of each child, as of the analysis date
        up = [i for i in latest.values() if ev.step_up[i] and ev.step_day[i] > today - w.step_days]
        k = REASON_INDEX[STEPPED_UP]
        for i in up:
            ctx.tracked[int(ev.step_node[i]), k] = (iso(int(ev.step_day[i])), (ev.step_id[i],), ev.step_level[i])
        idx = np.array(up, np.int64)
        out.append((ev.step_node[idx], w.stepped_up * recency(ev.step_day[idx]), STEPPED_UP))
    return [x for x in out if x[0].size]


def score_children(ctx: Context) -> F:
    """Each node's score (0 for all but children not open to services); keeps the evidence rows.

    >>> from contextgraph.analysis import prepare
    >>> from contextgraph.projection import Projection
    >>> p = Projection.from_lists(["p", "a"], ["person_of_concern", "child"], [None, None],
    ...     [(0, 1, "EXPLOITS", None, None, 1, "1A P")])
    >>> score_children(prepare(p)).round(2).tolist()
    [0.0, 0.8]
    """
    c, e, o, v, k = evidence(ctx)
    v = diminish(c, k, v, ctx.w.repeat)
    n = ctx.p.n_nodes
    direct = np.bincount(c, weights=v, minlength=n)
    # second step: part of the direct evidence of unopened children they went missing or associate with
    p = ctx.p
    src, dst, typ = p.src.astype(np.int64), p.dst.astype(np.int64), p.type
    unopened = ctx.child & ~ctx.open
    w = ctx.w
    pc: list[I] = [c]
    pe: list[I] = [e]
    po: list[I] = [o]
    pv: list[F] = [v]
    pk: list[I] = [k]
    for t, share in (("MISSING_WITH", w.peer_missing), ("ASSOCIATES_WITH", w.peer_associates)):
        m = ctx.valid & (typ == TYPE_INDEX[t]) & unopened[src] & unopened[dst]
        own = (w.missing if t == "MISSING_WITH" else 0.0) * ctx.factor  # what this link gave the other child
        for a, b in ((src, dst), (dst, src)):
            other = np.clip(direct[b] - own, 0.0, 1.0)
            other[other < w.at_risk_threshold] = 0.0  # only from children who are at risk themselves
            val = share * other * ctx.factor
            keep = m & (val > 0)
            pc.append(a[keep])
            pe.append(np.flatnonzero(keep))
            po.append(b[keep])
            pv.append(val[keep])
            pk.append(np.full(int(keep.sum()), REASON_INDEX[PEER], np.int64))
    c, e, o, k = (np.concatenate(x) for x in (pc, pe, po, pk))
    v = np.concatenate(pv).astype(np.float64)
    if len(pv) > 1:
        tail = slice(pc[0].size, None)
        v[tail] = diminish(c[tail], k[tail], v[tail], ctx.w.repeat)
    score: F = np.bincount(c, weights=v, minlength=n).astype(np.float64)
    ctx.score = score
    ctx.rows = {"child": c, "edge": e, "other": o, "value": v, "kind": k}
    not_place = ~np.isin(k, [REASON_INDEX[x] for x in (SEEN_AT, FOUND_AT, LIVES_AT)])
    ctx.person_score = np.bincount(c[not_place], weights=v[not_place], minlength=n).astype(np.float64)
    return score


def at_risk(ctx: Context) -> B:
    """Children at risk for counting in places and groups: known to be exploited, or not open to
    services with evidence other than the places they are seen at of at least ``at_risk_threshold``
    (so that a place does not make its own visitors count as at risk)."""
    if ctx.score.shape[0] != ctx.p.n_nodes:
        score_children(ctx)
    out: B = ctx.known | (ctx.person_score >= ctx.w.at_risk_threshold)
    return out


def diminish(c: I, k: I, v: F, repeat: float) -> F:
    """Scale the n-th largest piece of evidence of one kind for one child by ``repeat ** n``.

    >>> diminish(np.array([0, 0, 0]), np.array([1, 1, 2]), np.array([0.2, 0.4, 0.3]), 0.5).tolist()
    [0.1, 0.4, 0.3]
    """
    if v.size == 0 or repeat >= 1.0:
        return v
    order = np.lexsort((-v, k, c))
    nth = nth_in_run(c[order], k[order])
    out = v.copy()
    out[order] = v[order] * repeat**nth
    return out


def nth_in_run(*keys: I) -> I:
    """Each position's place (0, 1, 2, ...) within its run of equal ``keys``, for sorted keys.

    >>> nth_in_run(np.array([0, 0, 0, 1, 1]), np.array([5, 5, 6, 6, 6])).tolist()
    [0, 1, 0, 0, 1]
    """
    n = keys[0].size
    start = np.zeros(n, bool)
    start[:1] = True
    for key in keys:
        start[1:] |= key[1:] != key[:-1]
    idx = np.arange(n)
    out: I = idx - np.maximum.accumulate(np.where(start, idx, 0))
    return out


def unopened_at_risk(ctx: Context, localities: list[str] | None = None, top: int | None = None) -> list[AtRiskChild]:
    """Children not open to any service with a score above 0, ranked, each with its reasons.

    A reason (:class:`~contextgraph.analysis.results.Reason`) holds its ``kind``, its ``weight``
    (its part of the score), the ``other`` entity it passes through and the ``facts`` behind it.
    """
    p = ctx.p
    order = ranked_children(ctx, localities)
    score = ctx.score
    if top is not None:
        order = order[:top]
    reasons = top_reasons(ctx, np.array(order, np.int64))
    pieces = np.bincount(ctx.rows["child"], minlength=p.n_nodes)
    out = []
    for rank, i in enumerate(order, 1):
        given = tuple(reasons.get(i, ()))
        shown = round(float(score[i]), 4)
        further = max(0.0, round(shown - sum(r.weight for r in given), 4))
        n = int(pieces[i]) - len(given)
        out.append(
            AtRiskChild(
                p.ids[i], p.localities[int(p.locality[i])], shown, rank, bool(p.flag[i]), given,
                further=further if n else 0.0, further_pieces=n,
            )
        )  # fmt: skip
    return out


def ranked_children(ctx: Context, localities: list[str] | None = None) -> list[int]:
    """The children not open to any service with a score above 0, as indices of the projection,
    highest score first and ties by id (the order of :func:`unopened_at_risk`, without reasons)."""
    if ctx.score.shape[0] != ctx.p.n_nodes:
        score_children(ctx)
    p, score = ctx.p, ctx.score
    cand = np.flatnonzero((score > 1e-9) & in_localities(p, localities))
    # rank by score, ties by id so that the order is stable
    return sorted(cand.tolist(), key=lambda i: (-round(float(score[i]), 9), p.ids[i]))


def top_reasons(ctx: Context, children: I) -> dict[int, list[Reason]]:
    """The largest reasons of each of ``children`` (at most ``reasons`` of the weights each)."""
    rows = ctx.rows
    want = np.zeros(ctx.p.n_nodes, bool)
    want[children] = True
    sel = np.flatnonzero(want[rows["child"]])
    c, v = rows["child"][sel], rows["value"][sel]
    order = sel[np.lexsort((-v, c))]
    # the first k rows of each child
    order = order[nth_in_run(rows["child"][order]) < max(1, ctx.w.reasons)]
    return reasons_of(ctx, order)


def reasons_of(ctx: Context, order: I) -> dict[int, list[Reason]]:
    """Reason records for evidence rows ``order``, gathered column by column."""
    p, rows = ctx.p, ctx.rows
    e = rows["edge"][order]
    o = rows["other"][order]
    ee = np.where(e >= 0, e, 0)

    def col(a: npt.NDArray[Any]) -> list[Any]:
        """An edge column at the rows' edges (a reason without an edge, as a flag, reads row 0, or
        zero when the graph has no edge at all: a window with no fact in it)."""
        got: list[Any] = (a[ee] if a.shape[0] else np.zeros(ee.shape[0], a.dtype)).tolist()
        return got

    child_k, place_k = KIND_INDEX["child"], [REASON_INDEX[x] for x in (SEEN_AT, LIVES_AT, FOUND_AT, MEMBER_OF)]
    cols = zip(
        rows["child"][order].tolist(),
        e.tolist(),
        o.tolist(),
        rows["kind"][order].tolist(),
        np.round(rows["value"][order], 4).tolist(),
        col(p.type),
        col(p.src),
        col(p.dst),
        col(p.last_seen),
        col(p.grade),
        p.kind[o].tolist(),
        ctx.known[o].tolist(),
        np.round(ctx.score[o], 4).tolist(),
        ctx.risky_links[o].tolist(),
        ctx.pocs_linked[o].tolist(),
        ctx.linked[o].tolist(),
        np.round(ctx.risk[o], 4).tolist(),
        ctx.poc_home[o].tolist(),
        strict=True,
    )
    ids, dates = p.ids, DateCache()
    kinds = cast(tuple[ReasonKind, ...], REASON_KINDS)
    peer, away = REASON_INDEX[PEER], REASON_INDEX[FOUND_AWAY]
    out: dict[int, list[Reason]] = {}
    for ch, edge, other, kind, value, t, s, d, last, g, okind, known, oscore, rl, pl, ln, risk, home in cols:
        if edge < 0:
            when, records, detail = ctx.tracked.get((ch, kind), (None, (), None))
            r = Reason(kinds[kind], value, ids[ch], (), when, None, records=records, detail=detail)
        else:
            child = okind == child_k
            r = Reason(
                kinds[kind],
                value,
                ids[other],
                (Fact(TYPE_CODES[t], ids[s], ids[d]),),
                dates(last),
                GRADE_CODES[g],
                other_kind=KIND_CODES[okind],
                other_open_to=tuple(sorted(ctx.open_codes.get(other, []))) if child else None,
                other_known=known if child else None,
                other_score=oscore if child and kind == peer else None,
                other_locality=p.localities[int(p.locality[other])] if kind == away else None,
                context=PlaceContext(rl, pl, rl - pl, ln, risk, home) if kind in place_k else None,
            )
        out.setdefault(ch, []).append(r)
    return out


class DateCache(dict[int, str | None]):
    """ISO dates of day numbers, each computed once."""

    def __call__(self, d: int) -> str | None:
        got = self.get(d, "")
        if got == "":
            got = self[d] = iso(d)
        return got


def in_localities(p: Projection, localities: list[str] | None) -> B:
    if not localities:
        return np.ones(p.n_nodes, bool)
    wanted = set(localities)
    codes = [i for i, x in enumerate(p.localities) if x in wanted]
    return np.isin(p.locality, codes)


# --- hotspots -------------------------------------------------------------------------
