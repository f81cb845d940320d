"""Weights learned from an area's own known cases.

The ranking's score is a sum of evidence, each piece valued by a weight (:class:`.Weights`). Which
evidence marks a child who is being exploited differs between areas — trap houses in one, hotels
and grooming chains in another — so the weights can be fitted to the children an area already
knows are exploited:

1. **Folds.** The known cases are split into ``folds`` groups, each locality's shared out evenly.
   Each group in turn is hidden (:func:`.validation.hide`: no flag, no link to a service, no link
   naming them as exploited), and the area scored as usual with the weights given (the reviewed
   ones by default). The hidden children are now among those open to no service, with the evidence
   that any such child would have.
2. **Features.** Each child's score is split into the parts each weight contributes: the evidence
   rows of :func:`.scoring.score_children`, each a sum of a weight times what it is counted on (the
   link's recency, grading and corroboration; the place's or person's risk; whether the other child
   is known), so that the score is ``sum(weight * feature)``.
3. **Fit.** A logistic regression of hidden (1) against every other child open to no service (0),
   over the children with any evidence, with every coefficient held at zero or above (more
   evidence never lowers a score) and an L2 penalty on the coefficients times each feature's
   spread. The other children are *unlabelled*, not negatives: some are exploited and not yet
   known. With the known cases drawn at random from the exploited, a classifier of known against
   unlabelled ranks children in the same order as one of exploited against not (Elkan and Noto,
   "Learning classifiers from only positive and unlabeled data", KDD 2008), which is all a
   ranking needs. The two classes are weighed equally.
4. **Weights.** The coefficients, scaled so that the hidden children's total score is what the
   weights given gave them, are the learned weights. The weights that define a known case —
   ``exploited_by`` and ``flagged`` — cannot be learned from cases whose defining evidence was
   hidden, and keep their value; so do the settings that are not weights of evidence (dates,
   gradings, thresholds).

The learned weights are an ordinary :class:`.Weights`: written to a file (``contextgraph learn``),
read back with ``analyse --weights FILE``, and every score still adds up from its reasons.

>>> from contextgraph.projection import Projection
>>> fit = learn(_example(), folds=2, seed=1)
>>> fit.positives, fit.weights.seen_at_risky > fit.weights.associates_with_poc
(18, True)
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any, Literal

import numpy as np
from scipy.optimize import minimize

from ..projection import Projection
from .context import TYPE_INDEX, Context, F, prepare
from .scoring import score_children
from .tracking import Events
from .validation import by_locality, hide
from .weights import (
    ASSOCIATES_KNOWN,
    ASSOCIATES_POC,
    DEFAULT,
    FAMILY_KNOWN,
    FAMILY_POC,
    FOUND_AT,
    FOUND_AWAY,
    LIVES_AT,
    MEMBER_OF,
    MISSING_WITH,
    NO_RETURN_INTERVIEW,
    PEER,
    REASON_INDEX,
    REPEAT_MISSING,
    SEEN_AT,
    STEPPED_UP,
    AnalysisError,
    Weights,
)

Basis = Literal["flat", "known", "risk", "poc_risk", "value"]

LEARNED: tuple[tuple[str, str, Basis], ...] = (
    ("associates_with_poc", ASSOCIATES_POC, "flat"),
    ("associates_with_risky_poc", ASSOCIATES_POC, "poc_risk"),
    ("family_of_poc", FAMILY_POC, "flat"),
    ("associates_with_known", ASSOCIATES_KNOWN, "flat"),
    ("family_of_known", FAMILY_KNOWN, "flat"),
    ("missing", MISSING_WITH, "flat"),
    ("missing_with_known", MISSING_WITH, "known"),
    ("found_at", FOUND_AT, "flat"),
    ("found_at_risky", FOUND_AT, "risk"),
    ("found_out_of_area", FOUND_AWAY, "flat"),
    ("seen_at_risky", SEEN_AT, "risk"),
    ("lives_at_risky", LIVES_AT, "risk"),
    ("member_of_risky", MEMBER_OF, "risk"),
    ("repeat_missing", REPEAT_MISSING, "value"),
    ("no_return_interview", NO_RETURN_INTERVIEW, "value"),
    ("stepped_up", STEPPED_UP, "value"),
    ("peer_missing", PEER, "value"),
    ("peer_associates", PEER, "value"),
)
"""The weights learned: (weight, the reason kind it values, what it multiplies in each row)."""

FIXED = ("exploited_by", "flagged")
"""Weights of the evidence that defines a known case: kept as reviewed."""

MIN_KNOWN = 20
"""Fewer known cases than this: too few to learn from."""


@dataclass(frozen=True)
class Learned:
    """Weights fitted to an area's known cases, and what they were fitted on."""

    weights: Weights
    given: Weights
    """The weights the fit started from (the evidence was scored with them)."""
    positives: int
    """Known cases with any evidence once hidden: what the fit learned from."""
    known: int
    unlabelled: int
    """Children open to no service with any evidence (counted once, not once per fold)."""
    folds: int
    seed: int
    as_of: str | None
    coefficients: dict[str, float]
    """The fitted coefficient of each learned weight, before scaling."""

    def changed(self) -> list[tuple[str, float, float]]:
        """Each learned weight: (name, given, learned)."""
        return [(name, getattr(self.given, name), getattr(self.weights, name)) for name, _, _ in LEARNED]

    def to_toml(self, made: date, given_label: str = "reviewed") -> str:
        """The learned weights as a weights file, dated, with what they were learned from: each
        learned weight with the value it was learned from (``given_label``), those kept, and every
        other setting that is not the default, so that the file gives exactly these weights.

        >>> fit = learn(_example(), folds=2, seed=1)
        >>> Weights.load_text(fit.to_toml(date(2026, 12, 5))) == fit.weights
        True
        """
        lines = [
            f"# Weights learned by contextgraph learn on {made.isoformat()} from {self.positives} known cases",
            f"# ({self.known} known, {self.unlabelled} children open to no service with evidence), in {self.folds}"
            f" folds, seed {self.seed}" + (f", as of {self.as_of}" if self.as_of else "") + ".",
            "# Review before use: analyse --weights FILE --validate checks them on the area's own cases.",
            "[weights]",
        ]
        for name, given, got in self.changed():
            lines.append(f"{name} = {got!r}  # {given_label}: {given!r}")
        for name in FIXED:
            lines.append(f"{name} = {getattr(self.weights, name)!r}  # kept: defines a known case")
        learned = {name for name, _, _ in LEARNED} | set(FIXED)
        for f in fields(Weights):
            value = getattr(self.weights, f.name)
            if f.name not in learned and value != getattr(DEFAULT, f.name):
                shown = f"[{', '.join(repr(x) for x in value)}]" if isinstance(value, tuple) else repr(value)
                lines.append(f"{f.name} = {shown}  # as given")
        return "\n".join(lines) + "\n"


