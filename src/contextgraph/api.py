"""The service: FastAPI with a Strawberry GraphQL endpoint, behind sign-in.

Every request to ``/graphql`` carries a bearer token (see :mod:`contextgraph.auth`);
without a trustworthy one the answer is 401 before any query runs. What a user
may reach is decided in the store read itself: each read passes a
:class:`~contextgraph.store.Filter` of the user's localities, so nothing outside
them is fetched. Every read of a person is written to the access log
(:mod:`contextgraph.audit`) before the answer is sent, with the purpose from the
``X-Purpose`` header; if the log cannot be written the request fails.

GraphQL types and enums are built from the vocabulary in :mod:`contextgraph.model`.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import strawberry
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.fastapi import BaseContext, GraphQLRouter
from strawberry.types import Info

from . import __version__
from .audit import AuditError, AuditLog, audit_path
from .auth import AuthError, LocalKeys, Principal, Verifier
from .model import KINDS, REL_TYPES, Entity, Relationship
from .store import Filter, Store, open_store, store_url

MAX_PAGE = 50
MAX_BODY = 1_000_000
"""Largest request body accepted, in bytes (notes are at most 2 MB and come by file upload)."""


class RequestError(Exception):
    """An error the user may read; every other error is masked as "Unexpected error."."""


def _mask(error: GraphQLError) -> bool:
    """Errors from the query itself (syntax, validation, limits) and :class:`RequestError` are shown."""
    return error.original_error is not None and not isinstance(error.original_error, RequestError)


_KINDS: Any = enum.Enum("EntityKind", [(k.upper(), k) for k in KINDS])  # type: ignore[misc]
_ENTITY_KIND = strawberry.enum(_KINDS, description="An entity kind")
if TYPE_CHECKING:
    EntityKind = Any  # for the type checker; at run time, the enum built from the vocabulary
else:
    EntityKind = _ENTITY_KIND


class Context(BaseContext):
    """What a request's resolvers share: the store, who is asking, the access log, the purpose."""

    def __init__(self, store: Store, who: Principal, log: AuditLog, purpose: str | None):
        super().__init__()
        self.store = store
        self.who = who
        self.log = log
        self.purpose = purpose

    def scope(self, types: list[str] | None = None, since: str | None = None) -> Filter:
        """The part of the graph this user may read: their localities and handling codes."""
        handling = ["P", "C"] if self.who.clearance == "C" else ["P"]
        localities = None if self.who.everywhere else self.who.localities
        return Filter.of(types=types, localities=localities, since=since, handling=handling)

    def consulted(self, ids: list[str], what: str) -> None:
        try:
            self.log.append(self.who.user, "consultation", ids, self.purpose, detail={"graphql": what})
        except AuditError as exc:
            raise RequestError("the access log cannot be written; nothing is shown") from exc


@strawberry.type(description="Who is signed in, and what they may see.")
class User:
    user: str
    role: str
    localities: list[str]
    clearance: str


@strawberry.type(name="Entity", description="A child, person of concern, location, school, group or service.")
class EntityView:
    id: strawberry.ID
    kind: EntityKind
    name: str
    aliases: list[str]
    dob: str | None
    locality: str | None
    lat: float | None
    lon: float | None

    @strawberry.field(name="openTo", description="The services a child is open to now, as far as you may see.")
    def open_to(self, info: Info[Context, None]) -> list[str]:
        if self.kind != _ENTITY_KIND("child"):
            return []
        sub = info.context.store.neighbourhood(str(self.id), 1, info.context.scope(["OPEN_TO"]))
        return sorted(n.name for n in sub.nodes if n.kind == "service")

    @strawberry.field(description="The entities one step away that you may see (at most 50).")
    def neighbours(
        self, info: Info[Context, None], types: list[RelationshipType] | None = None, first: int = 20
    ) -> list[EntityView]:
        ctx = info.context
        flt = ctx.scope([t.value for t in types] if types else None)
        sub = ctx.store.neighbourhood(str(self.id), 1, flt)
        found = sorted((n for n in sub.nodes if n.id != str(self.id)), key=lambda n: n.id)
        found = found[: max(1, min(first, MAX_PAGE))]
        ctx.consulted([n.id for n in found if KINDS[n.kind].person], "neighbours")
        return [_view(n, ctx.who) for n in found]


def _initials(name: str) -> str:
    """A name as initials, for roles that see children only so.

    >>> _initials("Kyle Benson")
    'K.B.'
    """
    return "".join(f"{w[0].upper()}." for w in name.split() if w[:1].isalpha())


def _view(e: Entity, who: Principal) -> EntityView:
    hide = e.kind == "child" and who.role == "mace"
    return EntityView(
        id=strawberry.ID(e.id),
        kind=_ENTITY_KIND(e.kind),
        name=_initials(e.name) if hide else e.name,
        aliases=[] if hide else list(e.aliases),
        dob=None if hide else e.dob,
        locality=e.locality,
        lat=e.lat,
        lon=e.lon,
    )


_TYPES: Any = enum.Enum("RelationshipType", [(t, t) for t in REL_TYPES])  # type: ignore[misc]
_REL_TYPE = strawberry.enum(_TYPES, description="A relationship type")
if TYPE_CHECKING:
    RelationshipType = Any
else:
    RelationshipType = _REL_TYPE


@strawberry.type(description="A relationship: one per type and pair, with every source that asserted it.")
class RelationshipView:
    type: RelationshipType
    source: strawberry.ID
    target: strawberry.ID
    first_seen: str | None
    last_seen: str | None
    grading: str | None
    sources: list[str]


