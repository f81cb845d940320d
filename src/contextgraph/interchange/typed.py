"""The quick reading of an interchange line: decoded straight into a typed record, checked by column.

Most lines of a large import hold only the format's own fields, with flat properties. Such a line
is decoded by msgspec into a typed record (the types are checked as it is decoded) and its values
checked with what is cached for values seen before (gradings, dates). Anything else — another
field, nested properties, a value of the wrong type, a value that fails a check, a line that is
not JSON — gives ``None``, and the line is read again by the checked reader
(:func:`~contextgraph.interchange.jsonl.entity_from_json` and
:func:`~contextgraph.interchange.jsonl.relationship_from_json`), which names the problem. Both
readers build the same records from the same line: a test holds them to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import msgspec
from msgspec.structs import astuple

from ..model import (
    KINDS,
    REL_TYPES,
    SERVICES,
    Assertion,
    Entity,
    GradingError,
    Relationship,
    demographics,
    handling_code,
    normalise_grading,
    parse_date,
)
from ..quoted import control_character

MAX_NAME_CHARS = 300
"""The longest name or alias of an entity, in characters."""
MAX_ID_CHARS = 200
"""The longest id of an entity, after the namespace a limited writer's records are filed under
(``east:``, a locality's slug of at most as many characters)."""
_NAMESPACE = re.compile(r"[a-z0-9-]{1,200}(?:\.[a-z])?:")


def id_too_long(eid: str) -> bool:
    """Whether an entity's id is longer than :data:`MAX_ID_CHARS`, after any namespace.

    >>> id_too_long("c" * 200), id_too_long("east:" + "c" * 200), id_too_long("c" * 201)
    (False, False, True)
    """
    if len(eid) <= MAX_ID_CHARS:
        return False
    space = _NAMESPACE.match(eid)
    return len(eid) - (space.end() if space else 0) > MAX_ID_CHARS


MAX_ALIASES = 50
"""The most aliases an entity is given at once (every search reads them all)."""

Scalar = str | int | float | bool | None
Property = Scalar | list[str]
"""An entity's property the quick reader takes: a value, or a list of words (kinds of exploitation, say)."""


def _too_many(aliases: list[str]) -> bool:
    return len(aliases) > MAX_ALIASES or max(map(len, aliases)) > MAX_NAME_CHARS


DEPTH = 3
"""How deeply a line the quick reader accepts nests (the line, its properties, a list of names)."""


Unset = msgspec.UnsetType
UNSET = msgspec.UNSET
"""A field the line does not give (a field it gives as null is None): every key given is counted."""


class EntityLine(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    kind: str
    name: str
    aliases: list[str] | Unset | None = UNSET
    dob: str | Unset | None = UNSET
    locality: str | Unset | None = UNSET
    lat: float | Unset | None = UNSET
    lon: float | Unset | None = UNSET
    properties: dict[str, Property] | Unset | None = UNSET
    sources: list[str] | Unset | None = UNSET
    source_ref: str | Unset | None = UNSET
    date: str | Unset | None = UNSET
    first_seen: str | Unset | None = UNSET
    last_seen: str | Unset | None = UNSET
    grading: str | Unset | None = UNSET
    handling: list[str] | Unset | None = UNSET


class RelationshipLine(msgspec.Struct, forbid_unknown_fields=True):
    type: str
    source: str
    target: str
    date: str | Unset | None = UNSET
    source_ref: str | Unset | None = UNSET
    grading: str | Unset | None = UNSET
    properties: dict[str, Scalar] | Unset | None = UNSET


_ENTITY = msgspec.json.Decoder(EntityLine)
_RELATIONSHIP = msgspec.json.Decoder(RelationshipLine)
_BAD = (msgspec.MsgspecError, ValueError)  # not JSON, not UTF-8, a value of another type
_GRADES: dict[str, str | None] = {}
_DATES: dict[str, str] = {}
_tuple = tuple.__new__
_HANDLING = frozenset({"P", "C"})


def once_each(raw: bytes, keys: int, strings: Callable[[], str]) -> bool:
    """Whether a line of valid JSON, decoded to ``keys`` keys (every key it gives, with any value,
    null included) and to ``strings()`` (every string it holds, keys of nested objects included,
    one a line), named each key once. A key named twice keeps only its last value, which no one
    chose; such a line is left to the checked reader, which names it.

    Every key is followed by a colon, and every other colon is inside a string: a line names each
    key once when its colons are its keys and the colons of its strings. (A string may write a
    colon as an escape, ``\\u003a``: a line with an escape whose colons are not its keys alone is
    left to the checked reader.)

    >>> once_each(b'{"a": "x", "b": null, "c": "10:30"}', 3, lambda: "x\\n10:30")
    True
    >>> once_each(b'{"a": "x", "a": "y"}', 1, lambda: "y")
    False
    >>> once_each(b'{"a": "x", "b": null, "b": "10:30"}', 2, lambda: "x\\n10:30")
    False
    """
    colons = raw.count(b":")
    if colons == keys:
        return True
    return b"\\u" not in raw and colons - strings().count(":") == keys


def strings_of(values: tuple[object, ...], props: dict[str, Property] | dict[str, Scalar] | None = None) -> str:
    """The strings of a decoded line, one a line: its values (and the items of its lists), and
    its properties' keys and values.

    >>> print(strings_of(("c-1", None, ["a", "b:c"], 3), {"k": "v"}))
    c-1
    a
    b:c
    k
    v
    """
    parts = [v for v in values if type(v) is str]
    for v in values:
        if type(v) is list:
            parts.extend([t for t in v if type(t) is str])
    if props:
        parts.extend(props)
        parts.append(strings_of(tuple(props.values())))
    return "\n".join(parts)


def _inner(props: dict[str, Property] | dict[str, Scalar] | Unset | None) -> int:
    """The keys of a line's ``properties``."""
    return len(props) if props else 0


def _relationship_once(raw: bytes, x: RelationshipLine) -> bool:
    """:func:`once_each` for a relationship line (read for most lines of an import: its keys are
    counted without a tuple of its values)."""
    props = x.properties
    keys = 3 + (x.date is not UNSET) + (x.source_ref is not UNSET) + (x.grading is not UNSET) + (props is not UNSET)
    return once_each(raw, keys + _inner(props), lambda: strings_of(astuple(x), props or None))


def _fits(props: dict[str, Property] | dict[str, Scalar] | Unset | None) -> bool:
    """Whether every whole number of ``props`` fits the 64 bits a stored number has (a larger one
    is read again by the checked reader, which refuses it)."""
    return not props or all(type(v) is not int or -(2**63) <= v < 2**64 for v in props.values())


def may_hold_controls(raw: bytes) -> bool:
    """Whether a line of JSON may hold a control character: written as an escape (``\\u001b``,
    ``\\n``), or as itself (DEL, or a C1 control, which is not ASCII; JSON has no place for the
    others written as themselves). Most lines are ASCII with no escape nor DEL, and their strings
    are not looked at one by one.

    >>> may_hold_controls(b'{"name": "Kyle Benson"}'), may_hold_controls(b'{"name": "Kyle\\\\u001b[2J"}')
    (False, True)
    """
    return not raw.isascii() or raw.find(b"\\") >= 0 or raw.find(b"\x7f") >= 0  # find: quicker than in


def _controlled(*texts: str | list[str] | Unset | None) -> bool:
    """Whether any of ``texts`` (strings, or lists of strings) holds a control character: an id, a
    name, an alias, a locality or a source holds none (the checked reader names it)."""
    for t in texts:
        if type(t) is str:
            if control_character(t) is not None:
                return True
        elif type(t) is list and any(control_character(x) is not None for x in t):
            return True
    return False


def _props_controlled(raw: bytes, props: Mapping[str, object] | Unset | None) -> bool:
    """Whether a line's properties may hold a control character: any, even a tab or a line break in
    a value, is left to the checked reader, which names what has no place there."""
    if not props or not may_hold_controls(raw):
        return False
    return _controlled(*props, *(v for v in props.values() if type(v) is str or type(v) is list))


class _Refused(Exception):
    """A value the checked reader must look at."""


def _grading(value: str) -> str | None:
    got = _GRADES.get(value, "")
    if got != "":
        return got
    try:
        got = normalise_grading(value)
    except GradingError:
        raise _Refused from None
    if len(_GRADES) < 10_000:
        _GRADES[value] = got
    return got


def _date(value: str) -> str | None:
    got = _DATES.get(value)
    if got is not None:
        return got
    try:
        got = parse_date(value)
    except ValueError:
        raise _Refused from None
    if got is not None and len(_DATES) < 100_000:
        _DATES[value] = got
    return got


def relationship(raw: bytes) -> Relationship | None:
    """The relationship of a line, or None when the checked reader must read it.

    >>> relationship(b'{"type": "SEEN_AT", "source": "c-1", "target": "l-1", "grading": "1bp"}').assertions
    [Assertion(source_ref=None, date=None, grading='1B P', subject='c-1', object='l-1')]
    >>> relationship(b'{"type": "SEEN_AT", "source": "c-1", "target": "l-1", "colour": "red"}') is None
    True
    """
    try:
        x = _RELATIONSHIP.decode(raw)
    except _BAD:
        return None
    got = plain(x)
    if got is None or not _fits(x.properties) or not _relationship_once(raw, x) or _props_controlled(raw, x.properties):
        return None
    t, s, d, ref, day, grading = got
    a = _tuple(Assertion, (ref, day, grading, s, d))
    return Relationship(t, s, d, [a], dict(x.properties) if x.properties else {})


Plain = tuple[str, str, str, str | None, str | None, str | None]
"""A relationship line's values once checked: (type, source, target, source_ref, date, grading)."""


def plain(x: RelationshipLine) -> Plain | None:
    """The checked values of a decoded line (its properties aside), or None when the checked
    reader must read it.

    >>> plain(RelationshipLine("SEEN_AT", " c-1", "l-1", date="2024-03-01", grading="1bp"))
    ('SEEN_AT', 'c-1', 'l-1', None, '2024-03-01', '1B P')
    >>> plain(RelationshipLine("SEEN_AT", "c-1", "l-1\\x1b[2J")) is None
    True
    """
    t, s, d, ref = x.type, x.source, x.target, x.source_ref
    if not (s.isprintable() and d.isprintable() and (type(ref) is not str or ref.isprintable())) and _controlled(
        s, d, ref
    ):
        return None  # a control character: the checked reader names it
    s, d = s.strip(), d.strip()
    if t not in REL_TYPES or not s or not d or s == d:
        return None
    day = None if x.date is UNSET else x.date
    grading = None if x.grading is UNSET else x.grading
    try:
        if day is not None:
            day = _date(day)
        if grading is not None:
            grading = _grading(grading)
    except _Refused:
        return None
    return (t, s, d, None if ref is UNSET else ref, day, grading)


def decoded_line(raw: bytes) -> RelationshipLine | None:
    """A line decoded to the quick reader's types; None for a line it declines or a blank one.
    One line at a time: a file decoded in one call could not tell a line holding two records, or
    one record split over two lines, from good lines.

    >>> [x and x.type for x in map(decoded_line, [b'{"type": "SEEN_AT", "source": "a", "target": "b"}', b"", b"{"])]
    ['SEEN_AT', None, None]
    """
    try:
        x = _RELATIONSHIP.decode(raw)
    except _BAD:
        return None
    return x if _relationship_once(raw, x) else None


def entity(raw: bytes) -> Entity | None:
    """The entity of a line, or None when the checked reader must read it.

    >>> entity(b'{"id": "c-1", "kind": "child", "name": " Kyle Benson ", "aliases": ["Kyle Benson", "KB"]}').aliases
    ['KB']
    >>> entity(b'{"id": "c-1", "kind": "child", "name": "Kyle", "lat": 91}') is None
    True
    """
    try:
        x = _ENTITY.decode(raw)
    except _BAD:
        return None
    values = astuple(x)
    props = x.properties
    if not once_each(raw, len(values) - values.count(UNSET) + _inner(props), lambda: strings_of(values, props or None)):
        return None
    if (not raw.isascii() or raw.find(b"\\") >= 0 or raw.find(b"\x7f") >= 0) and (
        _controlled(x.id, x.kind, x.name, x.aliases, x.locality, x.sources, x.source_ref)
        or _props_controlled(raw, props)
    ):
        return None  # a control character: the checked reader names it (see may_hold_controls)
    eid, name = x.id.strip(), x.name.strip()
    kind = x.kind.strip()
    if not eid or not name or kind != x.kind or kind not in KINDS or (kind == "service" and name not in SERVICES):
        return None
    if not eid.isascii() or (x.locality and not x.locality.isascii()):
        return None  # it may hold what shows as nothing or a look-alike letter: the checked reader looks
    lat = None if x.lat is UNSET else x.lat
    lon = None if x.lon is UNSET else x.lon
    if (lat is not None and abs(lat) > 90) or (lon is not None and abs(lon) > 180) or (lat is None) != (lon is None):
        return None
    sources = x.sources or []
    ref = x.source_ref
    if ref and ref not in sources:
        sources = [*sources, ref]
    aliases = x.aliases
    try:
        grading = _grading(x.grading) if isinstance(x.grading, str) else None
        dob = _date(x.dob) if isinstance(x.dob, str) else None
        dates = [d for d in (x.date, x.first_seen, x.last_seen) if isinstance(d, str)]
        if not dates:
            first = last = None  # most lines: no dates of their own
        else:
            seen = [v for d in dates if d and (v := _date(d))]
            first, last = (min(seen), max(seen)) if seen else (None, None)
    except _Refused:
        return None
    handling = x.handling
    if handling is None or handling is UNSET:
        handling = [handling_code(grading)] if grading or ref or sources else []
    elif not _HANDLING.issuperset(handling):
        return None
    if props and (not _fits(props) or demographics.problem(kind, props)):
        return None  # read again, slowly, to be told what is wrong
    if len(name) > MAX_NAME_CHARS or (aliases and _too_many(aliases)) or id_too_long(eid):
        return None
    locality = x.locality.strip() if x.locality else None
    return Entity(
        eid,
        kind,
        name,
        [a.strip() for a in aliases if a.strip() and a.strip() != name] if aliases else [],
        dob,
        locality or None,
        lat,
        lon,
        dict(props) if props else {},
        list(dict.fromkeys(sources)) if len(sources) > 1 else list(sources),
        first,
        last,
        grading,
        [],
        sorted(set(handling)) if len(handling) > 1 else list(handling),
    )
