"""Name normalisation and matching, shared by every store's search.

>>> normalise_name("  Zoë  O'BRIEN-Smith ")
'zoe o brien smith'
>>> name_score("kyle benson", "kyle bensen") > 0.8
True
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Final

_NON_WORD = re.compile(r"[\W_]+")

_FILLERS = frozenset(
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers: letters to Unicode
    "\u034f\u17b4\u17b5\u180b\u180c\u180d\u180f"  # the combining grapheme joiner, Khmer and Mongolian marks
    + "".join(map(chr, range(0xFE00, 0xFE10)))  # variation selectors
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)
"""Characters outside the format characters that show as nothing: Hangul fillers (letters to
Unicode), and marks that only choose how the letter before them is drawn."""

_UNDECOMPOSED = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ŀ": "l", "ŧ": "t", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d"}
)
"""Latin letters that Unicode does not decompose into a letter and an accent, as the letter written
without it (lower case: names are case-folded first)."""


def unseen(c: str) -> bool:
    """Whether ``c`` shows as nothing: a format character (zero-width spaces and joiners, marks and
    overrides of direction, the soft hyphen, the byte-order mark, tags), a Hangul filler, a variation
    selector or the combining grapheme joiner.

    >>> [unseen(c) for c in "a\u200b\u202e\u00ad\u3164 \u034f\ufe0f"]
    [False, True, True, True, True, False, True, True]
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


_CYRILLIC_LATIN = ("АВЕКМНОРСТХУЅІЈԚԜаеорсухѕіјһԁԛԝӏк", "ABEKMHOPCTXYSIJQWaeopcyxsijhdqwlk")
_GREEK_LATIN = ("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧον", "ABEZHIKMNOPTYXov")
_TO_LATIN: Final = {**dict(zip(*_CYRILLIC_LATIN, strict=True)), **dict(zip(*_GREEK_LATIN, strict=True))}
"""Cyrillic and Greek letters drawn as a Latin letter is, and that letter."""
_FROM_LATIN: Final = {
    "CYRILLIC": {lat: cyr for cyr, lat in zip(*_CYRILLIC_LATIN, strict=True)},
    "GREEK": {lat: gr for gr, lat in zip(*_GREEK_LATIN, strict=True)},
}
"""Latin letters drawn as a Cyrillic or a Greek letter is, and that letter, by script."""
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")

_WORD = re.compile(
    r"(?:[^\W\d_]|[\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0])+"
)
"""A word: letters (with their marks), and what shows as nothing between them."""


def _script(c: str) -> str | None:
    """The script of a letter among Latin, Cyrillic and Greek (None: another, or not a letter)."""
    if c.isascii():
        return "LATIN" if c.isalpha() else None
    name = unicodedata.name(c, "")
    return next((s for s in _SCRIPTS if name.startswith(s)), None) if c.isalpha() else None


def _drawn_as(c: str, table: dict[str, str]) -> str | None:
    """The letter ``table`` gives for ``c``, or for its base letter with its accents kept (Cyrillic
    ё as ë); None when there is none of one character."""
    if c in table:
        return table[c]
    parts = unicodedata.normalize("NFD", c)
    if len(parts) > 1 and parts[0] in table:
        whole = unicodedata.normalize("NFC", table[parts[0]] + parts[1:])
        return whole if len(whole) == 1 else None
    return None


def _main_script(letters: list[tuple[str, str]]) -> str:
    """The script a word of mixed Latin, Cyrillic and Greek letters is written in: the one most of
    its letters that look like no letter of another script are of, else most of all its letters;
    Latin where two are level."""
    votes = {s: 0 for s in _SCRIPTS}
    for c, s in letters:
        if _drawn_as(c, _TO_LATIN) is None and _drawn_as(c, _FROM_LATIN["CYRILLIC"]) is None:
            votes[s] += 1
    if not any(votes.values()):
        for _, s in letters:
            votes[s] += 1
    return max(_SCRIPTS, key=lambda s: votes[s])  # max keeps the first of equals: Latin


_UNACCENTED: Final = {
    "ł": "l",
    "Ł": "L",
    "ø": "o",
    "Ø": "O",
    "đ": "d",
    "Đ": "D",
    "ħ": "h",
    "Ħ": "H",
    "ı": "i",
    "ŧ": "t",
    "Ŧ": "T",
    "ŀ": "l",
    "ð": "d",
    "Ð": "D",
    "ß": "s",
    "æ": "a",
    "Æ": "A",
    "œ": "o",
    "Œ": "O",
    "þ": "t",
    "Þ": "T",
}
"""Latin letters Unicode does not decompose, as a letter A to Z: without its stroke, or the first
letter of what it is written as (ß as s, æ as a, þ as t), one for one so that places stay."""


