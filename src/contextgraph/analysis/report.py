"""The analysis of a store, explained: :func:`analyse_store` runs
:func:`contextgraph.analysis.analyse` on the store's projection (on a large graph in two
processes) and :func:`explain` puts the results in words (see :mod:`.words`).
"""

from __future__ import annotations

import multiprocessing as mp
from multiprocessing.connection import Connection

from msgspec.structs import replace

from ..memory import paused_gc
from ..projection import Projection
from ..store.base import Store
from ..store.filter import Filter
from ..store.types import Forkable
from . import DEFAULT, Context, Weights, hotspots, lists, networks, prepare, score_children
from .results import (
    Analysis,
    Networks,
)
from .tracking import tracked_events
from .words import explain_parts


def analyse_store(
    store: Store,
    w: Weights = DEFAULT,
    as_of: str | None = None,
    since: str | None = None,
    localities: list[str] | None = None,
    top: int | None = None,
    seed: int = 0,
    parallel: bool | None = None,
    projection: Projection | None = None,
    flt: Filter | None = None,
    explained: bool = True,
    groups: bool = True,
) -> Analysis:
    """:func:`~contextgraph.analysis.analyse` of the store's projection, explained (unless
    ``explained`` is false: then as the analysis returns it, for :func:`explain_parts` to explain
    what is shown of it).

    On a large graph where processes can fork, the network half of the analysis
    (communities, peer groups, persons of concern, changes) and the hotspots are
    computed and explained in a second process while this one explains the ranked
    children; the result is the same either way.
    ``projection`` is the store's projection when the caller already holds it.
    ``flt`` limits the analysis to what a reader may see: their localities and
    handling codes, in the projection and in the facts cited. ``groups=False`` leaves the peer
    groups and the persons of concern out of an analysis not split between processes, for a
    caller that asks :func:`groups_of_store` for them only when they are read.
    """
    p = projection if projection is not None else store.projection(flt)
    with paused_gc():
        ctx = _scored(store, p, w, as_of, flt)
        if parallel is None:
            parallel = p.n_nodes >= 50_000 and "fork" in mp.get_all_start_methods()
        if not parallel or not explained:
            whole = lists(ctx, localities, top).joined(networks(ctx, since, localities, top, seed, groups))
            return _explain(whole, store, flt) if explained else whole
        if isinstance(store, Forkable):
            store.before_fork()
        fork = mp.get_context("fork")
        receive, send = fork.Pipe(duplex=False)
        worker = fork.Process(
            target=_networks_to, args=(send, ctx, since, localities, top, seed, store, flt), daemon=True
        )
        worker.start()
        send.close()
        try:
            result = _explain(lists(ctx, localities, top, with_hotspots=False), store, flt)
            part, explained = receive.recv()
        finally:
            worker.join()
        if isinstance(part, BaseException):
            raise part
        return result.joined(part if explained else _explain_networks(part, store, flt))


def groups_of_store(
    store: Store,
    w: Weights = DEFAULT,
    as_of: str | None = None,
    localities: list[str] | None = None,
    top: int | None = None,
    seed: int = 0,
    flt: Filter | None = None,
) -> Networks:
    """The peer groups and persons of concern of :func:`analyse_store` with the same arguments, not
    explained (no changes), computed alone: for a caller that made the rest of the analysis with
    ``groups=False``."""
    with paused_gc():
        return networks(_scored(store, store.projection(flt), w, as_of, flt), None, localities, top, seed)


def _scored(store: Store, p: Projection, w: Weights, as_of: str | None, flt: Filter | None) -> Context:
    """``p`` prepared with the store's tracking records and its children scored."""
    ctx = prepare(p, w, as_of, tracked_events(store, p, flt))
    score_children(ctx)
    return ctx


def _networks_to(
    send: Connection,
    ctx: Context,
    since: str | None,
    localities: list[str] | None,
    top: int | None,
    seed: int,
    store: Store,
    flt: Filter | None,
) -> None:
    """In the second process: compute the network half and the hotspots, explain them where
    the store can be read from here, and send them back with whether they are explained
    (or the error). The halves are cut so that each process has about as much to do."""
    explained = False
    part: Networks | BaseException
    try:
        part = replace(networks(ctx, since, localities, top, seed), hotspots=tuple(hotspots(ctx, localities, top)))
        reader = store.in_child() if isinstance(store, Forkable) else None
        if reader is not None:
            part = _explain_networks(part, reader, flt)
            explained = True
    except BaseException as e:
        part = e
    send.send((part, explained))
    send.close()


def explain(
    result: Analysis, store: Store, flt: Filter | None = None, initials: frozenset[str] = frozenset()
) -> Analysis:
    """A result of :func:`~contextgraph.analysis.analyse` explained: a copy with names, the facts'
    sources and the sentences (``flt``: what the reader may see of the facts). An entity of a kind
    in ``initials`` is named by its initials everywhere, in the sentences too, and a person's
    aliases are left out. A result already explained may be explained again so."""
    with paused_gc():  # many small objects, none cyclic: collections would only cost time
        return _explain(result, store, flt, initials)


def _explain(
    result: Analysis, store: Store, flt: Filter | None = None, initials: frozenset[str] = frozenset()
) -> Analysis:
    e = explain_parts(
        store,
        flt,
        initials,
        children=result.unopened_at_risk,
        hotspots=result.hotspots,
        peer_groups=result.peer_groups,
        persons_of_concern=result.persons_of_concern,
        changes=result.changes,
    )
    return Analysis(
        result.as_of,
        result.localities,
        result.known_children,
        e.children,
        e.peer_groups,
        e.hotspots,
        e.persons_of_concern,
        e.changes,
    )


def _explain_networks(part: Networks, store: Store, flt: Filter | None = None) -> Networks:
    e = explain_parts(
        store,
        flt,
        hotspots=part.hotspots or (),
        peer_groups=part.peer_groups,
        persons_of_concern=part.persons_of_concern,
        changes=part.changes,
    )
    return Networks(e.peer_groups, e.persons_of_concern, e.changes, None if part.hotspots is None else e.hotspots)
