"""A locality's map: its entities placed first, the relationships between them, its hotspots, and
the same as plain JSON and GeoJSON for drawing, each kept until the store changes."""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import lru_cache
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import orjson
import strawberry
from strawberry.scalars import JSON

from ...analysis.networks import seeded
from ...model import GRADE_CODES, KIND_CODES, KINDS, TYPE_CODES, iso_day
from ...projection import Projection
from ...store import Filter
from ...store.types import Label
from .context import Context
from .execution import Kept
from .types.analysis import Hotspot
from .types.entities import EntityView, RelationshipView, edge_view, entity_view, namer
from .types.tracking import TrackingMonthView, by_month, visible_records


@strawberry.enum(description="A copy the page makes of what it shows, which leaves the service with someone.")
class ViewCopy(enum.Enum):
    PRINTED_PACK = "printed pack"
    PICTURE = "picture"


@strawberry.type(description="A locality's entities, relationships and hotspots, with coordinates for mapping.")
class LocalityMap:
    locality: str
    hotspots: list[Hotspot]
    truncated: bool = strawberry.field(description="Whether more entities matched than were returned.")
    as_of: str | None = strawberry.field(
        description="The date the analysis behind the scores and hotspots is as of: the latest fact in view."
    )
    _ctx: strawberry.Private[Context]
    _flt: strawberry.Private[Filter]
    _basis: strawberry.Private[Filter | None]
    """The filter of the reader's whole analysis (all their localities), which the scores, the order
    and the layout come from: part of every key a map's parts are kept under, so that a map is
    never shared with a reader whose analysis counts other localities' evidence."""
    _p: strawberry.Private[Projection]
    _kept: strawberry.Private[list[int]]
    _scores: strawberry.Private[dict[str, float]]

    @strawberry.field(description="The entities, placed ones first (typed; see graph for large maps).")
    def nodes(self) -> list[EntityView]:
        ctx, ids, kept = self._ctx, self._p.ids, self._kept

        def views() -> list[EntityView]:
            ents = ctx.store.get_many([ids[i] for i in kept])
            return Kept(entity_view(ents[ids[i]], ctx) for i in kept if ids[i] in ents)

        key = ("nodes", self._flt, self._basis, ctx.who.role, ctx.who.by_initials, len(kept))
        nodes: list[EntityView] = ctx.analyses.derived(ctx.store, key, views)
        return nodes

    @strawberry.field(description="The relationships between the entities, with their sources (typed).")
    def edges(self) -> list[RelationshipView]:
        ctx = self._ctx

        def views() -> list[RelationshipView]:
            facts = ctx.store.facts(_edge_keys(self._p, self._kept), self._flt)
            return Kept(edge_view(k, f, ctx) for k, f in facts.items())

        edges: list[RelationshipView] = ctx.analyses.derived(
            ctx.store, ("edges", self._flt, self._basis, ctx.who.role, ctx.who.by_initials, len(self._kept)), views
        )
        return edges

    @strawberry.field(
        description="The same entities and relationships as plain JSON for drawing, fast for large maps: "
        "nodes {id kind name locality lat lon flagged openTo score}, "
        "edges {type source target firstSeen lastSeen count grade}. With columns, the same as one list for "
        "each field, nodes[k] being the k-th of each: nodes {id kind ... score x y}, x and y where the "
        "network view starts from the entity, else null; edges {type source target ...}, source and "
        "target as positions in the nodes' lists (smaller, and quicker to read)."
    )
    def graph(self, columns: bool = False) -> JSON:
        ctx = self._ctx
        key = ("graph", self._flt, self._basis, ctx.who.role, ctx.who.by_initials, len(self._kept), columns)

        def made() -> orjson.Fragment:
            cols = _graph(ctx, self._p, self._kept, self._scores, self._flt, self._basis)
            return _encoded(cols if columns else _rows(cols))

        encoded = ctx.analyses.derived(ctx.store, key, made)
        return cast(JSON, encoded)

    @strawberry.field(
        description="The placed entities as a GeoJSON FeatureCollection, hotspots marked with their score."
    )
    def geojson(self) -> JSON:
        ctx = self._ctx
        key = ("geojson", self._flt, self._basis, ctx.who.role, ctx.who.by_initials, len(self._kept))
        return cast(
            JSON,
            ctx.analyses.derived(ctx.store, key, lambda: _encoded(_geojson(ctx, self._p, self._kept, self.hotspots))),
        )

    @strawberry.field(
        description="The tracking records about the map's entities (missing episodes, referrals, assessments, "
        "plans, disruptions...), counted by month and kind, whatever the map's dates: only those you may "
        "read (a MACE member's are about places, groups and schools)."
    )
    def tracking(self) -> list[TrackingMonthView]:
        ctx = self._ctx
        ids = self._p.ids

        def counted() -> list[TrackingMonthView]:
            inside = {ids[i] for i in self._kept}
            records = visible_records(ctx, ctx.store.tracking_naming(sorted(inside)))
            return by_month([t for t in records if t.subject in inside])

        key = ("tracking", self._flt, self._basis, ctx.who.role, len(self._kept))
        months: list[TrackingMonthView] = ctx.analyses.derived(ctx.store, key, counted)
        return months


