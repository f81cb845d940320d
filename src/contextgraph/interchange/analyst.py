"""Exports for the tools analysts use: GraphML for Gephi, GeoJSON for QGIS, and the CSV import
layout of i2 Analyst's Notebook.

Unlike the interchange format, which keeps every stored record so that an import reproduces the
store, these show the graph as a reader sees it: merged records as one entity, each relationship
once with the assertions the reader may see (their dates, gradings and sources), and only the
entities of the reader's localities and handling codes. What passes is decided by the same
:class:`~contextgraph.store.Filter` as every other read.

>>> sorted(FILES)
['geojson', 'graphml', 'i2csv']
>>> cell("=HYPERLINK(1)"), cell("-1.14", numeric=True), cell(None)
("'=HYPERLINK(1)", '-1.14', '')
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

from ..model import KINDS, REL_TYPES, Entity, Relationship, canonical_pair, under_p
from ..quoted import shown
from ..store import Filter, Store
from ..text import unseen
from .export import known_only_as_theirs, tells_who

if TYPE_CHECKING:  # the analysis sits above: its results are only named here
    from ..analysis.results import Hotspot

FILES: Final[dict[str, tuple[str, ...]]] = {
    "graphml": ("graph.graphml",),
    "geojson": ("places.geojson",),
    "i2csv": ("i2-entities.csv", "i2-links.csv"),
}
"""The files each format writes into the export folder."""

EXPORT_FORMATS: Final[tuple[str, ...]] = ("jsonl", *FILES)
"""Every format an export is written in: the interchange format, then the analysts' tools'."""

WITH_HOTSPOTS: Final = frozenset({"graphml", "geojson"})
"""The formats that mark the hotspots on their places (the caller gives them, from the analysis)."""

I2_TYPES: Final[dict[str, str]] = {
    "child": "Person",
    "person_of_concern": "Person",
    "location": "Place",
    "school": "Organisation",
    "group": "Group",
    "service": "Organisation",
}
"""The Analyst's Notebook entity type each kind is imported as (its icon), beside the kind itself."""

ENTITY_COLUMNS: Final = (
    "Entity ID",
    "Entity Type",
    "Kind",
    "Label",
    "Aliases",
    "Date of Birth",
    "Locality",
    "Latitude",
    "Longitude",
    "First Seen",
    "Last Seen",
    "Grading",
    "Handling",
    "Sources",
    "Links",
    "Properties",
)
LINK_COLUMNS: Final = (
    "Link ID",
    "From ID",
    "To ID",
    "Link Type",
    "Label",
    "Direction",
    "First Seen",
    "Last Seen",
    "Grading",
    "Gradings",
    "Assertions",
    "Sources",
    "Properties",
)
_NUMERIC: Final = frozenset({"Latitude", "Longitude", "Links", "Assertions"})


def _gradings(r: Relationship) -> list[str]:
    """Every grading a relationship's assertions give, once each."""
    return sorted({a.grading for a in r.assertions if a.grading})


@dataclass
class View:
    """What an export shows: live entities by id, their links, and the hotspot places' scores."""

    entities: dict[str, Entity]
    links: list[Relationship]
    hotspots: dict[str, Hotspot] = field(default_factory=dict)

    def renamed(self, new: Callable[[str], str]) -> View:
        """This view with each record's id given by ``new`` (a pseudonym for a reader of initials)."""
        return View(
            {new(i): replace(e, id=new(e.id), members=[new(m) for m in e.members]) for i, e in self.entities.items()},
            [replace(x, source=new(x.source), target=new(x.target)) for x in self.links],
            {new(i): h for i, h in self.hotspots.items()},
        )

    def degree(self) -> dict[str, int]:
        """How many links each entity has in the view."""
        out = dict.fromkeys(self.entities, 0)
        for x in self.links:
            out[x.source] += 1
            out[x.target] += 1
        return out


