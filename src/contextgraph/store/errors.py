"""What a store refuses: one base class, with a message for a person."""

from __future__ import annotations

from ..errors import ContextGraphError


class StoreError(ContextGraphError, ValueError):
    """A request the store refuses, with a message for a person."""


class NotFound(StoreError):
    """No such record (or none the asker may see: the same answer)."""

    status = 404