def _encoded(value: dict[str, Any]) -> orjson.Fragment:
    """A large answer kept already encoded: the service's JSON encoder (orjson) copies it as it is."""
    return orjson.Fragment(orjson.dumps(value))


def map_order(ctx: Context, flt: Filter, at_risk: frozenset[str]) -> tuple[Projection, npt.NDArray[np.intp]]:
    """The projection a map is drawn from, and its nodes in the order kept when a map is cut: the
    children linked to harm and the persons of concern first, then the places and schools linked
    to anyone, the groups, the other children, the places linked to no one, and the services; by
    id within each (no children for a MACE member). A person is never cut for a bare place."""
    p = ctx.store.projection(flt)
    kind = p.kind
    linked = np.zeros(p.n_nodes, np.bool_)
    linked[p.src] = True
    linked[p.dst] = True
    code = {k: KIND_CODES.index(k) for k in KIND_CODES}
    first = np.fromiter((x in at_risk for x in p.ids), np.bool_, p.n_nodes) | (kind == code["person_of_concern"])
    placed = np.array([KINDS[k].placed for k in KIND_CODES], np.bool_)[kind]
    tier = np.full(p.n_nodes, 4, np.intp)
    tier[kind == code["child"]] = 3
    tier[kind == code["group"]] = 2
    tier[placed & linked] = 1
    tier[first] = 0
    tier[kind == code["service"]] = 5
    rank = np.empty(p.n_nodes, np.intp)
    rank[np.argsort(np.array(p.ids, dtype=object), kind="stable")] = np.arange(p.n_nodes)
    order = np.lexsort((rank, tier))
    if not ctx.rules.child_lists:
        order = order[kind[order] != code["child"]]
    return p, order


CORE = 600
"""The most entities the network view is laid out with at first; the rest are a click away."""


