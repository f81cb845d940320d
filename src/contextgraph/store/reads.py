"""Reads built on the store's primitives: entities as readers see them (merges followed), the
projection under handling codes, neighbourhoods, name search, and what reports read in bulk."""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from ..model import KIND_CODES, KINDS, TYPE_CODES, WITHHELD, Entity, Relationship, day, flagged, grade_code
from .errors import NotFound, StoreError
from .filter import Filter
from .merge import view
from .types import Fact, Key, Label, Subgraph
from .walk import walk

if TYPE_CHECKING:  # numpy, the projection and the name matcher are loaded by the reads that use them
    import networkx as nx

    from ..projection import Projection
    from .base import Store
    from .txn import Txn


def projection(store: Store, flt: Filter | None = None) -> Projection:
    """As :meth:`Store.projection`."""
    import numpy as np

    flt = flt or Filter()
    wide, moved = widened(store, flt)
    # for a reader cleared for P, the window is applied once the dates are those of the statements
    # they may see: by all of them, a statement under C would decide (and so tell the date of)
    # which links are in a window
    p = store.project(wide.asked())
    gone = [*(store.conditional_entities() if flt.public_only else ()), *unseen_places(store, flt)]
    hidden = [p.index[i] for i in gone if i in p.index]
    if hidden:
        keep = np.ones(p.n_nodes, np.bool_)
        keep[hidden] = False
        p = p.subset(keep)
    if not flt.public_only:
        return p
    p = _under_p(store, p, moved, flt)
    return _in_window(p, flt) if flt.windowed_for_p else p


def _in_window(p: Projection, flt: Filter) -> Projection:
    """``p`` without the links outside ``flt``'s window, by their first and last dates (as each
    store's projection applies it)."""
    import numpy as np

    first, last = p.first_seen, p.last_seen
    out = np.zeros(p.n_edges, np.bool_)
    if flt.since is not None:
        out |= (last >= 0) & (last < day(flt.since))
    if flt.until is not None:
        out |= first > day(flt.until)
    if not flt.undated:
        out |= last < 0
    return p.without_edges(out) if out.any() else p


def _under_p(store: Store, p: Projection, moved: Any, flt: Filter) -> Projection:
    """``p`` as statements under P alone show it: places, flags and links, each link's count,
    grading and dates from the statements the reader may see."""
    import numpy as np

    p = _placed_as_under_p(p, moved, flt)
    p = _flags_under_p(store, p)
    keys = store.conditional_keys()
    if not keys:
        return p
    index = p.index
    wanted = [k for k in keys if k[1] in index or k[2] in index]
    rels = store.read(lambda tx: tx.relationships(wanted))
    where = {
        (int(t), int(s), int(d)): e
        for e, (t, s, d) in enumerate(zip(p.type.tolist(), p.src.tolist(), p.dst.tolist(), strict=True))
    }
    drop = np.zeros(p.n_edges, np.bool_)
    touched: set[str] = set()  # places at an end of a relationship said only under C: what else is known of them?
    placed = {KIND_CODES.index(k) for k, kind in KINDS.items() if kind.placed}
    for (t, a, b), r in rels.items():
        kept = flt.visible_facts(r)
        if kept is None and flt.unseen:
            touched.update(x for x in (a, b) if x in index and int(p.kind[index[x]]) in placed)
        e = where.get((TYPE_CODES.index(t), index[a], index[b])) if a in index and b in index else None
        if e is None:
            continue
        if kept is None:
            drop[e] = True
            continue
        p.count[e] = kept.count
        p.grade[e] = grade_code(kept.grading)
        p.first_seen[e] = day(kept.first_seen)
        p.last_seen[e] = day(kept.last_seen)
    p = p.without_edges(drop) if drop.any() else p
    unknown = [p.index[i] for i in known_only_by_unseen_links(store, flt, touched)]
    if unknown:  # a home, say, that a sighting said only under C would otherwise show
        keep = np.ones(p.n_nodes, np.bool_)
        keep[unknown] = False
        p = p.subset(keep)
    return p


_MOVED: weakref.WeakKeyDictionary[Store, tuple[Any, dict[str, tuple[str | None, str | None]], dict[str, list[str]]]]
_MOVED = weakref.WeakKeyDictionary()


