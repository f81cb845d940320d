"""The gazetteer: where postcodes and named places are, so that places from notes reach the map.

Two kinds of file are loaded, told apart by their header:

- a postcode file in the ONS Postcode Directory's CSV layout: among its many columns ``pcds``
  (the postcode), ``lat`` and ``long``; a postcode without a grid reference (lat 99.999999)
  is skipped;
- a CSV of places known by name: ``name,lat,lon`` then, if given, ``locality`` and ``kind``
  (parks, shopping centres, schools: places without a postcode).

A file with a bad line is refused whole, naming the file and line; nothing is written.

A place is located by its postcode (exact), else by its name as the gazetteer gives it (the
same words once normalised: case, punctuation, "the", "Rd", "Rec"); when several places share
the name, the one of the note's locality; when that does not settle it, the place is left
unlocated. Nothing is guessed.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from ..errors import BadInput
from ..model import Entity
from ..store import Filter, Store
from ..store.reads import unseen_places
from ..store.types import Named
from ..text import normalise_name

NO_GRID = 99.999999
"""The latitude the ONS Postcode Directory gives a postcode without a grid reference."""
PLACE_KINDS = ("location", "school")
BATCH = 50_000
NAMED_COLUMNS = ("name", "lat", "lon", "locality", "kind")

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)([0-9][A-Z]{2})$")
_CANONICAL = re.compile(r"[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}")
_BRACKETS = re.compile(r"\([^)]*\)")
_WORDS = {"rd": "road", "rec": "recreation ground", "ave": "avenue", "ctr": "centre", "sch": "school"}


class GazetteerError(BadInput):
    """A gazetteer file that cannot be loaded, with the file and line."""


def normalise_postcode(text: str) -> str | None:
    """A postcode in upper case with one space before the inward code; None if it is not one.

    >>> normalise_postcode(" nb3  4lq ")
    'NB3 4LQ'
    >>> normalise_postcode("SW1A1AA")
    'SW1A 1AA'
    >>> normalise_postcode("Flat 3") is None
    True
    """
    m = _POSTCODE.match("".join(text.upper().split()))
    return f"{m.group(1)} {m.group(2)}" if m else None


def place_key(name: str) -> str:
    """A place's name as the gazetteer matches it.

    >>> place_key("The Kestrel Hotel")
    'kestrel hotel'
    >>> place_key("Ferndale Rec") == place_key("Ferndale Recreation Ground")
    True
    >>> place_key("St Aldwyn's Catholic High School")
    'st aldwyn s catholic high school'
    >>> place_key("Ashpool St multi-storey") == place_key("Ashpool Street multi-storey")
    True
    >>> place_key("Bridgeway Centre (PRU)")
    'bridgeway centre'
    """
    words = normalise_name(_BRACKETS.sub(" ", name)).split()
    if words[:1] == ["the"]:
        words = words[1:]
    # "St" is a saint before a name, a street after one
    return " ".join(_WORDS.get(w, "street" if w == "st" and i else w) for i, w in enumerate(words))


def place_keys(name: str) -> list[str]:
    """The keys to try for a place as a note names it: the whole, then the part before its first
    comma when that part is a name rather than a flat or number ("Golden Fry, Fenwick Road").

    >>> place_keys("Golden Fry, Fenwick Road")
    ['golden fry fenwick road', 'golden fry']
    >>> place_keys("Flat 12, Ferrier House")
    ['flat 12 ferrier house']
    """
    keys = [place_key(name)]
    head = name.split(",", 1)[0]
    if "," in name and not any(c.isdigit() for c in head) and not head.strip().lower().startswith("flat"):
        keys.append(place_key(head))
    return [k for k in dict.fromkeys(keys) if k]


# --- reading files ------------------------------------------------------------


@dataclass
class GazetteerFile:
    """A gazetteer file, checked as it is read."""

    path: Path
    kind: str
    """``postcodes`` or ``named``."""
    skipped: int = 0
    """Postcodes without a grid reference, skipped."""

    def _coord(self, line: int, field: str, text: str, bound: float) -> float:
        try:
            v = float(text)
        except ValueError:
            raise GazetteerError(f"{self.path}, line {line}: {field} {text!r} is not a number") from None
        if not -bound <= v <= bound:
            raise GazetteerError(f"{self.path}, line {line}: {field} {text!r} is out of range")
        return v

    def _rows(self) -> Iterator[tuple[int, list[str]]]:
        with self.path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            next(reader, None)
            try:
                for row in reader:
                    yield reader.line_num, row
            except (csv.Error, UnicodeDecodeError) as e:
                raise GazetteerError(f"{self.path}, line {reader.line_num + 1}: {e}") from None

    def postcodes(self, header: Sequence[str]) -> Iterator[list[tuple[str, float, float]]]:
        """Batches of (postcode, lat, lon). The loop is written out for speed: a whole ONS
        Postcode Directory is 2.7 million rows."""
        ipc, ila, ilo = header.index("pcds"), header.index("lat"), header.index("long")
        width = len(header)
        canonical = _CANONICAL.fullmatch
        batch: list[tuple[str, float, float]] = []
        for line, row in self._rows():
            if len(row) != width:
                raise GazetteerError(f"{self.path}, line {line}: {len(row)} fields, the header has {width}")
            code = row[ipc]
            if not canonical(code):
                fixed = normalise_postcode(code)
                if fixed is None:
                    raise GazetteerError(f"{self.path}, line {line}: pcds {code!r} is not a postcode")
                code = fixed
            try:
                lat, lon = float(row[ila]), float(row[ilo])
            except ValueError:
                lat, lon = self._coord(line, "lat", row[ila], 100), self._coord(line, "long", row[ilo], 180)
            if lat == NO_GRID:
                self.skipped += 1
                continue
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                lat, lon = self._coord(line, "lat", row[ila], 90), self._coord(line, "long", row[ilo], 180)
            batch.append((code, lat, lon))
            if len(batch) >= BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    def named(self, header: Sequence[str]) -> Iterator[list[Named]]:
        """Batches of named places."""
        width = len(header)
        out: list[Named] = []
        seen: dict[tuple[str, str], int] = {}
        for line, row in self._rows():
            if not any(c.strip() for c in row):
                continue
            if len(row) != width:
                raise GazetteerError(f"{self.path}, line {line}: {len(row)} fields, the header has {width}")
            name = row[0].strip()
            key = place_key(name) if name else ""
            if not key:
                raise GazetteerError(f"{self.path}, line {line}: no name")
            lat = self._coord(line, "lat", row[1], 90)
            lon = self._coord(line, "lon", row[2], 180)
            locality = row[3].strip() if width > 3 else ""
            kind = row[4].strip() if width > 4 else ""
            if kind and kind not in PLACE_KINDS:
                raise GazetteerError(f"{self.path}, line {line}: kind {kind!r} is not one of {', '.join(PLACE_KINDS)}")
            if (key, locality) in seen:
                raise GazetteerError(
                    f"{self.path}, line {line}: {name!r} in {locality or 'no locality'} again (line "
                    f"{seen[key, locality]}): one place to a name in a locality"
                )
            seen[key, locality] = line
            out.append(Named(key, name, lat, lon, locality, kind))
        yield out


def open_gazetteer(path: Path) -> tuple[GazetteerFile, list[str]]:
    """The file and its header, its kind told by the header."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            header = [h.strip().lower() for h in next(csv.reader(fh), [])]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise GazetteerError(f"{path}: cannot be read: {e}") from None
    if {"pcds", "lat", "long"} <= set(header):
        return GazetteerFile(path, "postcodes"), header
    if header[:3] == ["name", "lat", "lon"] and tuple(header) == NAMED_COLUMNS[: len(header)]:
        return GazetteerFile(path, "named"), header
    raise GazetteerError(
        f"{path}, line 1: not a gazetteer header: a postcode file has the columns pcds, lat and long (the ONS "
        "Postcode Directory's layout); a file of named places has name,lat,lon[,locality][,kind]"
    )


