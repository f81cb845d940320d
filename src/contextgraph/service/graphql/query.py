"""The queries: who is signed in, entities, networks, searches, maps, the analysis's lists,
sources, a note's preview, queued facts and places without coordinates."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from ...analysis.paths import shortest_paths
from ...ingest import review
from ...ingest.gazetteer import unlocated
from ...ingest.pipeline import reviews, source_visible
from ...ingest.queue import ReviewItem
from ...model import KINDS, Entity
from ...notes.parse import NoteError
from ...store import Filter
from ...store.reads import placed_localities
from .. import policy
from .context import MAX_MAP, MAX_PAGE, Context, RequestError, cap, chosen, day, note_checks, refused
from .explaining import ShownAnalysis
from .maps import LocalityMap, ViewCopy, map_order
from .types.analysis import (
    AtRiskChild,
    Changes,
    Hotspot,
    Page,
    PeerGroup,
    PersonOfConcern,
    changes_view,
    child_view,
    group_view,
    hotspot_view,
    page_of,
    paged,
    person_view,
)
from .types.entities import EntityKind, EntityView, Network, RelationshipType, SourceView, User, entity_view
from .types.notes import NotePreview, preview_view
from .types.paths import PathView, path_views
from .types.report import PartnershipReportView, report
from .types.tracking import changes_named
from .types.views import SavedViewType, entities_in, saved_view, seen_by, visible_views
from .types.writes import QueuedFactView, queued_view

MAX_PATH = 6
"""The longest path asked for, in steps."""
MAX_PATHS = 10
"""The most paths given for one pair."""

MAX_SHOWN_IDS = 1000
"""The most ids :meth:`Query.shown_ids` shows at once."""


@strawberry.type
class Query:
    @strawberry.field(description="Who is signed in.")
    def me(self, info: Info[Context, None]) -> User:
        w = info.context.who
        return User(
            user=w.user,
            role=w.role,
            localities=list(w.localities),
            clearance=w.clearance,
            may_write=policy.role(w.role).may_write,
            may_record_notes=policy.role(w.role).may_record_notes,
            may_export=policy.role(w.role).may_export,
        )

    @strawberry.field(
        description="The localities you may choose from: yours, or for a user of every locality the configured "
        "ones (when none are configured, those of what you may see of the graph)."
    )
    def localities(self, info: Info[Context, None]) -> list[str]:
        ctx = info.context
        if not ctx.who.everywhere:
            return list(ctx.who.localities)
        configured = ctx.store.localities().names
        if configured:
            return configured
        flt = ctx.scope()
        if not flt.public_only:
            return sorted(k for k in ctx.store.stats().localities if k != "(none)")
        # cleared for P only: the localities of what P statements show (a record said only under
        # C, or placed elsewhere only under C, names no locality to this reader)
        store = ctx.store
        found: list[str] = ctx.analyses.derived(store, ("localities", flt), lambda: placed_localities(store, flt))
        return found

    @strawberry.field(description="An entity by id, if it is within your localities.")
    def entity(self, info: Info[Context, None], id: strawberry.ID) -> EntityView | None:
        ctx = info.context
        e = ctx.store.visible(ctx.given_id(id), ctx.scope())
        if e is None:
            return None
        ctx.consulted([e.id], "entity")
        return entity_view(e, ctx)

    @strawberry.field(
        description="Each of ids, read as this request reads ids, as a request asking initials (initials: true) "
        "or names (false; by default as this request asks) would be given it, in the same order: by pseudonym "
        "where people are shown by initials (X-Names; always for a role that sees them so), else as stored; "
        f"null for an id you may not see or were not given. At most {MAX_SHOWN_IDS} in one request. For a page "
        "that keeps its focus and pins when it asks for the other naming."
    )
    def shown_ids(
        self, info: Info[Context, None], ids: list[strawberry.ID], initials: bool | None = None
    ) -> list[strawberry.ID | None]:
        ctx = info.context
        ctx.ids_asked += len(ids)  # in the whole request: aliases of the field share the bound
        if ctx.ids_asked > MAX_SHOWN_IDS:
            raise RequestError(f"at most {MAX_SHOWN_IDS} ids in one request")
        meant: list[str | None] = []
        for given in ids:
            try:
                meant.append(ctx.given_id(given))
            except RequestError:  # an id a reader of initials was not given: as one that does not exist
                meant.append(None)
        seen = ctx.store.visible_many([m for m in meant if m is not None], ctx.scope())
        # (an id merged into another is shown as the record it is now part of, as entity shows it)
        found = [seen[m].id if m is not None and m in seen else None for m in meant]
        ctx.consulted(sorted({m for m in found if m is not None}), "shownIds")
        if policy.by_initials(ctx.who.role, ctx.who.initials if initials is None else initials):
            ids_of, spaces = ctx.pseudonyms(), ctx.spaces()
            return [strawberry.ID(ids_of.shown(m, spaces)) if m is not None else None for m in found]
        return [strawberry.ID(m) if m is not None else None for m in found]

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
        flt = ctx.scope(chosen(types, "types", "relationship type"), since)
        eid = ctx.given_id(centre)
        if ctx.store.visible(eid, flt) is None:
            return None
        sub = ctx.store.neighbourhood(eid, depth, flt)
        ctx.consulted([n.id for n in sub.nodes if KINDS[n.kind].person], "network")
        return Network(_ctx=ctx, _flt=flt, _sub=sub)

    @strawberry.field(
        description="How two entities are linked: the shortest paths between them within what you may see "
        "(through people, places, schools and groups, never a service), fewest steps first, each step with its "
        "relationships and their evidence. Empty when they are not linked within maxLength steps, or when "
        "either is not one you may see."
    )
    def paths(
        self,
        info: Info[Context, None],
        source: Annotated[strawberry.ID, strawberry.argument(name="from")],
        target: Annotated[strawberry.ID, strawberry.argument(name="to")],
        max_length: int = 4,
        first: int = 3,
    ) -> list[PathView]:
        ctx = info.context
        if not 1 <= max_length <= MAX_PATH:
            raise RequestError(f"maxLength must be 1 to {MAX_PATH}")
        flt = ctx.scope()
        # each end as ``entity`` reads it: an id the reader may not see (another locality's record,
        # merged into one of theirs or not) answers as one that does not exist
        a, b = ctx.store.visible(ctx.given_id(source), flt), ctx.store.visible(ctx.given_id(target), flt)
        if a is None or b is None:
            return []
        p = ctx.analyses.derived(ctx.store, ("projection", flt), lambda: ctx.store.projection(flt))
        found = shortest_paths(p, a.id, b.id, max_length, min(cap(first), MAX_PATHS))
        return path_views(ctx, flt, found)

    @strawberry.field(
        name="savedViews",
        description="The views of the mapping page saved for a locality that you may open: your own, and those "
        "shared with the locality; newest first. Opening one logs the entities it names as consulted.",
    )
    def saved_views(self, info: Info[Context, None], locality: str) -> list[SavedViewType]:
        ctx = info.context
        found = visible_views(ctx, locality)
        seen = seen_by(ctx, sorted({x for v in found for x in entities_in(v.state)}))
        shown = [saved_view(v, ctx, seen) for v in reversed(found)]
        # what is logged as consulted is what is shown: an id of another's view this user may not
        # see is neither shown nor put in their record
        ctx.consulted(sorted({x for v in shown for x in v.named}), "savedViews")
        return shown

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
        wanted = chosen(kinds, "kinds", "kind of entity") or list(KINDS)
        if not ctx.rules.child_lists:  # children are not found by name
            wanted = [k for k in wanted if k != "child"]
            if not wanted:
                return []
        found = ctx.store.search(
            text, kinds=wanted, localities=flt.localities, limit=cap(first), handling=flt.handling, unseen=flt.unseen
        )
        ctx.consulted([e.id for e, _ in found], "search")
        return [entity_view(e, ctx) for e, _ in found]

    @strawberry.field(
        name="localityMap",
        description="A locality's entities and relationships as you may see them, with its hotspots and GeoJSON.",
    )
    def locality_map(
        self,
        info: Info[Context, None],
        locality: str,
        since: str | None = None,
        until: str | None = None,
        types: list[RelationshipType] | None = None,
        undated: bool = True,
        first: int = 2000,
        recipient: Annotated[
            str | None,
            strawberry.argument(
                description="With copy: who a printed pack or a picture of the view is for. The answer is "
                "then logged as a disclosure to them, naming the people in the view, not as a consultation."
            ),
        ] = None,
        copy: Annotated[
            ViewCopy | None, strawberry.argument(description="With recipient: what copy of the view is made.")
        ] = None,
    ) -> LocalityMap:
        ctx = info.context
        if (recipient is None) != (copy is None):
            raise RequestError("recipient and copy go together: say who a copy is for, and what copy it is")
        locality = ctx.locality(locality)  # as the user's token names it
        flt = _window(ctx, locality, since, until, types, undated)
        analysis = _analysis(ctx, locality, since, until, types, undated)
        basis = analysis.flt  # the reader's whole view, which the scores come from
        ranked = analysis.unopened_at_risk.raw  # scores and ids: no words needed
        scores = {} if not ctx.rules.child_lists else {c.id: c.score for c in ranked}
        at_risk = frozenset(c.id for c in ranked)
        p, order = ctx.analyses.derived(
            ctx.store, ("map", flt, basis, ctx.who.role), lambda: map_order(ctx, flt, at_risk)
        )
        most = cap(first, MAX_MAP)
        kept = order[:most].tolist()
        persons = [p.ids[i] for i in kept if KINDS[p.kind_of(i)].person]
        if recipient is None or copy is None:
            ctx.consulted(persons, "localityMap")
        else:  # a copy of the view leaves the service: as the page shows it, by initials if so
            window = {k: v for k, v in (("since", flt.since), ("until", flt.until)) if v}
            made: dict[str, Any] = {"graphql": "localityMap", "copy": copy.value, "locality": locality, **window}
            if types:
                made["types"] = sorted({t.value for t in types})
            if not undated and window:
                made["undated"] = False
            if ctx.who.by_initials:
                made["initials"] = sorted(ctx.who.by_initials)
            ctx.disclosed(recipient, made, persons)
        return LocalityMap(
            locality=locality,
            hotspots=[hotspot_view(h, ctx.shown_id) for h in analysis.hotspots[:MAX_PAGE]],
            as_of=analysis.as_of,
            truncated=len(order) > most,
            _ctx=ctx,
            _flt=flt,
            _basis=basis,
            _p=p,
            _kept=kept,
            _scores=scores,
        )

    @strawberry.field(
        name="unopenedAtRisk",
        description="Children linked to risk and open to no service, ranked, each with the evidence.",
    )
    def unopened_at_risk(
        self,
        info: Info[Context, None],
        locality: str | None = None,
        since: str | None = None,
        until: str | None = None,
        types: list[RelationshipType] | None = None,
        undated: bool = True,
        first: int = 20,
        after: str | None = None,
    ) -> Page[AtRiskChild]:
        ctx = info.context
        ctx.allow(ctx.rules.child_lists, "lists of children")
        result = _analysis(ctx, locality, since, until, types, undated)
        page: Page[AtRiskChild] = paged(result.unopened_at_risk, first, after, lambda x: child_view(x, ctx.shown_id))
        ctx.told([x for c in page_of(result.unopened_at_risk, first, after) for x in c.involves()], "unopenedAtRisk")
        return page

    @strawberry.field(name="peerGroups", description="Communities of children, with what they share.")
    def peer_groups(
        self,
        info: Info[Context, None],
        locality: str | None = None,
        since: str | None = None,
        until: str | None = None,
        types: list[RelationshipType] | None = None,
        undated: bool = True,
        first: int = 20,
        after: str | None = None,
    ) -> Page[PeerGroup]:
        ctx = info.context
        ctx.allow(ctx.rules.child_lists, "peer groups of children")
        result = _analysis(ctx, locality, since, until, types, undated)
        page: Page[PeerGroup] = paged(result.peer_groups, first, after, lambda x: group_view(x, ctx.shown_id))
        ctx.told([x for g in page_of(result.peer_groups, first, after) for x in g.involves()], "peerGroups")
        return page

    @strawberry.field(description="Places ranked by the children at risk linked to them.")
    def hotspots(
        self,
        info: Info[Context, None],
        locality: str | None = None,
        since: str | None = None,
        until: str | None = None,
        types: list[RelationshipType] | None = None,
        undated: bool = True,
        first: int = 20,
        after: str | None = None,
    ) -> Page[Hotspot]:
        ctx = info.context
        result = _analysis(ctx, locality, since, until, types, undated)
        page: Page[Hotspot] = paged(result.hotspots, first, after, lambda x: hotspot_view(x, ctx.shown_id))
        ctx.consulted([], "hotspots")
        return page

    @strawberry.field(name="personsOfConcern", description="Persons of concern ranked by reach, with evidence.")
    def persons_of_concern(
        self,
        info: Info[Context, None],
        locality: str | None = None,
        since: str | None = None,
        until: str | None = None,
        types: list[RelationshipType] | None = None,
        undated: bool = True,
        first: int = 20,
        after: str | None = None,
    ) -> Page[PersonOfConcern]:
        ctx = info.context
        result = _analysis(ctx, locality, since, until, types, undated)
        page: Page[PersonOfConcern] = paged(
            result.persons_of_concern, first, after, lambda x: person_view(x, ctx.shown_id)
        )
        ctx.told(
            [x for p in page_of(result.persons_of_concern, first, after) for x in p.involves()], "personsOfConcern"
        )
        return page

    report: PartnershipReportView = strawberry.field(
        resolver=report,
        description="The partnership report of a period (analysts, chairs and administrators): referrals, "
        "caseload, pathway, missing episodes, before and during, outcomes, contexts, over-representation and "
        "data quality. Logged as a consultation, or with a recipient as a disclosure.",
    )

    @strawberry.field(name="changesSince", description="Links, children, hotspots and persons new since a date.")
    def changes_since(self, info: Info[Context, None], date: str, locality: str | None = None) -> Changes:
        ctx = info.context
        locality = ctx.locality(locality) if locality is not None else None  # one of theirs
        cut = (locality,) if locality else None
        since = day(date)
        latest = ctx.analyses.get(ctx.store, ctx.scope(), None, ctx.who.by_initials, cut).as_of
        if since is not None and latest is not None and since >= latest:  # no fact since then: nothing new
            return Changes(
                since=since,
                links=[],
                children=[],
                children_raised=[],
                children_newly_open=[],
                children_newly_known=[],
                hotspots=[],
                persons_of_concern=[],
                tracking=[],
            )
        result = ctx.analyses.get(ctx.store, ctx.scope(), since, ctx.who.by_initials, cut)
        assert result.changes is not None  # asked for with a date
        ch = changes_view(result.changes, ctx.who, ctx.shown_id)
        ctx.told(changes_named(ctx, result.changes), "changesSince")
        return ch

    @strawberry.field(description="The notes and records facts came from, newest first, within your localities.")
    def sources(
        self, info: Info[Context, None], locality: str | None = None, first: int = 20, after: str | None = None
    ) -> Page[SourceView]:
        ctx = info.context
        flt = ctx.scope(locality=locality)
        recs = [r for r in ctx.store.records("sources") if source_visible(r, flt)]
        recs.sort(key=lambda r: (r.get("date") or "", r["id"]), reverse=True)
        files = ctx.rules.sees_source_files and not ctx.who.by_initials  # a file's name can name a child
        page: Page[SourceView] = paged(
            recs,
            first,
            after,
            lambda r: SourceView(
                id=strawberry.ID(r["id"]),
                kind=r.get("meeting_kind") or r.get("kind") or "OTHER",
                date=r.get("date"),
                locality=r.get("locality"),
                file=r.get("file") if files else None,
            ),
        )
        ctx.logged("consultation", [], {"graphql": "sources", "sources": [str(s.id) for s in page.items]})
        return page

    @strawberry.field(
        name="notePreview",
        description="Everything a note would record for you, read and resolved against the records you may read, "
        "without writing anything (writers only). Record it with noteCommit.",
    )
    def note_preview(self, info: Info[Context, None], text: str, name: str = "note.md") -> NotePreview:
        ctx = info.context
        note_checks(ctx, text)
        try:
            p = review.preview(ctx.store, text, name, ctx.who.user, ctx.scope(writing=True), check=ctx.note_locality)
        except NoteError as exc:
            raise refused(ctx, 422, str(exc)) from None
        except RequestError as exc:
            raise refused(ctx, 403, f"{name}: {exc}") from None
        shown = [r.id for e in p.entities for r in [e.existing, *e.candidates] if r]
        ctx.consulted(sorted(set(shown)), "notePreview")
        return preview_view(p, ctx.shown_id)

    @strawberry.field(
        name="queuedFacts",
        description="Facts below the confidence threshold waiting for review, of the notes of your localities "
        "(roles that record notes only), oldest first.",
    )
    def queued_facts(
        self, info: Info[Context, None], locality: str | None = None, first: int = 20, after: str | None = None
    ) -> Page[QueuedFactView]:
        ctx = info.context
        ctx.in_names("the review queue")
        items = queued(ctx, locality)
        page: Page[QueuedFactView] = paged(items, first, after, queued_view)
        # the people its facts and sentences name, by the entities each item is about
        named = [x for it in page_of(items, first, after) for x in (it.entity, *it.ends, *it.candidates) if x]
        seen = ctx.store.visible_many(named, ctx.scope())
        told = ctx.people(x for x in named if x in seen)
        ctx.logged("consultation", told, {"graphql": "queuedFacts", "reviews": [str(q.id) for q in page.items]})
        return page

    @strawberry.field(
        name="unlocatedPlaces",
        description="Places and schools without coordinates within your localities, by locality and name: "
        "the gazetteer did not locate them and no one has pinned them yet.",
    )
    def unlocated_places(
        self, info: Info[Context, None], locality: str | None = None, first: int = 20, after: str | None = None
    ) -> Page[EntityView]:
        ctx = info.context
        flt = ctx.scope(locality=locality)
        # kept until the store changes, like a map: a page asks for it with each of a locality's views
        places: list[Entity] = ctx.analyses.derived(ctx.store, ("unlocated", flt), lambda: unlocated(ctx.store, flt))
        page: Page[EntityView] = paged(places, first, after, lambda e: entity_view(e, ctx))
        shown = [e.id for e in page_of(places, first, after)]
        ctx.logged("consultation", [], {"graphql": "unlocatedPlaces", "places": shown})
        return page


def _window(
    ctx: Context,
    locality: str | None,
    since: str | None,
    until: str | None,
    types: list[RelationshipType] | None,
    undated: bool,
) -> Filter:
    """The filter of a view: the user's scope, one locality, a date window (with or without the
    undated facts) and relationship types; an empty list of types is refused, not read as all."""
    return ctx.scope(chosen(types, "types", "relationship type"), since, locality, until, undated)


def _analysis(
    ctx: Context,
    locality: str | None,
    since: str | None,
    until: str | None,
    types: list[RelationshipType] | None,
    undated: bool,
) -> ShownAnalysis:
    """The analysis behind a view, as ``contextgraph analyse`` makes it: of everything the reader
    may see in the window and types, its lists cut to the locality asked for."""
    locality = ctx.locality(locality) if locality is not None else None  # one of theirs
    flt = _window(ctx, None, since, until, types, undated)
    return ctx.analyses.get(ctx.store, flt, None, ctx.who.by_initials, (locality,) if locality else None)


def queued(ctx: Context, locality: str | None = None, pending_only: bool = True) -> list[ReviewItem]:
    """The queued facts of the notes this user may read (their role must be one that records notes)."""
    ctx.allow(ctx.rules.may_record_notes, "reviewing queued facts")
    return [it for it in reviews(ctx.store, pending_only, scope=ctx.scope(locality=locality)) if it.type == "fact"]
