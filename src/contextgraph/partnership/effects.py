"""The report's sections on what came of the work: missing, custody and investigations before and
during a child's time with the team, outcomes at closure, work on contexts and disruption, and
the quality of the data behind it all. Each is a pure function of the :class:`Holdings`.

>>> from contextgraph.model.tracked import Tracked
>>> from contextgraph.partnership.holdings import Holdings, period
>>> rate(12, 2.0), change(6.0, 3.0)
(6.0, -0.5)
"""

from __future__ import annotations

from collections import Counter

import msgspec

from ..model.demographics import age_on
from ..model.tracking import CODE_LISTS
from .holdings import Holdings, counted, day_before, days_between

MEASURES: tuple[tuple[str, str, str | None], ...] = (
    ("missing episodes", "missing_episode", None),
    ("custody records", "custody", None),
    ("investigations as a suspect", "investigation", "suspect"),
    ("investigations as a victim", "investigation", "victim"),
    ("investigations as a witness", "investigation", "witness"),
)
"""What the before-and-during section counts: a name, a kind of record, and an investigation's role."""

TOO_FEW_CHILDREN = 10
TOO_FEW_RECORDS = 20
"""Below these, a before-and-during figure says plainly that it is too small to mean much."""


def rate(count: int, years: float) -> float | None:
    """Records a child-year (None over no time)."""
    return round(count / years, 3) if years > 0 else None


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def change(before: float | None, during: float | None) -> float | None:
    """The change from the rate before to the rate during, as a fraction (-0.5: halved)."""
    if before is None or during is None or before == 0:
        return None
    return round((during - before) / before, 3)


class Change(msgspec.Struct, frozen=True):
    """One measure's rate in the year before a child's start with the team, and since."""

    measure: str
    before: int
    during: int
    rate_before: float | None
    rate_during: float | None
    change: float | None
    small: bool


class BeforeAndDuring(msgspec.Struct, frozen=True):
    """For the children who started with the team by the period's end."""

    children: int
    years_before: float
    years_during: float
    rows: tuple[Change, ...]
    warning: str | None


def before_and_during(h: Holdings) -> BeforeAndDuring:
    """Each measure's rate a child-year in the year before each child's first start with the team
    against the time since (to the end of their time with the team, or the period's end), summed
    over the children; with the counts behind each rate."""
    end = h.period.end
    firsts = {c: s[0] for c, s in h.spells.items() if s and s[0].start <= end}
    windows: dict[str, tuple[str, str, str]] = {}
    for c, case in firsts.items():
        stop = min(case.end, end) if case.end else end
        windows[c] = (day_before(case.start, 365), case.start, max(stop, case.start))
    years_before = sum(days_between(a, b) for a, b, _ in windows.values()) / 365.25
    years_during = sum(days_between(b, c) for _, b, c in windows.values()) / 365.25
    rows = []
    for name, kind, role in MEASURES:
        n_before = n_during = 0
        for t in h.of(kind):
            w = windows.get(t.subject)
            if w is None or (role is not None and t.fields.get("role") != role):
                continue
            if w[0] <= t.day < w[1]:
                n_before += 1
            elif w[1] <= t.day <= w[2]:
                n_during += 1
        rb = n_before / years_before if years_before > 0 else None
        rd = n_during / years_during if years_during > 0 else None
        small = len(windows) < TOO_FEW_CHILDREN or n_before + n_during < TOO_FEW_RECORDS
        rows.append(Change(name, n_before, n_during, _r(rb), _r(rd), change(rb, rd), small))
    warning = None
    if not windows:
        warning = "no child started with the team by the period's end"
    elif any(r.small for r in rows):
        warning = (
            f"fewer than {TOO_FEW_CHILDREN} children, or fewer than {TOO_FEW_RECORDS} records of a measure: "
            "those figures are too small to mean much, and are marked"
        )
    return BeforeAndDuring(len(windows), round(years_before, 2), round(years_during, 2), tuple(rows), warning)


class Score(msgspec.Struct, frozen=True):
    respondent: str
    stage: str
    mean: float
    count: int


class Outcomes(msgspec.Struct, frozen=True):
    """Outcome reviews dated in the period."""

    reviews: int
    left: int
    benchmarks: dict[str, int]
    """How many reviews met each benchmark."""
    no_benchmark: int
    scores: tuple[Score, ...]


