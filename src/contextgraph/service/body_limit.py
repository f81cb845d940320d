"""ASGI middleware: a request body counted as it arrives, refused past its path's limit (see
:class:`contextgraph.limits.Limits`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

import orjson
from starlette.requests import ClientDisconnect

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
