"""A timeline of tracking records: their order, a child's moves on the risk pathway, and each
record in words."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from .tracked import Tracked, sortable
from .tracking import CODE_LISTS, pathway_levels


@dataclass(frozen=True)
class Step:
    """A change of level on the risk pathway, read from a child's assessments."""

    day: str
    before: str | None
    after: str
    direction: Literal["first", "up", "down", "same"]
    record: str


def steps(assessments: Iterable[Tracked], levels: Sequence[str] | None = None) -> list[Step]:
    """A child's moves on the pathway, oldest first: each assessment against the one before.

    >>> a = [Tracked("a", "risk_assessment", "c", d, "f", "u", fields={"level": v})
    ...      for d, v in (("2025-01-01", "green"), ("2025-03-01", "red"), ("2025-05-01", "amber"))]
    >>> [(s.day, s.direction) for s in steps(a)]
    [('2025-01-01', 'first'), ('2025-03-01', 'up'), ('2025-05-01', 'down')]
    """
    order = {v: i for i, v in enumerate(levels or pathway_levels())}
    out: list[Step] = []
    before: str | None = None
    for t in sorted((a for a in assessments if a.record == "risk_assessment"), key=lambda a: (a.date, a.id)):
        level = t.fields["level"]
        if before is None:
            direction: Literal["first", "up", "down", "same"] = "first"
        else:
            now, was = order.get(level, -1), order.get(before, -1)
            direction = "up" if now > was else "down" if now < was else "same"
        out.append(Step(t.day, before, level, direction, t.id))
        before = level
    return out


def by_date(records: Iterable[Tracked]) -> list[Tracked]:
    """Records in date order (then by kind and id), for a timeline."""
    return sorted(records, key=lambda t: (sortable(t.date), t.record, t.id))


def when_text(value: str) -> str:
    """A date, or date and time, as people write it.

    >>> when_text("2025-02-01T21:30"), when_text("2025-02-01")
    ('1 February 2025, 21:30', '1 February 2025')
    """
    d = date.fromisoformat(value[:10])
    text = f"{d.day} {d.strftime('%B')} {d.year}"
    return f"{text}, {value[11:16]}" if len(value) > 10 else text


def describe(t: Tracked, name_of: Callable[[str], str | None]) -> str:
    """A record in words, for a timeline: ``name_of`` gives an entity's name as the reader may
    see it.

    >>> t = Tracked("m", "missing_episode", "c1", "2025-02-01T21:30", "f", "u", fields={
    ...     "returned": "2025-02-03T08:00", "found_at": "l1", "interview_date": "2025-02-04",
    ...     "interview_by": "EXPLOITATION_TEAM"})
    >>> for part in describe(t, {"c1": "K.B.", "l1": "Flat 1"}.get).split("; "):
    ...     print(part)
    missing from 1 February 2025, 21:30 until 3 February 2025, 08:00
    found at Flat 1
    return interview on 4 February 2025 by EXPLOITATION_TEAM
    """
    f = t.fields

    def names(ids: Iterable[str]) -> str:
        return ", ".join(name_of(i) or i for i in ids)

    if t.record == "missing_episode":
        parts = [
            f"missing from {when_text(t.date)}" + (f" until {when_text(f['returned'])}" if f.get("returned") else "")
        ]
        if f.get("found_at"):
            parts.append(f"found at {names([f['found_at']])}" + (" (out of area)" if f.get("out_of_area") else ""))
        if f.get("with_children"):
            parts.append(f"with {names(f['with_children'])}")
        if f.get("interview_date"):
            by = f" by {f['interview_by']}" if f.get("interview_by") else ""
            parts.append(f"return interview on {when_text(f['interview_date'])}{by}")
        elif f.get("interview_declined"):
            parts.append("return interview declined")
        else:
            parts.append("no return interview recorded")
        if f.get("push_pull_codes"):
            parts.append("reasons: " + ", ".join(CODE_LISTS["push_pull"].get(c, c) for c in f["push_pull_codes"]))
        return "; ".join(parts)
    if t.record == "referral":
        types = ", ".join(f.get("exploitation_types", [])) or "exploitation"
        to = f" to {f['to_service']}" if f.get("to_service") else ""
        said = {"accepted": "accepted", "rejected": "not accepted", "pending": "not yet decided"}[f["decision"]]
        why = f" ({f['reason']})" if f.get("reason") else ""
        by = f" by {f['source_agency']}" if f.get("source_agency") else ""  # not shown to a reader by initials
        return f"referred{to}{by} for {types}: {said}{why}"
    if t.record == "risk_assessment":
        by = f" by {f['assessed_by']}" if f.get("assessed_by") else ""
        return f"assessed {f['level']} on the pathway{by}"
    if t.record == "plan":
        kind = CODE_LISTS["plan_kind"].get(f["plan_kind"], f["plan_kind"]).split(" (")[0]
        actions = f.get("actions") or []
        left = sum(1 for a in actions if a.get("status") not in ("done", "dropped"))
        state = f"closed {when_text(f['closed'])}" if f.get("closed") else f.get("status", "open")
        return f"{kind}, {state}" + (f"; {len(actions)} actions, {left} not done" if actions else "")
    if t.record == "disruption":
        kind = CODE_LISTS["disruption_kind"].get(f["disruption_kind"], f["disruption_kind"]).split(" (")[0]
        whom = f" in respect of {names(f['children'])}" if f.get("children") else ""
        return f"{kind}{whom}" + (f": {f['outcome']}" if f.get("outcome") else "")
    if t.record == "outcome_review":
        met = ", ".join(f.get("benchmarks", [])) or "none recorded"
        return ("left the tracker; " if f.get("left") else "") + f"outcomes met: {met}"
    if t.record == "service_episode":
        until = f" until {when_text(f['closed'])}" if f.get("closed") else ""
        return f"open to {f['service_code']}{until}"
    if t.record == "custody":
        until = f" until {when_text(f['released'])}" if f.get("released") else ""
        held = f" for {f['offence']}" if f.get("offence") else ""
        return f"in police custody from {when_text(t.date)}{until}{held}" + (
            f": {f['outcome']}" if f.get("outcome") else ""
        )
    if t.record == "investigation":
        what = f" of {f['offence']}" if f.get("offence") else ""
        ref = f" ({f['crime_ref']})" if f.get("crime_ref") else ""
        return f"{f['role']} in an investigation{what}{ref}"
    return t.record
