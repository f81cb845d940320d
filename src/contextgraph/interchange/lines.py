"""Reading the interchange format's files line by line: each line decoded and checked, and each
problem named by file and line, gathered into one :class:`InputError`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

import orjson

from ..errors import BadInput
from ..json_keys import given_twice, repeated_key
from ..limits import SETTINGS, LimitError, Limits, deeper_than
from ..localities import Localities, how_to_add
from ..model import KINDS, REL_TYPES, Entity, Relationship
from . import typed

R = TypeVar("R", Entity, Relationship)

ENTITIES_FILE = "entities.jsonl"
RELATIONSHIPS_FILE = "relationships.jsonl"
JUDGEMENTS_FILE = "judgements.jsonl"
TRACKING_FILE = "tracking.jsonl"

ALLOWED = frozenset((t, a, b) for t, rt in REL_TYPES.items() for a in KINDS for b in KINDS if rt.allows(a, b))
"""Every (relationship type, kind of source, kind of target) the vocabulary allows."""

MAX_PROBLEMS = 20
"""How many problems reading a folder gathers before it stops."""


class InputError(BadInput):
    """Bad input, with where it was found. ``str()`` is the message for a person."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        n = len(problems) - 1
        more = f" (and {n} more problem{'' if n == 1 else 's'})" if n else ""
        super().__init__(problems[0] + more)

    def every(self, most: int | None = None) -> str:
        """Every problem gathered, one a line, and whether reading stopped at ``most`` of them.

        >>> print(InputError(["a.jsonl:2: x", "a.jsonl:5: y"]).every())
        a.jsonl:2: x
        a.jsonl:5: y
        2 problems; nothing was written
        """
        if len(self.problems) == 1:
            return self.problems[0]
        stopped = "; reading stopped there, so there may be more" if most and len(self.problems) >= most else ""
        return "\n".join([*self.problems, f"{len(self.problems)} problems{stopped}; nothing was written"])


def checked_line(raw: bytes, path: Path, n: int, most: int) -> Any:
    """A line's decoded JSON, or an :class:`InputError` naming the file and line; a line nesting
    more than ``most`` levels is refused before it is decoded. A file's first line may begin with
    a byte-order mark (as some editors save UTF-8): it is not part of the line.

    >>> checked_line(b'\\xef\\xbb\\xbf{"id": "c-1"}', Path("e.jsonl"), 1, 64)
    {'id': 'c-1'}
    >>> checked_line(b'{"lat": ' + b"9" * 5000 + b"}", Path("e.jsonl"), 2, 64).problems
    ['e.jsonl:2: a number of more than 4,300 digits, which is no value any field takes']
    """
    if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if deeper_than(raw, most):
        return InputError([f"{path}:{n}: nests more than {most} levels ({SETTINGS['json_depth'][0]})"])
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:
            json.loads(raw.decode("utf-8"))
            msg = "not valid JSON"
        except UnicodeDecodeError:
            msg = "not UTF-8 text"
        except json.JSONDecodeError as e:
            msg = f"not valid JSON ({e.msg} at column {e.colno})"
        except RecursionError:  # not reached while the depth is limited; never a crash all the same
            msg = "not valid JSON (nested too deeply)"
        except ValueError:  # an integer longer than Python converts
            msg = "a number of more than 4,300 digits, which is no value any field takes"
        return InputError([f"{path}:{n}: {msg}"])
    twice = repeated_key(raw, value)
    if twice is not None:
        return InputError([f"{path}:{n}: {given_twice(twice)}"])
    return value


def open_lines(path: Path) -> IO[bytes]:
    """The file opened to be read; only a regular file is (a pipe would wait for a writer, a
    device never end)."""
    try:
        if not path.is_file():
            raise InputError([f"{path}: cannot be read (not a regular file)"])
        return path.open("rb")
    except OSError as e:
        raise InputError([f"{path}: cannot be read ({e.strerror})"]) from None


