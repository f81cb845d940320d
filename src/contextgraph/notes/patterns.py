"""Patterns: compiled once, and matching lower-cased text for the cues looked for most often.

:func:`compiled` keeps each pattern written in a function compiled for the life of the process,
where ``re.search(pattern, ...)`` looks it up in ``re``'s own cache on every call, a cache the
patterns made for each note's names would soon turn over.

Python's ``re`` tries a case-insensitive alternation at every position of the text; the same
pattern without ``re.IGNORECASE`` over text lower-cased once runs about three times as fast, and
each unit of a note is searched by dozens of cues. :func:`lower` keeps every character where it
was, so a position found in the lower-cased text is the same position in the text.

>>> rx = lowered(re.compile(r"\\bcare leavers?\\b|\\bCAMHS\\b", re.I))
>>> text = "Open to CAMHS; a Care Leaver."
>>> [text[m.start() : m.end()] for m in rx.finditer(lower(text))]
['CAMHS', 'Care Leaver']
"""

from __future__ import annotations

import functools
import re

compiled = functools.lru_cache(maxsize=None)(re.compile)
"""``re.compile``, once for each pattern and flags: for patterns written in the code, never for
patterns built from a note's text (each note would add to it for the life of the process)."""

# what keeps its case: an escape ("\\W" is not "\\w") and a group's name
_VERBATIM = re.compile(r"\\.|\(\?P<\w+>|\(\?P=\w+\)", re.DOTALL)


def lowered(rx: re.Pattern[str]) -> re.Pattern[str]:
    """``rx`` (compiled with ``re.IGNORECASE``) for text that :func:`lower` has lower-cased.

    Letters are lower-cased except in escapes and group names.

    >>> lowered(re.compile(r"\\bYP\\W(?P<Code>CIN)", re.I)).pattern
    '\\\\byp\\\\W(?P<Code>cin)'
    """
    if not rx.flags & re.IGNORECASE:
        raise ValueError(f"not a case-insensitive pattern: {rx.pattern[:40]!r}")
    parts: list[str] = []
    at = 0
    for m in _VERBATIM.finditer(rx.pattern):
        parts += [rx.pattern[at : m.start()].lower(), m.group(0)]
        at = m.end()
    parts.append(rx.pattern[at:].lower())
    return re.compile("".join(parts), rx.flags & ~re.IGNORECASE)


def lower(text: str) -> str:
    """``text`` in lower case, each character where it was (a character whose lower case is
    longer, such as "İ", is kept as it is).

    >>> lower("Kestrell İ")
    'kestrell İ'
    """
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