def features(ctx: Context) -> F:
    """Each node's part of its score by learned weight (nodes × :data:`LEARNED`), from the evidence
    rows of a scored context: ``score ≈ features @ weights`` for the learned weights (exactly, but
    for the rows' diminishing order and the gates that used the given weights)."""
    rows, w, p = ctx.rows, ctx.w, ctx.p
    c, e, o, v, k = rows["child"], rows["edge"], rows["other"], rows["value"], rows["kind"]
    n = p.n_nodes
    out = np.zeros((n, len(LEARNED)))
    f = np.where(e >= 0, ctx.factor[np.maximum(e, 0)] if ctx.factor.size else 0.0, 1.0)
    peer_type = np.where(e >= 0, p.type[np.maximum(e, 0)] if p.type.size else -1, -1)
    bases: dict[Basis, F] = {
        "flat": f,
        "known": f * ctx.known[o],
        "risk": f * ctx.risk[o],
        "poc_risk": f * (ctx.poc_risk[o] if ctx.poc_risk.size else 0.0),
    }
    by_kind: dict[str, list[tuple[int, str, Basis]]] = {}
    for j, (name, kind, basis) in enumerate(LEARNED):
        by_kind.setdefault(kind, []).append((j, name, basis))
    for kind, parts in by_kind.items():
        sel = k == REASON_INDEX[kind]
        if kind == PEER:
            for j, name, _ in parts:
                t = "MISSING_WITH" if name == "peer_missing" else "ASSOCIATES_WITH"
                m = sel & (peer_type == TYPE_INDEX[t])
                share = getattr(w, name)
                if share > 0:
                    out[:, j] = np.bincount(c[m], weights=v[m] / share, minlength=n)
            continue
        if parts[0][2] == "value":
            j, name, _ = parts[0]
            weight = getattr(w, name)
            if weight > 0:
                out[:, j] = np.bincount(c[sel], weights=v[sel] / weight, minlength=n)
            continue
        given = sum(getattr(w, name) * bases[basis][sel] for _, name, basis in parts)
        shrink = np.divide(v[sel], given, out=np.zeros(int(sel.sum())), where=given > 0)  # repeats diminished
        for j, _, basis in parts:
            out[:, j] = np.bincount(c[sel], weights=bases[basis][sel] * shrink, minlength=n)
    return out


def _folds(p: Projection, known: np.ndarray, folds: int, rng: np.random.Generator) -> np.ndarray:
    """Each known case's fold, each locality's shared out evenly from a random start."""
    out = np.full(p.n_nodes, -1, np.int64)
    for members in by_locality(p, np.flatnonzero(known)).values():
        order = rng.permutation(len(members))
        start = int(rng.integers(folds))
        for r, m in enumerate(order.tolist()):
            out[members[m]] = (start + r) % folds
    return out


