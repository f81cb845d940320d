"""The typed records a store returns and takes beside entities and relationships."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple, Protocol, TypeVar, runtime_checkable

from ..model import Entity, Relationship
from ..model.tracked import Tracked

if TYPE_CHECKING:
    from .base import Store
    from .staged import StagedRelationships, StagedTracking

T = TypeVar("T")
Key = tuple[str, str, str]
"""A relationship's key: its type and the current ids of its two ends."""


class Label(NamedTuple):
    """What a report shows of an entity it names."""

    name: str
    lat: float | None
    lon: float | None
    kind: str = ""


class Named(NamedTuple):
    """A place of the gazetteer known by name: ``key`` is its normalised name, ``locality`` '' when
    the gazetteer gives none."""

    key: str
    name: str
    lat: float
    lon: float
    locality: str = ""
    kind: str = ""


class Fact(NamedTuple):
    """What a report shows of a relationship it cites."""

    sources: list[str]
    first_seen: str | None
    last_seen: str | None
    grading: str | None
    assertions: int


@dataclass
class Subgraph:
    nodes: list[Entity] = field(default_factory=list)
    edges: list[Relationship] = field(default_factory=list)


@dataclass
class WriteSummary:
    entities_created: int = 0
    entities_updated: int = 0
    relationships_created: int = 0
    relationships_updated: int = 0
    unchanged: int = 0
    transactions: int = 0

    def add(self, other: WriteSummary) -> None:
        self.entities_created += other.entities_created
        self.entities_updated += other.entities_updated
        self.relationships_created += other.relationships_created
        self.relationships_updated += other.relationships_updated
        self.unchanged += other.unchanged
        self.transactions += 1


@dataclass
class Stats:
    entities: dict[str, int]
    relationships: dict[str, int]
    localities: dict[str, int]
    merged: int
    judgements: int
    erasures: int
    tracking: dict[str, int] = field(default_factory=dict)
    """Tracking records by kind of record."""

    def to_json(self) -> dict[str, Any]:
        return {
            "entities": self.entities,
            "relationships": self.relationships,
            "localities": self.localities,
            "entities_total": sum(self.entities.values()),
            "relationships_total": sum(self.relationships.values()),
            "merged": self.merged,
            "judgements": self.judgements,
            "erasures": self.erasures,
            "tracking": self.tracking,
        }


RECORD_TABLES = ("judgements", "erasures", "meta", "sources", "reviews", "views")


@dataclass
class WriteAbout:
    """What a write is about, told to the store's journal before the write is done."""

    op: str
    """``upsert``, ``merge``, ``split``, ``erase``, ``records``, ``tracking`` or ``gazetteer``."""
    entities: Sequence[Entity] = ()
    relationships: Sequence[Relationship] | StagedRelationships = ()
    records: Sequence[tuple[str, dict[str, Any]]] = ()
    ids: Sequence[str] = ()
    """The entities a merge, split or appended records are about."""
    tracking: Sequence[Tracked] | StagedTracking = ()
    """The tracking records an upsert writes with its facts."""
    transactions: int = 1
    """How many transactions the write commits in (a large upsert commits batch by batch)."""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Staged:
    """The access record of the write under way, kept with each of its transactions."""

    seq: int
    hash: str
    transactions: int = 1
    done: int = 0


class WriteJournal(Protocol):
    """What records each write before it is committed (see :class:`contextgraph.service.audit.Journal`)."""

    def write(self, store: Store, about: WriteAbout, run: Callable[[], T]) -> T: ...


@runtime_checkable
class Warmable(Protocol):
    """A store that can read every record into memory now and keep it there, for a long-running
    service that answers many traversals (both stores are)."""

    def warm(self) -> int:
        """Read everything; returns how many records are held."""
        ...


@runtime_checkable
class Forkable(Protocol):
    """A store a forked process can read from, sharing what this process has loaded (the embedded
    store); the report runs its second half in such a process."""

    def before_fork(self) -> None:
        """Load now what the forked process will read, so that it shares this copy."""
        ...

    def in_child(self) -> Store:
        """A store to read from in the forked process."""
        ...


@dataclass(frozen=True, slots=True)
class Erasure:
    """What an erasure leaves: when, who, why, how many facts went, and a keyed digest of the id
    erased (it can only confirm an id already known), with no personal data.

    ``wal_emptied``: for the embedded store, whether its write-ahead file was emptied at once (False
    when another reader kept it; the next erasure or checkpoint empties it); None for a server.
    """

    id: str
    at: str
    user: str
    reason: str
    subject_digest: str
    entities: int
    relationships: int
    wal_emptied: bool | None = None
    tracking: int = 0
    """Tracking records about the person removed (those that only named them lose the name)."""

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> Erasure:
        """From the record the store keeps in its ``erasures`` table."""
        return cls(
            id=str(rec["id"]),
            at=str(rec["at"]),
            user=str(rec.get("user", "")),
            reason=str(rec.get("reason", "")),
            subject_digest=str(rec["subject_digest"]),
            entities=int(rec["entities"]),
            relationships=int(rec["relationships"]),
            tracking=int(rec.get("tracking", 0)),
        )


