"""The area's localities as configuration: their names, the other names notes use for them, and boundaries.

A force or council sets its localities once (``contextgraph localities add`` or
``import``); they are kept in the store. The note parser reads a note's locality
against them: a name or alias names the locality, compared case-insensitively
("Hillcrest ward" and "HILLCREST" are both Hillcrest). Nothing here knows any
area's names: with no configuration a note's locality is reported as written.

>>> locs = Localities("Sallowford", (Locality("Kilnworth", ("Kilnworth ward",)), Locality("Ashpool")))
>>> locs.canonical("KILNWORTH WARD"), locs.canonical("ashpool"), locs.canonical("Tanyard")
('Kilnworth', 'Ashpool', None)
>>> Localities.from_json(locs.to_json()) == locs
True
"""

from __future__ import annotations

import functools
import json
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import BadInput
from .quoted import shows_all

MAX_NAME = 80
MAX_BOUNDARY_BYTES = 5 * 1024 * 1024
_NAME = re.compile(r"^[^\W\d_][\w'’&. -]*$")


class LocalityError(BadInput):
    """Configuration that cannot be used; the message names the file, entry or field."""


def norm(name: str) -> str:
    return " ".join(name.replace("’", "'").split()).casefold()


def check_name(name: str, where: str, stored: bool = False) -> str:
    """A locality name or alias, trimmed; a clear error for an empty, over-long or odd one, or one
    that reads as another (:func:`~contextgraph.quoted.shows_all`; not asked of a ``stored`` one,
    set before it was: a store is read, and its localities mended, whatever they hold)."""
    if not isinstance(name, str):
        raise LocalityError(f"{where}: a name must be text, not {type(name).__name__}")
    got = " ".join(name.split())
    if not got:
        raise LocalityError(f"{where}: a name must not be empty")
    if len(got) > MAX_NAME:
        raise LocalityError(f"{where}: {got[:20]!r}... is longer than {MAX_NAME} characters")
    if not _NAME.match(got):
        raise LocalityError(f"{where}: {got!r} is not a place name (letters, spaces, ' - & . only)")
    # a name that reads as another (a Cyrillic letter in a Latin word, a ligature, a zero-width
    # space) would be a locality no record's locality matches, however it is written
    if not stored:
        shows_all(got, where, LocalityError, composed=True)
    return got


def check_boundary(geo: Any, where: str) -> dict[str, Any]:
    """A GeoJSON Polygon or MultiPolygon (a Feature or a one-feature FeatureCollection holding one too)."""
    if isinstance(geo, dict) and geo.get("type") == "FeatureCollection":
        feats = geo.get("features")
        if not isinstance(feats, list) or len(feats) != 1:
            raise LocalityError(f"{where}: a FeatureCollection must hold exactly one feature")
        geo = feats[0]
    if isinstance(geo, dict) and geo.get("type") == "Feature":
        geo = geo.get("geometry")
    if not isinstance(geo, dict) or geo.get("type") not in ("Polygon", "MultiPolygon"):
        raise LocalityError(f"{where}: a boundary must be a GeoJSON Polygon or MultiPolygon")
    polys = [geo.get("coordinates")] if geo["type"] == "Polygon" else geo.get("coordinates")
    if not isinstance(polys, list) or not polys:
        raise LocalityError(f"{where}: the boundary has no coordinates")
    for poly in polys:
        if not isinstance(poly, list) or not poly:
            raise LocalityError(f"{where}: a polygon must be a list of rings")
        for ring in poly:
            if not isinstance(ring, list) or len(ring) < 4 or ring[0] != ring[-1]:
                raise LocalityError(f"{where}: each ring needs at least 4 positions, the last equal to the first")
            for pos in ring:
                ok = isinstance(pos, list) and len(pos) in (2, 3)
                ok = ok and all(isinstance(v, int | float) and not isinstance(v, bool) for v in pos)
                if not ok or not (-180 <= pos[0] <= 180 and -90 <= pos[1] <= 90):
                    raise LocalityError(f"{where}: {pos!r} is not a [longitude, latitude] position")
    return {"type": geo["type"], "coordinates": geo["coordinates"]}


def read_boundary(path: Path) -> dict[str, Any]:
    """The boundary polygon in a GeoJSON file."""
    try:
        if path.stat().st_size > MAX_BOUNDARY_BYTES:
            raise LocalityError(f"{path}: larger than {MAX_BOUNDARY_BYTES // (1024 * 1024)} MB")
        geo = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise LocalityError(f"{path}: cannot be read ({e.strerror})") from None
    except UnicodeDecodeError:
        raise LocalityError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise LocalityError(f"{path}: line {e.lineno}: not JSON ({e.msg})") from None
    return check_boundary(geo, str(path))


@dataclass(frozen=True, slots=True)
class Locality:
    name: str
    aliases: tuple[str, ...] = ()
    boundary: dict[str, Any] | None = field(default=None, compare=False, hash=False)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "aliases": list(self.aliases), "boundary": self.boundary}


