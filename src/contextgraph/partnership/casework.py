"""The report's sections on casework: referrals, the caseload, movement on the pathway, and
children missing from home and care. Each is a pure function of the :class:`Holdings`.

>>> from contextgraph.model.tracked import Tracked
>>> from contextgraph.partnership.holdings import Holdings, period
>>> r = [Tracked("r1", "referral", "c1", "2025-01-05", "f", "u", fields={"source_agency": "school",
...      "decision": "accepted", "decision_date": "2025-01-09", "exploitation_types": ["CCE"]}),
...      Tracked("r2", "referral", "c2", "2025-02-05", "f", "u", fields={"source_agency": "police",
...      "decision": "rejected", "reason": "not enough to go on", "reason_code": "BELOW_THRESHOLD"})]
>>> h = Holdings(period("2025-01-01", "2025-03-31"), r, {}, ("green", "amber", "red"), ())
>>> got = referrals(h)
>>> got.total, got.by_decision, got.rejected_reasons, got.by_type
(2, {'accepted': 1, 'rejected': 1, 'pending': 0}, {'does not meet the threshold for the team': 1}, {'CCE': 1})
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import msgspec

from ..model.timeline import steps
from ..model.tracked import Tracked
from ..model.tracking import CODE_LISTS
from .holdings import Holdings, counted, days_between


class Referrals(msgspec.Struct, frozen=True):
    """Referrals dated in the period."""

    total: int
    children: int
    by_locality: dict[str, int]
    by_agency: dict[str, int]
    by_decision: dict[str, int]
    rejected_reasons: dict[str, int]
    by_type: dict[str, int]
    accepted: int
    to_plan: int
    """Accepted referrals whose child had a plan about them opened from the referral to the period's end."""
    by_month: dict[str, int]


def referrals(h: Holdings) -> Referrals:
    """Referrals in the period, by locality, source agency, decision and exploitation type, with
    how many accepted became a plan."""
    got = h.in_period("referral")
    plans: dict[str, list[str]] = {}
    for t in h.of("plan"):
        if t.fields.get("plan_kind") == "CHILD_PLAN":
            plans.setdefault(t.subject, []).append(t.day)
    decisions = Counter(str(t.fields.get("decision")) for t in got)
    accepted = [t for t in got if t.fields.get("decision") == "accepted"]
    to_plan = sum(1 for t in accepted if any(t.day <= d <= h.period.end for d in plans.get(t.subject, [])))
    return Referrals(
        total=len(got),
        children=len({t.subject for t in got}),
        by_locality=counted(Counter(h.locality_of(t) for t in got)),
        by_agency=counted(Counter(str(t.fields.get("source_agency")) for t in got)),
        by_decision={d: decisions.get(d, 0) for d in ("accepted", "rejected", "pending")},
        rejected_reasons=counted(
            Counter(
                CODE_LISTS["referral_reason"].get(str(t.fields.get("reason_code")), "not coded")
                for t in got
                if t.fields.get("decision") == "rejected"
            )
        ),
        by_type=counted(Counter(x for t in got for x in t.fields.get("exploitation_types", []))),
        accepted=len(accepted),
        to_plan=to_plan,
        by_month=h.period.by_month([t.day for t in got]),
    )


class Caseload(msgspec.Struct, frozen=True):
    """Children open to the exploitation team on the period's last day."""

    on: str
    children: int
    capacity: int | None
    by_level: dict[str, int]
    started: int
    """Children whose time with the team began in the period."""
    ended: int
    """Children whose time with the team ended in the period."""


