"""Where each entity is mentioned, unit by unit: the forms of the note's entities found in each
sentence or row, and "the underpass" for the one place whose name ends so.
"""

from __future__ import annotations

import re

from .lexicon import PLACE_HEADS, PRO_TITLES, norm
from .patterns import lower
from .record import Ent, Extraction, Found
from .units import Unit

# --- mentions --------------------------------------------------------------


def _mention_pattern(x: Extraction) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Patterns for the forms of the note's entities in text lower-cased by :func:`lower` (the
    forms are normalised, so lower case too): several words or not a person's, and one word."""
    multi: list[str] = []
    single: list[str] = []
    for key, e in x.index.items():
        if key in x.ambiguous or (key in x.professionals and e.kind in ("child", "person_of_concern")):
            continue
        (multi if " " in key or e.kind not in ("child", "person_of_concern") else single).append(key)
    forms_multi = sorted(multi, key=len, reverse=True)
    forms_single = sorted(single, key=len, reverse=True)

    def alt(forms: list[str]) -> str:
        return "|".join(re.escape(f).replace(r"\ ", r"\s+").replace("'", "['’]") for f in forms) or "(?!x)x"

    return (
        re.compile(rf"(?<![\w])(?:{alt(forms_multi)})(?![\w])"),
        re.compile(rf"(?<![\w])(?:{alt(forms_single)})(?![\w])"),
    )


_HEAD_WORD = re.compile(rf"\s{PLACE_HEADS}$")


def _places_by_head(x: Extraction) -> dict[str, Ent]:
    """The head words ("underpass", "allotments", "lodge") that only one place of the note ends with."""
    got: dict[str, list[Ent]] = {}
    for e in x.entities:
        if e.kind == "location":
            for form in {e.name.split(",")[0], *e.forms}:
                m = _HEAD_WORD.search(form)
                if m is not None:
                    key = m.group(0).strip().lower()
                    if e not in got.setdefault(key, []):
                        got[key].append(e)
    return {k: v[0] for k, v in got.items() if len(v) == 1 and k not in _TOO_GENERIC_HEADS}


# head words that name too many places of one kind for "the ..." to point at one named before
_TOO_GENERIC_HEADS = frozenset({"house", "flats", "shops", "store", "stores", "bar", "club", "services", "station"})


_TITLE_BEFORE = re.compile(rf"\b{PRO_TITLES}\.?\s*$")


def _find_mentions(x: Extraction, units: list[Unit]) -> None:
    multi, single = _mention_pattern(x)
    # "the underpass" after "Cooper's Way underpass": the one place of the note with that head word
    by_head = _places_by_head(x)
    heads = (
        re.compile(r"\bthe\s+(" + "|".join(re.escape(k) for k in sorted(by_head, key=len, reverse=True)) + r")\b")
        if by_head
        else None
    )
    typed_lower = x.note.lowercase
    for u in units:
        found: list[Found] = []
        # the characters a mention holds already, one flag each: a sentence naming thousands took
        # a look at every mention before it for each new one
        taken = bytearray(len(low := lower(u.text)) + 1)
        for pat in (multi, single):
            for m in pat.finditer(low):
                if any(taken[m.start() : m.end()]):
                    continue
                surface = u.text[m.start() : m.end()]
                key = norm(surface)
                e = x.index.get(key)
                if e is None:
                    continue
                if e.kind in ("child", "person_of_concern") and " " not in key and not typed_lower:
                    # single-word person forms must be written as names: "Tolley", "KAI", not "kai"
                    if not surface[0].isupper():
                        continue
                    if (
                        surface.isupper()
                        and len(surface) <= 3
                        and surface not in e.forms
                        and not (e.defined and surface == e.name)
                    ):
                        continue
                    before = u.text[max(0, m.start() - 12) : m.start()]
                    if _TITLE_BEFORE.search(before):
                        continue
                found.append(Found(m.start(), m.end(), e))
                taken[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
        if heads is not None and "the " in low:
            for m in heads.finditer(low):
                if not any(taken[m.start() : m.end()]):
                    found.append(Found(m.start(), m.end(), by_head[m.group(1).lower()]))
                    taken[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
        found.sort(key=lambda f: f.start)
        x.mentions[id(u)] = found
