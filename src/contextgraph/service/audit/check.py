"""Checking the access log: every record's keyed hash and place, the manifests, the head file,
and the head the store keeps with its last write."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from .chain import GENESIS, AuditError, LogState, mac

if TYPE_CHECKING:
    from .log import AuditLog


@dataclass
class Report:
    """What :meth:`AuditLog.check` found: problems (the log cannot be trusted) and notes."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    records: int = 0
    state: LogState = field(default_factory=LogState)


def check(log: AuditLog, store_head: dict[str, Any] | None = None, store_checked: bool = False) -> Report:
    """What :meth:`AuditLog.check` finds: every record's keyed hash and place, the manifests, the
    head file, and — when ``store_checked`` — the head the store keeps with its last write."""
    rep = Report()
    problems, notes = rep.problems, rep.notes
    try:
        key: bytes | None = log.key()
    except AuditError as exc:
        key = None
        if log.path.exists() and log.path.stat().st_size:
            problems.append(str(exc))
    damaged = False
    try:
        head, damaged = log.read_slots() if key is not None else (None, False)
    except AuditError as exc:
        problems.append(str(exc))
        head = None
    want = {x["seq"]: x["hash"] for x in (head and {"seq": head.seq, "hash": head.hash}, store_head) if x}
    found: dict[int, str] = {}
    st = rep.state
    prev, seq = GENESIS, 0
    size = 0
    for n, line, end in log.lines():
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
        if key is not None and not hmac.compare_digest(mac(key, str(r.get("prev")), body), str(r.get("hash"))):
            problems.append(
                f"line {n}: its contents do not match its keyed hash (edited, or re-hashed without the key)"
            )
        m = r.get("manifest")
        if isinstance(m, dict):
            try:
                data = (log.folder / str(m.get("file"))).read_bytes()
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
    if log.path.exists() and log.path.stat().st_size > size:
        notes.append(
            f"a torn last line ({log.path.stat().st_size - size} bytes, an append cut short) is moved aside at "
            "the next write or start"
        )
    last = seq - 1
    if head is None and key is not None and rep.records:
        problems.append(f"{log.head_path}: the head file is missing: records cut off the end could not be told")
    if head is not None:
        cut = log.cut_behind_torn_head(head, damaged, size)
        if cut is not None:
            problems.append(cut)
        if head.seq > last:
            problems.append(
                f"the log ends at record {last} but its head file says {head.seq}: records were cut off the end, "
                "or the log was replaced"
            )
        elif head.seq >= 0 and found.get(head.seq) != head.hash:
            problems.append(f"record {head.seq} is not the one the head file names: the log was replaced")
    if store_checked:
        check_store(store_head, st, last, found, problems, notes)
    return rep


def check_store(
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
            notes.append(f"record {pending['anchor']}: its write was not committed (it is marked at the next start)")
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
            notes.append(f"record {pending['anchor']}: its write was not committed (it is marked at the next start)")
    known = {st.committed["seq"]} if st.committed else set()
    if pending is not None:
        known.add(pending["anchor"])
    if hs not in known:
        problems.append(
            f"the store's last write is access record {hs}, but the log's last committed write is "
            f"{st.committed['seq'] if st.committed else 'none'}: the log and the store disagree"
        )