def outcomes(h: Holdings) -> Outcomes:
    """Outcome reviews in the period against the benchmarks, and the 0-10 scores by respondent and
    stage (means with their counts)."""
    got = h.in_period("outcome_review")
    met = Counter(b for t in got for b in t.fields.get("benchmarks", []))
    answers: dict[tuple[str, str], list[int]] = {}
    for t in got:
        for s in t.fields.get("scores", []):
            answers.setdefault((s["respondent"], s["stage"]), []).append(int(s["score"]))
    order = {"child": 0, "parent": 1, "professional": 2, "start": 0, "mid": 1, "end": 2}
    scores = tuple(
        Score(who, stage, round(sum(v) / len(v), 2), len(v))
        for (who, stage), v in sorted(answers.items(), key=lambda kv: (order.get(kv[0][0], 9), order.get(kv[0][1], 9)))
    )
    return Outcomes(
        reviews=len(got),
        left=sum(1 for t in got if t.fields.get("left")),
        benchmarks={b: met.get(b, 0) for b in h.benchmarks},
        no_benchmark=sum(1 for t in got if not t.fields.get("benchmarks")),
        scores=scores,
    )


class Contexts(msgspec.Struct, frozen=True):
    """Plans and conferences opened, and disruption done, in the period."""

    plans: int
    plans_by_kind: dict[str, int]
    plans_about: dict[str, int]
    """Plans by what they are about: a child, a group, a place (location) or a school."""
    actions: int
    actions_open: int
    disruptions_by_kind: dict[str, int]
    disruptions_against: dict[str, int]
    disruption_results: dict[str, int]
    """By the result as coded (the outcome in words may name people, and is not counted)."""
    children_named: int
    """Children a disruption was done in respect of (a CAWN's child), each once."""


def contexts(h: Holdings) -> Contexts:
    """Context conferences and plans by kind and by what they are about; disruption by kind,
    against what, and its outcome."""
    plans = h.in_period("plan")
    done = h.in_period("disruption")
    kind_of = {eid: e.kind for eid, e in h.people.items()}
    actions = [a for t in plans for a in t.fields.get("actions", [])]
    return Contexts(
        plans=len(plans),
        plans_by_kind=counted(Counter(str(t.fields.get("plan_kind")) for t in plans)),
        plans_about=counted(Counter(kind_of.get(t.subject, "not known") for t in plans)),
        actions=len(actions),
        actions_open=sum(1 for a in actions if a.get("status") not in ("done", "dropped")),
        disruptions_by_kind=counted(Counter(str(t.fields.get("disruption_kind")) for t in done)),
        disruptions_against=counted(Counter(kind_of.get(t.subject, "not known") for t in done)),
        disruption_results=counted(
            Counter(CODE_LISTS["disruption_result"].get(str(t.fields.get("result")), "not coded") for t in done)
        ),
        children_named=len({c for t in done for c in t.fields.get("children", [])}),
    )


class Quality(msgspec.Struct, frozen=True):
    """What is missing from the records the report counts."""

    children: int
    """Children the period's records are about."""
    no_ethnicity: int
    no_sex: int
    no_date_of_birth: int
    no_locality: int
    reviews_without_benchmarks: int
    episodes_without_return: int
    places_not_located: int
    """Places episodes ended at that have no coordinates (they cannot be mapped)."""


def quality(h: Holdings) -> Quality:
    """Fields missing in the records of the period and the people they are about. Every record
    has a source (it cannot be stored without one), so none is counted."""
    got = [t for ts in h.kinds.values() for t in ts if h.period.has(t.date)]
    children = {t.subject for t in got if (e := h.people.get(t.subject)) is not None and e.kind == "child"}
    people = [h.people[c] for c in children]

    def unknown(e_value: object) -> bool:
        return e_value in (None, "", "not_known")

    places = {t.fields["found_at"] for t in got if t.record == "missing_episode" and t.fields.get("found_at")}
    return Quality(
        children=len(children),
        no_ethnicity=sum(1 for e in people if unknown(e.properties.get("ethnicity"))),
        no_sex=sum(1 for e in people if unknown(e.properties.get("sex"))),
        no_date_of_birth=sum(1 for e in people if not e.dob or age_on(e.dob, h.period.end) is None),
        no_locality=sum(1 for e in people if not e.locality),
        reviews_without_benchmarks=sum(
            1 for t in got if t.record == "outcome_review" and not t.fields.get("benchmarks")
        ),
        episodes_without_return=sum(1 for t in got if t.record == "missing_episode" and not t.fields.get("returned")),
        places_not_located=sum(1 for p in places if (e := h.people.get(p)) is None or e.lat is None or e.lon is None),
    )
