"""Where each unit's characters are in the note's text, so that a fact can point at the words it
was read from.
"""

from __future__ import annotations

from .patterns import compiled as _rx
from .units import Unit

_MAX_SKIP = 400
"""The most characters of the note passed over between two characters of a unit (markup, a
link's target) before the unit is taken as not found."""


def unit_offsets(text: str, units: list[Unit]) -> dict[int, list[int]]:
    """Where each unit's characters are in the note's ``text``, as read (``id(unit)`` -> the offset
    of each character, -1 for a space the unit adds, e.g. between a paragraph's lines or a row's
    cells). Units are read from the text by dropping markup and joining lines, so each unit's
    characters appear in order in the text from its line on; a unit not found so has no entry.
    Offsets count characters (Unicode code points) of ``text`` exactly as given.

    >>> note = "# MACE\\n\\n- **Tolley** seen at\\n  the Rec. With [Jo](http://x)."
    >>> units = [Unit("Tolley seen at the Rec.", 2, None, "bullet"), Unit("With Jo.", 2, None, "bullet")]
    >>> offs = unit_offsets(note, units)
    >>> [note[offs[id(u)][0] : offs[id(u)][-1] + 1] for u in units]
    ['Tolley** seen at\\n  the Rec.', 'With [Jo](http://x).']
    """
    starts = [0]
    starts.extend(m.end() for m in _rx("\n").finditer(text))
    out: dict[int, list[int]] = {}
    cursor = 0
    for u in units:
        t = u.text
        if not t:
            continue
        pos = max(cursor, starts[u.line] if u.line < len(starts) else len(text))
        first = t.lstrip()
        j0 = text.find(first[:1], pos) if first else -1
        if j0 < 0 or j0 - pos > _MAX_SKIP:
            continue
        lead = len(t) - len(first)
        if text.startswith(first, j0):  # as written: one offset after another
            offs: list[int] | None = [-1] * lead + list(range(j0, j0 + len(first)))
        elif u.kind == "row":  # cell by cell: the " | " between cells is the unit's own
            offs = _row_aligned(text, t, pos)
        else:
            offs = _aligned(text, t, pos)
        if offs is None:
            continue
        out[id(u)] = offs
        cursor = max(offs) + 1  # an aligned unit has at least one character in the text
    return out


def _aligned(text: str, unit: str, pos: int) -> list[int] | None:
    """Each character of ``unit`` at its first place in ``text`` after the one before (from ``pos``);
    spaces of the unit match the text's spaces, or nothing. None when a character is not found."""
    offs: list[int] = []
    j = pos
    for c in unit:
        if c.isspace():
            if j < len(text) and text[j].isspace():
                offs.append(j)
                j += 1
                while j < len(text) and text[j].isspace():
                    j += 1
            else:
                offs.append(-1)
            continue
        k = text.find(c, j)
        if k < 0 or k - j > _MAX_SKIP:
            return None
        offs.append(k)
        j = k + 1
    return offs if any(o >= 0 for o in offs) else None


def _row_aligned(text: str, row: str, pos: int) -> list[int] | None:
    offs: list[int] = []
    j = pos
    for n, cell in enumerate(row.split(" | ")):
        if n:
            offs.extend([-1, -1, -1])
        got = _aligned(text, cell, j) if cell else []
        if got is None:
            return None
        offs.extend(got)
        j = max([j - 1, *got]) + 1
    return offs if any(o >= 0 for o in offs) else None


def span_of(offsets: list[int], start: int, end: int) -> tuple[int, int] | None:
    """The span of the note's text that characters ``start:end`` of a unit come from (None if
    they are all added spaces)."""
    part = offsets[start:end]
    first = next((o for o in part if o >= 0), -1)
    if first < 0:
        return None
    last = next(o for o in reversed(part) if o >= 0)
    return (first, last + 1)
