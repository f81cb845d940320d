"""A partnership report built from a store: the records a reader may see gathered once, each
section worked out from them, and the analysis's ranking and hotspots as of the period's end.

The report holds figures only: no child is named in it (places are, as the hotspots are).
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from multiprocessing.connection import Connection

import msgspec
import numpy as np

from ..analysis.ranked import Ranked, ranked
from ..memory import paused_gc
from ..model import TYPE_CODES, Entity, under_p
from ..model.tracking import outcome_benchmarks, pathway_levels
from ..projection import Projection
from ..store import Filter, Store
from ..store.types import Forkable
from . import census as census_tables
from .casework import HOME, Caseload, Missing, Pathway, Referrals, caseload, missing, open_at_end, pathway, referrals
from .effects import BeforeAndDuring, Contexts, Outcomes, Quality, before_and_during, contexts, outcomes, quality
from .holdings import Holdings, Period, capacity, small_count
from .representation import Representation, representation

TOP = 50
"""How many of the ranking count as its top, for over-representation."""

METHODS: dict[str, str] = {
    "referrals": "Referrals dated in the period, by the locality of the child, the agency that referred, the "
    "decision and the exploitation of concern (a referral may name more than one). Converted to a plan: an "
    "accepted referral whose child had a child plan opened from the referral to the period's end.",
    "caseload": "Children open to the exploitation team on the period's last day: a spell open to the team as "
    "recorded, or, for a child with none, from an accepted referral to the team until an outcome review that "
    "says they left. Their level is their latest assessment by that day.",
    "pathway": "Each child's level before the period (their latest assessment before it) against their level at "
    "its end; new: first assessed in the period; left: their time with the team ended in it. Days on a level "
    "are counted within the period, and averaged over the children who were on it.",
    "missing": "Missing episodes reported in the period. A return interview within 72 hours is one dated no more "
    "than three days after the child's return (interviews are recorded by date, not hour). Pairs: two children "
    "missing together, each pair once; repeated when seen in more than one episode.",
    "before_and_during": "For each child who started with the team by the period's end: records in the year "
    "before their first start, against records from the start to the end of their time with the team (or the "
    "period's end). Rates are records a child-year, summed over the children; the change is from the rate "
    "before to the rate during.",
    "outcomes": "Outcome reviews dated in the period: how many met each benchmark, and the 0-10 answers by who "
    "gave them and when (means, with how many answers each).",
    "contexts": "Plans and context conferences opened in the period, by kind and by what they are about; "
    "disruption in the period by kind, by what it was against, and by its outcome as recorded. Hotspots: the "
    "analysis's places as of the period's end.",
    "representation": "The share of each group among the children of each list whose value is recorded, against "
    "the local child population's share (census), with a 95% Wilson interval; the top of the ranking against "
    "the known cases (every child who has been with the team) with a 95% Katz interval. Not known is counted "
    "and left out of the shares. A group over-represented is one whose interval lies wholly above 1.",
    "quality": "What is missing from the records of the period and the children they are about. Every record has "
    "a source: one cannot be stored without it.",
}


class HotspotRow(msgspec.Struct, frozen=True):
    rank: int
    name: str
    locality: str | None
    score: float
    children_at_risk: int
    persons_of_concern: int
    last_seen: str | None


class Report(msgspec.Struct, frozen=True):
    """A partnership report: its period and scope, and each section's figures with its method."""

    period: Period
    localities: tuple[str, ...] | None
    """The localities it covers (None: every one)."""
    handling: str
    """P: only what may be shared freely is counted; C: intelligence shared with conditions too."""
    made: str
    referrals: Referrals
    caseload: Caseload
    pathway: Pathway
    missing: Missing
    before_and_during: BeforeAndDuring
    outcomes: Outcomes
    contexts: Contexts
    hotspots: tuple[HotspotRow, ...]
    representation: Representation
    quality: Quality
    methods: dict[str, str]
    small_count: int | None = None
    """Counts below this are suppressed when shown (a report for a recipient outside the partnership)."""

    @property
    def where(self) -> str:
        """The localities it covers, in words."""
        if not self.localities:
            return "every locality"
        names = list(self.localities)
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    @property
    def marking(self) -> str:
        if self.handling == "P":
            return "OFFICIAL-SENSITIVE — handling code P: lawful sharing permitted"
        return (
            "OFFICIAL-SENSITIVE — may hold intelligence with handling code C: lawful sharing permitted with conditions"
        )


def gather(
    store: Store,
    p: Period,
    flt: Filter | None,
    visible: Callable[[Iterable[str]], set[str]] | None = None,
    homes: frozenset[str] = frozenset(),
) -> Holdings:
    """The tracking records a reader within ``flt`` may see, as they may see them, and the entities
    they name. ``visible`` gives those of some entity ids the reader sees (by default, those whose
    view passes ``flt``)."""
    records = list(store.iter_tracking())
    if flt is None:  # everything is seen: the people the sections read are those records are about, and places
        names = {t.subject for t in records} | {t.fields["found_at"] for t in records if t.fields.get("found_at")}
    else:
        names = {i for t in records for i in t.involves}
    people = store.get_many(names)
    if flt is not None and flt.public_only:  # what statements under P alone say of each
        people = under_p(people)
    if flt is None:
        seen = set(people)
    elif visible is not None:
        seen = visible(names)
    else:
        seen = {i for i, e in people.items() if flt.node_ok(e.kind, e.locality, e.handling)}
    shown = []
    for t in records:
        s = t if flt is None else flt.tracking_ok(t, seen.__contains__)
        if s is not None:
            shown.append(s)
    return Holdings(
        p,
        shown,
        {i: e for i, e in people.items() if i in seen},
        pathway_levels(),
        outcome_benchmarks(),
        capacity(),
        tuple(sorted(flt.localities)) if flt is not None and flt.localities else None,
        homes,
    )


