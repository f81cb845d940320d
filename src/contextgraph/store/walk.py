"""A breadth-first walk, shared by the stores' neighbourhoods."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

N = TypeVar("N")
E = TypeVar("E")


def walk(centre: N, depth: int, step: Callable[[list[N]], Iterable[tuple[E, N, bool]]]) -> tuple[list[N], list[E]]:
    """The nodes within ``depth`` steps of ``centre`` and the edges walked, breadth first, over
    whatever handles a store keeps for them (numbers, ids, keys).

    ``step(frontier)`` gives ``(edge, other end, may walk on from it)`` for the edges of the
    frontier that pass the reader's filter. Nodes and edges come in the order first found.

    >>> graph = {"a": [("ab", "b"), ("ac", "c")], "b": [("ab", "a"), ("bd", "d")], "c": [("ac", "a")], "d": []}
    >>> walk("a", 2, lambda front: [(e, o, o != "c") for n in front for e, o in graph[n]])
    (['a', 'b', 'c', 'd'], ['ab', 'ac', 'bd'])
    """
    nodes = [centre]
    seen = {centre}
    edges: list[E] = []
    taken: set[E] = set()
    frontier = [centre]
    for _ in range(depth):
        if not frontier:
            break
        nxt: list[N] = []
        for e, o, onward in step(frontier):
            if e in taken:
                continue
            taken.add(e)
            edges.append(e)
            if o not in seen:
                seen.add(o)
                nodes.append(o)
                if onward:
                    nxt.append(o)
        frontier = nxt
    return nodes, edges
