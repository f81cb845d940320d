"""Scoring extraction against gold annotations, by the shared vocabulary's matching rules.

A predicted entity matches a gold entity of the same kind when its ``name`` or
one of its ``aliases`` (case-insensitive, spaces collapsed) equals one of the
gold ``names``; each gold entity is matched at most once. A predicted
relationship matches a gold one of the same type whose ends are the matched
entities (either order for a symmetric type); ``OPEN_TO`` compares service codes.
Precision, recall and F1 are counted over all notes together.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BadInput
from ..model import REL_TYPES


def _key(s: str) -> str:
    return " ".join(s.lower().split())


@dataclass(slots=True)
class Counts:
    tp: int = 0
    predicted: int = 0
    gold: int = 0

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.predicted += other.predicted
        self.gold += other.gold

    def to_json(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "predicted": self.predicted,
            "gold": self.gold,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass(slots=True)
class NoteScore:
    note: str
    entities: Counts
    relationships: Counts
    missed_entities: list[str] = field(default_factory=list)
    extra_entities: list[str] = field(default_factory=list)
    missed_relationships: list[str] = field(default_factory=list)
    extra_relationships: list[str] = field(default_factory=list)
    error: str | None = None  # the note could not be read: scored as all missed


def _match_entities(pred_ents: list[dict[str, Any]], gold_ents: list[dict[str, Any]]) -> dict[str, str]:
    """Predicted entity id -> the gold entity id it matches; each gold entity is matched at most once."""
    gold_names = {g["id"]: {_key(n) for n in g.get("names", [g.get("name", "")])} for g in gold_ents}
    gold_kind = {g["id"]: g["kind"] for g in gold_ents}
    match: dict[str, str] = {}  # predicted id -> gold id
    taken: set[str] = set()
    # exact canonical names first, then any form, so a short alias does not steal a better match
    for strict in (True, False):
        for p in pred_ents:
            if p["id"] in match:
                continue
            forms = (
                {_key(p.get("name", ""))}
                if strict
                else {_key(p.get("name", ""))} | {_key(a) for a in p.get("aliases", [])}
            )
            for gid, names in gold_names.items():
                if gid in taken or gold_kind[gid] != p.get("kind"):
                    continue
                if forms & names:
                    match[p["id"]] = gid
                    taken.add(gid)
                    break
    return match


def _gkey(rtype: str, s: str, t: str) -> tuple[str, str, str]:
    if rtype in REL_TYPES and REL_TYPES[rtype].symmetric and t < s:
        s, t = t, s
    return rtype, s, t


def _rel_key(r: dict[str, Any], match: dict[str, str]) -> tuple[str, str, str]:
    rtype = r["type"]
    s = match.get(r["source"], "?" + r["source"])
    t = r["target"] if rtype == "OPEN_TO" else match.get(r["target"], "?" + r["target"])
    return _gkey(rtype, s, t)


def matches(pred: dict[str, Any], gold: dict[str, Any]) -> tuple[list[bool], list[bool]]:
    """Whether each predicted entity, and each predicted relationship, matches the gold (by the same
    rule as :func:`score_note`), in the order of ``pred``'s lists."""
    match = _match_entities(pred.get("entities", []), gold.get("entities", []))
    gold_rels = {_gkey(r["type"], r["source"], r["target"]) for r in gold.get("relationships", [])}
    return (
        [p["id"] in match for p in pred.get("entities", [])],
        [_rel_key(r, match) in gold_rels for r in pred.get("relationships", [])],
    )