def placed_localities(store: Store, flt: Filter) -> list[str]:
    """The localities, sorted, of what ``flt``'s reader can see of the graph (:func:`projection`):
    for a reader cleared for P only, a locality that only statements under C name is not among them.

    >>> from contextgraph.store import open_store
    >>> from contextgraph.model import Entity
    >>> s = open_store("sqlite:///:memory:")
    >>> _ = s.upsert([Entity("c-1", "child", "A", locality="Hillcrest", handling=["P"]),
    ...           Entity("p-1", "person_of_concern", "B", locality="Quayside", handling=["C"])], [])
    >>> placed_localities(s, Filter.of(handling=["P"])), placed_localities(s, Filter())
    (['Hillcrest'], ['Hillcrest', 'Quayside'])
    """
    import numpy as np

    p = projection(store, flt)
    return sorted(x for x in (p.localities[int(c)] for c in np.unique(p.locality)) if x is not None)


def placed_under_c(store: Store) -> dict[str, tuple[str | None, str | None]]:
    """The entities whose record's locality is not the one statements under P alone give them (a
    later statement under C placed them elsewhere): id to (the record's locality, P's). Kept until
    the store changes."""
    return _placed(store)[0]


def _placed(store: Store) -> tuple[dict[str, tuple[str | None, str | None]], dict[str, list[str]]]:
    """:func:`placed_under_c`, and the names (normalised) statements under P give each of them."""
    from ..text import normalise_name

    version = store.version()
    held = _MOVED.get(store)
    if held is not None and version is not None and held[0] == version:
        return held[1], held[2]
    moved: dict[str, tuple[str | None, str | None]] = {}
    names: dict[str, list[str]] = {}
    named = store.named_under_c()
    # each entity's own record, as a read by id judges it (:func:`visible_many`): a record merged
    # into it does not place it
    for i, e in store.own(named).items() if named else ():
        seen = e.cleared_for_p()
        if seen is not None and seen.locality != e.locality:
            moved[i] = (e.locality, seen.locality)
            names[i] = [normalise_name(x) for x in (seen.name, *seen.aliases)]
    if version is not None:
        _MOVED[store] = (version, moved, names)
    return moved, names


def widened(store: Store, flt: Filter) -> tuple[Filter, dict[str, tuple[str | None, str | None]]]:
    """The filter to ask the store with for ``flt``'s reader, and the entities placed elsewhere
    under C (:func:`placed_under_c`; none for a reader cleared for C). A reader cleared for P
    finds an entity in the locality P statements give it, so the store is asked for the localities
    those entities' records name as well; what it gives is then held to ``flt`` by the P view."""
    if not flt.public_only:
        return flt, {}
    moved = placed_under_c(store)
    if flt.localities is None or not moved:
        return flt, moved
    mine = flt.localities
    extra = {was for was, now in moved.values() if now in mine and was not in mine}
    if not extra:
        return flt, moved
    return replace(flt, localities=None if None in extra else mine | cast("set[str]", extra)), moved


def _placed_as_under_p(p: Projection, moved: dict[str, tuple[str | None, str | None]], flt: Filter) -> Projection:
    """``p`` with each entity in ``moved`` given the locality P statements give it, and only the
    entities of ``flt``'s localities kept (services always)."""
    import numpy as np

    index = p.index
    here = {index[i]: now for i, (_, now) in moved.items() if i in index}
    if not here:
        return p
    names = list(p.localities)
    code = {x: k for k, x in enumerate(names)}
    loc = p.locality.copy()  # the projection read may be shared with other readers
    for n, now in here.items():
        if now not in code:
            code[now] = len(names)
            names.append(now)
        loc[n] = code[now]
    p = replace(p, locality=loc, localities=names, _index=None)
    if flt.localities is None:
        return p
    mine = np.array([x in flt.localities for x in names], np.bool_)
    keep = mine[loc] | (p.kind == KIND_CODES.index("service"))
    return p if keep.all() else p.subset(keep)


def _flags_under_p(store: Store, p: Projection) -> Projection:
    """``p`` with each entity flagged at risk only if what statements under P say of it flags it."""
    index = p.index
    flagged_now = [i for i in store.named_under_c() if (n := index.get(i)) is not None and p.flag[n]]
    if not flagged_now:
        return p
    flag = p.flag.copy()  # the projection read may be shared with other readers
    for i, e in store.get_many(flagged_now).items():
        seen = e.cleared_for_p()
        if seen is None or not flagged(seen.properties):
            flag[index[i]] = False
    return replace(p, flag=flag)


def get_many(store: Store, ids: Iterable[str]) -> dict[str, Entity]:
    ids = list(ids)

    def work(tx: Txn) -> dict[str, Entity]:
        canon = tx.merged_into(ids)
        records = tx.entities({canon.get(i, i) for i in ids})
        members = tx.entities({m for r in records.values() for m in r.members})
        out_c = {
            c: view(r, [members[m] for m in r.members if m in members]) if r.members else r for c, r in records.items()
        }
        return {i: out_c[canon.get(i, i)] for i in ids if canon.get(i, i) in out_c}

    return store.read(work)


