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


class _Twice(Exception):
    def __init__(self, key: str, others: set[str]):
        super().__init__(key)
        self.key, self.others = key, others


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for k, v in pairs:
        if k in seen:
            raise _Twice(k, {key for key, _ in pairs})
        seen[k] = v
    return seen


def _path(value: Any, twice: _Twice, at: str = "") -> str | None:
    """Where in ``value`` the object holding the key named twice is: the dotted path of the first
    object holding every key it names (a list's item by its place)."""
    if isinstance(value, dict):
        if twice.others <= value.keys():
            return f"{at}.{twice.key}" if at else twice.key
        items = ((f"{at}.{k}" if at else str(k), v) for k, v in value.items())
    elif isinstance(value, list):
        items = ((f"{at}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for where, inner in items:
        found = _path(inner, twice, where)
        if found is not None:
            return found
    return None


def repeated_key(raw: bytes | str, value: Any) -> str | None:
    """A key an object of ``raw`` (valid JSON, decoded to ``value``) names twice, with the path to
    it when the object is nested (``properties.age``), or None (of several, an inner object's
    before the object holding it).

    Every key is followed by a colon: text with no more colons than ``value`` has keys names each
    once, and only other text is read again to find the key."""
    colons = raw.count(b":") if isinstance(raw, bytes) else raw.count(":")
    if colons <= key_count(value):
        return None
    try:
        json.loads(raw, object_pairs_hook=_once)
    except _Twice as e:
        return _path(value, e) or e.key
    return None
