"""The strawberry schema built from the queries and mutations, with the limits every query is held
to, and its SDL as committed in ``api/schema.graphql``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from starlette.concurrency import run_in_threadpool
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from ...errors import Unavailable
from ...limits import Limits
from .context import MAX_MAP, MAX_PAGE, Context, RequestError
from .execution import Budgeted, FastLists, fast_lists
from .guard import QueryGuard, QueryRules
from .mutation import Mutation
from .query import Query

MAX_DEPTH = 8
"""The deepest query accepted."""


def _mask(error: GraphQLError) -> bool:
    """Errors from the query itself (syntax, validation, limits) and :class:`RequestError` are shown."""
    return error.original_error is not None and not isinstance(error.original_error, RequestError)


def _operators(error: GraphQLError) -> bool:
    """Whether an error is for whoever runs the service to see: a defect, or one the user is told of
    whose cause is the service's (the access log or the store cannot be used)."""
    original = error.original_error
    if original is None:
        return False
    return not isinstance(original, RequestError) or isinstance(original.__cause__, Unavailable)


class QuotedAsGiven(SchemaExtension):
    """An error quotes an id as the request gave it: a pseudonym read back
    (:meth:`~.context.Context.given_id`) is never named in the words of an error by the id it stands
    for, which would read it for anyone holding it."""

    def on_operation(self) -> Iterator[None]:
        yield
        result, ctx = self.execution_context.result, self.execution_context.context
        if isinstance(ctx, Context) and isinstance(result, GraphQLExecutionResult) and result.errors:
            for error in result.errors:
                error.message = ctx.as_given(error.message)


UNBOUNDED = 100
"""What a list without ``first`` (a network's nodes) counts as in a query's cost."""


def query_rules(limits: Limits) -> QueryRules:
    """How a query's cost is estimated (see :class:`contextgraph.service.graphql.guard.QueryRules`) and which
    texts are bounded: a search's text and a note's name."""
    return QueryRules(
        limits=limits,
        default_cap=MAX_PAGE,
        caps={"localityMap": MAX_MAP},
        unbounded=UNBOUNDED,
        texts={
            ("Query", "search", "text"): "search",
            ("Mutation", "ingestNote", "name"): "name",
            ("Query", "notePreview", "name"): "name",
            ("Mutation", "noteCommit", "name"): "name",
        },
        once={
            ("Query", "report"): "the whole period's records",
            ("Query", "notePreview"): "a note",
            ("Mutation", "ingestNote"): "a note",
            ("Mutation", "noteCommit"): "a note",
        },
    )


class ThreadedSchema(strawberry.Schema):
    """A schema whose asynchronous execution runs the synchronous one in a worker thread: every
    resolver reads the store synchronously, so that one query computing never holds up the
    service's event loop, and other requests (``/healthz`` among them) are answered meanwhile."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Only the service's own errors are logged, with their traceback (:func:`_operators`): an
        error the user is told of and is theirs to put right (a query that is not valid or asks too
        much, an id not theirs) is not, and its words (an id someone tried) are not kept."""
        theirs = [e for e in errors if _operators(e)]
        if theirs:
            super().process_errors(theirs, execution_context)

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        return await run_in_threadpool(
            self.execute_sync,
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )


CACHED_QUERIES = 256
"""Query texts whose parse and validation are kept for the next request that sends them."""


def schema(production: bool = True, limits: Limits | None = None) -> strawberry.Schema:
    """The schema; ``production`` turns introspection and suggestions in errors off; ``limits``
    bound what one query may ask (default: each limit's default)."""
    limits = limits or Limits()
    rules = query_rules(limits)
    # the depth and alias rules made once: each limiter makes a new rule class when constructed,
    # and the validation cache is keyed by the rules, so rules made per request never hit it
    bounds = [
        *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
        *MaxAliasesLimiter(max_alias_count=15).validation_rules,
    ]
    extensions: list[Any] = [
        lambda: MaskErrors(should_mask_error=_mask),
        QuotedAsGiven,
        lambda: AddValidationRules(bounds),
        lambda: MaxTokensLimiter(max_token_count=2000),
        lambda: ParserCache(maxsize=CACHED_QUERIES),
        lambda: ValidationCache(maxsize=CACHED_QUERIES),
        lambda: QueryGuard(rules, production),
    ]
    if production:
        extensions.append(DisableIntrospection)
    execution = FastLists if fast_lists() else Budgeted
    return ThreadedSchema(query=Query, mutation=Mutation, extensions=extensions, execution_context_class=execution)


def sdl() -> str:
    """The schema in SDL, as committed in ``api/schema.graphql`` (``python -m contextgraph.service.api``)."""
    return schema(production=False).as_str() + "\n"
