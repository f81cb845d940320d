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

from ...settings import AUDIT_KEY as ENV_AUDIT_KEY
from ...settings import AUDIT_LOG as ENV_AUDIT
from ...settings import AUDIT_MAX_SUBJECTS as ENV_MAX_SUBJECTS
from .chain import (
    GENESIS,
    HEAD_SLOT,
    MAX_SUBJECTS,
    MOST_SAID,
    NEEDS_PURPOSE,
    OPERATIONS,
    RECOVERY,
    WRITES,
    AuditError,
    LogState,
    audit_folder,
    audit_key_path,
    audit_path,
    fits,
    max_subjects,
    said,
    visible,
)
from .check import Report
from .journal import Actor, Journal, acting
from .log import AuditLog

__all__ = [
    "ENV_AUDIT",
    "ENV_AUDIT_KEY",
    "ENV_MAX_SUBJECTS",
    "GENESIS",
    "HEAD_SLOT",
    "MAX_SUBJECTS",
    "MOST_SAID",
    "NEEDS_PURPOSE",
    "OPERATIONS",
    "RECOVERY",
    "WRITES",
    "Actor",
    "AuditError",
    "AuditLog",
    "Journal",
    "LogState",
    "Report",
    "acting",
    "audit_folder",
    "audit_key_path",
    "audit_path",
    "fits",
    "max_subjects",
    "said",
    "visible",
]