def caseload(h: Holdings) -> Caseload:
    """The caseload at the period's end, against the configured capacity, by pathway level."""
    end = h.period.end
    spells = h.spells
    on = sorted(c for c, s in spells.items() if any(x.open_on(end) for x in s))
    latest = _latest_levels(h, end)
    levels = Counter(latest.get(c) or "not assessed" for c in on)
    # the configured levels in order, then any level recorded that is no longer configured
    order = [*h.levels, *sorted(set(levels) - set(h.levels) - {"not assessed"}), "not assessed"]
    return Caseload(
        on=end,
        children=len(on),
        capacity=h.capacity,
        by_level={lv: levels.get(lv, 0) for lv in order if lv in levels or lv in h.levels},
        started=sum(1 for s in spells.values() if any(h.period.has(x.start) for x in s)),
        ended=sum(1 for s in spells.values() if any(x.end is not None and h.period.has(x.end) for x in s)),
    )


def open_at_end(h: Holdings) -> list[str]:
    """The children open to the team on the period's last day."""
    return sorted(c for c, s in h.spells.items() if any(x.open_on(h.period.end) for x in s))


def _latest_levels(h: Holdings, day: str, before: bool = False) -> dict[str, str]:
    """Each child's latest level on or before ``day`` (strictly before, with ``before``)."""
    out: dict[str, str] = {}
    for t in h.of("risk_assessment"):  # oldest first: the latest wins
        if t.day < day or (not before and t.day == day):
            out[t.subject] = str(t.fields.get("level"))
    return out


class Pathway(msgspec.Struct, frozen=True):
    """Movement on the pathway between the period's start and its end."""

    levels: tuple[str, ...]
    transitions: dict[str, dict[str, int]]
    """From the level before the period (``new``: none) to the level at its end (``left``: left the team)."""
    stepped_up: int
    stepped_down: int
    same: int
    new: int
    left: int
    other: int
    """Moves to or from a level recorded but no longer configured: neither up nor down."""
    mean_days: dict[str, float]
    """Mean days a child spent on each level in the period, over the children who were on it."""
    steps_up: int
    steps_down: int
    """Every step up and down in the period, as read from the assessments."""


def pathway(h: Holdings) -> Pathway:
    """A transition table of levels from the start to the end of the period, steps up and down,
    and the time spent on each level (within the period).

    A child is on the pathway at the start when their latest assessment before the period is not
    followed by the end of their time with the team before it; ``new`` when their first
    assessment is in the period; ``left`` when their time with the team ended in it."""
    start, end = h.period.start, h.period.end
    spells = h.spells
    ended = {c: max((x.end for x in s if x.end is not None), default=None) for c, s in spells.items()}
    still = {c for c, s in spells.items() if any(x.end is None or x.end > end for x in s)}
    gone_before = {c for c, e in ended.items() if e is not None and e < start and c not in still}
    left = {c for c, e in ended.items() if e is not None and h.period.has(e) and c not in still}
    before = {c: lv for c, lv in _latest_levels(h, start, before=True).items() if c not in gone_before}
    after = _latest_levels(h, end)
    children = sorted(set(before) | {t.subject for t in h.in_period("risk_assessment")})
    rank = {lv: i for i, lv in enumerate(h.levels)}
    table: dict[str, Counter[str]] = {}
    moved: Counter[str] = Counter()
    for c in children:
        a = before.get(c, "new")
        b = "left" if c in left else after.get(c, a)
        table.setdefault(a, Counter())[b] += 1
        if a == "new" or b == "left":
            moved[a if a == "new" else "left"] += 1
        elif a == b:
            moved["same"] += 1
        elif a in rank and b in rank:
            moved["up" if rank[b] > rank[a] else "down"] += 1
        else:  # a level no longer configured: a move, but neither up nor down
            moved["other"] += 1
    recorded = sorted({x for t in table.values() for x in t} | set(table) - {*h.levels, "new", "left"})
    transitions = {
        a: {b: table[a].get(b, 0) for b in [*h.levels, *recorded, "left"]}
        for a in ["new", *h.levels, *recorded]
        if a in table
    }
    history: dict[str, list[Tracked]] = {}
    for t in h.of("risk_assessment"):
        history.setdefault(t.subject, []).append(t)
    spent: dict[str, list[int]] = {}
    for c, records in history.items():
        for s in steps(records):
            if h.period.has(s.day) and s.direction in ("up", "down"):
                moved["steps " + s.direction] += 1
        gone = ended.get(c)
        stop = min(end_after(end), gone) if gone is not None and c not in still else end_after(end)
        on: Counter[str] = Counter()
        for i, t in enumerate(records):
            lo = max(t.day, start)
            hi = min(records[i + 1].day if i + 1 < len(records) else stop, stop)
            if hi > lo:
                on[str(t.fields.get("level"))] += days_between(lo, hi)
        for lv, n in on.items():
            spent.setdefault(lv, []).append(n)
    return Pathway(
        levels=h.levels,
        transitions=transitions,
        stepped_up=moved["up"],
        stepped_down=moved["down"],
        same=moved["same"],
        new=moved["new"],
        left=moved["left"],
        other=moved["other"],
        mean_days={lv: round(sum(spent[lv]) / len(spent[lv]), 1) for lv in h.levels if spent.get(lv)},
        steps_up=moved["steps up"],
        steps_down=moved["steps down"],
    )


