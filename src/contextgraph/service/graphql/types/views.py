"""Views of the mapping page saved for a meeting, as shown."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final, cast

import strawberry
from strawberry.scalars import JSON

from ....model import REL_TYPES, parse_date
from ....store.types import Reach, SavedView
from ... import policy
from ..context import Context, RequestError


@strawberry.type(name="SavedView", description="A view of the mapping page saved by name for a meeting.")
class SavedViewType:
    id: strawberry.ID
    name: str
    user: str = strawberry.field(description="Who saved it.")
    locality: str
    saved_at: str = strawberry.field(description="When it was saved (ISO 8601).")
    state: JSON = strawberry.field(
        description="The page's filter and drawing as saved: since, until, types, undated, initials, focus, "
        "pinned positions and notes on entities; of the entities, only those you may see."
    )
    shared: bool = strawberry.field(description="Whether the others of the locality may open it.")
    mine: bool
    named: strawberry.Private[list[str]]
    """The entities its state names as shown, by the ids the store holds."""
    withheld: int = strawberry.field(
        description="How many of its pins, notes, focus and name are not shown to you: on entities you may not "
        "see, or a name and notes written by someone who sees more than you (their words may say what you may "
        "not read)."
    )


def saved_view(v: SavedView, ctx: Context, seen: set[str] | None = None) -> SavedViewType:
    """``v`` as its reader may see it: of its focus, pins and notes, those on entities in ``seen``
    (every one when None: the reader saved it), and its notes only if the reader sees as much as
    the one who saved it."""
    state, withheld, name = dict(v.state), 0, v.name
    if seen is not None:
        state, withheld = _as_read(v, ctx, seen)
        if not _theirs_to_read(v, ctx):  # its name is its writer's words, as its notes are
            name = f"A view of {v.locality} saved by {v.user} on {v.day} (its name withheld)"
            withheld += 1
    return SavedViewType(
        id=strawberry.ID(v.id),
        name=name,
        user=v.user,
        locality=v.locality,
        saved_at=v.at,
        state=cast(JSON, with_ids(state, ctx.shown_id)),
        named=entities_in(state),
        shared=v.shared,
        mine=v.user == ctx.who.user,
        withheld=withheld,
    )


def _as_read(v: SavedView, ctx: Context, seen: set[str]) -> tuple[dict[str, Any], int]:
    state, withheld = dict(v.state), 0
    if isinstance(state.get("focus"), str) and state["focus"] not in seen:
        del state["focus"]
        withheld += 1
    notes_too = _theirs_to_read(v, ctx)
    for key in ("pinned", "notes"):
        if isinstance(state.get(key), dict):
            kept = {k: x for k, x in state[key].items() if k in seen and (key == "pinned" or notes_too)}
            withheld += len(state[key]) - len(kept)
            state[key] = kept
    return state, withheld


def _theirs_to_read(v: SavedView, ctx: Context) -> bool:
    """Whether the reader may read what the one who saved ``v`` wrote on it (its name, its notes):
    words as written can name anyone, so only a reader of names who sees as much as the one who
    saved it, as they saved it — the same user under a narrower role, clearance or set of
    localities reads it as anyone of that reach would."""
    return not ctx.who.by_initials and sees_as_much(ctx, v)


def sees_as_much(ctx: Context, v: SavedView) -> bool:
    """Whether the reader sees all that the one who saved ``v`` saw when they saved it (a view
    saved before its reach was recorded: the same user as a reader of children's names)."""
    if v.reach is None and v.user == ctx.who.user:
        return policy.role(ctx.who.role).child_names == "full"
    return _sees_as_much(ctx, v.reach, v.locality)


def _sees_as_much(ctx: Context, reach: Reach | None, locality: str) -> bool:
    """Whether the reader sees all that one of ``reach`` saw: their handling codes, children's
    names in full, every kind of link, every locality of theirs (not recorded: the view's own,
    ``locality``). No reach recorded: as much as anyone."""
    reader = policy.role(ctx.who.role)
    reach = reach or Reach("", "C", None)
    saver = policy.ROLES.get(reach.role)
    names = reader.child_names == "full" or (saver is not None and saver.child_names == "initials")
    links = reader.hidden_links <= (saver.hidden_links if saver is not None else frozenset())
    theirs = (locality,) if reach.localities == () else reach.localities
    places = ctx.who.everywhere or (theirs is not None and set(theirs) <= set(ctx.who.localities))
    return (reach.clearance == "P" or ctx.who.clearance == "C") and names and links and places


def visible_views(ctx: Context, locality: str) -> list[SavedView]:
    """The views of ``locality`` this user may open: their own, and those shared with it."""
    locality = ctx.locality(locality)  # one of theirs
    return [v for v in ctx.store.saved_views() if v.locality == locality and (v.user == ctx.who.user or v.shared)]


def entities_in(state: dict[str, Any]) -> list[str]:
    """The entities a saved state names (focus, pinned, notes)."""
    ids = [state["focus"]] if isinstance(state.get("focus"), str) else []
    for key in ("pinned", "notes"):
        if isinstance(state.get(key), dict):
            ids += [str(k) for k in state[key]]
    return sorted(set(ids))


def seen_by(ctx: Context, ids: list[str]) -> set[str]:
    """Those of ``ids`` that are entities this user may see (no answer tells the others apart)."""
    return set(ctx.store.visible_many(ids, ctx.scope()))


def check_state(ctx: Context, state: dict[str, Any]) -> dict[str, Any]:
    """``state`` with the entities it names as the store holds them (a pseudonym read back,
    :meth:`~contextgraph.service.graphql.context.Context.given_id`); refused if it names an entity
    this user may not see, or one that does not exist: the same words for both, quoting the id as
    given, so that saving a view tells nothing of what is outside their view."""
    _check_shape(state)
    given: dict[str, str] = {}

    def stored(x: str) -> str:
        eid = ctx.given_id(x)
        given.setdefault(eid, x)
        return eid

    state = with_ids(state, stored)
    named = entities_in(state)
    unseen = sorted(set(named) - seen_by(ctx, named))
    if unseen:
        more = f" (and {len(unseen) - 1} more)" if len(unseen) > 1 else ""
        raise RequestError(f"state names {given[unseen[0]]!r}{more}, not an entity you may see: nothing was saved")
    return state


def with_ids(state: dict[str, Any], new: Callable[[str], str]) -> dict[str, Any]:
    """``state`` with each entity it names (focus, pinned, notes) given by ``new``.

    >>> with_ids({"focus": "c1", "pinned": {"c1": [0, 1]}, "since": "2025-01-01"}, str.upper)
    {'focus': 'C1', 'pinned': {'C1': [0, 1]}, 'since': '2025-01-01'}
    """
    out = dict(state)
    if isinstance(out.get("focus"), str):
        out["focus"] = new(out["focus"])
    for key in ("pinned", "notes"):
        if isinstance(out.get(key), dict):
            out[key] = {new(str(k)): x for k, x in out[key].items()}
    return out


STATE_FIELDS: Final = ("since", "until", "types", "undated", "initials", "focus", "pinned", "notes")
"""What a saved state holds: the page's filter, its focus, pinned positions and notes on entities.
Anything else is refused: a field no reader's view filters would reach every reader as written."""
MAX_NOTE = 2000
"""The most characters of one note on an entity."""


def _check_shape(state: dict[str, Any]) -> None:
    """Refuse a state of any other shape than :data:`STATE_FIELDS`, naming the field."""
    extra = sorted(set(state) - set(STATE_FIELDS))
    if extra:
        raise RequestError(f"state.{extra[0]}: not a field of a saved view ({', '.join(STATE_FIELDS)})")
    for key in ("since", "until"):
        if state.get(key) not in (None, ""):
            try:
                if not isinstance(state[key], str) or parse_date(state[key]) is None:
                    raise ValueError("not a date")
            except ValueError as exc:
                raise RequestError(f"state.{key} must be a date (YYYY-MM-DD): {exc}") from None
    types = state.get("types")
    if types is not None and not (isinstance(types, list) and all(t in REL_TYPES for t in types)):
        raise RequestError(f"state.types must be a list of relationship types ({', '.join(REL_TYPES)})")
    for key in ("undated", "initials"):
        if key in state and not isinstance(state[key], bool):
            raise RequestError(f"state.{key} must be true or false")
    if state.get("focus") is not None and not isinstance(state["focus"], str):
        raise RequestError("state.focus must be an entity id")
    for key in ("pinned", "notes"):
        if key in state and not isinstance(state[key], dict):
            raise RequestError(f"state.{key} must be an object of entity ids")
    for eid, at in (state.get("pinned") or {}).items():
        if not (isinstance(at, list) and len(at) == 2 and all(_number(x) for x in at)):
            raise RequestError(f"state.pinned.{eid} must be a position [x, y] of two numbers")
    for eid, text in (state.get("notes") or {}).items():
        if not isinstance(text, str) or len(text) > MAX_NOTE:
            raise RequestError(f"state.notes.{eid} must be text of at most {MAX_NOTE} characters")


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
