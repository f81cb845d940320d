"""Reading ``tracking.jsonl``: each record checked as read, then against the kinds of what it
names (in the folder or the store).

A large file is read in a second process while the first reads the facts (:func:`start`):
the records cross back once, staged (:mod:`contextgraph.store.staged`), with the problems
found and the names only the store can answer for. What is read, and every message, is the
same either way.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from ..localities import Localities
from ..model.tracked import Tracked
from ..model.tracking import TrackingError
from ..store.staged import StagedTracking, Stager, staging_file
from . import typed, typed_tracking
from .lines import (
    ENTITIES_FILE,
    InputError,
    Signature,
    ask_kinds,
    checked_line,
    open_lines,
    signature,
    unchanged,
    unknown_locality,
)
from .second import SecondProcess

STAGE_FROM = 1_000_000
"""A tracking file of at least this many bytes (about 4,000 records) is read in a second process
(see :func:`start`): past it, the tens of milliseconds the process takes to start are repaid."""


WRITTEN, UNSTAGED = "written", "unstaged"
"""The second process's last word: the staging file holds the records; or it read every record
well but could not write the file (the temporary folder full, say), and the first process reads
the records itself when it writes them."""

Name = tuple[int, str, str, str]
"""A name a record gives: (line, record kind, field, entity id)."""


def tracked_lines(
    path: Path, most: int, problem: Callable[[str], None], localities: Localities | None = None
) -> Iterator[tuple[int, Tracked]]:
    """Each record's line and record; a line that is not one goes to ``problem``, and so does a
    record of a locality that is not one of ``localities`` (when they are configured): a mistyped
    locality would file it where no one's token reaches it. So does a record whose id an earlier
    line gave: one of the two would be lost."""
    quick = typed_tracking.Reader().read if most >= typed.DEPTH else None
    known = frozenset(localities.names) if localities else None
    first: dict[str, int] = {}  # each record's id -> its line: two records of one id, one would be lost
    with open_lines(path) as fh:
        for n, raw in enumerate(fh, 1):
            got = quick(raw) if quick else None  # the quick reader, else the checked one
            if got is None:
                if not raw.strip():
                    continue
                obj = checked_line(raw, path, n, most)
                if isinstance(obj, InputError):
                    problem(str(obj))
                    continue
                try:
                    got = Tracked.from_json(obj, f"{path}:{n}")
                except TrackingError as e:
                    problem(str(e))
                    continue
            if known is not None and got.locality is not None and got.locality not in known:
                assert localities is not None  # as ``known`` is
                # (still given, so that what it names is checked too: the file is refused either way)
                problem(f"{path}:{n}: field 'locality': {unknown_locality(got.locality, localities)}")
            if (was := first.setdefault(got.id, n)) != n:
                problem(f"{path}:{n}: field 'id': {got.id!r} is the id of line {was} too; give each record its own id")
            yield n, got


def name_problem(
    path: Path | str, n: int, record: str, name: str, eid: str, allowed: frozenset[str], kind: str | None
) -> str | None:
    """What is wrong with a record's name, given the kind of the entity it names (None if no
    entity is known by that id).

    >>> name_problem("t.jsonl", 3, "disruption", "subject", "c1", frozenset({"place"}), "child")
    "t.jsonl:3: field 'subject': 'c1' is a child; a disruption's subject is a place"
    """
    if kind is None:
        return f"{path}:{n}: field {name!r}: {eid!r} is not an entity in {ENTITIES_FILE} or the store"
    if allowed and kind not in allowed:
        return f"{path}:{n}: field {name!r}: {eid!r} is a {kind}; a {record}'s {name} is a " + " or a ".join(
            sorted(allowed)
        )
    return None


def read_here(
    path: Path,
    most: int,
    kinds: dict[str, str],
    known_kinds: Callable[[Iterable[str]], dict[str, str]] | None,
    problem: Callable[[str], None],
    localities: Localities | None = None,
) -> list[tuple[int, Tracked]]:
    """The records that pass, with their lines, read in this process (see :func:`tracked_lines`)."""
    read = list(tracked_lines(path, most, problem, localities))
    ask_kinds(kinds, (e for _, t in read for _, e, _ in t.named()), known_kinds)
    out = []
    for n, t in read:
        said = (name_problem(path, n, t.record, name, eid, ok, kinds.get(eid)) for name, eid, ok in t.named())
        bad = [m for m in said if m]
        for m in bad:
            problem(m)
        if not bad:
            out.append((n, t))
    return out


class Staging(SecondProcess):
    """A tracking file being read and staged in a second process (see :func:`start`)."""

    def __init__(self, process: BaseProcess, answer: Connection, path: Path, most: int, file: Path, sig: Signature):
        super().__init__(process, answer, path, sig)
        self.most, self.file = most, file
        self._written: bool | None = None
        self._again: list[tuple[str, Tracked]] | None = None

    def result(
        self,
        kinds: dict[str, str],
        known_kinds: Callable[[Iterable[str]], dict[str, str]] | None,
        problem: Callable[[str], None],
    ) -> StagedTracking | None:
        """Wait for the second process to read the file; its problems, then those of the names it
        read (checked here against ``kinds`` and the store), go to ``problem``. The staged
        records, or None if the second process found any problem. The second process goes on
        to write the staging file meanwhile (:attr:`StagedTracking.written` waits for it)."""
        try:
            found, names, allowed, summary = self.conn.recv()
        except (EOFError, OSError):
            found, names, allowed, summary = [], [], {}, None
        if summary is None and not found:  # never a file read as holding nothing
            found = [f"{self.path}: could not be read (the reading process stopped)"]
        if found:
            self.stop()
        for m in found:
            problem(m)
        ask_kinds(kinds, (eid for _, _, _, eid in names), known_kinds)
        get = kinds.get
        for n, record, name, eid in names:
            kind = get(eid)
            ok = allowed[record, name]
            if kind is None or (ok and kind not in ok):
                problem(name_problem(self.path, n, record, name, eid, ok, kind) or "")
        if found:
            return None
        count, involves = summary
        return StagedTracking(
            str(self.file), count, involves, str(self.path), written=self.written, again=self.again, stop=self.stop
        )

    def written(self) -> bool:
        """Wait for the staging file: whether it holds the records (the second process has ended)."""
        if self._written is None:
            try:
                said = self.conn.recv()
            except (EOFError, OSError):
                said = None
            finally:
                self.stop()
            self._written = said == WRITTEN
        return self._written

    def again(self) -> list[tuple[str, Tracked]]:
        """The records read here, as the staging file would give them: a repeated id's last line
        only, in the order of the lines (read once, then kept). What the second process read and
        the first checked and logged is the file as it was then: a file changed since is refused
        (:func:`~.lines.unchanged`), before and after it is read."""
        if self._again is not None:
            return self._again
        unchanged(self.path, self.signature)

        def changed(msg: str) -> None:
            raise InputError([f"{self.path}: changed while it was imported; nothing was written"])

        latest: dict[str, tuple[int, Tracked]] = {}
        for n, t in tracked_lines(self.path, self.most, changed):
            latest.pop(t.id, None)
            latest[t.id] = (n, t)
        unchanged(self.path, self.signature)
        self._again = [(f"{self.path}:{n}", t) for n, t in latest.values()]
        return self._again


def start(
    path: Path, most: int, max_problems: int, folder: Path, localities: Localities | None = None
) -> Staging | None:
    """Read and stage ``path`` in a second process, which starts at once, writes the records into
    a new staging database in ``folder`` and leaves the names to be checked by this one once it
    knows the folder's kinds; None where processes cannot be forked or no file can be made. Each
    record is checked as :func:`tracked_lines` checks it, against ``localities`` too."""
    sig = signature(path)
    if sig is None:
        return None  # read here, and told why
    try:
        ctx = multiprocessing.get_context("fork")
        file = staging_file(folder)
    except (OSError, ValueError):
        return None
    answer, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_stage, args=(send, answer, path, most, max_problems, file, localities), daemon=True)
    process.start()
    send.close()
    return Staging(process, answer, path, most, file, sig)


Summary = tuple[int, tuple[str, ...]]
"""How many records were staged, and every entity they name (:meth:`Stager.summary`)."""


def _stage(
    send: Connection,
    theirs: Connection,
    path: Path,
    most: int,
    max_problems: int,
    file: Path,
    localities: Localities | None,
) -> None:
    """The second process: every record read, checked field by field and staged; sends the
    problems, every name as (line, record kind, field, entity id), the kinds each (record
    kind, field) allows, and what was staged (None if there was a problem); then, when there
    was none, writes the staging file and says whether it could (:data:`WRITTEN`).

    It holds no end of the pipe but its own, so that if the first process dies the send fails
    and this one ends; an interruption at the terminal is the first process's to act on."""
    theirs.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the first process ends this one so, at once
    found: list[str] = []
    names: list[Name] = []
    allowed: dict[tuple[str, str], frozenset[str]] = {}
    answer: tuple[list[str], list[Name], dict[tuple[str, str], frozenset[str]], Summary | None]

    def problem(msg: str) -> None:
        found.append(msg)
        if len(found) >= max_problems:
            raise InputError(found)

    stager = Stager()
    try:
        add, allow = names.append, allowed.setdefault
        for n, t in tracked_lines(path, most, problem, localities):
            record = t.record
            for name, eid, ok in t.named():
                add((n, record, name, eid))
                allow((record, name), ok)
            if not found:
                stager.add(n, t)
        answer = (found, names, allowed, None if found else stager.summary())
    except InputError as e:  # the file could not be opened, or too many problems
        answer = (e.problems, [], {}, None)
    except Exception as e:  # any failure is told to the first process, which stops
        answer = ([*found, f"{path}: could not be read ({type(e).__name__}: {e})"], [], {}, None)
    try:
        send.send(answer)
        if answer[3] is not None:
            try:
                stager.write(str(file))
                said = WRITTEN
            except Exception:  # nowhere to stage them (sqlite3.Error, OSError): the first process reads them
                said = UNSTAGED
            send.send(said)
    except OSError:
        pass  # the first process is gone: nothing is waiting for this
    finally:
        send.close()


def size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
