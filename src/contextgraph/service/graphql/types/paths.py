"""How two entities are linked, as shown: the shortest paths with the evidence for each step."""

from __future__ import annotations

import strawberry

from ....analysis.paths import Path
from ....model import KINDS
from ....store import Filter
from ..context import Context
from .entities import EntityView, RelationshipView, edge_view, entity_view


@strawberry.type(name="PathStep", description="One step of a path: the relationships between two entities.")
class PathStep:
    source: strawberry.ID
    target: strawberry.ID
    links: list[RelationshipView] = strawberry.field(
        description="Every relationship between the two, each with its dates, grading and source notes."
    )


@strawberry.type(name="Path", description="A shortest path between two entities: who or what links them.")
class PathView:
    length: int = strawberry.field(description="Its number of steps.")
    entities: list[EntityView] = strawberry.field(description="The entities in order, the two ends included.")
    steps: list[PathStep]


def path_views(ctx: Context, flt: Filter, paths: list[Path]) -> list[PathView]:
    """The paths as this user may see them: names as their role shows them, and each step's
    relationships with only the assertions they may see; the people on them logged as consulted."""
    ids = sorted({x for p in paths for x in p.nodes})
    ents = ctx.store.get_many(ids)
    facts = ctx.store.facts([(f.type, f.source, f.target) for p in paths for s in p.steps for f in s.facts], flt)
    ctx.consulted([i for i in ids if i in ents and KINDS[ents[i].kind].person], "paths")
    return [
        PathView(
            length=p.length,
            entities=[entity_view(ents[x], ctx) for x in p.nodes if x in ents],
            steps=[
                PathStep(
                    source=strawberry.ID(ctx.shown_id(s.source)),
                    target=strawberry.ID(ctx.shown_id(s.target)),
                    links=[
                        edge_view(k, facts[k], ctx) for f in s.facts if (k := (f.type, f.source, f.target)) in facts
                    ],
                )
                for s in p.steps
            ],
        )
        for p in paths
    ]
