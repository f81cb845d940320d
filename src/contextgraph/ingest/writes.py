"""Writes within the writer's area: which ids a writer may touch, and the ids of what they create.

A writer who does not see everything (an analyst of some localities, or one cleared
for handling code P only) may change only the records they may read. Every id they
send is looked up as they would see it, never as it is stored: an id that exists
outside their area and one that does not exist at all must give the same answer, in
status, message and counts, or the service would tell them what is recorded elsewhere.

- A record such a writer creates gets its id in the namespace of its locality (and,
  for a writer cleared for P only, of that clearance): ``c-20`` declared for Hillcrest is
  stored as ``hillcrest:c-20`` (``hillcrest.p:c-20``), whether or not a ``c-20`` exists in
  another locality; an id already in that namespace is kept. Ids of records they may
  read are kept as they are, so an export imported again updates what it came from.
- A merged id is theirs only when its own record and the record it was merged into
  are both theirs: a member merged from another locality is not.
- Services are shared by every locality: only a writer who sees everything changes
  one. Others may link children to them, and a service line in their import only
  makes sure the service exists.

A writer who sees everything keeps the ids they send.

>>> namespaced("c-20", "Hillcrest"), namespaced("hillcrest:c-20", "Hillcrest"), namespaced("x", "Hill Top", "P")
('hillcrest:c-20', 'hillcrest:c-20', 'hill-top.p:x')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from ..interchange import Batch, InputError
from ..interchange.lines import unknown_locality
from ..localities import Localities
from ..model import Assertion, Entity, Relationship, canonical_pair, handling_code, service_id, under_p
from ..model.tracked import Tracked
from ..store import Filter, Store, WriteSummary

MAX_TRIES = 50
"""How many namespaced ids are tried for one record before giving up."""


class NotYours(InputError):
    """Records declared outside the writer's localities, or shared records only an admin changes."""


def namespace(locality: str | None, clearance: str = "C") -> str:
    """The namespace of the ids a writer of ``locality`` and ``clearance`` names records by.

    >>> namespace("Hillcrest"), namespace("Ynys Môn", "P"), namespace(None)
    ('hillcrest', 'ynys-m-n.p', 'none')
    """
    slug = re.sub(r"[^a-z0-9]+", "-", (locality or "none").lower()).strip("-") or "none"
    return slug if clearance == "C" else f"{slug}.{clearance.lower()}"


def namespaced(eid: str, locality: str | None, clearance: str = "C") -> str:
    """``eid`` in the namespace of ``locality`` for a writer of ``clearance`` (kept if it is in it)."""
    space = namespace(locality, clearance)
    return eid if eid.startswith(f"{space}:") else f"{space}:{eid}"


def own_id(given: str | None, user: str) -> str | None:
    """A judgement's id as a writer sending it through the service gives it: under their name.

    >>> own_id("J7", "ana"), own_id("ana/J7", "ana"), own_id(None, "ana")
    ('ana/J7', 'ana/J7', None)
    """
    if given is None:
        return None
    return given if given.startswith(f"{user}/") else f"{user}/{given}"


def sees_everything(flt: Filter) -> bool:
    """Whether a reader within ``flt`` sees every record (no locality or handling limit)."""
    return flt.localities is None and not flt.public_only and not flt.unseen


def unconfigured(locality: str | None, area: Localities, flt: Filter) -> str | None:
    """Why a writer within ``flt`` may not file a record under ``locality``, one the ``area``
    does not configure (when it configures any): a mistyped locality, or one a token names but no
    one configured, would file it where no configured locality's readers reach. A writer who sees
    everything is told the area's localities and how to add one; any other, of theirs only. None
    when it may, or when it is not theirs at all (which the caller tells in its own words).

    >>> from contextgraph.localities import Locality
    >>> area = Localities("Area", (Locality("Hillcrest"), Locality("Dale")))
    >>> unconfigured("Hillcrest", area, Filter.of(localities=["Hillcrest"]))
    >>> unconfigured("Hilcrest", area, Filter.of(localities=["Hillcrest", "Hilcrest"]))
    "field 'locality': 'Hilcrest' is not a locality of the area; ask an administrator"
    >>> unconfigured("Hilcrest", area, Filter.of())[:60]
    "field 'locality': 'Hilcrest' is not a locality of the area ("
    """
    if locality is None or not area or locality in area.names:
        return None
    if sees_everything(flt):
        return f"field 'locality': {unknown_locality(locality, area)}"
    if flt.localities is not None and locality in flt.localities:
        return f"field 'locality': {locality!r} is not a locality of the area; ask an administrator"
    return None


