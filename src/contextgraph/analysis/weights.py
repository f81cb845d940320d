"""The weights of the analysis, read from a file a person can change, and the kinds of reason it gives."""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from ..errors import BadInput


class AnalysisError(BadInput):
    pass


@dataclass(frozen=True)
class Weights:
    """Every weight of the method, in one place; ``docs/analysis.md`` gives the reason for each.

    A file (TOML or JSON) may set any of them: ``analyse --weights FILE``.
    """

    exploited_by: float = 1.0
    """Named as exploited, groomed or run by a person of concern: direct intelligence."""
    associates_with_poc: float = 0.6
    """Seen with or associating with a person of concern."""
    associates_with_risky_poc: float = 0.0
    """Added, times the person's risk, when the person of concern is linked to known cases more
    than others are (a groomer rather than a busy adult who knows many children)."""
    family_of_poc: float = 0.3
    """Family of a person of concern: access, but often no more than that."""
    associates_with_known: float = 0.15
    """Associating with a child known to be exploited (peer recruitment)."""
    family_of_known: float = 0.05
    """Sibling or relative of a child known to be exploited: a weak sign on its own."""
    missing: float = 0.05
    """Going missing with another child at all."""
    missing_with_known: float = 0.5
    """Added when the other child is known to be exploited."""
    found_at: float = 0.05
    """Being found somewhere at the end of a missing episode."""
    found_at_risky: float = 0.8
    """Added, times the place's risk, when found at a risky place (trap house, out-of-area address)."""
    found_out_of_area: float = 0.3
    """Being found in another locality than the child's own: children taken out of area by lines."""
    seen_at_risky: float = 0.6
    """Seen at a place, times the place's risk."""
    lives_at_risky: float = 0.8
    """Living at a place, times the place's risk (an address used by persons of concern)."""
    member_of_risky: float = 0.8
    """Member of a group or line, times the group's risk."""
    flagged: float = 0.5
    """The child's own record flags a risk of exploitation."""
    repeat_missing: float = 0.3
    """Missing from home or care more than once in the tracking window: this much times
    1 - 1/2^(n-1) for n episodes (a half for two, three quarters for three...)."""
    no_return_interview: float = 0.15
    """A missing episode in the tracking window with no return interview done (declined, not offered
    or not recorded): the child's reasons for going were never heard."""
    stepped_up: float = 0.3
    """Stepped up on the risk pathway within ``step_days``: a professional judged the risk higher."""
    tracking_days: float = 365.0
    """The window, in days before the analysis date, in which missing episodes count."""
    step_days: float = 180.0
    """How recent a step up on the pathway must be to count."""
    peer_missing: float = 0.3
    """Second step: this share of the evidence of a child they went missing with."""
    peer_associates: float = 0.1
    """Second step: this share of the evidence of a child they associate with."""
    poc_address: float = 0.5
    """The least risk of an address where a person of concern lives (a possible trap house)."""
    min_risky: int = 2
    """A place or group is risky only when at least this many risky people are linked to it."""
    min_place_risk: float = 0.05
    """A place or group whose risk is below this is not counted as risky at all."""
    smoothing: float = 2.0
    """Pseudo-count pulling a place's or group's share towards the overall share."""
    half_life_days: float = 730.0
    """Evidence loses half its weight in this many days before the analysis date."""
    undated: float = 0.8
    """Factor for facts with no date."""
    source_evaluation: tuple[float, float, float] = (1.0, 0.8, 0.5)
    """Factor by source evaluation 1, 2, 3."""
    intelligence_assessment: tuple[float, float, float, float, float] = (1.0, 0.9, 0.75, 0.6, 0.2)
    """Factor by intelligence assessment A-E (E: suspected false)."""
    ungraded: float = 0.7
    """Factor for facts with no grading."""
    corroboration: float = 0.5
    """Each doubling of the sources asserting a fact adds this share of its weight."""
    repeat: float = 0.5
    """Each further piece of evidence of the same kind counts this much of the one before."""
    at_risk_threshold: float = 0.2
    """In hotspot, peer-group and person-of-concern counts, a child not open to services counts as at
    risk when its evidence other than places adds up to at least this."""
    reasons: int = 3
    """How many reasons to keep for each child (the score counts every piece of evidence)."""

    @classmethod
    def load(cls, path: Path) -> Weights:
        """Weights from a TOML or JSON file; unknown names and wrong values are errors naming the file."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, ValueError) as exc:
            raise AnalysisError(f"{path}: cannot read weights: {exc}") from exc
        return cls.load_text(text, path)

    @classmethod
    def load_text(cls, text: str, path: Path | None = None) -> Weights:
        """Weights from the text of a weights file (JSON when ``path`` ends .json, else TOML)."""
        where = str(path) if path is not None else "weights"
        try:
            data = json.loads(text) if path is not None and path.suffix == ".json" else tomllib.loads(text)
        except ValueError as exc:
            raise AnalysisError(f"{where}: cannot read weights: {exc}") from exc
        path = Path(where)
        if isinstance(data, dict) and "weights" in data:
            others = sorted(k for k in data if k != "weights")
            if others:
                raise AnalysisError(f"{path}: {others[0]!r} is outside the [weights] table; put every weight in it")
            data = data["weights"]
        if not isinstance(data, dict):
            raise AnalysisError(f"{path}: the weights must be a table of names and values")
        known = {f.name: f for f in fields(cls)}
        out: dict[str, Any] = {}
        for k, v in data.items():
            if k not in known:
                raise AnalysisError(f"{path}: unknown weight {k!r} (known: {', '.join(sorted(known))})")
            default = getattr(cls(), k)
            if isinstance(default, tuple):
                if not isinstance(v, list) or len(v) != len(default) or not all(is_weight(x) for x in v):
                    raise AnalysisError(f"{path}: {k} must be a list of {len(default)} numbers ≥ 0")
                out[k] = tuple(float(x) for x in v)
            elif not is_weight(v):
                raise AnalysisError(f"{path}: {k} must be a number ≥ 0, not {v!r}")
            elif isinstance(default, int) and v != int(v):
                raise AnalysisError(f"{path}: {k} must be a whole number, not {v!r}")
            else:
                out[k] = int(v) if isinstance(default, int) else float(v)
        return replace(cls(), **out)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def meanings() -> dict[str, str]:
        """What each weight means: the text written under it here, read from this file, as plain
        text (``step_days`` written step_days, as a person reads it in a table).

        >>> Weights.meanings()["flagged"]
        "The child's own record flags a risk of exploitation."
        >>> Weights.meanings()["stepped_up"]
        'Stepped up on the risk pathway within step_days: a professional judged the risk higher.'
        """
        return dict(_MEANINGS or _read_meanings())


_MEANINGS: dict[str, str] = {}


def _read_meanings() -> dict[str, str]:
    """Each field of :class:`Weights` and the string that follows it in this module's source."""
    import ast
    import inspect
    import itertools
    import sys

    tree = ast.parse(inspect.getsource(sys.modules[__name__]))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Weights")
    body = cls.body
    for a, b in itertools.pairwise(body):
        if (
            isinstance(a, ast.AnnAssign)
            and isinstance(a.target, ast.Name)
            and isinstance(b, ast.Expr)
            and isinstance(b.value, ast.Constant)
            and isinstance(b.value.value, str)
        ):
            _MEANINGS.setdefault(a.target.id, unmarked(" ".join(b.value.value.split())))
    return _MEANINGS


