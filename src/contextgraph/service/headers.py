"""ASGI middleware: the headers every answer carries, whatever route made it.

Answers hold data about children: none is kept by a browser's or a proxy's cache
(``Cache-Control: no-store``), none is read by a browser as another type than it says
(``X-Content-Type-Options: nosniff``), and no address is passed on when a link is followed
(``Referrer-Policy: no-referrer``). A header a route sets itself (the page's own) is kept.
The page's scripts and styles (``/static``) hold no data, and may be cached.
"""

from __future__ import annotations

from typing import Final

from .body_limit import ASGIApp, Message, Receive, Scope, Send

EVERY_ANSWER: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
"""Headers of every answer."""
DATA_ANSWER: Final = ((b"cache-control", b"no-store"),)
"""Headers of every answer but the page's static files."""


class AnswerHeaders:
    """ASGI middleware adding :data:`EVERY_ANSWER` and, outside ``static``, :data:`DATA_ANSWER`
    to each answer that does not set them itself."""

    def __init__(self, app: ASGIApp, static: str = "/static/"):
        self.app = app
        self.static = static

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = EVERY_ANSWER if scope["path"].startswith(self.static) else EVERY_ANSWER + DATA_ANSWER

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in added if k not in have)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, sending)
