"""Network analysis: linked at-risk children not open to services, peer groups,
hotspot locations, persons of concern and changes since a date.

Every function here is a pure function of a :class:`~contextgraph.projection.Projection`
(and plain options), so it runs the same on every store, and returns plain data:
ids, numbers and lists that :mod:`contextgraph.report` turns into words.

The method (explained for practitioners in ``docs/analysis.md``):

1. **Known children** are those already open to a service *and* known to be
   exploited: open to the exploitation team, flagged in their record, or named
   as exploited by a person of concern. With persons of concern they are the
   *risky people*. Their labels are used to learn how risky each place and group
   is; the children being ranked (not open to any service) contribute no label.
2. **Place and group risk** is the smoothed share of risky people among the
   people linked to the place or group, counted only where at least
   ``min_risky`` risky people are linked, so that one known child at the library
   does not make the library a hotspot, and a busy place seen by hundreds is
   weighed by its share, not its count.
3. **Evidence** is each relationship of a child not open to services, valued by
   its type and what is at its other end (a person of concern, a known child, a
   risky place or group), times a factor for recency, grading and corroboration.
4. A **second step** adds a part of the direct evidence of children they went
   missing with or associate with, so that a child linked only through another
   unopened child is still seen.
5. A child's **score** is the sum of its evidence; its **reasons** are the
   largest parts, each naming the facts behind it.

>>> from contextgraph.projection import Projection
>>> p = Projection.from_lists(
...     ["p", "a", "b", "svc-YJS"], ["person_of_concern", "child", "child", "service"], ["E"] * 4,
...     [(0, 1, "EXPLOITS", "2024-03-01", "2024-03-01", 1, "1B P"),
...      (1, 2, "MISSING_WITH", "2024-03-02", "2024-03-02", 1, None)])
>>> [(c["id"], c["rank"]) for c in unopened_at_risk(prepare(p))]
[('a', 1), ('b', 2)]
"""

from __future__ import annotations

import json
import random
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any

import igraph as ig
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .memory import paused_gc
from .model import GRADE_CODES, KIND_CODES, TYPE_CODES, service_id
from .projection import Projection, day

F = npt.NDArray[np.float64]
I = npt.NDArray[np.int64]  # noqa: E741 - index arrays
B = npt.NDArray[np.bool_]

_K = {k: i for i, k in enumerate(KIND_CODES)}
_T = {t: i for i, t in enumerate(TYPE_CODES)}


class AnalysisError(ValueError):
    pass


@dataclass(frozen=True)
class Weights:
    """Every weight of the method, in one place; ``docs/analysis.md`` gives the reason for each.

    A file (TOML or JSON) may set any of them: ``analyse --weights FILE``.
    """

    exploited_by: float = 1.0
    """Named as exploited, groomed or run by a person of concern: direct intelligence."""
    associates_with_poc: float = 0.6
    """Seen with or associating with a person of concern."""
    family_of_poc: float = 0.3
    """Family of a person of concern: access, but often no more than that."""
    associates_with_known: float = 0.15
    """Associating with a child known to be exploited (peer recruitment)."""
    family_of_known: float = 0.05
    """Sibling or relative of a child known to be exploited: a weak sign on its own."""
    missing: float = 0.05
    """Going missing with another child at all."""
    missing_with_known: float = 0.5
    """Added when the other child is known to be exploited."""
    found_at: float = 0.05
    """Being found somewhere at the end of a missing episode."""
    found_at_risky: float = 0.8
    """Added, times the place's risk, when found at a risky place (trap house, out-of-area address)."""
    found_out_of_area: float = 0.3
    """Being found in another locality than the child's own: children taken out of area by lines."""
    seen_at_risky: float = 0.6
    """Seen at a place, times the place's risk."""
    lives_at_risky: float = 0.8
    """Living at a place, times the place's risk (an address used by persons of concern)."""
    member_of_risky: float = 0.8
    """Member of a group or line, times the group's risk."""
    flagged: float = 0.5
    """The child's own record flags a risk of exploitation."""
    peer_missing: float = 0.3
    """Second step: this share of the evidence of a child they went missing with."""
    peer_associates: float = 0.1
    """Second step: this share of the evidence of a child they associate with."""
    poc_address: float = 0.5
    """The least risk of an address where a person of concern lives (a possible trap house)."""
    min_risky: int = 2
    min_place_risk: float = 0.05
    """A place or group whose risk is below this is not counted as risky at all."""
    """A place or group is risky only when at least this many risky people are linked to it."""
    smoothing: float = 2.0
    """Pseudo-count pulling a place's or group's share towards the overall share."""
    half_life_days: float = 730.0
    """Evidence loses half its weight in this many days before the analysis date."""
    undated: float = 0.8
    """Factor for facts with no date."""
    source_evaluation: tuple[float, float, float] = (1.0, 0.8, 0.5)
    """Factor by source evaluation 1, 2, 3."""
    intelligence_assessment: tuple[float, float, float, float, float] = (1.0, 0.9, 0.75, 0.6, 0.2)
    """Factor by intelligence assessment A-E (E: suspected false)."""
    ungraded: float = 0.7
    """Factor for facts with no grading."""
    corroboration: float = 0.5
    """Each doubling of the sources asserting a fact adds this share of its weight."""
    repeat: float = 0.5
    """Each further piece of evidence of the same kind counts this much of the one before."""
    at_risk_threshold: float = 0.2
    """In hotspot, peer-group and person-of-concern counts, a child not open to services counts as at
    risk when its evidence other than places adds up to at least this."""
    reasons: int = 3
    """How many reasons to keep for each child (the score counts every piece of evidence)."""

    @classmethod
    def load(cls, path: Path) -> Weights:
        """Weights from a TOML or JSON file; unknown names and wrong values are errors naming the file."""
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        except (OSError, ValueError) as exc:
            raise AnalysisError(f"{path}: cannot read weights: {exc}") from exc
        data = data.get("weights", data)
        known = {f.name: f for f in fields(cls)}
        out: dict[str, Any] = {}
        for k, v in data.items():
            if k not in known:
                raise AnalysisError(f"{path}: unknown weight {k!r} (known: {', '.join(sorted(known))})")
            default = getattr(cls(), k)
            if isinstance(default, tuple):
                if not isinstance(v, list) or len(v) != len(default) or not all(_number(x) for x in v):
                    raise AnalysisError(f"{path}: {k} must be a list of {len(default)} numbers")
                out[k] = tuple(float(x) for x in v)
            elif not _number(v) or v < 0:
                raise AnalysisError(f"{path}: {k} must be a number ≥ 0, not {v!r}")
            else:
                out[k] = int(v) if isinstance(default, int) else float(v)
        return replace(cls(), **out)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


