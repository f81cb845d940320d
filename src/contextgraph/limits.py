"""What one request may ask of the service, so that no request holds it up and no input gives a 5xx.

Every limit is a setting (an environment variable with a default; ``docs/cli.md`` lists them):

- request bodies: counted as they arrive, whatever the headers say (:class:`BodyLimit`);
- JSON: how deeply a request body or an import line may nest (:func:`loads`, :func:`deeper_than`);
- zip archives: how much they may unpack to, in all and relative to their compressed size,
  counted while unpacking (:func:`unpack`);
- GraphQL: the cost of a query before it runs, the length of a search text or a note's name, and
  how long a query may run (see :mod:`contextgraph.service.graphql`).
"""

from __future__ import annotations

import os
import re
import time
import zipfile
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Final

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_list_type,
    value_from_ast_untyped,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from starlette.requests import ClientDisconnect
from strawberry.extensions import SchemaExtension

from . import settings
from .errors import BadInput


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
    """Decode JSON nesting at most ``most`` levels; :class:`LimitError` (422) beyond, and
    ``orjson.JSONDecodeError`` for text that is not JSON."""
    if deeper_than(raw, most):
        raise LimitError(f"the JSON nests more than {most} levels", 422)
    return orjson.loads(raw)


# --- request bodies ------------------------------------------------------------------------

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: a request body larger than its path's limit is refused with 413, whether
    announced by ``Content-Length`` (refused before it is read) or sent in chunks (refused when
    the bytes received pass the limit). A body with neither header is refused with 411."""

    def __init__(self, app: ASGIApp, default: int, paths: Mapping[str, tuple[int, str]], setting: str):
        self.app = app
        self.default = (default, setting)
        self.paths = dict(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        most, setting = self.paths.get(scope["path"], self.default)
        headers = {k.lower(): v for k, v in scope["headers"]}
        length = headers.get(b"content-length")
        chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        too_large = f"the body is larger than {most:,} bytes ({setting})"
        if length is None and not chunked:
            await _answer(send, 411, "send a Content-Length")
            return
        if length is not None and (not length.isdigit() or int(length) > most):
            await _answer(send, 413, too_large)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > most:
                    raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if not started:
                await _answer(send, 413, too_large)
        except ClientDisconnect:  # the client went away before sending its whole request
            if not started:
                await _answer(send, 400, "the request ended before its body")


async def _answer(send: Send, status: int, detail: str) -> None:
    body = orjson.dumps({"detail": detail})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": [*headers, (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


# --- zip archives --------------------------------------------------------------------------

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


# --- GraphQL -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryRules:
    """How a query's cost is estimated and which texts are bounded.

    The cost counts each field with a resolver of its own once for every time it would run: a
    list multiplies what is selected within it by its ``first`` (as given, or its default; a
    variable without a value counts as the most allowed), at most ``caps[field]`` (else
    ``default_cap``); a field returning an object with a ``first`` bounds the lists directly
    within it (a page's ``items``, a map's ``nodes``); any other list counts as ``unbounded``.
    """

    limits: Limits
    default_cap: int
    caps: Mapping[str, int]
    unbounded: int
    texts: Mapping[tuple[str, str, str], str]
    """(type, field, argument) -> the limit of its length, a field of :class:`Limits`."""


def query_problem(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    rules: QueryRules,
) -> str | None:
    """Why a (valid) query is refused before it runs, or None."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    root = schema.get_root_type(operation.operation)
    if root is None:
        return None
    walk = _Walk(schema, document, operation, dict(variables or {}), rules)
    cost = walk.selection(root, operation.selection_set, None)
    if walk.problems:
        return walk.problems[0]
    if cost > rules.limits.cost:
        return (
            f"the query would cost about {cost:,}, more than {rules.limits.setting('cost')}: "
            "ask for fewer items (first) or nest lists less deeply"
        )
    return None


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: dict[str, Any],
        rules: QueryRules,
    ):
        self.schema = schema
        self.rules = rules
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.variables = variables
        for d in operation.variable_definitions or ():
            name = d.variable.name.value
            if name not in variables and d.default_value is not None:
                self.variables[name] = value_from_ast_untyped(d.default_value)
        self.done: dict[tuple[str, int | None], int] = {}
        self.problems: list[str] = []

    def selection(self, parent: Any, selections: SelectionSetNode, bound: int | None) -> int:
        total = 0
        for node in selections.selections:
            if isinstance(node, FieldNode):
                total += self.field(parent, node, bound)
            elif isinstance(node, InlineFragmentNode):
                cond = node.type_condition
                kind = self.schema.get_type(cond.name.value) if cond is not None else parent
                total += self.selection(kind, node.selection_set, bound)
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments.get(node.name.value)
                if fragment is None:
                    continue
                key = (fragment.name.value, bound)
                if key not in self.done:  # each fragment costs the same wherever it is spread
                    self.done[key] = 0
                    kind = self.schema.get_type(fragment.type_condition.name.value)
                    self.done[key] = self.selection(kind, fragment.selection_set, bound)
                total += self.done[key]
        return total

    def field(self, parent: Any, node: FieldNode, bound: int | None) -> int:
        name = node.name.value
        fields = getattr(parent, "fields", None)
        if not fields or name not in fields:
            return 0
        field: GraphQLField = fields[name]
        args = {a.name.value: a.value for a in node.arguments or ()}
        self.texts(parent.name, name, args)
        definition = field.extensions.get("strawberry-definition")
        cost = 1 if getattr(definition, "base_resolver", None) is not None else 0
        if node.selection_set is None:
            return cost
        first = self.first(field, name, args.get("first")) if "first" in field.args else None
        inner_type = get_named_type(field.type)
        if is_list_type(get_nullable_type(field.type)):
            size = first or bound or self.rules.unbounded
            return cost + size * self.selection(inner_type, node.selection_set, None)
        return cost + self.selection(inner_type, node.selection_set, first)

    def first(self, field: GraphQLField, name: str, given: ValueNode | None) -> int:
        most = self.rules.caps.get(name, self.rules.default_cap)
        value = field.args["first"].default_value if given is None else value_from_ast_untyped(given, self.variables)
        if isinstance(value, bool) or not isinstance(value, int):
            return most
        return max(1, min(value, most))

    def texts(self, parent: str, name: str, args: dict[str, ValueNode]) -> None:
        for arg, node in args.items():
            limit = self.rules.texts.get((parent, name, arg))
            if limit is None:
                continue
            value = value_from_ast_untyped(node, self.variables)
            most = getattr(self.rules.limits, limit)
            if isinstance(value, str) and len(value) > most:
                self.problems.append(
                    f"{name}'s {arg} is {len(value):,} characters long, more than {self.rules.limits.setting(limit)}"
                )


_SUGGESTION = re.compile(r"\s*Did you mean .*$", re.DOTALL)


class QueryGuard(SchemaExtension):
    """Refuses a query beyond :class:`QueryRules` before it runs, answering 400 for any query
    refused before it runs (syntax, validation, limits); outside development, takes the
    suggestions ("Did you mean ...?") out of errors, so that they tell nothing of the schema."""

    def __init__(self, rules: QueryRules, production: bool):
        super().__init__()
        self.rules = rules
        self.production = production
        self.ran = False

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = result.errors if result is not None else None
        if not errors:
            return
        if self.production:
            for error in errors:
                error.message = _SUGGESTION.sub("", error.message)
        response = getattr(self.execution_context.context, "response", None)
        if not self.ran and response is not None:
            response.status_code = 400

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        assert ctx.graphql_document is not None
        problem = query_problem(ctx.schema._schema, ctx.graphql_document, ctx.operation_name, ctx.variables, self.rules)
        if problem is not None:
            ctx.result = GraphQLExecutionResult(data=None, errors=[GraphQLError(problem)])
        else:
            self.ran = True
            if hasattr(ctx.context, "deadline"):
                ctx.context.deadline = time.monotonic() + self.rules.limits.seconds
        yield
