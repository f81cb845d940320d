"""Gradings: the 3x5x2 intelligence grading (and a legacy 5x5x5 kept as given), its strength,
and the handling code it puts a statement under."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ..errors import BadInput

SOURCE_EVALUATIONS: Final[dict[str, str]] = {
    "1": "reliable",
    "2": "untested",
    "3": "not reliable",
}
INTELLIGENCE_ASSESSMENTS: Final[dict[str, str]] = {
    "A": "known directly",
    "B": "known indirectly, corroborated",
    "C": "known indirectly",
    "D": "not known",
    "E": "suspected false",
}
HANDLING_CODES: Final[dict[str, str]] = {
    "P": "lawful sharing permitted",
    "C": "lawful sharing permitted with conditions",
}

_G3 = re.compile(r"^\s*([123])\s*[/\-. ]?\s*([A-Ea-e])\s*[/\-. ]?\s*([PCpc])\s*$")
_G5 = re.compile(r"^\s*([A-Ea-e])\s*[/\-. ]?\s*([1-5])\s*[/\-. ]?\s*([1-5])\s*$")


class GradingError(BadInput):
    pass


@dataclass(frozen=True)
class Grading:
    """An intelligence grading: 3x5x2, or a legacy 5x5x5 kept as given.

    >>> Grading.parse("1b/p")
    Grading(system='3x5x2', text='1B P', source='1', intelligence='B', handling='P')
    >>> Grading.parse("B24").system
    '5x5x5'
    >>> Grading.parse("1B P").rank < Grading.parse("2C P").rank
    True
    """

    system: str
    text: str
    source: str
    intelligence: str
    handling: str

    @classmethod
    def parse(cls, value: str) -> Grading:
        m = _G3.match(value)
        if m:
            s, i, h = m.group(1), m.group(2).upper(), m.group(3).upper()
            return cls("3x5x2", f"{s}{i} {h}", s, i, h)
        m = _G5.match(value)
        if m:
            # Legacy 5x5x5: source A-E, intelligence 1-5, handling 1-5. Kept as given.
            return cls("5x5x5", value.strip(), m.group(1).upper(), m.group(2), m.group(3))
        raise GradingError(f"not a grading: {value!r} (expected 3x5x2 such as '1B P', or a legacy 5x5x5 such as 'B24')")

    @property
    def rank(self) -> tuple[int, int]:
        """Lower is stronger: source reliability, then how directly it is known."""
        if self.system == "3x5x2":
            return (int(self.source), "ABCDE".index(self.intelligence))
        # Legacy: A/B reliable, C untested, D/E unreliable; 1-2 known, 3 indirectly, 4-5 not known.
        src = {"A": 1, "B": 1, "C": 2, "D": 3, "E": 3}[self.source]
        intel = {"1": 0, "2": 1, "3": 2, "4": 3, "5": 4}[self.intelligence]
        return (src, intel)

    @property
    def conditional(self) -> bool:
        """Whether sharing carries conditions (handling code C, or legacy handling 2-5)."""
        return self.handling != "P" if self.system == "3x5x2" else self.handling != "1"

    def describe(self) -> str:
        if self.system != "3x5x2":
            return f"legacy grading {self.text}"
        return (
            f"source {SOURCE_EVALUATIONS[self.source]}, "
            f"{INTELLIGENCE_ASSESSMENTS[self.intelligence]}, "
            f"{HANDLING_CODES[self.handling]}"
        )


_GRADINGS: dict[str, str] = {}


def normalise_grading(value: str | None) -> str | None:
    """The canonical text of a grading, or None.

    >>> normalise_grading(" 2c c ")
    '2C C'
    """
    if value is None or value == "":
        return None
    got = _GRADINGS.get(value)
    if got is None:
        got = Grading.parse(value).text
        if len(_GRADINGS) < 10_000:
            _GRADINGS[value] = got
    return got


def strongest_grading(values: list[str | None]) -> str | None:
    """The strongest of several gradings (see :attr:`Grading.rank`).

    >>> strongest_grading(["2C P", None, "1B C"])
    '1B C'
    """
    texts = {v for v in values if v}
    if len(texts) <= 1:
        return texts.pop() if texts else None
    return min((Grading.parse(v) for v in texts), key=lambda g: (g.rank, g.text)).text


GRADE_CODES: Final[tuple[str | None, ...]] = (
    None,
    *(f"{s}{i}" for s in SOURCE_EVALUATIONS for i in INTELLIGENCE_ASSESSMENTS),
)
"""A grading's strength in compact projections: 0 ungraded, else ``1 + 5 × (source - 1) + assessment``.

Only the rank is coded (``"1B"``); the handling code is not needed to weigh evidence.
"""


def grade_code(value: str | None) -> int:
    """The compact code of a grading's rank (0 when ungraded).

    >>> grade_code("1B P"), grade_code("B24"), grade_code(None)
    (2, 2, 0)
    >>> GRADE_CODES[grade_code("3E C")]
    '3E'
    """
    if not value:
        return 0
    got = _GRADE_CODE.get(value)
    if got is None:
        s, i = Grading.parse(value).rank
        got = 1 + 5 * (s - 1) + i
        if len(_GRADE_CODE) < 10_000:
            _GRADE_CODE[value] = got
    return got


_GRADE_CODE: dict[str, int] = {}


def handling_code(grading: str | None) -> str:
    """The handling code a grading puts a statement under: ``C`` when sharing has conditions,
    else ``P`` (an ungraded statement counts as P).

    >>> handling_code("1B C"), handling_code("B24"), handling_code(None)
    ('C', 'C', 'P')
    """
    return "C" if grading and Grading.parse(grading).conditional else "P"
