"""Tracking records read from a note where it states them plainly: a return interview's missing
episode, a CAWN served or another disruption done, a referral and its decision, a step up or down
between services, and a level on the risk pathway ("RAG: amber").

Rules, like the rest of the extraction: a sentence must say the thing was done, not that it is
planned or considered ("CAWN to be explored" is no record), and must name who it is about. Each
record carries the sentence it was read from, so that it is shown and reviewed like any fact.

>>> from contextgraph.notes.extract import extract
>>> doc = extract('''# MACE – Hillcrest
... Date: 18/01/2024
...
... Jordan Vale (15) is exploited by Corvin Dale (24). CAWN served on Corvin Dale on 12/01/2024 in respect
... of Jordan Vale. Jordan was referred to CSC on 15/01. RAG: amber.
... ''')
>>> [(t["record"], t["date"]) for t in doc["tracking"]]
[('disruption', '2024-01-12'), ('referral', '2024-01-15'), ('risk_assessment', '2024-01-18')]
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from ..model.tracked import MOST_FREE
from ..model.tracking import CODE_LISTS, pathway_levels
from .dates import DateMention, find_dates
from .services import named_services

if TYPE_CHECKING:
    from .record import Ent, Extraction
    from .units import Unit

_NOT_DONE = re.compile(
    r"\b(consider(?:ed|ing)?|explor(?:e|ed|ing)|scop(?:e|ed|ing)|to be|will be|would be|if|whether|request(?:ed|ing)?|"
    r"recommend(?:ed|s)?|plan(?:ned|ning)? to|propos(?:e|ed|al)|apply|application|may|might|could|should|not)\b",
    re.I,
)
"""Words that make a sentence about a disruption or a referral an intention, not a record."""

DISRUPTIONS: dict[str, re.Pattern[str]] = {
    "CAWN": re.compile(r"\bCAWNs?\b|child abduction warning notice", re.I),
    "CLOSURE_ORDER": re.compile(r"\bclosure order\b", re.I),
    "CONVICTION": re.compile(r"\b(convicted|sentenced)\b", re.I),
    "CHARGE": re.compile(r"\bcharged\b", re.I),
    "ARREST": re.compile(r"(?<!de-)\barrested\b", re.I),
    "SEARCH_WARRANT": re.compile(r"\bwarrant (was )?executed\b|\bexecuted (a|the) (\w+ )?warrant\b", re.I),
}
"""A disruption's kind by the words that say it was done (a code of ``disruption_kind``)."""
assert set(DISRUPTIONS) <= set(CODE_LISTS["disruption_kind"])

_DONE = {
    "CAWN": re.compile(r"\b(served|issued|given)\b", re.I),
    "CLOSURE_ORDER": re.compile(r"\b(granted|obtained|served|made|closed under)\b", re.I),
}
"""For the kinds that are often only considered: the words that say they were done."""

_REFERRAL = re.compile(r"\breferr(?:ed|al)\b(?:\s+\w+){0,6}?\s+(?:to|into)\b", re.I)
_STEP = re.compile(r"\bstepped (up|down)\b", re.I)
_ACCEPTED = re.compile(r"\b(accepted|allocated|opened|now open)\b", re.I)
_REJECTED = re.compile(r"\b(not accepted|rejected|declined|did not meet|does not meet|no further action|NFA)\b", re.I)
_MISSING = re.compile(r"\b(missing|went missing|reported missing|absent)\b", re.I)
_BACK = re.compile(r"\b(located|found|returned|came home|came back|brought back|brought home)\b", re.I)
_TIME = re.compile(r"\b(\d{1,2})[:.](\d{2})\b|\b(\d{2})(\d{2})\s?h(?:rs|ours)?\b")

PUSH_PULL: dict[str, re.Pattern[str]] = {
    "CONFLICT_AT_HOME": re.compile(
        r"\b(argu\w+|row\w*|conflict|fell out|falling out) with (?:\w+ ){0,2}(mum|dad|mother|father|carer|parent|step)",
        re.I,
    ),
    "BOREDOM": re.compile(r"\bbored(om)?\b|nothing to do", re.I),
    "EDUCATION": re.compile(r"\b(school|exclu\w+|suspen\w+)\b", re.I),
    "MENTAL_HEALTH": re.compile(r"\b(self[- ]harm|low mood|anxious|anxiety|depress\w+)\b", re.I),
    "PEERS": re.compile(r"\b(friend|mate|peer|loyal\w*)\b", re.I),
    "RELATIONSHIP": re.compile(r"\b(boyfriend|girlfriend)\b", re.I),
    "DRUGS_ALCOHOL": re.compile(r"\b(drugs?|alcohol|cannabis|weed|drink)\b", re.I),
    "MONEY_GIFTS": re.compile(r"\b(money|cash|gifts?|trainers|phone|vapes?|paid)\b", re.I),
    "EXPLOITATION": re.compile(r"\b(debt|owe[sd]?|a job|run(ning)? (drugs|a line)|told to)\b", re.I),
}
"""Push and pull codes, by the words a return interview's push/pull section uses for them."""


