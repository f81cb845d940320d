"""Offline, deterministic extraction of entities and relationships from one note.

Rules, not a model: the note's structure (:mod:`contextgraph.notes.parse`), the
conventions of police and social-care writing (SURNAME in capitals, aka and
quoted nicknames, initials, ages in brackets, 3x5x2 gradings), lexicons of
place, school and group words, and cue words for each relationship type of the
vocabulary. The output is the extraction document of the shared vocabulary.

Passes:

1. places, schools and groups, found by their head words ("Park", "Academy",
   "line") or by the column of a table they sit in;
2. people, as full names outside professionals' lines and titles, with aliases
   from "aka", quotes, brackets and initials;
3. within-note coreference: first names, surnames, initials and nicknames used
   after a fuller mention are the same entity;
4. a kind for each person (child or person of concern) from age, date of birth,
   the heading they appear under and what they are said to do;
5. relationships, read sentence by sentence with the sentence's heading, table
   row or note subject as context.
"""

from __future__ import annotations

from typing import Any

from ..localities import Localities, Locality  # noqa: F401 - Locality: for the examples
from .kinds import _decide_kinds
from .mentions import _find_mentions
from .parse import parse_note
from .people import _professionals, _second_pass
from .record import Extraction
from .relations import _relations
from .services import learn_services, local_services
from .tables import _first_pass, _unexpanded_groups
from .tracked import tracked
from .units import ParsedNote

__all__ = ["extract", "extract_parsed", "learn_services", "local_services"]


# --- entry points -------------------------------------------------------------


def extract_parsed(note: ParsedNote, services: dict[str, str] | None = None) -> Extraction:
    """Read one parsed note; ``services`` are local service names defined elsewhere (:func:`local_services`)."""
    x = Extraction(note, services)
    units = note.units
    _first_pass(x, units)
    _professionals(x)
    _second_pass(x, units)
    _unexpanded_groups(x)
    _find_mentions(x, units)
    _decide_kinds(x, units)
    _relations(x, units)
    x.tracking = tracked(x, units, x.subject)
    return x


def extract(
    text: str,
    path: str = "<note>",
    services: dict[str, str] | None = None,
    localities: Localities | None = None,
    threshold: float | None = None,
) -> dict[str, Any]:
    """The extraction output of the shared vocabulary for one note's text, its locality read
    against the configured ``localities`` (see :func:`~contextgraph.notes.parse.parse_note`).

    >>> doc = extract('''# MACE – Hillcrest ward
    ... Date: 18/01/2024
    ...
    ... ## Children
    ... Merrow Thistle (15) was seen at Ferndale Park on 09/01 with Rowen Abbotsley (14).
    ... Merrow is open to YJS.
    ... ''', localities=Localities(None, (Locality("Hillcrest"),)))
    >>> doc["meeting"]
    {'kind': 'MACE', 'date': '2024-01-18', 'locality': 'Hillcrest', 'locality_status': 'configured'}
    >>> sorted(e["name"] for e in doc["entities"])
    ['Ferndale Park', 'Merrow Thistle', 'Rowen Abbotsley']
    >>> sorted((r["type"], r["target"] if r["type"] == "OPEN_TO" else "") for r in doc["relationships"])
    [('ASSOCIATES_WITH', ''), ('OPEN_TO', 'YJS'), ('SEEN_AT', ''), ('SEEN_AT', '')]
    >>> extract("MACE - Docklands\\nDate: 18/01/2024\\n")["meeting"]["locality_status"]
    'unknown'
    """
    return extract_parsed(parse_note(text, path, localities), services).to_json(threshold)
