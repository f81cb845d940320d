"""How two entities are linked: the shortest paths between them, each step a typed fact.

A path may pass through anyone and anything a reader may see — a child, a person of concern, a
place, a school, a group — but never through a service: being open to the same service links
no one. Pure functions of the store's projection (sparse breadth-first search for the
distances, NetworkX for the paths among the few entities on a shortest one).
"""

from __future__ import annotations

import itertools

import msgspec
import numpy as np

from ..model import KIND_CODES
from ..projection import Projection
from .networks import fact_of
from .results import Fact


class Step(msgspec.Struct, frozen=True):
    """One hop of a path: from one entity to the next, with every relationship between them."""

    source: str
    target: str
    facts: tuple[Fact, ...]


class Path(msgspec.Struct, frozen=True):
    """A shortest path: the entities in order, and the steps between them."""

    nodes: tuple[str, ...]
    steps: tuple[Step, ...]

    @property
    def length(self) -> int:
        return len(self.steps)


def shortest_paths(p: Projection, a: str, b: str, max_length: int = 4, most: int = 3) -> list[Path]:
    """The shortest paths from ``a`` to ``b`` of at most ``max_length`` steps, up to ``most`` of
    them (fewest hops first, then in the order of the entities' ids); none when either is not in
    the projection or they are not linked within ``max_length``. Services are not passed through.

    >>> p = Projection.from_lists(
    ...     ["c-1", "c-2", "l-1", "p-1"], ["child", "child", "location", "person_of_concern"], ["Hillcrest"] * 4,
    ...     [(0, 2, "SEEN_AT", None, "2024-03-02", 1, "1B P"), (3, 2, "SEEN_AT", None, "2024-03-01", 1, None),
    ...      (3, 1, "EXPLOITS", None, None, 1, "2C C")],
    ... )
    >>> [x.nodes for x in shortest_paths(p, "c-1", "c-2")]
    [('c-1', 'l-1', 'p-1', 'c-2')]
    >>> [f.type for s in shortest_paths(p, "c-1", "c-2")[0].steps for f in s.facts]
    ['SEEN_AT', 'SEEN_AT', 'EXPLOITS']
    >>> shortest_paths(p, "c-1", "c-2", max_length=2)
    []
    """
    import networkx as nx
    from scipy.sparse.csgraph import shortest_path

    ix = p.index
    if a not in ix or b not in ix or a == b or max_length < 1:
        return []
    ia, ib = ix[a], ix[b]
    service = p.kind == KIND_CODES.index("service")
    usable = ~(service[p.src] | service[p.dst])
    adj = p.without_edges(~usable).adjacency()
    dist = shortest_path(adj, unweighted=True, directed=False, indices=[ia, ib])
    d = dist[0, ib]
    if not np.isfinite(d) or d > max_length:
        return []
    on = np.flatnonzero(np.isclose(dist[0] + dist[1], d))  # the entities on some shortest path
    level = {int(i): int(dist[0, i]) for i in on}
    g = nx.Graph()
    facts: dict[tuple[int, int], list[Fact]] = {}
    for e in np.flatnonzero(usable & np.isin(p.src, on) & np.isin(p.dst, on)).tolist():
        s, t = int(p.src[e]), int(p.dst[e])
        if abs(level[s] - level[t]) != 1:
            continue
        g.add_edge(s, t)
        facts.setdefault((min(s, t), max(s, t)), []).append(fact_of(p, e))
    found = sorted(nx.all_shortest_paths(g, ia, ib), key=lambda path: [p.ids[i] for i in path])
    return [
        Path(
            tuple(p.ids[i] for i in path),
            tuple(
                Step(p.ids[s], p.ids[t], tuple(sorted(facts[(min(s, t), max(s, t))], key=lambda f: f.type)))
                for s, t in itertools.pairwise(path)
            ),
        )
        for path in found[:most]
    ]