def plain_letters(text: str) -> str:
    """``text`` with each accented Latin letter written without its accent, one character for one:
    what a reader that knows the letters A to Z reads (Zoë as Zoe, Siân as Sian, Łukasz as
    Lukasz), every other character where it was, so that a place in one text is the same place
    in the other.

    >>> plain_letters("Zoë, Siân, Łukasz, Dmitrij, Дмитрий, Tŷ Helyg")
    'Zoe, Sian, Lukasz, Dmitrij, Дмитрий, Ty Helyg'
    >>> plain_letters("Zoe\u0308"), plain_letters("Nguye\u0302\u0303n"), plain_letters("Weiß, Sæther, Þórir")
    ('Zoe\xad', 'Nguye\xad\xadn', 'Weis, Sather, Torir')
    """
    if text.isascii():
        return text
    out = []
    marked = False  # after a letter A to Z, and any accents written apart after it
    for c in text:
        if c.isascii():
            out.append(c)
            marked = c.isalpha()
        elif c.isalpha():
            out.append(_plain_letter(c))
            marked = out[-1].isascii()
        elif marked and unicodedata.combining(c):
            out.append("\u00ad")  # an accent written apart from its letter: as a soft hyphen, which shows as nothing
        else:
            out.append(c)
            marked = marked and unseen(c)
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def _plain_letter(c: str) -> str:
    base = unicodedata.normalize("NFD", c)[0]
    return base if base.isascii() else _UNACCENTED.get(c, c)


def mixed_scripts(word: str) -> bool:
    """Whether ``word`` holds letters of two or more of Latin, Cyrillic and Greek.

    >>> mixed_scripts("\u0430na"), mixed_scripts("Иван\u03bfв"), mixed_scripts("Дмитрий"), mixed_scripts("Zoë")
    (True, True, False, False)
    """
    if word.isascii():
        return False
    return len({s for c in word if (s := _script(c)) is not None}) > 1


def one_script(text: str) -> str:
    """``text`` with each word that mixes Latin, Cyrillic and Greek letters written in one script:
    a letter of another script drawn as a letter of the word's own (:func:`_main_script`) is written
    as that letter. "Daniel \u041ekafor" (a Cyrillic O) reads as Daniel Okafor; "Сергей \u004fрлов"
    (a Latin O) as Сергей Орлов; a word of one script stays as written. Each character stays one
    character, so a place in one text is the same place in the other; what shows as nothing inside
    a word (a soft hyphen) keeps the word one.

    >>> one_script("Daniel \u041ek\u00adafor, Сергей \u004fрлов, Дмитрий and Zo\u0451")
    'Daniel Ok\xadafor, Сергей Орлов, Дмитрий and Zoë'
    """
    if text.isascii():
        return text

    def word(m: re.Match[str]) -> str:
        w = m.group()
        letters = [(c, s) for c in w if (s := _script(c)) is not None]
        if len({s for _, s in letters}) < 2:
            return w
        main = _main_script(letters)
        table = _TO_LATIN if main == "LATIN" else _FROM_LATIN[main]
        out = []
        for c in w:
            s = _script(c)
            drawn = _drawn_as(c, table) if s is not None and s != main and (main == "LATIN" or s == "LATIN") else None
            out.append(drawn or c)
        return "".join(out)

    return _WORD.sub(word, text)


def normalise_name(text: str) -> str:
    """The form two names are compared in: case-folded, accents and what shows as nothing
    (:func:`unseen`) removed, anything but letters and digits, of any script, to single spaces.

    >>> normalise_name("Kyle Ben\u00adson"), normalise_name("\u202eKyle\u200b Benson")
    ('kyle benson', 'kyle benson')
    >>> normalise_name("Łukasz Øyvind"), normalise_name("محمد علي"), normalise_name("Дмитрий Иванов")
    ('lukasz oyvind', 'محمد علي', 'дмитрии иванов')
    >>> normalise_name("Daniel \u041ek\u00adafor"), normalise_name("Сергей \u004fрлов"), normalise_name("Zo\u0451")
    ('daniel okafor', 'сергеи орлов', 'zoe')
    """
    folded = unicodedata.normalize("NFKD", one_script(text).casefold())
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
    from rapidfuzz import fuzz  # here: what reads a user name or a flag (quoted.py) needs none of it

    whole = fuzz.ratio(query, name) / 100.0
    tokens = fuzz.token_sort_ratio(query, name) / 100.0
    # every word of the query, perhaps misspelt, is a word of the name
    best = [max(fuzz.ratio(q, n) / 100.0 for n in nt) for q in qt]
    words = 0.9 * sum(best) / len(best) if min(best) >= 0.75 else 0.0
    return max(whole, tokens, words)
