"""What a store refuses: one base class, with a message for a person."""

from __future__ import annotations


class StoreError(ValueError):
    """A request the store refuses, with a message for a person."""


class NotFound(StoreError):
    pass
