"""How sure extraction is of each fact, and which facts wait for a person.

Every entity and relationship extraction finds gets a confidence in [0, 1]: the
probability, by a small logistic model, that it is right (that it matches what a
person annotating the note would record). The model reads only generic features of
the candidate, never its words or names: the rule that found it (:data:`EntityHow`,
:data:`RelationHow`), the relationship type or entity kind, whether the statement is
in a table or in prose, whether both ends are named in the same clause and how far
apart, negation, hedging and past-tense words around it, how often the note names
the entity, whether a name is given in full, the grading.

The model is a JSON file of coefficients (``data/confidence.json``), applied as a
dot product and a sigmoid, so nothing but the standard library runs at extraction
time. ``contextgraph train`` fits it on annotated corpora (scikit-learn's logistic
regression, deterministic given its seed). Without the file, a prior for each rule
(:data:`PRIORS`) stands in.

A fact whose confidence is below the threshold (``CONTEXTGRAPH_CONFIDENCE_THRESHOLD``,
else the model's, else :data:`DEFAULT_THRESHOLD`) is not recorded: it is queued with
the sentence it came from, and a relationship one of whose ends is queued is queued
with it.
"""

from __future__ import annotations

import functools
import json
import math
import operator
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import BadInput
from ..settings import CONFIDENCE_THRESHOLD as ENV_THRESHOLD
from .patterns import lower, lowered

if TYPE_CHECKING:
    from .record import Ent, Evidence, Extraction

MODEL_PATH = Path(__file__).parents[1] / "data" / "confidence.json"
"""The committed model, trained on both annotated corpora."""

DEFAULT_THRESHOLD = 0.3
"""Facts below this confidence are queued when neither the setting nor the model says otherwise."""


Target = Literal["entities", "relationships"]

# --- features ----------------------------------------------------------------------------

_NEGATION = re.compile(
    r"\b(?:not|no|never|nor|denies|denied|deny|isn['’]t|wasn['’]t|hasn['’]t|doesn['’]t|didn['’]t)\b", re.I
)
_NO_LONGER = re.compile(
    r"\b(?:no longer|previously|formerly|former|used to|historic(?:al(?:ly)?)?|last year|ended)\b", re.I
)
_HEDGE = re.compile(
    r"\b(?:believed|thought|unconfirmed|unverified|alleged(?:ly)?|suspected|possibly|possible|may|might|maybe|"
    r"reportedly|rumou?red?|understood|unclear|unknown|perhaps|likely|unlikely|appears?|seems?|query|\?)",
    re.I,
)
_FUTURE = re.compile(r"\b(?:will|to be|should|would|consider\w*|refer\w*|plan(?:ned)? to|if)\b", re.I)
_CLAUSE_BREAK = re.compile(r"[;.:()]|\s(?:but|although|though|whereas|while)\s")
# the window's cues are searched in the window lower-cased once
_NEGATION, _NO_LONGER, _HEDGE, _FUTURE = map(lowered, (_NEGATION, _NO_LONGER, _HEDGE, _FUTURE))


def _scaled(n: float, most: float) -> float:
    return min(n, most) / most


def _log(n: float) -> float:
    return min(math.log1p(n) / math.log1p(16), 1.0)


def _tokens_between(text: str, a: int, b: int) -> int:
    lo, hi = sorted((a, b))
    return len(text[lo:hi].split())  # tokens: runs of non-space, as ``\\S+`` finds them


def _window(text: str, at: int | None, other: int | None) -> str:
    """The part of ``text`` around a statement: between its two ends and a little beyond, else the clause."""
    points = [p for p in (at, other) if p is not None]
    if not points:
        return text
    lo, hi = max(0, min(points) - 40), min(len(text), max(points) + 60)
    return text[lo:hi]