def score_note(pred: dict[str, Any], gold: dict[str, Any], note: str = "") -> NoteScore:
    """Score one extraction document against its gold annotation.

    >>> gold = {"entities": [{"id": "g1", "kind": "child", "names": ["Rowen Abbotsley", "Rowen"]},
    ...                      {"id": "g2", "kind": "location", "names": ["Carrow Park"]}],
    ...         "relationships": [{"type": "SEEN_AT", "source": "g1", "target": "g2"},
    ...                           {"type": "OPEN_TO", "source": "g1", "target": "YJS"}]}
    >>> pred = {"entities": [{"id": "e1", "kind": "child", "name": "rowen", "aliases": []},
    ...                      {"id": "e2", "kind": "location", "name": "Carrow  park", "aliases": []},
    ...                      {"id": "e3", "kind": "school", "name": "Carrow Academy", "aliases": []}],
    ...         "relationships": [{"type": "SEEN_AT", "source": "e1", "target": "e2"},
    ...                           {"type": "OPEN_TO", "source": "e1", "target": "CSC"}]}
    >>> s = score_note(pred, gold)
    >>> (s.entities.tp, s.entities.predicted, s.entities.gold)
    (2, 3, 2)
    >>> (s.relationships.tp, s.relationships.predicted, s.relationships.gold)
    (1, 2, 2)
    """
    gold_ents = gold.get("entities", [])
    pred_ents = pred.get("entities", [])
    gold_kind = {g["id"]: g["kind"] for g in gold_ents}
    gold_label = {g["id"]: (g.get("names") or [g.get("name", "")])[0] for g in gold_ents}
    match = _match_entities(pred_ents, gold_ents)
    taken = set(match.values())
    ents = Counts(len(match), len(pred_ents), len(gold_ents))
    out = NoteScore(note, ents, Counts())
    out.missed_entities = [f"{gold_kind[g]}:{gold_label[g]}" for g in gold_kind if g not in taken]
    out.extra_entities = [f"{p.get('kind')}:{p.get('name')}" for p in pred_ents if p["id"] not in match]
    gold_rels = {_gkey(r["type"], r["source"], r["target"]) for r in gold.get("relationships", [])}
    pred_names = {p["id"]: p.get("name", "") for p in pred_ents}
    hit: set[tuple[str, str, str]] = set()
    predicted = set()
    for r in pred.get("relationships", []):
        rtype = r["type"]
        k = _rel_key(r, match)
        if k in predicted:
            continue
        predicted.add(k)
        if k in gold_rels:
            hit.add(k)
        else:
            tn = r["target"] if rtype == "OPEN_TO" else pred_names.get(r["target"], r["target"])
            out.extra_relationships.append(f"{rtype} {pred_names.get(r['source'], r['source'])} -> {tn}")
    for k in gold_rels - hit:
        out.missed_relationships.append(f"{k[0]} {gold_label.get(k[1], k[1])} -> {gold_label.get(k[2], k[2])}")
    out.relationships = Counts(len(hit), len(predicted), len(gold_rels))
    return out


@dataclass(slots=True)
class Report:
    notes: list[NoteScore]
    entities: Counts
    relationships: Counts

    def to_json(self, detail: bool = False) -> dict[str, Any]:
        return {
            "entities": self.entities.to_json(),
            "relationships": self.relationships.to_json(),
            "notes": [
                {
                    "note": n.note,
                    "entities": n.entities.to_json(),
                    "relationships": n.relationships.to_json(),
                    **({"error": n.error} if n.error else {}),
                    **(
                        {
                            "missed_entities": n.missed_entities,
                            "extra_entities": n.extra_entities,
                            "missed_relationships": n.missed_relationships,
                            "extra_relationships": n.extra_relationships,
                        }
                        if detail
                        else {}
                    ),
                }
                for n in self.notes
            ],
        }


class GoldError(BadInput):
    pass


def annotated_notes(folder: Path) -> list[tuple[Path, Path]]:
    """Each ``*.gold.json`` of ``folder`` with the note beside it, in name order."""
    golds = sorted(folder.glob("*.gold.json"))
    if not golds:
        raise GoldError(f"{folder}: no *.gold.json files here")
    out: list[tuple[Path, Path]] = []
    for g in golds:
        stem = g.name[: -len(".gold.json")]
        candidates = sorted(p for p in folder.glob(stem + ".*") if not p.name.endswith(".gold.json"))
        if not candidates:
            raise GoldError(f"{g}: no note {stem}.* beside it")
        out.append((g, candidates[0]))
    return out


def evaluate(
    folder: Path,
    extractor: Callable[[Path], dict[str, Any]],
    unreadable: tuple[type[Exception], ...] = (),
) -> Report:
    """Score ``extractor`` on every note in ``folder`` that has a ``*.gold.json`` beside it.

    A note whose extraction raises one of ``unreadable`` is reported with the error and scored as
    all missed, and the run goes on with the next note.
    """
    notes: list[NoteScore] = []
    ents, rels = Counts(), Counts()
    for g, note in annotated_notes(folder):
        try:
            gold = json.loads(g.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise GoldError(f"{g}: cannot read gold annotation ({e})") from None
        error: str | None = None
        try:
            pred = extractor(note)
        except unreadable as e:
            pred, error = {"entities": [], "relationships": []}, str(e)
        s = score_note(pred, gold, note.name)
        s.error = error
        notes.append(s)
        ents.add(s.entities)
        rels.add(s.relationships)
    return Report(notes, ents, rels)


def combine(reports: list[Report]) -> Report:
    """One report over the notes of several: counts added, so the figures are over all notes together."""
    ents, rels = Counts(), Counts()
    for r in reports:
        ents.add(r.entities)
        rels.add(r.relationships)
    return Report([n for r in reports for n in r.notes], ents, rels)
