"""The Neo4j store, for a force or a region (see :mod:`.store`)."""

from .store import Neo4jStore

__all__ = ["Neo4jStore"]