def relation_features(r: Mapping[str, Any], mentions: Mapping[int, int]) -> dict[str, float]:
    """Generic features of one relationship candidate (``r`` as :meth:`Extraction.relate` keeps it)."""
    evs: list[Evidence] = r["evidence"]
    f: dict[str, float] = {f"type={r['type']}": 1.0, "bias_rel": 1.0}
    for ev in evs:
        f[f"how={ev.how}"] = 1.0
    f["support"] = _log(len(evs))
    f["sentences"] = _log(len({(ev.line, ev.text) for ev in evs}))
    f["hows"] = _scaled(len({ev.how for ev in evs}), 4)
    f["table"] = float(any(ev.table for ev in evs))
    f["prose"] = float(any(not ev.table for ev in evs))
    named = max((ev.source_at is not None) + (ev.target_at is not None) for ev in evs)
    service = r["type"] == "OPEN_TO"
    f["both_named"] = float(named == 2 or (service and named == 1))
    f["carried"] = float(named == 0 or (named == 1 and not service))
    best_distance = 1.0
    same_clause = False
    negated = hedged = past = future = True
    crowd = 1.0
    for ev in evs:
        window = lower(_window(ev.text, ev.source_at, ev.target_at))
        negated = negated and bool(_NEGATION.search(window))
        hedged = hedged and bool(_HEDGE.search(window))
        past = past and bool(_NO_LONGER.search(window))
        future = future and bool(_FUTURE.search(window))
        crowd = min(crowd, _scaled(len(ev.text.split()), 80))
        if ev.source_at is not None and ev.target_at is not None:
            best_distance = min(best_distance, _scaled(_tokens_between(ev.text, ev.source_at, ev.target_at), 30))
            lo, hi = sorted((ev.source_at, ev.target_at))
            same_clause = same_clause or not _CLAUSE_BREAK.search(ev.text[lo:hi])
    f["named_here"] = _scaled(min(ev.named for ev in evs), 8)
    f["distance"] = best_distance
    f["same_clause"] = float(same_clause)
    f["negated"] = float(negated)
    f["hedged"] = float(hedged)
    f["no_longer"] = float(past)
    f["future"] = float(future)
    f["long_sentence"] = crowd
    f["dated"] = float(r.get("date") is not None)
    grading = r.get("grading")
    f["graded"] = float(bool(grading))
    if grading:
        f["grade_weak"] = float(grading[1] in "DE" or grading[0] == "3")
    ends = [e for e in (r["source"], r["target"]) if not isinstance(e, str)]
    counts = [mentions.get(id(e), 0) for e in ends]
    f["end_mentions"] = _log(min(counts)) if counts else 1.0
    f["end_nickname"] = float(any(e.nickname_only for e in ends))
    f["end_single_word"] = float(any(len(e.name.split()) < 2 for e in ends))
    f["end_kind_disputed"] = float(any(e.adult_votes > 0 and e.child_votes > 0 for e in ends))
    return f


def entity_features(e: Ent, mentions: int, rels: int, in_table: bool, in_heading: bool) -> dict[str, float]:
    """Generic features of one entity candidate."""
    f: dict[str, float] = {f"kind={e.kind}": 1.0, f"found_by={e.how}": 1.0, "bias_ent": 1.0}
    words = e.name.split()
    f["name_words"] = _scaled(len(words), 4)
    f["full_name"] = float(len(words) >= 2)
    f["capitals"] = float(e.name.isupper())
    f["forms"] = _scaled(len(e.forms), 4)
    f["mentions"] = _log(mentions)
    f["relationships"] = _log(rels)
    f["defined"] = float(e.defined)
    f["dob_or_age"] = float(e.dob is not None or e.age is not None)
    f["nickname_only"] = float(e.nickname_only)
    f["kind_disputed"] = float(e.adult_votes > 0 and e.child_votes > 0)
    f["in_table"] = float(in_table)
    f["in_heading"] = float(in_heading)
    f["postcode"] = float(e.postcode is not None)
    return f


# --- models ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Linear:
    """A logistic model: ``sigmoid(intercept + sum(coef[name] * value))``."""

    coef: Mapping[str, float]
    intercept: float

    def __call__(self, features: Mapping[str, float]) -> float:
        # the same terms in the same order as a loop over the features, without its frames
        z = self.intercept + sum(map(operator.mul, map(self.coef.get, features, repeat(0.0)), features.values()))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_json(self) -> dict[str, Any]:
        return {"intercept": self.intercept, "coef": dict(sorted(self.coef.items()))}


