"""Tracking records: what happens to a child, a place or a group over time — missing episodes
and return interviews, referrals, risk assessments on a pathway, plans and context conferences,
disruption activity and outcome reviews — as data.

Each kind of record names the kinds of entity it may be about, and its fields with their types;
the code lists its fields take are here too, or, for the pathway's levels and the outcome
benchmarks, in configuration (:mod:`contextgraph.settings`). Checking a record, the interchange
format, the stores, GraphQL and the documentation's tables all derive from these definitions.

>>> sorted(RECORD_KINDS)[:3]
['custody', 'disruption', 'investigation']
>>> sorted(RECORD_KINDS["disruption"].subjects)
['group', 'location', 'person_of_concern']
>>> pathway_levels()
('green', 'amber', 'red')
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from ..errors import BadInput
from ..settings import OUTCOME_BENCHMARKS, PATHWAY_LEVELS, SETTINGS

FieldType = Literal["date", "datetime", "text", "bool", "int", "code", "codes", "entity", "entities", "dates", "items"]


class TrackingError(BadInput):
    """A tracking record that does not fit its kind: the message names the record and the field."""


@dataclass(frozen=True)
class Field:
    """A field of a kind of record."""

    name: str
    type: FieldType
    description: str
    required: bool = False
    codes: str | None = None
    """For ``code`` and ``codes``: the name of the code list its values come from."""
    kinds: frozenset[str] = frozenset()
    """For ``entity`` and ``entities``: the kinds of entity it may name."""
    items: tuple[Field, ...] = ()
    """For ``items``: the fields of each item."""
    low: int | None = None
    high: int | None = None
    planned: bool = False
    """For ``date``: a date set for the future (when an action is due), which may be after today;
    every other date is of something that happened, so not after tomorrow."""
    free: bool = True
    """For ``text``: free text that may name people (left out for a reader of initials only), and
    may hold tabs and line breaks; False for a field that names an agency, a tool or a fixed
    question, and for the fields every record has (its id, source, author, locality, grading),
    which hold no control character at all."""
    itself: bool = False
    """For ``text``: tells records apart by how it reads (a record's id, its locality), so it must
    read as only itself (:func:`~contextgraph.quoted.shows_all`): a zero-width space or a
    Cyrillic letter would make another record, or a locality no one's token names, that reads as
    the one meant."""


@dataclass(frozen=True)
class RecordKind:
    """A kind of tracking record: what it may be about, and its own fields."""

    name: str
    description: str
    subjects: frozenset[str]
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def entity_fields(self) -> tuple[Field, ...]:
        """Its fields that name entities (``entity`` and ``entities``)."""
        got = _ENTITY_FIELDS.get(self.name)
        if got is None:
            got = _ENTITY_FIELDS[self.name] = tuple(f for f in self.fields if f.type in ("entity", "entities"))
        return got


_ENTITY_FIELDS: dict[str, tuple[Field, ...]] = {}


_CHILD = frozenset({"child"})
_CONTEXTS = frozenset({"group", "location", "school"})

CODE_LISTS: Final[dict[str, dict[str, str]]] = {
    "exploitation_type": {
        "CCE": "child criminal exploitation",
        "CSE": "child sexual exploitation",
        "COUNTY_LINES": "county lines drug supply",
        "MODERN_SLAVERY": "modern slavery and trafficking",
        "GANGS": "serious youth violence and gangs",
        "ONLINE": "online exploitation or abuse",
    },
    "referral_decision": {
        "accepted": "accepted by the receiving team",
        "rejected": "not accepted; the reason is recorded",
        "pending": "not yet decided",
    },
    "referral_reason": {
        "BELOW_THRESHOLD": "does not meet the threshold for the team",
        "NO_INDICATORS": "no indicators of exploitation found at screening",
        "OPEN_ELSEWHERE": "already open to another service, which holds the risk",
        "NO_CONSENT": "the child or family did not consent",
        "OUT_OF_AREA": "the child lives outside the area",
        "OTHER": "another reason, given in the text",
    },
    "disruption_result": {
        "SERVED": "notice or order served",
        "ARRESTED": "arrested",
        "CHARGED": "charged",
        "CONVICTED": "convicted",
        "BAIL_CONDITIONS": "bailed with conditions",
        "NO_FURTHER_ACTION": "no further action",
        "ONGOING": "still in progress",
        "OTHER": "another result, given in the outcome",
    },
    "push_pull": {
        "CONFLICT_AT_HOME": "conflict or arguments at home or in placement (push)",
        "BOREDOM": "nothing to do, nowhere to go (push)",
        "EDUCATION": "excluded, or trouble at school (push)",
        "MENTAL_HEALTH": "low mood, self-harm or distress (push)",
        "PEERS": "to be with friends or peers (pull)",
        "RELATIONSHIP": "to be with a boyfriend, girlfriend or older person (pull)",
        "DRUGS_ALCOHOL": "drugs or alcohol (pull)",
        "MONEY_GIFTS": "money, gifts, phones or clothes given (pull)",
        "EXPLOITATION": "told or made to go: running drugs, owing a debt (pull)",
        "FAMILY": "to see family or a former home (pull)",
        "NOT_SAID": "the child did not say",
    },
    "plan_kind": {
        "CHILD_PLAN": "a plan about one child (child in need, child protection, safety plan)",
        "PEER_GROUP_CONFERENCE": "a peer group context conference",
        "NEIGHBOURHOOD_CONFERENCE": "a neighbourhood (location) context conference",
        "SCHOOL_CONFERENCE": "a school context conference",
        "MACE_ACTION": "an action agreed at a MACE meeting",
    },
    "plan_status": {
        "open": "the plan is open",
        "closed": "the plan is closed",
    },
    "action_status": {
        "open": "not yet done",
        "done": "done",
        "overdue": "past its due date and not done",
        "dropped": "no longer needed",
    },
    "disruption_kind": {
        "CAWN": "Child Abduction Warning Notice served (in respect of a child)",
        "CLOSURE_ORDER": "closure order on premises",
        "ARREST": "arrest",
        "CHARGE": "charge",
        "CONVICTION": "conviction",
        "NRM_REFERRAL": "National Referral Mechanism referral for a child",
        "SEARCH_WARRANT": "search warrant executed",
        "STOP_SEARCH": "stop and search",
        "LICENSING": "licensing review or action against premises",
        "HOTEL_WATCH": "hotel or short-let partners alerted",
        "OTHER": "another disruption, described in the outcome",
    },
    "investigation_role": {
        "suspect": "the child is a suspect",
        "victim": "the child is a victim",
        "witness": "the child is a witness",
    },
    "respondent": {
        "child": "the child or young person",
        "parent": "a parent or carer",
        "professional": "a professional working with the child",
    },
    "stage": {
        "start": "at the start of work with the team",
        "mid": "midway",
        "end": "at the end",
    },
}
"""The fixed code lists, by name. The pathway's levels and the outcome benchmarks are configured
(:func:`code_list`)."""

DEFAULT_BENCHMARKS: Final = (
    "REDUCED_RISK",
    "REDUCED_MISSING",
    "SUSTAINED_EET",
    "TRUSTING_RELATIONSHIP",
    "STABLE_LIVING",
    "IMPROVED_WELLBEING",
    "ENGAGED_WITH_SERVICES",
    "POSITIVE_PEER_ACTIVITIES",
)
"""Outcome benchmarks when none are configured: reduced risk, reduced missing, sustained
education, employment or training, a trusting relationship, stability in living arrangements,
improved emotional well-being, engaged with services, positive peer network activities."""

RECORD_KINDS: Final[dict[str, RecordKind]] = {
    k.name: k
    for k in (
        RecordKind(
            "missing_episode",
            "a child reported missing from home or care, and the return interview after it; "
            "`date` is when they were reported missing",
            _CHILD,
            (
                Field("returned", "datetime", "when the child returned or was found (not before `date`)"),
                Field("found_at", "entity", "where the child was found", kinds=frozenset({"location"})),
                Field("with_children", "entities", "the children missing with them", kinds=_CHILD),
                Field("reported_by", "text", "who reported the child missing (a carer, a home, a parent)"),
                Field("out_of_area", "bool", "found outside the area"),
                Field("interview_offered", "bool", "a return interview was offered"),
                Field("interview_date", "date", "when the return interview was done"),
                Field("interview_by", "text", "the service that did the return interview", free=False),
                Field("interview_declined", "bool", "the child declined the return interview"),
                Field("push_pull", "text", "the reasons for going missing, in the child's words where given"),
                Field("push_pull_codes", "codes", "the reasons, coded", codes="push_pull"),
            ),
        ),
        RecordKind(
            "referral",
            "a referral of a child to the exploitation team (or another service) and its decision",
            _CHILD,
            (
                Field("source_agency", "text", "the agency that referred", required=True, free=False),
                Field("to_service", "text", "the service referred to (a service code, or a team's name)", free=False),
                Field("exploitation_types", "codes", "the exploitation of concern", codes="exploitation_type"),
                Field("decision", "code", "the decision", required=True, codes="referral_decision"),
                Field("decision_date", "date", "when it was decided"),
                Field("reason", "text", "why it was not accepted, in words (needed when rejected)"),
                Field(
                    "reason_code",
                    "code",
                    "why it was not accepted, coded (what reports count)",
                    codes="referral_reason",
                ),
            ),
        ),
        RecordKind(
            "risk_assessment",
            "a child's level on the risk pathway, as assessed on `date`; steps up and down are "
            "read from the history, never recorded",
            _CHILD,
            (
                Field("level", "code", "the level on the pathway", required=True, codes="pathway_level"),
                Field("assessed_by", "text", "who assessed it (a person, a panel, a screening tool)"),
                Field("tool", "text", "the screening tool, if one was used", free=False),
            ),
        ),
        RecordKind(
            "plan",
            "a plan about a child, or about a context — a peer group, a place or a school — with its "
            "agreed actions and reviews; a context conference or a MACE action is a plan too",
            _CHILD | _CONTEXTS,
            (
                Field("plan_kind", "code", "the kind of plan or conference", required=True, codes="plan_kind"),
                Field("status", "code", "open or closed", codes="plan_status"),
                Field("closed", "date", "when it closed"),
                Field("reviews", "dates", "review dates"),
                Field(
                    "actions",
                    "items",
                    "the actions agreed",
                    items=(
                        Field("action", "text", "what is to be done", required=True),
                        Field("owner", "text", "the agency that owns it", required=True, free=False),
                        Field("due", "date", "when it is due", planned=True),
                        Field("status", "code", "its status", codes="action_status"),
                    ),
                ),
            ),
        ),
        RecordKind(
            "disruption",
            "disruption activity against a person of concern, a place or a group, and its outcome",
            frozenset({"person_of_concern", "location", "group"}),
            (
                Field("disruption_kind", "code", "what was done", required=True, codes="disruption_kind"),
                Field("children", "entities", "the children it was in respect of (a CAWN's child)", kinds=_CHILD),
                Field("by", "text", "the agency that did it", free=False),
                Field("outcome", "text", "what came of it"),
                Field("result", "code", "what came of it, coded (what reports count)", codes="disruption_result"),
            ),
        ),
        RecordKind(
            "outcome_review",
            "a child's outcomes when they leave the tracker, against the benchmarks, and the scores "
            "given on 0-10 questions by the child, their parent or carer and professionals",
            _CHILD,
            (
                Field("benchmarks", "codes", "the benchmarks met", codes="outcome_benchmark"),
                Field("left", "bool", "the child left the tracker (stepped out)"),
                Field(
                    "scores",
                    "items",
                    "answers to 0-10 questions",
                    items=(
                        Field("respondent", "code", "who answered", required=True, codes="respondent"),
                        Field("stage", "code", "when", required=True, codes="stage"),
                        Field(
                            "question", "text", "the question, e.g. How safe do you feel?", required=True, free=False
                        ),
                        Field("score", "int", "the answer, 0-10", required=True, low=0, high=10),
                    ),
                ),
            ),
        ),
        RecordKind(
            "service_episode",
            "a child open to a service from `date` until `closed`: the history behind OPEN_TO",
            _CHILD,
            (
                Field("service_code", "code", "the service", required=True, codes="service"),
                Field("closed", "date", "when the child was closed to it"),
                Field("reason", "text", "why it opened or closed"),
            ),
        ),
        RecordKind(
            "custody",
            "a child brought into police custody on `date` (a custody record), and when they left",
            _CHILD,
            (
                Field("released", "datetime", "when the child left custody (not before `date`)"),
                Field("offence", "text", "what the child was held for"),
                Field("outcome", "text", "what came of it (released under investigation, charged...)"),
            ),
        ),
        RecordKind(
            "investigation",
            "a crime investigation opened on `date` in which the child is a suspect, a victim or a witness",
            _CHILD,
            (
                Field("role", "code", "the child's part in it", required=True, codes="investigation_role"),
                Field("offence", "text", "the offence investigated", free=False),
                Field("crime_ref", "text", "the crime reference", free=False),
            ),
        ),
    )
}
"""The kinds of tracking record, by name."""

COMMON_FIELDS: Final[tuple[Field, ...]] = (
    Field(
        "id",
        "text",
        "the record's id, unique in the store (a repeated id replaces the record)",
        required=True,
        free=False,
        itself=True,
    ),
    Field("record", "code", "the kind of record", required=True),
    Field("subject", "entity", "the entity it is about", required=True),
    Field("date", "datetime", "when it happened (a date, or a date and time)", required=True),
    Field("locality", "text", "the locality it was recorded in", free=False, itself=True),
    Field("source", "text", "the note or form it was recorded from", required=True, free=False),
    Field("recorded_by", "text", "who recorded it", required=True, free=False),
    Field("grading", "text", "its intelligence grading, where it is intelligence (3x5x2)", free=False),
)
"""The fields every tracking record has."""


def _configured(name: str, default: Sequence[str]) -> tuple[str, ...]:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return tuple(default)
    got = tuple(x.strip() for x in raw.split(",") if x.strip())
    if not got:
        raise BadInput(f"{name}: no values in {raw!r} (a comma-separated list)")
    twice = sorted({x for x in got if got.count(x) > 1})
    if twice:
        raise BadInput(f"{name}: {', '.join(map(repr, twice))} given more than once in {raw!r}; give each value once")
    return got


def pathway_levels() -> tuple[str, ...]:
    """The risk pathway's levels, lowest first (``CONTEXTGRAPH_PATHWAY_LEVELS``).

    >>> pathway_levels()
    ('green', 'amber', 'red')
    """
    return _configured(PATHWAY_LEVELS, SETTINGS[PATHWAY_LEVELS].default.split(","))


def outcome_benchmarks() -> tuple[str, ...]:
    """The outcome benchmarks a review is recorded against (``CONTEXTGRAPH_OUTCOME_BENCHMARKS``)."""
    return _configured(OUTCOME_BENCHMARKS, DEFAULT_BENCHMARKS)


def code_list(name: str) -> tuple[str, ...]:
    """The codes of a list, fixed or configured.

    >>> code_list("referral_decision")
    ('accepted', 'rejected', 'pending')
    """
    if name == "pathway_level":
        return pathway_levels()
    if name == "outcome_benchmark":
        return outcome_benchmarks()
    if name == "service":
        from .vocabulary import SERVICES

        return tuple(SERVICES)
    return tuple(CODE_LISTS[name])


_CODES: dict[tuple[str, str, str], frozenset[str]] = {}
_FIXED: dict[str, frozenset[str]] = {name: frozenset(codes) for name, codes in CODE_LISTS.items()}


def codes_of(name: str) -> frozenset[str]:
    """:func:`code_list` as a set, kept for as long as the configuration is the same."""
    fixed = _FIXED.get(name)
    if fixed is not None:
        return fixed
    key = (name, os.environ.get(PATHWAY_LEVELS, ""), os.environ.get(OUTCOME_BENCHMARKS, ""))
    got = _CODES.get(key)
    if got is None:
        got = _CODES[key] = frozenset(code_list(name))
    return got
