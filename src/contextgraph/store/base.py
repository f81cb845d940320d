"""The store interface: a few primitives, and everything else built on them.

A store keeps entity records and relationships exactly as sources gave them, plus
the judgements that say two records are one person. Each backend implements the
primitives of :class:`Txn` (read and write inside one transaction) and a handful
of reads on :class:`Store`; merging facts (:mod:`.upsert`), merge, split and erasure
(:mod:`.identities`), and neighbourhoods, search and the projection under handling codes
(:mod:`.reads`) are written once on them, so every backend behaves the same.

Relationships are keyed by type and the *current* ids of their ends. Every
assertion also keeps the ids its source used, so a split can send each assertion
back to the entity it was made about.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ..memory import paused_gc
from ..model import Entity, Relationship
from ..model.tracked import Tracked
from . import identities, reads, tracking, upsert
from .codec import new_record
from .errors import StoreError
from .filter import Filter
from .txn import Txn
from .types import (
    Erasure,
    Fact,
    Judgement,
    Key,
    Label,
    Named,
    Reach,
    SavedView,
    Staged,
    Stats,
    Subgraph,
    WriteAbout,
    WriteJournal,
    WriteSummary,
)

if TYPE_CHECKING:
    import networkx as nx

    from ..localities import Localities
    from ..projection import Projection
    from .staged import StagedRelationships, StagedTracking

T = TypeVar("T")


class Store(ABC):
    """A contextgraph store. Use :func:`contextgraph.store.open_store` to get one."""

    journal: WriteJournal | None = None
    """When set, every write is first recorded by it, and a write it did not record is refused."""

    url: str
    batch_size = 20000
    atomic_rows: int | None = None
    """The most rows one upsert writes in one transaction; None for no limit.

    A larger upsert commits batch by batch (already checked, and idempotent, so an
    interrupted one is completed by running it again).
    """

    # --- primitives a backend implements ---------------------------------

    @abstractmethod
    def transaction(self, fn: Callable[[Txn], T]) -> T:
        """Run ``fn`` in one write transaction; all of it is written or none.

        ``fn`` may be called again if the backend retries a transient failure.
        """

    @abstractmethod
    def read(self, fn: Callable[[Txn], T]) -> T:
        """Run ``fn`` in a read transaction."""

    @abstractmethod
    def expand(self, ids: Sequence[str], flt: Filter) -> list[tuple[Relationship, Entity]]:
        """Live relationships of ``ids`` that pass ``flt``'s types and dates, each with its other
        end, which passes ``flt``'s kinds and localities (handling codes are the caller's to check)."""

    @abstractmethod
    def search_candidates(self, keys: Sequence[str], flt: Filter, limit: int) -> list[Entity]:
        """Live entities whose names may match any normalised ``keys``, best first (a superset is
        fine): about ``limit`` of those ``flt`` lets its reader see, cut after (docs/stores.md)."""

    def exact_candidates(self, keys: Sequence[str], flt: Filter) -> list[Entity]:
        """Live entities with a name or alias that normalises to one of ``keys``; a superset is
        fine. By default :meth:`search_candidates`; a store that indexes names answers it directly
        (matching a note's mentions asks only this, for each mention)."""
        return self.search_candidates(keys, flt, 200)

    @abstractmethod
    def project(self, flt: Filter) -> Projection:
        """The compact projection of the live graph that passes ``flt``, every assertion counted
        (``flt.handling`` is applied by :meth:`projection`)."""

    @abstractmethod
    def conditional_keys(self) -> list[Key]:
        """Keys of the live relationships with at least one assertion graded with conditions
        (handling code C, or legacy handling 2-5); a superset is fine."""

    @abstractmethod
    def conditional_entities(self) -> list[str]:
        """Ids of the live entities named only under handling code C (their merged records too)."""

    @abstractmethod
    def named_under_c(self) -> list[str]:
        """Ids of the live entities a statement under C named (or a record merged into them)."""

    @abstractmethod
    def linked_only_by(self, types: frozenset[str], ids: Sequence[str] | None = None) -> list[str]:
        """Ids of the live placed entities (places, schools) of ``ids`` (None: all) with at least one
        relationship, every one of a type in ``types``: what a reader who never sees those types
        knows nothing of (a child's home, for one who never sees ``LIVES_AT``)."""

    def projection(self, flt: Filter | None = None) -> Projection:
        """The compact projection of the live graph that passes ``flt``.

        With handling codes that leave out C, an entity named only under C is not
        there, an edge counts only its other assertions (their number, dates and
        strongest grading), and an edge with none left is not there: a score can
        never rest on what the reader may not see.
        """
        return reads.projection(self, flt)

    @abstractmethod
    def stats(self) -> Stats: ...

    @abstractmethod
    def iter_entities(self) -> Iterator[Entity]:
        """Every stored record (merged ones too), each with its own facts."""

    @abstractmethod
    def iter_relationships(self) -> Iterator[Relationship]: ...

    @abstractmethod
    def iter_tracking(self, oldest_first: bool = True) -> Iterator[Tracked]:
        """Every tracking record, oldest first (or in no order, which a reader that sorts or
        counts them is spared the sort of)."""

    @abstractmethod
    def close(self) -> None: ...

    def version(self) -> Any:
        """A token that changes whenever the store is written, for caching what is derived from
        it; None when the backend cannot tell cheaply (nothing is cached then)."""
        return None

    def ping(self) -> bool:
        """Whether the store answers."""
        self.read(lambda tx: tx.merged_into([]))
        return True

    # --- the access log's head, kept with each write ----------------------

    def _staging(self) -> threading.local:
        slot = self.__dict__.get("_staged_slot")
        if slot is None:
            slot = self.__dict__.setdefault("_staged_slot", threading.local())
        return slot  # type: ignore[no-any-return]

    def stage(self, staged: Staged | None) -> None:
        """The access record of the write this thread is about to make (None when done)."""
        self._staging().staged = staged

    def _keep_head(self, tx: Txn) -> None:
        """Called by a backend inside every write transaction, before it commits."""
        if self.journal is None:
            return
        st: Staged | None = getattr(self._staging(), "staged", None)
        if st is None:
            raise StoreError("a write with no access record written first is refused: nothing was changed")
        tx.set_audit_head({"seq": st.seq, "hash": st.hash, "transaction": st.done + 1, "transactions": st.transactions})

    def _head_kept(self) -> None:
        """Called by a backend after a write transaction committed."""
        st: Staged | None = getattr(self._staging(), "staged", None)
        if st is not None:
            st.done += 1

    def audit_head(self) -> dict[str, Any] | None:
        """The access log's head kept with the last logged write: ``seq``, ``hash``, and which
        ``transaction`` of how many ``transactions`` of that write committed last."""
        return self.read(lambda tx: tx.audit_head())

    def existing(self, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` stored (merged or not)."""
        ids = list(dict.fromkeys(ids))
        found: set[str] = set()
        for i in range(0, len(ids), self.batch_size):
            chunk = ids[i : i + self.batch_size]
            found |= set(self.read(lambda tx, c=chunk: tx.kinds(c)))  # type: ignore[misc]
        return found

    def _logged(self, about: WriteAbout, run: Callable[[], T]) -> T:
        return run() if self.journal is None else self.journal.write(self, about, run)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- derived operations ---------------------------------------------

    def upsert(
        self,
        entities: Sequence[Entity] = (),
        relationships: Sequence[Relationship] | StagedRelationships = (),
        progress: Callable[[int], None] | None = None,
        records: Sequence[tuple[str, dict[str, Any]]] = (),
        tracking: Sequence[Tracked] | StagedTracking = (),
    ) -> WriteSummary:
        """Write entities and relationships in one transaction. Idempotent.

        An entity asserted again gains the new facts; a relationship asserted by another source
        is the same relationship with one more assertion. ``records`` (table, record) are
        appended in the same transaction: a note's source record and review items are written
        with its facts or not at all; so are ``tracking`` records (a note's missing episode, its
        referral), their names checked as :meth:`record_tracking` checks them. Either may come
        staged by another process (:mod:`~contextgraph.store.staged`), copied in bulk."""
        return upsert.upsert(self, entities, relationships, progress, records, tracking)

    def _upsert_relationships(self, tx: Txn, batch: Sequence[Relationship], s: WriteSummary) -> None:
        """Merge a batch of relationships with those stored (a backend may do it in fewer steps)."""
        upsert.upsert_relationships(tx, batch, s)

    # reads

    def canonical_id(self, eid: str) -> str:
        return self.read(lambda tx: tx.merged_into([eid])).get(eid, eid)

    def get(self, eid: str) -> Entity | None:
        """The entity as readers see it; a merged id gives the entity it was merged into."""
        return self.get_many([eid]).get(eid)

    def own(self, ids: Iterable[str]) -> dict[str, Entity]:
        """Stored records by id, each with only its own facts, whether merged into another or not:
        whose a record is, apart from what it was merged with."""
        wanted = list(ids)
        return self.read(lambda tx: tx.entities(wanted))

    def get_many(self, ids: Iterable[str]) -> dict[str, Entity]:
        """Each of ``ids`` stored, as readers see it (a merged id gives the entity it was merged into)."""
        return reads.get_many(self, ids)

    def visible(self, eid: str, flt: Filter) -> Entity | None:
        """The entity as readers see it, only if it passes ``flt`` (a user's localities); else None,
        the same answer as for an id that does not exist."""
        return reads.visible(self, eid, flt)

    def visible_many(self, ids: Iterable[str], flt: Filter) -> dict[str, Entity]:
        """Those of ``ids`` that pass ``flt``, as readers see them (:meth:`visible` of many)."""
        return reads.visible_many(self, ids, flt)

    def outside_links(self, ids: Sequence[str], flt: Filter) -> dict[str, int]:
        """How many relationships of each of ``ids`` lead to entities ``flt`` keeps out, counted
        without returning them: for "1 link outside your area"."""
        return reads.outside_links(self, ids, flt)

    def labels(self, ids: Iterable[str], flt: Filter | None = None) -> dict[str, Label]:
        """Name and coordinates of each entity as readers (of ``flt``'s clearance) see it, for reports."""
        return reads.labels(self, ids, flt)

    def facts(self, keys: Iterable[Key], flt: Filter | None = None) -> dict[Key, Fact]:
        """Sources, dates, grading and count of each relationship, for reports over many facts;
        with ``flt``, only the assertions of its handling codes."""
        return reads.facts(self, keys, flt)

    def neighbourhood(self, eid: str, depth: int = 1, flt: Filter | None = None) -> Subgraph:
        """The entities within ``depth`` (1-3) steps of ``eid``, and the relationships walked.

        Relationships returned are those from an entity nearer than ``depth`` to
        any entity found; the centre is always included. A service is shown but
        never walked through: being open to the same service is not a link
        between two children.
        """
        return reads.neighbourhood(self, eid, depth, flt)

    def as_seen(self, entities: list[Entity]) -> list[Entity]:
        """``entities`` as readers see them: each record that others were merged into, with
        their facts (:func:`view`), in the same order."""
        return reads.as_seen(self, entities)

    def search(
        self,
        text: str,
        kinds: Iterable[str] | None = None,
        localities: Iterable[str] | None = None,
        limit: int = 20,
        threshold: float = 0.8,
        handling: Iterable[str] | None = None,
        unseen: Iterable[str] | None = None,
    ) -> list[tuple[Entity, float]]:
        """Entities named like ``text``: case, accents and small misspellings forgiven.

        Each result comes with a score in (0, 1]; 1 is an exact match of a name or alias.
        With ``handling`` of P only, entities named only under C are not found; with ``unseen``,
        places linked only by those types (:attr:`Filter.unseen`).
        """
        return reads.search(self, text, kinds, localities, limit, threshold, handling, unseen)

    def graph(self, flt: Filter | None = None) -> nx.MultiDiGraph:
        """A NetworkX graph of the part of the store that passes ``flt``, with names.

        For small graphs and explanations; whole-graph kernels want :meth:`projection`.
        """
        return reads.graph(self, flt)

    # merges, splits, erasure

    def merge(self, a: str, b: str, user: str = "system", reason: str = "", made: tuple[str, str] | None = None) -> str:
        """Record that ``a`` and ``b`` are one entity; ``a``'s id is kept (``b``'s if only C named ``a``).

        The judgement is kept and can be undone with :meth:`split`. ``made``: its own id and time,
        for one made elsewhere (imported); by default, made now.
        """
        return identities.merge(self, a, b, user, reason, made)

    def split(
        self, a: str, b: str, user: str = "system", reason: str = "", made: tuple[str, str] | None = None
    ) -> None:
        """Undo a merge: ``b`` becomes its own entity again, with its own facts (``made`` as for :meth:`merge`)."""
        identities.split(self, a, b, user, reason, made)

    def erase(self, eid: str, user: str = "system", reason: str = "") -> Erasure:
        """Erase a person: the entity, anything merged with it, its relationships and mentions.

        An erasure record stays, holding no personal data: when, who, why, how many
        facts went, and a keyed digest of the id that can only confirm a known id.
        """
        return identities.erase(self, eid, user, reason)

    def records(self, table: str) -> list[dict[str, Any]]:
        """The appended records of a table (``sources``, ``reviews``, ``judgements``...), oldest first."""
        return self.read(lambda tx: tx.records(table))

    def note_refs(self) -> frozenset[str]:
        """The source refs of the notes recorded (the ``sources`` table): refs this service made,
        which a view showing people by initials may give (:func:`~contextgraph.model.shown_refs`)."""
        return frozenset(str(r["id"]) for r in self.records("sources"))

    def add_records(self, records: Sequence[tuple[str, dict[str, Any]]], subjects: Sequence[str] = ()) -> None:
        """Append records, all in one transaction; ``subjects``: the entities they are about."""

        def work(tx: Txn) -> None:
            for table, rec in records:
                tx.add_record(table, rec)

        self._logged(WriteAbout("records", records=records, ids=subjects), lambda: self.transaction(work))

    def localities(self) -> Localities:
        """The area and its localities as last set (none set: an empty :class:`Localities`)."""
        from ..localities import Localities

        found = [r for r in self.records("meta") if r.get("kind") == "localities"]
        return Localities.from_json(found[-1]["settings"], "stored localities", stored=True) if found else Localities()

    def set_localities(self, localities: Localities, user: str = "system") -> dict[str, Any]:
        """Replace the area and localities (appended as a ``meta`` record: the latest one counts)."""
        rec = new_record("localities", user=user, settings=localities.to_json())
        self.add_records([("meta", rec)])
        return rec

    def judgements(self) -> list[Judgement]:
        """The merges and splits made, oldest first."""
        return [Judgement.from_record(r) for r in self.read(lambda tx: tx.records("judgements"))]

    # the gazetteer

    def import_gazetteer(
        self,
        postcodes: Iterable[Sequence[tuple[str, float, float]]] = (),
        named: Iterable[Sequence[Named]] = (),
        origin: str = "",
    ) -> tuple[int, int]:
        """Load batches of postcodes and of named places into the gazetteer, all in one
        transaction (a row already held is replaced); returns how many of each. The batches may
        be read as they are written: an error raised while they are read rolls everything back.
        The write is logged like any other."""

        def work(tx: Txn) -> tuple[int, int]:
            n = m = 0
            for rows in postcodes:
                tx.put_postcodes(rows)
                n += len(rows)
            for places in named:
                tx.put_named_places(places)
                m += len(places)
            return n, m

        with paused_gc():
            return self._logged(WriteAbout("gazetteer", detail={"gazetteer": origin}), lambda: self.transaction(work))

    def postcode_at(self, code: str) -> tuple[float, float] | None:
        """The coordinates of one normalised postcode, or None."""
        return self.read(lambda tx: tx.postcodes([code])).get(code)

    def named_places(self, keys: Sequence[str]) -> list[Named]:
        return self.read(lambda tx: tx.named_places(keys))

    def gazetteer_size(self) -> tuple[int, int]:
        return self.read(lambda tx: tx.gazetteer_size())

    def saved_views(self) -> list[SavedView]:
        """The views saved for the mapping page, oldest first."""
        return [SavedView.from_record(r) for r in self.read(lambda tx: tx.records("views"))]

    def save_view(
        self,
        name: str,
        user: str,
        locality: str,
        state: dict[str, Any],
        shared: bool = False,
        reach: Reach | None = None,
    ) -> SavedView:
        """Save a view of the page (a new record; a name may be saved again); ``reach``: what its saver sees."""
        more = reach.record() if reach else {}
        rec = new_record("view", name=name, user=user, locality=locality, state=state, shared=shared, **more)
        self.add_records([("views", rec)])
        return SavedView.from_record(rec)

    def delete_view(self, view_id: str) -> None:
        """Remove a saved view."""
        self._logged(
            WriteAbout("records", records=[("views", {"id": view_id})]),
            lambda: self.transaction(lambda tx: tx.delete_records("views", [view_id])),
        )

    # tracking records

    def record_tracking(self, records: Sequence[Tracked], where: Mapping[str, str] | None = None) -> int:
        """Write tracking records in one transaction, after checking that each entity they name is
        stored and of a kind the field allows; one that is not refuses the whole batch, naming
        the record (``where``: a file and line by record id) and the field. A record of an id
        already stored replaces it. Returns how many were written."""
        return tracking.record(self, records, where)

    def tracked(self, ids: Sequence[str]) -> dict[str, Tracked]:
        """Tracking records by id, those stored."""
        wanted = list(ids)
        return self.read(lambda tx: tx.tracking_by_id(wanted))

    def timeline(self, eid: str) -> list[Tracked]:
        """The tracking records naming an entity (or a record merged into it), in date order."""
        return tracking.timeline(self, eid)

    def tracking_naming(self, ids: Sequence[str]) -> list[Tracked]:
        """The tracking records naming any of ``ids`` (or a record merged into one), each once, in
        date order: a map's records, say."""
        return tracking.naming(self, ids)

    def erased_among(self, ids: Iterable[str], localities: Iterable[str] | None = None) -> list[str]:
        """Those of ``ids`` an erasure took (the person's id, or a record merged with them): not to
        be written again. With ``localities``, only erasures of records of those localities."""
        return identities.erased_among(self, ids, localities)

    def erasures(self) -> list[Erasure]:
        """The erasures made, oldest first: each with no personal data."""
        return [Erasure.from_record(r) for r in self.read(lambda tx: tx.records("erasures"))]
