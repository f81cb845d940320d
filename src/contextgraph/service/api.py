"""The service: FastAPI with the GraphQL endpoint and REST for files, behind sign-in.

Every request to ``/graphql``, ``/notes``, ``/import`` and ``/export`` carries a
bearer token (see :mod:`contextgraph.service.auth`); without a trustworthy one the answer
is 401 before anything is read. The schema and what each role may reach are in
:mod:`contextgraph.service.graphql`; REST applies the same scope. Every request's purpose
comes from the ``X-Purpose`` header and goes on the access log with the request.

Run ``python -m contextgraph.service.api`` to print the GraphQL schema and
``python -m contextgraph.service.api openapi`` for the REST description.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import socket
import sys
import tempfile
import threading
import zipfile
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
import uvicorn
from cross_web import HTTPException as StrawberryHTTPException
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from strawberry.fastapi import GraphQLRouter

from .. import __version__
from ..ingest.pipeline import ingest_text
from ..ingest.writes import (
    NotYours,
    as_seen,
    entities_as_seen,
    held_as_seen,
    linkable,
    p_views,
    scope_batch,
    sees_everything,
    unseen,
)
from ..interchange import (
    InputError,
    apply_batch,
    read_folder,
)
from ..interchange.export import EXPORT_FILES
from ..json_keys import RepeatedKey
from ..limits import SETTINGS, LimitError, Limits, loads, unpack
from ..model import KINDS, REL_TYPES, Entity
from ..notes.parse import NoteError, note_name
from ..settings import DEV as ENV_DEV
from ..settings import OIDC_AUTHORITY as ENV_OIDC_AUTHORITY
from ..settings import OIDC_CLIENT_ID as ENV_OIDC_CLIENT_ID
from ..settings import OIDC_SCOPE as ENV_OIDC_SCOPE
from ..settings import STORE as ENV_STORE
from ..settings import TILE_ATTRIBUTION as ENV_TILE_ATTRIBUTION
from ..settings import TILE_URL as ENV_TILE_URL
from ..settings import WARM as ENV_WARM
from ..store import Store, StoreError, open_store, store_url
from ..store.types import Warmable
from .audit import MOST_SAID, AuditError, AuditLog, Journal, acting, audit_path, said, visible
from .auth import AuthError, LocalKeys, Principal, Verifier
from .body_limit import BodyLimit
from .exports import EXPORT_FORMATS, Asked, Refused, disclose, packed
from .graphql import Analyses, Context, RequestError, schema, sdl
from .headers import AnswerHeaders

NAMES_HEADER = "X-Names"
"""A request header: ``initials`` shows every person by initials in the answer (names, reasons,
evidence), for a view to be shared; ``full`` (the default) shows names as the role may see them."""

Purpose = Annotated[str | None, Query(description="Why (or send the X-Purpose header)")]


class FastJSONRouter(GraphQLRouter[Context, None]):
    """Answers encoded with orjson: several times faster than the standard library on large maps.
    Requests decoded with orjson too, refused (400) when they nest more than the limit, name a key
    twice in one object, or are not a JSON object."""

    def __init__(self, *args: Any, limits: Limits | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.limits = limits or Limits()

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        try:
            return loads(data, self.limits.json_depth)
        except LimitError:
            raise StrawberryHTTPException(
                400, f"the request nests more than {self.limits.json_depth} levels ({SETTINGS['json_depth'][0]})"
            ) from None
        except RepeatedKey as e:
            raise StrawberryHTTPException(400, f"the request: {e}") from None

    def parse_json(self, data: str | bytes) -> Any:
        decoded = super().parse_json(data)
        if not isinstance(decoded, dict):
            raise StrawberryHTTPException(400, "the request must be a JSON object")
        return decoded


def _problem(status: int, detail: str | list[str]) -> HTTPException:
    return HTTPException(status, detail)


def create_app(url: str | None = None, dev: bool = False, warm: bool = True) -> FastAPI:
    """The service over the store at ``url``; ``dev`` turns on GraphiQL and introspection; ``warm``
    reads every record into memory before the first request (see :class:`~contextgraph.store.types.Warmable`)."""
    url = store_url(url)
    limits = Limits.from_env()
    verifier = Verifier.from_settings(LocalKeys.for_store(url))
    log = AuditLog(audit_path(url))
    analyses = Analyses()
    state: dict[str, Store] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state["store"] = open_store(url)
        notes: list[str] = []
        try:  # the log checked against the store: a log cut off, replaced or missing stops the start
            Journal.attach(log, state["store"], notes)
        except AuditError:
            state.pop("store").close()
            raise
        for note in notes:
            print(f"contextgraph: {note}", file=sys.stderr)
        if warm and isinstance(state["store"], Warmable):
            state["store"].warm()
        try:
            yield
        finally:
            state.pop("store").close()

    app = FastAPI(
        title="contextgraph",
        version=__version__,
        lifespan=lifespan,
        description="Contextual safeguarding graph: notes in, exports out. Queries go to /graphql.",
        docs_url="/docs" if dev else None,
        redoc_url=None,
    )

    @app.exception_handler(RequestValidationError)
    async def refused(_: Request, exc: RequestValidationError) -> JSONResponse:
        """A parameter refused by its declared type or length: where and why, without the value
        sent, which may be long, or hold what no answer should repeat."""
        said = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()
        ]
        return JSONResponse({"detail": said}, status_code=422)

    app.add_middleware(
        BodyLimit,
        default=limits.body,
        paths={
            "/notes": (limits.note, SETTINGS["note"][0]),
            "/import": (limits.archive, SETTINGS["archive"][0]),
        },
        setting=SETTINGS["body"][0],
    )
    app.add_middleware(AnswerHeaders)  # added last, so outermost: on the body limit's refusals too

    def who(request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPException(401, "sign in: send a bearer token", headers={"WWW-Authenticate": "Bearer"})
        try:
            principal = verifier.verify(token.strip())
        except AuthError as exc:
            raise HTTPException(401, str(exc), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
        names = request.headers.get(NAMES_HEADER, "full").strip().lower()
        if names not in ("full", "initials"):
            raise HTTPException(400, f"{NAMES_HEADER} must be full or initials")
        return dataclasses.replace(principal, initials=True) if names == "initials" else principal

    async def context(request: Request, principal: Principal = Depends(who)) -> Context:  # noqa: B008
        purpose = _utf8(request.headers.get("x-purpose", "")) or request.query_params.get("purpose")
        try:  # a purpose that says nothing is no purpose (below); one that says something is checked
            if visible(purpose):
                said(str(purpose), "X-Purpose (or ?purpose=)", RequestError)
        except RequestError as exc:
            raise HTTPException(400, str(exc)) from None
        # a purpose without a letter or digit (spaces, zero-width characters) is no purpose
        ctx = Context(state["store"], principal, log, purpose if visible(purpose) else None, analyses)
        ctx.limits = limits
        return ctx

    router: GraphQLRouter[Context, None] = FastJSONRouter(
        schema(production=not dev, limits=limits),
        context_getter=context,
        graphql_ide="graphiql" if dev else None,
        allow_queries_via_get=False,  # a query in a URL is kept by proxies' logs, and a GET by caches
        limits=limits,
    )
    app.include_router(router, prefix="/graphql")

    page = Path(__file__).parents[1] / "web" / "static"
    if (page / "index.html").exists():
        app.mount("/static", StaticFiles(directory=page), name="static")

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def index() -> Response:
        built = page / "index.html"
        if not built.exists():
            return JSONResponse(
                {"detail": "the mapping page is not built: install contextgraph with Node.js and npm present"},
                status_code=503,
            )
        return Response(built.read_bytes(), media_type="text/html", headers=_page_headers())

    @app.get("/config.json", include_in_schema=False)
    def config() -> dict[str, Any]:
        """What the mapping page needs before sign-in (nothing of the data)."""
        return page_config(dev)

    @app.get("/healthz", summary="The process is up")
    async def healthz() -> dict[str, str]:  # answered on the event loop, never queued behind work in threads
        return {"status": "ok"}

    @app.get("/readyz", summary="The store answers")
    def readyz() -> JSONResponse:
        try:
            state["store"].ping()
        except Exception:  # any failure means not ready
            return JSONResponse({"status": "store unreachable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    def _writer(ctx: Context, notes: bool = False) -> None:
        try:
            ctx.ready_to_write(notes)
        except RequestError as exc:
            raise _problem(403, str(exc)) from None

    async def written(request: Request, ctx: Context = Depends(context)) -> bytes:  # noqa: B008
        """The body of a write, read only once the user may write; the handler runs in a worker
        thread, so that importing never holds up the service."""
        _writer(ctx)
        return await request.body()

    importing = threading.Lock()

    def import_slot(ctx: Context = Depends(context)) -> Iterator[None]:  # noqa: B008
        """One import read at a time, held from before its body is read until it is answered: each
        is read whole, and may unpack to the limit (a writer's only: no one else learns of it)."""
        _writer(ctx)
        if not importing.acquire(blocking=False):
            busy = "another import is being read: send this one when it is done"
            raise HTTPException(429, busy, {"Retry-After": "5"})
        try:
            yield
        finally:
            importing.release()

    async def noted(request: Request, ctx: Context = Depends(context)) -> bytes:  # noqa: B008
        """The body of a note, read only once the user may record notes."""
        _writer(ctx, notes=True)
        return await request.body()

    @app.post(
        "/notes",
        summary="Ingest one meeting note",
        description="The body is the note's text (markdown or plain, UTF-8). A note already ingested changes nothing.",
        openapi_extra={"requestBody": _body("text/markdown", "text/plain", schema={"type": "string"})},
    )
    def post_note(
        name: str = Query("note.md", description="The note's file name", max_length=limits.name),
        ctx: Context = Depends(context),  # noqa: B008
        body: bytes = Depends(noted),
    ) -> dict[str, Any]:
        try:
            note_name(name)  # before it is repeated in any message
        except NoteError as exc:
            raise _problem(422, str(exc)) from None
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise _problem(422, f"{name}: not UTF-8 text") from None

        try:
            with _acting(ctx, {"rest": "notes", "name": name}):
                res = ingest_text(
                    ctx.store, text, name, ctx.who.user, check=ctx.note_locality, scope=ctx.scope(writing=True)
                )
        except RequestError as exc:
            raise _problem(403, f"{name}: {exc}") from None
        except (NoteError, StoreError) as exc:
            raise _problem(422, str(exc)) from None
        return res.to_json()

    @app.post(
        "/import",
        summary="Import a zip of the interchange files",
        description=(
            "The body is a zip holding entities.jsonl, relationships.jsonl and optionally judgements.jsonl and "
            "tracking.jsonl (tracking records, within your localities and clearance). "
            "Every line is checked first; any problem is named by file and line and nothing is written."
        ),
        openapi_extra={"requestBody": _body("application/zip", schema={"type": "string", "format": "binary"})},
    )
    def post_import(
        ctx: Context = Depends(context),  # noqa: B008
        _: None = Depends(import_slot),  # before the body is read
        body: bytes = Depends(written),
    ) -> dict[str, Any]:
        return _import(ctx, body)

    def _import(ctx: Context, body: bytes) -> dict[str, Any]:
        store, scope = ctx.store, ctx.scope(writing=True)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            _unpack(body, folder, limits)
            try:
                # relationships may point only at records the writer may read: any other id is
                # unknown, whether it exists elsewhere or not
                # the area's localities are checked for a writer who sees everything; any other's
                # lines are checked against their own localities (scope_batch), and told no other
                area = store.localities() if sees_everything(scope) else None
                batch = read_folder(
                    folder,
                    known_kinds=lambda ids: _kinds(linkable(store, scope, ids)),
                    localities=area,
                    # a limited writer is told of erasures in their own localities only (another's
                    # id is filed under their namespace, as any id not theirs)
                    erased=lambda ids: store.erased_among(ids, None if sees_everything(scope) else scope.localities),
                    held=lambda ids: held_as_seen(store, scope, ids),
                )
                scoped = scope_batch(store, scope, batch, ctx.who.user)
            except NotYours as exc:
                raise _problem(403, _relative(exc.problems[0], folder)) from None
            except InputError as exc:
                raise _problem(422, [_relative(p, folder) for p in exc.problems]) from None
        before = unseen(store, scope, scoped.batch.relationships)
        seen = p_views(store, scope, scoped.batch.entities)
        try:
            with _acting(ctx, {"rest": "import"}):
                summary, applied = apply_batch(store, scoped.batch)
            summary = entities_as_seen(as_seen(summary, before), store, seen)
        except StoreError as exc:
            raise _problem(422, str(exc)) from None
        counts = {
            "entities_created": summary.entities_created,
            "entities_updated": summary.entities_updated,
            "relationships_created": summary.relationships_created,
            "relationships_updated": summary.relationships_updated,
            "unchanged": summary.unchanged,
            "judgements_applied": applied,
            "tracking_records": len(scoped.batch.tracking),
        }
        return {**counts, "ids": scoped.renamed}

    @app.get(
        "/export",
        summary="Export what you may see: the interchange files (a zip), or a file for Gephi, QGIS or i2",
        description="A disclosure: say who it is for (recipient) and why (X-Purpose or purpose). "
        "format: jsonl (the interchange files, zipped), graphml (Gephi), geojson (QGIS: the places), "
        "i2csv (i2 Analyst's Notebook's CSV import, zipped).",
        response_class=Response,
        responses={
            200: {
                "content": {
                    "application/zip": {},
                    "application/graphml+xml": {},
                    "application/geo+json": {},
                }
            }
        },
    )
    def get_export(
        recipient: Annotated[str, Query(description="Who the export is for", min_length=1)],
        locality: Annotated[
            str | None, Query(description="One of your localities (default: all)", max_length=MOST_SAID)
        ] = None,
        fmt: Annotated[str, Query(alias="format", description=" | ".join(EXPORT_FORMATS))] = "jsonl",
        since: Annotated[
            str | None, Query(description="Only links seen from this date (YYYY-MM-DD)", max_length=10)
        ] = None,
        until: Annotated[
            str | None, Query(description="Only links seen up to this date (YYYY-MM-DD)", max_length=10)
        ] = None,
        types: Annotated[
            list[str] | None, Query(alias="type", description="Only links of these types (repeat; default all)")
        ] = None,
        undated: Annotated[bool, Query(description="With a window: links without a date too")] = True,
        purpose: Purpose = None,
        ctx: Context = Depends(context),  # noqa: B008
    ) -> Response:
        try:
            made = disclose(ctx, Asked(recipient, fmt, locality, since, until, tuple(types or ()), undated))
        except Refused as exc:
            raise _problem(exc.status, str(exc)) from None
        how = packed(fmt)
        return Response(
            made.body,
            media_type=how.media_type,
            headers={"Content-Disposition": f'attachment; filename="{how.name}"'},
        )

    return app


def page_config(dev: bool) -> dict[str, Any]:
    """The mapping page's settings: the vocabulary's relationship types and the kinds drawn on the
    map (those placed), map tiles, sign-in."""
    authority = os.environ.get(ENV_OIDC_AUTHORITY)
    client = os.environ.get(ENV_OIDC_CLIENT_ID)
    oidc = (
        {"authority": authority, "client_id": client, "scope": os.environ.get(ENV_OIDC_SCOPE, "openid profile")}
        if authority and client
        else None
    )
    return {
        "relationship_types": list(REL_TYPES),
        "placed_kinds": [k for k, kind in KINDS.items() if kind.placed],
        "tiles": os.environ.get(ENV_TILE_URL) or None,
        "tile_attribution": os.environ.get(ENV_TILE_ATTRIBUTION) or None,
        "oidc": oidc,
        "token_paste": dev or oidc is None,
    }


def _page_headers() -> dict[str, str]:
    """A strict content policy for the page: its own scripts only; tiles and the sign-in provider
    only from their configured origins."""
    tiles = os.environ.get(ENV_TILE_URL, "")
    tile_origin = _origin(tiles)
    oidc = _origin(os.environ.get(ENV_OIDC_AUTHORITY, ""))
    policy = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: blob: {tile_origin}; connect-src 'self' {oidc}; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
    return {
        "Content-Security-Policy": " ".join(policy.split()),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


def _origin(url: str) -> str:
    """The scheme and host of a URL (a tile template's placeholders are only in its path).

    >>> _origin("https://tiles.example.org/{z}/{x}/{y}.png")
    'https://tiles.example.org'
    """
    scheme, sep, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}" if sep else ""


def _body(*media_types: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A request body as the REST description shows it (the handlers read it as it comes)."""
    return {"required": True, "content": {m: {"schema": schema} for m in media_types}}


@contextmanager
def _acting(ctx: Context, detail: dict[str, Any]) -> Iterator[None]:
    """The request's writes, each logged ahead; a log that cannot be written is a 503."""
    try:
        with acting(ctx.store, ctx.who.user, ctx.purpose, detail):
            yield
    except AuditError as exc:
        print(f"contextgraph: {exc}", file=sys.stderr)
        raise _problem(503, "the access log cannot be written; nothing was changed") from None


def _utf8(header: str) -> str:
    """A header's text as the client wrote it: HTTP headers arrive decoded as Latin-1, so UTF-8
    sent as it is (an accent, a zero-width space) is read back as UTF-8; anything else stays.

    >>> _utf8("r\\xc3\\xa9union"), _utf8("\\xe2\\x80\\x8b"), _utf8("caf\\xe9")
    ('réunion', '\\u200b', 'café')
    """
    try:
        return header.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return header


def _relative(problem: str, folder: Path) -> str:
    """A problem as the user sees it: without the server's own unpacking folder.

    >>> _relative("/tmp/x1: holds neither", Path("/tmp/x1")), _relative("/tmp/x1/a.jsonl:2: bad", Path("/tmp/x1"))
    ('the archive: holds neither', 'a.jsonl:2: bad')
    """
    return problem.replace(f"{folder}/", "").replace(str(folder), "the archive")


def _kinds(entities: dict[str, Entity]) -> dict[str, str]:
    return {i: e.kind for i, e in entities.items()}


def _unpack(body: bytes, folder: Path, limits: Limits) -> None:
    """Unpack an import archive's known files into ``folder``, refusing anything else, and an
    archive that unpacks to more than the limits allow (see :func:`contextgraph.limits.unpack`)."""
    try:
        z = zipfile.ZipFile(io.BytesIO(body))
    except Exception:  # any damage to an archive's directory, from zipfile's own errors to an IndexError
        raise _problem(422, "the body is not a zip archive") from None
    with z:
        members = [i for i in z.infolist() if not i.filename.endswith("/")]
        twice = sorted(name for name, n in Counter(i.filename for i in members).items() if n > 1)
        if twice:  # which one is meant cannot be told: refused rather than the last one taken in silence
            raise _problem(422, f"{twice[0]}: the archive holds it more than once; send each file once")
        names = {i.filename: i for i in members}
        unknown = sorted(set(names) - set(EXPORT_FILES))
        if unknown:
            raise _problem(422, f"{unknown[0]}: not an interchange file (expected {', '.join(EXPORT_FILES)})")
        try:
            unpack(z, names, folder, limits)
        except LimitError as exc:
            raise _problem(exc.status, str(exc)) from None


class TCPConfig(uvicorn.Config):
    """uvicorn's settings, binding the listening socket that worker processes share with TCP named
    as its protocol, so that asyncio turns Nagle's algorithm off on each connection; otherwise
    small answers wait about 40 ms for the client's delayed acknowledgement."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto != socket.IPPROTO_TCP:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        return sock


def app_from_settings() -> FastAPI:
    """The service as the settings say (``CONTEXTGRAPH_STORE``, ``CONTEXTGRAPH_DEV=1``,
    ``CONTEXTGRAPH_WARM=0``): what each worker process runs when ``contextgraph serve --workers N``
    starts several."""
    return create_app(
        os.environ.get(ENV_STORE), dev=os.environ.get(ENV_DEV) == "1", warm=os.environ.get(ENV_WARM, "1") != "0"
    )


def openapi() -> str:
    """The REST description, as committed in ``api/openapi.json``."""
    with tempfile.TemporaryDirectory() as tmp:  # the description does not depend on the store
        doc = create_app(f"sqlite:///{tmp}/described.db").openapi()
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(openapi() if sys.argv[1:] == ["openapi"] else sdl(), end="")