Signature = tuple[int, int, int, int, int]
"""What tells a file changed: its device, inode, size, and times of last change (content and
status) to the nanosecond."""


def signature(path: Path) -> Signature | None:
    """The file's :data:`Signature`, or None if it cannot be read."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def unchanged(path: Path, before: Signature | None) -> None:
    """Refuse a file read again that is not the one read first (``before``: its signature then).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     f = Path(tmp) / "t.jsonl"
    ...     _ = f.write_text("{}\\n")
    ...     first = signature(f)
    ...     unchanged(f, first)
    ...     _ = f.write_text("{}\\n{}\\n")
    ...     unchanged(f, first)
    Traceback (most recent call last):
    ...
    contextgraph.interchange.lines.InputError: ...t.jsonl: changed while it was imported; nothing was written
    """
    if before is None or signature(path) != before:
        raise InputError([f"{path}: changed while it was imported; nothing was written"])


def json_lines(path: Path, most: int) -> Iterator[tuple[int, Any]]:
    """Each line's number and decoded JSON, or an :class:`InputError` naming the file and line."""
    with open_lines(path) as fh:
        for n, raw in enumerate(fh, 1):
            if raw.strip():
                yield n, checked_line(raw, path, n, most)


def records(
    path: Path, most: int, quick: Callable[[bytes], R | None], check: Callable[[Any], R]
) -> Iterator[tuple[int, R | str]]:
    """Each line's number and record, or the problem with it (naming the file and line).

    A line is read first by ``quick`` (see :mod:`.typed`), and when that declines, decoded and
    checked by ``check``: the records are the same either way."""
    fast = most >= typed.DEPTH
    with open_lines(path) as fh:
        for n, raw in enumerate(fh, 1):
            if fast:
                got = quick(raw)
                if got is not None:
                    yield n, got
                    continue
            slow = read_line(raw, path, n, most, check)
            if slow is not None:
                yield n, slow


class RefusedEntity(str):
    """The problem with an entity's line that still gives its id and kind: a line naming the entity
    is then checked against that kind, not told the entity is unknown.

    >>> RefusedEntity("e.jsonl:2: field 'dob': not a date", "c-2", "child").id
    'c-2'
    """

    id: str
    kind: str

    def __new__(cls, problem: str, eid: str, kind: str) -> RefusedEntity:
        made = super().__new__(cls, problem)
        made.id, made.kind = eid, kind
        return made


def read_line(raw: bytes, path: Path, n: int, most: int, check: Callable[[Any], R]) -> R | str | None:
    """One line read by the checked reader: its record, the problem with it (a
    :class:`RefusedEntity` when the line gives an entity's id and kind), or None if blank."""
    if not raw.strip():
        return None
    obj = checked_line(raw, path, n, most)
    if isinstance(obj, InputError):
        return str(obj)
    try:
        return check(obj)
    except ValueError as exc:
        eid, kind = (obj.get("id"), obj.get("kind")) if isinstance(obj, dict) else (None, None)
        if isinstance(eid, str) and isinstance(kind, str) and kind in KINDS and "record" not in obj:
            return RefusedEntity(f"{path}:{n}: {exc}", eid, kind)
        return f"{path}:{n}: {exc}"


def json_depth() -> int:
    try:
        return Limits.from_env().json_depth
    except LimitError as e:
        raise InputError([str(e)]) from None


def ask_kinds(
    kinds: dict[str, str], ids: Iterable[str], known_kinds: Callable[[Iterable[str]], dict[str, str]] | None
) -> None:
    """Add to ``kinds`` those of ``ids`` the store holds (asked once, for the ids not in ``kinds``).

    >>> kinds = {"c1": "child"}
    >>> ask_kinds(kinds, ["c1", "l1", "x"], lambda ids: {i: "location" for i in ids if i == "l1"})
    >>> kinds
    {'c1': 'child', 'l1': 'location'}
    """
    missing = {i for i in ids if i not in kinds}
    if missing and known_kinds is not None:
        kinds.update(known_kinds(missing))