def build(
    store: Store,
    p: Period,
    flt: Filter | None = None,
    visible: Callable[[Iterable[str]], set[str]] | None = None,
    census: census_tables.Census | None = None,
    outside: bool = False,
) -> Report:
    """The report for period ``p`` of what a reader within ``flt`` may see (their localities and
    clearance; None: everything). ``outside``: for a recipient outside the partnership, so that
    small counts are suppressed when it is shown."""
    with paused_gc():  # a force's records are hundreds of thousands of objects, none in a cycle
        return _build(store, p, flt, visible, census, outside)


def _build(
    store: Store,
    p: Period,
    flt: Filter | None,
    visible: Callable[[Iterable[str]], set[str]] | None,
    census: census_tables.Census | None,
    outside: bool,
) -> Report:
    localities = sorted(flt.localities) if flt is not None and flt.localities else None
    if census is None:
        census = census_tables.for_report(census_tables.configured(), localities)
    waiting = _ranked_aside(store, p.end, localities, flt)  # while the records are gathered and counted
    h = gather(store, p, flt, visible, homes_of(store.projection(flt)))
    sections = (referrals(h), caseload(h), pathway(h), missing(h), before_and_during(h), outcomes(h), contexts(h))
    analysis = waiting()
    ranking = list(analysis.children)
    referred = sorted({t.subject for t in h.in_period("referral")})
    known = sorted(h.spells)
    hot = analysis.hotspots[:10]
    more = store.get_many([i for i in [*ranking, *(x.id for x in hot)] if i not in h.people])
    if flt is not None and flt.public_only:
        more = under_p(more)
    people = dict(h.people) | more
    small = small_count()
    rep = representation(
        [
            ("referred", referred),
            ("on the caseload", open_at_end(h)),
            ("linked to harm, not open", ranking),
            (f"the top {TOP} of the ranking", ranking[:TOP]),
        ],
        ranking[:TOP],
        known,
        people,
        census,
        p.end,
        small,
    )
    return Report(
        period=p,
        localities=h.localities,
        handling="P" if flt is not None and flt.public_only else "C",
        made=date.today().isoformat(),
        referrals=sections[0],
        caseload=sections[1],
        pathway=sections[2],
        missing=sections[3],
        before_and_during=sections[4],
        outcomes=sections[5],
        contexts=sections[6],
        hotspots=tuple(
            HotspotRow(
                x.rank,
                HOME if h.is_home(x.id) else _name(people, x.id),
                x.locality,
                x.score,
                x.children_at_risk,
                x.persons_of_concern,
                x.last_seen,
            )
            for x in hot
        ),
        representation=rep,
        quality=quality(h),
        methods=METHODS,
        small_count=small if outside else None,
    )


def _ranked_aside(store: Store, as_of: str, localities: list[str] | None, flt: Filter | None) -> Callable[[], Ranked]:
    """The ranking and hotspots (:func:`~contextgraph.analysis.ranked.ranked`), worked out in a
    second process while this one gathers and counts the records, where the store can be read
    from one (the embedded store); else here, when asked for. Returns what gives it."""
    if not isinstance(store, Forkable) or "fork" not in mp.get_all_start_methods():
        return lambda: ranked(store, as_of=as_of, localities=localities, flt=flt)
    store.before_fork()
    fork = mp.get_context("fork")
    receive, send = fork.Pipe(duplex=False)
    worker = fork.Process(target=_ranked_to, args=(send, store, as_of, localities, flt), daemon=True)
    worker.start()
    send.close()

    def got() -> Ranked:
        try:
            answer = receive.recv()
        finally:
            worker.join()
        if isinstance(answer, BaseException):
            raise answer
        assert isinstance(answer, Ranked)
        return answer

    return got


def _ranked_to(send: Connection, store: Forkable, as_of: str, localities: list[str] | None, flt: Filter | None) -> None:
    answer: Ranked | BaseException
    try:
        answer = ranked(store.in_child(), as_of=as_of, localities=localities, flt=flt)
    except BaseException as e:
        answer = e
    send.send(answer)
    send.close()


def homes_of(p: Projection) -> frozenset[str]:
    """The places someone lives at (a child, a family, a person of concern): never named."""
    home = p.type == TYPE_CODES.index("LIVES_AT")
    return frozenset(p.ids[i] for i in np.unique(p.dst[home]).tolist())


def _name(people: Mapping[str, Entity], eid: str) -> str:
    """A place's name; its id is never given for it (a writer may have named it after a child)."""
    e = people.get(eid)
    return e.name if e is not None else "(a place not shown)"
