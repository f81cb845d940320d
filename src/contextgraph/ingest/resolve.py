"""Entity resolution: does a person or place named in a note already exist in the graph?

A match is a judgement about a child, so it is made only when it is safe:

- **confident** — the same kind, the same full name (or a recorded alias of
  two words or more), no conflicting date of birth, and exactly one such entity
  (for people, in the same locality or one not recorded). The note's facts are
  filed under the existing entity;
- **ambiguous** — a name that could be more than one entity (a first name, a
  nickname or initials; two "Kyle"s in the same locality; a full name that fits
  two records; a name that fits but a date of birth that does not). A new entity
  is created for the mention and a review item records the candidates and the
  evidence; a person accepts (merge, a reversible judgement) or rejects it;
- **new** — nothing like it: a new entity.

Functions here are pure: they take the candidates the store found and return
decisions; :mod:`contextgraph.ingest.plan` does the reading and :mod:`contextgraph.ingest.pipeline` the writing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..model import KINDS, Entity
from ..text import normalise_name


@dataclass(slots=True)
class Mention:
    """An entity as one note names it."""

    kind: str
    name: str
    aliases: list[str]
    dob: str | None
    locality: str | None
    meeting_date: str | None


@dataclass(slots=True)
class Decision:
    outcome: str  # "match", "review" or "new"
    entity: str | None = None  # the matched entity
    candidates: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def _forms(e: Entity) -> set[str]:
    return {normalise_name(n) for n in [e.name, *e.aliases] if n}


def _full(name: str) -> bool:
    return len(normalise_name(name).split()) >= 2


def _age(dob: str, on: str | None) -> int | None:
    if not on:
        return None
    b, d = date.fromisoformat(dob), date.fromisoformat(on)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def decide(m: Mention, candidates: list[Entity]) -> Decision:
    """Match, review or new, with the evidence in plain words.

    >>> kyle = Entity("c-1", "child", "Kyle Benson", aliases=["Benno"], dob="2009-04-12", locality="Hillcrest")
    >>> decide(Mention("child", "Kyle Benson", [], None, "Hillcrest", "2024-03-14"), [kyle]).outcome
    'match'
    >>> d = decide(Mention("child", "Kyle", [], None, "Hillcrest", "2024-03-14"), [kyle])
    >>> d.outcome, d.candidates
    ('review', ['c-1'])
    >>> decide(Mention("child", "Kyle Benson", [], "2010-01-01", "Hillcrest", "2024-03-14"), [kyle]).outcome
    'review'
    >>> decide(Mention("child", "Mia Shaw", [], None, "Hillcrest", "2024-03-14"), [kyle]).outcome
    'new'
    >>> kyle2 = Entity("c-2", "child", "Kyle Benson", locality="Hillcrest")
    >>> decide(Mention("child", "Kyle Benson", [], None, "Hillcrest", "2024-03-14"), [kyle, kyle2]).outcome
    'review'
    """
    person = KINDS[m.kind].person
    forms = {normalise_name(n) for n in [m.name, *m.aliases] if n}
    full_forms = {f for f in forms if len(f.split()) >= 2}
    strong: list[Entity] = []
    weak: list[tuple[Entity, str]] = []
    conflicts = 0  # candidates with the same full name whose facts disagree
    for c in candidates:
        if c.kind != m.kind:
            continue
        cf = _forms(c)
        shared_full = full_forms & {f for f in cf if len(f.split()) >= 2}
        shared = forms & cf
        if not shared and not shared_full:
            # a single name that is the first name or surname of a fuller record
            parts = {p for f in cf for p in f.split()}
            if person and not _full(m.name) and normalise_name(m.name) in parts:
                weak.append((c, f"'{m.name}' is part of the name of {c.name} ({c.id})"))
            continue
        if person and m.dob and c.dob and m.dob != c.dob:
            weak.append((c, f"same name as {c.name} ({c.id}) but date of birth {m.dob} here, {c.dob} on record"))
            conflicts += 1
            continue
        if person and m.locality and c.locality and m.locality != c.locality and not m.dob:
            weak.append((c, f"same name as {c.name} ({c.id}) but {c.locality} locality on record, {m.locality} here"))
            conflicts += bool(shared_full)
            continue
        if shared_full or not person:
            why = f"same name as {c.name} ({c.id})"
            if person and m.dob and c.dob:
                why += f" and same date of birth {m.dob}"
            strong.append(c)
            weak.append((c, why))
        else:
            weak.append((c, f"'{sorted(shared)[0]}' is a name of {c.name} ({c.id}), but not a full name"))
    if len(strong) == 1 and not conflicts:
        return Decision("match", strong[0].id, [strong[0].id], [w for _, w in weak])
    if weak:
        if m.dob and m.meeting_date:
            age = _age(m.dob, m.meeting_date)
            if age is not None:
                extra = f"the note gives date of birth {m.dob} (age {age} at the meeting)"
                return Decision("review", None, _ids(weak), [w for _, w in weak] + [extra])
        return Decision("review", None, _ids(weak), [w for _, w in weak])
    return Decision("new")


def _ids(weak: list[tuple[Entity, str]]) -> list[str]:
    seen: dict[str, None] = {}
    for c, _ in weak:
        seen.setdefault(c.id, None)
    return list(seen)


def review_item(review_id: str, source_ref: str, new_id: str, m: Mention, d: Decision) -> dict[str, Any]:
    """The record of a pending decision, as kept in the ``reviews`` table."""
    return {
        "id": review_id,
        "kind": "review",
        "status": "pending",
        "source_ref": source_ref,
        "entity": new_id,
        "entity_kind": m.kind,
        "name": m.name,
        "candidates": d.candidates,
        "evidence": d.evidence,
    }
