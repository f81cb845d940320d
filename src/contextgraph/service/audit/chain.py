"""The chain of the access log's records: the operations it names (and the visible text their
purpose and recipient need), the keyed hash that links each record to the one before, the state
its records add up to, and where its files live."""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final

import orjson

from ...errors import ContextGraphError, Unavailable
from ...limits import MOST_SAID as MOST_SAID  # re-exported: the access log holds reasons to it
from ...quoted import visible as visible  # re-exported: the words a purpose must hold
from ...settings import AUDIT_KEY as ENV_AUDIT_KEY
from ...settings import AUDIT_LOG as ENV_AUDIT
from ...settings import AUDIT_MAX_SUBJECTS as ENV_MAX_SUBJECTS

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


def fits(text: str | None) -> bool:
    """Whether ``text`` is short enough for the access log to keep as a purpose or a recipient.

    >>> fits("CSC referral"), fits("x" * (MOST_SAID + 1)), fits(None)
    (True, False, True)
    """
    return text is None or len(text) <= MOST_SAID


def said(text: str, what: str, error: type[ContextGraphError], free: bool = False) -> str:
    """``text`` as given, if the access log may keep it: at most :data:`MOST_SAID` characters and no
    control character (``free``: a writer's reason, free text, may hold tabs and line breaks); else
    ``error`` naming ``what``. The one check of a purpose, a recipient and a reason, on every way in.

    >>> from contextgraph.errors import BadInput
    >>> said("same date of birth\\r\\nsame school", "--reason", BadInput, free=True)
    'same date of birth\\r\\nsame school'
    """
    from ...quoted import plain

    if not fits(text):
        raise error(f"{what}: at most {MOST_SAID} characters (the access log records it); nothing was done")
    return plain(text, what, free=free, error=error)


GENESIS = "0" * 64
HEAD_SLOT = 4096
"""Bytes of each of the head file's two slots."""


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


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def mac(key: bytes, prev: str, body: dict[str, Any]) -> str:
    return hmac.new(key, prev.encode() + orjson.dumps(body, option=orjson.OPT_SORT_KEYS), hashlib.sha256).hexdigest()


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


OWNER_ONLY: Final = 0o600
"""The mode of every file of the access log: it names who looked at which child, and why."""


def private(path: Path, flags: int = os.O_RDWR | os.O_CREAT | os.O_APPEND) -> IO[bytes]:
    """``path`` opened for appending and reading (``a+b``), made readable by its owner only if it
    is new (an existing file keeps the mode it was given).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with private(Path(tmp) / "log") as fh:
    ...         oct(os.fstat(fh.fileno()).st_mode & 0o777)
    '0o600'
    """
    return os.fdopen(os.open(path, flags, OWNER_ONLY), "a+b")


def write_durably(path: Path, data: bytes) -> None:
    """Write a whole file by replacing it, synced, so it is either the old or the new one
    (readable by its owner only)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY), "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    fsync_dir(path.parent)


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


def line_ending_at(fh: IO[bytes], end: int) -> bytes:
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
