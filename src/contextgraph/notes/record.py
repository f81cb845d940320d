"""What extraction keeps while it reads a note: the entities with their forms, where each is
mentioned, each relationship with the statements behind it, and the extraction document built
from them (:meth:`Extraction.to_json`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from ..model import REL_TYPES
from ..model.tracking import RECORD_KINDS
from ..text import plain_letters, shown_text
from .confidence import judge
from .lexicon import _FULL_NAME, _bare, _grading, norm
from .patterns import compiled as _rx
from .services import compile_local_services, local_services
from .spans import span_of, unit_offsets
from .units import ParsedNote, Unit


def _with_marks(span: tuple[int, int], text: str) -> tuple[int, int]:
    """``span`` with the accents written apart after its last letter (an e and U+0301 for é)."""
    start, end = span
    while end < len(text) and unicodedata.combining(text[end]):
        end += 1
    return start, end


# --- where each fact came from ----------------------------------------------

EntityHow = Literal[
    "table_cell",  # a table's name, school, place or associates column
    "place_name",  # a capitalised name ending in a place word ("Park", "Road", "Takeaway")
    "address",  # a street address or a named building with a number
    "school_name",  # a name ending in a school word ("Academy"), or a school and a year group
    "group_name",  # a name ending in a group word ("Boys", "line"), or what a group calls itself
    "group_token",  # a short token said at least twice to be a group ("DSB", "R2")
    "full_name",  # a person named in full in prose
    "nickname",  # a nickname standing alone ("known only as", in quotes)
    "initials",  # initials with an age or a school year ("KH (Year 9)")
]
"""How an entity was found: the rule that named it first."""

RelationHow = Literal[
    "table_column",  # a table cell read by its column's header ("Seen with", "School", "Open to")
    "table_matrix",  # a mark in a grid of people by places
    "table_place_row",  # a person in the row of a table of places
    "profile_field",  # "Associates: A / B" on a profile about one person
    "group_statement",  # people listed together at an event ("A, B and C were found ...")
    "service_cue",  # a service the clause says a child is open to
    "school_cue",  # a school named in a sentence about a child
    "place_cue",  # a place named in a sentence about a person (seen at)
    "found_cue",  # found or located at a place
    "lives_cue",  # lives, placed or staying at a place
    "own_home",  # a place said to be the person's own home
    "group_cue",  # a group named in a sentence about a person
    "family_cue",  # a family word in a sentence naming both
    "missing_cue",  # missing together
    "exploit_cue",  # an exploitation word in a sentence naming both
    "notice_cue",  # a warning notice in a note that states exploitation
    "together_cue",  # a word of company ("with", "friends", "met") in a sentence naming both
]
"""How a relationship was read: the rule that stated it."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One statement behind a relationship: the rule, and the sentence or table row it was read from."""

    how: RelationHow
    text: str
    line: int
    table: bool
    source_at: int | None  # where the source is named in ``text``; None: carried from a heading, a
    target_at: int | None  # paragraph's subject or the sentence before (or a service code)
    named: int = 0  # how many entities ``text`` names


# --- entities -------------------------------------------------------------


@dataclass(slots=True, eq=False)  # one entity is itself only: compared by identity
class Ent:
    """An entity found in the note, with every form the note names it by."""

    kind: str
    name: str
    forms: list[str] = field(default_factory=list)
    dob: date | None = None
    age: int | None = None
    postcode: str | None = None
    adult_votes: int = 0
    child_votes: int = 0
    victim_votes: int = 0  # said to be a victim, vulnerable, a care leaver: weighs for a young adult
    nickname_only: bool = False
    defined: bool = False  # named in a table's name column or a heading/header
    how: EntityHow = "full_name"
    id: str = ""

    def add_form(self, form: str) -> None:
        f = " ".join(form.split()).strip(" ,.;:")
        if f and norm(f) not in {norm(x) for x in self.forms} and norm(f) != norm(self.name):
            self.forms.append(f)


@dataclass(slots=True)
class Found:
    start: int
    end: int
    ent: Ent