DEFAULT = Weights()

# reason kinds: the evidence a reason stands for
EXPLOITED_BY = "exploited_by"
ASSOCIATES_POC = "associates_with_poc"
FAMILY_POC = "family_of_poc"
ASSOCIATES_KNOWN = "associates_with_known"
FAMILY_KNOWN = "family_of_known"
MISSING_WITH = "missing_with"
FOUND_AT = "found_at"
FOUND_AWAY = "found_out_of_area"
SEEN_AT = "seen_at"
LIVES_AT = "lives_at"
MEMBER_OF = "member_of"
FLAGGED = "flagged"
PEER = "peer"
REASON_KINDS = (
    EXPLOITED_BY,
    ASSOCIATES_POC,
    FAMILY_POC,
    ASSOCIATES_KNOWN,
    FAMILY_KNOWN,
    MISSING_WITH,
    FOUND_AT,
    FOUND_AWAY,
    SEEN_AT,
    LIVES_AT,
    MEMBER_OF,
    FLAGGED,
    PEER,
)
_RK = {k: i for i, k in enumerate(REASON_KINDS)}


def as_of_day(p: Projection, as_of: str | None) -> int:
    """The analysis date as a day number: ``as_of``, or the latest date in the graph.

    >>> from contextgraph.projection import Projection
    >>> p = Projection.from_lists(["a", "b"], ["child", "child"], [None, None],
    ...     [(0, 1, "ASSOCIATES_WITH", "2024-01-01", "2024-02-01", 1, None)])
    >>> as_of_day(p, None) == day("2024-02-01")
    True
    """
    if as_of:
        return day(as_of)
    last = p.last_seen[p.last_seen >= 0]
    return int(last.max()) if last.size else date.today().toordinal() - 719163


def iso(d: int) -> str | None:
    """The ISO date of a day number, or None for an unknown date."""
    return None if d < 0 else date.fromordinal(d + 719163).isoformat()


@dataclass
class Context:
    """What every analysis shares: the graph as of a date, who is known, how risky each place is."""

    p: Projection
    w: Weights
    today: int
    valid: B  # edges asserted on or before the analysis date
    factor: F  # recency × grading × corroboration of each edge
    child: B
    poc: B
    open: B  # children open to a service now
    open_codes: dict[int, list[str]]  # services each open child is open to
    known: B  # children open to a service and known to be exploited
    risky: B  # persons of concern and known children
    risk: F  # place and group risk (0 where not risky)
    risky_links: npt.NDArray[np.int32]  # risky people linked to each place or group
    linked: npt.NDArray[np.int32]  # people linked to each place or group
    pocs_linked: npt.NDArray[np.int32]  # persons of concern linked to each place or group
    base_rate: float
    poc_home: B  # addresses where a person of concern lives
    score: F = field(default_factory=lambda: np.zeros(0))
    person_score: F = field(default_factory=lambda: np.zeros(0))
    rows: dict[str, Any] = field(default_factory=dict)


def prepare(p: Projection, w: Weights = DEFAULT, as_of: str | None = None) -> Context:
    """Everything the analyses share, computed once for a projection and a date."""
    today = as_of_day(p, as_of)
    n = p.n_nodes
    valid = p.first_seen <= today  # undated facts (-1) always count
    src, dst, typ = p.src, p.dst, p.type
    factor = _edge_factor(p, w, today)
    kind = p.kind
    child = kind == _K["child"]
    poc = kind == _K["person_of_concern"]
    # open to services now, and to which
    om = valid & (typ == _T["OPEN_TO"]) & child[src]
    open_ = np.zeros(n, bool)
    open_[src[om]] = True
    codes: dict[int, list[str]] = {}
    for s, d in zip(src[om].tolist(), dst[om].tolist(), strict=True):
        codes.setdefault(s, []).append(p.ids[d].removeprefix("svc-"))
    team = p.index.get(service_id("EXPLOITATION_TEAM"), -1)
    exploited = np.zeros(n, bool)
    em = valid & (typ == _T["EXPLOITS"])
    exploited[dst[em]] = True
    to_team = np.zeros(n, bool)
    if team >= 0:
        to_team[src[om & (dst == team)]] = True
    known = child & open_ & (to_team | p.flag | exploited)
    risky = poc | known
    people = child | poc
    # place and group risk from the people linked to them
    link_types = [_T[t] for t in ("SEEN_AT", "FOUND_AT", "LIVES_AT", "MEMBER_OF")]
    lm = valid & np.isin(typ, link_types) & people[src]
    place, person = unique_pairs(dst[lm], src[lm], n)
    linked = np.bincount(place, minlength=n).astype(np.int32)
    risky_links = np.bincount(place, weights=risky[person], minlength=n).astype(np.int32)
    pocs_linked = np.bincount(place, weights=poc[person], minlength=n).astype(np.int32)
    visitors = np.unique(person)
    base = float(risky[visitors].mean()) if visitors.size else 0.0
    share = (risky_links + w.smoothing * base) / (linked + w.smoothing)
    risk = np.clip((share - base) / max(1.0 - base, 1e-9), 0.0, 1.0)  # the excess over the overall share
    risk[(risky_links < max(1, w.min_risky)) | (risk < w.min_place_risk)] = 0.0
    # an address where a person of concern lives is risky however few are linked to it
    home = valid & (typ == _T["LIVES_AT"]) & poc[src]
    poc_home = np.zeros(n, bool)
    poc_home[dst[home]] = True
    risk = np.where(poc_home, np.maximum(risk, w.poc_address), risk)
    return Context(
        p,
        w,
        today,
        valid,
        factor,
        child,
        poc,
        open_,
        codes,
        known,
        risky,
        risk,
        risky_links,
        linked,
        pocs_linked,
        base,
        poc_home,
    )


