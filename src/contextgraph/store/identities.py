"""Judgements and erasure: two records found to be one entity (merge), a merge undone (split),
and a person erased; built on the :class:`Txn` primitives, each write logged."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..model import KINDS, Entity, Relationship, canonical_pair, handling_code
from ..text import normalise_name
from .codec import new_record
from .errors import NotFound, StoreError
from .merge import merge_relationship
from .types import Erasure, Key, WriteAbout

if TYPE_CHECKING:
    from .base import Store
    from .txn import Txn


def merge(
    store: Store, a: str, b: str, user: str = "system", reason: str = "", made: tuple[str, str] | None = None
) -> str:
    """As :meth:`Store.merge`."""

    def work(tx: Txn) -> str:
        canon = tx.merged_into([a, b])
        ca, cb = canon.get(a, a), canon.get(b, b)
        recs = tx.entities([ca, cb])
        for x, c in ((a, ca), (b, cb)):
            if c not in recs:
                raise NotFound(f"no entity {x!r}")
        if ca == cb:
            raise StoreError(f"{a!r} and {b!r} are already one entity")
        if recs[ca].kind != recs[cb].kind:
            raise StoreError(f"cannot merge a {recs[ca].kind} with a {recs[cb].kind}")
        if recs[ca].cleared_for_p() is None and recs[cb].cleared_for_p() is not None:
            ca, cb = cb, ca  # no reader cleared for P is shown an id that only statements under C named
        moving = [cb, *tx.members(cb)]
        tx.set_merged_into(moving, ca)
        rekey(tx, tx.relationships_of([cb]))
        order = next_order(tx)
        rec = new_record("merge", a=ca, b=cb, user=user, reason=reason, ids=moving, order=order)
        tx.add_record("judgements", {**rec, **as_made(made)})
        return ca

    return store._logged(WriteAbout("merge", ids=[a, b]), lambda: store.transaction(work))


def split(
    store: Store, a: str, b: str, user: str = "system", reason: str = "", made: tuple[str, str] | None = None
) -> None:
    """Undo a merge: ``b`` becomes its own entity again, with its own facts."""

    def work(tx: Txn) -> None:
        canon = tx.merged_into([a, b])
        ca, cb = canon.get(a, a), canon.get(b, b)
        if ca != cb:
            raise StoreError(f"{a!r} and {b!r} are not merged")
        detach = b if b != ca else a
        if detach == ca:
            raise StoreError("name the merged entity to split off, not the one it was merged into")
        # the records merged into it before it was merged go back into it, as they were
        came = came_with(tx, detach)
        tx.set_merged_into([detach], None)
        if came:
            held = tx.merged_into(came)
            tx.set_merged_into([x for x in came if held.get(x) == ca], detach)
        rekey(tx, tx.relationships_of([ca]))
        moved = [detach, *(x for x in came if held.get(x) == ca)] if came else [detach]
        split = new_record("split", a=ca, b=detach, user=user, reason=reason, ids=moved, order=next_order(tx))
        tx.add_record("judgements", {**split, **as_made(made)})

    store._logged(WriteAbout("split", ids=[a, b]), lambda: store.transaction(work))


def as_made(made: tuple[str, str] | None) -> dict[str, str]:
    """A judgement's own id and time, as its record gives them (one imported keeps those it was
    made with); none given, those of the record made now."""
    return {} if made is None else {"id": made[0], "at": made[1]}


def _when(r: dict[str, Any]) -> tuple[int, str]:
    """Where a judgement comes in the store's order: by its number (judgements made before they
    were numbered: by their time, to the second)."""
    return int(r.get("order", -1)), str(r.get("at") or "")


def next_order(tx: Txn) -> int:
    """The number of the next judgement."""
    return 1 + max((int(r.get("order", -1)) for r in tx.records("judgements")), default=-1)


def came_with(tx: Txn, eid: str) -> list[str]:
    """The records that belong with ``eid`` when it is split off: those merged into it, and into
    them, as the judgements made in order leave them. A merge puts a record under the one it is
    merged into and a split takes it out with what is under it, so a record split off or merged
    anew since is where it was last put."""
    under: dict[str, str] = {}
    for r in sorted(tx.records("judgements"), key=_when):
        a, b = r.get("a"), r.get("b")
        if r.get("kind") == "merge" and isinstance(a, str) and isinstance(b, str):
            under[b] = a
        elif r.get("kind") == "split" and isinstance(b, str):
            under.pop(b, None)
    below: dict[str, list[str]] = {}
    for x, head in under.items():
        below.setdefault(head, []).append(x)
    out: list[str] = []
    todo = [eid]
    while todo:
        for x in below.get(todo.pop(), []):
            if x not in out and x != eid:
                out.append(x)
                todo.append(x)
    return out


def rekey(tx: Txn, rels: list[Relationship]) -> None:
    """Re-file relationships under the current ids of the entities their assertions name."""
    ids = {x for r in rels for a in r.assertions for x in (a.subject, a.object)}
    canon = tx.merged_into(ids)
    regrouped: dict[Key, Relationship] = {}
    for r in rels:
        # properties that statements under both codes gave go only where a statement under C goes:
        # which statement gave them cannot be told, and a relationship left with statements under P
        # alone is read whole by readers without C
        under_c = any(handling_code(a.grading) == "C" for a in r.assertions)
        for asr in r.assertions:
            s, t = canonical_pair(r.type, canon.get(asr.subject, asr.subject), canon.get(asr.object, asr.object))
            key = (r.type, s, t)
            props = r.properties if not under_c or handling_code(asr.grading) == "C" else {}
            regrouped[key] = merge_relationship(regrouped.get(key), Relationship(r.type, s, t, [asr], props))
    old_keys = {r.key for r in rels}
    tx.delete_relationships(sorted(old_keys))
    existing = tx.relationships(k for k in regrouped if k not in old_keys)
    out = [merge_relationship(existing.get(k), r) for k, r in regrouped.items()]
    new = [r for r in out if r.key not in existing]
    upd = [r for r in out if r.key in existing]
    if new:
        tx.put_relationships(new, new=True)
    if upd:
        tx.put_relationships(upd, new=False)


def naming(records: Iterable[Entity]) -> set[str]:
    """Every way words can name the people of ``records``: their names and aliases, each first
    name or surname in them (of three letters or more), and their ids, normalised.

    >>> sorted(naming([Entity("child-7", "child", "Cal Fox", aliases=["Cally"])]))
    ['cal', 'cal fox', 'cally', 'child 7', 'fox']
    """
    names = {f for e in records for n in (e.name, *e.aliases) if (f := normalise_name(n))}
    words = {w for f in names for w in f.split() if len(w) > 2}
    return names | words | {f for e in records if (f := normalise_name(e.id))}


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")  # fmt: skip
_MONTH_WORDS = {w: i for i, m in enumerate(_MONTHS, 1) for w in (m, m[:3], "sept" if i == 9 else m)}


def gives_date(sentence: str, iso: str) -> bool:
    """Whether ``sentence`` writes the day ``iso`` (YYYY-MM-DD) in any usual way: as digits in
    either order, with the year in two or four, or with the month by name.

    >>> [gives_date(s, "2010-04-26") for s in ("born 26/4/10", "26th April 2010", "2010.04.26", "in 2010")]
    [True, True, True, False]
    """
    y, m, d = (int(x) for x in iso.split("-"))
    said: list[int] = []
    for word in re.findall(r"\d+|[^\W\d_]+", sentence.lower()):
        if word.isdigit():
            said.append(int(word))
        elif word in _MONTH_WORDS:
            said.append(_MONTH_WORDS[word])
    years = {y, y % 100}
    return any(
        (a == d and b == m and c in years) or (a in years and b == m and c == d)
        for a, b, c in zip(said, said[1:], said[2:], strict=False)
    )


def _names_any(sentence: str, forms: set[str]) -> bool:
    """Whether ``sentence`` holds any of the normalised names ``forms`` as whole words."""
    said = f" {normalise_name(sentence)} "
    return any(f" {f} " in said for f in forms)


def erase(store: Store, eid: str, user: str = "system", reason: str = "") -> Erasure:
    """As :meth:`Store.erase`."""
    erasure_id = uuid.uuid4().hex

    def found(tx: Txn) -> tuple[str, list[str], list[Entity]]:
        """The person ``eid`` is, the ids they go by (the records merged into them too) and their
        records, read before they go; refused for a record merged into another."""
        c = tx.merged_into([eid]).get(eid, eid)
        if c != eid:  # one record of a person held as two: split it off to erase it alone
            raise StoreError(
                f"{eid!r} is merged into {c!r}: split it off to erase it alone, or erase {c!r} with every "
                "record merged into it"
            )
        rec = tx.entities([c]).get(c)
        if rec is None:
            raise NotFound(f"no entity {eid!r}")
        if not KINDS[rec.kind].person:
            raise StoreError(f"{eid!r} is a {rec.kind}, not a person; only people are erased")
        ids = [c, *tx.members(c)]
        return c, ids, [rec, *tx.entities(ids[1:]).values()]

    # the reason is kept, and logged before the erasure is made: it must not name the person
    _, _, before = store.read(found)
    if _names_any(reason, naming(before)):
        raise StoreError("the reason names the person erased, and is kept: say why without naming them")
    if any(gives_date(reason, e.dob) for e in before if e.dob):
        raise StoreError("the reason gives the date of birth of the person erased, and is kept: say why without it")

    def work(tx: Txn) -> Erasure:
        c, ids, records = found(tx)
        rels = tx.relationships_of([c])
        tx.delete_relationships([r.key for r in rels])
        tx.delete_entities(ids)
        # review items name the person (and their candidates' names), and queued facts about them
        # quote the sentence naming them; their decisions go with them
        doomed = set(ids)
        # and a queued fact about another of a note that named them whose sentence names them too
        notes = {ref for e in records for ref in e.sources} | {a.source_ref for r in rels for a in r.assertions}
        forms = {f for e in records for n in (e.name, *e.aliases) if (f := normalise_name(n))}
        full = {f for f in forms if " " in f}  # a full name names them in any note; a single word only in theirs
        items = {
            r["id"]
            for r in tx.records("reviews")
            if r.get("kind") == "review"
            and (
                r.get("entity") in doomed
                or doomed & set(r.get("candidates") or [])
                or doomed & set(r.get("ends") or [])
                or _names_any(str(r.get("sentence") or ""), forms if r.get("source_ref") in notes else full)
            )
        }
        decisions = [
            r["id"]
            for r in tx.records("reviews")
            if r.get("kind") == "decision" and (r.get("review") in items or r.get("into") in doomed)
        ]
        if items or decisions:
            tx.delete_records("reviews", [*items, *decisions])
        # tracking records about the person go; those naming them in a field keep the rest
        named = tx.tracking_of(ids)
        about = [t.id for t in named if t.subject in doomed]
        if about:
            tx.delete_tracking(about)
        kept = [t.without(doomed) for t in named if t.subject not in doomed]
        if kept:
            tx.put_tracking(kept)
        # judgements about them (a merge's reason can name them), and saved views' focus, pins and
        # notes on them: gone, so that nothing attaches to a record given the same id later
        for j in tx.records("judgements"):
            if doomed & {j.get("a"), j.get("b")}:  # about them
                tx.delete_records("judgements", [j["id"]])
            elif doomed & set(j.get("ids") or []):  # about others, moving them too: kept without them
                tx.delete_records("judgements", [j["id"]])
                said = (
                    "(withheld: it named a person erased)"
                    if _names_any(str(j.get("reason") or ""), naming(records))
                    else j.get("reason")
                )
                tx.add_record("judgements", {**j, "ids": [x for x in j["ids"] if x not in doomed], "reason": said})
        for view in tx.records("views"):
            state = view.get("state")
            if isinstance(state, dict) and (mended := without_ids(state, doomed)) != state:
                tx.delete_records("views", [view["id"]])
                tx.add_record("views", {**view, "state": mended})
        salt = erasure_salt(tx)
        out = new_record(
            "erasure",
            user=user,
            reason=reason,
            subject_digest=hashlib.sha256((salt + c).encode()).hexdigest(),
            ids_digests=sorted(hashlib.sha256((salt + i).encode()).hexdigest() for i in ids),
            localities=sorted({e.locality for e in records if e.locality}),
            entities=len(ids),
            relationships=len(rels),
            tracking=len(about),
        )
        out["id"] = erasure_id
        tx.add_record("erasures", out)
        return Erasure.from_record(out)

    return store._logged(WriteAbout("erase", detail={"erasure": erasure_id}), lambda: store.transaction(work))


def without_ids(state: dict[str, Any], gone: set[str]) -> dict[str, Any]:
    """A saved view's state without the entities ``gone``: not focused, pinned nor noted.

    >>> without_ids({"focus": "c-1", "pinned": {"c-1": [0, 0], "l-1": [1, 1]}, "notes": {"c-1": "x"}}, {"c-1"})
    {'focus': None, 'pinned': {'l-1': [1, 1]}, 'notes': {}}
    """
    out = dict(state)
    if out.get("focus") in gone:
        out["focus"] = None
    for key in ("pinned", "notes"):
        if isinstance(out.get(key), dict):
            out[key] = {k: v for k, v in out[key].items() if k not in gone}
    return out


def erased_among(store: Store, ids: Iterable[str], localities: Iterable[str] | None = None) -> list[str]:
    """Those of ``ids`` (each once, in order) that an erasure took: the id of the person erased and
    of every record merged with them, known by the keyed digests the erasure kept. Written again
    (an old export imported, say), each would bring back a person erased. With ``localities``
    (a writer's), only the erasures of records of those localities (and of those made before an
    erasure kept its localities): another's is not told."""
    mine = None if localities is None else set(localities)

    def read(tx: Txn) -> tuple[str | None, set[str]]:
        salts = [str(r["salt"]) for r in tx.records("meta") if r.get("kind") == "salt"]
        kept = {
            d
            for r in tx.records("erasures")
            if mine is None or "localities" not in r or mine & set(r["localities"])
            for d in [r.get("subject_digest"), *(r.get("ids_digests") or [])]
        }
        return (salts[0] if salts else None), {d for d in kept if isinstance(d, str)}

    salt, digests = store.read(read)
    if salt is None or not digests:
        return []
    return [i for i in dict.fromkeys(ids) if hashlib.sha256((salt + i).encode()).hexdigest() in digests]


def erasure_salt(tx: Txn) -> str:
    """The store's own salt for erasure digests, made at the first erasure."""
    found = [r for r in tx.records("meta") if r.get("kind") == "salt"]
    if found:
        return str(found[0]["salt"])
    salt = uuid.uuid4().hex
    tx.add_record("meta", {"kind": "salt", "salt": salt, "id": "salt"})
    return salt
