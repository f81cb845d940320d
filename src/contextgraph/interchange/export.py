"""Writing the interchange format: one line per entity, one per assertion of a relationship,
judgement and tracking record, with the ids as given, so that an export imported again
reproduces the store; through a reader's filter, only what that reader may see
(:mod:`.jsonl` reads the same files).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import IO, TYPE_CHECKING, Any

from ..model import IDENTIFYING, KINDS, Relationship
from ..model.tracked import Tracked
from ..store.reads import unseen_places
from .lines import ENTITIES_FILE, JUDGEMENTS_FILE, RELATIONSHIPS_FILE, TRACKING_FILE

if TYPE_CHECKING:
    from ..store import Filter, Store


def dump_line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": ")) + "\n"


def relationship_lines(r: Relationship) -> Iterator[dict[str, Any]]:
    """One interchange line per assertion, with the ids the source used."""
    for a in r.assertions:
        line: dict[str, Any] = {
            "type": r.type,
            "source": a.subject,
            "target": a.object,
            "date": a.date,
            "source_ref": a.source_ref,
            "grading": a.grading,
        }
        if r.properties:
            line["properties"] = r.properties
        yield line


WITHHELD_REASON = "(withheld: a writer's words, for readers cleared for C)"


def export_lines(
    store: Store,
    flt: Filter | None = None,
    initials: frozenset[str] = frozenset(),
    merged: list[str] | None = None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every line of an export, as ``(file name, object)``, entities first.

    With ``flt``, only what it lets a reader see: entities of its localities,
    relationships between them of its types and window with only the assertions of its handling
    codes, and judgements between entities it keeps. An entity of a kind in ``initials`` is
    pseudonymised (:meth:`~contextgraph.model.Entity.pseudonymised`), and with any kind so shown,
    relationships lose their properties (free text, which may name people), tracking records their
    text, and every source ref not a recorded note's is withheld (a record's ref can name a
    child). The ids of records the export leaves out (another locality's) whose lines it gives
    under the id they were merged into are appended to ``merged``: a disclosure names them too.
    """
    # a writer's own words (a judgement's reason, a pin's), which may rest on what was said under
    # C: only for readers cleared for C who see names in full
    withhold = bool(initials) or (flt is not None and flt.public_only)
    notes = store.note_refs() if initials else frozenset()
    kinds: dict[str, str] = {}
    homes: set[str] = set()
    if initials:  # the links the export gives, read first: a place known only as someone's home is not given
        visible = set()
        for e in store.iter_entities():
            kinds[e.id] = e.kind
            if flt is None or flt.shown(e) is not None:
                visible.add(e.id)
        given = (
            (r.type, r.source, r.target)
            for r in store.iter_relationships()
            if r.source in visible and r.target in visible and (flt is None or flt.seen(r) is not None)
        )
        homes = known_only_as_theirs(given, kinds, initials)
    if flt is not None and flt.unseen:  # and a place linked only by links the reader is never given
        homes.update(unseen_places(store, flt))
    kept: set[str] = set()
    for e in store.iter_entities():
        if e.id in homes:
            continue
        told = e if flt is None else flt.shown(e)
        if told is not None:
            kept.add(e.id)
            if e.kind in initials:
                told = told.pseudonymised()
            elif withhold:
                told = told.without_writers_words()
            yield ENTITIES_FILE, (told.with_refs(notes) if initials else told).to_json()
    into: dict[str, str] = {}

    def exported(x: str) -> str:
        """The id a line gives an end: the one its source used, or, for a record merged into one
        the export holds that it does not hold itself (another locality's), that one's: a line
        names no record the export leaves out, and is imported again as it reads."""
        if x in kept:
            return x
        if x not in into:
            into[x] = store.read(lambda tx: tx.merged_into([x])).get(x, x)
        return into[x]

    named: set[str] = set()  # the records left out, merged into one kept, that a line has named
    for r in store.iter_relationships():
        if flt is not None:
            if r.source not in kept or r.target not in kept:
                continue
            seen = flt.seen(r)  # in the window by the dates the reader may see
            if seen is None:
                continue
            r = seen
        if initials:
            if tells_who(r.type, r.source, r.target, kinds, initials) or r.source in homes or r.target in homes:
                continue
            r = r.for_initials(notes)
        for line in relationship_lines(r):
            ends = line["source"], line["target"]
            line["source"], line["target"] = one, other = exported(ends[0]), exported(ends[1])
            if one == other:  # between a record and one merged into it, one entity as the export gives it
                continue
            if merged is not None:
                for x in ends:
                    if x not in kept and x not in named:
                        named.add(x)
                        merged.append(x)
            yield RELATIONSHIPS_FILE, line
    for j in store.judgements():
        if flt is None or (j.a in kept and j.b in kept):
            yield JUDGEMENTS_FILE, (replace(j, reason=WITHHELD_REASON) if withhold and j.reason else j).to_line()
    for t in store.iter_tracking():
        shown = t if flt is None else flt.tracking_ok(t, kept.__contains__)
        if shown is not None and shown.subject not in homes:
            yield TRACKING_FILE, (shown.for_initials(notes).without(homes) if initials else shown).to_json()