JudgementKind = Literal["merge", "split"]


@dataclass(frozen=True, slots=True)
class Judgement:
    """A person's judgement that two records are one (``merge``) or not (``split``, which undoes a
    merge): reversible, and kept with who made it and why.

    As read from an interchange file it has no ``id``, ``at`` or ``ids`` yet; as the store keeps it,
    ``ids`` are the records that moved.

    >>> Judgement.from_record({"a": "c-1", "b": "c-4", "user": "ana"}).to_line()
    {'kind': 'merge', 'a': 'c-1', 'b': 'c-4', 'user': 'ana', 'reason': ''}
    """

    kind: JudgementKind
    a: str
    b: str
    user: str = "import"
    reason: str = ""
    id: str | None = None
    at: str | None = None
    ids: tuple[str, ...] = ()

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> Judgement:
        """From a record the store keeps, or a checked line of ``judgements.jsonl``."""
        kind: JudgementKind = "split" if rec.get("kind") == "split" else "merge"
        return cls(
            kind=kind,
            a=str(rec["a"]),
            b=str(rec["b"]),
            user=str(rec.get("user", "import")),
            reason=str(rec.get("reason", "")),
            id=None if rec.get("id") is None else str(rec["id"]),
            at=None if rec.get("at") is None else str(rec["at"]),
            ids=tuple(str(x) for x in rec.get("ids") or ()),
        )

    def to_line(self) -> dict[str, Any]:
        """The line of ``judgements.jsonl`` an export writes (the records that moved are not in it:
        importing the line moves them again)."""
        line: dict[str, Any] = {"id": self.id} if self.id else {}
        line["kind"] = self.kind
        if self.at:
            line["at"] = self.at
        line.update(a=self.a, b=self.b, user=self.user, reason=self.reason)
        return line


EVERYWHERE: Final = "*"
"""A view's record of one who saved it seeing every locality."""


@dataclass(frozen=True, slots=True)
class Reach:
    """What one who saved a view could see: their role, clearance and localities (None: every
    locality; empty: not recorded, as for views saved before they were, when the view's own
    locality is all that is known of theirs)."""

    role: str
    clearance: str
    localities: tuple[str, ...] | None = ()

    def record(self) -> dict[str, Any]:
        """The fields a view's record keeps of it."""
        return {
            "role": self.role,
            "clearance": self.clearance,
            "localities": EVERYWHERE if self.localities is None else list(self.localities),
        }

    @classmethod
    def of_record(cls, rec: dict[str, Any]) -> Reach | None:
        """From a view's record; None when it holds no role and clearance.

        >>> Reach.of_record({"role": "analyst", "clearance": "C", "localities": ["Hillcrest"]})
        Reach(role='analyst', clearance='C', localities=('Hillcrest',))
        >>> Reach.of_record({"role": "admin", "clearance": "C", "localities": "*"}).localities is None
        True
        >>> Reach.of_record({"role": "admin", "clearance": "C", "localities": None}).localities is None
        True
        >>> Reach.of_record({"role": "analyst", "clearance": "C"}).localities
        ()
        """
        if not rec.get("role") or not rec.get("clearance"):
            return None
        if "localities" not in rec:  # saved before they were kept
            return cls(str(rec["role"]), str(rec["clearance"]), ())
        places = rec["localities"]  # a list, or every locality ("*"; null as first written)
        held = tuple(map(str, places)) if isinstance(places, list) else None
        return cls(str(rec["role"]), str(rec["clearance"]), held)


@dataclass(frozen=True, slots=True)
class SavedView:
    """A view of the mapping page saved by name for a meeting: its locality and ``state`` (the
    date window, types, undated facts, initials, the entity focused, pinned positions and notes on
    entities, as the page gives them), who saved it and when, and whether the others of the
    locality may open it (``shared``).

    >>> v = SavedView.from_record({"id": "v1", "name": "March MACE", "user": "ana", "locality": "Hillcrest",
    ...                            "at": "2026-03-01T10:00:00+00:00", "state": {"since": "2026-01-01"}})
    >>> v.shared, v.day
    (False, '2026-03-01')
    """

    id: str
    name: str
    user: str
    locality: str
    at: str
    state: dict[str, Any]
    shared: bool = False
    reach: Reach | None = None
    """What the one who saved it could see (None: not recorded, as in views saved before it was).
    Its name and the notes written on it are shown only to readers who see as much."""

    @property
    def day(self) -> str:
        """The date it was saved."""
        return self.at[:10]

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> SavedView:
        """From the record the store keeps in its ``views`` table."""
        return cls(
            id=str(rec["id"]),
            name=str(rec["name"]),
            user=str(rec["user"]),
            locality=str(rec["locality"]),
            at=str(rec["at"]),
            state=dict(rec.get("state") or {}),
            shared=bool(rec.get("shared", False)),
            reach=Reach.of_record(rec),
        )
