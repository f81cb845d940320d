"""Tracking records for a synthetic area, drawn from its graph at rates like those teams report:
about four missing episodes for each child who goes missing (more for exploited children, fewer
for those who go missing for other reasons), about 60% of them followed by a
return interview; referrals with about a third not accepted (those accepted are of children open to the
exploitation team in the graph); pathway histories that step up
and down; disruption against most persons of concern; plans about children and about places
and groups; outcome reviews for children who leave the team.

The draws use their own seeded generator, so adding records leaves the area's entities and
relationships as they were.

>>> from contextgraph.interchange.synth import generate
>>> data = generate(children=300, seed=2)
>>> kinds = {t["record"] for t in data.tracking}
>>> sorted(kinds)[:3]
['custody', 'disruption', 'investigation']
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from ..model.tracking import CODE_LISTS, outcome_benchmarks, pathway_levels

REASONS = (
    ("does not meet the threshold for the exploitation team", "BELOW_THRESHOLD"),
    ("already open to the youth justice service, which holds the risk", "OPEN_ELSEWHERE"),
    ("no indicators of exploitation found at screening", "NO_INDICATORS"),
)
RESULTS = {"served": "SERVED", "no further action": "NO_FURTHER_ACTION", "charged": "CHARGED",
           "bail with conditions": "BAIL_CONDITIONS"}  # fmt: skip
QUESTIONS = ("How safe do you feel?", "How well are things going at home?", "How well are things going at school?")


def tracking(
    entities: list[dict[str, Any]],
    relationships: list[dict[str, Any]],
    open_exploited: list[str],
    exploited_not_open: list[str],
    seed: int,
    start: date,
    weeks: int,
) -> list[dict[str, Any]]:
    """Tracking records (``tracking.jsonl`` lines) for the area of ``entities`` and ``relationships``."""
    rng = random.Random(f"tracking-{seed}")
    levels, benchmarks = pathway_levels(), outcome_benchmarks()
    end = start + timedelta(weeks=weeks)
    span = (end - start).days
    where = {e["id"]: e.get("locality") for e in entities}
    kind = {e["id"]: e["kind"] for e in entities}
    found: dict[str, list[str]] = defaultdict(list)
    mates: dict[str, list[str]] = defaultdict(list)
    victims: dict[str, list[str]] = defaultdict(list)
    for r in relationships:
        t, s, d = r["type"], r["source"], r["target"]
        if t == "FOUND_AT":
            found[s].append(d)
        elif t == "MISSING_WITH":
            mates[s].append(d)
            mates[d].append(s)
        elif t == "EXPLOITS":
            victims[s].append(d)
    out: list[dict[str, Any]] = []

    def day(lo: int = 0, hi: int | None = None) -> date:
        return start + timedelta(days=rng.randint(lo, span if hi is None else min(hi, span)))

    def add(rid: str, record: str, subject: str, when: str, **fields: Any) -> None:
        src = f"tracker-{(where.get(subject) or 'all').lower()}-{when[:10]}"
        line: dict[str, Any] = {"id": rid, "record": record, "subject": subject, "date": when, "source": src}
        line["recorded_by"] = "tracker"
        if where.get(subject):
            line["locality"] = where[subject]
        out.append({**line, **{k: v for k, v in fields.items() if v not in (None, [], "")}})

    codes = list(CODE_LISTS["push_pull"])
    exploited = {*open_exploited, *exploited_not_open}
    for c in sorted(found):
        # exploited children go missing more often than children who go missing for other reasons
        mean = 5.0 if c in exploited else 2.5
        episodes = max(1, min(12, round(rng.expovariate(1 / mean))))
        for k in range(episodes):
            went = datetime.combine(day(), datetime.min.time()) + timedelta(hours=rng.randint(12, 23))
            back = went + timedelta(hours=rng.randint(3, 72))
            draw = rng.random()
            interview: dict[str, Any] = {"interview_offered": True}
            if draw < 0.6:
                interview["interview_date"] = (back + timedelta(days=rng.choice((0, 1, 2, 3, 5, 8)))).date().isoformat()
                interview["interview_by"] = rng.choice(("EXPLOITATION_TEAM", "EARLY_HELP", "CSC"))
                interview["push_pull_codes"] = rng.sample(codes, rng.randint(1, 2))
            elif draw < 0.75:
                interview["interview_declined"] = True
            elif draw < 0.85:
                interview = {"interview_offered": False}
            place = rng.choice(found[c]) if rng.random() < 0.7 else None
            add(
                f"me-{c}-{k}",
                "missing_episode",
                c,
                went.isoformat(timespec="minutes"),
                returned=back.isoformat(timespec="minutes"),
                found_at=place,
                out_of_area=bool(place and where.get(place) != where.get(c)),
                with_children=[m for m in mates.get(c, []) if rng.random() < 0.5][:2],
                reported_by=rng.choice(("parent", "carer", "children's home", "foster carer")),
                **interview,
            )
    referred = [*open_exploited, *(c for c in exploited_not_open if rng.random() < 0.3)]
    children = [e["id"] for e in entities if e["kind"] == "child"]
    referred += rng.sample(children, min(len(children), max(1, len(open_exploited) // 3)))
    known = set(open_exploited)
    for c in dict.fromkeys(referred):
        when = day(0, span - 30)
        accepted = c in known  # accepted: open to the team in the graph, so the records agree with it
        decision = "accepted" if accepted else ("pending" if rng.random() < 0.1 else "rejected")
        rejected = decision == "rejected"
        add(
            f"ref-{c}",
            "referral",
            c,
            when.isoformat(),
            source_agency=rng.choice(("police", "school", "social care", "health", "youth justice", "parent")),
            to_service="EXPLOITATION_TEAM",
            exploitation_types=rng.sample(list(CODE_LISTS["exploitation_type"]), rng.randint(1, 2)),
            decision=decision,
            decision_date=(when + timedelta(days=rng.randint(1, 14))).isoformat() if decision != "pending" else None,
            **(dict(zip(("reason", "reason_code"), rng.choice(REASONS), strict=True)) if rejected else {}),
        )
        if not accepted:
            continue
        level = rng.randrange(len(levels))
        at = when
        for k in range(rng.randint(1, 4)):
            add(f"ra-{c}-{k}", "risk_assessment", c, at.isoformat(), level=levels[level], assessed_by="panel")
            level = max(0, min(len(levels) - 1, level + rng.choice((-1, 1, 1, 0))))
            at += timedelta(days=rng.randint(20, 90))
            if at >= end:
                break
        add(f"plan-{c}", "plan", c, (when + timedelta(days=7)).isoformat(), plan_kind="CHILD_PLAN", status="open")
        if rng.random() < 0.3:
            left = min(end, when + timedelta(days=rng.randint(90, 300)))
            add(
                f"out-{c}",
                "outcome_review",
                c,
                left.isoformat(),
                left=True,
                benchmarks=rng.sample(benchmarks, rng.randint(1, min(5, len(benchmarks)))),
                scores=[
                    {"respondent": who, "stage": stage, "question": q, "score": rng.randint(3 * (stage == "end"), 10)}
                    for who in ("child", "parent", "professional")
                    for stage in ("start", "end")
                    for q in QUESTIONS[:1]
                ],
            )
    kinds = [k for k in CODE_LISTS["disruption_kind"] if k != "CAWN"]
    for p in sorted(e["id"] for e in entities if e["kind"] == "person_of_concern"):
        if rng.random() > 0.75:
            continue
        for k in range(rng.randint(1, 3)):
            cawn = victims.get(p) and rng.random() < 0.4
            add(
                f"dis-{p}-{k}",
                "disruption",
                p,
                day().isoformat(),
                disruption_kind="CAWN" if cawn else rng.choice(kinds),
                children=[rng.choice(victims[p])] if cawn else [],
                by="police",
                **{"outcome": (said := rng.choice(list(RESULTS))), "result": RESULTS[said]},
            )
    for g in sorted(e["id"] for e in entities if e["kind"] == "group"):
        if rng.random() < 0.3:
            add(f"plan-{g}", "plan", g, day().isoformat(), plan_kind="PEER_GROUP_CONFERENCE", status="open")
    hot = sorted({p for places in found.values() for p in places if kind.get(p) == "location"})
    for p in hot[: max(1, len(hot) // 10)]:
        when = day()
        add(
            f"plan-{p}",
            "plan",
            p,
            when.isoformat(),
            plan_kind="NEIGHBOURHOOD_CONFERENCE",
            status="open",
            actions=[
                {
                    "action": "patrols at night",
                    "owner": "police",
                    "due": (when + timedelta(days=30)).isoformat(),
                    "status": "open",
                }
            ],
        )
    # custody records and investigations: more often for exploited children than for others
    others = rng.sample(children, min(len(children), len(exploited)))
    for c in sorted(exploited | set(others)):
        mean = 1.5 if c in exploited else 0.4
        for k in range(min(6, round(rng.expovariate(1 / mean)))):
            held = datetime.combine(day(), datetime.min.time()) + timedelta(hours=rng.randint(0, 23))
            add(
                f"cus-{c}-{k}",
                "custody",
                c,
                held.isoformat(timespec="minutes"),
                released=(held + timedelta(hours=rng.randint(2, 30))).isoformat(timespec="minutes"),
                outcome=rng.choice(("released under investigation", "no further action", "charged", "bailed")),
            )
        for k in range(min(6, round(rng.expovariate(1 / mean)))):
            add(
                f"inv-{c}-{k}",
                "investigation",
                c,
                day().isoformat(),
                role=rng.choice(("suspect", "suspect", "victim", "witness")),
                offence=rng.choice(("possession with intent to supply", "assault", "robbery", "theft")),
            )
    return out