def import_file(store: Store, path: Path) -> dict[str, int | str]:
    """Load one gazetteer file into the store, whole or not at all."""
    f, header = open_gazetteer(path)
    if f.kind == "postcodes":
        n, m = store.import_gazetteer(postcodes=f.postcodes(header), origin=path.name)
    else:
        n, m = store.import_gazetteer(named=f.named(header), origin=path.name)
    return {"file": path.name, "kind": f.kind, "postcodes": n, "named_places": m, "skipped": f.skipped}


# --- locating places ------------------------------------------------------------


class Located(NamedTuple):
    lat: float
    lon: float
    by: str
    """``postcode`` or ``gazetteer``."""


def locate(store: Store, name: str, postcode: str | None, locality: str | None) -> Located | None:
    """Where a place is, by its postcode, else by its name; None when the gazetteer cannot say
    for certain (no entry, or several places of that name and none or several in ``locality``)."""
    code = normalise_postcode(postcode) if postcode else None
    if code:
        at = store.postcode_at(code)
        if at is not None:
            return Located(at[0], at[1], "postcode")
    for key in place_keys(name):
        found = store.named_places([key])
        if len(found) > 1:
            found = [g for g in found if locality and g.locality == locality]
        if len(found) == 1:
            return Located(found[0].lat, found[0].lon, "gazetteer")
        if found:
            return None  # several in the note's locality: not guessed
    return None


