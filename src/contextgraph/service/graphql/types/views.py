"""Views of the mapping page saved for a meeting, as shown."""

from __future__ import annotations

from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from ....store.types import SavedView
from ..context import Context


@strawberry.type(name="SavedView", description="A view of the mapping page saved by name for a meeting.")
class SavedViewType:
    id: strawberry.ID
    name: str
    user: str = strawberry.field(description="Who saved it.")
    locality: str
    saved_at: str = strawberry.field(description="When it was saved (ISO 8601).")
    state: JSON = strawberry.field(
        description="The page's filter and drawing as saved: since, until, types, undated, initials, focus, "
        "pinned positions and notes on entities."
    )
    shared: bool = strawberry.field(description="Whether the others of the locality may open it.")
    mine: bool


def saved_view(v: SavedView, ctx: Context) -> SavedViewType:
    return SavedViewType(
        id=strawberry.ID(v.id),
        name=v.name,
        user=v.user,
        locality=v.locality,
        saved_at=v.at,
        state=cast(JSON, v.state),
        shared=v.shared,
        mine=v.user == ctx.who.user,
    )


def visible_views(ctx: Context, locality: str) -> list[SavedView]:
    """The views of ``locality`` this user may open: their own, and those shared with it."""
    ctx.localities(locality)  # one of theirs
    return [v for v in ctx.store.saved_views() if v.locality == locality and (v.user == ctx.who.user or v.shared)]


def entities_in(state: dict[str, Any]) -> list[str]:
    """The entities a saved state names (focus, pinned, notes): logged as consulted when opened."""
    ids = [state["focus"]] if isinstance(state.get("focus"), str) else []
    for key in ("pinned", "notes"):
        if isinstance(state.get(key), dict):
            ids += [str(k) for k in state[key]]
    return sorted(set(ids))
