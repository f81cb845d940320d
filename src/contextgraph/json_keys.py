"""Keys named twice in one JSON object. A JSON reader keeps the last value of such a key, which
no one chose; where input is read (a line of an import, a request to the service) the key is
named and the input refused.

>>> repeated_key(b'{"id": "c-1", "note": "seen at 10:30"}', {"id": "c-1", "note": "seen at 10:30"}) is None
True
>>> repeated_key(b'{"id": "c-1", "properties": {"age": 14, "age": 15}}', {"id": "c-1", "properties": {"age": 15}})
'age'
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
    pass


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for k, v in pairs:
        if k in seen:
            raise _Twice(k)
        seen[k] = v
    return seen


def repeated_key(raw: bytes | str, value: Any) -> str | None:
    """A key an object of ``raw`` (valid JSON, decoded to ``value``) names twice, or None (of
    several, an inner object's before the object holding it).

    Every key is followed by a colon: text with no more colons than ``value`` has keys names each
    once, and only other text is read again to find the key."""
    colons = raw.count(b":") if isinstance(raw, bytes) else raw.count(":")
    if colons <= key_count(value):
        return None
    try:
        json.loads(raw, object_pairs_hook=_once)
    except _Twice as e:
        return str(e.args[0])
    return None
