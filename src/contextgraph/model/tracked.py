"""A tracking record (:mod:`.tracking` defines its kinds and fields), checked field by field as
it is read, and the checks across its fields."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Final

from ..quoted import plain, shows_all
from .grading import GradingError, handling_code, normalise_grading
from .records import DayOutOfRange, check_day, parse_date, shown_refs
from .tracking import COMMON_FIELDS, RECORD_KINDS, Field, RecordKind, TrackingError, code_list, codes_of

_COMMON = frozenset(f.name for f in COMMON_FIELDS)
_ALLOWED = {k.name: _COMMON | {f.name for f in k.fields} for k in RECORD_KINDS.values()}
_ENTITY_FIELDS = {k.name: k.entity_fields for k in RECORD_KINDS.values()}


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
        """Every entity it names: its subject first, then those its fields name (worked out once:
        an import asks for it when it checks, logs and writes a record)."""
        got: tuple[str, ...] | None = self.__dict__.get("_involves")
        if got is None:
            got = self.__dict__["_involves"] = tuple(dict.fromkeys(e for _, e, _ in self.named()))
        return got

    def named(self) -> tuple[tuple[str, str, frozenset[str]], ...]:
        """(field, entity id, kinds allowed) for each entity it names, its subject first (worked
        out once, kept beside the fields without a lock, as :func:`functools.cached_property`
        takes one in this Python: a large import asks it of every record)."""
        got: tuple[tuple[str, str, frozenset[str]], ...] | None = self.__dict__.get("_named")
        if got is None:
            got = self.__dict__["_named"] = self._name_them()
        return got

    def _name_them(self) -> tuple[tuple[str, str, frozenset[str]], ...]:
        kind = RECORD_KINDS[self.record]
        out = [("subject", self.subject, kind.subjects)]
        fields = self.fields
        for f in _ENTITY_FIELDS[self.record]:
            value = fields.get(f.name)
            if not value:
                continue
            if f.type == "entity":
                out.append((f.name, value, f.kinds))
            else:
                out.extend((f.name, v, f.kinds) for v in value)
        return tuple(out)

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
        """This record without its text, which may name people (for a reader who sees people by
        initials only): free text, and the short texts meant for an agency's name too, since
        nothing stops a writer from putting a child's name and address there. Codes, dates,
        numbers and the entities named (each shown as that reader sees it) stay.

        >>> t = Tracked("m", "missing_episode", "c", "2025-01-01", "f", "u",
        ...             fields={"push_pull": "with Tom Hill", "interview_by": "YJS", "out_of_area": True})
        >>> t.without_text().fields
        {'out_of_area': True}
        """

        def kept(fields: tuple[Field, ...], values: Mapping[str, Any]) -> dict[str, Any]:
            out = {}
            for f in fields:
                if f.name not in values or f.type == "text":
                    continue
                v = values[f.name]
                out[f.name] = [kept(f.items, item) for item in v] if f.type == "items" else v
            return out

        return replace(self, fields=kept(self.kind.fields, self.fields))

    def for_initials(self, notes: Container[str]) -> Tracked:
        """This record as a view showing people by initials gives it: without its text
        (:meth:`without_text`), and its source withheld unless it is a recorded note's ref
        (``notes``), since a form's file name or ref can name a child.

        >>> t = Tracked("m", "missing_episode", "c", "2025-01-01", "rhi-Zoe-Ahmed.pdf", "u")
        >>> t.for_initials(set()).source, t.for_initials({"rhi-Zoe-Ahmed.pdf"}).source
        ("(withheld: a record's ref can name a child)", 'rhi-Zoe-Ahmed.pdf')
        """
        return replace(self.without_text(), source=shown_refs([self.source], notes)[0])

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
    def made(
        cls,
        id: str,
        record: str,
        subject: str,
        date: str,
        source: str,
        recorded_by: str,
        locality: str | None,
        grading: str | None,
        fields: Mapping[str, Any],
    ) -> Tracked:
        """A record of values already checked (read back from a store, or by the quick reader),
        made without the frozen dataclass's ``__init__``, which sets each field through
        ``object.__setattr__`` and was most of the time of reading a stored record.

        >>> Tracked.made("r", "referral", "c", "2025-01-02", "f", "u", None, None, {}) == Tracked(
        ...     "r", "referral", "c", "2025-01-02", "f", "u")
        True
        """
        t = object.__new__(cls)
        t.__dict__.update(
            id=id,
            record=record,
            subject=subject,
            date=date,
            source=source,
            recorded_by=recorded_by,
            locality=locality,
            grading=grading,
            fields=fields,
        )
        return t

    @classmethod
    def from_stored(cls, obj: Mapping[str, Any]) -> Tracked:
        """A record as a store gave it back (checked when it was written, so not checked again:
        a level no longer configured is still read)."""
        own = {k: v for k, v in obj.items() if k not in _COMMON}
        g = obj.get
        return cls.made(
            obj["id"],
            obj["record"],
            obj["subject"],
            obj["date"],
            obj["source"],
            obj["recorded_by"],
            g("locality"),
            g("grading"),
            own,
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


MOST_FREE: Final = 2_000
"""The longest free text of a tracking record (a push and pull, what was said): as a saved view's note."""
MOST_SHORT: Final = 200
"""The longest short text (an agency's name, a source, who recorded it); an id and a locality are
held to their own rules (an id a writer gives grows by their locality's namespace)."""


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
        if not value.isprintable():
            plain(value, _at(where, name), t == "text" and f.free, TrackingError)
        value = value.strip()
        if t == "text" and not f.itself and len(value) > (most := MOST_FREE if f.free else MOST_SHORT):
            raise TrackingError(f"{_at(where, name)}: {len(value):,} characters, more than {most:,}")
        if f.itself and not value.isascii():
            shows_all(value, _at(where, name), TrackingError, composed=True)
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
        try:
            got = parse_date(value, f.planned)  # checked, and kept for the next time, as an entity's dates are
        except DayOutOfRange as exc:
            raise TrackingError(f"{_at(where, name)}: {exc}") from None
        except ValueError:
            got = None
        if got is None:
            raise TrackingError(f"{_at(where, name)}: {value!r} is not a date (YYYY-MM-DD)")
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


