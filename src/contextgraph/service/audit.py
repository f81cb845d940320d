"""The access log: who consulted, collected, altered, disclosed, combined or erased what, and why.

Part 3 of the Data Protection Act 2018 (section 62) requires logs of these
operations in automated processing for law-enforcement purposes, with the
justification, date and time, and the identity of the person and, for a
disclosure, the recipient. This log is one JSON line per record, appended and
synced before the operation's result is given, and chained with a key kept apart
from the log: each record holds the HMAC-SHA256 of the one before and of its own
fields, so that a record edited, deleted or moved — or a log re-hashed by anyone
without the key — does not verify. A keyed head file beside the log names its
last record, so that records cut off the end are found; the store keeps the
record of its last write in that write's own transaction (:class:`Journal`), so
that a log replaced, cut short or missing is found against the store. If a
record cannot be written, the operation fails (:class:`AuditError`): nothing is
done that is not logged.

Writes are logged ahead: the record of a write is synced before the store
commits it, and a write that never committed is marked so by a ``recovery``
record when the next write, or the next start, finds it.

>>> import tempfile, pathlib
>>> log = AuditLog(pathlib.Path(tempfile.mkdtemp()) / "audit.jsonl")
>>> _ = log.append("analyst1", "consultation", ["c-1"], purpose="MACE 14 March")
>>> _ = log.append("analyst1", "disclosure", [], purpose="strategy meeting", recipient="CSC Hillcrest")
>>> log.verify()
[]
>>> [r["operation"] for r in log.list(user="analyst1")]
['consultation', 'disclosure']
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final, TypeVar

import orjson

from ..errors import Unavailable
from ..settings import AUDIT_KEY as ENV_AUDIT_KEY
from ..settings import AUDIT_LOG as ENV_AUDIT
from ..settings import AUDIT_MAX_SUBJECTS as ENV_MAX_SUBJECTS
from ..store.base import Store
from ..store.types import Staged, WriteAbout

MAX_SUBJECTS = 1000
"""The most subject ids named in a record itself; more go to a manifest file (``$CONTEXTGRAPH_AUDIT_MAX_SUBJECTS``)."""

OPERATIONS: Final[dict[str, str]] = {
    "consultation": "reading a person's record, a network, a search or an analysis",
    "collection": "adding records: import, note ingest, a new entity or link",
    "alteration": "changing records: facts added to an existing entity, a split, a review decision",
    "disclosure": "giving records to someone else: export",
    "combination": "combining records: a merge, a merge judgement in an import, an accepted review",
    "erasure": "erasing a person",
}
"""The operations section 62(1) names, with what they cover here."""

RECOVERY = "recovery"
"""The log's own upkeep: a write that was not committed, a torn last line moved aside."""

WRITES: Final = frozenset({"collection", "alteration", "combination", "erasure"})
NEEDS_PURPOSE: Final = frozenset({"consultation", "disclosure"})

GENESIS = "0" * 64
HEAD_SLOT = 4096
"""Bytes of each of the head file's two slots."""
T = TypeVar("T")


class AuditError(Unavailable):
    """The log cannot be written, read or trusted: the operation must not go ahead."""


def audit_path(store_url: str) -> Path:
    """Where the log of a store lives: ``$CONTEXTGRAPH_AUDIT_LOG``, else beside a SQLite file.

    >>> audit_path("sqlite:///data/team.db").as_posix()
    'data/team.audit.jsonl'
    """
    env = os.environ.get(ENV_AUDIT)
    if env:
        return Path(env)
    if store_url.startswith("sqlite:///"):
        db = Path(store_url.removeprefix("sqlite:///"))
        return db.with_name(db.stem + ".audit.jsonl")
    return Path("contextgraph.service.audit.jsonl")


def audit_folder(log: Path) -> Path:
    """The folder kept beside a log: its head file, manifests, torn lines moved aside.

    >>> audit_folder(Path("data/team.audit.jsonl")).as_posix()
    'data/team.audit'
    >>> audit_folder(Path("logs/a.jsonl")).as_posix()
    'logs/a.audit'
    """
    base = log.name.removesuffix(".jsonl")
    return log.with_name(base if base.endswith(".audit") else base + ".audit")


def audit_key_path(log: Path) -> Path:
    """The log's key: ``$CONTEXTGRAPH_AUDIT_KEY``, else ``NAME.audit.key`` beside ``NAME.audit.jsonl``.

    >>> audit_key_path(Path("data/team.audit.jsonl")).as_posix()
    'data/team.audit.key'
    """
    env = os.environ.get(ENV_AUDIT_KEY)
    if env:
        return Path(env)
    folder = audit_folder(log)
    return folder.with_name(folder.name + ".key")