def view(
    store: Store,
    flt: Filter | None = None,
    hotspots: Sequence[Hotspot] = (),
    initials: frozenset[str] = frozenset(),
) -> View:
    """The live graph that passes ``flt`` (None: all of it), merged records resolved; an entity of a
    kind in ``initials`` pseudonymised."""
    p = store.projection(flt)
    found = store.get_many(p.ids)
    if flt is not None and flt.public_only:
        found = under_p(found)
    # a pin's reason is its writer's words: only for readers cleared for C who see names in full
    withhold = (flt is not None and flt.public_only) or bool(initials)
    entities = {
        i: e.pseudonymised() if e.kind in initials else e.without_writers_words() if withhold else e
        for i in p.ids
        if (e := found.get(i)) is not None
    }
    notes = store.note_refs() if initials else frozenset()
    if initials:  # a record's ref can name a child: only recorded notes' refs stay
        entities = {i: e.with_refs(notes) for i, e in entities.items()}
    rels = []
    ends: set[str] = set()
    for r in store.iter_relationships():
        seen = r if flt is None else flt.seen(r)  # in the window by the dates the reader may see
        if seen is not None and seen.assertions:
            rels.append(seen)
            ends.update((seen.source, seen.target))
    into = store.read(lambda tx: tx.merged_into(ends) if tx.any_merged() else {})
    links: dict[tuple[str, str, str], Relationship] = {}
    ends_of = [(r, into.get(r.source, r.source), into.get(r.target, r.target)) for r in rels]
    ends_of = [(r, s, t) for r, s, t in ends_of if s != t and s in entities and t in entities]
    # a person by initials is not given with their home, school or family (as a MACE member reads
    # them), nor a place known only as such a person's (:func:`known_only_as_theirs`)
    kinds = {i: e.kind for i, e in entities.items()} if initials else {}
    homes = known_only_as_theirs(((r.type, s, t) for r, s, t in ends_of), kinds, initials) if initials else set()
    entities = {i: e for i, e in entities.items() if i not in homes}
    for r, s, t in ends_of:
        if s in homes or t in homes or tells_who(r.type, s, t, kinds, initials):
            continue
        s, t = canonical_pair(r.type, s, t)
        link = links.setdefault((r.type, s, t), Relationship(r.type, s, t))
        if initials:  # a link's properties are free text that may name people; refs as above
            link.assertions.extend(r.for_initials(notes).assertions)
        else:
            link.assertions.extend(r.assertions)
            link.properties.update(r.properties)
    # the hotspots of the analysis behind the reader's views (made by the caller: the analysis sits above)
    hot = {h.id: h for h in hotspots if h.id in entities}
    return View(entities, sorted(links.values(), key=lambda x: (x.source, x.target, x.type)), hot)


def write_format(
    store: Store,
    fmt: str,
    files: dict[str, Path],
    flt: Filter | None = None,
    initials: frozenset[str] = frozenset(),
    hotspots: Sequence[Hotspot] = (),
    shown_id: Callable[[str], str] | None = None,
) -> tuple[dict[str, int], list[str]]:
    """Write the files of ``fmt`` (one of :data:`FILES`; ``files`` gives the path each of its files is
    written at) of what ``flt`` lets a reader see. Returns the counts (entities and links; for
    GeoJSON, the features) and the ids of the records whose facts the files give, which is what the
    access log records as disclosed: each entity given, and the records merged into it (another
    locality's too); for GeoJSON, the places it holds, not the people of the view. With
    ``shown_id``, each id is written as it gives it; the ids returned are the store's."""
    v = view(store, flt, hotspots, initials)
    names = FILES[fmt]
    stored = {shown_id(i): i for i in v.entities} if shown_id else {i: i for i in v.entities}
    given = v.renamed(shown_id) if shown_id else v
    if fmt == "geojson":
        placed = [stored[i] for i in write_geojson(given, files[names[0]])]
        return {"features": len(placed)}, _with_members(store, flt, v, placed)
    if fmt == "graphml":
        write_graphml(given, files[names[0]])
    else:
        write_i2(given, files[names[0]], files[names[1]])
    return {"entities": len(v.entities), "links": len(v.links)}, _with_members(store, flt, v, list(v.entities))