def unique_pairs(a: npt.NDArray[Any], b: npt.NDArray[Any], n: int) -> tuple[I, I]:
    """The distinct pairs ``(a[i], b[i])`` of numbers below ``n``, sorted.

    >>> [x.tolist() for x in unique_pairs(np.array([2, 0, 2]), np.array([1, 1, 1]), 3)]
    [[0, 2], [1, 1]]
    """
    key = np.unique(a.astype(np.int64) * n + b.astype(np.int64))
    return key // n, key % n


def _edge_factor(p: Projection, w: Weights, today: int) -> F:
    """Recency × grading × corroboration for every edge."""
    last = p.last_seen.astype(np.float64)
    age = np.clip(today - last, 0, None)
    recency = np.where(p.last_seen >= 0, 0.5 ** (age / max(w.half_life_days, 1e-9)), w.undated)
    by_grade = np.empty(len(GRADE_CODES))
    by_grade[0] = w.ungraded
    for i, g in enumerate(GRADE_CODES[1:], 1):
        assert g is not None
        by_grade[i] = w.source_evaluation[int(g[0]) - 1] * w.intelligence_assessment["ABCDE".index(g[1])]
    grading = by_grade[p.grade.astype(np.int64)]
    corroboration = 1.0 + w.corroboration * np.log2(np.maximum(p.count, 1))
    out: F = recency * grading * corroboration
    return out


# --- linked at-risk children not open to services ----------------------------------


def _evidence(ctx: Context) -> tuple[I, I, I, F, I]:
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
        return np.full(m, _RK[name], np.int64)

    # directed types: the child is the source (or the target of EXPLOITS)
    add(valid & (typ == _T["EXPLOITS"]) & ctx.poc[src], dst, src, const(w.exploited_by), kinds(EXPLOITED_BY))
    for t, wt, base, kind in (
        ("SEEN_AT", w.seen_at_risky, 0.0, SEEN_AT),
        ("LIVES_AT", w.lives_at_risky, 0.0, LIVES_AT),
        ("FOUND_AT", w.found_at_risky, w.found_at, FOUND_AT),
        ("MEMBER_OF", w.member_of_risky, 0.0, MEMBER_OF),
    ):
        add(valid & (typ == _T[t]), src, dst, base + wt * ctx.risk[dst], kinds(kind))
    # found far from home: a place in another locality than the child's (both known)
    none = p.localities.index(None) if None in p.localities else -1
    away = (p.locality[src] != p.locality[dst]) & (p.locality[src] != none) & (p.locality[dst] != none)
    add(valid & (typ == _T["FOUND_AT"]) & away, src, dst, const(w.found_out_of_area), kinds(FOUND_AWAY))
    # symmetric types between people: either end may be the child
    for c, o in ((src, dst), (dst, src)):
        a = valid & (typ == _T["ASSOCIATES_WITH"])
        add(a & ctx.poc[o], c, o, const(w.associates_with_poc), kinds(ASSOCIATES_POC))
        add(a & ctx.known[o], c, o, const(w.associates_with_known), kinds(ASSOCIATES_KNOWN))
        f = valid & (typ == _T["FAMILY_OF"])
        add(f & ctx.poc[o], c, o, const(w.family_of_poc), kinds(FAMILY_POC))
        add(f & ctx.known[o], c, o, const(w.family_of_known), kinds(FAMILY_KNOWN))
        mw = valid & (typ == _T["MISSING_WITH"]) & ctx.child[o]
        add(mw, c, o, (w.missing + w.missing_with_known * ctx.known[o]).astype(np.float64), kinds(MISSING_WITH))
    flagged = np.flatnonzero(unopened & p.flag)
    if w.flagged > 0 and flagged.size:
        out_c.append(flagged)
        out_e.append(np.full(flagged.size, -1, np.int64))
        out_o.append(flagged)
        out_v.append(np.full(flagged.size, w.flagged))
        out_k.append(np.full(flagged.size, _RK[FLAGGED], np.int64))
    return (
        np.concatenate(out_c),
        np.concatenate(out_e),
        np.concatenate(out_o),
        np.concatenate(out_v),
        np.concatenate(out_k),
    )


def score_children(ctx: Context) -> F:
    """Each node's score (0 for all but children not open to services); keeps the evidence rows.

    >>> from contextgraph.projection import Projection
    >>> p = Projection.from_lists(["p", "a"], ["person_of_concern", "child"], [None, None],
    ...     [(0, 1, "EXPLOITS", None, None, 1, "1A P")])
    >>> score_children(prepare(p)).round(2).tolist()
    [0.0, 0.8]
    """
    c, e, o, v, k = _evidence(ctx)
    v = _diminish(c, k, v, ctx.w.repeat)
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
        m = ctx.valid & (typ == _T[t]) & unopened[src] & unopened[dst]
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
            pk.append(np.full(int(keep.sum()), _RK[PEER], np.int64))
    c, e, o, k = (np.concatenate(x) for x in (pc, pe, po, pk))
    v = np.concatenate(pv).astype(np.float64)
    if len(pv) > 1:
        tail = slice(pc[0].size, None)
        v[tail] = _diminish(c[tail], k[tail], v[tail], ctx.w.repeat)
    score: F = np.bincount(c, weights=v, minlength=n).astype(np.float64)
    ctx.score = score
    ctx.rows = {"child": c, "edge": e, "other": o, "value": v, "kind": k}
    not_place = ~np.isin(k, [_RK[x] for x in (SEEN_AT, FOUND_AT, LIVES_AT)])
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


