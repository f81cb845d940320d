"""Stores: where the graph is kept. :func:`open_store` picks one from a URL."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..settings import STORE as ENV_STORE
from .base import Store
from .errors import NotFound, StoreError
from .filter import Filter
from .types import Judgement, Stats, Subgraph, WriteSummary

DEFAULT_STORE = "sqlite:///contextgraph.db"
"""The embedded default: ``contextgraph.db`` in the working folder."""


__all__ = [
    "DEFAULT_STORE",
    "ENV_STORE",
    "Filter",
    "Judgement",
    "NotFound",
    "Stats",
    "Store",
    "StoreError",
    "Subgraph",
    "WriteSummary",
    "open_store",
    "store_url",
]


def store_url(url: str | None = None) -> str:
    """The store URL to use: the one given, else ``$CONTEXTGRAPH_STORE``, else the default."""
    return url or os.environ.get(ENV_STORE) or DEFAULT_STORE


def open_store(url: str | None = None) -> Store:
    """Open the store a URL names.

    ``sqlite:///relative/file.db`` or ``sqlite:////absolute/file.db`` (or a bare
    path ending ``.db``) opens the embedded store; ``neo4j://``, ``neo4j+s://``,
    ``bolt://`` and ``bolt+s://`` URLs (``user:password@host:7687``) open Neo4j.
    """
    url = store_url(url)
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme == "sqlite":
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else url[len("sqlite://") :]
        if not path:
            raise StoreError(f"no file in store URL {url!r} (try sqlite:///contextgraph.db)")
        from .sqlite import SQLiteStore

        return SQLiteStore(Path(unquote(path)))
    if scheme in {"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"}:
        from .neo4j import Neo4jStore

        parts = urlsplit(url)
        auth = (unquote(parts.username or "neo4j"), unquote(parts.password or "")) if parts.username else None
        netloc = parts.hostname or "localhost"
        if parts.port:
            netloc += f":{parts.port}"
        database = parts.path.strip("/") or None
        return Neo4jStore(f"{scheme}://{netloc}", auth=auth, database=database)
    if not scheme and url.endswith(".db"):
        from .sqlite import SQLiteStore

        return SQLiteStore(Path(url))
    raise StoreError(f"unknown store URL {url!r}: use sqlite:///FILE.db or neo4j://user:password@host:7687")