def _clearance(flt: Filter) -> str:
    return "P" if flt.public_only else "C"


def linkable(store: Store, flt: Filter, ids: Iterable[str]) -> dict[str, Entity]:
    """The entities of ``ids`` a writer within ``flt`` may link to, as readers see them: those
    whose merged view and own record both pass ``flt`` (services always do)."""
    ids = list(dict.fromkeys(ids))
    if sees_everything(flt):
        return store.get_many(ids)
    return store.visible_many(ids, flt)


def held_as_seen(store: Store, flt: Filter, ids: Iterable[str]) -> dict[str, Entity]:
    """The records of ``ids`` a writer within ``flt`` may link to, each with only its own facts (not
    those of a record merged with it), as the writer may see them: what an import is checked
    against. A record with no date of birth of its own is held with that of the person it was
    merged into: judged one person, it may not be given another."""
    seen = linkable(store, flt, ids)
    own = {i: shown for i, e in store.own(list(seen)).items() if (shown := flt.shown(e)) is not None}
    return {i: e if e.dob or not seen[i].dob else replace(e, dob=seen[i].dob) for i, e in own.items()}


def changeable(store: Store, flt: Filter, ids: Iterable[str]) -> dict[str, Entity]:
    """The entities of ``ids`` a writer within ``flt`` may change (upsert, merge, split): those
    they may link to, but no service unless they see everything."""
    found = linkable(store, flt, ids)
    if sees_everything(flt):
        return found
    return {i: e for i, e in found.items() if e.kind != "service"}


def stored_id(store: Store, flt: Filter, e: Entity) -> str:
    """The id under which a writer within ``flt`` writes ``e``: its own when the writer may change
    that record or sees everything; else the first id of their namespace that is free or theirs."""
    if sees_everything(flt) or changeable(store, flt, [e.id]):
        return e.id
    first = namespaced(e.id, e.locality, _clearance(flt))
    candidate = first
    for n in range(2, MAX_TRIES + 2):
        if store.get(candidate) is None or changeable(store, flt, [candidate]):
            return candidate
        candidate = f"{first}~{n}"
    raise InputError([f"no free id for {e.id!r} in {e.locality}; give it another id"])


def shared_service(e: Entity) -> Entity | None:
    """The bare service a line of a writer who does not see everything stands for: only its
    existence (None if the line is not a service's own, named by its code)."""
    if e.kind != "service" or e.id != service_id(e.name) or e.locality or e.aliases or e.properties:
        return None
    return Entity(e.id, "service", e.name)


@dataclass
class Scoped:
    """A batch as a writer may write it: ids of new records namespaced, and the ids it renamed."""

    batch: Batch
    renamed: dict[str, str] = field(default_factory=dict)


def _only_under_p(batch: Batch, people: list[Entity]) -> list[Entity]:
    """The entities of ``batch`` as a writer cleared for P only may write them: nothing under handling
    code C (refused, naming the first)."""
    wrong = [f"entities.jsonl: entity {e.id!r}: handling code C" for e in people if "C" in e.handling]
    wrong += [
        f"relationships.jsonl: {r.type} {r.source} -> {r.target}: grading {a.grading} (handling code C)"
        for r in batch.relationships
        for a in r.assertions
        if handling_code(a.grading) != "P"
    ]
    if wrong:
        more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
        raise InputError([f"{wrong[0]}{more}; you are cleared for P only, and may write only what you may read"])
    return people


