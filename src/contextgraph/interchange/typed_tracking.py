"""The quick reading of a line of ``tracking.jsonl``: decoded by msgspec straight into a typed
line of its kind of record (one struct a kind, built from the model's fields; the types are
checked as it is decoded), then its values checked against the kind's code lists, dates and rules
with what is cached for values seen before. Anything else — a field the kind does not have, a
value of the wrong type or one that fails a check, a value with spaces around it or with a control
character it has no place for, a list of items (a plan's actions, a review's scores) — gives
``None``, and the line is read again by the checked reader
(:meth:`~contextgraph.model.tracked.Tracked.from_json`), which names the problem. Both readers give
the same record for the same line: a test holds them to it.

>>> tracking(b'{"id": "r1", "record": "risk_assessment", "subject": "c1", "date": "2025-01-02",'
...          b' "source": "f", "recorded_by": "u", "level": "amber"}').fields
{'level': 'amber'}
>>> tracking(b'{"id": "r1", "record": "risk_assessment", "subject": "c1", "date": "2025-01-02",'
...          b' "source": "f", "recorded_by": "u", "level": "purple"}') is None
True
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any

import msgspec
from msgspec.structs import astuple

from ..model import GradingError, normalise_grading
from ..model.tracked import MOST_FREE, MOST_SHORT, Tracked, check_rules, day_of, moment
from ..model.tracking import RECORD_KINDS, Field, TrackingError, code_list
from ..quoted import control_character
from .typed import UNSET, Unset, may_hold_controls, once_each, strings_of

_COMMON: list[tuple[str, Any, Any]] = [
    ("id", str, msgspec.NODEFAULT),
    ("subject", str, msgspec.NODEFAULT),
    ("date", str, msgspec.NODEFAULT),
    ("source", str, msgspec.NODEFAULT),
    ("recorded_by", str, msgspec.NODEFAULT),
    ("locality", str | None | Unset, UNSET),
    ("grading", str | None | Unset, UNSET),
]

_N_COMMON = len(_COMMON)

_TYPES: dict[str, Any] = {
    "text": str,
    "entity": str,
    "code": str,
    "date": str,
    "datetime": str,
    "codes": list[str],
    "entities": list[str],
    "dates": list[str],
    "bool": bool,
    "int": int,
    "items": list[Any],
}


def _struct(name: str) -> type[msgspec.Struct]:
    kind = RECORD_KINDS[name]
    own = [(f.name, _TYPES[f.type] | None | Unset, UNSET) for f in kind.fields]
    return msgspec.defstruct(
        f"{name.title().replace('_', '')}Line",
        _COMMON + own,
        tag_field="record",
        tag=name,
        forbid_unknown_fields=True,
    )


_STRUCTS = {name: _struct(name) for name in RECORD_KINDS}
_KIND_OF = {s: name for name, s in _STRUCTS.items()}
_DECODER: msgspec.json.Decoder[Any] = msgspec.json.Decoder(functools.reduce(operator.or_, _STRUCTS.values()))
_BAD = (msgspec.ValidationError, msgspec.DecodeError, TrackingError, GradingError, RecursionError)


class _Refused(Exception):
    """A value the checked reader must look at."""


def _text(v: Any) -> str:
    if not v or v != v.strip():
        raise _Refused
    return str(v)


def _controlled(kind: str, values: tuple[Any, ...]) -> bool:
    """Whether a decoded line's text holds a control character it has no place for: any, in its
    common fields, codes and entities; other than tabs and line breaks, in its free text (see
    :func:`~contextgraph.quoted.control_character`)."""
    for v in values[:_N_COMMON]:
        if type(v) is str and control_character(v) is not None:
            return True
    for f, v in zip(RECORD_KINDS[kind].fields, values[_N_COMMON:], strict=True):
        if type(v) is str:
            if control_character(v, f.type == "text" and f.free) is not None:
                return True
        elif type(v) is list and any(type(x) is str and control_character(x) is not None for x in v):
            return True
    return False


def _too_long(kind: str, values: tuple[Any, ...]) -> bool:
    """Whether a decoded line holds a text longer than its field takes (the checked reader says
    which): a short text over :data:`MOST_SHORT` characters, free text over :data:`MOST_FREE`."""
    if any(type(v) is str and len(v) > MOST_SHORT for v in values[:_N_COMMON]):
        return True  # (an id or a locality this long is the checked reader's to read)
    return any(
        type(v) is str and f.type == "text" and len(v) > (MOST_FREE if f.free else MOST_SHORT)
        for f, v in zip(RECORD_KINDS[kind].fields, values[_N_COMMON:], strict=True)
    )


def _items(v: Any) -> Any:
    raise _Refused  # a list of items: the checked reader


class Reader:
    """The quick reader of one file: the code lists in force read once, and for each kind of
    record a checker for each of its fields."""

    def __init__(self) -> None:
        names = {f.codes for k in RECORD_KINDS.values() for f in k.fields if f.codes}
        self.codes = {name: frozenset(code_list(name)) for name in names}
        self.plans = {
            name: [(f.name, f.required, self._checker(f)) for f in kind.fields] for name, kind in RECORD_KINDS.items()
        }

    def _checker(self, f: Field) -> Callable[[Any], Any]:
        t = f.type
        if t in ("text", "entity"):
            return _text
        if t in ("code", "codes"):
            codes = self.codes[f.codes or ""]

            def code(v: Any) -> Any:
                if v not in codes:
                    raise _Refused
                return v

            def many(v: list[Any]) -> list[Any]:
                if not codes.issuperset(v):
                    raise _Refused
                return list(dict.fromkeys(v))

            return code if t == "code" else many
        if t == "entities":
            return lambda v: list(dict.fromkeys(_text(x) for x in v))
        if t == "dates":
            return lambda v: list(dict.fromkeys(day_of(x) for x in v))
        if t == "date":
            return day_of
        if t == "datetime":
            return moment
        if t == "int":
            low, high = f.low, f.high

            def whole(v: Any) -> Any:
                if isinstance(v, bool) or (low is not None and v < low) or (high is not None and v > high):
                    raise _Refused
                return v

            return whole
        if t == "bool":
            return lambda v: v
        return _items

    def read(self, raw: bytes) -> Tracked | None:
        """The record of a line, or None when the checked reader must read it."""
        try:
            x = _DECODER.decode(raw)
            name = _KIND_OF[type(x)]
            values = astuple(x)  # the common fields, then the kind's own, in the model's order
            if not once_each(raw, len(values) - values.count(UNSET) + 1, lambda: strings_of(values)):  # and "record"
                return None
            if may_hold_controls(raw) and _controlled(name, values):
                return None
            if len(raw) > MOST_SHORT and _too_long(name, values):
                return None
            own: dict[str, Any] = {}
            for (field_name, required, check), v in zip(self.plans[name], values[_N_COMMON:], strict=True):
                if v is None or v is UNSET or v == "" or v == []:
                    if required:
                        return None
                    continue
                own[field_name] = check(v)
            eid, subject, when, source, by, locality, grading = values[:_N_COMMON]
            for text in (eid, subject, source, by):
                if not text or text != text.strip():
                    return None
            if not eid.isascii() or (locality and not locality.isascii()):
                return None  # the checked reader tells whether they read as only themselves
            t = Tracked.made(
                eid,
                name,
                subject,
                moment(when),
                source,
                by,
                _text(locality) if locality else None,
                normalise_grading(grading) if grading else None,
                own,
            )
            check_rules(t, "")
        except (*_BAD, _Refused):
            return None
        return t


def tracking(raw: bytes) -> Tracked | None:
    """The record of one line, or None when the checked reader must read it (a file is read with
    one :class:`Reader`)."""
    return Reader().read(raw)
