"""Baselines and measures for evaluating the ranking against a known truth."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .context import Context, unique_pairs


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


def auc(ranked: list[str], truth: set[str], candidates: int) -> float:
    """The chance that a relevant child is ranked above another of the ``candidates`` (every child
    that could be ranked; those not in ``ranked`` tie below it), ties counting a half.

    Where the others hold relevant children not yet known — as the children open to no service
    always do — it still orders methods as their true AUC does, unlike R-precision, which the
    unknown relevant children ranked first pull down.

    >>> auc(["a", "x", "b"], {"a", "b"}, 5)
    0.8333333333333334
    """
    n_pos = len(truth)
    n_neg = candidates - n_pos
    if not n_pos or n_neg <= 0:
        return 0.0
    above = 0.0  # for each relevant child, the others below it
    negatives_seen = 0
    for x in ranked:
        if x in truth:
            above += n_neg - negatives_seen
        else:
            negatives_seen += 1
    # relevant children not ranked tie with the others not ranked
    unranked_pos = n_pos - sum(1 for x in ranked if x in truth)
    above += unranked_pos * (n_neg - negatives_seen) * 0.5
    return above / (n_pos * n_neg)
