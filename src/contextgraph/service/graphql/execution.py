"""How a GraphQL query is executed: graphql-core's execution with a time budget, and optionally
with lists of plain objects completed in one loop.

:class:`Budgeted` stops resolving fields once a query has run past its time budget, and refuses
a query whose variables cannot be coerced before anything runs (400, with graphql-core's reasons).
:class:`FastLists` (the default; the ``CONTEXTGRAPH_FAST_LISTS`` setting, ``0`` to turn it off)
also completes a list of objects whose selected fields are all plain values in one loop. It
relies on graphql-core's execution internals (``collect_subfields``, ``get_stream_usage``), so a
test runs the same queries through both and requires the same answers: an upgrade that changes
those internals fails there, and the setting keeps the service answering meanwhile.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from ...limits import SETTINGS
from ...settings import FAST_LISTS
from .context import RequestError


def fast_lists() -> bool:
    """Whether lists are completed in one loop (the setting, default on)."""
    return os.environ.get(FAST_LISTS, "1") != "0"


class Budgeted(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's execution, stopped at the query's time budget (the context's ``deadline``);
    a query whose variables cannot be coerced is refused before it runs, with the reasons."""

    @classmethod
    def build(
        cls,
        schema: GraphQLSchema,
        document: DocumentNode,
        root_value: Any = None,
        context_value: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """The execution, or the errors that refuse the query before anything runs: variables
        that cannot be coerced (a field unknown or missing, a value of the wrong type), each
        naming the variable and the field. They come from the request alone, so they are shown
        (taken apart from the error behind them, which the masking would hide) and answered 400."""
        built = super().build(schema, document, root_value, context_value, *args, **kwargs)
        if not isinstance(built, list):
            return built
        response = getattr(context_value, "response", None)
        if response is not None:
            response.status_code = 400
        return [GraphQLError(e.message, e.nodes, e.source, e.positions) for e in built]

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        """Each field, unless the query has run past its time budget (the context's ``deadline``):
        then each field yet to resolve is an error saying so, and the answer goes back with what was done."""
        deadline: float | None = getattr(self.context_value, "deadline", None)
        if deadline is not None and time.monotonic() > deadline:
            field = parent_type.fields.get(field_details_list[0].node.name.value)
            if field is not None:
                late = RequestError(f"the query ran longer than its time budget ({SETTINGS['seconds'][0]})")
                self.handle_field_error(late, field.type, field_details_list, path)
                return None
        return super().execute_field(parent_type, source, field_details_list, path, position_context)


class Kept(list[Any]):
    """A list of typed objects kept with a cached answer (a map's entities and relationships):
    :class:`FastLists` keeps what it completes from it, by selection, so that the next query
    selecting the same fields of the same list gets the completed values without a loop."""

    def __init__(self, items: Iterable[Any] = ()) -> None:
        super().__init__(items)
        self.completed: dict[tuple[tuple[str, str], ...], list[dict[str, Any]]] = {}


_KEPT_SELECTIONS = 8
"""How many different selections of one kept list are remembered completed."""


_Plan = tuple[list[tuple[str, Any]], tuple[tuple[str, str], ...]]


class _Slow(Exception):
    """A list the fast path cannot complete exactly (a missing non-null value): the full path does."""


class FastLists(Budgeted):
    """graphql-core's execution, with lists of objects whose selected fields are all plain
    values (attributes, no resolver, no arguments) completed in one loop.

    Each field completed by the general path costs about 7 µs; a network of 2,000 entities
    and relationships has thousands. The answer is the same: the same selection (fragments,
    aliases, ``@skip``/``@include`` already applied by graphql-core), the same serialisation;
    anything else, or any value the fast path cannot place, goes the general way.
    """

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Any,
        items: Any,
        position_context: Any,
    ) -> Any:
        plan = self._plan(item_type, field_details_list)
        if plan is not None and not self.get_stream_usage(field_details_list, path):
            steps, selection = plan
            kept = items.completed.get(selection) if isinstance(items, Kept) else None
            if kept is not None:
                return kept
            items = items if isinstance(items, list) else list(items)
            try:
                done = [{name: get(item) for name, get in steps} for item in items]
            except _Slow:
                pass
            else:
                if isinstance(items, Kept) and len(items.completed) < _KEPT_SELECTIONS:
                    items.completed[selection] = done
                return done
        return super().complete_iterable_value(item_type, field_details_list, info, path, items, position_context)

    def _plan(self, item_type: GraphQLOutputType, field_details_list: Any) -> _Plan | None:
        plans: dict[tuple[Any, int], tuple[Any, Any]] = self.__dict__.setdefault("_fast_plans", {})
        key = (item_type, id(field_details_list))
        if key not in plans:
            plans[key] = (field_details_list, self._make_plan(item_type, field_details_list))
        plan: _Plan | None = plans[key][1]
        return plan

    def _make_plan(self, item_type: GraphQLOutputType, field_details_list: Any) -> _Plan | None:
        """The getter of each response key, and the selection as (response key, field) pairs:
        all that decides the completed values of a given list."""
        wrapped: Any = item_type
        object_type: Any = wrapped.of_type if is_non_null_type(wrapped) else wrapped
        if not is_object_type(object_type) or object_type.is_type_of is not None:
            return None
        collected = self.collect_subfields(object_type, field_details_list)
        if collected.new_defer_usages or collected.forbidden_directive_instances:
            return None
        plan: list[tuple[str, Any]] = []
        selection: list[tuple[str, str]] = [("", object_type.name)]
        for response_name, details in collected.grouped_field_set.items():
            node = details[0].node
            name = node.name.value
            selection.append((response_name, name))
            if name == "__typename":
                plan.append((response_name, lambda _item, t=object_type.name: t))
                continue
            field = object_type.fields.get(name)
            definition = field.extensions.get("strawberry-definition") if field is not None else None
            if field is None or node.arguments or definition is None or definition.base_resolver is not None:
                return None
            getter = _leaf_getter(definition.python_name, field.type)
            if getter is None:
                return None
            plan.append((response_name, getter))
        return plan, tuple(selection)


def _leaf_getter(attribute: str, field_type: GraphQLOutputType) -> Any:
    """A function reading and serialising one plain field, or None for any other field."""
    wrapped: Any = field_type
    required = is_non_null_type(wrapped)
    inner: Any = wrapped.of_type if required else wrapped
    convert: Any
    if is_leaf_type(inner):
        convert = inner.serialize
    elif is_list_type(inner):
        each: Any = inner.of_type
        each_required = is_non_null_type(each)
        each_inner: Any = each.of_type if each_required else each
        if not is_leaf_type(each_inner):
            return None
        serialize_each = each_inner.serialize

        def convert(values: Any) -> Any:
            out = [None if v is None else serialize_each(v) for v in values]
            if each_required and None in out:
                raise _Slow
            return out

    else:
        return None

    def get(item: Any) -> Any:
        value = getattr(item, attribute)
        if value is None:
            if required:
                raise _Slow
            return None
        return convert(value)

    return get
