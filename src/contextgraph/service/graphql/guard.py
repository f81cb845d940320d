"""The GraphQL side of the service's limits: a query's cost estimated and its texts bounded before
it runs (:class:`QueryRules`, :class:`QueryGuard`), with the values of
:class:`contextgraph.limits.Limits`."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

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
    OperationType,
    SelectionSetNode,
    ValueNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_list_type,
    value_from_ast_untyped,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension

from ...limits import Limits


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
    once: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """(type, field) -> what one run of it reads or builds whole (a note, a report): asked for at
    most once in a request, however aliased, since each alias would do all of that work again."""


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
    if operation.operation == OperationType.MUTATION and len(changes := walk.keys(operation.selection_set)) > 1:
        return (
            f"a request makes one change: this one asks for {len(changes)} ({', '.join(sorted(changes))}); "
            "send each in a request of its own, so that each is written, or refused, and answered alone"
        )
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
        self.asked: dict[str, set[str]] = {}  # a field asked once at most -> its answers' keys

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

    def keys(self, selections: SelectionSetNode) -> set[str]:
        """The answers' keys of a selection, its fragments' included (one key asked twice is one)."""
        out: set[str] = set()
        for node in selections.selections:
            if isinstance(node, FieldNode):
                if node.name.value != "__typename":
                    out.add(node.alias.value if node.alias else node.name.value)
            elif isinstance(node, InlineFragmentNode):
                out |= self.keys(node.selection_set)
            elif isinstance(node, FragmentSpreadNode) and (fragment := self.fragments.get(node.name.value)):
                out |= self.keys(fragment.selection_set)
        return out

    def field(self, parent: Any, node: FieldNode, bound: int | None) -> int:
        name = node.name.value
        fields = getattr(parent, "fields", None)
        if not fields or name not in fields:
            return 0
        field: GraphQLField = fields[name]
        args = {a.name.value: a.value for a in node.arguments or ()}
        self.texts(parent.name, name, args)
        self.once(parent.name, node)
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

    def once(self, parent: str, node: FieldNode) -> None:
        name = node.name.value
        what = self.rules.once.get((parent, name))
        if what is None:
            return
        keys = self.asked.setdefault(name, set())
        keys.add(node.alias.value if node.alias else name)  # one key asked twice is answered once
        if len(keys) == 2:
            self.problems.append(
                f"{name} is asked for more than once in this request: each reads {what} whole; "
                "ask for one, and for the next in another request"
            )

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
        try:
            yield
        except GraphQLError:  # a query that does not parse comes through here, before it runs
            self._refused()
            raise
        result = self.execution_context.result
        errors = result.errors if result is not None else None
        if not errors:
            return
        if self.production:
            for error in errors:
                error.message = _SUGGESTION.sub("", error.message)
        if not self.ran:
            self._refused()

    def _refused(self) -> None:
        response = getattr(self.execution_context.context, "response", None)
        if response is not None:
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
