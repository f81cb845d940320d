"""The relationships of a first load read, checked and made into rows in a second process.

A first load into a new embedded store spends most of its time on the relationships: reading
and checking each line, grouping them by type and ends, and making the store's rows. That work
needs nothing of the store but the entities' kinds and the order they are numbered in, which the
first process knows once it has read the entities file. So a second process starts with the
import and reads the relationships file while the first reads the entities; it is then sent
the entities' ids and kinds, checks every relationship against them and answers with the
problems it found (the same, in the same order, as the first process would find). If there are
none, it goes on to make the rows while the first process writes the entities, and hands them
over as one staging database file (:class:`~contextgraph.store.staged.LinkRows`).

The store takes the rows only when it is what they were made for — no relationship stored,
nothing merged, exactly these entities numbered in this order
(:meth:`~contextgraph.store.sqlite.txn.SQLiteTxn.put_staged_relationships`); otherwise, or if the
second process fails, the first reads the relationships itself. A test holds the store written
either way to the same rows and index.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import msgspec
import orjson

from ..memory import paused_gc
from ..model import Relationship
from ..store.staged import LinkRows, staging_file
from . import typed
from .lines import ALLOWED, InputError, check_links, open_lines, read_line, records, signature
from .second import SecondProcess

STAGE_FROM = 1_000_000
"""The size in bytes of a relationships file from which a first load reads it in a second process."""


class _Enough(Exception):
    """As many problems as are told have been found."""


class LinkStaging(SecondProcess):
    """A relationships file being read and checked in a second process (see :func:`start`)."""

    def check(self, kinds: dict[str, str], problem: Callable[[str], None]) -> int | None:
        """Send the entities' kinds (in the order they are numbered) and wait for the check:
        its problems go to ``problem``. How many relationships were read, or None if the second
        process could not answer (the file is then to be read here)."""
        try:
            self.conn.send(kinds_digest(kinds))  # the second process has mostly guessed them right
            got = self.conn.recv()
            if got == _SEND_KINDS:
                self.conn.send((list(kinds), list(kinds.values())))
                got = self.conn.recv()
        except (EOFError, OSError):
            got = None
        if not isinstance(got, tuple):  # the second process failed, and said why or nothing
            self.stop()
            return None
        found, count = got
        if found:
            self.stop()
            for m in found:
                problem(m)
        return int(count)

    def rows(self) -> LinkRows | None:
        """Wait for the rows; None if the second process could not make them."""
        try:
            made = self.conn.recv()
        except (EOFError, OSError):
            made = None
        finally:
            self.stop()
        return made if isinstance(made, LinkRows) else None


def start(
    path: Path,
    entities: Path,
    most: int,
    max_problems: int,
    check: Callable[[Any], Relationship],
    folder: Path,
    at_least: int = STAGE_FROM,
) -> LinkStaging | None:
    """Read ``path`` in a second process, which starts at once and writes the rows into a new
    staging database in ``folder`` (``check`` reads a line the quick reader declines:
    :func:`~.jsonl.relationship_from_json`); None for a file smaller than ``at_least`` bytes or
    where processes cannot be forked or no file can be made (the first process then reads it)."""
    sig = signature(path)
    if sig is None or sig[2] < at_least:
        return None
    try:
        ctx = multiprocessing.get_context("fork")
        file = staging_file(folder)
    except (OSError, ValueError):
        return None
    mine, theirs = ctx.Pipe()
    process = ctx.Process(
        target=_stage, args=(theirs, mine, path, entities, most, max_problems, check, file), daemon=True
    )
    process.start()
    theirs.close()
    return LinkStaging(process, mine, path, sig)


def _stage(
    conn: Connection,
    other: Connection,
    path: Path,
    entities: Path,
    most: int,
    max_problems: int,
    check: Callable[[Any], Relationship],
    file: Path,
) -> None:
    """The second process: reads every line, waits for the kinds, sends (problems, count), and
    when there are none, the rows. It holds no end of the pipe but its own, so that if the first
    process dies a send or receive fails and this one ends."""
    from ..store.sqlite.rows import checked_rows, stored_form  # the embedded store's, loaded only here

    other.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interruption at the terminal is the first process's
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the first process ends this one so, at once
    found: list[str] = []

    def problem(msg: str) -> None:
        found.append(msg)
        if len(found) >= max_problems:
            raise _Enough

    try:
        with paused_gc():
            raw = _lines(path) if most >= typed.DEPTH else None
            made = guess = None
            if raw is not None:  # checked against the kinds the entities file gives
                guess = _kinds_guessed(entities)
                made = _checked(raw, guess, path, most, check)
            # the kinds the first process read, with every check of its own: only their digest
            # when the guess holds, else asked for in full
            told = conn.recv()
            if guess is not None and told == kinds_digest(guess):
                kinds, ids = guess, list(guess)
            else:
                conn.send(_SEND_KINDS)
                ids, kind_list = conn.recv()
                kinds = dict(zip(ids, kind_list, strict=True))
                made = None
                if raw is not None:
                    made = _checked(raw, kinds, path, most, check)
            if made is not None:  # answered at once; grouped and made into rows after
                count, checked = made
                conn.send(([], count))
                del raw
                conn.send(checked_rows(checked, ids, str(file)))
                return
            # a line the quick reading cannot take: read again line by line, its problems named
            try:  # (a file that cannot be read raises here, and the first process reads it and says why)
                rels = check_links(list(records(path, most, typed.relationship, check)), kinds, None, path, problem)
            except _Enough:
                rels = []
            conn.send((found, len(rels)))
            if not found:
                conn.send(checked_rows([stored_form(r) for r in rels], ids, str(file)))
    except (EOFError, OSError):
        pass  # the first process is gone, or read the file itself: nothing is waiting for this
    except Exception as e:  # any other failure: the first process reads the file itself
        with contextlib.suppress(OSError):
            conn.send(f"{type(e).__name__}: {e}")
    finally:
        conn.close()


_SEND_KINDS = "send the kinds"
"""The second process's answer to a digest of kinds that its guess does not match."""