def scope_batch(store: Store, flt: Filter, batch: Batch, user: str) -> Scoped:
    """``batch`` as ``user``, a writer within ``flt``, may write it, or an error naming what they
    may not write: every entity declared in one of their localities, services only as they are,
    and every id of a judgement a record of the batch or one they may change. Judgements are
    recorded as ``user``'s, made now, whatever the file says.

    Relationships must already point at entities of the batch or records the writer may link to
    (:func:`~contextgraph.interchange.read_folder` is given only those to look up).
    """
    # made now, by them; their ids theirs (so another's judgement is neither told of nor taken)
    judgements = [replace(j, user=user, at=None, id=own_id(j.id, user)) for j in batch.judgements]
    if sees_everything(flt):
        tracking = [replace(t, recorded_by=user) for t in batch.tracking]  # who recorded them is the writer
        return Scoped(Batch(batch.entities, batch.relationships, judgements, tracking, batch.where))
    services = [e for e in batch.entities if e.kind == "service"]
    changed = sorted({e.id for e in services if shared_service(e) is None})
    if changed:
        raise NotYours([f"services are shared by every locality; only an admin may change them, e.g. {changed[0]}"])
    people = [e for e in batch.entities if e.kind != "service"]
    if flt.public_only:
        people = _only_under_p(batch, people)
    outside = sorted({e.id for e in people if not flt.node_ok(e.kind, e.locality)})
    if outside:
        n, first = len(outside), outside[0]
        said = f"{n} entities are" if n > 1 else "an entity is"
        raise NotYours([f"{said} declared outside your localities, {'e.g. ' if n > 1 else ''}{first}"])
    area = store.localities()
    wrong = [f"entity {e.id!r}: {m}" for e in people if (m := unconfigured(e.locality, area, flt))]
    if wrong:
        raise InputError(wrong)
    theirs = changeable(store, flt, [e.id for e in people])
    renamed: dict[str, str] = {}
    for e in people:
        if e.id not in theirs and e.id not in renamed:
            renamed[e.id] = stored_id(store, flt, e)
    declared = {e.id for e in people}
    ids = [x for j in judgements for x in (j.a, j.b) if x not in declared]
    judged = changeable(store, flt, ids) if ids else {}
    problems = [
        f"judgements.jsonl: judgement {n}: no entity {x!r} in your localities"
        for n, j in enumerate(judgements, 1)
        for x in (j.a, j.b)
        if x not in declared and x not in judged
    ]
    if problems:
        raise InputError(problems)

    def new(x: str) -> str:
        return renamed.get(x, x)

    entities = [replace(e, id=new(e.id)) for e in people] + [s for e in services if (s := shared_service(e))]
    relationships = [
        Relationship(
            r.type,
            new(r.source),
            new(r.target),
            [Assertion(a.source_ref, a.date, a.grading, new(a.subject), new(a.object)) for a in r.assertions],
            r.properties,
        )
        for r in batch.relationships
    ]
    judgements = [replace(j, a=new(j.a), b=new(j.b)) for j in judgements]
    mine = [replace(t.renamed(new), recorded_by=user) for t in batch.tracking]
    tracking = scope_tracking(store, flt, mine, batch.where)
    where = {t.id: batch.where.get(old.id, "") for t, old in zip(tracking, batch.tracking, strict=True)}
    return Scoped(Batch(entities, relationships, judgements, tracking, where), renamed)