def _with_members(store: Store, flt: Filter | None, v: View, ids: list[str]) -> list[str]:
    """``ids``, each followed by the records merged into it whose facts it carries: for a reader
    cleared for P only, not one named only under C, of which nothing is given."""
    members = {m for i in ids for m in v.entities[i].members}
    if members and flt is not None and flt.public_only:
        own = store.own(members)
        members = {m for m in members if (o := own.get(m)) is not None and o.cleared_for_p() is not None}
    return list(dict.fromkeys(x for i in ids for x in (i, *(m for m in v.entities[i].members if m in members))))


def _text(value: Any) -> str:
    """A property's value as text: lists joined with "; ", anything else as JSON would write it."""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "; ".join(_text(v) for v in value)
    return json.dumps(value, ensure_ascii=False)


def _properties(props: dict[str, Any]) -> str:
    return "; ".join(f"{k}={_text(v)}" for k, v in sorted(props.items()))


# --- GraphML -----------------------------------------------------------------------------


def _xml(text: str) -> str:
    """``text`` as XML 1.0 may hold it: control characters (:func:`~contextgraph.quoted.shown`) and
    the two non-characters U+FFFE and U+FFFF written as escapes.

    >>> _xml("a\\x1bb\\ufffe")
    'a\\\\x1bb\\\\ufffe'
    """
    return shown(text).replace("\ufffe", "\\ufffe").replace("\uffff", "\\uffff")


def write_graphml(v: View, out: Path) -> None:
    """GraphML through NetworkX's writer: one node an entity (``label`` its name, ``kind``), one edge
    a relationship (``label`` and ``type`` its type, its dates, gradings and sources). Every
    attribute keeps one type throughout; a value that is not there is left out."""
    import networkx as nx

    g = nx.MultiDiGraph()
    degree = v.degree()
    for e in v.entities.values():
        attrs: dict[str, Any] = {
            "label": e.name,
            "kind": e.kind,
            "kind_label": KINDS[e.kind].label,
            "locality": e.locality,
            "dob": e.dob,
            "aliases": "; ".join(e.aliases) or None,
            "lat": None if e.lat is None else float(e.lat),
            "lon": None if e.lon is None else float(e.lon),
            "first_seen": e.first_seen,
            "last_seen": e.last_seen,
            "grading": e.grading,
            "handling": "".join(sorted(e.handling)) or None,
            "sources": "; ".join(e.sources) or None,
            "links": degree[e.id],
        }
        h = v.hotspots.get(e.id)
        if h:
            attrs.update(hotspot_score=float(h.score), hotspot_rank=int(h.rank))
        attrs.update({f"prop_{_xml(k)}": _text(val) for k, val in e.properties.items()})
        g.add_node(e.id, **{k: val for k, val in attrs.items() if val is not None})
    for x in v.links:
        attrs = {
            "label": x.type,
            "type": x.type,
            "symmetric": REL_TYPES[x.type].symmetric,
            "first_seen": x.first_seen,
            "last_seen": x.last_seen,
            "grading": x.grading,
            "gradings": "; ".join(_gradings(x)) or None,
            "assertions": len(x.assertions),
            "sources": "; ".join(x.sources) or None,
        }
        attrs.update({f"prop_{_xml(k)}": _text(val) for k, val in x.properties.items()})
        g.add_edge(x.source, x.target, key=x.type, **{k: val for k, val in attrs.items() if val is not None})
    # XML has no place for most control characters: any in the data is written as an escape (\x1b)
    odd = {n: _xml(n) for n in g if _xml(n) != n}
    if odd:
        g = nx.relabel_nodes(g, odd)
    for _, d in g.nodes(data=True):
        d.update({k: _xml(val) for k, val in d.items() if isinstance(val, str)})
    for _, _, d in g.edges(data=True):
        d.update({k: _xml(val) for k, val in d.items() if isinstance(val, str)})
    nx.write_graphml_xml(g, out, encoding="utf-8", prettyprint=True)


# --- GeoJSON -----------------------------------------------------------------------------


