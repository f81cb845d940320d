"""Tracking records: what happens to a child, a place or a group over time — missing episodes
and return interviews, referrals, risk assessments on a pathway, plans and context conferences,
disruption activity and outcome reviews — as data.

Each kind of record names the kinds of entity it may be about, and its fields with their types;
the code lists its fields take are here too, or, for the pathway's levels and the outcome
benchmarks, in configuration (:mod:`contextgraph.settings`). Checking a record, the interchange
format, the stores, GraphQL and the documentation's tables all derive from these definitions.

>>> sorted(RECORD_KINDS)[:3]
['disruption', 'missing_episode', 'outcome_review']
>>> sorted(RECORD_KINDS["disruption"].subjects)
['group', 'location', 'person_of_concern']
>>> pathway_levels()
('green', 'amber', 'red')
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Final, Literal

from ..errors import BadInput
from ..settings import OUTCOME_BENCHMARKS, PATHWAY_LEVELS, SETTINGS
from .grading import GradingError, handling_code, normalise_grading

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
    free: bool = True
    """For ``text``: free text that may name people (left out for a reader of initials only);
    False for a field that names an agency, a tool or a fixed question."""


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
                Field("reason", "text", "why it was not accepted (needed when rejected)"),
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
                        Field("due", "date", "when it is due"),
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
    )
}
"""The kinds of tracking record, by name."""

COMMON_FIELDS: Final[tuple[Field, ...]] = (
    Field("id", "text", "the record's id, unique in the store (a repeated id replaces the record)", required=True),
    Field("record", "code", "the kind of record", required=True),
    Field("subject", "entity", "the entity it is about", required=True),
    Field("date", "datetime", "when it happened (a date, or a date and time)", required=True),
    Field("locality", "text", "the locality it was recorded in"),
    Field("source", "text", "the note or form it was recorded from", required=True),
    Field("recorded_by", "text", "who recorded it", required=True),
    Field("grading", "text", "its intelligence grading, where it is intelligence (3x5x2)"),
)
"""The fields every tracking record has."""

_COMMON = frozenset(f.name for f in COMMON_FIELDS)
_ALLOWED = {k.name: _COMMON | {f.name for f in k.fields} for k in RECORD_KINDS.values()}


def _configured(name: str, default: Sequence[str]) -> tuple[str, ...]:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return tuple(default)
    got = tuple(x.strip() for x in raw.split(",") if x.strip())
    if not got:
        raise BadInput(f"{name}: no values in {raw!r} (a comma-separated list)")
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


@dataclass(frozen=True)
class Tracked:
    """A tracking record: its kind, the entity it is about, when, where it came from, and the
    kind's own fields (checked).

    >>> t = Tracked.from_json({"id": "r1", "record": "referral", "subject": "c1", "date": "2025-01-02",
    ...     "source": "form-9", "recorded_by": "ana", "source_agency": "school", "decision": "pending"})
    >>> t.day, t.fields["decision"], t.involves
    ('2025-01-02', 'pending', ('c1',))
    """

    id: str
    record: str
    subject: str
    date: str
    source: str
    recorded_by: str
    locality: str | None = None
    grading: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> RecordKind:
        return RECORD_KINDS[self.record]

    @property
    def day(self) -> str:
        """The date part of :attr:`date`."""
        return self.date[:10]

    @property
    def handling(self) -> str:
        """The handling code its grading puts it under (P when ungraded)."""
        return handling_code(self.grading)

    @property
    def involves(self) -> tuple[str, ...]:
        """Every entity it names: its subject first, then those its fields name."""
        return tuple(dict.fromkeys(e for _, e, _ in self.named()))

    def named(self) -> list[tuple[str, str, frozenset[str]]]:
        """(field, entity id, kinds allowed) for each entity it names, its subject first."""
        out = [("subject", self.subject, RECORD_KINDS[self.record].subjects)]
        fields = self.fields
        for f in RECORD_KINDS[self.record].entity_fields:
            value = fields.get(f.name)
            if not value:
                continue
            if f.type == "entity":
                out.append((f.name, value, f.kinds))
            else:
                out.extend((f.name, v, f.kinds) for v in value)
        return out

    def without(self, ids: Iterable[str]) -> Tracked:
        """This record with ``ids`` taken out of the fields that name other entities (an erasure)."""
        gone = set(ids)
        fields = dict(self.fields)
        for f in self.kind.fields:
            value = fields.get(f.name)
            if f.type == "entity" and value in gone:
                del fields[f.name]
            elif f.type == "entities" and value:
                fields[f.name] = [v for v in value if v not in gone]
        return replace(self, fields=fields)

    def renamed(self, new: Callable[[str], str]) -> Tracked:
        """This record with each entity it names given by ``new`` (a writer's ids namespaced)."""
        fields = dict(self.fields)
        for f in self.kind.fields:
            value = fields.get(f.name)
            if f.type == "entity" and value:
                fields[f.name] = new(value)
            elif f.type == "entities" and value:
                fields[f.name] = [new(v) for v in value]
        return replace(self, subject=new(self.subject), fields=fields)

    def without_text(self) -> Tracked:
        """This record without its free text, which may name people (for a reader who sees
        people by initials only).

        >>> t = Tracked("m", "missing_episode", "c", "2025-01-01", "f", "u",
        ...             fields={"push_pull": "with Tom Hill", "interview_by": "YJS"})
        >>> t.without_text().fields
        {'interview_by': 'YJS'}
        """

        def kept(fields: tuple[Field, ...], values: Mapping[str, Any]) -> dict[str, Any]:
            out = {}
            for f in fields:
                if f.name not in values or (f.type == "text" and f.free):
                    continue
                v = values[f.name]
                out[f.name] = [kept(f.items, item) for item in v] if f.type == "items" else v
            return out

        return replace(self, fields=kept(self.kind.fields, self.fields))

    def to_json(self) -> dict[str, Any]:
        """The record as one line of ``tracking.jsonl``: the common fields, then its own."""
        out: dict[str, Any] = {
            "id": self.id,
            "record": self.record,
            "subject": self.subject,
            "date": self.date,
            "source": self.source,
            "recorded_by": self.recorded_by,
        }
        if self.locality:
            out["locality"] = self.locality
        if self.grading:
            out["grading"] = self.grading
        out.update(self.fields)
        return out

    @classmethod
    def from_stored(cls, obj: Mapping[str, Any]) -> Tracked:
        """A record as a store gave it back (checked when it was written, so not checked again:
        a level no longer configured is still read)."""
        own = {k: v for k, v in obj.items() if k not in _COMMON}
        return cls(
            id=obj["id"],
            record=obj["record"],
            subject=obj["subject"],
            date=obj["date"],
            source=obj["source"],
            recorded_by=obj["recorded_by"],
            locality=obj.get("locality"),
            grading=obj.get("grading"),
            fields=own,
        )

    @classmethod
    def from_json(cls, obj: Any, where: str = "record") -> Tracked:
        """A record read and checked; a :class:`TrackingError` names ``where`` and the field."""
        if not isinstance(obj, dict):
            raise TrackingError(f"{where}: expected a JSON object")
        kind_name = obj.get("record")
        if not isinstance(kind_name, str) or kind_name not in RECORD_KINDS:
            known = ", ".join(RECORD_KINDS)
            raise TrackingError(f"{where}: field 'record': {kind_name!r} is not a kind of record ({known})")
        kind = RECORD_KINDS[kind_name]
        common: dict[str, Any] = {}
        for f in COMMON_FIELDS:
            if f.name == "record":
                continue
            value = obj.get(f.name)
            if value in (None, ""):
                if f.required:
                    raise TrackingError(f"{where}: field {f.name!r} is required")
                continue
            common[f.name] = _check(f, value, where, f.name)
        if "grading" in common:
            try:
                common["grading"] = normalise_grading(common["grading"])
            except GradingError as e:
                raise TrackingError(f"{where}: field 'grading': {e}") from None
        unknown = sorted(obj.keys() - _ALLOWED[kind.name])
        if unknown:
            raise TrackingError(f"{where}: {kind.name} has no field {unknown[0]!r}")
        own = {}
        for f in kind.fields:
            value = obj.get(f.name)
            if value is None or value == "" or value == []:
                if f.required:
                    raise TrackingError(f"{where}: field {f.name!r} is required for a {kind.name}")
                continue
            own[f.name] = _check(f, value, where, f.name)
        t = cls(record=kind.name, fields=own, **common)
        check_rules(t, where)
        return t


class _Items(dict[Field, Field]):
    """The field of one item of a list field, made once for each list field."""

    def __missing__(self, f: Field) -> Field:
        one = {"codes": "code", "entities": "entity", "dates": "date"}[f.type]
        got = self[f] = Field(f.name, one, "", codes=f.codes)  # type: ignore[arg-type]
        return got


_ONE = _Items()


def _check(f: Field, value: Any, where: str, name: str | None = None) -> Any:
    """``value`` checked as field ``f`` and normalised; an error names ``where`` and the field
    ``name`` (the message is made only when there is an error)."""
    t = f.type
    if t in ("text", "entity", "code"):
        if type(value) is not str or not value.strip():
            raise TrackingError(f"{_at(where, name)}: expected text")
        if "\x00" in value:
            raise TrackingError(f"{_at(where, name)}: holds a NUL character")
        value = value.strip()
        if t == "code" and f.codes is not None and value not in codes_of(f.codes):
            raise TrackingError(f"{_at(where, name)}: {value!r} is not one of {', '.join(code_list(f.codes))}")
        return value
    if t in ("codes", "entities", "dates"):
        if not isinstance(value, list):
            raise TrackingError(f"{_at(where, name)}: expected a list")
        one = _ONE[f]
        return list(dict.fromkeys(_check(one, v, where, name) for v in value))
    if t == "bool":
        if not isinstance(value, bool):
            raise TrackingError(f"{_at(where, name)}: expected true or false")
        return value
    if t == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise TrackingError(f"{_at(where, name)}: expected a whole number")
        if (f.low is not None and value < f.low) or (f.high is not None and value > f.high):
            raise TrackingError(f"{_at(where, name)}: {value} is outside {f.low}-{f.high}")
        return value
    if t == "date":
        got = _DAYS.get(value) if type(value) is str else None
        if got is not None:
            return got
        if not isinstance(value, str):
            raise TrackingError(f"{_at(where, name)}: expected a date (YYYY-MM-DD)")
        try:
            got = date.fromisoformat(value).isoformat()
        except ValueError:
            raise TrackingError(f"{_at(where, name)}: {value!r} is not a date (YYYY-MM-DD)") from None
        if len(_DAYS) < 100_000:
            _DAYS[value] = got
        return got
    if t == "datetime":
        got = _MOMENTS.get(value) if type(value) is str else None
        if got is None:
            got = _datetime(value, _at(where, name))
            if len(_MOMENTS) < 100_000:
                _MOMENTS[value] = got
        return got
    if t == "items":
        where = _at(where, name)
        if not isinstance(value, list):
            raise TrackingError(f"{where}: expected a list of objects")
        out = []
        for i, item in enumerate(value, 1):
            if not isinstance(item, dict):
                raise TrackingError(f"{where}, item {i}: expected an object")
            unknown = sorted(set(item) - {g.name for g in f.items})
            if unknown:
                raise TrackingError(f"{where}, item {i}: no field {unknown[0]!r}")
            got_item = {}
            for g in f.items:
                v = item.get(g.name)
                if v is None or v == "":
                    if g.required:
                        raise TrackingError(f"{where}, item {i}: field {g.name!r} is required")
                    continue
                got_item[g.name] = _check(g, v, f"{where}, item {i}, field {g.name!r}")
            out.append(got_item)
        return out
    raise AssertionError(t)


_DAYS: dict[str, str] = {}
_MOMENTS: dict[str, str] = {}
_MOMENT = Field("date", "datetime", "")
_DAY = Field("date", "date", "")


def moment(value: str) -> str:
    """A date, or a date and time, as a record keeps it (raises :class:`TrackingError`).

    >>> moment("2025-02-01T21:30:00"), moment("2025-02-01"), moment("2025-06-01T10:00+01:00")
    ('2025-02-01T21:30', '2025-02-01', '2025-06-01T09:00')
    """
    return str(_check(_MOMENT, value, "value"))


def day_of(value: str) -> str:
    """A date as a record keeps it (raises :class:`TrackingError`)."""
    return str(_check(_DAY, value, "value"))


def _at(where: str, name: str | None) -> str:
    return where if name is None else f"{where}: field {name!r}"


def _datetime(value: Any, where: str) -> str:
    """A date (``YYYY-MM-DD``) or a date and time (``YYYY-MM-DDTHH:MM[:SS]``), as given but checked."""
    if not isinstance(value, str):
        raise TrackingError(f"{where}: expected a date or a date and time")
    try:
        if len(value) == 10:
            return date.fromisoformat(value).isoformat()
        got = datetime.fromisoformat(value)
    except ValueError:
        raise TrackingError(
            f"{where}: {value!r} is not a date (YYYY-MM-DD) or date and time (YYYY-MM-DDTHH:MM)"
        ) from None
    if got.tzinfo is not None:  # kept in UTC, so that two times compare as they happened
        got = got.astimezone(UTC).replace(tzinfo=None)
    return got.isoformat(timespec="minutes")


def check_rules(t: Tracked, where: str) -> None:
    """The checks across fields."""
    f = t.fields
    if t.record == "missing_episode":
        back = f.get("returned")
        if back is not None and _sortable(back) < _sortable(t.date):
            raise TrackingError(
                f"{where}: field 'returned': {back} is before the child was reported missing ({t.date})"
            )
        if f.get("interview_date") and f["interview_date"] < t.day:
            raise TrackingError(f"{where}: field 'interview_date': before the episode began ({t.day})")
        if t.subject in f.get("with_children", ()):
            raise TrackingError(f"{where}: field 'with_children': names the child the episode is about")
    if t.record == "referral" and f.get("decision") == "rejected" and not f.get("reason"):
        raise TrackingError(f"{where}: field 'reason' is required when a referral is rejected")
    if t.record == "plan" and f.get("closed") and f["closed"] < t.day:
        raise TrackingError(f"{where}: field 'closed': before the plan opened ({t.day})")
    if t.record == "service_episode" and f.get("closed") and f["closed"] < t.day:
        raise TrackingError(f"{where}: field 'closed': before the service opened ({t.day})")


def _sortable(value: str) -> str:
    return value if len(value) > 10 else value + "T00:00"


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
    return sorted(records, key=lambda t: (_sortable(t.date), t.record, t.id))


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
        return f"referred{to} by {f['source_agency']} for {types}: {said}{why}"
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
    return t.record
