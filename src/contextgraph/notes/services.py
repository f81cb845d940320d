"""Services: which a text says a child is open to now, and the local names a meeting gives them
("Compass, the exploitation team").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .lexicon import _ANY_SERVICE, _ONE_SERVICE, _SERVICE_NEG, _SERVICE_POS, _SERVICE_RE, _SERVICE_WORD, SERVICE_CUES
from .patterns import compiled as _rx
from .patterns import lower, lowered


def _clauses(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    start = 0
    for m in _rx(r"[;,]|\s(?:but|and not|although|though|whereas)\s|\(|\)|\.\s").finditer(text):
        out.append((start, text[start : m.start()]))
        start = m.end()
    out.append((start, text[start:]))
    return out


# --- services known by a local name ---------------------------------------------
# "Compass (the exploitation team)", "Compass, the county's exploitation service", "Compass complex
# safeguarding team", "Compass is the council's exploitation team": the name stands for that service
_DESCRIPTION = r"(?:the\s+)?"
_LOCAL_NAME = r"(?P<name>[A-Z](?<![\w'’-].)[A-Za-z]{2,}(?:\s+[A-Z][A-Za-z]{2,})?)"
_LOCAL_DEFINITIONS = (
    re.compile(_LOCAL_NAME + r"\s*\(\s*(?P<desc>" + _DESCRIPTION + r"[^()\n]{2,50}?)\s*\)"),
    re.compile(_LOCAL_NAME + r",\s+(?P<desc>" + _DESCRIPTION + r"[^,;.()\n]{2,50}?)\s*(?=[,;.)\n]|$)"),
    re.compile(_LOCAL_NAME + r"\s+(?:is|are)\s+(?P<desc>" + _DESCRIPTION + r"[^,;.()\n]{2,50}?)\s*(?=[,;.)\n]|$)"),
    re.compile(
        _LOCAL_NAME + r"\s+(?P<desc>(?i:" + "|".join(f"(?:{c})" for c in SERVICE_CUES.values()) + r"))"
        r"\s+(?i:team|service|hub|unit)\b"
    ),
)
# the description is a service and nothing else: its cue, and words for the kind of body it is
_FILLER = frozenset(
    re.findall(r"\S+", "the a our local specialist new own county council area force countywide team service hub unit")
)
_ROLE_WORDS = re.compile(
    r"\b(?:worker|adviser|advisor|practitioner|SW|officer|manager|lead|nurse|chair|coordinator|DSL)\b", re.I
)
_NOT_LOCAL_NAMES = frozenset(
    re.findall(
        r"\S+",
        "the a an and or but with to of for in on at by from open known police school academy college council county "
        "city borough north south east west central children childrens young youth family early social care team "
        "service services hub unit",
    )
)


def local_services(text: str) -> dict[str, str]:
    """Services the text names locally, with the code each stands for: ``{"compass": "EXPLOITATION_TEAM"}``.

    A name counts when the text defines it by a description that is one service's cue and nothing
    more ("Compass (the exploitation team)"); a name defined as two different services counts as none.

    >>> local_services("Abby Townend (Compass complex safeguarding team). Open to Compass.")
    {'compass': 'EXPLOITATION_TEAM'}
    >>> local_services("Kestrell is open to Beacon, the county's exploitation service.")
    {'beacon': 'EXPLOITATION_TEAM'}
    >>> local_services("Seen at Dockside Rec (the skate park) with Crabbe (14).")
    {}
    """
    if not _SERVICE_WORD.search(text.lower()):
        return {}
    got: dict[str, str] = {}
    clash: set[str] = set()
    for rx in _LOCAL_DEFINITIONS:
        for m in rx.finditer(text):
            name = m.group("name")
            key = " ".join(name.lower().split())
            if set(key.split()) & _NOT_LOCAL_NAMES or _ANY_SERVICE.fullmatch(name):
                continue
            desc = m.group("desc")
            if _rx(r"[A-Z][\w'’-]*\s+$").search(text[max(0, m.start() - 30) : m.start()]):
                continue  # "Leaving Care Team": part of a longer name
            if rx is not _LOCAL_DEFINITIONS[-1] and desc[:1].isupper() and not desc.lower().startswith("the "):
                continue  # "(Compass complex safeguarding team)": a name, not a description
            if _ROLE_WORDS.search(desc):
                continue  # "Daniel Reyes (social worker)": a person's role
            codes = sorted({code for code, crx in _SERVICE_RE.items() if crx.search(desc)})
            rest = _ANY_SERVICE.sub(" ", desc).lower()
            if len(codes) != 1 or not all(w in _FILLER or w.endswith(("'s", "’s")) for w in rest.split()):
                continue
            if got.get(key, codes[0]) != codes[0]:
                clash.add(key)
            got[key] = codes[0]
    return {k: v for k, v in sorted(got.items()) if k not in clash}


def learn_services(texts: Iterable[str]) -> dict[str, str]:
    """The local service names that notes read together define (:func:`local_services`), for every one of them.

    A meeting may say once what "Compass" is and use the name alone in every other note; a name that
    notes define as two different services counts as none.

    >>> learn_services(["Abby (Compass, the exploitation team)", "Open to Compass."])
    {'compass': 'EXPLOITATION_TEAM'}
    """
    got: dict[str, str] = {}
    clash: set[str] = set()
    for text in texts:
        for key, code in local_services(text).items():
            if got.setdefault(key, code) != code:
                clash.add(key)
    return {k: v for k, v in sorted(got.items()) if k not in clash}


LocalServices = tuple[tuple[re.Pattern[str], str], ...]


def compile_local_services(names: dict[str, str]) -> LocalServices:
    """Patterns for local service names, longest first, matched case-insensitively as whole words."""
    return tuple(
        (re.compile(r"(?<![\w'’-])" + r"\s+".join(map(re.escape, k.split())) + r"(?![\w-])", re.IGNORECASE), code)
        for k, code in sorted(names.items(), key=lambda kv: (-len(kv[0]), kv[0]))
    )


_LOW_ANY_SERVICE, _LOW_SERVICE_NEG, _LOW_SERVICE_POS, _LOW_ONE_SERVICE = map(
    lowered, (_ANY_SERVICE, _SERVICE_NEG, _SERVICE_POS, _ONE_SERVICE)
)
_LOW_SERVICE_RE = {code: lowered(rx) for code, rx in _SERVICE_RE.items()}
_LOW_STILL_OPEN = lowered(re.compile(r"\b(open|allocated|now|currently|but)\b", re.I))


def _services(text: str, positive_context: bool, local: LocalServices = ()) -> list[tuple[int, str]]:
    """Services the text says a child is open to now, with their positions."""
    got: list[tuple[int, str]] = []
    named_locally = [(rx, code) for rx, code in local if rx.search(text)]
    low = lower(text)
    if not named_locally and (not _SERVICE_WORD.search(low) or not _LOW_ANY_SERVICE.search(low)):
        return got
    carried = False  # "never known to CSC, YJS, early help or CAMHS": the list shares the negation
    for start, clause in _clauses(text):
        low_clause = low[start : start + len(clause)]
        negative = bool(_LOW_SERVICE_NEG.search(low_clause))
        if negative:
            carried = True
        elif _LOW_STILL_OPEN.search(low_clause) or not clause.strip():
            carried = False
        negative = negative or carried
        if negative:
            continue
        found = sorted(
            (_CODE_ORDER[code], start + m.start(), code)
            for m in _LOW_ONE_SERVICE.finditer(low_clause)
            for code in _codes_at(low_clause, m)
        )
        if named_locally:
            found = sorted(
                found + [(_CODE_ORDER[c], start + m.start(), c) for rx, c in named_locally for m in rx.finditer(clause)]
            )
        if found and (positive_context or _LOW_SERVICE_POS.search(low_clause) or _LOW_SERVICE_POS.search(low[:start])):
            got.extend((pos, code) for _, pos, code in found)
    return got


_CODE_ORDER = {code: i for i, code in enumerate(SERVICE_CUES)}


def named_services(text: str, local: LocalServices = ()) -> list[str]:
    """The services ``text`` names, in order, whatever it says of them (referred to, stepped down
    to, closed by), local names included.

    >>> named_services("referred to CSC, then stepped down to early help")
    ['CSC', 'EARLY_HELP']
    """
    low = lower(text)
    found = [(m.start(), code) for m in _LOW_ONE_SERVICE.finditer(low) for code in _codes_at(low, m)]
    found += [(m.start(), code) for rx, code in local for m in rx.finditer(text)]
    return [code for _, code in sorted(found)]


def _codes_at(clause: str, m: re.Match[str]) -> list[str]:
    """The services whose cue matches where ``m`` does (one alternation reports only the first), in a
    lower-cased clause."""
    assert m.lastgroup is not None
    codes = [m.lastgroup]
    for code, rx in _LOW_SERVICE_RE.items():
        if code != m.lastgroup and rx.match(clause, m.start()):
            codes.append(code)
    return codes
