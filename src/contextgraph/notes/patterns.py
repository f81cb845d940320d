"""Patterns: compiled once, and matching lower-cased text for the cues looked for most often.

:func:`compiled` keeps each pattern written in a function compiled for the life of the process,
where ``re.search(pattern, ...)`` looks it up in ``re``'s own cache on every call, a cache the
patterns made for each note's names would soon turn over.

Python's ``re`` tries a case-insensitive alternation at every position of the text; the same
pattern without ``re.IGNORECASE`` over text lower-cased once runs about three times as fast, and
each unit of a note is searched by dozens of cues. :func:`lower` keeps every character where it
was, so a position found in the lower-cased text is the same position in the text.

``re`` also skips quickly over characters no match can begin with, but only when every branch of
the pattern begins with a plain character; a branch that begins with ``\\b`` turns that off.
:func:`lowered` therefore writes ``\\bcare`` as ``c(?<!\\w.)are``: the same test (no word character
before the "c"), made after the first character instead of before it.

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
    'y(?<!\\\\w.)p\\\\W(?P<Code>cin)'
    """
    if not rx.flags & re.IGNORECASE:
        raise ValueError(f"not a case-insensitive pattern: {rx.pattern[:40]!r}")
    parts: list[str] = []
    at = 0
    for m in _VERBATIM.finditer(rx.pattern):
        parts += [rx.pattern[at : m.start()].lower(), m.group(0)]
        at = m.end()
    parts.append(rx.pattern[at:].lower())
    return re.compile(boundary_after_first("".join(parts)), rx.flags & ~re.IGNORECASE)


def _branches(pattern: str, start: int = 0) -> tuple[list[tuple[int, int]], int]:
    """The spans of the branches from ``start`` to the end of the group ``start`` is in (or of the
    pattern), and where that group closes (the index of its ")", or the pattern's length)."""
    spans: list[tuple[int, int]] = []
    depth, at, i = 0, start, start
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i += 2 if pattern[i + 1 : i + 2] == "]" else 1  # "[]...]": the first "]" is a character
            while i < len(pattern) and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
        elif c == "(":
            depth += 1
        elif c == ")":
            if depth == 0:
                break
            depth -= 1
        elif c == "|" and depth == 0:
            spans.append((at, i))
            at = i + 1
        i += 1
    spans.append((at, i))
    return spans, i


_LEADING_BOUNDARY = re.compile(r"\\b([A-Za-z0-9])(?![?*+{])")


def boundary_after_first(pattern: str) -> str:
    """``pattern`` with each top-level branch's leading ``\\b`` before a letter or digit tested after
    that character instead; the same matches. (Only at the top: spread into a group's branches, the
    tests cost more than the skipping saves.)

    >>> boundary_after_first(r"\\bcsc\\b|social care|\\b(?:cin|cp)\\b")
    'c(?<!\\\\w.)sc\\\\b|social care|\\\\b(?:cin|cp)\\\\b'
    """

    def branch(alt: str) -> str:
        m = _LEADING_BOUNDARY.match(alt)
        return alt if m is None else m.group(1) + r"(?<!\w.)" + alt[m.end() :]

    return "|".join(branch(pattern[a:b]) for a, b in _branches(pattern)[0])


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
