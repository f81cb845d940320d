"""The compact projection of a graph, for whole-graph analysis.

Nodes are numbered ``0..n-1`` (``ids[i]`` is node ``i``'s entity id), with their
kind, locality and whether their properties flag them at risk; edges are parallel
arrays of typed, dated, counted and graded pairs. Nothing here goes through
NetworkX: :meth:`Projection.adjacency` builds a ``scipy.sparse`` matrix directly,
and :meth:`Projection.to_networkx` is there for small graphs and explanations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:  # networkx and scipy are loaded only by the analyses that use them
    import networkx as nx
    import scipy.sparse as sp

from .model import GRADE_CODES, KIND_CODES, NO_DAY, REL_TYPES, TYPE_CODES, grade_code, iso_day
from .model import day as day  # the day number, here for the analyses that read it with the arrays

NO_DATE = np.int32(NO_DAY)
"""Day number standing for an unknown date (:data:`~contextgraph.model.NO_DAY`)."""


@dataclass
class Projection:
    """Typed, weighted edges between numbered nodes, with an id index.

    >>> p = Projection.from_lists(
    ...     ["c-1", "c-2", "l-1"], ["child", "child", "location"], ["Hillcrest", "Hillcrest", None],
    ...     [(0, 2, "SEEN_AT", None, None, 1, None), (0, 1, "ASSOCIATES_WITH", "2024-01-02", "2024-01-02", 2, "1B P")])
    >>> p.adjacency().toarray().tolist()
    [[0.0, 2.0, 1.0], [2.0, 0.0, 0.0], [1.0, 0.0, 0.0]]
    """

    ids: list[str]
    kind: npt.NDArray[np.int8]
    locality: npt.NDArray[np.int16]
    localities: list[str | None]
    src: npt.NDArray[np.int32]
    dst: npt.NDArray[np.int32]
    type: npt.NDArray[np.int8]
    first_seen: npt.NDArray[np.int32]
    last_seen: npt.NDArray[np.int32]
    count: npt.NDArray[np.int32]
    grade: npt.NDArray[np.int8] = field(default_factory=lambda: np.zeros(0, np.int8))
    """Each edge's strongest grading as a :data:`~contextgraph.model.GRADE_CODES` code (0 ungraded)."""
    flag: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, np.bool_))
    """Whether each node's properties flag it at risk (:func:`~contextgraph.model.flagged`)."""
    _index: dict[str, int] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.grade.shape[0] != self.src.shape[0]:
            self.grade = np.zeros(self.src.shape[0], np.int8)
        if self.flag.shape[0] != len(self.ids):
            self.flag = np.zeros(len(self.ids), np.bool_)

    @property
    def n_nodes(self) -> int:
        return len(self.ids)

    @property
    def n_edges(self) -> int:
        return int(self.src.shape[0])

    @property
    def index(self) -> dict[str, int]:
        """Node number by entity id."""
        if self._index is None:
            self._index = {x: i for i, x in enumerate(self.ids)}
        return self._index

    @classmethod
    def from_lists(
        cls,
        ids: list[str],
        kinds: list[str],
        localities: list[str | None],
        edges: list[tuple[int, int, str, str | None, str | None, int, str | None]],
        flags: list[bool] | None = None,
    ) -> Projection:
        """Build from plain lists: edges are ``(src, dst, type, first_seen, last_seen, count, grading)``."""
        names: dict[str | None, int] = {}
        loc = np.fromiter((names.setdefault(x, len(names)) for x in localities), np.int16, len(localities))
        kc = {k: i for i, k in enumerate(KIND_CODES)}
        tc = {t: i for i, t in enumerate(TYPE_CODES)}
        return cls(
            ids=list(ids),
            kind=np.fromiter((kc[k] for k in kinds), np.int8, len(kinds)),
            locality=loc,
            localities=list(names),
            src=np.fromiter((e[0] for e in edges), np.int32, len(edges)),
            dst=np.fromiter((e[1] for e in edges), np.int32, len(edges)),
            type=np.fromiter((tc[e[2]] for e in edges), np.int8, len(edges)),
            first_seen=np.fromiter((day(e[3]) for e in edges), np.int32, len(edges)),
            last_seen=np.fromiter((day(e[4]) for e in edges), np.int32, len(edges)),
            count=np.fromiter((e[5] for e in edges), np.int32, len(edges)),
            grade=np.fromiter((grade_code(e[6]) for e in edges), np.int8, len(edges)),
            flag=np.array(flags if flags is not None else [False] * len(ids), np.bool_),
        )

    def without_edges(self, drop: npt.NDArray[np.bool_]) -> Projection:
        """The same nodes without the edges where ``drop`` is true.

        >>> p = Projection.from_lists(["a", "b"], ["child", "child"], [None, None],
        ...                           [(0, 1, "ASSOCIATES_WITH", None, None, 1, None)])
        >>> p.without_edges(np.array([True])).n_edges
        0
        """
        keep = ~drop
        return Projection(
            ids=self.ids,
            kind=self.kind,
            locality=self.locality,
            localities=self.localities,
            src=self.src[keep],
            dst=self.dst[keep],
            type=self.type[keep],
            first_seen=self.first_seen[keep],
            last_seen=self.last_seen[keep],
            count=self.count[keep],
            grade=self.grade[keep],
            flag=self.flag,
            _index=self._index,
        )

    def subset(self, keep: npt.NDArray[np.bool_]) -> Projection:
        """The nodes where ``keep`` is true, renumbered, and the edges between them.

        >>> p = Projection.from_lists(["a", "b", "c"], ["child"] * 3, [None] * 3,
        ...                           [(0, 1, "ASSOCIATES_WITH", None, None, 1, None),
        ...                            (1, 2, "ASSOCIATES_WITH", None, None, 1, None)])
        >>> q = p.subset(np.array([False, True, True]))
        >>> q.ids, q.src.tolist(), q.dst.tolist()
        (['b', 'c'], [0], [1])
        """
        remap = np.full(self.n_nodes, -1, np.int32)
        nodes = np.flatnonzero(keep)
        remap[nodes] = np.arange(nodes.shape[0], dtype=np.int32)
        m = keep[self.src] & keep[self.dst]
        return Projection(
            ids=[self.ids[i] for i in nodes.tolist()],
            kind=self.kind[nodes],
            locality=self.locality[nodes],
            localities=self.localities,
            src=remap[self.src[m]],
            dst=remap[self.dst[m]],
            type=self.type[m],
            first_seen=self.first_seen[m],
            last_seen=self.last_seen[m],
            count=self.count[m],
            grade=self.grade[m],
            flag=self.flag[nodes],
        )

    def kind_of(self, i: int) -> str:
        return KIND_CODES[int(self.kind[i])]

    def type_mask(self, types: list[str]) -> npt.NDArray[np.bool_]:
        codes = [TYPE_CODES.index(t) for t in types]
        return np.isin(self.type, codes)

    def adjacency(
        self,
        types: list[str] | None = None,
        weights: dict[str, float] | None = None,
        symmetric: bool = True,
    ) -> sp.csr_matrix:
        """A sparse ``n × n`` matrix of the edges of ``types`` (all by default).

        An edge's weight is ``weights[type]`` (default 1) times its number of
        assertions. ``symmetric`` adds each edge in both directions.
        """
        mask = self.type_mask(types) if types is not None else np.ones(self.n_edges, bool)
        w_by_type = np.ones(len(TYPE_CODES), np.float64)
        for t, weight in (weights or {}).items():
            w_by_type[TYPE_CODES.index(t)] = weight
        s, d = self.src[mask], self.dst[mask]
        w = w_by_type[self.type[mask]] * self.count[mask]
        n = self.n_nodes
        if symmetric:
            s, d, w = np.concatenate([s, d]), np.concatenate([d, s]), np.concatenate([w, w])
        import scipy.sparse as sp

        return sp.csr_matrix((w, (s, d)), shape=(n, n))

    def to_networkx(self) -> nx.MultiDiGraph:
        """A NetworkX multigraph: nodes with ``kind``, ``locality``, ``flagged``; edges with
        ``type``, dates, ``count`` and ``grade``.

        Symmetric relationships appear once; their ``symmetric`` attribute says so.
        """
        import networkx as nx

        g = nx.MultiDiGraph()
        for i, x in enumerate(self.ids):
            g.add_node(
                x, kind=self.kind_of(i), locality=self.localities[int(self.locality[i])], flagged=bool(self.flag[i])
            )
        for s, d, t, f, la, c, gr in zip(
            self.src.tolist(),
            self.dst.tolist(),
            self.type.tolist(),
            self.first_seen.tolist(),
            self.last_seen.tolist(),
            self.count.tolist(),
            self.grade.tolist(),
            strict=True,
        ):
            name = TYPE_CODES[t]
            g.add_edge(
                self.ids[s],
                self.ids[d],
                key=name,
                type=name,
                symmetric=REL_TYPES[name].symmetric,
                first_seen=iso_day(f),
                last_seen=iso_day(la),
                count=c,
                grade=GRADE_CODES[gr],
            )
        return g
