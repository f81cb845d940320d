"""Merging facts: entity records and relationships as sources gave them, combined."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from ..model import REL_TYPES, WITHHELD, Entity, Relationship, strongest_grading
from .errors import StoreError
from .types import Key


def merge_entity(old: Entity | None, new: Entity) -> Entity:
    """The record after ``new`` is asserted over ``old``. Asserting the same twice is a no-op.

    Non-empty fields of ``new`` win; names never get lost (an old name becomes an
    alias); aliases, sources and properties accumulate. When statements under both
    handling codes name it, what those under P alone say is kept beside (``open``).

    >>> a = Entity("c-1", "child", "Kyle Benson", aliases=["Benno"], sources=["n1"])
    >>> b = Entity("c-1", "child", "Kyle BENSON", dob="2009-04-12", sources=["n2"])
    >>> m = merge_entity(a, b)
    >>> (m.name, m.aliases, m.dob, m.sources)
    ('Kyle BENSON', ['Benno', 'Kyle Benson'], '2009-04-12', ['n1', 'n2'])
    >>> c = Entity("c-1", "child", "Kyle Benson", aliases=["Ghost"], sources=["n3"], handling=["C"])
    >>> m = merge_entity(Entity("c-1", "child", "Kyle Benson", sources=["n1"], handling=["P"]), c)
    >>> m.aliases, m.open.aliases, m.open.sources
    (['Ghost'], [], ['n1'])
    >>> m = merge_entity(Entity("c-1", "child", "Kyle Benson", locality="Hillcrest"), c)  # no code: seen by all
    >>> m.handling, m.open.name, m.open.locality
    (['C', 'P'], 'Kyle Benson', 'Hillcrest')
    """
    if old is None:
        return new
    out = _merge(old, new)
    seen = old.cleared_for_p()
    if "C" not in new.handling and new.locality and seen is not None and new.locality == seen.locality:
        out = replace(out, locality=old.locality)  # a locality already known does not displace the record's
    out = _seen_by_all(out, [old])  # a later statement under C hides none of an uncoded record
    return _with_open(out, [old.said_under_p(), _said_under_p(new)])


def _seen_by_all(out: Entity, parts: list[Entity]) -> Entity:
    """``out`` also named under P when it is named under C and one of ``parts`` is a record kept
    with no handling code: that record was seen by everyone, and readers cleared for P keep it."""
    if "C" in out.handling and "P" not in out.handling and any(not x.handling and x.name for x in parts):
        return replace(out, handling=sorted({*out.handling, "P"}))
    return out


def _said_under_p(new: Entity) -> Entity | None:
    """What a write adds to what readers cleared for P see: what it says under P (its ``open``,
    when it says so). A write that records no handling code is seen by everyone, as the
    interchange format has it; one that must not be (coordinates found by a name said only under
    C) is written under C."""
    said = new.open if new.open is not None else new.said_under_p()
    return None if said is not None and said.name == WITHHELD else said  # a name withheld says nothing


def _with_open(out: Entity, parts: list[Entity | None]) -> Entity:
    """``out`` with what statements under P alone say (``parts``: each part's), when it was named
    under both codes (kept even when it says all the record says, so that no record named under
    both is ever read as wholly open by mistake)."""
    if "C" not in out.handling or "P" not in out.handling:
        if out.open is not None:
            out = replace(out, open=None)
        return out
    said = [p for p in parts if p is not None]
    facet = said[0] if said else None
    for p in said[1:]:
        facet = _merge(facet, p) if facet is not None else p
    if facet is not None and not facet.name:
        facet = None  # only nameless writes (coordinates, a pin): they say nothing of what P readers know it by
    if facet is not None:
        facet = replace(facet, id=out.id, kind=out.kind, members=[], handling=["P"], open=None)
    return replace(out, open=facet)


def _merge(old: Entity, new: Entity) -> Entity:
    if old.kind != new.kind:
        raise StoreError(f"entity {new.id!r} is a {old.kind} in the store, not a {new.kind}")
    name = new.name if new.name and new.name != WITHHELD else old.name  # a withheld name is no name
    if name != old.name and name in old.aliases:  # a name already known does not displace the record's
        name = old.name
    names = [*old.aliases, old.name, new.name, *new.aliases]
    aliases = [n for n in dict.fromkeys(names) if n and n != name and n != WITHHELD]
    dates = [d for d in (old.first_seen, old.last_seen, new.first_seen, new.last_seen) if d]
    return Entity(
        id=old.id,
        kind=old.kind,
        name=name,
        aliases=aliases,
        dob=new.dob or old.dob,
        locality=new.locality or old.locality,
        lat=new.lat if new.lat is not None else old.lat,
        lon=new.lon if new.lon is not None else old.lon,
        properties={**old.properties, **new.properties},
        sources=list(dict.fromkeys([*old.sources, *new.sources])),
        first_seen=min(dates) if dates else None,
        last_seen=max(dates) if dates else None,
        grading=strongest_grading([old.grading, new.grading]),
        handling=sorted({*old.handling, *new.handling}),
    )


def merge_relationship(old: Relationship | None, new: Relationship) -> Relationship:
    """The relationship after ``new``'s assertions are added to ``old``'s."""
    if old is None:
        asr = new.assertions if len(new.assertions) < 2 else list(dict.fromkeys(new.assertions))
        return Relationship(new.type, new.source, new.target, asr, dict(new.properties))
    return Relationship(
        old.type,
        old.source,
        old.target,
        list(dict.fromkeys([*old.assertions, *new.assertions])),
        {**old.properties, **new.properties},
    )


def group_entities(entities: Iterable[Entity]) -> dict[str, Entity]:
    """Entities by id, each id's assertions merged into one entity, as a store writes them.

    >>> from contextgraph.model import Entity
    >>> g = group_entities([Entity("c-1", "child", "Amy", sources=["n1"]),
    ...                     Entity("c-1", "child", "Amy", sources=["n2"])])
    >>> g["c-1"].sources
    ['n1', 'n2']
    """
    grouped: dict[str, Entity] = {}
    for e in entities:
        grouped[e.id] = merge_entity(grouped.get(e.id), e)
    return grouped


def group_relationships(rels: Iterable[Relationship], canon: dict[str, str] | None = None) -> dict[Key, Relationship]:
    """Relationships by stored key: ends followed through merges (``canon``, merged id to the id it
    was merged into), symmetric types with the smaller id first, and the assertions of one key merged.

    >>> from contextgraph.model import Assertion, Relationship
    >>> a = Relationship("ASSOCIATES_WITH", "c-2", "c-1", [Assertion("n1", "2025-01-02", "1A P", "c-2", "c-1")])
    >>> b = Relationship("ASSOCIATES_WITH", "c-1", "c-2", [Assertion("n2", "2025-02-03", "2B P", "c-1", "c-2")])
    >>> [(k, len(r.assertions)) for k, r in group_relationships([a, b]).items()]
    [(('ASSOCIATES_WITH', 'c-1', 'c-2'), 2)]
    """
    symmetric = {t for t, rt in REL_TYPES.items() if rt.symmetric}
    grouped: dict[Key, Relationship] = {}
    for r in rels:
        s, t = r.source, r.target
        if canon:
            s, t = canon.get(s, s), canon.get(t, t)
        if t < s and r.type in symmetric:
            s, t = t, s
        key = (r.type, s, t)
        prev = grouped.get(key)
        if prev is not None:
            r = merge_relationship(prev, r)
        if r.source != s or r.target != t or prev is not None:
            r = Relationship(r.type, s, t, r.assertions, r.properties)
        grouped[key] = r
    return grouped


def same_entity(a: Entity, b: Entity) -> bool:
    return a.to_json() == b.to_json()


def same_rel(a: Relationship, b: Relationship) -> bool:
    return a.assertions == b.assertions and a.properties == b.properties


def view(record: Entity, members: Iterable[Entity]) -> Entity:
    """An entity as readers see it: its own record with its merged members' facts.

    What statements under P alone say (``open``) is folded the same way from the parts
    that have it, so a member named only under C adds nothing to it.

    >>> kid = Entity("c-1", "child", "Kyle Benson", sources=["n1"], handling=["P"])
    >>> ghost = Entity("c-9", "child", "Ghost", dob="2009-04-12", sources=["n2"], handling=["C"])
    >>> v = view(kid, [ghost])
    >>> v.aliases, v.dob, v.cleared_for_p().aliases, v.cleared_for_p().dob
    (['Ghost'], '2009-04-12', [], None)
    """
    members = list(members)
    if not members:
        return record
    out = _fold(record, members)
    out = _seen_by_all(out, [record, *members])
    if "C" in out.handling and "P" in out.handling:
        said = [p for p in (x.said_under_p() for x in [record, *members]) if p is not None]
        facet = _fold(replace(said[0], id=record.id), said[1:]) if said else None
        if facet is not None:
            facet = replace(facet, members=[], handling=["P"], open=None)
        out = replace(out, open=facet)
    elif out.open is not None:
        out = replace(out, open=None)
    out.members = sorted(x.id for x in members)
    return out


def _fold(record: Entity, members: list[Entity]) -> Entity:
    out = record
    for m in members:
        out = _merge(
            out,
            Entity(
                out.id,
                out.kind,
                out.name,
                aliases=[m.name, *m.aliases],
                sources=m.sources,
                first_seen=m.first_seen,
                last_seen=m.last_seen,
                grading=m.grading,
                handling=m.handling,
                properties={k: v for k, v in m.properties.items() if k not in out.properties},
                dob=out.dob or m.dob,
                locality=out.locality or m.locality,
                lat=out.lat if out.lat is not None else m.lat,
                lon=out.lon if out.lon is not None else m.lon,
            ),
        )
    out.aliases = [a for a in out.aliases if a != out.name]
    return out
