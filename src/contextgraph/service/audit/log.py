"""The access log's file: its key, its keyed head file, appending records synced (taking in what
a crash left after the head, moving a torn last line aside), and reading them back."""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from ...settings import AUDIT_KEY as ENV_AUDIT_KEY
from .chain import (
    HEAD_SLOT,
    MOST_SAID,
    NEEDS_PURPOSE,
    OPERATIONS,
    OWNER_ONLY,
    RECOVERY,
    AuditError,
    LogState,
    audit_folder,
    audit_key_path,
    fits,
    line_ending_at,
    mac,
    max_subjects,
    now,
    private,
    visible,
    write_durably,
)
from .check import Report, check


def _whole_end(fh: IO[bytes], offset: int, size: int) -> int:
    """Where the log's last whole line ends, looking from ``offset`` (a torn line after it left out)."""
    if size <= offset:
        return size
    fh.seek(offset)
    at = fh.read(size - offset).rfind(b"\n")
    return offset + at + 1 if at >= 0 else offset


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

    def _headmac(self, key: bytes, head: dict[str, Any]) -> str:
        return mac(key, "head", head)

    def read_head(self) -> LogState | None:
        """The head file's newest slot that matches its keyed hash (the file holds two, written in
        turn, so that a write of one cut short by a crash leaves the other)."""
        return self.read_slots()[0]

    def read_slots(self) -> tuple[LogState | None, bool]:
        """:meth:`read_head`, and whether the other slot is damaged: once written, it no longer
        matches its keyed hash, sits where its sequence number does not put it, or is missing
        from a head file written as two slots. A crash can tear only a head being written after
        its records are synced, so a damaged slot beside a log that ends where the other slot
        says means records were cut off the end (:meth:`cut_behind_torn_head`)."""
        try:
            raw = self.head_path.read_bytes()
        except FileNotFoundError:
            return None, False
        except OSError as exc:
            raise AuditError(f"{self.head_path}: cannot read the access log's head file ({exc})") from exc
        if not raw.strip(b"\x00"):  # made, and nothing written to it before a crash: no head, as if missing
            return None, False
        best: LogState | None = None
        damaged = False
        two = False  # a head written as one of two slots (every head written now is): both must be there
        first = -1  # the slot the head found is in
        for i in range(0, len(raw), HEAD_SLOT):
            try:
                doc = orjson.loads(raw[i : i + HEAD_SLOT].strip(b" \n\x00") or b"null")
                if not isinstance(doc, dict):
                    raise TypeError("not a head")
                mac = doc.pop("mac")
                if not hmac.compare_digest(str(mac), self._headmac(self.key(), doc)):
                    raise TypeError("not its keyed hash")
                if doc.pop("slots", 1) == 2:
                    two = True
                    if doc.pop("at", None) != i // HEAD_SLOT:  # its place is under its keyed hash
                        raise TypeError("not in its slot")  # moved from the other
                st = LogState(**doc)
                if st.seq >= 0 and i != HEAD_SLOT * ((st.seq + 1) % 2):
                    raise TypeError("not in its slot")
                if best is None or st.seq > best.seq:
                    best, first = st, i // HEAD_SLOT
            except (orjson.JSONDecodeError, KeyError, TypeError):
                damaged = True
        if best is None:
            raise AuditError(f"{self.head_path}: the head file does not match its keyed hash (edited or replaced)")
        if two and len(raw) < 2 * HEAD_SLOT:
            damaged = True
        # a new head file is written second slot first: a crash between the two leaves the second
        if damaged and best.seq == -1 and first == 1:
            damaged = False
        return best, damaged

    def cut_behind_torn_head(self, head: LogState, damaged: bool, size: int) -> str | None:
        """What is wrong when a head slot is damaged and the log ends where the other says: the
        damaged slot named a later record, which is gone (cut off the end with its slot spoilt, so
        that the older slot would seem to be the head). None when nothing is."""
        if damaged and size <= head.offset:
            return (
                f"{self.head_path}: the head file's newer slot is damaged or missing and the log ends at the "
                f"record its older slot names ({head.seq}): records after it were cut off the end"
            )
        return None

    def _write_head(self, st: LogState) -> None:
        """Write the head into the slot its sequence number picks, synced (no rename, no new file);
        a head file of fewer than two slots (a new one, or one written before heads were kept as
        two) has the other made first, as the empty head."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.head_path, os.O_RDWR | os.O_CREAT, OWNER_ONLY)
        try:
            at = (st.seq + 1) % 2
            if os.fstat(fd).st_size < 2 * HEAD_SLOT and at == 0:  # slot 1 made first
                os.pwrite(fd, self._slot(LogState(), 1), HEAD_SLOT)
                os.fdatasync(fd)
            elif st.seq == 0:  # the first record's head: slot 0 holds the empty head (a crash may have kept it from it)
                os.pwrite(fd, self._slot(LogState(), 0), 0)
                os.fdatasync(fd)
            os.pwrite(fd, self._slot(st, at), HEAD_SLOT * at)
            os.fdatasync(fd)
        finally:
            os.close(fd)

    def _slot(self, st: LogState, at: int) -> bytes:
        """A head as slot ``at`` holds it: under its keyed hash with its place, padded to the slot."""
        doc: dict[str, Any] = {**asdict(st), "slots": 2, "at": at}
        doc["mac"] = self._headmac(self.key(), dict(doc))
        data = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
        if len(data) >= HEAD_SLOT:
            raise AuditError(f"{self.head_path}: the head is larger than its slot ({len(data)} bytes)")
        return data.ljust(HEAD_SLOT - 1) + b"\n"

    # --- appending -------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[IO[bytes]]:
        """The log open for appending, under an exclusive lock (processes and threads)."""
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fh = private(self.path)
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
        head, damaged = self.read_slots()
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
        # (a torn last line does not count: one that starts where the older slot ends is no crash's,
        # since a slot is written only after its records are synced)
        cut = self.cut_behind_torn_head(head, damaged, _whole_end(fh, head.offset, size) if damaged else size)
        if cut is not None:
            raise AuditError(f"{cut}; nothing was done")
        if head.seq >= 0:
            last = line_ending_at(fh, head.offset)
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
        lines = tail.splitlines(keepends=True)
        whole = sum(1 for x in lines if x.endswith(b"\n"))
        for n, line in enumerate(lines):
            if not line.endswith(b"\n"):
                if n:  # the records taken in are the head's before a record is added
                    self._write_head(st)
                self._recover_torn(fh, st, pos, line, notes)
                return
            if n == whole - 1 and n:  # the head of the one before the last first: see _write
                self._write_head(st)
            pos += len(line)
            try:
                rec = orjson.loads(line)
                body = {k: v for k, v in rec.items() if k != "hash"}
                ok = rec.get("seq") == st.seq + 1 and rec.get("prev") == st.hash
                ok = ok and hmac.compare_digest(mac(key, st.hash, body), str(rec.get("hash")))
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
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        aside = self.folder / f"torn-{st.seq + 1}-{stamp}.jsonl"
        write_durably(aside, torn)
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
                "time": now(),
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
            rec = {**body, "hash": mac(key, prev, body)}
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
        for n, (rec, line) in enumerate(zip(out, lines, strict=True)):
            end += len(line)
            if n == len(out) - 1 and n:
                # several records: the head of the one before the last goes in its slot first, so
                # that the other slot is always one record behind the newest (a cut of the newest,
                # its slot spoilt, then leaves the log ending where the other slot says)
                self._write_head(st)
            st.fold(rec, end)
        self._write_head(st)
        self._seen = (st.seq, st.hash)
        return out

    def _manifest(self, seq: int, subjects: list[str]) -> dict[str, Any]:
        folder = self.folder / "manifests"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = orjson.dumps({"seq": seq, "subjects": subjects})
        write_durably(folder / f"{seq}.json", data)
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
            if operation == "disclosure" and not visible(recipient):
                raise AuditError("a disclosure needs its recipient")
            if operation in NEEDS_PURPOSE and not visible(purpose):
                raise AuditError(f"a {operation} needs its purpose: say why (X-Purpose, or --purpose)")
        if not fits(purpose) or not fits(recipient):
            raise AuditError(f"a purpose or a recipient is at most {MOST_SAID} characters; nothing was done")
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

    def lines(self) -> Iterator[tuple[int, bytes, int]]:
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
        for n, line, _ in self.lines():
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
        ``store_checked`` — the head the store keeps with its last write (:func:`.check.check`)."""
        return check(self, store_head, store_checked)

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
