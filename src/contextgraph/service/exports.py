"""What ``GET /export`` gives: the interchange files, or a file for an analyst's tool (GraphML for
Gephi, GeoJSON for QGIS, the CSV import of i2 Analyst's Notebook), of what the reader may see,
with the ids of the entities it gives for the access log's record of the disclosure.

>>> EXPORT_FORMATS
('jsonl', 'graphml', 'geojson', 'i2csv')
>>> packed("graphml").name, packed("i2csv").name
('contextgraph-export.graphml', 'contextgraph-export-i2.zip')
"""

from __future__ import annotations

import dataclasses
import io
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ..analysis.results import Hotspot
from ..interchange.analyst import EXPORT_FORMATS, FILES, WITH_HOTSPOTS, write_format
from ..interchange.export import EXPORT_FILES, write_export
from ..model import REL_TYPES
from ..store import Filter, Store
from .audit import AuditError, said, visible
from .graphql import NO_PURPOSE, Context, RequestError

__all__ = [
    "EXPORT_FORMATS",
    "WITH_HOTSPOTS",
    "Asked",
    "Export",
    "Refused",
    "disclose",
    "export",
    "known_localities",
    "packed",
]


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


def export(
    store: Store,
    fmt: str,
    flt: Filter,
    initials: frozenset[str],
    hotspots: Sequence[Hotspot] = (),
    shown_id: Callable[[str], str] | None = None,
) -> Export:
    """The export in ``fmt`` of what ``flt`` lets a reader see, ``initials`` naming the kinds given
    by initials, ``hotspots`` those of the analysis behind the reader's views, ``shown_id`` how
    each id is given (a reader of initials is given pseudonyms: :mod:`.pseudonyms`). One file is
    given as it is; several (the interchange files, the i2 CSVs) in a zip."""
    if fmt == "jsonl":
        return _interchange(store, flt, initials, shown_id)
    with tempfile.TemporaryDirectory(prefix="contextgraph-export-") as tmp:
        files = {name: Path(tmp) / name for name in FILES[fmt]}
        counts, given = write_format(store, fmt, files, flt, initials, hotspots, shown_id)
        if len(files) == 1:
            body = next(iter(files.values())).read_bytes()
        else:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                for name, path in files.items():
                    z.write(path, name)
            body = buf.getvalue()
    return Export(body, counts, given)


def _interchange(store: Store, flt: Filter, initials: frozenset[str], shown_id: Callable[[str], str] | None) -> Export:
    buffers = {name: io.StringIO() for name in EXPORT_FILES}
    done = write_export(store, buffers, flt, initials, shown_id)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in buffers.items():
            if done.kept(name):
                z.writestr(name, text.getvalue())
    return Export(buf.getvalue(), done.counts(), done.given)


class Refused(RequestError):
    """An export not given: ``status`` is the HTTP status to answer, the message says why. Nothing
    was logged or written."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Asked:
    """An export as asked for: who it is for, the format, and the view (a locality, a window, the
    relationship types, with or without undated links)."""

    recipient: str
    fmt: str = "jsonl"
    locality: str | None = None
    since: str | None = None
    until: str | None = None
    types: tuple[str, ...] = ()
    undated: bool = True


def _scope(ctx: Context, asked: Asked) -> tuple[Filter, Asked]:
    """The reader's filter for ``asked``, and ``asked`` with its locality as their token names it;
    or :class:`Refused` naming the field that cannot be."""
    if not visible(ctx.purpose):
        raise Refused(400, NO_PURPOSE)
    if asked.fmt not in EXPORT_FORMATS:
        raise Refused(422, f"format: one of {', '.join(EXPORT_FORMATS)}")
    if not visible(asked.recipient):
        raise Refused(422, "recipient: say who the export is for, in letters or digits")
    try:
        said(asked.recipient, "recipient", RequestError)
        if asked.locality is not None:
            said(asked.locality, "locality", RequestError)
    except RequestError as exc:
        raise Refused(422, str(exc)) from None
    if any(t not in REL_TYPES for t in asked.types):
        raise Refused(422, f"type: not a relationship type (one of {', '.join(REL_TYPES)})")
    try:
        ctx.allow(ctx.rules.may_export, "exports")
        if asked.locality is not None:  # one of theirs, as their token names it
            asked = dataclasses.replace(asked, locality=ctx.locality(asked.locality))
    except RequestError as exc:
        raise Refused(403, str(exc)) from None
    if asked.locality is not None and ctx.who.everywhere and asked.locality not in known_localities(ctx.store):
        raise Refused(422, "locality: not a locality of this store (the localities query lists them)")
    try:
        return ctx.scope(list(asked.types) or None, asked.since, asked.locality, asked.until, asked.undated), asked
    except RequestError as exc:
        raise Refused(422, str(exc)) from None


def disclose(ctx: Context, asked: Asked) -> Export:
    """The export ``asked`` of what this reader may see, its disclosure logged first (to whom, why,
    the format, clearance, naming, window and types, and every entity it gives); :class:`Refused`
    when it may not be given, nothing then made or logged."""
    flt, asked = _scope(ctx, asked)
    try:
        ctx.log.ready()
    except AuditError:
        raise Refused(503, "the access log cannot be written; nothing is given") from None
    hot: Sequence[Hotspot] = ()
    types = list(asked.types) or None
    if asked.fmt in WITH_HOTSPOTS:  # as the reader's map scores them: of their whole view, cut to the locality
        basis = ctx.scope(types=types, since=asked.since, until=asked.until, undated=asked.undated)
        cut = (asked.locality,) if asked.locality else None
        hot = ctx.analyses.get(ctx.store, basis, None, ctx.who.by_initials, cut).raw.hotspots
    shown = ctx.shown_id if ctx.who.by_initials else None
    made = export(ctx.store, asked.fmt, flt, ctx.who.by_initials, hot, shown)
    detail = {
        "rest": "export",
        "format": asked.fmt,
        "localities": sorted(flt.localities or []) or None,
        "clearance": ctx.who.clearance,
        **({"initials": sorted(ctx.who.by_initials)} if ctx.who.by_initials else {}),
        **({"since": flt.since} if flt.since else {}),
        **({"until": flt.until} if flt.until else {}),
        **({"types": sorted(set(asked.types))} if asked.types else {}),
        **({"undated": False} if not asked.undated and (flt.since or flt.until) else {}),
    }
    try:
        ctx.log.append(
            ctx.who.user,
            "disclosure",
            made.given,  # named by the log's record (past its most, in a manifest)
            ctx.purpose,
            recipient=asked.recipient,
            detail={**detail, **made.counts},
        )
    except AuditError:
        raise Refused(503, "the access log cannot be written; nothing is given") from None
    return made