@strawberry.type(description="Links from a shown entity to entities you may not see: a count, never who.")
class OutsideLinks:
    entity: strawberry.ID
    count: int
    text: str


@strawberry.type(description="A neighbourhood: the entities and relationships you may see.")
class Network:
    nodes: list[EntityView]
    edges: list[RelationshipView]
    outside: list[OutsideLinks]


def _rel_view(r: Relationship) -> RelationshipView:
    return RelationshipView(
        type=_REL_TYPE(r.type),
        source=strawberry.ID(r.source),
        target=strawberry.ID(r.target),
        first_seen=r.first_seen,
        last_seen=r.last_seen,
        grading=r.grading,
        sources=r.sources,
    )


@strawberry.type
class Query:
    @strawberry.field(description="Who is signed in.")
    def me(self, info: Info[Context, None]) -> User:
        w = info.context.who
        return User(user=w.user, role=w.role, localities=list(w.localities), clearance=w.clearance)

    @strawberry.field(description="An entity by id, if it is within your localities.")
    def entity(self, info: Info[Context, None], id: strawberry.ID) -> EntityView | None:
        ctx = info.context
        e = ctx.store.visible(str(id), ctx.scope())
        if e is None:
            return None
        ctx.consulted([e.id], "entity")
        return _view(e, ctx.who)

    @strawberry.field(description="The entities and relationships within depth steps (1-3) of centre that you may see.")
    def network(
        self,
        info: Info[Context, None],
        centre: strawberry.ID,
        depth: int = 2,
        types: list[RelationshipType] | None = None,
        since: str | None = None,
    ) -> Network | None:
        ctx = info.context
        if not 1 <= depth <= 3:
            raise RequestError("depth must be 1, 2 or 3")
        flt = ctx.scope([t.value for t in types] if types else None, since)
        if ctx.store.visible(str(centre), flt) is None:
            return None
        sub = ctx.store.neighbourhood(str(centre), depth, flt)
        shown = [n.id for n in sub.nodes if n.kind != "service"]
        outside = ctx.store.outside_links(shown, flt)
        ctx.consulted([n.id for n in sub.nodes if KINDS[n.kind].person], "network")
        return Network(
            nodes=[_view(n, ctx.who) for n in sub.nodes],
            edges=[_rel_view(r) for r in sub.edges],
            outside=[
                OutsideLinks(
                    entity=strawberry.ID(i),
                    count=c,
                    text=f"{c} link{'s' if c != 1 else ''} outside your area",
                )
                for i, c in sorted(outside.items())
            ],
        )

    @strawberry.field(description="Entities by name or alias within your localities, best first.")
    def search(
        self,
        info: Info[Context, None],
        text: str,
        kinds: list[EntityKind] | None = None,
        first: int = 20,
    ) -> list[EntityView]:
        ctx = info.context
        flt = ctx.scope()
        found = ctx.store.search(
            text,
            kinds=[k.value for k in kinds] if kinds else None,
            localities=flt.localities,
            limit=max(1, min(first, MAX_PAGE)),
        )
        ctx.consulted([e.id for e, _ in found], "search")
        return [_view(e, ctx.who) for e, _ in found]


def schema(production: bool = True) -> strawberry.Schema:
    extensions: list[Any] = [
        lambda: MaskErrors(should_mask_error=_mask),
        lambda: QueryDepthLimiter(max_depth=8),
        lambda: MaxTokensLimiter(max_token_count=2000),
        lambda: MaxAliasesLimiter(max_alias_count=15),
    ]
    if production:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(query=Query, extensions=extensions)


def sdl() -> str:
    """The schema in SDL, as committed in ``api/schema.graphql`` (``python -m contextgraph.api``)."""
    return schema(production=False).as_str() + "\n"


def create_app(url: str | None = None, dev: bool = False) -> FastAPI:
    """The service over the store at ``url``; ``dev`` turns on GraphiQL and introspection."""
    url = store_url(url)
    verifier = Verifier.from_settings(LocalKeys.for_store(url))
    log = AuditLog(audit_path(url))
    state: dict[str, Store] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state["store"] = open_store(url)
        try:
            yield
        finally:
            state.pop("store").close()

    app = FastAPI(title="contextgraph", version=__version__, lifespan=lifespan)

    @app.middleware("http")
    async def body_limit(request: Request, call_next: Any) -> Any:
        if request.method in ("POST", "PUT", "PATCH"):
            length = request.headers.get("content-length")
            if length is None:
                return JSONResponse({"detail": "send a Content-Length"}, status_code=411)
            if not length.isdigit() or int(length) > MAX_BODY:
                return JSONResponse({"detail": f"the body is larger than {MAX_BODY} bytes"}, status_code=413)
        return await call_next(request)

    def who(request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPException(401, "sign in: send a bearer token", headers={"WWW-Authenticate": "Bearer"})
        try:
            return verifier.verify(token.strip())
        except AuthError as exc:
            raise HTTPException(401, str(exc), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None

    async def context(request: Request, principal: Principal = Depends(who)) -> Context:  # noqa: B008
        return Context(state["store"], principal, log, request.headers.get("x-purpose"))

    router: GraphQLRouter[Context, None] = GraphQLRouter(
        schema(production=not dev), context_getter=context, graphql_ide="graphiql" if dev else None
    )
    app.include_router(router, prefix="/graphql")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        try:
            state["store"].ping()
        except Exception:  # any failure means not ready
            return JSONResponse({"status": "store unreachable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    return app


if __name__ == "__main__":
    print(sdl(), end="")
