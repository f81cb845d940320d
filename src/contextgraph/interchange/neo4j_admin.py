r"""The bulk path into an empty Neo4j database: files for ``neo4j-admin database import full``.

Over Bolt, :class:`~contextgraph.store.neo4j.Neo4jStore` writes relationships in transactions on
the server, about 20,000 a second on a 2-core machine, whatever the client does. A first load of a
large area into a new database (a force moving from the embedded store to Neo4j, say) can instead
go through Neo4j's own offline importer, which writes the store files directly while the database
is stopped. This module turns a checked batch into the CSV files that importer reads, each node and
relationship exactly as the store would have written it over Bolt: the same labels, types and
stored properties, entities of one id merged, relationships grouped by stored key (symmetric types
smaller id first) with all their assertions. Once the database is started, the store opens it as
usual (creating its constraints and indexes) and later imports over Bolt find what is there.

Every string is quoted (a doubled quote inside), lists are joined by :data:`ARRAY_DELIMITER`, and an
absent value is an empty, unquoted field, which the importer leaves unset.

>>> _line(["c-1", 'Amy "Ames" B', ["A", "B"], None, 51.5, 2])
'"c-1","Amy ""Ames"" B","A\x1fB",,51.5,2\n'
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..memory import paused_gc
from ..model import ENTITY_LABEL, KINDS, REL_TYPES, Entity, Relationship
from ..store.merge import group_entities, group_relationships
from ..store.neo4j.codec import entity_props, rel_row, sparse
from ..store.types import Key
from .jsonl import Batch, InputError

ENTITY_FILE = "entities.csv"
RELATIONSHIP_FILES = ("relationships-1.csv", "relationships-2.csv")
"""The relationships, split in two so that two processes can write them at once."""
_ENTITY_WEIGHT = 2.0
"""About how many relationships' lines take as long to write as one entity's (at force scale, in
the second process: 10–14 µs against 6–9 µs), for sharing the work between the two writers."""
ARRAY_DELIMITER = "\x1f"
"""Joins the items of a list in one field (the ASCII unit separator: no name or source holds it)."""
_ARRAY_OPTION = "\\u001F"

_ENTITY_TYPES = {"aliases": "string[]", "sources": "string[]", "handling": "string[]", "lat": "double", "lon": "double"}
_ENTITY_FIELDS = tuple(entity_props(Entity("", "child", "")))
"""The stored properties of an entity, in the order of its file's columns (``id`` first)."""
_LISTS = tuple(k for k, t in _ENTITY_TYPES.items() if t.endswith("[]"))
_REL_FIELDS = tuple(k for k in rel_row(Relationship("SEEN_AT", "", "")) if k not in ("source", "target"))
"""The stored properties of a relationship, in the order of its file's columns after its ends and type."""
_REL_TYPES = {"count": "long"}


@dataclass
class AdminFiles:
    """What :func:`write_admin_files` wrote, and how to load it."""

    folder: Path
    entities: int
    relationships: int
    multiline: bool = False
    judgements: int = 0

    def arguments(self, database: str = "neo4j", folder: Path | None = None) -> list[str]:
        """The arguments of ``neo4j-admin`` that load these files into ``database`` (the files named
        under ``folder``, where the server's host sees them; by default where they were written)."""
        where = folder if folder is not None else self.folder
        args = [
            "database",
            "import",
            "full",
            f"--nodes={where / ENTITY_FILE}",
            *(f"--relationships={where / name}" for name in RELATIONSHIP_FILES),
            "--id-type=string",
            f"--array-delimiter={_ARRAY_OPTION}",
        ]
        if self.multiline:
            args.append("--multiline-fields=true")
        return [*args, database]


def _q(v: str) -> str:
    return '"' + v.replace('"', '""') + '"'


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if type(v) is str:
        return _q(v)
    if isinstance(v, list):
        return _q(ARRAY_DELIMITER.join(v))
    if isinstance(v, bool):
        raise TypeError("no stored property is a boolean")
    return repr(v) if isinstance(v, float) else str(v)


def _line(cells: Sequence[Any]) -> str:
    return ",".join([_cell(c) for c in cells]) + "\n"


def _header(names: Sequence[str], types: dict[str, str]) -> str:
    return ",".join(f"{n}:{types[n]}" if n in types else n for n in names)


def _breaks(text: str) -> bool:
    return "\n" in text or "\r" in text


