"""Peer groups and persons of concern: communities of children and the adults who connect them."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import igraph as ig
import numpy as np
import scipy.sparse as sp
from msgspec.structs import replace

from ..model import GRADE_CODES, TYPE_CODES
from ..projection import Projection
from .context import KIND_INDEX, TYPE_INDEX, B, Context, F, I, iso
from .results import Fact, PeerGroup, PersonOfConcern, Shared
from .scoring import at_risk, in_localities, score_children

_SEEDED = threading.Lock()


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """igraph's random numbers drawn, for the block, from a generator seeded with ``seed``: igraph
    draws from one generator for the whole process, so a layout or a partition would otherwise
    depend on what ran before it. One block at a time (the service answers in threads).

    >>> def laid():
    ...     with seeded(3):
    ...         return ig.Graph.Ring(6).layout_fruchterman_reingold(niter=50).coords
    >>> first = laid(); _ = [random.random() for _ in range(5)]; laid() == first
    True
    """
    with _SEEDED:
        ig.set_random_number_generator(random.Random(seed))
        try:
            yield
        finally:
            ig.set_random_number_generator(random)


def peer_groups(
    ctx: Context,
    localities: list[str] | None = None,
    seed: int = 0,
    resolution: float = 1.0,
    communities: I | None = None,
) -> list[PeerGroup]:
    """Communities of children (Leiden on who associates, goes missing and is family with whom).

    Only groups of two or more with at least one child at risk (see :func:`at_risk`)
    are returned, ranked by the risk they hold.
    """
    if ctx.score.shape[0] != ctx.p.n_nodes:
        score_children(ctx)
    membership = communities if communities is not None else leiden_communities(ctx, seed, resolution)
    p = ctx.p
    risky_child = at_risk(ctx)
    comm = membership
    valid_c = comm >= 0
    n_comm = int(comm.max()) + 1 if valid_c.any() else 0
    nodes = np.flatnonzero(valid_c)
    labels = comm[nodes]
    size = np.bincount(labels, minlength=n_comm)
    risk_in = np.bincount(labels, weights=risky_child[nodes], minlength=n_comm)
    inloc = in_localities(p, localities)
    in_area = np.bincount(labels, weights=inloc[nodes], minlength=n_comm)
    chosen = np.flatnonzero((size >= 2) & (risk_in > 0) & (in_area > 0))
    if chosen.size == 0:
        return []
    keep = np.zeros(n_comm, bool)
    keep[chosen] = True
    members: dict[int, list[int]] = {}
    for i in nodes[keep[labels]].tolist():
        members.setdefault(int(comm[i]), []).append(i)
    shared = shared_links(ctx, comm, keep)
    rows = []
    for g, ms in members.items():
        weight = sum(1.0 if ctx.known[i] else min(1.0, float(ctx.score[i])) for i in ms if risky_child[i])
        rows.append((round(weight, 4), sorted(p.ids[i] for i in ms), g, ms))
    rows.sort(key=lambda x: (-x[0], -len(x[3]), x[1][0]))
    return [
        PeerGroup(
            members=tuple(names),
            size=len(ms),
            open=sum(1 for i in ms if ctx.open[i]),
            flagged=sum(1 for i in ms if ctx.known[i] or p.flag[i]),
            not_open=sum(1 for i in ms if not ctx.open[i]),
            at_risk_not_open=sum(1 for i in ms if not ctx.open[i] and risky_child[i]),
            risk=risk,
            places=shared[g]["places"],
            persons_of_concern=shared[g]["persons_of_concern"],
            groups=shared[g]["groups"],
            rank=r,
            id=f"peer-{r}",
        )
        for r, (risk, names, g, ms) in enumerate(rows, 1)
    ]


def leiden_communities(ctx: Context, seed: int, resolution: float) -> I:
    """Leiden communities of the children within three steps of an at-risk child (see :func:`at_risk`)
    over who associates, goes missing and is family with whom; -1 for every other node."""
    p = ctx.p
    src, dst, typ = p.src, p.dst, p.type
    wt = {"ASSOCIATES_WITH": 1.0, "MISSING_WITH": 2.0, "FAMILY_OF": 0.5}
    m = ctx.valid & np.isin(typ, [TYPE_INDEX[t] for t in wt]) & ctx.child[src] & ctx.child[dst]
    out = np.full(p.n_nodes, -1, np.int64)
    if not m.any():
        return out
    w_by = np.zeros(len(TYPE_CODES))
    for t, x in wt.items():
        w_by[TYPE_INDEX[t]] = x
    # only groups holding an at-risk child are reported: look at the children within reach of one
    near = component_of(p.n_nodes, src[m].astype(np.int64), dst[m].astype(np.int64), np.flatnonzero(at_risk(ctx)), 3)
    m &= near[src] & near[dst]
    built = igraph_of(p.n_nodes, src[m].astype(np.int64), dst[m].astype(np.int64))
    if built is None:
        return out
    g, used = built
    weights = (w_by[typ[m]] * ctx.factor[m]).tolist()
    with seeded(seed):
        part = g.community_leiden(
            objective_function="modularity", weights=weights, resolution=resolution, n_iterations=2
        )
    out[used] = np.asarray(part.membership, np.int64)
    return out


def shared_links(ctx: Context, comm: I, keep: B) -> dict[int, dict[str, tuple[Shared, ...]]]:
    """Places, persons of concern and groups linked to members of each kept community."""
    p = ctx.p
    src, dst, typ = p.src.astype(np.int64), p.dst.astype(np.int64), p.type
    out: dict[int, dict[str, dict[int, int]]] = {
        int(g): {"places": {}, "persons_of_concern": {}, "groups": {}} for g in np.flatnonzero(keep)
    }
    member = (comm >= 0) & keep[np.clip(comm, 0, None)]
    place_t = np.isin(typ, [TYPE_INDEX[t] for t in ("SEEN_AT", "FOUND_AT", "LIVES_AT")])
    poc_t = np.isin(typ, [TYPE_INDEX[t] for t in ("EXPLOITS", "ASSOCIATES_WITH", "FAMILY_OF")])
    for a, b in ((src, dst), (dst, src)):
        m = ctx.valid & member[a]
        for slot, mask in (
            ("places", m & place_t & (b == dst) & (p.kind[b] == KIND_INDEX["location"]) & (ctx.risk[b] > 0)),
            ("persons_of_concern", m & poc_t & ctx.poc[b]),
            ("groups", m & (typ == TYPE_INDEX["MEMBER_OF"]) & (b == dst)),
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
            slot: tuple(Shared(p.ids[x], c) for x, c in sorted(d.items(), key=lambda kv: (-kv[1], p.ids[kv[0]])))
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
) -> list[PersonOfConcern]:
    """Persons of concern ranked by reach: children linked, peer groups bridged, betweenness.

    Children are linked directly (exploits, associates, family) or through a group
    both are members of. Betweenness is computed on the network of people and groups,
    over paths of at most ``cutoff`` steps, and scaled to 0-1 by its maximum.
    """
    if ctx.score.shape[0] != ctx.p.n_nodes:
        score_children(ctx)
    p = ctx.p
    src, dst, typ = p.src.astype(np.int64), p.dst.astype(np.int64), p.type
    comm = communities if communities is not None else leiden_communities(ctx, seed, 1.0)
    direct: dict[int, dict[int, list[int]]] = {}
    people_t = np.isin(typ, [TYPE_INDEX[t] for t in ("EXPLOITS", "ASSOCIATES_WITH", "FAMILY_OF")])
    for a, b in ((src, dst), (dst, src)):
        m = ctx.valid & people_t & ctx.poc[a] & ctx.child[b]
        for x, c, e in zip(a[m].tolist(), b[m].tolist(), np.flatnonzero(m).tolist(), strict=True):
            direct.setdefault(x, {}).setdefault(c, []).append(e)
    # through groups
    gm = ctx.valid & (typ == TYPE_INDEX["MEMBER_OF"])
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
    btw = betweenness(ctx, cutoff)
    risky_child = at_risk(ctx)
    cand = np.flatnonzero(ctx.poc & in_localities(p, localities))
    rows: list[PersonOfConcern] = []
    for x in cand.tolist():
        kids = set(direct.get(x, {})) | set(via_group.get(x, {}))
        bridged = {int(comm[c]) for c in kids if comm[c] >= 0}
        at_risk_kids = [c for c in kids if risky_child[c]]
        unopened = [c for c in kids if not ctx.open[c]]
        evidence = []
        for _c, edges in sorted(direct.get(x, {}).items(), key=lambda kv: -max(ctx.factor[e] for e in kv[1])):
            for e in edges:
                evidence.append(fact_of(p, e))
        for _g, e in poc_groups.get(x, []):
            evidence.append(fact_of(p, e))
        rows.append(
            PersonOfConcern(
                id=p.ids[x],
                locality=p.localities[int(p.locality[x])],
                children_linked=len(kids),
                children_linked_directly=len(direct.get(x, {})),
                children_at_risk=len(at_risk_kids),
                children_not_open=len(unopened),
                peer_groups_bridged=len(bridged),
                groups=tuple(p.ids[g] for g, _ in poc_groups.get(x, [])),
                betweenness=round(float(btw[x]), 4),
                children=tuple(sorted(p.ids[c] for c in kids)),
                evidence=tuple(evidence[:20]),
                rank=0,
            )
        )
    rows = [r for r in rows if r.children_linked or r.betweenness > 0]
    rows.sort(key=lambda r: (-r.children_linked, -r.peer_groups_bridged, -r.betweenness, r.id))
    if top is not None:
        rows = rows[:top]
    return [replace(r, rank=rank) for rank, r in enumerate(rows, 1)]


def fact_of(p: Projection, e: int) -> Fact:
    """The relationship of row ``e``, with its last date and grade."""
    return Fact(
        TYPE_CODES[int(p.type[e])],
        p.ids[int(p.src[e])],
        p.ids[int(p.dst[e])],
        iso(int(p.last_seen[e])),
        GRADE_CODES[int(p.grade[e])],
    )


def betweenness(ctx: Context, cutoff: int) -> F:
    """Betweenness of people and groups on the network of who is linked with whom, scaled to 0-1."""
    p = ctx.p
    src, dst, typ = p.src.astype(np.int64), p.dst.astype(np.int64), p.type
    people = ctx.child | ctx.poc | (p.kind == KIND_INDEX["group"])
    types = [TYPE_INDEX[t] for t in ("EXPLOITS", "ASSOCIATES_WITH", "FAMILY_OF", "MISSING_WITH", "MEMBER_OF")]
    m = ctx.valid & np.isin(typ, types) & people[src] & people[dst]
    out = np.zeros(p.n_nodes)
    if not m.any():
        return out
    s, d = src[m], dst[m]
    # only the part of the network within reach of persons of concern matters for them
    comp = component_of(p.n_nodes, s, d, np.flatnonzero(ctx.poc), cutoff)
    keep = comp[s] & comp[d]
    built = igraph_of(p.n_nodes, s[keep], d[keep])
    if built is None:
        return out
    g, used = built
    g.simplify()
    b = np.asarray(g.betweenness(directed=False, cutoff=cutoff), np.float64)
    top = b.max() if b.size else 0.0
    out[used] = b / top if top > 0 else b
    return out


def igraph_of(n: int, s: I, d: I) -> tuple[ig.Graph, I] | None:
    """An undirected igraph of the edges ``s``-``d`` over the nodes they use, and those nodes
    (graph vertex ``k`` is node ``used[k]``); None when there are no edges."""
    used = np.unique(np.concatenate([s, d]))
    if used.size == 0:
        return None
    local = np.full(n, -1, np.int64)
    local[used] = np.arange(used.size)
    return ig.Graph(n=int(used.size), edges=np.stack([local[s], local[d]], 1).tolist(), directed=False), used


def component_of(n: int, s: I, d: I, seeds: I, hops: int) -> B:
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