def _diminish(c: I, k: I, v: F, repeat: float) -> F:
    """Scale the n-th largest piece of evidence of one kind for one child by ``repeat ** n``.

    >>> _diminish(np.array([0, 0, 0]), np.array([1, 1, 2]), np.array([0.2, 0.4, 0.3]), 0.5).tolist()
    [0.1, 0.4, 0.3]
    """
    if v.size == 0 or repeat >= 1.0:
        return v
    order = np.lexsort((-v, k, c))
    nth = _nth_in_run(c[order], k[order])
    out = v.copy()
    out[order] = v[order] * repeat**nth
    return out


def _nth_in_run(*keys: I) -> I:
    """Each position's place (0, 1, 2, ...) within its run of equal ``keys``, for sorted keys.

    >>> _nth_in_run(np.array([0, 0, 0, 1, 1]), np.array([5, 5, 6, 6, 6])).tolist()
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


def unopened_at_risk(ctx: Context, localities: list[str] | None = None, top: int | None = None) -> list[dict[str, Any]]:
    """Children not open to any service with a score above 0, ranked, each with its reasons.

    A reason is plain data: its ``kind``, its ``weight`` (its part of the score), the
    ``other`` entity it passes through and the ``facts`` (relationship keys) behind it.
    """
    if ctx.score.shape[0] != ctx.p.n_nodes:
        score_children(ctx)
    p = ctx.p
    score = ctx.score
    cand = np.flatnonzero((score > 1e-9) & _in_localities(p, localities))
    # rank by score, ties by id so that the order is stable
    order = sorted(cand.tolist(), key=lambda i: (-round(float(score[i]), 9), p.ids[i]))
    if top is not None:
        order = order[:top]
    reasons = _top_reasons(ctx, np.array(order, np.int64))
    out = []
    for rank, i in enumerate(order, 1):
        out.append(
            {
                "id": p.ids[i],
                "locality": p.localities[int(p.locality[i])],
                "score": round(float(score[i]), 4),
                "rank": rank,
                "flagged": bool(p.flag[i]),
                "reasons": reasons.get(i, []),
            }
        )
    return out


def _top_reasons(ctx: Context, children: I) -> dict[int, list[dict[str, Any]]]:
    rows = ctx.rows
    want = np.zeros(ctx.p.n_nodes, bool)
    want[children] = True
    sel = np.flatnonzero(want[rows["child"]])
    c, v = rows["child"][sel], rows["value"][sel]
    order = sel[np.lexsort((-v, c))]
    # the first k rows of each child
    order = order[_nth_in_run(rows["child"][order]) < max(1, ctx.w.reasons)]
    return _reasons_of(ctx, order)


def _reasons_of(ctx: Context, order: I) -> dict[int, list[dict[str, Any]]]:
    """Reason records for evidence rows ``order``, gathered column by column."""
    p, rows = ctx.p, ctx.rows
    e = rows["edge"][order]
    o = rows["other"][order]
    ee = np.where(e >= 0, e, 0)
    child_k, place_k = _K["child"], [_RK[x] for x in (SEEN_AT, LIVES_AT, FOUND_AT, MEMBER_OF)]
    cols = zip(
        rows["child"][order].tolist(),
        e.tolist(),
        o.tolist(),
        rows["kind"][order].tolist(),
        np.round(rows["value"][order], 4).tolist(),
        p.type[ee].tolist(),
        p.src[ee].tolist(),
        p.dst[ee].tolist(),
        p.last_seen[ee].tolist(),
        p.grade[ee].tolist(),
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
    ids, dates = p.ids, _DateCache()
    out: dict[int, list[dict[str, Any]]] = {}
    for ch, edge, other, kind, value, t, s, d, last, g, okind, known, oscore, rl, pl, ln, risk, home in cols:
        r: dict[str, Any] = {"kind": REASON_KINDS[kind], "weight": value}
        if edge < 0:
            r.update(other=ids[ch], facts=[], date=None, grade=None)
        else:
            r["other"] = ids[other]
            r["facts"] = [{"type": TYPE_CODES[t], "source": ids[s], "target": ids[d]}]
            r["date"] = dates(last)
            r["grade"] = GRADE_CODES[g]
            r["other_kind"] = KIND_CODES[okind]
            if okind == child_k:
                r["other_open_to"] = sorted(ctx.open_codes.get(other, []))
                r["other_known"] = known
                if kind == _RK[PEER]:
                    r["other_score"] = oscore
            if kind == _RK[FOUND_AWAY]:
                r["other_locality"] = p.localities[int(p.locality[other])]
            if kind in place_k:
                r["context"] = {
                    "risky_people": rl,
                    "persons_of_concern": pl,
                    "known_children": rl - pl,
                    "people": ln,
                    "risk": risk,
                    "person_of_concern_lives_here": home,
                }
        out.setdefault(ch, []).append(r)
    return out


class _DateCache(dict[int, str | None]):
    """ISO dates of day numbers, each computed once."""

    def __call__(self, d: int) -> str | None:
        got = self.get(d, "")
        if got == "":
            got = self[d] = iso(d)
        return got


def _in_localities(p: Projection, localities: list[str] | None) -> B:
    if not localities:
        return np.ones(p.n_nodes, bool)
    wanted = set(localities)
    codes = [i for i, x in enumerate(p.localities) if x in wanted]
    return np.isin(p.locality, codes)


# --- hotspots -------------------------------------------------------------------------


def hotspots(ctx: Context, localities: list[str] | None = None, top: int | None = None) -> list[dict[str, Any]]:
    """Locations ranked by the at-risk children linked to them.

    A child known to be exploited counts 1; a child not open to services and at risk
    (see :func:`at_risk`) counts its score up to 1; each person of concern linked
    adds 0.5. Places no at-risk child or person of concern is linked to are not hotspots.
    """
    if ctx.score.shape[0] != ctx.p.n_nodes:
        score_children(ctx)
    p = ctx.p
    src, dst, typ = p.src, p.dst, p.type
    loc = p.kind == _K["location"]
    risky_child = at_risk(ctx)
    at_risk_w = np.where(ctx.known, 1.0, np.clip(ctx.score, 0.0, 1.0)) * risky_child
    types = [_T[t] for t in ("SEEN_AT", "FOUND_AT", "LIVES_AT")]
    m = ctx.valid & np.isin(typ, types) & loc[dst] & (ctx.child[src] | ctx.poc[src])
    n = p.n_nodes
    place, person = unique_pairs(dst[m], src[m], n)
    score = np.bincount(place, weights=at_risk_w[person] + 0.5 * ctx.poc[person], minlength=n)
    kids = np.bincount(place, weights=ctx.child[person], minlength=n)
    at_risk_kids = np.bincount(place, weights=risky_child[person], minlength=n)
    open_kids = np.bincount(place, weights=ctx.child[person] & ctx.open[person], minlength=n)
    pocs = np.bincount(place, weights=ctx.poc[person], minlength=n)
    fm = m & (typ == _T["FOUND_AT"])
    found = np.bincount(dst[fm], minlength=n)
    last = np.full(n, -1, np.int64)
    np.maximum.at(last, dst[m].astype(np.int64), p.last_seen[m].astype(np.int64))
    keep = np.flatnonzero((score > 0) & (at_risk_kids + pocs > 0) & loc & _in_localities(p, localities))
    order = sorted(keep.tolist(), key=lambda i: (-round(float(score[i]), 9), p.ids[i]))
    if top is not None:
        order = order[:top]
    return [
        {
            "id": p.ids[i],
            "locality": p.localities[int(p.locality[i])],
            "score": round(float(score[i]), 4),
            "rank": r,
            "children": int(kids[i]),
            "children_at_risk": int(at_risk_kids[i]),
            "children_open": int(open_kids[i]),
            "persons_of_concern": int(pocs[i]),
            "found_at": int(found[i]),
            "last_seen": iso(int(last[i])),
        }
        for r, i in enumerate(order, 1)
    ]


# --- peer groups -------------------------------------------------------------------


def peer_groups(
    ctx: Context,
    localities: list[str] | None = None,
    seed: int = 0,
    resolution: float = 1.0,
    communities: I | None = None,
) -> list[dict[str, Any]]:
    """Communities of children (Leiden on who associates, goes missing and is family with whom).

    Only groups of two or more with at least one child at risk (see :func:`at_risk`)
    are returned, ranked by the risk they hold.
    """
    if ctx.score.shape[0] != ctx.p.n_nodes:
        score_children(ctx)
    membership = communities if communities is not None else _communities(ctx, seed, resolution)
    p = ctx.p
    risky_child = at_risk(ctx)
    comm = membership
    valid_c = comm >= 0
    n_comm = int(comm.max()) + 1 if valid_c.any() else 0
    nodes = np.flatnonzero(valid_c)
    labels = comm[nodes]
    size = np.bincount(labels, minlength=n_comm)
    risk_in = np.bincount(labels, weights=risky_child[nodes], minlength=n_comm)
    inloc = _in_localities(p, localities)
    in_area = np.bincount(labels, weights=inloc[nodes], minlength=n_comm)
    chosen = np.flatnonzero((size >= 2) & (risk_in > 0) & (in_area > 0))
    if chosen.size == 0:
        return []
    keep = np.zeros(n_comm, bool)
    keep[chosen] = True
    members: dict[int, list[int]] = {}
    for i in nodes[keep[labels]].tolist():
        members.setdefault(int(comm[i]), []).append(i)
    shared = _shared(ctx, comm, keep)
    groups: list[dict[str, Any]] = []
    for g, ms in members.items():
        weight = sum(1.0 if ctx.known[i] else min(1.0, float(ctx.score[i])) for i in ms if risky_child[i])
        groups.append(
            {
                "members": sorted(p.ids[i] for i in ms),
                "size": len(ms),
                "open": sum(1 for i in ms if ctx.open[i]),
                "flagged": sum(1 for i in ms if ctx.known[i] or p.flag[i]),
                "not_open": sum(1 for i in ms if not ctx.open[i]),
                "at_risk_not_open": sum(1 for i in ms if not ctx.open[i] and risky_child[i]),
                "risk": round(weight, 4),
                "places": shared[g]["places"],
                "persons_of_concern": shared[g]["persons_of_concern"],
                "groups": shared[g]["groups"],
                "_key": g,
            }
        )
    groups.sort(key=lambda x: (-x["risk"], -x["size"], x["members"][0]))
    for r, x in enumerate(groups, 1):
        x["rank"] = r
        x["id"] = f"peer-{r}"
        del x["_key"]
    return groups


def _communities(ctx: Context, seed: int, resolution: float) -> I:
    """Leiden communities of the children within three steps of an at-risk child (see :func:`at_risk`)
    over who associates, goes missing and is family with whom; -1 for every other node."""
    p = ctx.p
    src, dst, typ = p.src, p.dst, p.type
    wt = {"ASSOCIATES_WITH": 1.0, "MISSING_WITH": 2.0, "FAMILY_OF": 0.5}
    m = ctx.valid & np.isin(typ, [_T[t] for t in wt]) & ctx.child[src] & ctx.child[dst]
    out = np.full(p.n_nodes, -1, np.int64)
    if not m.any():
        return out
    w_by = np.zeros(len(TYPE_CODES))
    for t, x in wt.items():
        w_by[_T[t]] = x
    # only groups holding an at-risk child are reported: look at the children within reach of one
    near = _component_of(p.n_nodes, src[m].astype(np.int64), dst[m].astype(np.int64), np.flatnonzero(at_risk(ctx)), 3)
    m &= near[src] & near[dst]
    built = _igraph(p.n_nodes, src[m].astype(np.int64), dst[m].astype(np.int64))
    if built is None:
        return out
    g, used = built
    weights = (w_by[typ[m]] * ctx.factor[m]).tolist()
    rng = random.Random(seed)
    ig.set_random_number_generator(rng)
    try:
        part = g.community_leiden(
            objective_function="modularity", weights=weights, resolution=resolution, n_iterations=2
        )
    finally:
        ig.set_random_number_generator(random)
    out[used] = np.asarray(part.membership, np.int64)
    return out


def _shared(ctx: Context, comm: I, keep: B) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """Places, persons of concern and groups linked to members of each kept community."""
    p = ctx.p
    src, dst, typ = p.src.astype(np.int64), p.dst.astype(np.int64), p.type
    out: dict[int, dict[str, dict[int, int]]] = {
        int(g): {"places": {}, "persons_of_concern": {}, "groups": {}} for g in np.flatnonzero(keep)
    }
    member = (comm >= 0) & keep[np.clip(comm, 0, None)]
    place_t = np.isin(typ, [_T[t] for t in ("SEEN_AT", "FOUND_AT", "LIVES_AT")])
    poc_t = np.isin(typ, [_T[t] for t in ("EXPLOITS", "ASSOCIATES_WITH", "FAMILY_OF")])
    for a, b in ((src, dst), (dst, src)):
        m = ctx.valid & member[a]
        for slot, mask in (
            ("places", m & place_t & (b == dst) & (p.kind[b] == _K["location"]) & (ctx.risk[b] > 0)),
            ("persons_of_concern", m & poc_t & ctx.poc[b]),
            ("groups", m & (typ == _T["MEMBER_OF"]) & (b == dst)),
        ):
            idx = np.flatnonzero(mask)
            if not idx.size:
                continue
            n = p.n_nodes
            key = np.unique((comm[a[idx]] * n + b[idx]) * n + a[idx])
            for g, x in zip((key // (n * n)).tolist(), (key // n % n).tolist(), strict=True):
                d = out[g][slot]
                d[x] = d.get(x, 0) + 1
    return {
        g: {
            slot: [{"id": p.ids[x], "members": c} for x, c in sorted(d.items(), key=lambda kv: (-kv[1], p.ids[kv[0]]))]
            for slot, d in slots.items()
        }
        for g, slots in out.items()
    }


# --- persons of concern -----------------------------------------------------------------


def persons_of_concern(
    ctx: Context,
    localities: list[str] | None = None,
    top: int | None = None,
    seed: int = 0,
    cutoff: int = 3,
    communities: I | None = None,
) -> list[dict[str, Any]]:
    """Persons of concern ranked by reach: children linked, peer groups bridged, betweenness.

    Children are linked directly (exploits, associates, family) or through a group
    both are members of. Betweenness is computed on the network of people and groups,
    over paths of at most ``cutoff`` steps, and scaled to 0-1 by its maximum.
    """
    if ctx.score.shape[0] != ctx.p.n_nodes:
        score_children(ctx)
    p = ctx.p
    src, dst, typ = p.src.astype(np.int64), p.dst.astype(np.int64), p.type
    comm = communities if communities is not None else _communities(ctx, seed, 1.0)
    direct: dict[int, dict[int, list[int]]] = {}
    people_t = np.isin(typ, [_T[t] for t in ("EXPLOITS", "ASSOCIATES_WITH", "FAMILY_OF")])
    for a, b in ((src, dst), (dst, src)):
        m = ctx.valid & people_t & ctx.poc[a] & ctx.child[b]
        for x, c, e in zip(a[m].tolist(), b[m].tolist(), np.flatnonzero(m).tolist(), strict=True):
            direct.setdefault(x, {}).setdefault(c, []).append(e)
    # through groups
    gm = ctx.valid & (typ == _T["MEMBER_OF"])
    by_group: dict[int, list[tuple[int, int]]] = {}
    for x, g, e in zip(src[gm].tolist(), dst[gm].tolist(), np.flatnonzero(gm).tolist(), strict=True):
        by_group.setdefault(g, []).append((x, e))
    via_group: dict[int, dict[int, int]] = {}
    poc_groups: dict[int, list[tuple[int, int]]] = {}
    for g, ms in by_group.items():
        pocs = [(x, e) for x, e in ms if ctx.poc[x]]
        members = [x for x, _ in ms if ctx.child[x]]
        for x, e in pocs:
            poc_groups.setdefault(x, []).append((g, e))
            for c in members:
                via_group.setdefault(x, {}).setdefault(c, g)
    btw = _betweenness(ctx, cutoff)
    risky_child = at_risk(ctx)
    cand = np.flatnonzero(ctx.poc & _in_localities(p, localities))
    rows: list[dict[str, Any]] = []
    for x in cand.tolist():
        kids = set(direct.get(x, {})) | set(via_group.get(x, {}))
        bridged = {int(comm[c]) for c in kids if comm[c] >= 0}
        at_risk_kids = [c for c in kids if risky_child[c]]
        unopened = [c for c in kids if not ctx.open[c]]
        evidence = []
        for _c, edges in sorted(direct.get(x, {}).items(), key=lambda kv: -max(ctx.factor[e] for e in kv[1])):
            for e in edges:
                evidence.append(_fact(p, e))
        for _g, e in poc_groups.get(x, []):
            evidence.append(_fact(p, e))
        rows.append(
            {
                "id": p.ids[x],
                "locality": p.localities[int(p.locality[x])],
                "children_linked": len(kids),
                "children_linked_directly": len(direct.get(x, {})),
                "children_at_risk": len(at_risk_kids),
                "children_not_open": len(unopened),
                "peer_groups_bridged": len(bridged),
                "groups": [p.ids[g] for g, _ in poc_groups.get(x, [])],
                "betweenness": round(float(btw[x]), 4),
                "children": sorted(p.ids[c] for c in kids),
                "evidence": evidence[:20],
            }
        )
    rows = [r for r in rows if r["children_linked"] or r["betweenness"] > 0]
    rows.sort(key=lambda r: (-r["children_linked"], -r["peer_groups_bridged"], -r["betweenness"], r["id"]))
    if top is not None:
        rows = rows[:top]
    for rank, r in enumerate(rows, 1):
        r["rank"] = rank
    return rows


def _fact(p: Projection, e: int) -> dict[str, Any]:
    return {
        "type": TYPE_CODES[int(p.type[e])],
        "source": p.ids[int(p.src[e])],
        "target": p.ids[int(p.dst[e])],
        "date": iso(int(p.last_seen[e])),
        "grade": GRADE_CODES[int(p.grade[e])],
    }


def _betweenness(ctx: Context, cutoff: int) -> F:
    """Betweenness of people and groups on the network of who is linked with whom, scaled to 0-1."""
    p = ctx.p
    src, dst, typ = p.src.astype(np.int64), p.dst.astype(np.int64), p.type
    people = ctx.child | ctx.poc | (p.kind == _K["group"])
    types = [_T[t] for t in ("EXPLOITS", "ASSOCIATES_WITH", "FAMILY_OF", "MISSING_WITH", "MEMBER_OF")]
    m = ctx.valid & np.isin(typ, types) & people[src] & people[dst]
    out = np.zeros(p.n_nodes)
    if not m.any():
        return out
    s, d = src[m], dst[m]
    # only the part of the network within reach of persons of concern matters for them
    comp = _component_of(p.n_nodes, s, d, np.flatnonzero(ctx.poc), cutoff)
    keep = comp[s] & comp[d]
    built = _igraph(p.n_nodes, s[keep], d[keep])
    if built is None:
        return out
    g, used = built
    g.simplify()
    b = np.asarray(g.betweenness(directed=False, cutoff=cutoff), np.float64)
    top = b.max() if b.size else 0.0
    out[used] = b / top if top > 0 else b
    return out


def _igraph(n: int, s: I, d: I) -> tuple[ig.Graph, I] | None:
    """An undirected igraph of the edges ``s``-``d`` over the nodes they use, and those nodes
    (graph vertex ``k`` is node ``used[k]``); None when there are no edges."""
    used = np.unique(np.concatenate([s, d]))
    if used.size == 0:
        return None
    local = np.full(n, -1, np.int64)
    local[used] = np.arange(used.size)
    return ig.Graph(n=int(used.size), edges=np.stack([local[s], local[d]], 1).tolist(), directed=False), used


def _component_of(n: int, s: I, d: I, seeds: I, hops: int) -> B:
    """Nodes within ``hops`` steps of ``seeds`` over the undirected edges ``s``-``d``."""
    adj = sp.csr_matrix((np.ones(2 * s.size), (np.concatenate([s, d]), np.concatenate([d, s]))), shape=(n, n))
    seen = np.zeros(n, bool)
    seen[seeds] = True
    frontier = seen.astype(np.float64)
    for _ in range(hops):
        reach = (adj @ frontier) > 0
        new = reach & ~seen
        if not new.any():
            break
        seen |= new
        frontier = new.astype(np.float64)
    return seen


# --- changes since a date -----------------------------------------------------------


def changes(
    p: Projection,
    since: str,
    w: Weights = DEFAULT,
    as_of: str | None = None,
    localities: list[str] | None = None,
    now: Context | None = None,
) -> dict[str, Any]:
    """What is new since ``since``: links, at-risk children, hotspots and persons of concern.

    The analysis is run as of ``since`` and as of the analysis date, and compared.
    """
    before = prepare(p, w, since)
    after = now or prepare(p, w, as_of)
    if before.today > after.today:
        raise AnalysisError(f"--since {since} is after the analysis date {iso(after.today)}")
    score_children(before)
    if after.score.shape[0] != p.n_nodes:
        score_children(after)
    inloc = _in_localities(p, localities)
    was = set(np.flatnonzero(before.score > 1e-9).tolist())
    now_set = np.flatnonzero((after.score > 1e-9) & inloc).tolist()
    new_children = [
        {"id": p.ids[i], "score": round(float(after.score[i]), 4), "before": round(float(before.score[i]), 4)}
        for i in sorted(now_set, key=lambda i: -after.score[i])
        if i not in was
    ]
    raised = [
        {"id": p.ids[i], "score": round(float(after.score[i]), 4), "before": round(float(before.score[i]), 4)}
        for i in sorted(now_set, key=lambda i: -after.score[i])
        if i in was and after.score[i] >= before.score[i] * 1.5 + 0.1
    ]
    newly_open = [p.ids[i] for i in np.flatnonzero(after.open & ~before.open & inloc).tolist()]
    newly_known = [p.ids[i] for i in np.flatnonzero(after.known & ~before.known & inloc).tolist()]
    d = day(since)
    risky_end = after.risky | (after.score > 1e-9) | (p.kind != _K["child"])
    fresh = after.valid & (p.first_seen > d) & (p.type != _T["ATTENDS"])
    m = fresh & (after.risky[p.src] | after.risky[p.dst] | (after.score[p.src] > 1e-9) | (after.score[p.dst] > 1e-9))
    m &= risky_end[p.src] & risky_end[p.dst] & (inloc[p.src] | inloc[p.dst])
    links = sorted((_fact(p, e) for e in np.flatnonzero(m).tolist()), key=lambda f: (f["date"] or "", f["type"]))
    hs_before = {h["id"] for h in hotspots(before, localities)}
    hs_now = hotspots(after, localities)
    new_hot = [h for h in hs_now if h["id"] not in hs_before]
    poc_before = {r["id"]: r for r in persons_of_concern(before, localities)}
    poc_changes = []
    for r in persons_of_concern(after, localities):
        old = poc_before.get(r["id"])
        if old is None or r["children_linked"] > old["children_linked"]:
            poc_changes.append(
                {
                    "id": r["id"],
                    "children_linked": r["children_linked"],
                    "before": old["children_linked"] if old else 0,
                    "new": old is None,
                }
            )
    return {
        "since": iso(d),
        "links": links,
        "children": new_children,
        "children_raised": raised,
        "children_newly_open": newly_open,
        "children_newly_known": newly_known,
        "hotspots": new_hot,
        "persons_of_concern": poc_changes,
    }


# --- everything at once ----------------------------------------------------------------


def analyse(
    p: Projection,
    w: Weights = DEFAULT,
    as_of: str | None = None,
    since: str | None = None,
    localities: list[str] | None = None,
    top: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """The whole analysis of a projection, as plain data (ids; no names).

    >>> from contextgraph.projection import Projection
    >>> p = Projection.from_lists(
    ...     ["p", "a", "l", "svc-YJS"], ["person_of_concern", "child", "location", "service"], ["E"] * 4,
    ...     [(0, 1, "EXPLOITS", "2024-03-01", "2024-03-01", 1, "1B P"),
    ...      (1, 2, "FOUND_AT", "2024-03-02", "2024-03-02", 1, None)])
    >>> out = analyse(p)
    >>> [c["id"] for c in out["unopened_at_risk"]], [h["id"] for h in out["hotspots"]]
    (['a'], ['l'])
    """
    with paused_gc():
        return _analyse(p, w, as_of, since, localities, top, seed)


def _analyse(
    p: Projection,
    w: Weights,
    as_of: str | None,
    since: str | None,
    localities: list[str] | None,
    top: int | None,
    seed: int,
) -> dict[str, Any]:
    ctx = prepare(p, w, as_of)
    score_children(ctx)
    out = lists(ctx, localities, top)
    out.update(networks(ctx, since, localities, top, seed))
    return out


def lists(
    ctx: Context, localities: list[str] | None = None, top: int | None = None, with_hotspots: bool = True
) -> dict[str, Any]:
    """The ranked children and hotspots of a scored context (the first half of :func:`analyse`);
    ``with_hotspots=False`` leaves the hotspots out, for a caller that computes them elsewhere."""
    out = {
        "as_of": iso(ctx.today),
        "localities": sorted(localities) if localities else None,
        "known_children": int(ctx.known.sum()),
        "unopened_at_risk": unopened_at_risk(ctx, localities, top),
    }
    if with_hotspots:
        out["hotspots"] = hotspots(ctx, localities, top)
    return out


def networks(
    ctx: Context,
    since: str | None = None,
    localities: list[str] | None = None,
    top: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Peer groups, persons of concern and changes of a scored context (the second half of :func:`analyse`)."""
    comm = _communities(ctx, seed, 1.0)
    return {
        "peer_groups": peer_groups(ctx, localities, seed, communities=comm),
        "persons_of_concern": persons_of_concern(ctx, localities, top, seed, communities=comm),
        "changes": changes(ctx.p, since, ctx.w, iso(ctx.today), localities, now=ctx) if since else None,
    }