def network_core(
    p: Projection,
    kept: list[int],
    scores: dict[str, float],
    seed: int = 0,
    remembered: dict[str, tuple[float, float]] | None = None,
) -> dict[int, tuple[float, float]]:
    """Where the network view starts, laid out: the children linked to harm (highest scores first)
    and the persons of concern, with what joins two or more of them (a place, a group, another
    person); every person and linked entity when the view is small. Positions from a seeded
    Fruchterman-Reingold layout (igraph), the same for the same view every time.

    With ``remembered`` (positions by id, from the views of the same locality drawn before), an
    entity keeps the place it had, and one new to the view is placed among its neighbours that have
    one: a change of dates or types moves nothing already on screen, and needs no new layout. Unless
    too few are remembered (less than half the view): then the view is laid out afresh, and its
    positions remembered."""
    import igraph as ig

    n = p.n_nodes
    at_kept = np.asarray(kept, dtype=np.int64)
    inside = np.zeros(n, np.bool_)
    inside[at_kept] = True
    served = np.array([k == "service" for k in KIND_CODES])[p.kind]
    m = inside[p.src] & inside[p.dst] & ~served[p.src] & ~served[p.dst]
    src, dst = p.src[m].astype(np.int64), p.dst[m].astype(np.int64)
    linked = np.zeros(n, np.bool_)
    linked[src] = True
    linked[dst] = True
    person = np.array([KINDS[k].person for k in KIND_CODES])[p.kind]
    small = at_kept[(person | linked)[at_kept]]
    core = np.zeros(n, np.bool_)
    if small.size <= CORE:
        core[small] = True
    else:
        poc = KIND_CODES.index("person_of_concern")
        ranked = sorted(
            (i for i in kept if p.ids[i] in scores or p.kind[i] == poc),
            key=lambda i: (-scores.get(p.ids[i], 0.0), p.ids[i]),
        )
        first = ranked[: CORE // 2]
        core[first] = True
        # what joins two or more of them: links with one end among them, counted at the other
        a_in, b_in = core[src], core[dst]
        one = a_in != b_in
        touches = np.bincount(np.where(a_in[one], dst[one], src[one]), minlength=n)
        joins = sorted(np.flatnonzero(touches >= 2).tolist(), key=lambda i: (-touches[i], p.ids[i]))
        core[joins[: CORE - len(first)]] = True
    nodes = sorted(np.flatnonzero(core).tolist(), key=lambda i: p.ids[i])
    at = np.full(n, -1, np.int64)
    at[nodes] = np.arange(len(nodes))
    both = (at[src] >= 0) & (at[dst] >= 0)
    pairs = list(zip(at[src[both]].tolist(), at[dst[both]].tolist(), strict=True))
    if remembered is not None:
        placed = _placed(p, nodes, pairs, remembered, seed)
        if placed is not None:
            return placed
    g = ig.Graph(n=len(nodes), edges=pairs)
    start = np.random.default_rng(seed).random((len(nodes), 2)) * max(1.0, len(nodes) ** 0.5)
    with seeded(seed):  # the same view laid out the same in any process, whatever ran before
        layout = g.layout_fruchterman_reingold(seed=start.tolist(), niter=500) if nodes else []
    scale = 60.0
    out = {i: (round(xy[0] * scale, 1), round(xy[1] * scale, 1)) for i, xy in zip(nodes, layout, strict=True)}
    if remembered is not None:
        remembered.update({p.ids[i]: xy for i, xy in out.items()})
    return out


def _placed(
    p: Projection,
    nodes: list[int],
    pairs: list[tuple[int, int]],
    remembered: dict[str, tuple[float, float]],
    seed: int,
) -> dict[int, tuple[float, float]] | None:
    """The view's positions from those remembered, each entity new to it placed at the middle of
    its remembered neighbours (or, with none, beside the view), a little apart; None when fewer
    than half are remembered."""
    known = [remembered.get(p.ids[i]) for i in nodes]
    if not nodes or sum(x is not None for x in known) * 2 < len(nodes):
        return None
    near: dict[int, list[int]] = {}
    for a, b in pairs:
        near.setdefault(a, []).append(b)
        near.setdefault(b, []).append(a)
    xs = [xy for xy in known if xy is not None]
    corner = (max(x for x, _ in xs) + 60.0, min(y for _, y in xs))
    rng = np.random.default_rng(seed)
    out: dict[int, tuple[float, float]] = {}
    for k, i in enumerate(nodes):
        xy = known[k]
        if xy is None:
            them = [pos for j in near.get(k, ()) if (pos := known[j]) is not None]
            base = tuple(np.mean(them, axis=0).tolist()) if them else corner
            dx, dy = rng.uniform(-30.0, 30.0, 2).tolist()
            xy = (round(base[0] + dx, 1), round(base[1] + dy, 1))
            remembered[p.ids[i]] = xy
        out[i] = xy
    return out


def _edge_keys(p: Projection, kept: list[int]) -> list[tuple[str, str, str]]:
    inside = np.zeros(p.n_nodes, np.bool_)
    inside[kept] = True
    m = inside[p.src] & inside[p.dst]
    ids = p.ids
    return [
        (TYPE_CODES[t], ids[a], ids[b])
        for a, b, t in zip(p.src[m].tolist(), p.dst[m].tolist(), p.type[m].tolist(), strict=True)
    ]


def _graph(
    ctx: Context,
    p: Projection,
    kept: list[int],
    scores: dict[str, float],
    flt: Filter | None = None,
    basis: Filter | None = None,
) -> dict[str, Any]:
    """Nodes and edges as columns of plain data, straight from the projection and the names; the
    entities the network view starts from with their place in it (``x``, ``y``; see
    :func:`network_core`), where they were in the reader's earlier views of the same localities;
    an edge's ends as positions in the nodes' columns."""
    ids = p.ids
    remembered = None
    if flt is not None:  # one memory for each reader's kind of view of the same localities: not shared across roles
        key = ("layout", flt.localities, basis.localities if basis else None, flt.kinds, flt.handling, ctx.who.role)
        remembered = ctx.analyses.derived(ctx.store, key, dict)
    core = network_core(p, kept, scores, remembered=remembered)
    keep_ids = [ids[i] for i in kept]
    labels = _labels(ctx, keep_ids)
    at = np.asarray(kept, np.intp)
    place = np.full(p.n_nodes, -1, np.intp)
    place[at] = np.arange(len(kept))
    m = (place[p.src] >= 0) & (place[p.dst] >= 0)
    services: dict[int, list[str]] = {}
    svc = np.isin(p.kind, [KIND_CODES.index("service")])
    for a, b in zip(p.src[m & svc[p.dst]].tolist(), p.dst[m & svc[p.dst]].tolist(), strict=True):
        services.setdefault(a, []).append(labels[ids[b]].name if ids[b] in labels else ids[b])
    named = namer(ctx.who)
    kinds = [KIND_CODES[c] for c in p.kind[at].tolist()]
    got = [labels.get(x) for x in keep_ids]
    xy = [core.get(i) for i in kept]
    given = [ctx.shown_id(x) for x in keep_ids] if ctx.who.by_initials else keep_ids
    nodes = {
        "id": given,
        "kind": kinds,
        "name": [named(lab.name, k) if lab else x for x, k, lab in zip(given, kinds, got, strict=True)],
        "locality": _coded(p.locality[at], p.localities.__getitem__),
        "lat": [lab.lat if lab else None for lab in got],
        "lon": [lab.lon if lab else None for lab in got],
        "flagged": p.flag[at].astype(bool).tolist(),
        "openTo": [sorted(services[i]) if i in services else [] for i in kept],
        "score": [scores.get(x) for x in keep_ids],
        "x": [c[0] if c is not None else None for c in xy],
        "y": [c[1] if c is not None else None for c in xy],
    }
    edges = {
        "type": _coded(p.type[m], TYPE_CODES.__getitem__),
        "source": place[p.src[m]].tolist(),
        "target": place[p.dst[m]].tolist(),
        "firstSeen": _coded(p.first_seen[m], _iso),
        "lastSeen": _coded(p.last_seen[m], _iso),
        "count": p.count[m].tolist(),
        "grade": _coded(p.grade[m], GRADE_CODES.__getitem__),
    }
    return {"nodes": nodes, "edges": edges}


def _coded(codes: npt.NDArray[Any], name: Callable[[int], str | None]) -> list[str | None]:
    """Each code's name, worked out once for each distinct code."""
    seen, where = np.unique(codes, return_inverse=True)
    table = [name(c) for c in seen.tolist()]
    return [table[k] for k in where.tolist()]


def _rows(cols: dict[str, Any]) -> dict[str, Any]:
    """The columns of :func:`_graph` as a node and an edge each: ``x``, ``y`` only where the network
    view starts from the node, an edge's ends by id."""
    n, e = cols["nodes"], cols["edges"]
    fields = [k for k in n if k not in ("x", "y")]
    nodes = []
    for k, row in enumerate(zip(*(n[f] for f in fields), strict=True)):
        node = dict(zip(fields, row, strict=True))
        if n["x"][k] is not None:
            node["x"], node["y"] = n["x"][k], n["y"][k]
        nodes.append(node)
    ids = n["id"]
    efields = list(e)
    edges = []
    for row in zip(*(e[f] for f in efields), strict=True):
        edge = dict(zip(efields, row, strict=True))
        edge["source"], edge["target"] = ids[edge["source"]], ids[edge["target"]]
        edges.append(edge)
    return {"nodes": nodes, "edges": edges}


def _labels(ctx: Context, ids: list[str]) -> dict[str, Label]:
    """The names and coordinates of ``ids``, read once until the store changes: a map of another
    window or other types holds mostly the same entities."""
    public = ctx.who.clearance != "C"  # as statements under P alone give them, for readers cleared for P
    held: dict[str, Label] = ctx.analyses.derived(ctx.store, ("labels", public), dict)
    missing = [x for x in ids if x not in held]
    if missing:
        held.update(ctx.store.labels(missing, Filter.of(handling=["P"]) if public else None))
    return {x: held[x] for x in ids if x in held}


@lru_cache(maxsize=1 << 16)  # two for each link of a map, over a few thousand days
def _iso(day_number: int) -> str | None:
    return iso_day(day_number)


def _geojson(ctx: Context, p: Projection, kept: list[int], hotspots: list[Hotspot]) -> dict[str, Any]:
    """Points for every placed entity, marked with its hotspot score when it is one."""
    hot = {str(h.id): h for h in hotspots}
    placed = [i for i in kept if KINDS[p.kind_of(i)].placed]
    labels = _labels(ctx, [p.ids[i] for i in placed])
    features = []
    for i in placed:
        lab = labels.get(p.ids[i])
        if lab is None or lab.lat is None or lab.lon is None:
            continue
        eid = ctx.shown_id(p.ids[i])
        props: dict[str, Any] = {
            "id": eid,
            "kind": p.kind_of(i),
            "name": lab.name,
            "locality": p.localities[int(p.locality[i])],
        }
        h = hot.get(eid)
        if h is not None:
            props.update(
                hotspot=True, score=h.score, rank=h.rank, children_at_risk=h.children_at_risk, last_seen=h.last_seen
            )
        features.append(
            {
                "type": "Feature",
                "id": eid,
                "geometry": {"type": "Point", "coordinates": [lab.lon, lab.lat]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}