@dataclass(frozen=True, slots=True)
class Localities:
    """The area's name and its localities (none: nothing configured)."""

    area: str | None = None
    items: tuple[Locality, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.items)

    @property
    def names(self) -> list[str]:
        return [x.name for x in self.items]

    def forms(self) -> dict[str, str]:
        """Every name and alias, normalised, to the locality it names."""
        out: dict[str, str] = {}
        for x in self.items:
            for f in (x.name, *x.aliases):
                out[norm(f)] = x.name
        return out

    def canonical(self, written: str | None) -> str | None:
        """The configured locality a written name or alias stands for; None if none does."""
        return None if written is None else self.forms().get(norm(written))

    def pattern(self) -> re.Pattern[str] | None:
        """A regex finding any name or alias (longest first) as whole words, case-insensitively."""
        return _pattern(tuple(sorted({f for x in self.items for f in (x.name, *x.aliases)}, key=len, reverse=True)))

    def with_locality(self, loc: Locality) -> Localities:
        """These localities with ``loc`` added, or replacing the one of the same name."""
        taken = self.forms()
        for f in (loc.name, *loc.aliases):
            owner = taken.get(norm(f))
            if owner is not None and norm(owner) != norm(loc.name):
                raise LocalityError(f"{f!r} already names the locality {owner}")
        kept = tuple(x for x in self.items if norm(x.name) != norm(loc.name))
        return Localities(self.area, (*kept, loc))

    def without(self, name: str) -> Localities:
        kept = tuple(x for x in self.items if norm(x.name) != norm(name))
        if len(kept) == len(self.items):
            known = ", ".join(self.names) or "none configured"
            raise LocalityError(f"no locality {name!r} (configured: {known})")
        return Localities(self.area, kept)

    def to_json(self) -> dict[str, Any]:
        return {"area": self.area, "localities": [x.to_json() for x in self.items]}

    @staticmethod
    def from_json(data: Any, where: str = "localities", stored: bool = False) -> Localities:
        """Read the settings layout: ``{"area": ..., "localities": [{"name", "aliases", "boundary"}]}``
        (``stored``: as a store holds them, see :func:`check_name`)."""
        if not isinstance(data, dict):
            raise LocalityError(f"{where}: expected a table with 'area' and 'localities'")
        unknown = set(data) - {"area", "localities"}
        if unknown:
            raise LocalityError(f"{where}: unknown key {sorted(unknown)[0]!r} (expected 'area' and 'localities')")
        area = data.get("area")
        if area is not None:
            area = check_name(area, f"{where}: area", stored)
        items = data.get("localities", [])
        if not isinstance(items, list):
            raise LocalityError(f"{where}: 'localities' must be a list")
        out = Localities(area)
        for i, d in enumerate(items):
            at = f"{where}: localities[{i}]"
            if not isinstance(d, dict):
                raise LocalityError(f"{at}: expected a table with 'name'")
            bad = set(d) - {"name", "aliases", "boundary"}
            if bad:
                raise LocalityError(f"{at}: unknown key {sorted(bad)[0]!r} (expected name, aliases, boundary)")
            if "name" not in d:
                raise LocalityError(f"{at}: 'name' is missing")
            aliases = d.get("aliases") or []
            if not isinstance(aliases, list):
                raise LocalityError(f"{at}.aliases: must be a list of names")
            name = check_name(d["name"], f"{at}.name", stored)
            if any(norm(x.name) == norm(name) for x in out.items):
                raise LocalityError(f"{at}.name: {name!r} is given twice")
            boundary = d.get("boundary")
            loc = Locality(
                name,
                tuple(check_name(a, f"{at}.aliases[{j}]", stored) for j, a in enumerate(aliases)),
                None if boundary is None else check_boundary(boundary, f"{at}.boundary"),
            )
            try:
                out = out.with_locality(loc)
            except LocalityError as e:
                raise LocalityError(f"{at}: {e}") from None
        return out

    @staticmethod
    def read(path: Path) -> Localities:
        """A settings file, JSON (``.json``) or TOML (any other name); see docs/cli.md for the layout."""
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise LocalityError(f"{path}: cannot be read ({e.strerror})") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise LocalityError(f"{path}: not UTF-8 text") from None
        try:
            data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
        except json.JSONDecodeError as e:
            raise LocalityError(f"{path}: line {e.lineno}: not JSON ({e.msg})") from None
        except tomllib.TOMLDecodeError as e:
            raise LocalityError(f"{path}: not TOML ({e})") from None
        return Localities.from_json(data, str(path))


@functools.lru_cache(maxsize=16)
def _pattern(forms: tuple[str, ...]) -> re.Pattern[str] | None:
    if not forms:
        return None
    alts = "|".join(r"\s+".join(re.escape(w) for w in f.split()) for f in forms)
    return re.compile(rf"(?<![\w-])({alts})(?![\w-])", re.IGNORECASE)


def how_to_add(written: str) -> str:
    """The command that adds ``written`` as a locality, quoted for a shell (a name pasted from an
    error into a terminal runs nothing), after "; add it with: "; nothing for what no locality may
    be called.

    >>> how_to_add("Hilcrest"), how_to_add("Ynys Môn"), how_to_add("$(reboot)")
    ('; add it with: contextgraph localities add Hilcrest', "; add it with: contextgraph localities add 'Ynys Môn'", '')
    """
    try:
        name = check_name(written, "")
    except LocalityError:
        return ""
    return f"; add it with: contextgraph localities add {shlex.quote(name)}"


def unconfigured_message(written: str) -> str:
    return f"the note's locality {written!r} is not configured{how_to_add(written)}"