def max_subjects() -> int:
    raw = os.environ.get(ENV_MAX_SUBJECTS)
    if raw is None:
        return MAX_SUBJECTS
    if not raw.isdigit() or int(raw) < 1:
        raise AuditError(f"{ENV_MAX_SUBJECTS}={raw!r}: expected a whole number of at least 1")
    return int(raw)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _mac(key: bytes, prev: str, body: dict[str, Any]) -> str:
    return hmac.new(key, prev.encode() + orjson.dumps(body, option=orjson.OPT_SORT_KEYS), hashlib.sha256).hexdigest()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, data: bytes) -> None:
    """Write a whole file by replacing it, synced, so it is either the old or the new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    _fsync_dir(path.parent)


@dataclass
class LogState:
    """What the log's records add up to: its last record, and the write under way or last done."""

    seq: int = -1
    hash: str = GENESIS
    offset: int = 0
    """The size of the log up to and including its last record."""
    write: dict[str, Any] | None = None
    """The last write logged ahead: ``anchor`` (its last record), ``hash``, ``records``,
    ``transactions`` and ``settled`` (a recovery record said it was not, or partly, committed)."""
    committed: dict[str, Any] | None = None
    """The last write known to be committed: ``seq`` and ``hash`` of its last record."""

    def fold(self, rec: dict[str, Any], end: int) -> None:
        w = rec.get("write")
        if isinstance(w, dict):
            if self.write is not None and not self.write["settled"]:
                # a write is logged only once the one before is settled: that one committed
                self.committed = {"seq": self.write["anchor"], "hash": self.write["hash"]}
            self.write = {
                "anchor": rec["seq"],
                "hash": rec["hash"],
                "records": w.get("records", [rec["seq"]]),
                "transactions": w.get("transactions", 1),
                "settled": False,
            }
        elif rec.get("operation") == RECOVERY:
            d = rec.get("detail") or {}
            if self.write is not None and d.get("write") == self.write["anchor"]:
                if d.get("committed_transactions"):
                    self.committed = {"seq": self.write["anchor"], "hash": self.write["hash"]}
                self.write["settled"] = True
        self.seq, self.hash, self.offset = int(rec["seq"]), str(rec["hash"]), end

    def pending(self) -> dict[str, Any] | None:
        return self.write if self.write is not None and not self.write["settled"] else None


