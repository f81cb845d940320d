"""The embedded default store: one SQLite file (see :mod:`.store`)."""

from .index import Index
from .migrations import MIGRATIONS
from .store import SQLiteStore

__all__ = ["MIGRATIONS", "Index", "SQLiteStore"]
