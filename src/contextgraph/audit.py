"""The access log: who consulted, collected, altered, disclosed, combined or erased what, and why.

Part 3 of the Data Protection Act 2018 (section 62) requires logs of these
operations in automated processing for law-enforcement purposes, with the
justification, date and time, and the identity of the person and, for a
disclosure, the recipient. This log is one JSON line per record, appended and
synced before the operation's result is given, and hash-chained: each record
holds the SHA-256 of the one before and its own, so that :meth:`AuditLog.verify`
finds a record that was edited, deleted or moved. If a record cannot be written,
the operation fails (:class:`AuditError`): nothing is done that is not logged.

>>> import tempfile, pathlib
>>> log = AuditLog(pathlib.Path(tempfile.mkdtemp()) / "audit.jsonl")
>>> _ = log.append("analyst1", "consultation", ["c-1"], purpose="MACE 14 March")
>>> _ = log.append("analyst1", "disclosure", [], purpose="strategy meeting", recipient="CSC East")
>>> log.verify()
[]
>>> [r["operation"] for r in log.list(user="analyst1")]
['consultation', 'disclosure']
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import orjson

ENV_AUDIT = "CONTEXTGRAPH_AUDIT_LOG"

OPERATIONS: Final[dict[str, str]] = {
    "consultation": "reading a person's record, a network, a search or an analysis",
    "collection": "adding records: import, note ingest",
    "alteration": "changing records: a split, a correction",
    "disclosure": "giving records to someone else: export",
    "combination": "combining records: a merge",
    "erasure": "erasing a person",
}
"""The operations section 62(1) names, with what they cover here."""

GENESIS = "0" * 64


class AuditError(RuntimeError):
    """The log cannot be written or read: the operation must not go ahead."""


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
    return Path("contextgraph.audit.jsonl")


def _digest(prev: str, body: dict[str, Any]) -> str:
    return hashlib.sha256(prev.encode() + orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


class AuditLog:
    """An append-only, hash-chained log in one file."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def append(
        self,
        user: str,
        operation: str,
        subjects: list[str],
        purpose: str | None = None,
        recipient: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Write one record and sync it to disk; raise :class:`AuditError` if that fails."""
        if operation not in OPERATIONS:
            raise AuditError(f"unknown operation {operation!r}")
        if operation == "disclosure" and not recipient:
            raise AuditError("a disclosure needs its recipient")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a+b") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)  # one writer at a time, across processes
                try:
                    last = _last_line(fh)
                    prev_seq, prev = (-1, GENESIS) if last is None else (last["seq"], last["hash"])
                    body: dict[str, Any] = {
                        "seq": prev_seq + 1,
                        "time": datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
                        "user": user,
                        "operation": operation,
                        "subjects": list(subjects),
                        "purpose": purpose or None,
                        "recipient": recipient or None,
                        "detail": detail or {},
                        "prev": prev,
                    }
                    record = {**body, "hash": _digest(prev, body)}
                    fh.seek(0, os.SEEK_END)
                    fh.write(orjson.dumps(record) + b"\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
        except (OSError, ValueError, KeyError) as exc:
            raise AuditError(f"{self.path}: cannot write the access log ({exc}); nothing was done") from exc
        return record

    def ready(self) -> None:
        """Check, before an operation, that its record can be written (fail closed)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a+b") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                fcntl.flock(fh, fcntl.LOCK_UN)
        except OSError as exc:
            raise AuditError(f"{self.path}: cannot write the access log ({exc}); nothing was done") from exc

    def records(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        try:
            with self.path.open("rb") as fh:
                for n, line in enumerate(fh, 1):
                    if line.strip():
                        try:
                            yield orjson.loads(line)
                        except orjson.JSONDecodeError as exc:
                            raise AuditError(f"{self.path}, line {n}: not a log record ({exc})") from exc
        except OSError as exc:
            raise AuditError(f"{self.path}: cannot read the access log ({exc})") from exc

    def verify(self) -> list[str]:
        """Problems found in the chain, each naming the line; empty when the log is intact."""
        problems: list[str] = []
        prev, seq = GENESIS, 0
        try:
            for n, r in enumerate(self.records(), 1):
                body = {k: v for k, v in r.items() if k != "hash"}
                if r.get("seq") != seq:
                    problems.append(f"line {n}: record {r.get('seq')} where {seq} was expected (deleted or moved)")
                if r.get("prev") != prev:
                    problems.append(f"line {n}: does not follow the record before it (deleted, moved or edited)")
                if _digest(str(r.get("prev")), body) != r.get("hash"):
                    problems.append(f"line {n}: its contents do not match its hash (edited)")
                prev, seq = str(r.get("hash")), (r["seq"] + 1 if isinstance(r.get("seq"), int) else seq + 1)
        except AuditError as exc:
            problems.append(str(exc))
        return problems

    def list(self, subject: str | None = None, user: str | None = None) -> list[dict[str, Any]]:
        return [
            r
            for r in self.records()
            if (subject is None or subject in r.get("subjects", [])) and (user is None or r.get("user") == user)
        ]


def _last_line(fh: Any) -> dict[str, Any] | None:
    """The last record of an open log, read from the end."""
    fh.seek(0, os.SEEK_END)
    end = fh.tell()
    if end == 0:
        return None
    pos, tail = end, b""
    while pos > 0:
        step = min(4096, pos)
        pos -= step
        fh.seek(pos)
        tail = fh.read(step) + tail
        lines = tail.rstrip(b"\n").split(b"\n")
        if len(lines) > 1 or pos == 0:
            got: dict[str, Any] = orjson.loads(lines[-1])
            return got
    return None
