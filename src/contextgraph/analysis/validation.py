"""How well the ranking would have found the children an area already knows are exploited: a
fraction of the known cases hidden (made to look like any child open to no service, their
flags, their spells with services and the links naming them as exploited taken away), the rest
ranked as usual, and the hidden ones looked for among the children open to no service —
repeatedly, the hidden drawn afresh each time within each locality; against the baselines (the
count of risky neighbours, personalised PageRank) on the same hidden cases.

A force can see how the ranking does on the children it knows before trusting it with those it
does not. The intervals are the middle 95% of the repeats' figures: they show how much the
figure moves with which children were hidden, not a sampling interval of the area.

>>> from contextgraph.projection import Projection
>>> kids = [f"k{i}" for i in range(12)] + ["u"]
>>> p = Projection.from_lists(["p", "svc-EXPLOITATION_TEAM", *kids],
...     ["person_of_concern", "service", *["child"] * 13], ["E"] * 15,
...     [(0, i + 2, "ASSOCIATES_WITH", "2024-03-01", "2024-03-01", 1, "1B P") for i in range(13)]
...     + [(i + 2, 1, "OPEN_TO", "2024-03-01", "2024-03-01", 1, None) for i in range(12)])
>>> v = validate(p, repeats=3, seed=1)
>>> v.known, v.hidden, [m.method for m in v.methods]
(12, 2, ['contextgraph', 'risky neighbours', 'personalised PageRank'])
"""

from __future__ import annotations

from dataclasses import replace

import msgspec
import numpy as np

from ..projection import Projection
from .context import TYPE_INDEX, prepare
from .evaluation import auc, average_precision, baseline_pagerank, baseline_risky_neighbours, r_precision, ranking
from .scoring import ranked_children, score_children
from .tracking import Events
from .weights import DEFAULT, AnalysisError, Weights

LEARNED = "contextgraph, learned weights"
"""The method's name for the ranking with weights learned in each repeat."""

MIN_KNOWN = 10
"""Fewer known cases than this: too few to check the ranking against."""

TOPS = (20, 50)


class Estimate(msgspec.Struct, frozen=True):
    mean: float
    low: float
    high: float


class MethodFigures(msgspec.Struct, frozen=True):
    method: str
    r_precision: Estimate
    average_precision: Estimate
    recall: dict[str, Estimate]
    """The share of the hidden cases in the first 20 and 50 ranked."""
    auc: Estimate
    """The chance that a hidden case is ranked above another child open to no service."""


class Validation(msgspec.Struct, frozen=True):
    known: int
    """Known cases: children open to a service and known to be exploited."""
    hidden: int
    """Hidden in each repeat."""
    repeats: int
    fraction: float
    methods: tuple[MethodFigures, ...]
    warning: str | None = None


def hide(p: Projection, events: Events | None, hidden: np.ndarray) -> tuple[Projection, Events | None]:
    """``p`` and ``events`` with the children ``hidden`` (a mask) made to look like any child open
    to no service: no flag, no link to a service, no link naming them as exploited, no spell."""
    typ = p.type
    drop = (hidden[p.src] & (typ == TYPE_INDEX["OPEN_TO"])) | (hidden[p.dst] & (typ == TYPE_INDEX["EXPLOITS"]))
    q = p.without_edges(drop)
    if q.flag.size:
        q = replace(q, flag=q.flag & ~hidden, _index=q._index)
    if events is None or not events.open_node.size:
        return q, events
    keep = ~hidden[events.open_node]
    ev = replace(
        events,
        open_node=events.open_node[keep],
        open_from=events.open_from[keep],
        open_until=events.open_until[keep],
        open_code=tuple(c for c, k in zip(events.open_code, keep.tolist(), strict=True) if k),
    )
    return q, ev


def by_locality(p: Projection, nodes: np.ndarray) -> dict[int, list[int]]:
    """``nodes`` (indices of ``p``) grouped by their locality, in their order.

    >>> from contextgraph.projection import Projection
    >>> q = Projection.from_lists(["a", "b", "c"], ["child"] * 3, ["E", "W", "E"], [])
    >>> list(by_locality(q, np.array([0, 1, 2])).values())
    [[0, 2], [1]]
    """
    out: dict[int, list[int]] = {}
    for i in nodes.tolist():
        out.setdefault(int(p.locality[i]), []).append(i)
    return out


