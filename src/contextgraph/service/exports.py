"""What ``GET /export`` gives: the interchange files, or a file for an analyst's tool (GraphML for
Gephi, GeoJSON for QGIS, the CSV import of i2 Analyst's Notebook), of what the reader may see,
with the ids of the entities it gives for the access log's record of the disclosure.

>>> EXPORT_FORMATS
('jsonl', 'graphml', 'geojson', 'i2csv')
>>> packed("graphml").name, packed("i2csv").name
('contextgraph-export.graphml', 'contextgraph-export-i2.zip')
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ..analysis.results import Hotspot
from ..interchange.analyst import EXPORT_FORMATS, FILES, WITH_HOTSPOTS, write_format
from ..interchange.export import EXPORT_FILES, write_export
from ..store import Filter, Store

__all__ = ["EXPORT_FORMATS", "WITH_HOTSPOTS", "Export", "export", "known_localities", "packed"]


@dataclass(frozen=True)
class Packing:
    """How one format is handed over: its download's name and media type."""

    name: str
    media_type: str


_PACKING: Final = {
    "jsonl": Packing("contextgraph-export.zip", "application/zip"),
    "graphml": Packing("contextgraph-export.graphml", "application/graphml+xml"),
    "geojson": Packing("contextgraph-export.geojson", "application/geo+json"),
    "i2csv": Packing("contextgraph-export-i2.zip", "application/zip"),
}
assert set(_PACKING) == set(EXPORT_FORMATS)


def packed(fmt: str) -> Packing:
    """How ``fmt`` is handed over."""
    return _PACKING[fmt]


@dataclass(frozen=True)
class Export:
    """An export made, not yet handed over: the logging of its disclosure comes first."""

    body: bytes
    counts: dict[str, int]
    given: list[str]
    """The ids of the entities it gives."""


def known_localities(store: Store) -> list[str]:
    """The localities an export may be asked of by a user of every locality: the configured ones,
    or where none are, those the store's records hold."""
    return store.localities().names or sorted(k for k in store.stats().localities if k != "(none)")


def export(store: Store, fmt: str, flt: Filter, initials: frozenset[str], hotspots: Sequence[Hotspot] = ()) -> Export:
    """The export in ``fmt`` of what ``flt`` lets a reader see, ``initials`` naming the kinds given
    by initials, ``hotspots`` those of the analysis behind the reader's views. One file is given as
    it is; several (the interchange files, the i2 CSVs) in a zip."""
    if fmt == "jsonl":
        return _interchange(store, flt, initials)
    with tempfile.TemporaryDirectory(prefix="contextgraph-export-") as tmp:
        files = {name: Path(tmp) / name for name in FILES[fmt]}
        counts, given = write_format(store, fmt, files, flt, initials, hotspots)
        if len(files) == 1:
            body = next(iter(files.values())).read_bytes()
        else:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                for name, path in files.items():
                    z.write(path, name)
            body = buf.getvalue()
    return Export(body, counts, given)


def _interchange(store: Store, flt: Filter, initials: frozenset[str]) -> Export:
    buffers = {name: io.StringIO() for name in EXPORT_FILES}
    done = write_export(store, buffers, flt, initials)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in buffers.items():
            if done.kept(name):
                z.writestr(name, text.getvalue())
    return Export(buf.getvalue(), done.counts(), done.given)
