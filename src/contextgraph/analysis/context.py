"""What every analysis of one projection shares: the day it is as of, and the risk of places and
groups learned from known children."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from ..model import GRADE_CODES, KIND_CODES, TYPE_CODES, iso_day, service_id
from ..projection import Projection, day
from .tracking import Events
from .weights import DEFAULT, Weights

F = npt.NDArray[np.float64]
I = npt.NDArray[np.int64]  # noqa: E741 - index arrays
B = npt.NDArray[np.bool_]

KIND_INDEX = {k: i for i, k in enumerate(KIND_CODES)}
TYPE_INDEX = {t: i for i, t in enumerate(TYPE_CODES)}


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
    return int(last.max()) if last.size else day(date.today().isoformat())


def iso(d: int) -> str | None:
    """The ISO date of a day number, or None for an unknown date."""
    return iso_day(d)


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
    poc_home: B  # addresses where a person of concern lives
    poc_risk: F = field(default_factory=lambda: np.zeros(0))
    """Each person of concern's risk: the excess share of known children among the children linked
    to them (a groomer's victims against a busy adult's many acquaintances); 0 elsewhere."""
    events: Events = field(default_factory=Events)
    """The children's tracking events (:mod:`.tracking`)."""
    tracked: dict[tuple[int, int], tuple[str | None, tuple[str, ...], str | None]] = field(default_factory=dict)
    """For each (child, reason kind) read from tracking records: the latest date, the records
    behind it (newest first) and a detail (the level stepped up to)."""
    score: F = field(default_factory=lambda: np.zeros(0))
    person_score: F = field(default_factory=lambda: np.zeros(0))
    rows: dict[str, Any] = field(default_factory=dict)


def prepare(p: Projection, w: Weights = DEFAULT, as_of: str | None = None, events: Events | None = None) -> Context:
    """Everything the analyses share, computed once for a projection and a date (with the
    children's tracking ``events``, when the store holds any)."""
    today = as_of_day(p, as_of)
    n = p.n_nodes
    valid = p.first_seen <= today  # undated facts (-1) always count
    src, dst, typ = p.src, p.dst, p.type
    factor = edge_factor(p, w, today)
    kind = p.kind
    child = kind == KIND_INDEX["child"]
    poc = kind == KIND_INDEX["person_of_concern"]
    # open to services now, and to which
    om = valid & (typ == TYPE_INDEX["OPEN_TO"]) & child[src]
    open_ = np.zeros(n, bool)
    open_[src[om]] = True
    codes: dict[int, list[str]] = {}
    for s, d in zip(src[om].tolist(), dst[om].tolist(), strict=True):
        codes.setdefault(s, []).append(p.ids[d].removeprefix("svc-"))
    ev = events or Events()
    # a spell open to a service, or an open plan, on the analysis date: open to services
    spell = (ev.open_from <= today) & ((ev.open_until < 0) | (ev.open_until > today))
    for node, code in zip(
        ev.open_node[spell].tolist(), np.array(ev.open_code, dtype=object)[spell].tolist(), strict=True
    ):
        if child[node]:
            open_[node] = True
            codes.setdefault(node, []).append(code)
    team = p.index.get(service_id("EXPLOITATION_TEAM"), -1)
    exploited = np.zeros(n, bool)
    em = valid & (typ == TYPE_INDEX["EXPLOITS"])
    exploited[dst[em]] = True
    to_team = np.zeros(n, bool)
    if team >= 0:
        to_team[src[om & (dst == team)]] = True
    to_team[[n for n, cs in codes.items() if "EXPLOITATION_TEAM" in cs]] = True
    known = child & open_ & (to_team | p.flag | exploited)
    risky = poc | known
    people = child | poc
    # place and group risk from the people linked to them
    link_types = [TYPE_INDEX[t] for t in ("SEEN_AT", "FOUND_AT", "LIVES_AT", "MEMBER_OF")]
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
    home = valid & (typ == TYPE_INDEX["LIVES_AT"]) & poc[src]
    poc_home = np.zeros(n, bool)
    poc_home[dst[home]] = True
    risk = np.where(poc_home, np.maximum(risk, w.poc_address), risk)
    ctx = Context(
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
        poc_home,
        person_risk(p, valid, child, poc, known, w.smoothing),
        ev,
    )
    return ctx


def person_risk(p: Projection, valid: B, child: B, poc: B, known: B, smoothing: float) -> F:
    """Each person of concern's risk, as a place's: the share of known children among the children
    linked to them (associating with, exploiting, family), above the share among all children
    linked to any person of concern, smoothed by ``smoothing`` pseudo-counts.

    >>> from contextgraph.projection import Projection
    >>> p = Projection.from_lists(["p", "q", "a", "b", "c"], ["person_of_concern"] * 2 + ["child"] * 3,
    ...     [None] * 5, [(0, 2, "ASSOCIATES_WITH", None, None, 1, None), (1, 3, "ASSOCIATES_WITH", None, None, 1, None),
    ...     (1, 4, "ASSOCIATES_WITH", None, None, 1, None)])
    >>> known = np.array([False, False, True, False, False])
    >>> person_risk(p, np.ones(3, bool), p.kind == 0, p.kind == 1, known, 1.0).round(2).tolist()
    [0.5, 0.0, 0.0, 0.0, 0.0]
    """
    n = p.n_nodes
    src, dst = p.src.astype(np.int64), p.dst.astype(np.int64)
    people = np.isin(p.type, [TYPE_INDEX[t] for t in ("ASSOCIATES_WITH", "EXPLOITS", "FAMILY_OF")])
    m = valid & people
    a = np.concatenate([src[m], dst[m]])
    b = np.concatenate([dst[m], src[m]])
    keep = poc[a] & child[b]
    adult, kid = unique_pairs(a[keep], b[keep], n)
    out: F = np.zeros(n)
    if not kid.size:
        return out
    linked = np.bincount(adult, minlength=n).astype(np.float64)
    hits = np.bincount(adult, weights=known[kid], minlength=n)
    base = float(known[np.unique(kid)].mean())
    share = (hits + smoothing * base) / (linked + smoothing)
    out = np.where(poc & (linked > 0), np.clip((share - base) / max(1.0 - base, 1e-9), 0.0, 1.0), 0.0)
    return out


def unique_pairs(a: npt.NDArray[Any], b: npt.NDArray[Any], n: int) -> tuple[I, I]:
    """The distinct pairs ``(a[i], b[i])`` of numbers below ``n``, sorted.

    >>> [x.tolist() for x in unique_pairs(np.array([2, 0, 2]), np.array([1, 1, 1]), 3)]
    [[0, 2], [1, 1]]
    """
    key = np.unique(a.astype(np.int64) * n + b.astype(np.int64))
    return key // n, key % n


def edge_factor(p: Projection, w: Weights, today: int) -> F:
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
