"""The embedded store's schema: the migrations of ``queries/schema.sql``, in order."""

from __future__ import annotations

from .sql import named

MIGRATIONS: list[str] = []
"""The statements of each migration: ``MIGRATIONS[n]`` takes a file from version n to n + 1."""

while f"migration_{len(MIGRATIONS) + 1}" in named():
    MIGRATIONS.append(named()[f"migration_{len(MIGRATIONS) + 1}"])