def scope_tracking(store: Store, flt: Filter, records: list[Tracked], where: dict[str, str]) -> list[Tracked]:
    """Tracking records as a writer within ``flt`` (who does not see everything) may write them:
    each in their localities and of their clearance, or an error naming the line. The entities
    they name were looked up as the writer sees them when the folder was read.

    A record's id is kept only when the record held under it is the writer's: about an entity they
    may change, of their clearance and localities, naming only entities they see. Any other id
    takes the first free one of their namespace (``east:r-1``), whether a record is held under it
    elsewhere or not, as a new entity's does: the id they get back tells nothing of the store."""
    problems = []
    area = store.localities()
    for t in records:
        at = where.get(t.id, f"record {t.id!r}")
        if t.locality is not None and flt.localities is not None and t.locality not in flt.localities:
            problems.append(f"{at}: field 'locality': {t.locality!r} is not one of your localities")
        elif wrong := unconfigured(t.locality, area, flt):
            problems.append(f"{at}: {wrong}")
        if flt.public_only and t.handling != "P":
            problems.append(f"{at}: field 'grading': handling code {t.handling}; you are cleared for P only")
    if problems:
        raise NotYours(problems)

    def theirs(t: Tracked) -> bool:
        if flt.public_only and t.handling != "P":
            return False
        if t.locality is not None and flt.localities is not None and t.locality not in flt.localities:
            return False
        names = t.involves
        return len(linkable(store, flt, names)) == len(names) and bool(changeable(store, flt, [t.subject]))

    held = store.tracked([t.id for t in records])
    moved = [
        f"{where.get(t.id, f'record {t.id!r}')}: field 'subject': the record held under this id is about another "
        "entity; a record keeps its subject (give a record about another its own id)"
        for t in records
        if (s := held.get(t.id)) is not None and s.subject != t.subject and theirs(s)
    ]
    if moved:
        raise InputError(moved)
    out = []
    for t in records:
        stored = held.get(t.id)
        if stored is None or not theirs(stored):
            subject = store.get(t.subject)
            seen = flt.shown(subject) if subject is not None else None  # its locality as the writer sees it
            first = namespaced(t.id, seen.locality if seen else None, _clearance(flt))
            candidate = first
            for n in range(2, MAX_TRIES + 2):
                other = store.tracked([candidate]).get(candidate)
                if other is None or theirs(other):
                    break
                candidate = f"{first}~{n}"
            else:
                raise InputError([f"no free id for tracking record {t.id!r}; give it another id"])
            t = replace(t, id=candidate)
        out.append(t)
    return out


def unseen(store: Store, flt: Filter, rels: list[Relationship]) -> int:
    """How many of the relationships ``rels`` would write (as stored, merged ids resolved) a
    reader within ``flt`` does not see now: asked before the write."""
    if sees_everything(flt) or not rels:
        return -1
    ids = {x for r in rels for x in (r.source, r.target)}
    canon = {i: store.canonical_id(i) for i in ids}
    keys = {(r.type, *canonical_pair(r.type, canon[r.source], canon[r.target])) for r in rels}
    return len(keys - set(store.facts(keys, flt)))


def p_views(store: Store, flt: Filter, entities: list[Entity]) -> dict[str, Entity] | None:
    """What a writer cleared for P only sees of the stored entities of ``entities`` (None for any
    other writer): asked before the write, to count afterwards what changed for them."""
    if not flt.public_only or not entities:
        return None
    return under_p(store.get_many({e.id for e in entities}))


def entities_as_seen(summary: WriteSummary, store: Store, before: dict[str, Entity] | None) -> WriteSummary:
    """``summary`` as a writer cleared for P only sees it: a stored entity is updated only if what
    they see of it changed. Whether the write changed what statements under C said is not theirs
    to learn (their export imported again is unchanged, whatever else the record holds)."""
    if before is None:
        return summary
    after = under_p(store.get_many(list(before)))
    changed = sum(1 for i, e in before.items() if i not in after or _said(after[i]) != _said(e))
    moved = max(0, summary.entities_updated - changed)
    return replace(summary, entities_updated=summary.entities_updated - moved, unchanged=summary.unchanged + moved)


def _said(e: Entity) -> Entity:
    return replace(e, handling=[])  # which codes named it is not what it says


def as_seen(summary: WriteSummary, unseen_before: int) -> WriteSummary:
    """``summary`` as the writer sees it: a relationship they could not see before is one they
    created, even when it was stored already under assertions they may not read (``-1``: the
    writer sees everything, and the summary is as it is).

    >>> s = as_seen(WriteSummary(relationships_updated=1), 1)
    >>> s.relationships_created, s.relationships_updated
    (1, 0)
    """
    if unseen_before < 0:
        return summary
    written = summary.relationships_created + summary.relationships_updated
    created = min(unseen_before, written)
    return replace(summary, relationships_created=created, relationships_updated=written - created)