def unseen_places(store: Store, flt: Filter, ids: Sequence[str] | None = None) -> list[str]:
    """The placed entities (of ``ids``; None: all) that ``flt``'s reader knows nothing of: linked
    only by relationship types they never see (:attr:`Filter.unseen`), whatever the grading of the
    statements, or, for a reader cleared for P only and ``ids`` given, by those and by links every
    statement of which is under C (:func:`projection` finds those itself)."""
    if not flt.unseen or (ids is not None and not ids):
        return []
    out = store.linked_only_by(flt.unseen, ids)
    if not flt.public_only or ids is None:
        return out
    known = set(out)
    return out + known_only_by_unseen_links(store, flt, [i for i in ids if i not in known])


def known_only_by_unseen_links(store: Store, flt: Filter, ids: Iterable[str]) -> list[str]:
    """Those of ``ids`` that are live placed entities with a live link of a type ``flt``'s reader
    never sees (said under any handling code) and no live link of another type they may see a
    statement of. A child's home that a statement under C alone says is their home is not shown
    to one who never sees homes as a place with no link: what that is, is someone's home."""
    ids = set(ids)
    merged = store.read(lambda tx: tx.merged_into(ids)) if ids else {}
    placed = [e.id for e in store.get_many(ids - set(merged)).values() if KINDS[e.kind].placed]
    if not placed:
        return []
    links = store.read(lambda tx: tx.relationships_of(placed))
    others = {x for r in links for x in (r.source, r.target)}
    gone = store.read(lambda tx: tx.merged_into(others)) if others else {}
    never = flt.unseen or frozenset()
    seen: set[str] = set()  # linked to a live entity in a way the reader sees
    hidden: set[str] = set()  # linked to a live entity in a way the reader never sees
    for r in links:
        told = r.type not in never
        if told and flt.visible_facts(r) is None:  # a link they may see, said only under C: not there
            continue
        for n, o in ((r.source, r.target), (r.target, r.source)):
            if o != n and o not in gone:
                (seen if told else hidden).add(n)
    return [n for n in placed if n in hidden and n not in seen]


def visible_many(store: Store, ids: Iterable[str], flt: Filter) -> dict[str, Entity]:
    """As :meth:`Store.visible_many`."""
    found = flt.shown_many(store.get_many(ids))
    if found and (flt.public_only or flt.localities is not None):
        # an id merged into another is seen only if its own record is: a record named only under C,
        # or of another locality, does not answer for the entity it was merged into
        own = store.own(list(found))
        found = {i: e for i, e in found.items() if (o := own.get(i)) is not None and flt.shown(o) is not None}
    places = sorted({e.id for e in found.values() if KINDS[e.kind].placed})
    gone = set(unseen_places(store, flt, places)) if places else set()
    return {i: e for i, e in found.items() if e.id not in gone} if gone else found


def visible(store: Store, eid: str, flt: Filter) -> Entity | None:
    """As :meth:`Store.visible`."""
    return visible_many(store, [eid], flt).get(eid)


def outside_links(store: Store, ids: Sequence[str], flt: Filter) -> dict[str, int]:
    """As :meth:`Store.outside_links`."""
    wide = Filter(
        types=flt.types, since=flt.since, until=flt.until, handling=flt.handling, undated=flt.undated, unseen=flt.unseen
    )
    out: dict[str, int] = {}
    for rel, other in store.expand(list(ids), wide.asked()):
        if flt.seen(rel) is None:
            continue
        seen = other.cleared_for_p() if flt.public_only else other  # where P statements place it
        if seen is None or flt.node_ok(seen.kind, seen.locality):
            continue
        mine = rel.target if other.id == rel.source else rel.source
        out[mine] = out.get(mine, 0) + 1
    return out


def labels(store: Store, ids: Iterable[str], flt: Filter | None = None) -> dict[str, Label]:
    """As :meth:`Store.labels`."""
    out: dict[str, Label] = {}
    public = flt is not None and flt.public_only
    for i, e in store.get_many(ids).items():
        seen = e.cleared_for_p() if public else e
        if seen is not None:
            out[i] = Label(seen.name, seen.lat, seen.lon, seen.kind)
    return out


def facts(store: Store, keys: Iterable[Key], flt: Filter | None = None) -> dict[Key, Fact]:
    """As :meth:`Store.facts`."""
    keys = list(keys)
    rels = store.read(lambda tx: tx.relationships(keys))
    out: dict[Key, Fact] = {}
    for k, r in rels.items():
        seen = flt.visible_facts(r) if flt is not None else r
        if seen is not None:
            out[k] = Fact(seen.sources, seen.first_seen, seen.last_seen, seen.grading, seen.count)
    return out


