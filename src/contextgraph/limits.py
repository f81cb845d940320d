"""What one request may ask of the service, so that no request holds it up and no input gives a 5xx.

Every limit is a setting (an environment variable with a default; ``docs/cli.md`` lists them):

- request bodies: counted as they arrive, whatever the headers say
  (:class:`contextgraph.service.body_limit.BodyLimit`);
- JSON: how deeply a request body or an import line may nest (:func:`loads`, :func:`deeper_than`);
- zip archives: how much they may unpack to, in all and relative to their compressed size,
  counted while unpacking (:func:`unpack`);
- GraphQL: the cost of a query before it runs, the length of a search text or a note's name, and
  how long a query may run (:mod:`contextgraph.service.graphql.guard`).

The limits' values and their checks of plain data are here, for every package (an import's lines
are checked against them); the checks that need the web service's libraries are in the service.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Final

import orjson

from . import settings
from .errors import BadInput
from .json_keys import RepeatedKey, given_twice, repeated_key


class LimitError(BadInput):
    """A request beyond a limit, or a setting that is not a valid limit; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 413):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Limits:
    """The limits in force. Each field's metadata names its setting."""

    body: int = 1_000_000
    note: int = 2_000_000
    archive: int = 200_000_000
    unpacked: int = 1_000_000_000
    ratio: int = 100
    json_depth: int = 64
    search: int = 200
    name: int = 200
    cost: int = 1000
    seconds: float = 30.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The limits as the settings say, each unset one at its default."""
        env = os.environ if environ is None else environ
        given: dict[str, Any] = {}
        for f in fields(cls):
            name = SETTINGS[f.name][0]
            raw = env.get(name)
            if raw is None or not raw.strip():
                continue
            try:
                value: float = float(raw) if f.type == "float" else int(raw.replace("_", ""))
            except ValueError:
                value = 0
            if not value > 0:
                raise LimitError(f"{name} must be a positive number, not {raw!r}", 400)
            given[f.name] = value
        return cls(**given)

    def setting(self, field: str) -> str:
        """A limit as named in an error: its value and its setting."""
        return f"{getattr(self, field):,} ({SETTINGS[field][0]})"


SETTINGS: Final[dict[str, tuple[str, str]]] = {
    field: (env, settings.SETTINGS[env].doc)
    for field, env in (
        ("body", settings.MAX_BODY),
        ("note", settings.MAX_NOTE),
        ("archive", settings.MAX_IMPORT),
        ("unpacked", settings.MAX_UNPACKED),
        ("ratio", settings.MAX_RATIO),
        ("json_depth", settings.MAX_JSON_DEPTH),
        ("search", settings.MAX_SEARCH),
        ("name", settings.MAX_NAME),
        ("cost", settings.MAX_COST),
        ("seconds", settings.QUERY_SECONDS),
    )
}
"""Each limit's setting and what it bounds."""


# --- JSON ----------------------------------------------------------------------------------


def deeper_than(raw: bytes | str, most: int) -> bool:
    """Whether JSON text nests more than ``most`` levels, without decoding it (brackets in strings
    are passed over); cheap when the text holds few brackets.

    >>> deeper_than('{"a": [1, {"b": "[[[["}]}', 3), deeper_than('{"a": [1, {"b": []}]}', 3)
    (False, True)
    """
    data = raw.encode() if isinstance(raw, str) else raw
    if data.count(b"[") + data.count(b"{") <= most:
        return False
    level, in_string, escaped = 0, False, False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            level += 1
            if level > most:
                return True
        elif byte in (0x5D, 0x7D):
            level -= 1
    return False


def loads(raw: bytes | str, most: int) -> Any:
    """Decode JSON nesting at most ``most`` levels; :class:`LimitError` (422) beyond,
    :class:`~.json_keys.RepeatedKey` for an object naming a key twice, and
    ``orjson.JSONDecodeError`` for text that is not JSON.

    >>> loads('{"v": {"id": "c-1", "id": "c-2"}}', 10)
    Traceback (most recent call last):
    ...
    contextgraph.json_keys.RepeatedKey: field 'v.id' is given twice (which of its values is meant cannot be told)
    """
    if deeper_than(raw, most):
        raise LimitError(f"the JSON nests more than {most} levels", 422)
    value = orjson.loads(raw)
    twice = repeated_key(raw, value)
    if twice is not None:
        raise RepeatedKey(given_twice(twice))
    return value


# --- zip archives --------------------------------------------------------------------------

MOST_SAID: Final = 500
"""The most characters a purpose, a recipient or a writer's reason may hold: words that say why,
or who for, in a line of the access log or a judgement (longer, each record could be made to fill it)."""

_CHUNK = 1 << 20
_SMALL = 1 << 20
"""A file may unpack to this much whatever its compressed size (a short file packs tightly)."""


def unpack(archive: zipfile.ZipFile, names: Iterable[str], folder: Path, limits: Limits) -> None:
    """Unpack the files ``names`` of an archive into ``folder``, refusing with :class:`LimitError`
    an archive that unpacks to more than the limits allow: first by what its headers say, then
    by counting the bytes as they are unpacked (headers can lie).

    Each file may unpack to at most ``limits.ratio`` times its compressed size (or 1 MB, if more),
    and all of them together to at most ``limits.unpacked`` bytes.
    """
    infos = [archive.getinfo(n) for n in names]
    total = 0
    for info in infos:
        total += info.file_size
        _check_ratio(info, info.file_size, limits)
        if total > limits.unpacked:
            raise _unpacked_error(limits)
    total = 0
    for info in infos:
        written = 0
        try:
            with archive.open(info) as src, (folder / info.filename).open("wb") as out:
                while chunk := src.read(_CHUNK):
                    written += len(chunk)
                    total += len(chunk)
                    _check_ratio(info, written, limits)
                    if total > limits.unpacked:
                        raise _unpacked_error(limits)
                    out.write(chunk)
        except LimitError:
            raise
        except Exception as exc:  # a damaged, encrypted or oddly compressed file, whichever error zipfile gives
            raise LimitError(f"{info.filename}: cannot be unpacked ({_reason(exc)})", 422) from None


def _check_ratio(info: zipfile.ZipInfo, size: int, limits: Limits) -> None:
    if size > max(_SMALL, limits.ratio * info.compress_size):
        raise LimitError(
            f"{info.filename}: unpacks to more than {limits.ratio} times its compressed size ({SETTINGS['ratio'][0]})",
            413,
        )


def _unpacked_error(limits: Limits) -> LimitError:
    return LimitError(f"the archive unpacks to more than {limits.unpacked:,} bytes ({SETTINGS['unpacked'][0]})", 413)


def _reason(exc: Exception) -> str:
    if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
        return "it is encrypted"
    if isinstance(exc, NotImplementedError):
        return "its compression method is not supported"
    return "the archive is damaged"
