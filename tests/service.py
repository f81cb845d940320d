"""A running service over real HTTP, for the API tests."""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from contextgraph.service.api import create_app
from contextgraph.service.auth import LocalKeys


class Service:
    def __init__(self, url: str, keys: LocalKeys):
        self.base = url
        self.keys = keys

    def token(self, role: str = "analyst", localities: tuple[str, ...] = ("East",), user: str = "ana") -> str:
        return self.keys.mint(user, role, list(localities))

    def post(
        self,
        query: str,
        token: str | None,
        purpose: str | None = "test",
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """A GraphQL request: its status and decoded answer. Reads need a purpose (``X-Purpose``): one
        is sent unless ``purpose`` is empty."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        status, _, raw = self.call("POST", "/graphql", token, body, "application/json", purpose, headers=headers)
        return status, json.loads(raw or b"{}")

    def data(self, query: str, token: str, **variables: Any) -> dict[str, Any]:
        """The data of a GraphQL request that must succeed."""
        status, body = self.post(query, token, "test", variables)
        assert status == 200 and not body.get("errors"), body
        return dict(body["data"])

    def error(self, query: str, token: str, **variables: Any) -> str:
        """The first error message of a GraphQL request that must fail."""
        _, body = self.post(query, token, "test", variables)
        assert body.get("errors"), body
        return str(body["errors"][0]["message"])

    def call(
        self,
        method: str,
        path: str,
        token: str | None,
        body: bytes | None = None,
        content_type: str | None = None,
        purpose: str | None = None,
        headers: dict[str, str] | None = None,
        **query: str,
    ) -> tuple[int, dict[str, str], bytes]:
        """Any request: status, headers and body. A body the service refuses before reading all of it
        (over a limit) is answered all the same: the client stops sending and reads the answer."""
        url = path + ("?" + urllib.parse.urlencode(query) if query else "")
        host, port = self.base.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        try:
            conn.putrequest(method, url)
            for name, value in (headers or {}).items():
                conn.putheader(name, value)
            if content_type:
                conn.putheader("Content-Type", content_type)
            if token is not None:
                conn.putheader("Authorization", f"Bearer {token}")
            if purpose:
                conn.putheader("X-Purpose", purpose)
            if body is not None or method in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(body or b"")))
            conn.endheaders()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                conn.send(body or b"")
            r = conn.getresponse()
            return r.status, dict(r.headers), r.read()
        finally:
            conn.close()

    def get(self, path: str) -> int:
        try:
            with urllib.request.urlopen(self.base + path, timeout=10) as r:
                return int(r.status)
        except urllib.error.HTTPError as e:
            return e.code


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running(url: str, key: LocalKeys, dev: bool = False) -> Iterator[Service]:
    """The service over the store at ``url``, on a free port, until the block ends."""
    app = create_app(url, dev=dev)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield Service(f"http://127.0.0.1:{port}", key)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def zipped(files: dict[str, str]) -> bytes:
    """A zip of ``files`` (name to text), as ``POST /import`` takes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()