def _estimate(values: list[float]) -> Estimate:
    a = np.asarray(values, dtype=np.float64)
    return Estimate(
        round(float(a.mean()), 3), round(float(np.percentile(a, 2.5)), 3), round(float(np.percentile(a, 97.5)), 3)
    )


def validate(
    p: Projection,
    events: Events | None = None,
    w: Weights = DEFAULT,
    as_of: str | None = None,
    fraction: float = 0.2,
    repeats: int = 10,
    seed: int = 0,
    learned: bool = False,
) -> Validation:
    """Hide ``fraction`` of the known cases of each locality, ``repeats`` times (seeded), and
    measure how the ranking and the baselines find them among the children open to no service.

    With ``learned``, each repeat also learns weights (:func:`.learning.learn`) from the known cases
    left after hiding — never from the hidden ones — and ranks with them as well."""
    from .learning import learn

    if not 0 < fraction < 1:
        raise ValueError("the fraction hidden is between 0 and 1")
    if repeats < 1:
        raise ValueError("at least one repeat")
    base = prepare(p, w, as_of, events)
    known = np.flatnonzero(base.known)
    if known.size < MIN_KNOWN:
        return Validation(
            int(known.size),
            0,
            0,
            fraction,
            (),
            f"too few known cases to check the ranking against: {known.size}, where at least {MIN_KNOWN} are needed",
        )
    rng = np.random.default_rng(seed)
    by_place = by_locality(p, known)
    figures: dict[str, dict[str, list[float]]] = {}
    size = 0
    warning = None
    alone = False  # no child open to no service besides the hidden ones
    for _ in range(repeats):
        chosen: list[int] = []
        for members in by_place.values():
            k = min(len(members), round(len(members) * fraction))  # the same share of each locality's
            chosen.extend(rng.choice(members, size=k, replace=False).tolist())
        if not chosen:
            chosen = [int(rng.choice(known))]
        size = len(chosen)
        mask = np.zeros(p.n_nodes, bool)
        mask[chosen] = True
        q, ev = hide(p, events, mask)
        ctx = prepare(q, w, as_of, ev)
        score_children(ctx)
        truth = {q.ids[i] for i in chosen}
        candidates = int((ctx.child & ~ctx.open).sum())
        alone = alone or candidates <= len(truth)
        lists = {"contextgraph": [q.ids[i] for i in ranked_children(ctx)]}
        if learned:
            try:
                fit = learn(q, ev, w, as_of, seed=seed)
            except AnalysisError as e:
                warning = f"weights were not learned: {e}"
                learned = False
            else:
                lctx = prepare(q, fit.weights, as_of, ev)
                lists[LEARNED] = [q.ids[i] for i in ranked_children(lctx)]
        lists["risky neighbours"] = ranking(baseline_risky_neighbours(ctx))
        lists["personalised PageRank"] = ranking(baseline_pagerank(ctx))
        for method, ranked in lists.items():
            got = figures.setdefault(method, {})
            got.setdefault("r_precision", []).append(r_precision(ranked, truth))
            got.setdefault("average_precision", []).append(average_precision(ranked, truth))
            got.setdefault("auc", []).append(auc(ranked, truth, candidates))
            for top in TOPS:
                got.setdefault(f"recall@{top}", []).append(len(truth & set(ranked[:top])) / len(truth))
    methods = tuple(
        MethodFigures(
            method,
            _estimate(f["r_precision"]),
            _estimate(f["average_precision"]),
            {f"top {top}": _estimate(f[f"recall@{top}"]) for top in TOPS},
            _estimate(f["auc"]),
        )
        for method, f in figures.items()
        if len(f["r_precision"]) == repeats  # a method that dropped out part way is not reported
    )
    if alone:
        warning = (f"{warning}; " if warning else "") + (
            "no child open to no service besides the hidden ones to rank them against: the figures, the AUC "
            "above all, say nothing"
        )
    if size < MIN_KNOWN:
        warning = (f"{warning}; " if warning else "") + (
            f"only {size} known cases are hidden each time: each figure moves a great deal with which ones, "
            "and says little on its own"
        )
    return Validation(int(known.size), size, repeats, fraction, methods, warning)
