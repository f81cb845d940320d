"""Named queries: Cypher, loaded from ``cypher/*.cypher``, and the embedded store's SQL.

Each query starts with a ``-- name: NAME`` line (the aiosql habit); comment lines
after it document it. Python asks for queries by name. Cypher cannot take labels
or relationship types as parameters, so a query may hold the placeholders
``__LABEL__`` and ``__TYPE__``; they are filled only with a :class:`~.model.Kind`
or :class:`~.model.RelType` of the vocabulary, never with text from input.
Values always travel as parameters.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from .model import KINDS, REL_TYPES, Kind, RelType

_NAME = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$")
LABEL = "__LABEL__"
TYPE = "__TYPE__"


class QueryError(KeyError):
    pass


def cypher_dir() -> Path:
    """Where the ``.cypher`` files are: inside the installed package, or the source tree."""
    packaged = Path(__file__).parent / "cypher"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "cypher"


def parse(text: str, origin: str = "<text>") -> dict[str, str]:
    """Named queries in a text.

    >>> parse("-- name: one\\n-- the first\\nRETURN 1\\n\\n-- name: two\\nRETURN 2\\n")
    {'one': 'RETURN 1', 'two': 'RETURN 2'}
    """
    out: dict[str, str] = {}
    name: str | None = None
    body: list[str] = []

    def flush() -> None:
        if name is not None:
            q = "\n".join(body).strip()
            if not q:
                raise QueryError(f"{origin}: query {name!r} is empty")
            if name in out:
                raise QueryError(f"{origin}: query {name!r} is defined twice")
            out[name] = q

    for line in text.splitlines():
        m = _NAME.match(line.strip())
        if m:
            flush()
            name, body = m.group(1), []
        elif name is not None and not line.strip().startswith("--"):
            body.append(line)
    flush()
    return out


@cache
def load(folder: Path | None = None, pattern: str = "*.cypher") -> dict[str, str]:
    """Every named query in the files of a folder (default: the ``.cypher`` files); the embedded
    store reads its ``.sql`` files with the same loader."""
    folder = folder or cypher_dir()
    out: dict[str, str] = {}
    for path in sorted(folder.glob(pattern)):
        for name, q in parse(path.read_text(encoding="utf-8"), path.name).items():
            if name in out:
                raise QueryError(f"{path.name}: query {name!r} is defined in another file too")
            out[name] = q
    return out


@cache
def query(name: str, label: Kind | None = None, rtype: RelType | None = None) -> str:
    """The text of a named query, with its label or type filled from the vocabulary.

    >>> "SEEN_AT" in query("delete_relationships", rtype=REL_TYPES["SEEN_AT"])
    True
    """
    try:
        q = load()[name]
    except KeyError:
        raise QueryError(f"no Cypher query named {name!r}") from None
    if LABEL in q:
        if label is None or KINDS.get(label.name) is not label:
            raise QueryError(f"query {name!r} needs a kind of the vocabulary")
        q = q.replace(LABEL, label.label)
    if TYPE in q:
        if rtype is None or REL_TYPES.get(rtype.name) is not rtype:
            raise QueryError(f"query {name!r} needs a relationship type of the vocabulary")
        q = q.replace(TYPE, rtype.name)
    return q