def learn(
    p: Projection,
    events: Events | None = None,
    given: Weights = DEFAULT,
    as_of: str | None = None,
    folds: int = 5,
    seed: int = 0,
    penalty: float = 1.0,
) -> Learned:
    """Fit the learned weights to ``p``'s known cases (see the module's text). Deterministic for a
    ``seed``; raises :class:`.AnalysisError` when there are too few known cases."""
    if folds < 2:
        raise AnalysisError("learning needs at least 2 folds")
    if seed < 0:
        raise AnalysisError("the seed is 0 or more")
    base = prepare(p, given, as_of, events)
    known = base.known
    if int(known.sum()) < max(MIN_KNOWN, folds):
        raise AnalysisError(
            f"too few known cases to learn from: {int(known.sum())}, where at least {max(MIN_KNOWN, folds)} are needed"
        )
    fold = _folds(p, known, folds, np.random.default_rng(seed))
    xs: list[F] = []
    ys: list[F] = []
    evidenced = np.zeros(p.n_nodes, bool)
    for k in range(folds):
        hidden = fold == k
        q, ev = hide(p, events, hidden)
        ctx = prepare(q, given, as_of, ev)
        score_children(ctx)
        x = features(ctx)
        cand = ctx.child & ~ctx.open & (x.sum(axis=1) > 0)
        evidenced |= cand & ~hidden
        xs.append(x[cand])
        ys.append(hidden[cand].astype(np.float64))
    x, y = np.concatenate(xs), np.concatenate(ys)
    pos = int(y.sum())
    if pos < max(MIN_KNOWN // 2, 1) or pos == y.size:
        raise AnalysisError(f"too few known cases with any evidence once hidden to learn from: {pos}")
    coef = _fit(x, y, penalty)
    if not (coef > 1e-9).any():
        raise AnalysisError(
            "the known cases' evidence does not set them apart from the other children open to no service: "
            "no weight was learned, and the reviewed ones stand"
        )
    # scaled so the hidden children's total score is what the given weights gave them
    g = np.array([getattr(given, name) for name, _, _ in LEARNED])
    had, got = float((x[y == 1] @ g).sum()), float((x[y == 1] @ coef).sum())
    scale = had / got if got > 0 else 1.0
    values: dict[str, Any] = {name: round(float(b * scale), 4) for (name, _, _), b in zip(LEARNED, coef, strict=True)}
    learned = replace(given, **values)
    return Learned(
        learned,
        given,
        pos,
        int(known.sum()),
        int(evidenced.sum()),
        folds,
        seed,
        as_of,
        {name: float(b) for (name, _, _), b in zip(LEARNED, coef, strict=True)},
    )


def _fit(x: F, y: F, penalty: float) -> F:
    """Non-negative coefficients of a logistic regression of ``y`` on ``x`` with an intercept, the
    classes weighed equally, and an L2 penalty of ``penalty`` on each coefficient times its feature's
    spread (so the penalty does not depend on the features' units)."""
    n_pos, n_neg = y.sum(), y.size - y.sum()
    sw = np.where(y == 1, 0.5 / n_pos, 0.5 / n_neg)  # each class weighs one half
    spread = x.std(axis=0)
    spread[spread == 0] = 1.0
    xs = x / spread
    lam = penalty / y.size

    def loss(theta: F) -> tuple[float, F]:
        b0, b = theta[0], theta[1:]
        z = b0 + xs @ b
        # log(1 + exp(-z)) for positives, log(1 + exp(z)) for the rest
        s = np.where(y == 1, -z, z)
        ll = np.logaddexp(0.0, s)
        d = sw * (1 / (1 + np.exp(-s))) * np.where(y == 1, -1.0, 1.0)
        grad = np.concatenate([[d.sum()], xs.T @ d + lam * b])
        return float((sw * ll).sum() + 0.5 * lam * (b @ b)), grad

    theta0 = np.zeros(x.shape[1] + 1)
    bounds = [(None, None)] + [(0.0, None)] * x.shape[1]
    res = minimize(loss, theta0, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 500})
    out: F = res.x[1:] / spread
    return out


def _example() -> Projection:
    """A small area for the docstring: children seen at a den where known cases are seen, and a
    busy adult seen with many children."""
    ids = (
        ["svc-EXPLOITATION_TEAM", "den", "cafe", "adult"] + [f"k{i}" for i in range(24)] + [f"u{i}" for i in range(40)]
    )
    kinds = ["service", "location", "location", "person_of_concern"] + ["child"] * 64
    edges: list[tuple[int, int, str, str | None, str | None, int, str | None]] = []
    day = "2024-03-01"
    for i in range(24):
        edges.append((4 + i, 0, "OPEN_TO", day, day, 1, None))
        edges.append((4 + i, 1 if i % 4 else 2, "SEEN_AT", day, day, 1, "1B P"))
    for i in range(40):
        edges.append((28 + i, 3, "ASSOCIATES_WITH", day, day, 1, "1B P"))
        edges.append((28 + i, 2, "SEEN_AT", day, day, 1, "1B P"))
    for i in range(6):
        edges.append((28 + i, 1, "SEEN_AT", day, day, 1, "1B P"))
    return Projection.from_lists(ids, kinds, ["E"] * len(ids), edges)