def tells_who(kind: str, source: str, target: str, kinds: Mapping[str, str], initials: frozenset[str]) -> bool:
    """Whether a link of type ``kind`` is a home, school or family link of a person shown by
    initials (``kinds``: each entity's kind)."""
    return kind in IDENTIFYING and (kinds.get(source) in initials or kinds.get(target) in initials)


def known_only_as_theirs(
    links: Iterable[tuple[str, str, str]], kinds: Mapping[str, str], initials: frozenset[str]
) -> set[str]:
    """The places an export by initials leaves out: those ``links`` (type, source, target: the
    links it gives) tie to a person shown by initials as their home, school or family, and to no
    one else — a link of the person who lives there (seen at their own home) is theirs too.

    >>> kinds = {"c": "child", "d": "child", "h": "location", "f": "location"}
    >>> links = [("LIVES_AT", "c", "h"), ("SEEN_AT", "c", "h"), ("LIVES_AT", "c", "f"), ("SEEN_AT", "d", "f")]
    >>> sorted(known_only_as_theirs(links, kinds, frozenset({"child"})))
    ['h']
    """
    given = list(links)
    theirs: dict[str, set[str]] = {}
    for t, a, b in given:
        if tells_who(t, a, b, kinds, initials):
            for place, person in ((a, b), (b, a)):
                if place in kinds and KINDS[kinds[place]].placed:
                    theirs.setdefault(place, set()).add(person)
    others = {
        place
        for t, a, b in given
        if not tells_who(t, a, b, kinds, initials)
        for place, person in ((a, b), (b, a))
        if place in theirs and person not in theirs[place]
    }
    return set(theirs) - others


EXPORT_FILES = (ENTITIES_FILE, RELATIONSHIPS_FILE, JUDGEMENTS_FILE, TRACKING_FILE)
"""The files of an export in the interchange format, in the order they are written."""

_COUNTED = {
    ENTITIES_FILE: "entities",
    RELATIONSHIPS_FILE: "relationship_lines",
    JUDGEMENTS_FILE: "judgements",
    TRACKING_FILE: "tracking",
}


@dataclass(frozen=True)
class Exported:
    """What an export in the interchange format wrote: each file's lines, and the ids of the records
    whose facts it gives (each entity, then the records of another locality merged into one, whose
    lines it gives under that one's id), which the access log records as disclosed.

    >>> done = Exported({ENTITIES_FILE: 2, RELATIONSHIPS_FILE: 1, JUDGEMENTS_FILE: 0, TRACKING_FILE: 0}, ["c1", "c2"])
    >>> done.counts()
    {'entities': 2, 'relationship_lines': 1, 'judgements': 0, 'tracking': 0}
    >>> [name for name in EXPORT_FILES if done.kept(name)]
    ['entities.jsonl', 'relationships.jsonl']
    """

    lines: dict[str, int]
    given: list[str]

    def counts(self) -> dict[str, int]:
        """The lines of each file, as the access log's record of the disclosure gives them."""
        return {_COUNTED[name]: n for name, n in self.lines.items()}

    def kept(self, name: str) -> bool:
        """Whether the file ``name`` is handed over: the entities and relationships always (an
        empty area is exported as such), judgements and tracking records only when there are any."""
        return bool(self.lines.get(name)) or name in (ENTITIES_FILE, RELATIONSHIPS_FILE)


def write_export(
    store: Store,
    files: Mapping[str, IO[str]],
    flt: Filter | None = None,
    initials: frozenset[str] = frozenset(),
    shown_id: Callable[[str], str] | None = None,
) -> Exported:
    """Write :func:`export_lines` into ``files`` (one open text file for each of :data:`EXPORT_FILES`),
    each id given by ``shown_id`` when there is one (:func:`with_ids`); what was given is recorded
    by the ids the store holds."""
    lines = dict.fromkeys(EXPORT_FILES, 0)
    given: list[str] = []
    merged: list[str] = []
    for name, line in export_lines(store, flt, initials, merged):
        if name == ENTITIES_FILE:
            given.append(line["id"])
        files[name].write(dump_line(with_ids(name, line, shown_id) if shown_id else line))
        lines[name] += 1
    return Exported(lines, given + merged)


def with_ids(name: str, line: dict[str, Any], new: Callable[[str], str]) -> dict[str, Any]:
    """A line of the file ``name`` with every id of a record it gives by ``new``: an entity's, a
    relationship's ends, a judgement's two records, a tracking record's own and the entities it names.

    >>> with_ids(RELATIONSHIPS_FILE, {"type": "SEEN_AT", "source": "c1", "target": "l1"}, str.upper)
    {'type': 'SEEN_AT', 'source': 'C1', 'target': 'L1'}
    """
    out = dict(line)
    if name == TRACKING_FILE:
        t = Tracked.from_stored(out).renamed(new)
        return {**t.to_json(), "id": new(t.id)}
    keys = {ENTITIES_FILE: ("id",), RELATIONSHIPS_FILE: ("source", "target"), JUDGEMENTS_FILE: ("a", "b")}[name]
    for k in keys:
        if isinstance(out.get(k), str):
            out[k] = new(out[k])
    return out
