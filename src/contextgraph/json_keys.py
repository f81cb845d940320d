"""Keys named twice in one JSON object. A JSON reader keeps the last value of such a key, which
no one chose; where input is read (a line of an import, a request to the service) the key is
named and the input refused.

>>> repeated_key(b'{"id": "c-1", "note": "seen at 10:30"}', {"id": "c-1", "note": "seen at 10:30"}) is None
True
>>> repeated_key(b'{"id": "c-1", "properties": {"age": 14, "age": 15}}', {"id": "c-1", "properties": {"age": 15}})
'properties.age'
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .errors import BadInput


class RepeatedKey(BadInput):
    """A JSON object names one key twice: which of its values is meant cannot be told."""


def key_count(value: Any) -> int:
    """How many keys the objects of a decoded value hold, nested ones included.

    >>> key_count({"a": 1, "b": [{"c": None}, 2]})
    3
    """
    if isinstance(value, dict):
        return len(value) + sum(key_count(v) for v in value.values())
    if isinstance(value, list):
        return sum(key_count(v) for v in value)
    return 0


def given_twice(key: str) -> str:
    """The words for a key named twice, the same wherever input is read.

    >>> given_twice("id")
    "field 'id' is given twice (which of its values is meant cannot be told)"
    """
    return f"field {key!r} is given twice (which of its values is meant cannot be told)"


class _Twice:
    """An object that named a key twice, kept in the place of the object while the rest is read."""

    def __init__(self, key: str, pairs: list[tuple[str, Any]]):
        self.key, self.pairs = key, pairs


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any] | _Twice:
    seen: dict[str, Any] = {}
    for k, v in pairs:
        if k in seen:
            return _Twice(k, pairs)
        seen[k] = v
    return seen


def _first_twice(value: Any, at: list[str | int]) -> str | None:
    """The path to the first object that named a key twice (an inner one before the object holding
    it), and the key: ``properties.age``, ``items[1].id``; a nested key that is not a plain word
    quoted."""
    if isinstance(value, _Twice):
        for k, v in value.pairs:
            at.append(k)
            found = _first_twice(v, at)
            at.pop()
            if found is not None:
                return found
        return _dotted([*at, value.key])
    items: Iterable[tuple[str | int, Any]] = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    )
    for part, v in items:
        at.append(part)
        found = _first_twice(v, at)
        at.pop()
        if found is not None:
            return found
    return None


def _dotted(path: list[str | int]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not out or part.isidentifier():
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


def repeated_key(raw: bytes | str, value: Any) -> str | None:
    """A key an object of ``raw`` (valid JSON, decoded to ``value``) names twice, with the path to
    it when the object is nested (``properties.age``), or None (of several, an inner object's
    before the object holding it, then the first in the text).

    >>> repeated_key(b'{"a": {"d": 5}, "b": {"d": 1, "d": 2}}', {"a": {"d": 5}, "b": {"d": 2}})
    'b.d'
    >>> repeated_key(b'{"a": [{"d": 0}, {"d": 1, "d": 2}], "x y": {"k": 1, "k": 1}}', {})
    'a[1].d'
    >>> repeated_key(b'{"p": {"x y": {"k": 1, "k": 1}}}', {})
    "p['x y'].k"

    Every key is followed by a colon: text with no more colons than ``value`` has keys names each
    once, and only other text is read again to find the key."""
    colons = raw.count(b":") if isinstance(raw, bytes) else raw.count(":")
    if colons <= key_count(value):
        return None
    return _first_twice(json.loads(raw, object_pairs_hook=_once), [])