# --- baselines and measures ------------------------------------------------------------


def baseline_risky_neighbours(ctx: Context) -> dict[str, float]:
    """Baseline: how many persons of concern and known children each unopened child is linked to."""
    p = ctx.p
    src, dst = p.src.astype(np.int64), p.dst.astype(np.int64)
    m = ctx.valid
    a, b = unique_pairs(np.concatenate([src[m], dst[m]]), np.concatenate([dst[m], src[m]]), p.n_nodes)
    count = np.bincount(a, weights=ctx.risky[b], minlength=p.n_nodes)
    unopened = ctx.child & ~ctx.open
    return {p.ids[i]: float(count[i]) for i in np.flatnonzero(unopened & (count > 0)).tolist()}


def baseline_pagerank(ctx: Context, alpha: float = 0.85, tol: float = 1e-12, max_iter: int = 200) -> dict[str, float]:
    """Baseline: untyped personalised PageRank from persons of concern and known children.

    Power iteration on the undirected graph with an absolute tolerance on the L1
    change (not one scaled by the number of nodes).
    """
    p = ctx.p
    n = p.n_nodes
    m = ctx.valid
    s, d = p.src[m].astype(np.int64), p.dst[m].astype(np.int64)
    adj = sp.csr_matrix((np.ones(2 * s.size), (np.concatenate([s, d]), np.concatenate([d, s]))), shape=(n, n))
    deg = np.asarray(adj.sum(axis=1)).ravel()
    inv = np.divide(1.0, deg, out=np.zeros(n), where=deg > 0)
    walk = (adj.multiply(inv[:, None])).T.tocsr()  # column-stochastic
    seeds = ctx.risky.astype(np.float64)
    if seeds.sum() == 0:
        return {}
    v = seeds / seeds.sum()
    x = v.copy()
    dangling = deg == 0
    for _ in range(max_iter):
        nxt = alpha * (walk @ x + x[dangling].sum() * v) + (1 - alpha) * v
        done = np.abs(nxt - x).sum() < tol
        x = nxt
        if done:
            break
    unopened = ctx.child & ~ctx.open
    return {p.ids[i]: float(x[i]) for i in np.flatnonzero(unopened & (x > 0)).tolist()}


def ranking(scores: dict[str, float]) -> list[str]:
    """Ids by score, highest first, ties by id."""
    return [k for k, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))]


def r_precision(ranked: list[str], truth: set[str]) -> float:
    """Share of the first R ranked that are relevant, where R is the number relevant.

    >>> r_precision(["a", "x", "b"], {"a", "b"})
    0.5
    """
    if not truth:
        return 0.0
    return len(set(ranked[: len(truth)]) & truth) / len(truth)


def average_precision(ranked: list[str], truth: set[str]) -> float:
    """Mean of the precision at each relevant item's rank; relevant items never ranked count 0.

    >>> round(average_precision(["a", "x", "b"], {"a", "b"}), 4)
    0.8333
    """
    if not truth:
        return 0.0
    hits, total = 0, 0.0
    for i, x in enumerate(ranked, 1):
        if x in truth:
            hits += 1
            total += hits / i
    return total / len(truth)