def write_geojson(v: View, out: Path) -> list[str]:
    """A GeoJSON FeatureCollection (RFC 7946: WGS 84, longitude first) of every place (an entity of
    a kind placed on a map) with coordinates, a Point each with its id, kind, name, locality and
    links, and a hotspot's score and rank. Returns the ids of the features: the entities the file
    gives."""
    degree = v.degree()
    feats: list[dict[str, Any]] = []
    for e in v.entities.values():
        if e.lat is None or e.lon is None or not KINDS[e.kind].placed:  # places, never a person
            continue
        props: dict[str, Any] = {
            "id": e.id,
            "kind": e.kind,
            "name": e.name,
            "locality": e.locality,
            "links": degree[e.id],
            "hotspot_score": None,
            "hotspot_rank": None,
        }
        h = v.hotspots.get(e.id)
        if h:
            props.update(hotspot_score=float(h.score), hotspot_rank=int(h.rank))
        feats.append(
            {
                "type": "Feature",
                "id": e.id,
                "geometry": {"type": "Point", "coordinates": [float(e.lon), float(e.lat)]},
                "properties": props,
            }
        )
    with out.open("w", encoding="utf-8") as fh:
        json.dump({"type": "FeatureCollection", "features": feats}, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    return [f["id"] for f in feats]


# --- i2 Analyst's Notebook ---------------------------------------------------------------


FORMULA_LEADS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
"""What a spreadsheet may take as the start of a formula: the signs, and their full-width forms
(which some spreadsheets read as the signs)."""


def cell(value: Any, numeric: bool = False) -> str:
    """A CSV cell; text that a spreadsheet would take for a formula is quoted with an apostrophe,
    whatever shows as nothing before it (a zero-width space, a byte-order mark).

    >>> cell("=1+1"), cell("\u200b\ufeff=1+1"), cell("-3", numeric=True), cell("Kyle")
    ("'=1+1", "'\u200b\ufeff=1+1", '-3', 'Kyle')
    >>> cell("\uff1dHYPERLINK(1)") == "'\uff1dHYPERLINK(1)"
    True
    """
    if value is None:
        return ""
    text = str(value)
    lead = next((c for c in text if not unseen(c)), "")
    if not numeric and lead in FORMULA_LEADS:
        return "'" + text
    return text


def _rows(fh: IO[str], columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> None:
    w = csv.writer(fh)
    w.writerow(columns)
    for row in rows:
        w.writerow([cell(row.get(c), c in _NUMERIC) for c in columns])


def write_i2(v: View, entities_out: Path, links_out: Path) -> None:
    """Two CSV files in the layout Analyst's Notebook's importer reads (UTF-8 with a byte order
    mark, a header row): entities, and links between them by entity id."""
    degree = v.degree()
    with entities_out.open("w", encoding="utf-8-sig", newline="") as fh:
        _rows(
            fh,
            ENTITY_COLUMNS,
            (
                {
                    "Entity ID": e.id,
                    "Entity Type": I2_TYPES[e.kind],
                    "Kind": e.kind,
                    "Label": e.name,
                    "Aliases": "; ".join(e.aliases),
                    "Date of Birth": e.dob,
                    "Locality": e.locality,
                    "Latitude": e.lat,
                    "Longitude": e.lon,
                    "First Seen": e.first_seen,
                    "Last Seen": e.last_seen,
                    "Grading": e.grading,
                    "Handling": "".join(sorted(e.handling)),
                    "Sources": "; ".join(e.sources),
                    "Links": degree[e.id],
                    "Properties": _properties(e.properties),
                }
                for e in v.entities.values()
            ),
        )
    with links_out.open("w", encoding="utf-8-sig", newline="") as fh:
        _rows(
            fh,
            LINK_COLUMNS,
            (
                {
                    "Link ID": f"{x.type}:{x.source}:{x.target}",
                    "From ID": x.source,
                    "To ID": x.target,
                    "Link Type": x.type,
                    "Label": x.type.replace("_", " ").lower(),
                    "Direction": "None" if REL_TYPES[x.type].symmetric else "Ahead",
                    "First Seen": x.first_seen,
                    "Last Seen": x.last_seen,
                    "Grading": x.grading,
                    "Gradings": "; ".join(_gradings(x)),
                    "Assertions": len(x.assertions),
                    "Sources": "; ".join(x.sources),
                    "Properties": _properties(x.properties),
                }
                for x in v.links
            ),
        )