_MOMENTS: dict[str, str] = {}
_MOMENT = Field("date", "datetime", "")
_DAY = Field("date", "date", "")


def moment(value: str) -> str:
    """A date, or a date and time, as a record keeps it (raises :class:`TrackingError`).

    >>> moment("2025-02-01T21:30:00"), moment("2025-02-01"), moment("2025-06-01T10:00+01:00")
    ('2025-02-01T21:30', '2025-02-01', '2025-06-01T09:00')
    """
    got = _MOMENTS.get(value) if type(value) is str else None  # most are met before
    return got if got is not None else str(_check(_MOMENT, value, "value"))


def day_of(value: str) -> str:
    """A date as a record keeps it (raises :class:`TrackingError`)."""
    return str(_check(_DAY, value, "value"))


def _at(where: str, name: str | None) -> str:
    return where if name is None else f"{where}: field {name!r}"


def _datetime(value: Any, where: str) -> str:
    """A date (``YYYY-MM-DD``) or a date and time (``YYYY-MM-DDTHH:MM[:SS]``), as given but checked;
    of something that happened, so not after tomorrow (see :func:`~contextgraph.model.parse_date`)."""
    if not isinstance(value, str):
        raise TrackingError(f"{where}: expected a date or a date and time")
    try:
        if len(value) == 16 and value[10] == "T" and value[4] == value[7] == "-" and value[13] == ":":
            got, out = datetime.fromisoformat(value), value  # already as a record keeps it
        elif len(value) == 10:
            got = datetime.fromisoformat(value)
            out = got.date().isoformat()
        else:
            got = datetime.fromisoformat(value)
            if got.tzinfo is not None:  # kept in UTC, so that two times compare as they happened
                got = got.astimezone(UTC).replace(tzinfo=None)
            out = got.isoformat(timespec="minutes")
    except ValueError:
        raise TrackingError(
            f"{where}: {value!r} is not a date (YYYY-MM-DD) or date and time (YYYY-MM-DDTHH:MM)"
        ) from None
    _happened(got.date(), value, where)
    return out


def _happened(d: date, value: str, where: str) -> None:
    try:
        check_day(d, value)
    except DayOutOfRange as exc:
        raise TrackingError(f"{where}: {exc}") from None


def check_rules(t: Tracked, where: str) -> None:
    """The checks across fields."""
    f = t.fields
    if t.record == "missing_episode":
        back = f.get("returned")
        if back is not None and sortable(back) < sortable(t.date):
            raise TrackingError(
                f"{where}: field 'returned': {back} is before the child was reported missing ({t.date})"
            )
        if f.get("interview_date") and f["interview_date"] < t.day:
            raise TrackingError(f"{where}: field 'interview_date': before the episode began ({t.day})")
        if t.subject in f.get("with_children", ()):
            raise TrackingError(f"{where}: field 'with_children': names the child the episode is about")
    if t.record == "custody" and f.get("released") and sortable(f["released"]) < sortable(t.date):
        raise TrackingError(f"{where}: field 'released': {f['released']} is before the child was held ({t.date})")
    if t.record == "referral" and f.get("decision") == "rejected" and not f.get("reason"):
        raise TrackingError(f"{where}: field 'reason' is required when a referral is rejected")
    if t.record == "plan" and f.get("closed") and f["closed"] < t.day:
        raise TrackingError(f"{where}: field 'closed': before the plan opened ({t.day})")
    if t.record == "service_episode" and f.get("closed") and f["closed"] < t.day:
        raise TrackingError(f"{where}: field 'closed': before the service opened ({t.day})")


def sortable(value: str) -> str:
    """A record's date as it sorts among dates and times (a bare date first in its day).

    >>> sortable("2025-01-02") < sortable("2025-01-02T08:00")
    True
    """
    return value if len(value) > 10 else value + "T00:00"
