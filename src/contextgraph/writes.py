"""Writes within the writer's area: which ids a writer may touch, and the ids of what they create.

A writer who does not see everything (an analyst of some localities) may change
only the records they may read. Every id they send is looked up as they would see
it, never as it is stored: an id that exists outside their area and one that does
not exist at all must give the same answer, in status, message and counts, or the
service would tell them what is recorded elsewhere.

So a record such a writer creates gets its id in the namespace of its locality:
``c-20`` declared for East is stored as ``east:c-20``, whether or not a ``c-20``
exists in another locality, and an id already in that namespace is kept. Ids of
records they may read are kept as they are (an export imported again updates what
it came from). A writer who sees everything keeps the ids they send.

>>> namespaced("c-20", "East"), namespaced("east:c-20", "East"), namespaced("x", "Hill Top")
('east:c-20', 'east:c-20', 'hill-top:x')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from .interchange import Batch, InputError
from .model import Assertion, Entity, Relationship
from .store import Filter, Store

MAX_TRIES = 50
"""How many namespaced ids are tried for one record before giving up."""


def namespaced(eid: str, locality: str | None) -> str:
    """``eid`` in the namespace of ``locality`` (kept if it is in it already)."""
    slug = re.sub(r"[^a-z0-9]+", "-", (locality or "none").lower()).strip("-") or "none"
    return eid if eid.startswith(f"{slug}:") else f"{slug}:{eid}"


def sees_everything(flt: Filter) -> bool:
    """Whether a reader within ``flt`` sees every record (no locality or handling limit)."""
    return flt.localities is None and not flt.public_only


def visible_ids(store: Store, flt: Filter, ids: Iterable[str]) -> dict[str, Entity]:
    """The entities of ``ids`` that a reader within ``flt`` may see (as readers see them)."""
    found = store.get_many(list(dict.fromkeys(ids)))
    return {i: e for i, e in found.items() if flt.node_ok(e.kind, e.locality, e.handling)}


def stored_id(store: Store, flt: Filter, e: Entity) -> str:
    """The id under which a writer within ``flt`` writes ``e``: its own when the writer may read
    that record or sees everything; else the first id in its locality's namespace that is free
    or theirs to read."""
    if sees_everything(flt) or visible_ids(store, flt, [e.id]):
        return e.id
    candidate = namespaced(e.id, e.locality)
    for n in range(2, MAX_TRIES + 2):
        existing = store.get(candidate)
        if existing is None or flt.node_ok(existing.kind, existing.locality, existing.handling):
            return candidate
        candidate = f"{namespaced(e.id, e.locality)}~{n}"
    raise InputError([f"no free id for {e.id!r} in {e.locality}; give it another id"])


class NotYours(InputError):
    """Records declared for a locality that is not the writer's."""


@dataclass
class Scoped:
    """A batch as a writer may write it: ids of new records namespaced, and the ids it renamed."""

    batch: Batch
    renamed: dict[str, str] = field(default_factory=dict)


def scope_batch(store: Store, flt: Filter, batch: Batch) -> Scoped:
    """``batch`` as a writer within ``flt`` may write it, or :class:`InputError` naming each line
    it may not write. Every entity must be declared in one of the writer's localities; every
    id of a judgement must be a record of the batch or one the writer may read.

    Relationships must already point at entities of the batch or records the writer may read
    (:func:`~contextgraph.interchange.read_folder` is given only those to look up).
    """
    outside = sorted({e.id for e in batch.entities if not flt.node_ok(e.kind, e.locality)})
    if outside:
        n, first = len(outside), outside[0]
        raise NotYours([f"{n} entities are declared outside your localities, e.g. {first}"])
    problems: list[str] = []
    if sees_everything(flt):
        return Scoped(batch)
    readable = visible_ids(store, flt, [e.id for e in batch.entities])
    renamed: dict[str, str] = {}
    for e in batch.entities:
        if e.id not in readable and e.id not in renamed:
            renamed[e.id] = stored_id(store, flt, e)
    ids = [x for j in batch.judgements for x in (j["a"], j["b"]) if x not in renamed]
    judged = visible_ids(store, flt, ids) if ids else {}
    declared = {e.id for e in batch.entities}
    for n, j in enumerate(batch.judgements, 1):
        for x in (j["a"], j["b"]):
            if x not in renamed and x not in judged and x not in declared:
                problems.append(f"judgements.jsonl: judgement {n}: no entity {x!r} in your localities")
    if problems:
        raise InputError(problems)

    def new(x: str) -> str:
        return renamed.get(x, x)

    entities = [replace(e, id=new(e.id)) for e in batch.entities]
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
    judgements = [{**j, "a": new(j["a"]), "b": new(j["b"])} for j in batch.judgements]
    return Scoped(Batch(entities, relationships, judgements), renamed)