class Extraction:
    """Everything read from one note; :meth:`to_json` gives the vocabulary's extraction output."""

    def __init__(self, note: ParsedNote, services: dict[str, str] | None = None):
        self.note = note
        # local service names: those this note defines, then those defined elsewhere (``services``)
        # (the note is read as A to Z: so are the names of services given with accents)
        given = {plain_letters(k): v for k, v in (services or {}).items()}
        self.services = {**given, **local_services(note.text)}
        self.local = compile_local_services(self.services)
        self.day = note.meeting_day
        self.entities: list[Ent] = []
        self.index: dict[str, Ent] = {}  # normalised surface form -> entity
        self.ambiguous: set[str] = set()
        self.professionals: set[str] = set()
        self.rels: dict[tuple[str, int, Any], dict[str, Any]] = {}
        self.mentions: dict[int, list[Found]] = {}
        self.current: Unit | None = None  # the sentence or row relationships are being read from
        self.subject: Ent | None = None  # the person a return interview or a profile is about
        self.tracking: list[Any] = []  # the tracking records stated (:mod:`.tracked` drafts)
        self.gradings: dict[int, str | None] = {}  # the grading each unit was read under (by ``id(unit)``)
        self._full_names: dict[str, list[re.Match[str]]] = {}

    def full_names(self, text: str) -> list[re.Match[str]]:
        """The capitalised runs of two or three words in ``text`` that may be names (read once a text:
        the professionals' pass and the people's pass read the same units)."""
        got = self._full_names.get(text)
        if got is None:
            got = self._full_names[text] = list(_FULL_NAME.finditer(text))
        return got

    def evidence(self, how: RelationHow, source: Ent, target: Ent | str) -> Evidence:
        """The statement behind a relationship read now from :attr:`current`."""
        u = self.current
        if u is None:
            return Evidence(how, "", 0, False, None, None)
        s_at = t_at = None
        found = self.mentions.get(id(u), [])
        for f in found:
            if s_at is None and f.ent is source:
                s_at = f.start
            elif t_at is None and f.ent is target:
                t_at = f.start
        return Evidence(how, u.text, u.line, u.row is not None, s_at, t_at, len({id(f.ent) for f in found}))

    # -- registry

    def entity(self, kind: str, name: str, how: EntityHow = "full_name") -> Ent:
        key = norm(name)
        got = self.index.get(key) or self.index.get(_rx(r"^the ").sub("", key)) or self.index.get("the " + key)
        if got is not None and (got.kind == kind or {got.kind, kind} <= {"child", "person_of_concern"}):
            return got
        e = Ent(kind, name, how=how)
        self.entities.append(e)
        self.index[key] = e
        return e

    def alias(self, e: Ent, form: str) -> None:
        key = norm(form)
        if not key or len(key) < 2:
            return
        other = self.index.get(key)
        if other is None:
            self.index[key] = e
        elif other is not e and key != norm(other.name):
            self.ambiguous.add(key)
        e.add_form(form)

    # -- output

    def to_json(self, threshold: float | None = None) -> dict[str, Any]:
        """The extraction document: what would be recorded, each fact with its confidence, and what
        would be queued below ``threshold`` (default: the setting's, see :mod:`contextgraph.notes.confidence`)."""
        doc, ents, rels = self.document()
        out = judge(self, doc, ents, rels, threshold)
        kept = {e["id"] for e in out["entities"]}
        drafts = doc.get("tracking", [])
        out["tracking"] = [t for t in drafts if set(tracked_names(t)) <= kept]
        out["queued"]["tracking"] = [t for t in drafts if not set(tracked_names(t)) <= kept]
        return out

    def document(self) -> tuple[dict[str, Any], list[Ent], list[dict[str, Any]]]:
        """Every fact found, before confidence: the document, and the entities and relationship
        records behind its lists, in order."""
        ents = [e for e in self.entities if self._keep(e)]
        for n, e in enumerate(ents, 1):
            e.id = f"e{n}"
        out_e: list[dict[str, Any]] = []
        for e in ents:
            d: dict[str, Any] = {"id": e.id, "kind": e.kind, "name": e.name}
            # every other form the note gives: those used, and those stated ("aka", initials in a table)
            d["aliases"] = list(e.forms)
            if e.kind in ("child", "person_of_concern"):
                d["dob"] = e.dob.isoformat() if e.dob else None
            if e.kind == "location":
                d["postcode"] = e.postcode
            out_e.append(d)
        offsets = unit_offsets(self.note.given, self.note.units)
        line_unit: dict[int, Unit] = {}
        for u in self.note.units:
            line_unit.setdefault(u.line, u)
        spans = self._mention_spans(offsets)
        for e, d in zip(ents, out_e, strict=True):
            d["mentions"] = [list(sp) for sp in sorted(spans.get(id(e), ()))]
            self._as_written(d)
        kept = {id(e) for e in ents}
        out_r: list[dict[str, Any]] = []
        rels: list[dict[str, Any]] = []
        for r in self.rels.values():
            s, t = r["source"], r["target"]
            if id(s) not in kept or (isinstance(t, Ent) and id(t) not in kept):
                continue
            rels.append(r)
            d = {
                "type": r["type"],
                "source": s.id,
                "target": t.id if isinstance(t, Ent) else t,
                "date": r["date"],
            }
            if r.get("grading"):
                d["grading"] = r["grading"]
            unit = r.get("unit")
            where = offsets.get(id(unit)) if unit is not None else None
            if where is None and unit is not None and unit.line in line_unit:
                where = offsets.get(id(line_unit[unit.line]))  # a table cell read on its own: its row
            evidence = span_of(where, 0, len(where)) if where else None
            if evidence is not None:
                d["evidence"] = list(evidence)
            out_r.append(d)
        m = self.note.meeting
        doc = {
            "meeting": {"kind": m.kind, "date": m.date, "locality": m.locality, "locality_status": m.locality_status},
            "entities": out_e,
            "relationships": out_r,
            "tracking": self._tracking(kept, offsets),
        }
        return doc, ents, rels

    def _tracking(self, kept: set[int], offsets: dict[int, list[int]]) -> list[dict[str, Any]]:
        """The tracking records stated, as lines of ``tracking.jsonl`` naming the note's entity ids
        (``id`` is the record's place in the note), each with the span of its sentence."""
        out: list[dict[str, Any]] = []
        for n, d in enumerate(self.tracking, 1):
            if id(d.subject) not in kept:
                continue
            t: dict[str, Any] = {"id": f"t{n}", "record": d.record, "subject": d.subject.id, "date": d.date, **d.fields}
            graded = self.gradings.get(id(d.unit)) or _grading(d.unit.text)
            if graded:  # intelligence: the grading its sentence, paragraph or section was given
                t["grading"] = graded
            for name, ents in d.named.items():
                ids = [e.id for e in ents if id(e) in kept]
                if ids:
                    t[name] = ids[0] if name == "found_at" else ids
            where = offsets.get(id(d.unit))
            if where:
                t["evidence"] = list(span_of(where, 0, len(where)) or ())
            out.append(t)
        return out

    def _mention_spans(self, offsets: dict[int, list[int]]) -> dict[int, set[tuple[int, int]]]:
        """Where each entity is named in the note's text: ``id(entity)`` -> spans (start, end)."""
        out: dict[int, set[tuple[int, int]]] = {}
        text = self.note.given
        written = self.note.written or text
        for u in self.note.units:
            where = offsets.get(id(u))
            if where is None:
                continue
            for f in self.mentions.get(id(u), ()):
                sp = span_of(where, f.start, f.end)
                # the span holds the form found, with nothing but markup and spaces besides
                if sp is not None and _bare(text[sp[0] : sp[1]]) == _bare(u.text[f.start : f.end]):
                    out.setdefault(id(f.ent), set()).add(_with_marks(sp, written))
        return out

    def _as_written(self, d: dict[str, Any]) -> None:
        """The entity's name and aliases as the note writes them where it was read otherwise (Zoë
        read as Zoe: :meth:`~contextgraph.notes.units.ParsedNote.as_written`)."""
        note = self.note
        if note.written is None:
            return
        read = d["name"]
        # the form of its first mention that reads as its name; else each word as the note writes it
        at = [f for a, b in d["mentions"] if (f := note.form_at(a, b)) and shown_text(plain_letters(f)) == read]
        name = at[0] if at else note.as_written(read)
        aliases = [note.as_written(a) for a in d["aliases"]]
        if read in at and name != read:
            aliases.append(read)  # written both ways (Tŷ Helyg and Ty Helyg): both are its forms
        d["name"] = name
        d["aliases"] = [a for a in dict.fromkeys(aliases) if a != name]

    def _keep(self, e: Ent) -> bool:
        if e.kind not in ("child", "person_of_concern"):
            return True
        if e.defined or e.dob or e.age is not None:
            return True
        return any(r["source"] is e or r["target"] is e for r in self.rels.values())

    def relate(
        self,
        rtype: str,
        source: Ent,
        target: Ent | str,
        day: date | None,
        grading: str | None,
        how: RelationHow = "together_cue",
    ) -> None:
        rt = REL_TYPES[rtype]
        tkind = target.kind if isinstance(target, Ent) else "service"
        if source is target or not rt.allows(source.kind, tkind):
            return
        if rt.symmetric and isinstance(target, Ent) and self.entities.index(target) < self.entities.index(source):
            source, target = target, source
        key = (rtype, id(source), id(target) if isinstance(target, Ent) else target)
        prev = self.rels.get(key)
        ds = day.isoformat() if day else None
        ev = self.evidence(how, source, target)
        if prev is None:
            self.rels[key] = {
                "type": rtype,
                "source": source,
                "target": target,
                "date": ds,
                "grading": grading,
                "unit": self.current,
                "evidence": [ev],
            }
        else:
            prev["evidence"].append(ev)
            if ds and (prev["date"] is None or ds < prev["date"]):
                prev["date"] = ds  # the earliest day the note gives for the pair
            if prev["grading"] is None and grading:
                prev["grading"] = grading


def tracked_names(t: dict[str, Any]) -> list[str]:
    """The entity ids a tracking line of the extraction names: its subject, and the ids of its
    fields that name entities.

    >>> tracked_names({"record": "disruption", "subject": "e2", "children": ["e1"]})
    ['e2', 'e1']
    """
    out = [t["subject"]]
    for f in RECORD_KINDS[t["record"]].fields:
        v = t.get(f.name)
        if f.type == "entity" and v:
            out.append(v)
        elif f.type == "entities" and v:
            out.extend(v)
    return out


def _dedupe(xs: Iterable[Ent]) -> list[Ent]:
    """Each entity once, in order (by identity: comparing every field of two entities is slow)."""
    out: list[Ent] = []
    seen: set[int] = set()
    for e in xs:
        if id(e) not in seen:
            seen.add(id(e))
            out.append(e)
    return out
