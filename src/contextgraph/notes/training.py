"""Training the confidence models on gold-annotated notes, and the figures of a model trained on
one corpus and scored on another (:mod:`contextgraph.notes.confidence` holds the models).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .confidence import (
    DEFAULT_THRESHOLD,
    Candidates,
    ConfidenceError,
    Linear,
    Model,
    Priors,
    Scorer,
    candidates,
    split,
)

# --- training ----------------------------------------------------------------------------


@dataclass(slots=True)
class Labelled:
    """A note's candidates with whether each matches the gold annotation."""

    note: str
    cands: Candidates
    gold: dict[str, Any]
    entity_labels: list[bool]
    relationship_labels: list[bool]


def labelled(folder: Path, read: Callable[[Path], Candidates]) -> list[Labelled]:
    """Every annotated note of ``folder`` that can be read, its candidates labelled by the vocabulary's
    matching rule."""
    from .evaluate import GoldError, annotated_notes, matches
    from .parse import NoteError

    out: list[Labelled] = []
    for g, note in annotated_notes(folder):
        try:
            gold = json.loads(g.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise GoldError(f"{g}: cannot read gold annotation ({e})") from None
        try:
            cands = read(note)
        except NoteError:
            continue  # a note that cannot be read has no candidates to learn from (eval reports it)
        pred = {
            "entities": [c.item for c in cands.entities],
            "relationships": [c.item for c in cands.relationships],
        }
        ent_ok, rel_ok = matches(pred, gold)
        out.append(Labelled(note.name, cands, gold, ent_ok, rel_ok))
    return out


def _fit(rows: list[tuple[dict[str, float], bool]], seed: int) -> Linear:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = DictVectorizer(sparse=False, sort=True)
    xs = vec.fit_transform([f for f, _ in rows])
    ys = [int(y) for _, y in rows]
    if len(set(ys)) < 2:
        raise ConfidenceError("training needs both right and wrong candidates; these notes give only one")
    lr = LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    lr.fit(xs, ys)
    names = vec.get_feature_names_out()
    coef = {str(n): round(float(c), 6) for n, c in zip(names, lr.coef_[0], strict=True) if abs(c) >= 1e-6}
    return Linear(coef, round(float(lr.intercept_[0]), 6))


def train(data: Iterable[Labelled], corpora: Iterable[str], seed: int = 0, at: float = DEFAULT_THRESHOLD) -> Model:
    """Fit both models on labelled candidates; deterministic for the same data and ``seed``."""
    ents: list[tuple[dict[str, float], bool]] = []
    rels: list[tuple[dict[str, float], bool]] = []
    for d in data:
        ents += [(c.features, y) for c, y in zip(d.cands.entities, d.entity_labels, strict=True)]
        rels += [(c.features, y) for c, y in zip(d.cands.relationships, d.relationship_labels, strict=True)]
    return Model(
        _fit(ents, seed),
        _fit(rels, seed),
        at,
        tuple(corpora),
        seed,
        {"entities": len(ents), "relationships": len(rels)},
    )


def write_model(model: Model, path: Path) -> None:
    path.write_text(json.dumps(model.to_json(), indent=1, sort_keys=False) + "\n", encoding="utf-8")


def note_candidates(path: Path, services: dict[str, str] | None = None) -> Candidates:
    """The candidates of one note file."""
    from .extract import extract_parsed
    from .parse import parse_note, read_note

    x = extract_parsed(parse_note(read_note(path), str(path)), services)
    return candidates(x, *x.document())


def corpus(folder: Path) -> list[Labelled]:
    """The labelled candidates of every annotated note of ``folder`` (local service names one note
    defines hold for all, as in ingest)."""
    from .evaluate import annotated_notes
    from .parse import NoteError, read_note
    from .services import learn_services

    texts = []
    for _, note in annotated_notes(folder):
        try:
            texts.append(read_note(note))
        except NoteError:
            continue
    services = learn_services(texts)
    return labelled(folder, functools.partial(note_candidates, services=services))


# --- cross-corpus figures -----------------------------------------------------------------

Method = Literal["rules", "priors", "model"]


@dataclass(slots=True)
class CrossFigures:
    """One unseen corpus scored three ways: every fact the rules find; those the priors keep at the
    threshold; those a model trained on the other corpora keeps at the threshold."""

    scored: str
    trained_on: tuple[str, ...]
    threshold: float
    figures: dict[Method, tuple[Any, Any]]  # method -> (entity Counts, relationship Counts)

    def to_json(self) -> dict[str, Any]:
        return {
            "scored": self.scored,
            "trained_on": list(self.trained_on),
            "threshold": self.threshold,
            **{m: {"entities": e.to_json(), "relationships": r.to_json()} for m, (e, r) in self.figures.items()},
        }


def scored(data: Iterable[Labelled], score: Scorer, at: float) -> tuple[Any, Any]:
    """Entity and relationship counts of what would be recorded at ``at``."""
    from .evaluate import Counts, score_note

    ents, rels = Counts(), Counts()
    for d in data:
        s = score_note(split(d.cands, score, at), d.gold, d.note)
        ents.add(s.entities)
        rels.add(s.relationships)
    return ents, rels


def cross(corpora: Mapping[str, list[Labelled]], at: float, seed: int = 0) -> list[CrossFigures]:
    """For each corpus, the figures on it with a model trained on all the others."""
    out: list[CrossFigures] = []
    for name, data in corpora.items():
        others = [n for n in corpora if n != name]
        model = train([d for n in others for d in corpora[n]], others, seed, at)
        figures: dict[Method, tuple[Any, Any]] = {
            "rules": scored(data, Priors(), 0.0),
            "priors": scored(data, Priors(), at),
            "model": scored(data, model, at),
        }
        out.append(CrossFigures(name, tuple(others), at, figures))
    return out
