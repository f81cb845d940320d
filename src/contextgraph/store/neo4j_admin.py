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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..interchange import Batch, InputError
from ..model import ENTITY_LABEL, KINDS, REL_TYPES
from .base import group_entities, group_relationships
from .neo4j import _entity_props, _rel_row, _sparse

ENTITY_FILE = "entities.csv"
RELATIONSHIP_FILE = "relationships.csv"
ARRAY_DELIMITER = "\x1f"
"""Joins the items of a list in one field (the ASCII unit separator: no name or source holds it)."""
_ARRAY_OPTION = "\\u001F"

_ENTITY_TYPES = {"aliases": "string[]", "sources": "string[]", "handling": "string[]", "lat": "double", "lon": "double"}
_REL_FIELDS = ("assertions", "properties", "first_seen", "last_seen", "count", "grading")
_REL_TYPES = {"count": "long"}


@dataclass
class AdminFiles:
    """What :func:`write_admin_files` wrote, and how to load it."""

    folder: Path
    entities: int
    relationships: int
    multiline: bool = False
    judgements: int = 0
    files: list[str] = field(default_factory=lambda: [ENTITY_FILE, RELATIONSHIP_FILE])

    def arguments(self, database: str = "neo4j", folder: Path | None = None) -> list[str]:
        """The arguments of ``neo4j-admin`` that load these files into ``database`` (the files named
        under ``folder``, where the server's host sees them; by default where they were written)."""
        where = folder if folder is not None else self.folder
        args = [
            "database",
            "import",
            "full",
            f"--nodes={where / ENTITY_FILE}",
            f"--relationships={where / RELATIONSHIP_FILE}",
            "--id-type=string",
            f"--array-delimiter={_ARRAY_OPTION}",
        ]
        if self.multiline:
            args.append("--multiline-fields=true")
        return [*args, database]


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        v = ARRAY_DELIMITER.join(v)
    if isinstance(v, str):
        return '"' + v.replace('"', '""') + '"'
    if isinstance(v, bool):
        raise TypeError("no stored property is a boolean")
    return repr(v) if isinstance(v, float) else str(v)


def _line(cells: Sequence[Any]) -> str:
    return ",".join(_cell(c) for c in cells) + "\n"


def _header(names: Sequence[str], types: dict[str, str]) -> str:
    return ",".join(f"{n}:{types[n]}" if n in types else n for n in names)


def _check(where: str, name: str, v: Any) -> bool:
    """Whether ``v`` needs multi-line fields; a list item holding the array delimiter is refused."""
    if isinstance(v, list):
        for item in v:
            if ARRAY_DELIMITER in item:
                raise InputError([f"{where}: field '{name}' holds the character U+001F, which the bulk files use"])
        return any("\n" in x or "\r" in x for x in v)
    return isinstance(v, str) and ("\n" in v or "\r" in v)


def write_admin_files(batch: Batch, folder: Path) -> AdminFiles:
    """Write ``batch`` as the node and relationship files of ``neo4j-admin database import full``.

    ``folder`` must not exist yet: the files are written beside it and moved into place when all
    are complete, so a failure leaves nothing behind. Judgements are not part of the files (a merge
    is a change to a stored graph); run the same import over Bolt once the database is loaded, which
    finds every entity and relationship already stored and applies them.
    """
    if folder.exists():
        raise InputError([f"{folder}: already exists; the bulk files go into a new folder"])
    entities = group_entities(batch.entities)
    known = set(entities)
    rels = group_relationships(batch.relationships)
    for (t, s, d), _ in rels.items():
        for end in (s, d):
            if end not in known:
                msg = f"relationship {t} {s} -> {d}: {end} is not in the folder; the bulk path loads an empty database"
                raise InputError([msg])
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    multiline = False
    try:
        with open(tmp / ENTITY_FILE, "w", encoding="utf-8", newline="") as f:
            names: list[str] | None = None
            for e in entities.values():
                props = _sparse(_entity_props(e))
                if names is None:
                    names = list(_entity_props(e))
                    f.write(_header(["id:ID", *names[1:]], _ENTITY_TYPES) + ",:LABEL\n")
                for k, v in props.items():
                    multiline |= _check(f"entity {e.id}", k, v)
                row = [props.get(n) for n in names]
                row.append([ENTITY_LABEL, KINDS[e.kind].label])
                f.write(_line(row))
            if names is None:
                f.write(_header(["id:ID"], {}) + ",:LABEL\n")
        with open(tmp / RELATIONSHIP_FILE, "w", encoding="utf-8", newline="") as f:
            f.write(":START_ID,:END_ID,:TYPE," + _header(_REL_FIELDS, _REL_TYPES) + "\n")
            for (t, s, d), r in rels.items():
                props = _sparse(_rel_row(r))
                for k, v in props.items():
                    multiline |= _check(f"relationship {t} {s} -> {d}", k, v)
                f.write(_line([s, d, REL_TYPES[t].name, *(props.get(n) for n in _REL_FIELDS)]))
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return AdminFiles(folder, len(entities), len(rels), multiline, len(batch.judgements))