_MARKUP = re.compile(r"(?::[\w.]+:)?``?([^`]+)``?")


def unmarked(text: str) -> str:
    """``text`` without its reStructuredText markup of code and references.

    >>> unmarked("within ``step_days``, below :data:`WEIGHT_CEILING`")
    'within step_days, below WEIGHT_CEILING'
    """
    return _MARKUP.sub(r"\1", text)


def is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


WEIGHT_CEILING = 1e6
"""No weight or setting is as large as this: a larger one is a slip, and overflows the scores."""


def is_weight(v: Any) -> bool:
    """A number a weight may be: finite, at least 0, below :data:`WEIGHT_CEILING`.

    >>> [is_weight(x) for x in (0, 0.5, -1, float("nan"), float("inf"), 1e308, True)]
    [True, True, False, False, False, False, False]
    """
    return is_number(v) and math.isfinite(v) and 0 <= v < WEIGHT_CEILING


DEFAULT = Weights()

# reason kinds: the evidence a reason stands for
EXPLOITED_BY = "exploited_by"
ASSOCIATES_POC = "associates_with_poc"
FAMILY_POC = "family_of_poc"
ASSOCIATES_KNOWN = "associates_with_known"
FAMILY_KNOWN = "family_of_known"
MISSING_WITH = "missing_with"
FOUND_AT = "found_at"
FOUND_AWAY = "found_out_of_area"
SEEN_AT = "seen_at"
LIVES_AT = "lives_at"
MEMBER_OF = "member_of"
FLAGGED = "flagged"
PEER = "peer"
REPEAT_MISSING = "repeat_missing"
NO_RETURN_INTERVIEW = "no_return_interview"
STEPPED_UP = "stepped_up"
TRACKED = (REPEAT_MISSING, NO_RETURN_INTERVIEW, STEPPED_UP)
"""The reasons read from tracking records rather than links."""
REASON_KINDS = (
    EXPLOITED_BY,
    ASSOCIATES_POC,
    FAMILY_POC,
    ASSOCIATES_KNOWN,
    FAMILY_KNOWN,
    MISSING_WITH,
    FOUND_AT,
    FOUND_AWAY,
    SEEN_AT,
    LIVES_AT,
    MEMBER_OF,
    FLAGGED,
    PEER,
    *TRACKED,
)
REASON_INDEX = {k: i for i, k in enumerate(REASON_KINDS)}
