"""What a Neo4j store holds in memory, valid only while the store's version is unchanged."""

from __future__ import annotations

import threading
import time
from typing import Any, TypeVar

from ...model import Entity, Relationship
from ..types import Key
from .codec import Step

T = TypeVar("T")
X = TypeVar("X")


class Generation:
    """What a warmed store holds at one version of the store."""

    def __init__(self) -> None:
        self.entities: dict[str, Entity] = {}
        self.relationships: dict[Key, Relationship] = {}
        self.stars: dict[str, list[Step]] = {}
        """Each entity's relationships (with no filter), as walks found them."""


class Held:
    """Records a warmed store keeps in memory, valid while the store's version is the one they
    were read at: any committed write, by any process, changes the version, and what is held
    starts again empty (a new :class:`Generation`).

    Readers write what they read into the generation they observed, never into a later one, so
    that a request still reading at an older version cannot put what it read beside the new.
    Records read within ``settle`` seconds of a version first being seen are used but not kept,
    so that none read while a write was still being applied on the server outlives it.
    """

    settle = 2.0

    def __init__(self) -> None:
        self.version: Any = None
        self.seen_at = 0.0
        self.current = Generation()
        self._lock = threading.Lock()

    def observe(self, version: Any) -> tuple[Generation, bool]:
        """Note the version a read saw before reading records: the generation that holds what
        is known at it, and whether what the read goes on to read may be kept there."""
        with self._lock:
            if version != self.version:
                self.version = version
                self.seen_at = time.monotonic()
                self.current = Generation()
                return self.current, False
            return self.current, time.monotonic() - self.seen_at >= self.settle