def end_after(day: str) -> str:
    """The day after ``day``: a period's last day counts in full."""
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


class Missing(msgspec.Struct, frozen=True):
    """Missing episodes that began in the period."""

    episodes: int
    children: int
    per_child: float | None
    interviews_done: int
    within_72_hours: int
    """Return interviews done within three days after the child's recorded return (days, not
    hours: an interview is recorded by its date)."""
    declined: int
    not_offered: int
    no_interview_recorded: int
    ended_at: dict[str, int]
    """The ten places episodes most often ended at, by name."""
    out_of_area: int
    together: int
    """Episodes in which the child went missing with another child."""
    pairs: int
    """Pairs of children missing together, each pair once."""
    repeat_pairs: int
    """Pairs missing together on more than one day."""
    by_month: dict[str, int]


def missing(h: Holdings) -> Missing:
    """Episodes, children, episodes per child, return interviews (done, within 72 hours,
    declined, not offered), where episodes ended, and children missing together."""
    got = h.in_period("missing_episode")
    children = {t.subject for t in got}
    done = [t for t in got if t.fields.get("interview_date")]
    within = [
        t
        for t in done
        if t.fields.get("returned") and 0 <= days_between(t.fields["returned"], t.fields["interview_date"]) <= 3
    ]
    pairs: dict[tuple[str, str], set[str]] = {}
    for t in got:
        for other in t.fields.get("with_children", []):
            a, b = sorted((t.subject, other))
            pairs.setdefault((a, b), set()).add(t.day)
    # an episode is often recorded once for each child: a pair is together again only on another day
    return Missing(
        episodes=len(got),
        children=len(children),
        per_child=round(len(got) / len(children), 2) if children else None,
        interviews_done=len(done),
        within_72_hours=len(within),
        declined=sum(1 for t in got if t.fields.get("interview_declined") and not t.fields.get("interview_date")),
        not_offered=sum(1 for t in got if t.fields.get("interview_offered") is False),
        no_interview_recorded=sum(
            1
            for t in got
            if not t.fields.get("interview_date")
            and not t.fields.get("interview_declined")
            and t.fields.get("interview_offered") is not False
        ),
        ended_at=counted(Counter(_place(h, t.fields["found_at"]) for t in got if t.fields.get("found_at")), 10),
        out_of_area=sum(1 for t in got if t.fields.get("out_of_area")),
        together=sum(1 for t in got if t.fields.get("with_children")),
        pairs=len(pairs),
        repeat_pairs=sum(1 for days in pairs.values() if len(days) > 1),
        by_month=h.period.by_month([t.day for t in got]),
    )


HOME = "a home (the address is not shown)"


def _place(h: Holdings, eid: str) -> str:
    """A place an episode ended at, by name; a home by what it is, never its address."""
    return HOME if h.is_home(eid) else h.name_of(eid)