@dataclass
class Draft:
    """A tracking record read from the note, its entities still the note's."""

    record: str
    subject: Ent
    date: str
    unit: Unit
    fields: dict[str, Any] = field(default_factory=dict)
    named: dict[str, list[Ent]] = field(default_factory=dict)
    """Fields that name entities of the note (``found_at``, ``children``...)."""


def _people(x: Extraction, u: Unit, kind: str) -> list[Ent]:
    return list(dict.fromkeys(f.ent for f in x.mentions.get(id(u), []) if f.ent.kind == kind))


def _after(x: Extraction, u: Unit, kind: str, at: int) -> list[Ent]:
    """The entities of ``kind`` named in ``u`` from character ``at`` on."""
    return list(dict.fromkeys(f.ent for f in x.mentions.get(id(u), []) if f.ent.kind == kind and f.start >= at))


_BORN = re.compile(r"(\bDOB|\bd\.o\.b\.?|\bborn|\bb\.)\W{0,3}$", re.I)


def _events(x: Extraction, text: str) -> list[DateMention]:
    """The dates of ``text`` that can be when something happened: not a date of birth (written
    after "DOB" or "born"), nor more than five years before the meeting."""
    floor = date(x.day.year - 5, 1, 1) if x.day else None
    return [
        d
        for d in find_dates(text, x.day)
        if not _BORN.search(text[max(0, d.start - 12) : d.start]) and (floor is None or d.day >= floor)
    ]


def _day(x: Extraction, text: str) -> str | None:
    got = _events(x, text)
    return got[0].day.isoformat() if got else None


def _meeting_day(x: Extraction) -> str | None:
    return x.day.isoformat() if x.day else None


def tracked(x: Extraction, units: list[Unit], subject: Ent | None) -> list[Draft]:
    """The tracking records a note states, in the order they are read (``subject``: the person
    the note is about, for a return interview)."""
    out: list[Draft] = []
    levels = {lv.lower(): lv for lv in pathway_levels()}
    level_rx = re.compile(
        r"\b(?:RAG(?:[- ]rat(?:ed|ing))?|risk (?:level|rating)|pathway)\b\W{0,3}(?:is |was |now |as |of |at )*("
        + "|".join(re.escape(lv) for lv in sorted(levels, key=len, reverse=True))
        + r")\b",
        re.I,
    )
    day0 = _meeting_day(x)
    following: dict[int, str] = {}  # each sentence with the next of its paragraph
    for a, b in itertools.pairwise(units):
        if a.block == b.block and b.kind != "heading":
            following[id(a)] = f"{a.text} {b.text}"
    block = -1
    carried: dict[str, list[Ent]] = {}  # the entities of the paragraph so far, by kind, for "She was..."
    carried_day: str | None = None  # and its latest date, for "He was arrested" after the night's events
    for u in units:
        if u.kind in ("heading",):
            continue
        if u.block != block:
            block, carried, carried_day = u.block, {}, None
        for f in x.mentions.get(id(u), []):
            carried.setdefault(f.ent.kind, [])
        for k in carried:
            here = _people(x, u, k)
            if here:
                carried[k] = here
        text = u.text
        named = carried.get("child", [])
        kids = named or ([subject] if subject is not None and subject.kind == "child" else [])
        when = _day(x, text) or carried_day or day0
        carried_day = when if _day(x, text) else carried_day
        if when is None:
            continue
        for kind, rx in DISRUPTIONS.items():
            m = rx.search(text)
            if not m or _NOT_DONE.search(text[: m.end() + 40]) or (kind in _DONE and not _DONE[kind].search(text)):
                continue
            target = _disrupted(x, u, kind, carried)
            if target is None:
                continue
            d = Draft("disruption", target, when, u, {"disruption_kind": kind})
            if kind == "CAWN":
                d.named["children"] = _after(x, u, "child", m.start()) or kids[:1]
            out.append(d)
            break  # one disruption a sentence: "arrested and charged" is read as the first
        m = _REFERRAL.search(text)
        if m and kids and not _NOT_DONE.search(text[: m.start()]):
            to = named_services(text[m.start() :], x.local)
            said = following.get(id(u), text)  # the decision may follow in the next sentence
            decision = "rejected" if _REJECTED.search(said) else "accepted" if _ACCEPTED.search(said) else "pending"
            fields: dict[str, Any] = {"source_agency": _agency(x), "decision": decision}
            if to:
                fields["to_service"] = to[0]
            if decision == "rejected":
                fields["reason"] = said.strip()[:MOST_FREE].strip()  # a record's free text: at most its length
            out.append(Draft("referral", kids[0], when, u, fields))
        m = _STEP.search(text)
        if m and kids and not _NOT_DONE.search(text[: m.start()]):
            # "stepped up to SAFE", or "open to SAFE (stepped up from early help)": the service it
            # went to, not the one it came from
            after = text[m.end() :]
            left = re.match(r"\s*from\b", after)
            to = named_services(text[: m.start()] if left else after, x.local)
            if to:
                out.append(Draft("service_episode", kids[0], when, u, {"service_code": to[0], "reason": text.strip()}))
        m = level_rx.search(text)
        if m and kids:  # an assessment is the meeting's, unless the sentence dates it
            level = levels[m.group(1).lower()]
            out.append(Draft("risk_assessment", kids[0], _day(x, text) or day0 or when, u, {"level": level}))
    if x.note.meeting.kind == "RETURN_INTERVIEW" and subject is not None and subject.kind == "child":
        episode = _episode(x, units, subject)
        if episode is not None:
            out.insert(0, episode)
    # a thing said twice ("arrested ... was arrested on the night") is one record
    seen: set[tuple[str, int, str, str]] = set()
    once = []
    for d in out:
        key = (d.record, id(d.subject), d.date[:10], str(d.fields.get("disruption_kind", d.fields.get("level", ""))))
        if key not in seen:
            seen.add(key)
            once.append(d)
    return once