def kinds_digest(kinds: dict[str, str]) -> bytes:
    """A digest of the entities' ids and kinds, in their order: what crosses the pipe when the
    second process's guess is right, instead of every id.

    >>> kinds_digest({"c-1": "child", "l-1": "location"}) == kinds_digest({"c-1": "child", "l-1": "location"})
    True
    >>> kinds_digest({"c-1": "child", "l-1": "location"}) == kinds_digest({"l-1": "location", "c-1": "child"})
    False
    """
    return hashlib.blake2b(orjson.dumps([list(kinds), list(kinds.values())]), digest_size=32).digest()


class _Named(msgspec.Struct):
    id: str
    kind: str


_NAMED = msgspec.json.Decoder(_Named)
_ALL_NAMED = msgspec.json.Decoder(list[_Named])


def _kinds_guessed(path: Path) -> dict[str, str]:
    """The kind of each id of an entities file (the first line of an id counting), in the order
    first read, without the other checks; lines that do not decode are left out."""
    raw = _lines(path) or []
    try:
        named: list[_Named | None] = list(_ALL_NAMED.decode(b"[" + b",".join(raw) + b"]"))
    except (msgspec.MsgspecError, ValueError):
        named = []
        for line in raw:
            try:
                named.append(_NAMED.decode(line))
            except (msgspec.MsgspecError, ValueError):
                named.append(None)
    kinds: dict[str, str] = {}
    for x in named:
        if x is not None:
            kinds.setdefault(x.id.strip(), x.kind)
    return kinds


def _lines(path: Path) -> list[bytes] | None:
    """The file's lines, as iterating over it gives them (without their ends); None if it
    cannot be read (the reading line by line says why)."""
    try:
        with open_lines(path) as fh:
            data = fh.read()
    except InputError:
        return None
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    return lines


def _checked(
    raw: list[bytes], kinds: dict[str, str], path: Path, most: int, check: Callable[[Any], Relationship]
) -> tuple[int, list[typed.Plain | Relationship]] | None:
    """How many relationships the lines hold, and each one checked against ``kinds``: a line of
    one statement, no properties, as the quick reader's values (:data:`~.typed.Plain`), any other
    as the store keys it; None at the first line with a problem (the lines are then read again,
    and each problem named)."""
    from ..store.sqlite.rows import stored_form

    get, allowed, plain, decode = kinds.get, ALLOWED, typed.plain, typed.decoded_line
    out: list[typed.Plain | Relationship] = []
    keep = out.append
    for n, line in enumerate(raw, 1):
        x = decode(line)
        p = None if x is None or x.properties else plain(x)
        if p is not None:
            if (p[0], get(p[1]), get(p[2])) not in allowed:
                return None
            keep(p)
            continue
        got = (typed.relationship(line) if x is not None else None) or read_line(line, path, n, most, check)
        if got is None:
            continue
        if isinstance(got, str) or (got.type, get(got.source), get(got.target)) not in allowed:
            return None
        keep(stored_form(got))
    return len(out), out