def _entity_line(e: Entity, names: Sequence[str]) -> tuple[str, bool]:
    """The entity's line and whether it holds a line break; a list item holding the array
    delimiter is refused."""
    props = sparse(entity_props(e))
    for k in _LISTS:
        if k in props and ARRAY_DELIMITER in "".join(props[k]):
            raise InputError([f"entity {e.id}: field '{k}' holds the character U+001F, which the bulk files use"])
    cells = [_cell(props.get(n)) for n in names]
    cells.append(_q(ARRAY_DELIMITER.join([ENTITY_LABEL, KINDS[e.kind].label])))
    text = ",".join(cells)
    return text + "\n", _breaks(text)


def _relationship_line(key: Key, r: Relationship) -> tuple[str, bool]:
    """The relationship's line (its stored fields, those :func:`sparse` drops left empty) and
    whether it holds a line break (JSON text never does; an id might)."""
    t, s, d = key
    props = sparse(rel_row(r))
    cells = [_q(s), _q(d), REL_TYPES[t].name]
    cells += [_cell(props.get(k)) for k in _REL_FIELDS]
    text = ",".join(cells)
    return text + "\n", _breaks(text)


def _write_entities(path: Path, entities: dict[str, Entity]) -> bool:
    multiline = False
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(_header(["id:ID", *_ENTITY_FIELDS[1:]], _ENTITY_TYPES) + ",:LABEL\n")
        for e in entities.values():
            text, brk = _entity_line(e, _ENTITY_FIELDS)
            multiline |= brk
            f.write(text)
    return multiline


def _write_relationships(path: Path, rels: Sequence[tuple[Key, Relationship]]) -> bool:
    multiline = False
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(":START_ID,:END_ID,:TYPE," + _header(_REL_FIELDS, _REL_TYPES) + "\n")
        for key, r in rels:
            text, brk = _relationship_line(key, r)
            multiline |= brk
            f.write(text)
    return multiline


def _beside(job: Callable[[], bool]) -> Callable[[], bool]:
    """Start ``job`` in a forked process, where the platform forks and this process runs one
    thread (so no lock can be held by a thread the child lacks), else run it now; the function
    returned waits for it and gives its result, or raises its error."""
    if not hasattr(os, "fork") or threading.active_count() > 1:
        result = job()
        return lambda: result
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report through the pipe, never return into the caller's code
        code = 0
        try:
            os.close(r)
            os.write(w, b"1" if job() else b"0")
        except BaseException as e:
            os.write(w, (b"I" if isinstance(e, InputError) else b"E") + str(e).encode()[:8000])
            code = 1
        finally:
            os._exit(code)
    os.close(w)

    def wait() -> bool:
        with os.fdopen(r, "rb") as f:
            said = f.read()
        _, status = os.waitpid(pid, 0)
        if said[:1] == b"I":
            raise InputError([said[1:].decode()])
        if status != 0 or said not in (b"0", b"1"):
            raise RuntimeError(f"writing a bulk file failed: {said[1:].decode() or status}")
        return said == b"1"

    return wait


def write_admin_files(batch: Batch, folder: Path) -> AdminFiles:
    """Write ``batch`` as the node and relationship files of ``neo4j-admin database import full``.

    ``folder`` must not exist yet: the files are written beside it and moved into place when all
    are complete, so a failure leaves nothing behind. Judgements are not part of the files (a merge
    is a change to a stored graph); run the same import over Bolt once the database is loaded, which
    finds every entity and relationship already stored and applies them. Where the platform allows,
    a second process writes the entity file and the second relationship file while this one writes
    the first.
    """
    if folder.exists():
        raise InputError([f"{folder}: already exists; the bulk files go into a new folder"])
    with paused_gc():
        entities = group_entities(batch.entities)
        rels = group_relationships(batch.relationships)
        for (t, s, d), _ in rels.items():
            for end in (s, d):
                if end not in entities:
                    msg = f"relationship {t} {s} -> {d}: {end} is not in the folder"
                    raise InputError([msg + "; the bulk path loads an empty database"])
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        items = list(rels.items())
        # The second writer takes the entities and the relationships after ``cut``, the first the
        # rest, so that both take about as long.
        cut = min(len(items), round((len(items) + _ENTITY_WEIGHT * len(entities)) / 2))
        first, second = items[:cut], items[cut:]

        def others() -> bool:
            wrote = _write_entities(tmp / ENTITY_FILE, entities)
            return _write_relationships(tmp / RELATIONSHIP_FILES[1], second) | wrote

        try:
            others_done = _beside(others)
            try:
                multiline = _write_relationships(tmp / RELATIONSHIP_FILES[0], first)
            finally:
                multiline = others_done() | multiline
            os.replace(tmp, folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return AdminFiles(folder, len(entities), len(rels), multiline, len(batch.judgements))
