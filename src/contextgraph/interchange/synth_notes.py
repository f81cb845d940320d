"""A generated area told as meeting notes, for measuring the ranking on what notes give.

Every relationship of a :class:`~.synth.Synthetic` area carries the record it came from (its
``source_ref``: a kind of meeting, a locality and a day). Here each record becomes a note of that
meeting — a MACE or locality group's minutes, an intelligence summary or a return interview —
that says its facts in words, by name, as minutes do: a few ways of saying each kind of link,
persons of concern sometimes by their nickname, children sometimes by first name once named.
Some facts are not written at all (``drop``): notes are sparse. Reading them back goes through the
whole extraction and ingest, with whatever it misses, mistakes or keeps apart, which is the point:
the ranking is then measured on the graph a team would have built from its notes, not on the
generator's clean records.

>>> from contextgraph.interchange.synth import generate
>>> written = notes(generate(children=60, seed=1), seed=1)
>>> name, text = written[0]
>>> name.endswith(".md") and text.startswith("# ")
True
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .synth import Synthetic

MEETINGS = {
    "mace": "MACE meeting",
    "log": "Locality Operational Group",
    "intel": "Intelligence summary",
    "rhi": "Return home interview",
}
SERVICES = {
    "EXPLOITATION_TEAM": ("the SAFE team", "the exploitation team"),
    "CSC": ("children's social care", "CSC"),
    "EARLY_HELP": ("early help",),
    "CAMHS": ("CAMHS",),
    "YJS": ("the YJS", "the youth justice service"),
}

Say = Callable[[str, str], str]

SAYINGS: dict[str, tuple[Say, ...]] = {
    "SEEN_AT": (
        lambda a, b: f"{a} was seen at {b}.",
        lambda a, b: f"{a} has been hanging around {b}.",
        lambda a, b: f"{a} is frequenting {b}.",
    ),
    "FOUND_AT": (
        lambda a, b: f"{a} went missing and was found at {b}.",
        lambda a, b: f"After going missing, {a} was located at {b}.",
    ),
    "LIVES_AT": (
        lambda a, b: f"{a} lives at {b}.",
        lambda a, b: f"{a}'s home address is {b}.",
    ),
    "ATTENDS": (
        lambda a, b: f"{a} attends {b}.",
        lambda a, b: f"{a} is on roll at {b}.",
    ),
    "MEMBER_OF": (
        lambda a, b: f"{a} is believed to be running for the {b}.",
        lambda a, b: f"{a} is a member of the {b}.",
    ),
    "ASSOCIATES_WITH": (
        lambda a, b: f"{a} has been seen with {b}.",
        lambda a, b: f"{a} is associating with {b}.",
        lambda a, b: f"{a} and {b} are friends and are often together.",
    ),
    "MISSING_WITH": (
        lambda a, b: f"{a} went missing with {b}.",
        lambda a, b: f"{a} and {b} were reported missing together.",
    ),
    "FAMILY_OF": (
        lambda a, b: f"{a} and {b} are siblings.",
        lambda a, b: f"{a} is the cousin of {b}.",
    ),
    "EXPLOITS": (
        lambda a, b: f"{a} is believed to be exploiting {b}.",
        lambda a, b: f"Intelligence suggests {a} is grooming {b}.",
        lambda a, b: f"{a} is running {b} for the line.",
    ),
}


def notes(data: Synthetic, seed: int = 0, drop: float = 0.15) -> list[tuple[str, str]]:
    """Each record of ``data`` as a note: (file name, text); ``drop`` of the facts are left unsaid."""
    from .synth import AREA

    rng = random.Random(f"notes-{seed}")
    ents = {e["id"]: e for e in data.entities}
    said: dict[str, set[str]] = {}  # note -> people already named in full
    by_ref: dict[str, list[dict[str, Any]]] = {}
    for r in data.relationships:
        by_ref.setdefault(r["source_ref"], []).append(r)
    out = []
    for ref in sorted(by_ref):
        kind, loc, day = _ref(ref)
        lines = []
        named = said.setdefault(ref, set())
        for r in by_ref[ref]:
            if rng.random() < drop:
                continue
            a, b = ents[r["source"]], ents[r["target"]]
            if r["type"] == "OPEN_TO":
                lines.append(f"{_name(a, named, rng)} is open to {rng.choice(SERVICES[b['name']])}.")
                continue
            sentence = rng.choice(SAYINGS[r["type"]])(_name(a, named, rng), _name(b, named, rng))
            when = r.get("date")
            if when and when != day and rng.random() < 0.5:
                sentence = sentence[:-1] + f" on {_long(when)}."
            lines.append(sentence)
        if not lines:
            continue
        head = f"# {loc.title() if loc != 'all' else AREA} {MEETINGS[kind]}\n\nDate: {_long(day)}\n\n"
        body = "\n".join(f"- {x}" for x in lines) if kind in ("mace", "log") else " ".join(lines)
        out.append((f"{ref}.md", head + "## Discussion\n\n" + body + "\n"))
    return out


_LISTED = re.compile(r"^(.+), (.+?) \(\d+\)$")


def _name(e: dict[str, Any], named: set[str], rng: random.Random) -> str:
    """How a note names ``e``: in full the first time; a child later often by first name, a
    person of concern sometimes by a nickname in quotes; a place as people name it, by its street
    (the generator's ``skate park, Market Street (3)`` is ``Market Street Skate Park``, whichever of
    that street's skate parks it is)."""
    name = str(e["name"])
    kind = e["kind"]
    listed = _LISTED.match(name) if kind == "location" else None
    if listed:
        what, street = listed.groups()
        return f"{street} {' '.join(w[:1].upper() + w[1:] for w in what.split())}"
    if kind == "person_of_concern" and e.get("aliases"):
        nick = e["aliases"][0]
        if e["id"] not in named:
            named.add(e["id"])
            return f'{name} ("{nick}")' if rng.random() < 0.5 else name
        return nick if rng.random() < 0.4 else name
    if kind == "child":
        if e["id"] in named and rng.random() < 0.5:
            return name.split()[0]
        named.add(e["id"])
    return name


def _ref(ref: str) -> tuple[str, str, str]:
    """A generated record's kind, locality and ISO day: ``mace-north-2024-03-07``."""
    kind, loc, rest = ref.split("-", 2)
    return kind, loc, rest


def _long(day: str) -> str:
    d = date.fromisoformat(day)
    return f"{d.day} {d.strftime('%B')} {d.year}"