def neighbourhood(store: Store, eid: str, depth: int = 1, flt: Filter | None = None) -> Subgraph:
    """As :meth:`Store.neighbourhood`."""
    if not 1 <= depth <= 3:
        raise StoreError("depth must be 1, 2 or 3")
    flt = flt or Filter()
    centre = store.get(eid)
    if centre is None:
        raise NotFound(f"no entity {eid!r}")
    ents: dict[str, Entity] = {centre.id: centre}
    rels: dict[Key, Relationship] = {}
    public = flt.public_only

    ask = widened(store, flt)[0].asked()

    def step(frontier: list[str]) -> Iterator[tuple[Key, str, bool]]:
        for found, other in store.expand(frontier, ask):
            rel = found
            if public:  # expand has kept to the kinds and (wider) localities; handling codes are left
                seen = flt.seen(found)
                if seen is None or flt.shown(other) is None:
                    continue
                rel = seen
            rels.setdefault(rel.key, rel)
            ents.setdefault(other.id, other)
            yield rel.key, other.id, other.kind != "service"

    ids, keys = walk(centre.id, depth, step)
    return Subgraph(shown(store.as_seen([ents[i] for i in ids]), flt), [rels[k] for k in keys])


def shown(entities: list[Entity], flt: Filter) -> list[Entity]:
    """``entities`` as ``flt``'s reader may read them (:meth:`Filter.shown`)."""
    if not flt.public_only:
        return entities
    return [s for e in entities if (s := flt.shown(e)) is not None]


def as_seen(store: Store, entities: list[Entity]) -> list[Entity]:
    """As :meth:`Store.as_seen`."""
    merged = [e.id for e in entities if e.members]
    if not merged:
        return entities
    views = store.get_many(merged)
    return [views.get(e.id, e) for e in entities]


def search(
    store: Store,
    text: str,
    kinds: Iterable[str] | None = None,
    localities: Iterable[str] | None = None,
    limit: int = 20,
    threshold: float = 0.8,
    handling: Iterable[str] | None = None,
    unseen: Iterable[str] | None = None,
) -> list[tuple[Entity, float]]:
    """As :meth:`Store.search`."""
    from ..text import name_score, normalise_name

    key = normalise_name(text)
    if not key:
        return []
    flt = Filter.of(kinds=kinds, localities=localities, handling=handling, unseen=unseen)
    # only the same name scores this high: two different names of under 400 characters are at best
    # 1 - 1/399 alike (text.name_score), so for such a key the exact lookup finds every match
    exact = threshold >= 0.999 and len(key) < 400
    # the candidates of the reader's own localities and kinds (for a reader cleared for P, the
    # store leaves out what only statements under C named), and for a reader cleared for P each
    # entity P statements place in those localities though its record says elsewhere, asked for
    # by id: never the whole of another locality, which would let what C statements say decide
    # what crowds the reader's answer
    found = store.exact_candidates([key], flt) if exact else store.search_candidates([key], flt, max(limit * 10, 200))
    if flt.public_only and flt.localities is not None:
        mine = flt.localities
        moved, p_names = _placed(store)
        come = [
            i
            for i, (was, now) in moved.items()
            if now in mine
            and was not in mine
            and any(name_score(key, n) >= threshold for n in p_names[i])  # read only if its P names match
        ]
        if come:
            have = {e.id for e in found}
            found = [*found, *(e for i, e in store.get_many(come).items() if i not in have)]
    scored = []
    for e in found:
        if (seen := flt.shown(e)) is None or (flt.public_only and seen.name == WITHHELD):
            continue  # a reader cleared for P only finds no one by a name said only under C, or withheld
        e = seen
        score = max(name_score(key, normalise_name(n)) for n in [e.name, *e.aliases])
        if score >= threshold:
            scored.append((e, score))
    scored.sort(key=lambda es: (-es[1], es[0].name, es[0].id))
    gone = set(unseen_places(store, flt, [e.id for e, _ in scored if KINDS[e.kind].placed]))
    return [(e, score) for e, score in scored if e.id not in gone][:limit]


def graph(store: Store, flt: Filter | None = None) -> nx.MultiDiGraph:
    """As :meth:`Store.graph`."""
    p = store.projection(flt)
    g = p.to_networkx()
    ents = store.get_many(p.ids)
    for i, e in ents.items():
        g.nodes[i]["name"] = e.name
    return g
