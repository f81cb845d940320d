"""The primitives a backend implements to read and write inside one transaction (see
:mod:`.base`, where everything else is built on them)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..model import Entity, Relationship
from ..model.tracked import Tracked
from . import tracking
from .types import Key, Named, WriteSummary

if TYPE_CHECKING:
    from .staged import StagedRelationships, StagedTracking


class Txn(ABC):
    """Primitives a backend implements inside one transaction."""

    @abstractmethod
    def entities(self, ids: Iterable[str]) -> dict[str, Entity]:
        """Stored records by id, merged or not, each with only its own facts."""

    @abstractmethod
    def merged_into(self, ids: Iterable[str]) -> dict[str, str]:
        """For those of ``ids`` merged into another entity, that entity's id."""

    @abstractmethod
    def members(self, canonical: str) -> list[str]:
        """Ids merged into ``canonical``."""

    @abstractmethod
    def relationships(self, keys: Iterable[Key]) -> dict[Key, Relationship]:
        """Stored relationships by (type, source, target), those that exist."""

    @abstractmethod
    def relationships_of(self, ids: Iterable[str]) -> list[Relationship]:
        """Every stored relationship with an end in ``ids``."""

    @abstractmethod
    def put_entities(self, entities: Sequence[Entity], new: bool) -> None:
        """Write whole records (``new``: none of them exists yet)."""

    @abstractmethod
    def put_relationships(self, rels: Sequence[Relationship], new: bool) -> None:
        """Write whole relationships (``new``: none of them exists yet)."""

    @abstractmethod
    def delete_relationships(self, keys: Sequence[Key]) -> None: ...

    @abstractmethod
    def delete_entities(self, ids: Sequence[str]) -> None: ...

    @abstractmethod
    def set_merged_into(self, ids: Sequence[str], into: str | None) -> None: ...

    @abstractmethod
    def add_record(self, table: str, record: dict[str, Any]) -> None:
        """Append a judgement or an erasure record."""

    def kinds(self, ids: Iterable[str]) -> dict[str, str]:
        """The kind of each of ``ids`` stored (merged or not). Built on :meth:`entities`; a backend
        may answer from what it holds in memory."""
        return {i: e.kind for i, e in self.entities(ids).items()}

    def create_missing_entities(self, entities: Sequence[Entity]) -> dict[str, Entity]:
        """Create those of ``entities`` not stored yet; return the stored records of the others.

        Built on :meth:`entities` and :meth:`put_entities`; a backend may do it in one step.
        """
        existing = self.entities(e.id for e in entities)
        fresh = [e for e in entities if e.id not in existing]
        if fresh:
            self.put_entities(fresh, new=True)
        return existing

    def create_missing_relationships(self, rels: Sequence[Relationship]) -> dict[Key, Relationship]:
        """Create those of ``rels`` not stored yet; return the stored form of the others."""
        existing = self.relationships(r.key for r in rels)
        fresh = [r for r in rels if r.key not in existing]
        if fresh:
            self.put_relationships(fresh, new=True)
        return existing

    def bulk_hint(self, entities: int, relationships: int) -> None:  # noqa: B027 - optional hook
        """Told before a large write, so a backend can prepare (drop and rebuild indexes, say)."""

    def put_staged_relationships(self, staged: StagedRelationships, s: WriteSummary) -> bool:
        """Copy in rows another process made (counted in ``s``); False if not taken: read here."""
        return False

    def any_merged(self) -> bool:
        """Whether any entity is merged into another (if not, ids need no resolving)."""
        return True

    @abstractmethod
    def records(self, table: str) -> list[dict[str, Any]]: ...

    @abstractmethod
    def delete_records(self, table: str, ids: Sequence[str]) -> None:
        """Remove the records of ``table`` with those ids (an erasure's only exception to appending)."""

    # tracking records: what happens to a child, a place or a group over time

    @abstractmethod
    def put_tracking(self, records: Sequence[Tracked]) -> None:
        """Write tracking records, replacing any of the same id, with the entities each names."""

    def put_staged_tracking(self, staged: StagedTracking) -> None:
        """Write records staged by another process (:mod:`.staged`) after checking the entities
        they name, as :meth:`put_tracking` writes them; a store may copy them in bulk."""
        read = staged.read()
        records = [t for _, t in read]
        tracking.check_names(self, records, {t.id: at for at, t in read})
        self.put_tracking(records)

    @abstractmethod
    def tracking_of(self, ids: Sequence[str]) -> list[Tracked]:
        """The tracking records naming any of ``ids`` (as subject or in a field), in no order."""

    @abstractmethod
    def tracking_by_id(self, ids: Sequence[str]) -> dict[str, Tracked]:
        """Tracking records by id, those that exist."""

    @abstractmethod
    def delete_tracking(self, ids: Sequence[str]) -> None:
        """Remove tracking records (an erasure's)."""

    @abstractmethod
    def set_audit_head(self, head: dict[str, Any]) -> None:
        """Keep the access log's head — the sequence and hash of the record of this write — with
        the write, in this transaction."""

    @abstractmethod
    def audit_head(self) -> dict[str, Any] | None:
        """The access log's head as the last logged write left it; None before any."""

    # the gazetteer: reference data, not about anyone

    @abstractmethod
    def put_postcodes(self, rows: Sequence[tuple[str, float, float]]) -> None:
        """Write (postcode, lat, lon) rows, replacing a postcode already held."""

    @abstractmethod
    def put_named_places(self, rows: Sequence[Named]) -> None:
        """Write named places, replacing one of the same key and locality."""

    @abstractmethod
    def postcodes(self, codes: Sequence[str]) -> dict[str, tuple[float, float]]:
        """The coordinates of those of ``codes`` the gazetteer holds."""

    @abstractmethod
    def named_places(self, keys: Sequence[str]) -> list[Named]:
        """The named places whose key is one of ``keys``."""

    @abstractmethod
    def gazetteer_size(self) -> tuple[int, int]:
        """How many postcodes and named places the gazetteer holds."""