@dataclass(frozen=True, slots=True)
class Model:
    """The two logistic models, the threshold chosen with them, and what they were trained on."""

    entities: Linear
    relationships: Linear
    threshold: float
    trained_on: tuple[str, ...]
    seed: int
    rows: Mapping[str, int]

    def score(self, target: Target, features: Mapping[str, float]) -> float:
        return (self.entities if target == "entities" else self.relationships)(features)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": 1,
            "about": "logistic models of the confidence of extracted facts; see contextgraph.notes.confidence",
            "threshold": self.threshold,
            "trained_on": list(self.trained_on),
            "seed": self.seed,
            "rows": dict(self.rows),
            "entities": self.entities.to_json(),
            "relationships": self.relationships.to_json(),
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any], where: str = "model") -> Model:
        try:
            if doc.get("format") != 1:
                raise ValueError(f"format {doc.get('format')!r}, not 1")

            def linear(d: Mapping[str, Any]) -> Linear:
                return Linear({str(k): float(v) for k, v in d["coef"].items()}, float(d["intercept"]))

            threshold = float(doc["threshold"])
            if not 0.0 <= threshold <= 1.0:
                raise ValueError(f"threshold {threshold} is not within [0, 1]")
            return cls(
                linear(doc["entities"]),
                linear(doc["relationships"]),
                threshold,
                tuple(str(c) for c in doc.get("trained_on", [])),
                int(doc.get("seed", 0)),
                {str(k): int(v) for k, v in doc.get("rows", {}).items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfidenceError(f"{where}: not a confidence model ({exc})") from None


class ConfidenceError(BadInput):
    pass


PRIORS: Mapping[str, float] = {
    # relationships: a column's header states the relation; a cue word in the sentence suggests it
    "table_column": 0.9,
    "table_matrix": 0.85,
    "table_place_row": 0.75,
    "profile_field": 0.85,
    "group_statement": 0.7,
    "service_cue": 0.75,
    "school_cue": 0.7,
    "own_home": 0.8,
    "lives_cue": 0.6,
    "found_cue": 0.7,
    "place_cue": 0.65,
    "group_cue": 0.65,
    "family_cue": 0.65,
    "missing_cue": 0.7,
    "exploit_cue": 0.55,
    "notice_cue": 0.5,
    "together_cue": 0.55,
    # entities
    "table_cell": 0.9,
    "place_name": 0.85,
    "address": 0.85,
    "school_name": 0.85,
    "group_name": 0.8,
    "group_token": 0.6,
    "full_name": 0.9,
    "nickname": 0.7,
    "initials": 0.75,
}
"""The fallback without a model: how often each rule is right, as judged by reading what it does.
A statement carried from another sentence, negated or hedged counts for less (:class:`Priors`)."""


class Priors:
    """The rule-based fallback: the prior of the best rule behind a fact, lowered for a statement
    carried from another sentence, negated or hedged."""

    def score(self, target: Target, features: Mapping[str, float]) -> float:
        hows = [PRIORS.get(k.split("=", 1)[1], 0.5) for k in features if k.startswith(("how=", "found_by="))]
        p = max(hows, default=0.5)
        if target == "relationships":
            for flag, factor in (("carried", 0.8), ("negated", 0.6), ("hedged", 0.85), ("no_longer", 0.7)):
                if features.get(flag):
                    p *= factor
        return p


Scorer = Model | Priors


@functools.lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> Model | None:
    """The model at ``path``, or None when there is none (the priors stand in)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise ConfidenceError(f"{path.name}: not JSON ({exc})") from None
    return Model.from_json(doc, path.name)


def scorer() -> Scorer:
    """The committed model if there is one, else the priors."""
    return load_model() or Priors()


def threshold(model: Model | None = None, environ: Mapping[str, str] | None = None) -> float:
    """The threshold in force: ``CONTEXTGRAPH_CONFIDENCE_THRESHOLD``, else the model's, else the default.

    >>> threshold(None, {"CONTEXTGRAPH_CONFIDENCE_THRESHOLD": "0.4"})
    0.4
    >>> threshold(None, {})
    0.3
    """
    env = os.environ if environ is None else environ
    raw = (env.get(ENV_THRESHOLD) or "").strip()
    if raw:
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not 0.0 <= value <= 1.0:
            raise ConfidenceError(f"{ENV_THRESHOLD} must be a number from 0 to 1, not {raw!r}")
        return value
    if model is not None:
        return model.threshold
    return DEFAULT_THRESHOLD


# --- candidates and the queue ----------------------------------------------------------------


@dataclass(slots=True)
class Candidate:
    """One entity or relationship of the full extraction, with what the confidence is read from."""

    item: dict[str, Any]  # as the extraction document gives it
    features: dict[str, float]
    how: str
    sentence: str
    line: int


@dataclass(slots=True)
class Candidates:
    """Everything one note's extraction found, before the threshold."""

    meeting: dict[str, Any]
    entities: list[Candidate]
    relationships: list[Candidate]


def candidates(x: Extraction, doc: dict[str, Any], ents: list[Ent], rels: list[dict[str, Any]]) -> Candidates:
    """The candidates of ``doc`` (every entity and relationship of ``x`` kept), with their features.
    ``ents`` and ``rels`` are the entities and relationship records behind ``doc``'s lists, in order."""
    units = {id(u): u for u in x.note.units}
    mentions: dict[int, int] = {}
    first: dict[int, tuple[str, int]] = {}
    in_table: set[int] = set()
    in_heading: set[int] = set()
    for uid, found in x.mentions.items():
        u = units.get(uid)
        if u is None:
            continue
        for f in {id(f.ent): f for f in found}.values():
            k = id(f.ent)
            mentions[k] = mentions.get(k, 0) + 1
            first.setdefault(k, (u.text, u.line))
            if u.row is not None:
                in_table.add(k)
            if u.kind in ("heading", "header"):
                in_heading.add(k)
    rel_count: dict[int, int] = {}
    for r in rels:
        for end in (r["source"], r["target"]):
            if not isinstance(end, str):
                rel_count[id(end)] = rel_count.get(id(end), 0) + 1
    out_e = []
    for e, d in zip(ents, doc["entities"], strict=True):
        k = id(e)
        feats = entity_features(e, mentions.get(k, 0), rel_count.get(k, 0), k in in_table, k in in_heading)
        text, line = first.get(k, ("", 0))
        out_e.append(Candidate(d, feats, e.how, text, line))
    out_r = []
    for r, d in zip(rels, doc["relationships"], strict=True):
        ev = r["evidence"][0]
        out_r.append(Candidate(d, relation_features(r, mentions), ev.how, ev.text, ev.line))
    return Candidates(doc["meeting"], out_e, out_r)


def split(cands: Candidates, score: Scorer, at: float) -> dict[str, Any]:
    """The extraction document: what would be recorded under ``entities`` and ``relationships``, each
    with its ``confidence``; what would be queued under ``queued``, with its rule and sentence."""
    entities: list[dict[str, Any]] = []
    relationships: list[dict[str, Any]] = []
    queued: dict[str, list[dict[str, Any]]] = {"entities": [], "relationships": []}
    held: set[str] = set()
    for c in cands.entities:
        conf = round(score.score("entities", c.features), 4)
        if conf < at:
            held.add(c.item["id"])
            queued["entities"].append({**c.item, "confidence": conf, "how": c.how, "sentence": c.sentence})
        else:
            entities.append({**c.item, "confidence": conf})
    for c in cands.relationships:
        conf = round(score.score("relationships", c.features), 4)
        d = c.item
        ends_held = d["source"] in held or (d["type"] != "OPEN_TO" and d["target"] in held)
        if conf < at or ends_held:
            why = "confidence" if conf < at else "an end is queued"
            queued["relationships"].append({**d, "confidence": conf, "how": c.how, "sentence": c.sentence, "why": why})
        else:
            relationships.append({**d, "confidence": conf})
    return {"meeting": cands.meeting, "entities": entities, "relationships": relationships, "queued": queued}


def judge(
    x: Extraction, doc: dict[str, Any], ents: list[Ent], rels: list[dict[str, Any]], at: float | None = None
) -> dict[str, Any]:
    """``doc`` split by confidence, with the committed model (or the priors) and the threshold in force."""
    score = scorer()
    return split(candidates(x, doc, ents, rels), score, threshold(load_model()) if at is None else at)