def _disrupted(x: Extraction, u: Unit, kind: str, carried: dict[str, list[Ent]]) -> Ent | None:
    """Who or what a disruption was against: a place for a closure order or a warrant, else the
    first person of concern named (a group, for want of one), in the sentence or, failing that,
    earlier in its paragraph."""
    order = (
        ("location", "person_of_concern", "group")
        if kind in ("CLOSURE_ORDER", "SEARCH_WARRANT")
        else (
            "person_of_concern",
            "group",
        )
    )
    for nearest in (True, False):
        for k in order:
            got = _people(x, u, k) if nearest else carried.get(k, [])
            if got:
                return got[0]
    return None


def _agency(x: Extraction) -> str:
    """Who referred, as far as the note says: the meeting that recorded it."""
    return {
        "MACE": "MACE",
        "LOG": "locality operational group",
        "CONTEXT_CONFERENCE": "context conference",
        "STRATEGY": "strategy meeting",
        "INTEL": "police",
        "RETURN_INTERVIEW": "return interview",
    }.get(x.note.meeting.kind, "not recorded")


def _moment(x: Extraction, text: str) -> str | None:
    """The first date of ``text``, with the time of day next to it when one is given."""
    got = _events(x, text)
    if not got:
        return None
    d: date = got[0].day
    t = _TIME.search(text[got[0].end : got[0].end + 20]) or _TIME.search(text[max(0, got[0].start - 15) : got[0].start])
    if t:
        hh, mm = (t.group(1), t.group(2)) if t.group(1) else (t.group(3), t.group(4))
        if int(hh) < 24 and int(mm) < 60:
            return f"{d.isoformat()}T{int(hh):02d}:{mm}"
    return d.isoformat()


def _episode(x: Extraction, units: list[Unit], child: Ent) -> Draft | None:
    """The missing episode a return interview is about: when the child went and came back, where
    they were found and with whom (the note's own links), and the interview itself."""
    went = back = None
    first: Unit | None = None
    episode_units: list[Unit] = []
    for u in units:
        if went is None and _MISSING.search(u.text):
            went = _moment(x, u.text[_MISSING.search(u.text).start() :]) or _moment(x, u.text)  # type: ignore[union-attr]
            if went is not None:
                first = u
                episode_units.append(u)
                b = _BACK.search(u.text)
                if b:
                    back = _moment(x, u.text[b.start() :])
        elif went is not None and back is None and _BACK.search(u.text) and u.line <= (first.line if first else 0) + 3:
            back = _moment(x, u.text[_BACK.search(u.text).start() :])  # type: ignore[union-attr]
            if back is not None:
                episode_units.append(u)
    if went is None or first is None:
        return None
    if back is not None and back < went:
        back = None
    fields: dict[str, Any] = {"interview_offered": True}
    if back:
        fields["returned"] = back
    day0 = _meeting_day(x)
    if day0 and day0 >= went[:10]:
        fields["interview_date"] = day0
    d = Draft("missing_episode", child, went, first, fields)
    found = [r["target"] for r in x.rels.values() if r["type"] == "FOUND_AT" and r["source"] is child]
    if found:
        d.named["found_at"] = found[:1]
    mates = [
        r["target"] if r["source"] is child else r["source"]
        for r in x.rels.values()
        if r["type"] == "MISSING_WITH" and child in (r["source"], r["target"])
    ]
    # and the other children named where the episode is told: "found ... with Nia"
    mates += [k for u in episode_units for k in _people(x, u, "child") if k is not child]
    if mates:
        d.named["with_children"] = list(dict.fromkeys(mates))
    reasons = [u.text for u in units if u.section is not None and _push_pull_section(x, u)]
    if reasons:
        fields["push_pull"] = " ".join(reasons)[:MOST_FREE].strip()
        codes = [c for c, rx in PUSH_PULL.items() if any(rx.search(r) for r in reasons)]
        if codes:
            fields["push_pull_codes"] = codes
    return d


def _push_pull_section(x: Extraction, u: Unit) -> bool:
    title = x.note.sections[u.section].title if u.section is not None and u.section < len(x.note.sections) else ""
    return bool(re.search(r"\bpush\b|\bpull\b|\breasons?\b|\bwhy\b", title, re.I)) and u.kind != "heading"
