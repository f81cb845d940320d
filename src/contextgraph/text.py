"""Name normalisation and matching, shared by every store's search.

>>> normalise_name("  Zoë  O'BRIEN-Smith ")
'zoe o brien smith'
>>> name_score("kyle benson", "kyle bensen") > 0.8
True
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from rapidfuzz import fuzz

_NON_WORD = re.compile(r"[\W_]+")

_FILLERS = frozenset("\u115f\u1160\u3164\uffa0")
"""Hangul fillers: letters to Unicode that show as nothing."""

_UNDECOMPOSED = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ŀ": "l", "ŧ": "t", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d"}
)
"""Latin letters that Unicode does not decompose into a letter and an accent, as the letter written
without it (lower case: names are case-folded first)."""


def unseen(c: str) -> bool:
    """Whether ``c`` shows as nothing: a format character (zero-width spaces and joiners, marks and
    overrides of direction, the soft hyphen, the byte-order mark, tags) or a Hangul filler.

    >>> [unseen(c) for c in "a\u200b\u202e\u00ad\u3164 "]
    [False, True, True, True, True, False]
    """
    return unicodedata.category(c) == "Cf" or c in _FILLERS


_JOINERS = frozenset("\u200c\u200d")
"""The zero-width non-joiner and joiner: part of how words of some scripts are written (Persian,
the scripts of India), and nothing in a Latin word."""


def shown_text(text: str) -> str:
    """``text`` as it shows: what shows as nothing (:func:`unseen`) left out, as text copied from a
    word processor or a PDF holds it (a soft hyphen in "Ben\u00adson", a zero-width space); a joiner
    or non-joiner after a letter of a script other than Latin stays, since that script needs it.

    >>> shown_text("Kyle Ben\u00adson and Tyler\u200b Marsh at Carrow\u2060 Park\ufeff")
    'Kyle Benson and Tyler Marsh at Carrow Park'
    >>> shown_text("\u0645\u06cc\u200c\u062e\u0648\u0627\u0645") == "\u0645\u06cc\u200c\u062e\u0648\u0627\u0645"
    True
    """
    if text.isascii():
        return text
    out = []
    before = ""
    for c in text:
        if unseen(c) and not (c in _JOINERS and before.isalpha() and not before.isascii() and _non_latin(before)):
            continue
        out.append(c)
        before = c
    return "".join(out)


def _non_latin(c: str) -> bool:
    return not unicodedata.name(c, "").startswith("LATIN")


_LOOKALIKES: Final = str.maketrans(
    "АВЕКМНОРСТХУЅІЈԚԜаеорсухѕіјһԁԛԝӏΑΒΕΖΗΙΚΜΝΟΡΤΥΧον",
    "ABEKMHOPCTXYSIJQWaeopcyxsijhdqwlABEZHIKMNOPTYXov",
)
"""Cyrillic and Greek letters drawn as a Latin letter is, and that letter."""

_WORD = re.compile(r"\w+")


def latin_lookalikes(text: str) -> str:
    """``text`` with each Cyrillic or Greek letter drawn as a Latin one written as that Latin
    letter, in a word that also holds a Latin letter: "Daniel \u041ekafor" (a Cyrillic O) reads as
    Daniel Okafor does. A word of one script (Дмитрий, Οδυσσέας) stays as written; the length stays,
    so a place in one is the same place in the other.

    >>> latin_lookalikes("Daniel \u041ekafor and Дмитрий")
    'Daniel Okafor and Дмитрий'
    """
    if text.isascii():
        return text

    def word(m: re.Match[str]) -> str:
        w = m.group()
        if w.isascii() or not any(c.isascii() and c.isalpha() for c in w):
            return w
        return w.translate(_LOOKALIKES)

    return _WORD.sub(word, text)


def normalise_name(text: str) -> str:
    """The form two names are compared in: case-folded, accents and what shows as nothing
    (:func:`unseen`) removed, anything but letters and digits, of any script, to single spaces.

    >>> normalise_name("Kyle Ben\u00adson"), normalise_name("\u202eKyle\u200b Benson")
    ('kyle benson', 'kyle benson')
    >>> normalise_name("Łukasz Øyvind"), normalise_name("محمد علي"), normalise_name("Дмитрий Иванов")
    ('lukasz oyvind', 'محمد علي', 'дмитрии иванов')
    >>> normalise_name("Daniel \u041ekafor")
    'daniel okafor'
    """
    folded = unicodedata.normalize("NFKD", latin_lookalikes(text).casefold())
    kept = "".join(c for c in folded if not unicodedata.combining(c) and not unseen(c)).translate(_UNDECOMPOSED)
    return _NON_WORD.sub(" ", kept).strip()


def name_score(query: str, name: str) -> float:
    """How well a normalised query names a normalised name, in [0, 1].

    1.0 for the same text; 0.95 for the same words in another order; 0.9 when
    every word of the query is a word of the name (``"kyle"`` for ``"kyle
    benson"``); otherwise edit-distance similarity of the whole, or of each
    query word to its nearest word of the name, forgiving a letter or two.

    >>> name_score("kyle", "kyle benson")
    0.9
    >>> round(name_score("benson kyle", "kyle benson"), 2)
    0.95
    >>> round(name_score("carow park", "carrow park skate area"), 2)
    0.86
    """
    if not query or not name:
        return 0.0
    if query == name:
        return 1.0
    qt, nt = query.split(), name.split()
    if qt == nt[: len(qt)] or all(t in nt for t in qt):
        return 0.95 if sorted(qt) == sorted(nt) else 0.9
    whole = fuzz.ratio(query, name) / 100.0
    tokens = fuzz.token_sort_ratio(query, name) / 100.0
    # every word of the query, perhaps misspelt, is a word of the name
    best = [max(fuzz.ratio(q, n) / 100.0 for n in nt) for q in qt]
    words = 0.9 * sum(best) / len(best) if min(best) >= 0.75 else 0.0
    return max(whole, tokens, words)