@dataclass
class Report:
    """What :meth:`AuditLog.check` found: problems (the log cannot be trusted) and notes."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    records: int = 0
    state: LogState = field(default_factory=LogState)


class AuditLog:
    """An append-only log in one file, chained with a key, with a keyed head file beside it."""

    def __init__(self, path: Path, key_path: Path | None = None):
        self.path = Path(path)
        self.folder = audit_folder(self.path)
        self.key_path = Path(key_path) if key_path is not None else audit_key_path(self.path)
        self.head_path = self.folder / "head"
        self._key: bytes | None = None
        self._seen: tuple[int, str] | None = None
        self._lock = threading.Lock()

    # --- the key and the head file -----------------------------------------------

    def key(self, create: bool = False) -> bytes:
        if self._key is not None:
            return self._key
        if not self.key_path.exists():
            if not create:
                raise AuditError(
                    f"{self.key_path}: the access log's key is missing, so the log cannot be checked or continued; "
                    f"restore it (or set {ENV_AUDIT_KEY} to where it is)"
                )
            self.key_path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_hex(32) + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
            except FileExistsError:
                pass  # another process made it first
        try:
            text = self.key_path.read_text(encoding="ascii").strip()
            key = bytes.fromhex(text)
        except (OSError, ValueError) as exc:
            raise AuditError(f"{self.key_path}: not an access log key ({exc})") from exc
        if len(key) < 32:
            raise AuditError(f"{self.key_path}: the access log key is shorter than 32 bytes")
        self._key = key
        return key

    def _head_mac(self, key: bytes, head: dict[str, Any]) -> str:
        return _mac(key, "head", head)

    def _read_head(self) -> LogState | None:
        """The head file's newest slot that matches its keyed hash (the file holds two, written in
        turn, so that a write of one cut short by a crash leaves the other)."""
        try:
            raw = self.head_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise AuditError(f"{self.head_path}: cannot read the access log's head file ({exc})") from exc
        best: LogState | None = None
        for i in range(0, len(raw), HEAD_SLOT):
            try:
                doc = orjson.loads(raw[i : i + HEAD_SLOT].strip(b" \n\x00") or b"null")
                if not isinstance(doc, dict):
                    continue
                mac = doc.pop("mac")
                if hmac.compare_digest(str(mac), self._head_mac(self.key(), doc)):
                    st = LogState(**doc)
                    if best is None or st.seq > best.seq:
                        best = st
            except (orjson.JSONDecodeError, KeyError, TypeError):
                continue
        if best is None:
            raise AuditError(f"{self.head_path}: the head file does not match its keyed hash (edited or replaced)")
        return best

    def _write_head(self, st: LogState) -> None:
        """Write the head into the slot its sequence number picks, synced (no rename, no new file)."""
        doc = asdict(st)
        doc["mac"] = self._head_mac(self.key(), asdict(st))
        data = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
        if len(data) >= HEAD_SLOT:
            raise AuditError(f"{self.head_path}: the head is larger than its slot ({len(data)} bytes)")
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.head_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            os.pwrite(fd, data.ljust(HEAD_SLOT - 1) + b"\n", HEAD_SLOT * ((st.seq + 1) % 2))
            os.fdatasync(fd)
        finally:
            os.close(fd)

    # --- appending -------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[IO[bytes]]:
        """The log open for appending, under an exclusive lock (processes and threads)."""
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fh = self.path.open("a+b")
            except OSError as exc:
                raise AuditError(f"{self.path}: cannot write the access log ({exc}); nothing was done") from exc
            with fh:
                fcntl.flock(fh, fcntl.LOCK_EX)  # one writer at a time, across processes
                try:
                    yield fh
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)

    def _sync(self, fh: IO[bytes], notes: list[str] | None = None) -> LogState:
        """The log's state, checked against its head file; records appended after the head
        (a crash before the head was written) are taken in; a torn last line is moved aside."""
        size = os.fstat(fh.fileno()).st_size
        head = self._read_head()
        if head is None:
            if size:
                raise AuditError(
                    f"{self.head_path}: the access log's head file is missing, so records cut off the end of "
                    f"{self.path} could not be told; nothing was done (restore it, or move the log aside to start "
                    "a new one)"
                )
            if self._seen is not None:
                raise AuditError(
                    f"{self.path}: the access log and its head file went away while in use (the last record "
                    f"written here was {self._seen[0]}): they were moved or deleted; nothing was done"
                )
            head = LogState()
            self.key(create=True)
            self._write_head(head)
        if size < head.offset:
            raise AuditError(
                f"{self.path}: the access log holds {size} bytes but its head file says it ends at record "
                f"{head.seq} ({head.offset} bytes): records were cut off, or the log was replaced or moved; "
                "nothing was done"
            )
        if head.seq >= 0:
            last = _line_ending_at(fh, head.offset)
            try:
                rec = orjson.loads(last)
            except orjson.JSONDecodeError:
                rec = {}
            if rec.get("seq") != head.seq or rec.get("hash") != head.hash:
                raise AuditError(
                    f"{self.path}: record {head.seq} named by the head file is not where it was: the log was "
                    "replaced or edited; nothing was done"
                )
        if self._seen is not None and head.seq < self._seen[0]:
            raise AuditError(
                f"{self.path}: the access log went back from record {self._seen[0]} to {head.seq} while in use: "
                "it was moved, replaced or cut; nothing was done"
            )
        if size > head.offset:
            self._take_in(fh, head, size, notes if notes is not None else [])
        return head

    def _take_in(self, fh: IO[bytes], st: LogState, size: int, notes: list[str]) -> None:
        """Fold the records after the head file's into ``st``; move a torn last line aside."""
        key = self.key()
        fh.seek(st.offset)
        tail = fh.read(size - st.offset)
        pos = st.offset
        for line in tail.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                self._recover_torn(fh, st, pos, line, notes)
                return
            pos += len(line)
            try:
                rec = orjson.loads(line)
                body = {k: v for k, v in rec.items() if k != "hash"}
                ok = rec.get("seq") == st.seq + 1 and rec.get("prev") == st.hash
                ok = ok and hmac.compare_digest(_mac(key, st.hash, body), str(rec.get("hash")))
            except (orjson.JSONDecodeError, AttributeError):
                ok = False
            if not ok:
                raise AuditError(
                    f"{self.path}: the record after {st.seq} (byte {pos - len(line)}) does not follow its head: "
                    "the log was changed; nothing was done"
                )
            st.fold(rec, pos)
        self._write_head(st)

    def _recover_torn(self, fh: IO[bytes], st: LogState, at: int, torn: bytes, notes: list[str]) -> None:
        """A line cut short by a crash mid-append: moved to a file beside the log, the log cut
        back to its last whole record, and a record of the recovery written."""
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        aside = self.folder / f"torn-{st.seq + 1}-{stamp}.jsonl"
        _write_durably(aside, torn)
        os.ftruncate(fh.fileno(), at)
        os.fsync(fh.fileno())
        st.offset = at
        detail = {
            "torn_line": aside.relative_to(self.folder).as_posix(),
            "bytes": len(torn),
            "sha256": hashlib.sha256(torn).hexdigest(),
        }
        self._write(fh, st, [("system", RECOVERY, [], None, None, detail, None)])
        notes.append(
            f"{self.path}: a torn last line ({len(torn)} bytes, an append cut short) was moved aside to {aside}"
        )

    def _write(
        self,
        fh: IO[bytes],
        st: LogState,
        entries: Sequence[
            tuple[str, str, Sequence[str], str | None, str | None, dict[str, Any], dict[str, Any] | None]
        ],
    ) -> list[dict[str, Any]]:
        """Append records (user, operation, subjects, purpose, recipient, detail, write) in one
        synced write, then the head file."""
        key = self.key()
        most = max_subjects()
        out: list[dict[str, Any]] = []
        lines = []
        seq, prev = st.seq, st.hash
        for user, operation, subjects, purpose, recipient, detail, write in entries:
            seq += 1
            body: dict[str, Any] = {
                "seq": seq,
                "time": _now(),
                "user": user,
                "operation": operation,
                "subjects": list(subjects),
                "purpose": purpose or None,
                "recipient": recipient or None,
                "detail": detail or {},
                "prev": prev,
            }
            if len(subjects) > most:
                body["subjects"] = []
                body["manifest"] = self._manifest(seq, list(subjects))
            if write is not None:
                body["write"] = {**write, "records": list(range(seq - len(entries) + 1, seq + 1))}
            rec = {**body, "hash": _mac(key, prev, body)}
            prev = rec["hash"]
            out.append(rec)
            lines.append(orjson.dumps(rec) + b"\n")
        data = b"".join(lines)
        try:
            fh.seek(0, os.SEEK_END)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        except OSError as exc:
            raise AuditError(f"{self.path}: cannot write the access log ({exc}); nothing was done") from exc
        end = st.offset
        for rec, line in zip(out, lines, strict=True):
            end += len(line)
            st.fold(rec, end)
        self._write_head(st)
        self._seen = (st.seq, st.hash)
        return out

    def _manifest(self, seq: int, subjects: list[str]) -> dict[str, Any]:
        folder = self.folder / "manifests"
        folder.mkdir(parents=True, exist_ok=True)
        data = orjson.dumps({"seq": seq, "subjects": subjects})
        _write_durably(folder / f"{seq}.json", data)
        return {"file": f"manifests/{seq}.json", "count": len(subjects), "sha256": hashlib.sha256(data).hexdigest()}

    def append(
        self,
        user: str,
        operation: str,
        subjects: Sequence[str],
        purpose: str | None = None,
        recipient: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Write one record and sync it to disk; raise :class:`AuditError` if that fails."""
        return self.append_many(user, purpose, [(operation, subjects, detail or {})], recipient=recipient)[0]

    def append_many(
        self,
        user: str,
        purpose: str | None,
        entries: Sequence[tuple[str, Sequence[str], dict[str, Any]]],
        recipient: str | None = None,
        write: dict[str, Any] | None = None,
        notes: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Write records (operation, subjects, detail) in one synced append. ``write``: they are the
        records of a write to come (``transactions``: how many it commits in), logged ahead."""
        for operation, _, _ in entries:
            if operation not in OPERATIONS:
                raise AuditError(f"unknown operation {operation!r}")
            if operation == "disclosure" and not recipient:
                raise AuditError("a disclosure needs its recipient")
            if operation in NEEDS_PURPOSE and not (purpose or "").strip():
                raise AuditError(f"a {operation} needs its purpose: say why (X-Purpose, or --purpose)")
        with self._locked() as fh:
            try:
                st = self._sync(fh, notes)
                rows = [
                    (user, op, subjects, purpose, recipient, detail, write if i == len(entries) - 1 else None)
                    for i, (op, subjects, detail) in enumerate(entries)
                ]
                return self._write(fh, st, rows)
            except OSError as exc:
                raise AuditError(f"{self.path}: cannot write the access log ({exc}); nothing was done") from exc

    def recover(self, user: str, detail: dict[str, Any]) -> dict[str, Any]:
        """Append a ``recovery`` record (a write found not committed)."""
        with self._locked() as fh:
            st = self._sync(fh)
            return self._write(fh, st, [(user, RECOVERY, [], None, None, detail, None)])[0]

    def state(self, notes: list[str] | None = None) -> LogState:
        """The log's state, checked against its head file (a torn last line is recovered)."""
        with self._locked() as fh:
            return self._sync(fh, notes)

    def ready(self) -> None:
        """Check, before an operation, that its record can be written (fail closed)."""
        self.state()

    # --- reading -----------------------------------------------------------------------

    def _lines(self) -> Iterator[tuple[int, bytes, int]]:
        """Whole lines with their number and the offset after them; a torn last line is not one."""
        try:
            with self.path.open("rb") as fh:
                pos = 0
                for n, line in enumerate(fh, 1):
                    if not line.endswith(b"\n"):
                        return
                    pos += len(line)
                    yield n, line, pos
        except FileNotFoundError:
            return
        except OSError as exc:
            raise AuditError(f"{self.path}: cannot read the access log ({exc})") from exc

    def records(self) -> Iterator[dict[str, Any]]:
        for n, line, _ in self._lines():
            if line.strip():
                try:
                    yield orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise AuditError(f"{self.path}, line {n}: not a log record ({exc})") from exc

    def subjects(self, rec: dict[str, Any]) -> list[str]:
        """A record's subjects, from its manifest when it has one."""
        m = rec.get("manifest")
        if not isinstance(m, dict):
            return list(rec.get("subjects") or [])
        try:
            return list(orjson.loads((self.folder / str(m["file"])).read_bytes())["subjects"])
        except (OSError, orjson.JSONDecodeError, KeyError) as exc:
            raise AuditError(
                f"{self.folder / str(m.get('file'))}: cannot read record {rec.get('seq')}'s manifest"
            ) from exc

    def verify(self) -> list[str]:
        """Problems found in the chain, each naming the line; empty when the log is intact."""
        return self.check().problems

    def check(self, store_head: dict[str, Any] | None = None, store_checked: bool = False) -> Report:
        """Check every record's keyed hash and place, the manifests, the head file, and — when
        ``store_checked`` — the head the store keeps with its last write."""
        rep = Report()
        problems, notes = rep.problems, rep.notes
        try:
            key: bytes | None = self.key()
        except AuditError as exc:
            key = None
            if self.path.exists() and self.path.stat().st_size:
                problems.append(str(exc))
        try:
            head = self._read_head() if key is not None else None
        except AuditError as exc:
            problems.append(str(exc))
            head = None
        want = {x["seq"]: x["hash"] for x in (head and {"seq": head.seq, "hash": head.hash}, store_head) if x}
        found: dict[int, str] = {}
        st = rep.state
        prev, seq = GENESIS, 0
        size = 0
        for n, line, end in self._lines():
            size = end
            try:
                r = orjson.loads(line)
                if not isinstance(r, dict):
                    raise orjson.JSONDecodeError("not an object", "", 0)
            except orjson.JSONDecodeError as exc:
                problems.append(f"line {n}: not a log record ({exc})")
                continue
            rep.records += 1
            body = {k: v for k, v in r.items() if k != "hash"}
            if r.get("seq") != seq:
                problems.append(f"line {n}: record {r.get('seq')} where {seq} was expected (deleted or moved)")
            if r.get("prev") != prev:
                problems.append(f"line {n}: does not follow the record before it (deleted, moved or edited)")
            if key is not None and not hmac.compare_digest(_mac(key, str(r.get("prev")), body), str(r.get("hash"))):
                problems.append(
                    f"line {n}: its contents do not match its keyed hash (edited, or re-hashed without the key)"
                )
            m = r.get("manifest")
            if isinstance(m, dict):
                try:
                    data = (self.folder / str(m.get("file"))).read_bytes()
                    if hashlib.sha256(data).hexdigest() != m.get("sha256"):
                        problems.append(f"line {n}: its manifest {m.get('file')} was changed")
                except OSError:
                    problems.append(f"line {n}: its manifest {m.get('file')} is missing")
            if isinstance(r.get("seq"), int) and r["seq"] in want:
                found[r["seq"]] = str(r.get("hash"))
            prev = str(r.get("hash"))
            seq = (r["seq"] + 1) if isinstance(r.get("seq"), int) else seq + 1
            if isinstance(r.get("seq"), int) and isinstance(r.get("hash"), str):
                st.fold(r, end)
        if self.path.exists() and self.path.stat().st_size > size:
            notes.append(
                f"a torn last line ({self.path.stat().st_size - size} bytes, an append cut short) is moved aside at "
                "the next write or start"
            )
        last = seq - 1
        if head is None and key is not None and rep.records:
            problems.append(f"{self.head_path}: the head file is missing: records cut off the end could not be told")
        if head is not None:
            if head.seq > last:
                problems.append(
                    f"the log ends at record {last} but its head file says {head.seq}: records were cut off the end, "
                    "or the log was replaced"
                )
            elif head.seq >= 0 and found.get(head.seq) != head.hash:
                problems.append(f"record {head.seq} is not the one the head file names: the log was replaced")
        if store_checked:
            self._check_store(store_head, st, last, found, problems, notes)
        return rep

    def _check_store(
        self,
        h: dict[str, Any] | None,
        st: LogState,
        last: int,
        found: dict[int, str],
        problems: list[str],
        notes: list[str],
    ) -> None:
        if h is None:
            if st.committed is not None:
                problems.append(
                    f"the log records writes committed to the store (the last is record {st.committed['seq']}) "
                    "but the store holds none: the store was replaced, or the log belongs to another store"
                )
            pending = st.pending()
            if pending is not None:
                notes.append(
                    f"record {pending['anchor']}: its write was not committed (it is marked at the next start)"
                )
            return
        hs = int(h.get("seq", -1))
        if hs > last:
            what = "is missing or empty" if last < 0 else f"ends at record {last}"
            problems.append(
                f"the store's last write is access record {hs} but the log {what}: the log was cut off, replaced or "
                "moved away"
            )
            return
        if found.get(hs) != h.get("hash"):
            problems.append(
                f"the store's last write is access record {hs}, which the log does not hold as such: the log was "
                "replaced, or the store was written under another log"
            )
            return
        pending = st.pending()
        if pending is not None:
            if pending["anchor"] == hs and int(h.get("transaction", 1)) < int(pending["transactions"]):
                notes.append(
                    f"record {hs}: only {h.get('transaction')} of its write's {pending['transactions']} transactions "
                    "committed (it is marked at the next start)"
                )
            elif pending["anchor"] != hs:
                notes.append(
                    f"record {pending['anchor']}: its write was not committed (it is marked at the next start)"
                )
        known = {st.committed["seq"]} if st.committed else set()
        if pending is not None:
            known.add(pending["anchor"])
        if hs not in known:
            problems.append(
                f"the store's last write is access record {hs}, but the log's last committed write is "
                f"{st.committed['seq'] if st.committed else 'none'}: the log and the store disagree"
            )

    def list(self, subject: str | None = None, user: str | None = None) -> list[dict[str, Any]]:
        return [
            r
            for r in self.records()
            if (
                subject is None
                or subject in r.get("subjects", [])
                or (r.get("manifest") and subject in self.subjects(r))
            )
            and (user is None or r.get("user") == user)
        ]


def _line_ending_at(fh: IO[bytes], end: int) -> bytes:
    """The line of an open log that ends (with its newline) at byte ``end``."""
    pos, tail = end, b""
    while pos > 0:
        step = min(8192, pos)
        pos -= step
        fh.seek(pos)
        tail = fh.read(step) + tail
        body = tail[:-1]
        cut = body.rfind(b"\n")
        if cut >= 0:
            return body[cut + 1 :]
    return tail[:-1]


# --- writes, logged ahead --------------------------------------------------------------


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
                self.log.folder.mkdir(parents=True, exist_ok=True)
                fh = (self.log.folder / "write.lock").open("a+b")
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
        if about.op == "records":
            tables = sorted({t for t, _ in about.records})
            return [("alteration", list(about.ids), {**detail, "records": tables})]
        ids = list(dict.fromkeys(e.id for e in about.entities))
        existing = store.existing(ids) if ids else set()
        new = [i for i in ids if i not in existing]
        old = [i for i in ids if i in existing]
        inside = set(ids)
        ends = list(dict.fromkeys(x for r in about.relationships for x in (r.source, r.target) if x not in inside))
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