def located(e: Entity, where: Located | None, said: Located | None = None) -> Entity:
    """What an upsert writes to give a stored place its coordinates, and nothing else (no name: the
    place keeps its own). ``where`` was found by its name; when that is a name said only under C
    (readers cleared for P know the place by another), the coordinates are written under C, and
    ``said``, found by the name those readers know, is what they are given.

    >>> from contextgraph.model import Entity
    >>> yard = Entity("l-1", "location", "The Yard behind 12 Elm St", handling=["C", "P"],
    ...               open=Entity("l-1", "location", "The Yard", handling=["P"]))
    >>> w = located(yard, Located(52.1, -1.2, "gazetteer"), Located(52.3, -1.4, "gazetteer"))
    >>> (w.name, w.lat, w.handling), (w.open.lat, w.open.name)
    (('', 52.1, ['C']), (52.3, ''))
    """
    # a record named under both codes with no record of what P alone said: its name may be one
    # said only under C, so what was found by it is written under C
    legacy = e.open is None and "C" in e.handling and "P" in e.handling
    by_own_name = not legacy and (e.open is None or e.open.name == e.name)
    out = Entity(e.id, e.kind, "")
    if where is not None:
        out = Entity(
            e.id,
            e.kind,
            "",
            lat=where.lat,
            lon=where.lon,
            properties={"located_by": where.by},
            handling=[] if by_own_name else ["C"],
        )
    if said is not None and not by_own_name:
        out.open = Entity(e.id, e.kind, "", lat=said.lat, lon=said.lon, properties={"located_by": said.by})
    return out


def locate_stored(store: Store) -> tuple[list[Entity], int]:
    """The stored places without coordinates the gazetteer now locates (as writes to upsert), and
    how many it still does not. A place readers cleared for P know by another name than its
    record's (one said only under C) is located for them by theirs: coordinates found by a name
    said only under C are not theirs."""
    waiting = [e for e in store.iter_entities() if e.kind in PLACE_KINDS and (_unplaced(e) or _unplaced(e.open))]
    merged = store.read(lambda tx: tx.merged_into([e.id for e in waiting])) if waiting else {}
    out: list[Entity] = []
    left = 0
    for e in waiting:
        if e.id in merged:
            continue
        where = locate(store, e.name, e.properties.get("postcode"), e.locality) if _unplaced(e) else None
        said = None
        if e.open is not None and e.open.name != e.name and _unplaced(e.open):
            said = locate(store, e.open.name, e.open.properties.get("postcode"), e.open.locality)
        if where is None and said is None:
            left += 1
        else:
            out.append(located(e, where, said))
    return out, left


def _unplaced(e: Entity | None) -> bool:
    return e is not None and (e.lat is None or e.lon is None)


def unlocated(store: Store, flt: Filter) -> list[Entity]:
    """The places and schools without coordinates a reader within ``flt`` may see, by locality
    and name. A reader who never sees some relationship types (a MACE member: never a home, a
    school or a family) does not see the places linked only by those (:attr:`Filter.unseen`)."""
    ids = [e.id for e in store.iter_entities() if e.kind in PLACE_KINDS and (_unplaced(e) or _unplaced(e.open))]
    merged = store.read(lambda tx: tx.merged_into(ids)) if ids else {}
    views = flt.shown_many(store.get_many([i for i in ids if i not in merged])) if ids else {}
    out = [e for e in views.values() if e.lat is None or e.lon is None]
    if flt.unseen and out:  # the checks above are made: only the links are left to look at
        gone = set(unseen_places(store, flt, [e.id for e in out]))
        out = [e for e in out if e.id not in gone]
    out.sort(key=lambda e: (e.locality or "", e.name, e.id))
    return out


def pinned(e: Entity, lat: float, lon: float, reason: str, user: str) -> Entity:
    """What an upsert writes to pin a place where a person says it is."""
    if not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise GazetteerError(f"lat {lat} / lon {lon}: out of range")
    if not reason.strip():
        raise GazetteerError("a pin needs its reason")
    props = {
        "located_by": "pin",
        "pin_reason": reason.strip(),
        "pinned_by": user,
        "pinned_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return Entity(e.id, e.kind, "", lat=lat, lon=lon, properties=props)  # no name: the place keeps its own


def sample_files() -> list[Path]:
    """The fictional gazetteer of the sample area shipped with the package."""
    data = Path(__file__).parents[1] / "data"
    return [data / "sample-postcodes.csv", data / "sample-gazetteer.csv"]