def check_links(
    lines: Iterable[tuple[int, Relationship | str]],
    kinds: dict[str, str],
    known_kinds: Callable[[Iterable[str]], dict[str, str]] | None,
    path: Path,
    problem: Callable[[str], None],
    progress: Callable[[int], None] | None = None,
) -> list[Relationship]:
    """The relationships of read ``lines`` (see :func:`records`) whose type may join the kinds of
    their ends, in the order of the lines; every other line's problem goes to ``problem``.

    A relationship is checked as it is read when both ends are in ``kinds``; the others once the
    store is asked about their ends (``known_kinds``), together.

    >>> from contextgraph.model import Assertion
    >>> seen = Relationship("SEEN_AT", "c-1", "l-1", [Assertion(None, None, None, "c-1", "l-1")])
    >>> said: list[str] = []
    >>> kept = check_links([(1, seen), (2, "r.jsonl:2: not JSON"), (3, seen)], {"c-1": "child"},
    ...                    lambda ids: {"l-1": "location"}, Path("r.jsonl"), said.append)
    >>> len(kept), said
    (2, ['r.jsonl:2: not JSON'])
    """
    allowed = ALLOWED
    later: list[tuple[int, int, Relationship]] = []  # (line, place among the kept, relationship)
    kept: list[Relationship] = []
    keep = kept.append
    get = kinds.get
    for n, r in lines:
        if isinstance(r, str):
            problem(r)
        elif (r.type, get(r.source), get(r.target)) in allowed:
            keep(r)
        else:
            later.append((n, len(kept), r))
        if progress and n % 10000 == 0:
            progress(10000)
    ask_kinds(kinds, (x for _, _, r in later for x in (r.source, r.target)), known_kinds)
    placed: list[tuple[int, Relationship]] = []
    for n, k, r in later:
        sk, tk = kinds.get(r.source), kinds.get(r.target)
        if (r.type, sk, tk) in allowed:
            placed.append((k, r))
        elif sk is None or tk is None:
            unknown = r.source if sk is None else r.target
            problem(f"{path}:{n}: {unknown!r} is not an entity in {ENTITIES_FILE} or the store")
        else:
            problem(f"{path}:{n}: {r.type} cannot join a {sk} to a {tk}")
    if not placed:
        return kept
    merged: list[Relationship] = []  # in the order of the lines
    at_k = 0
    for k, r in placed:
        merged.extend(kept[at_k:k])
        merged.append(r)
        at_k = k
    merged.extend(kept[at_k:])
    return merged


def unknown_locality(written: str, localities: Localities) -> str:
    """Why ``written`` is not one of the configured ``localities``, and what to write instead
    (:func:`~contextgraph.localities.how_to_add`).

    >>> from contextgraph.localities import Locality
    >>> area = Localities("Area", (Locality("Hillcrest", ("Area Hillcrest",)), Locality("Dale")))
    >>> unknown_locality("Area Hillcrest", area)
    "'Area Hillcrest' is another name of the locality Hillcrest: write 'Hillcrest'"
    >>> unknown_locality("Hilcrest", area)
    "'Hilcrest' is not a locality of the area (Dale, Hillcrest); add it with: contextgraph localities add Hilcrest"
    >>> unknown_locality("$(reboot)", area)
    "'$(reboot)' is not a locality of the area (Dale, Hillcrest)"
    """
    canon = localities.canonical(written)
    if canon is not None:
        return f"{written!r} is another name of the locality {canon}: write {canon!r}"
    known = ", ".join(sorted(localities.names))
    quoted = repr(written) if len(written) <= 80 else repr(written[:80])[:-1] + "…'"  # as much as a name may be
    return f"{quoted} is not a locality of the area ({known}){how_to_add(written)}"
