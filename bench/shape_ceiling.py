"""How far the evidence of each generated shape can take any ranking (not part of the test suite).

For each ``synth`` shape and seed, the area is generated, imported into a SQLite file and ranked
with weights learned from its own known cases, as ``eval-analysis --shapes`` does. Then, to see
what the evidence itself allows, a flexible model — gradient-boosted trees (scikit-learn) — is
*trained on the generator's hidden truth* and scored by five-fold cross-validation, once on the
ranking's own features (each learned weight's part of the score, and the score) and once with nine
more that look further than one step:

- how many of the child's associates are children open to no service and linked to harm (scored
  at least 0.2), and the sum of their scores; the same sum over the children it went missing with;
- how many of its associates or missing peers are seen or found at a place where the child is
  too: any of them, the known cases among them, and those known or linked to harm weighed by the
  place's risk;
- how many persons of concern are seen or found at a place where the child is;
- how many kinds of evidence it has; how many children it associates with.

No ranking an area can run knows the truth, so the model's R-precision is a ceiling, not a
method: where even it stays below a target, the generated evidence cannot tell the children apart
well enough to reach it.

    python bench/shape_ceiling.py [--seeds 5] [--children 2000] [--shapes all]

Prints a Markdown table for docs/analysis.md. Needs scikit-learn (``pip install -e .[train]``).
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from contextgraph.analysis import prepare  # noqa: E402
from contextgraph.analysis.context import TYPE_INDEX, Context  # noqa: E402
from contextgraph.analysis.learning import features, learn  # noqa: E402
from contextgraph.analysis.scoring import score_children  # noqa: E402
from contextgraph.analysis.tracking import events_of  # noqa: E402
from contextgraph.interchange import read_folder  # noqa: E402
from contextgraph.interchange.synth import generate  # noqa: E402
from contextgraph.interchange.synth_shapes import SHAPES  # noqa: E402
from contextgraph.store import open_store  # noqa: E402

AT_RISK = 0.2


def r_precision(score: np.ndarray, y: np.ndarray) -> float:
    r = int(y.sum())
    order = np.argsort(-score, kind="stable")
    return float(y[order[:r]].mean())


def links(ctx: Context, *types: str) -> sp.csr_matrix:
    """Undirected 0/1 adjacency over the links of ``types`` in force on the analysis date."""
    p = ctx.p
    sel = np.isin(p.type, [TYPE_INDEX[t] for t in types]) & ctx.valid
    s, d = p.src[sel].astype(np.int64), p.dst[sel].astype(np.int64)
    a = sp.csr_matrix((np.ones(2 * s.size), (np.r_[s, d], np.r_[d, s])), shape=(p.n_nodes, p.n_nodes))
    a.data[:] = 1.0
    return a


def further(ctx: Context, score: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The nine features that look beyond one step (see the module's text), one row per node."""
    unopened = ctx.child & ~ctx.open
    direct = np.where(unopened, score, 0.0)
    at_risk = (direct >= AT_RISK).astype(np.float64)
    assoc, missing = links(ctx, "ASSOCIATES_WITH"), links(ctx, "MISSING_WITH")
    places = links(ctx, "SEEN_AT", "FOUND_AT")
    peers = assoc + missing
    peers.data[:] = 1.0
    shared = (places @ places.T).tocsr()
    shared.data[:] = 1.0  # two nodes seen or found at one place
    risky_shared = places.multiply(ctx.risk[None, :]).tocsr() @ places.T  # the risk of the places they share
    marked = (ctx.known | (at_risk > 0)).astype(np.float64)

    def rows(m: sp.spmatrix) -> np.ndarray:
        return np.asarray(m.sum(axis=1)).ravel()

    return np.c_[
        assoc @ at_risk,
        assoc @ direct,
        missing @ direct,
        rows(peers.multiply(shared)),
        rows(peers.multiply(shared).multiply(ctx.known.astype(np.float64)[None, :])),
        rows(peers.multiply(risky_shared).multiply(marked[None, :])),
        rows(shared.multiply(ctx.poc.astype(np.float64)[None, :])),
        (x > 0).sum(axis=1),
        rows(assoc),
    ]


def one(shape: str, seed: int, children: int) -> dict[str, float]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    data = generate(children=children, seed=seed, shape=shape)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as tmp:
        data.write(Path(tmp))
        batch = read_folder(Path(tmp))
        with open_store(f"sqlite:///{Path(tmp) / 'area.db'}") as s:
            s.upsert(batch.entities, batch.relationships)
            proj = s.projection()
    events = events_of(batch.tracking, proj)
    ctx = prepare(proj, learn(proj, events, seed=seed).weights, None, events)
    score = score_children(ctx)
    x = features(ctx)
    cand = ctx.child & ~ctx.open
    truth = set(data.exploited_not_open)
    y = np.array([i in truth for i in proj.ids])[cand].astype(np.float64)
    base = np.c_[x, score][cand]
    more = np.c_[base, further(ctx, score, x)[cand]]
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)

    def ceiling(xs: np.ndarray) -> float:
        model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, random_state=seed)
        return r_precision(cross_val_predict(model, xs, y, cv=folds, method="predict_proba")[:, 1], y)

    return {
        "truth": float(y.sum()),
        "learned": r_precision(score[cand], y),
        "ceiling": ceiling(base),
        "ceiling, further": ceiling(more),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--children", type=int, default=2000)
    ap.add_argument("--shapes", default="all")
    a = ap.parse_args()
    shapes = list(SHAPES) if a.shapes == "all" else a.shapes.split(",")
    t0 = time.perf_counter()
    print(f"{platform.machine()}, Python {platform.python_version()}, {a.children:,} children each")
    print()
    print("| shape | seed | truth | learned weights | trained on the truth | the same, nine more features |")
    print("|---|---:|---:|---:|---:|---:|")
    for shape in shapes:
        for seed in range(a.seeds):
            r = one(shape, seed, a.children)
            print(
                f"| {shape} | {seed} | {r['truth']:.0f} | {r['learned']:.3f} | {r['ceiling']:.3f}"
                f" | {r['ceiling, further']:.3f} |",
                flush=True,
            )
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
