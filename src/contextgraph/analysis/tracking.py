"""What the tracking records add to the analysis: the events of each child (missing episodes and
whether a return interview followed, moves on the risk pathway, plans and spells open to a
service) as arrays over a projection's nodes, and the evidence they give.

A child missing more than once in the last year, a missing episode with no return interview, and
a recent step up on the pathway are evidence, with weights in
:class:`~contextgraph.analysis.weights.Weights`; a child with an open plan, or a spell open to a
service that has not closed, is open to services.

>>> from contextgraph.model.tracked import Tracked
>>> from contextgraph.projection import Projection
>>> p = Projection.from_lists(["a", "b"], ["child", "child"], [None, None], [])
>>> eps = [Tracked(f"m{i}", "missing_episode", "a", d, "f", "u") for i, d in enumerate(["2025-01-01", "2025-03-01"])]
>>> ev = events_of(eps, p)
>>> ev.episode_node.tolist(), ev.interviewed.tolist()
([0, 0], [False, False])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..model import day
from ..model.timeline import steps, when_text
from ..model.tracked import Tracked

if TYPE_CHECKING:
    from ..projection import Projection
    from ..store import Filter, Store
    from .results import Reason

I = npt.NDArray[np.int64]  # noqa: E741 - index arrays
D = npt.NDArray[np.int32]
B = npt.NDArray[np.bool_]


def _ints(xs: list[int]) -> I:
    return np.array(xs, np.int64)


def _days(xs: list[int]) -> D:
    return np.array(xs, np.int32)


@dataclass(frozen=True)
class Events:
    """A projection's children's tracking events, as parallel arrays by kind of event."""

    episode_node: I = field(default_factory=lambda: _ints([]))
    episode_day: D = field(default_factory=lambda: _days([]))
    interviewed: B = field(default_factory=lambda: np.zeros(0, np.bool_))
    episode_id: tuple[str, ...] = ()
    step_node: I = field(default_factory=lambda: _ints([]))
    step_day: D = field(default_factory=lambda: _days([]))
    step_up: B = field(default_factory=lambda: np.zeros(0, np.bool_))
    step_id: tuple[str, ...] = ()
    step_level: tuple[str, ...] = ()
    open_node: I = field(default_factory=lambda: _ints([]))
    open_from: D = field(default_factory=lambda: _days([]))
    open_until: D = field(default_factory=lambda: _days([]))
    """The day a spell closed; -1 while it is open."""
    open_code: tuple[str, ...] = ()
    """The service a spell is open to (``PLAN`` for a plan)."""
    log: tuple[tuple[int, str, str, int, str], ...] = ()
    """Every record about an entity of the projection: (day, id, kind of record, node, what), what
    being ``step_up`` or ``step_down`` for an assessment that moved a child, else the kind."""

    def is_empty(self) -> bool:
        return not (self.episode_node.size or self.step_node.size or self.open_node.size)


def events_of(records: Iterable[Tracked], p: Projection) -> Events:
    """The events of the records about children of ``p`` (others are left out), each kind in
    order of date and id whatever the order the records come in."""
    index = p.index
    days: dict[str, int] = {}

    def on(t: Tracked) -> int:
        d = days.get(t.date)
        if d is None:
            d = days[t.date] = day(t.day)
        return d

    episodes: list[tuple[str, str, int, int, bool]] = []
    spells: list[tuple[str, str, int, int, int, str]] = []
    assessments: dict[int, list[Tracked]] = {}
    log: list[tuple[int, str, str, int, str]] = []
    for t in records:
        node = index.get(t.subject)
        if node is None:
            continue
        record = t.record
        if record == "risk_assessment":
            assessments.setdefault(node, []).append(t)
            continue
        log.append((on(t), t.id, record, node, record))
        f = t.fields
        if record == "missing_episode":
            episodes.append((t.date, t.id, node, on(t), bool(f.get("interview_date"))))
        elif record == "plan" and f.get("plan_kind") == "CHILD_PLAN" and f.get("status") != "closed":
            spells.append((t.date, t.id, node, on(t), day(f.get("closed")), "PLAN"))
        elif record == "service_episode":
            spells.append((t.date, t.id, node, on(t), day(f.get("closed")), str(f["service_code"])))
    episodes.sort()
    spells.sort()
    ep = ([e[2] for e in episodes], [e[3] for e in episodes], [e[4] for e in episodes], [e[1] for e in episodes])
    op = ([x[2] for x in spells], [x[3] for x in spells], [x[4] for x in spells], [x[5] for x in spells])
    st: tuple[list[int], list[int], list[bool], list[str], list[str]] = ([], [], [], [], [])
    first = {node: min((a.date, a.id) for a in rs) for node, rs in assessments.items()}
    for node in sorted(assessments, key=first.__getitem__):
        for s in steps(assessments[node]):
            if s.direction in ("up", "down"):
                st[0].append(node)
                st[1].append(day(s.day))
                st[2].append(s.direction == "up")
                st[3].append(s.record)
                st[4].append(s.after)
                log.append((day(s.day), s.record, "risk_assessment", node, f"step_{s.direction}"))
    return Events(
        _ints(ep[0]),
        _days(ep[1]),
        np.array(ep[2], np.bool_),
        tuple(ep[3]),
        _ints(st[0]),
        _days(st[1]),
        np.array(st[2], np.bool_),
        tuple(st[3]),
        tuple(st[4]),
        _ints(op[0]),
        _days(op[1]),
        _days(op[2]),
        tuple(op[3]),
        tuple(sorted(log)),
    )


def tracked_events(store: Store, p: Projection, flt: Filter | None = None) -> Events:
    """The events of the store's tracking records about children of ``p`` that a reader within
    ``flt`` may see (records of handling code C only for a reader cleared for it)."""
    public = flt is not None and flt.public_only
    index = p.index
    read = store.iter_tracking(oldest_first=False)  # the events are put in order of their own
    return events_of((t for t in read if t.subject in index and not (public and t.handling != "P")), p)


def records_seen(store: Store, flt: Filter | None, ids: list[str], hide: frozenset[str]) -> dict[str, Tracked]:
    """Tracking records as a reader within ``flt`` may see them: the entities they name that the
    reader does not see left out, and free text and sources not of notes too when people are shown
    by initials (``hide``)."""
    held = store.tracked(ids)
    involved = store.get_many({i for t in held.values() for i in t.involves})
    seen = {i for i, e in involved.items() if flt is None or flt.shown(e) is not None}
    if flt is not None and flt.unseen and seen:  # a place known to them only by links they are not shown (a home)
        from ..store.reads import unseen_places

        seen -= set(unseen_places(store, flt, sorted(seen)))
    notes = store.note_refs() if hide else frozenset()
    out: dict[str, Tracked] = {}
    for i, t in held.items():
        shown = t if flt is None else flt.tracking_ok(t, seen.__contains__)
        if shown is not None:
            out[i] = shown.for_initials(notes) if hide else shown
    return out


def cite_records(ids: tuple[str, ...], records: dict[str, Tracked]) -> str:
    """The sources of tracking records, as a fact's are cited: the two latest, how many more, and
    their gradings.

    >>> r = {"m": Tracked("m", "missing_episode", "c", "2025-01-01", "ri-7", "u")}
    >>> cite_records(("m",), r)
    ' [ri-7, ungraded]'
    """
    recs = [records[i] for i in ids if i in records]
    sources = list(dict.fromkeys(t.source for t in recs))
    shown = ", ".join(sources[:2]) + (f" and {len(sources) - 2} more" if len(sources) > 2 else "")
    graded = sorted({t.grading for t in recs if t.grading})
    return f" [{', '.join([shown, *graded]) if graded else shown + ', ungraded'}]" if shown else ""


def tracked_reason(r: Reason, records: dict[str, Tracked]) -> str:
    """The sentence of a reason read from tracking records."""
    n, on, cite = len(r.records), when_text(r.date) if r.date else "", cite_records(r.records, records)
    if r.kind == "repeat_missing":
        return f"missing from home or care {n} times in the last year, most recently on {on}{cite}"
    if r.kind == "no_return_interview":
        episodes = "1 missing episode" if n == 1 else f"{n} missing episodes"
        return f"no return interview after {episodes} in the last year, the latest on {on}{cite}"
    return f"stepped up on the risk pathway to {r.detail} on {on}{cite}"
