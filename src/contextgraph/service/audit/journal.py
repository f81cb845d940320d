"""Writes logged ahead: the records of each write synced before the store commits it, and a
write that never committed marked so by a ``recovery`` record."""

from __future__ import annotations

import fcntl
import operator
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from ...store.base import Store
from ...store.staged import StagedRelationships, named_in
from ...store.types import Staged, WriteAbout
from .chain import AuditError, private
from .log import AuditLog

_id_of = operator.attrgetter("id")

T = TypeVar("T")


@dataclass
class Actor:
    user: str
    purpose: str | None
    detail: dict[str, Any]


class Journal:
    """Writes of one store, each logged ahead: its records synced before the store commits,
    the store keeping the record's sequence and hash in the same transaction.

    Writes are made one at a time (a lock beside the log, across processes), so that at most
    one is under way: when the next write, or the next start, finds the store's head short of
    the last write logged, that write did not commit and a ``recovery`` record says so.
    """

    def __init__(self, log: AuditLog, store: Store):
        self.log = log
        self.store = store
        self._local = threading.local()
        self._lock = threading.Lock()

    @classmethod
    def attach(cls, log: AuditLog, store: Store, notes: list[str] | None = None) -> Journal:
        """A journal for ``store``, checked against it (see :meth:`open`), then attached."""
        j = cls(log, store)
        j.open(notes)
        store.journal = j
        return j

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        with self._lock:
            try:
                self.log.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                fh = private(self.log.folder / "write.lock")
            except OSError as exc:
                raise AuditError(f"{self.log.folder}: cannot lock the access log for a write ({exc})") from exc
            with fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)

    def open(self, notes: list[str] | None = None) -> None:
        """Check the log against its head file and the store; mark a write that did not commit.
        Raises :class:`AuditError` when the log was cut off, replaced or is missing."""
        with self._exclusive():
            self.settle(notes=notes)

    def settle(self, reason: str | None = None, notes: list[str] | None = None) -> None:
        """Compare the last write logged with the head the store kept (under the write lock)."""
        try:
            h = self.store.audit_head()
        except Exception as exc:  # the store's own failure, told as such
            raise AuditError(f"cannot read the access log's head from the store ({exc})") from exc
        st = self.log.state(notes)
        committed, pending = st.committed, st.pending()
        if h is None:
            if committed is not None:
                raise AuditError(
                    f"{self.log.path}: the log records writes committed to the store (the last is record "
                    f"{committed['seq']}) but the store holds none: the store was replaced, or the log belongs to "
                    "another store; nothing was done"
                )
        else:
            hs = int(h.get("seq", -1))
            if hs > st.seq:
                what = "is missing or empty" if st.seq < 0 else f"ends at record {st.seq}"
                raise AuditError(
                    f"{self.log.path}: the store's last write is access record {hs} but the log {what}: the log was "
                    "cut off, replaced or moved away; nothing was done"
                )
            known = {}
            if committed is not None:
                known[committed["seq"]] = committed["hash"]
            if pending is not None:
                known[pending["anchor"]] = pending["hash"]
            if known.get(hs) != h.get("hash"):
                raise AuditError(
                    f"{self.log.path}: the store's last write is access record {hs}, which is not the log's: the "
                    "log was replaced, or the store was written under another log; nothing was done"
                )
        if pending is None:
            return
        done = int(h.get("transaction", 1)) if h is not None and h.get("seq") == pending["anchor"] else 0
        whole = int(pending["transactions"])
        if done >= whole:
            return  # committed: the next write's records take it as such
        detail: dict[str, Any] = {
            "write": pending["anchor"],
            "records": pending["records"],
            "committed_transactions": done,
            "transactions": whole,
            "reason": reason or "found at the next write or start",
        }
        self.log.recover("system", detail)
        if notes is not None:
            what = "was not committed" if not done else f"committed only {done} of its {whole} transactions"
            notes.append(f"{self.log.path}: the write of record {pending['anchor']} {what}; a recovery record says so")

    @contextmanager
    def acting(self, user: str, purpose: str | None, detail: dict[str, Any]) -> Iterator[None]:
        """Who makes the writes in this block, why, and how (the command or request)."""
        before = getattr(self._local, "actor", None)
        self._local.actor = Actor(user, purpose, detail)
        try:
            yield
        finally:
            self._local.actor = before

    def write(self, store: Store, about: WriteAbout, run: Callable[[], T]) -> T:
        actor: Actor | None = getattr(self._local, "actor", None)
        if actor is None:
            raise AuditError("a write needs who makes it and why before it is logged; nothing was done")
        with self._exclusive():
            self.settle()
            entries = self.entries(store, about, actor.detail)
            recs = self.log.append_many(actor.user, actor.purpose, entries, write={"transactions": about.transactions})
            anchor = recs[-1]
            store.stage(Staged(anchor["seq"], anchor["hash"], about.transactions))
            try:
                out = run()
            except BaseException as exc:
                store.stage(None)
                self.settle(reason=f"{type(exc).__name__}: {exc}"[:300])
                raise
            store.stage(None)
            return out

    @staticmethod
    def entries(store: Store, about: WriteAbout, base: dict[str, Any]) -> list[tuple[str, list[str], dict[str, Any]]]:
        """The records of a write: what it collects, alters, combines or erases, by id."""
        detail = dict(base)
        if about.op == "merge":
            return [("combination", list(about.ids), detail)]
        if about.op == "split":
            return [("alteration", list(about.ids), {**detail, "split": True})]
        if about.op == "erase":
            return [("erasure", [], {**detail, **about.detail})]  # never the person erased
        if about.op == "gazetteer":  # reference data about no one
            return [("collection", [], {**detail, **about.detail})]
        if about.op == "tracking":  # records written again alter what was held: said so, with whose they were
            return [
                (
                    "alteration" if "replaced" in about.detail else "collection",
                    list(about.ids),
                    {**detail, **about.detail},
                )
            ]
        if about.op == "records":
            tables = sorted({t for t, _ in about.records})
            return [("alteration", list(about.ids), {**detail, "records": tables})]
        ids = list(dict.fromkeys(map(_id_of, about.entities)))
        existing = store.existing(ids) if ids else set()
        new = [i for i in ids if i not in existing] if existing else ids
        old = [i for i in ids if i in existing] if existing else []
        inside = set(ids)
        rels = () if isinstance(about.relationships, StagedRelationships) else about.relationships
        # (staged, every end is among the entities written with them)
        ends = list(dict.fromkeys(x for r in rels for x in (r.source, r.target) if x not in inside))
        # the entities the tracking records written with it name: collected about, like a link's ends
        known = inside.union(ends) if ends else inside
        ends += list(dict.fromkeys(x for x in named_in(about.tracking) if x not in known))
        if about.tracking:
            detail["tracking"] = len(about.tracking)
        sources = [str(r.get("id")) for t, r in about.records if t == "sources"]
        if sources:
            detail["source_ref"] = sources[0] if len(sources) == 1 else sources
        out: list[tuple[str, list[str], dict[str, Any]]] = []
        if new or ends or not old:
            out.append(
                (
                    "collection",
                    new + ends,
                    {**detail, "entities_new": len(new), "relationships": len(about.relationships)},
                )
            )
        if old:
            out.append(("alteration", old, {**detail, "entities_existing": len(old)}))
        return out


def acting(store: Store, user: str, purpose: str | None, detail: dict[str, Any]) -> Any:
    """The store's journal acting for ``user``: every write in the block is logged ahead."""
    j = store.journal
    if not isinstance(j, Journal):
        raise AuditError("the store has no access log attached: nothing is written unlogged")
    return j.acting(user, purpose, detail)
