"""Reading the interchange format: ``entities.jsonl``, ``relationships.jsonl``, ``judgements.jsonl``
and ``tracking.jsonl``.

Reading checks every line against the vocabulary before anything is written, and names the file
and line of the first problems it finds; :func:`apply_batch` writes what was read. Writing the
same files is :mod:`.export`'s.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..limits import MOST_SAID
from ..localities import Localities
from ..model import (
    KINDS,
    REL_TYPES,
    SERVICES,
    Assertion,
    Entity,
    GradingError,
    Relationship,
    demographics,
    handling_code,
    normalise_grading,
    parse_date,
)
from ..model.tracked import Tracked
from ..quoted import ControlCharacter, plain, shows_all
from ..store.errors import StoreError
from ..store.staged import StagedRelationships, StagedTracking
from ..store.types import Judgement
from . import staged_links, tracking_lines, typed
from .lines import (
    ENTITIES_FILE,
    JUDGEMENTS_FILE,
    MAX_PROBLEMS,
    RELATIONSHIPS_FILE,
    TRACKING_FILE,
    InputError,
    RefusedEntity,
    ask_kinds,
    check_links,
    json_depth,
    json_lines,
    records,
    unchanged,
    unknown_locality,
)
from .second import SecondProcess

if TYPE_CHECKING:
    from ..store import Store, WriteSummary

__all__ = [
    "ENTITIES_FILE",
    "JUDGEMENTS_FILE",
    "MAX_PROBLEMS",
    "RELATIONSHIPS_FILE",
    "TRACKING_FILE",
    "Batch",
    "InputError",
    "apply_batch",
    "read_folder",
]

_ENTITY_FIELDS = {"id", "kind", "name", "aliases", "dob", "locality", "lat", "lon", "properties"}
_ENTITY_FACT_FIELDS = {"sources", "source_ref", "date", "first_seen", "last_seen", "grading", "handling", "open"}
_REL_FIELDS = {"type", "source", "target", "date", "source_ref", "grading", "properties"}


@dataclass
class Batch:
    """Entities and relationships read from one folder, checked and ready to write."""

    entities: list[Entity] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)
    judgements: list[Judgement] = field(default_factory=list)
    tracking: list[Tracked] = field(default_factory=list)
    where: dict[str, str] = field(default_factory=dict)
    """Each tracking record's file and line, by id."""
    staged: StagedTracking | None = None
    """The tracking records instead, when a second process read them (``read_folder(stage=True)``)."""
    links: StagedRelationships | None = None
    """The relationships instead, when a second process read them (``read_folder(stage_links=True)``)."""

    def facts(self) -> Sequence[Relationship] | StagedRelationships:
        """The relationships to write: read here, or staged."""
        return self.links if self.links is not None else self.relationships

    def stop(self) -> None:
        """End the second processes still staging what was read (once it is written, or the
        write has failed): before their staging folder is removed."""
        for staged in (self.links, self.staged):
            if staged is not None:
                staged.stop()


def _opt_str(d: dict[str, Any], key: str) -> str | None:
    v = d.get(key)
    if v is None:
        return None
    if not isinstance(v, str):
        raise ValueError(f"field '{key}' must be a string or null, not {type(v).__name__}")
    return plain(v, f"field {key!r}")


def _req_str(d: dict[str, Any], key: str) -> str:
    v = d.get(key)
    if not isinstance(v, str) or not v.strip():
        raise ValueError(f"field '{key}' is required and must be a non-empty string")
    return plain(v, f"field {key!r}").strip()


def _plain_properties(props: dict[str, Any]) -> dict[str, Any]:
    """``props`` when no key holds a control character and no value (text, or a list's text) one
    but a tab or a line break (a value may be free text); else :class:`ControlCharacter`.

    >>> _plain_properties({"note": "seen at\\n10:30", "types": ["CCE"]})
    {'note': 'seen at\\n10:30', 'types': ['CCE']}
    >>> try:
    ...     _plain_properties({"nick": "Benno\\x1b[2J"})
    ... except ControlCharacter as e:
    ...     print(str(e).split(": free")[0])
    field 'properties': 'nick': holds a control character (\\x1b)
    """
    for k, v in props.items():
        plain(k, "field 'properties': a key")
        _plain_value(v, f"field 'properties': {k!r}")
    return props


def _plain_value(v: Any, what: str) -> None:
    """A property's value, and every key and value nested in it, as :func:`_plain_properties` holds."""
    if isinstance(v, str):
        plain(v, what, free=True)
    elif isinstance(v, list):
        for x in v:
            _plain_value(x, what)
    elif isinstance(v, dict):
        for k, x in v.items():
            plain(k, f"{what}: a key")
            _plain_value(x, what)


def _coordinate(d: dict[str, Any], key: str, limit: float) -> float | None:
    v = d.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float) or math.isnan(v) or abs(v) > limit:
        raise ValueError(f"field '{key}' must be a number within ±{limit:g} or null")
    return float(v)


def _date(d: dict[str, Any], key: str) -> str | None:
    """The date of the field ``key``; a problem names the field.

    >>> _date({"dob": "31/31/2010"}, "dob")
    Traceback (most recent call last):
    ...
    ValueError: field 'dob': not a date: '31/31/2010' (expected YYYY-MM-DD)
    """
    try:
        return parse_date(d.get(key))
    except ValueError as exc:
        raise ValueError(f"field {key!r}: {exc}") from None


def entity_from_json(d: Any) -> Entity:
    """Check one entity object and build the entity.

    >>> entity_from_json({"id": "c-1", "kind": "child", "name": "Kyle Benson"}).name
    'Kyle Benson'
    """
    if not isinstance(d, dict):
        raise ValueError("a line must hold a JSON object")
    eid = shows_all(_req_str(d, "id"), "field 'id'", composed=True)
    if typed.id_too_long(eid):
        raise ValueError(f"field 'id': {len(eid):,} characters, more than {typed.MAX_ID_CHARS} (after any namespace)")
    kind = _req_str(d, "kind")
    if kind not in KINDS:
        raise ValueError(f"field 'kind': unknown kind {kind!r} (one of {', '.join(KINDS)})")
    name = _req_str(d, "name")
    if kind == "service" and name not in SERVICES:
        raise ValueError(f"field 'name': a service's name is its code, one of {', '.join(SERVICES)}")
    if len(name) > typed.MAX_NAME_CHARS:
        raise ValueError(f"field 'name' is longer than {typed.MAX_NAME_CHARS} characters")
    aliases = d.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise ValueError("field 'aliases' must be a list of strings")
    if len(aliases) > typed.MAX_ALIASES or any(len(a) > typed.MAX_NAME_CHARS for a in aliases):
        most = f"at most {typed.MAX_ALIASES}, each at most {typed.MAX_NAME_CHARS} characters"
        raise ValueError(f"field 'aliases': {most}")
    for a in aliases:
        plain(a, "field 'aliases'")
    props = d.get("properties") or {}
    if not isinstance(props, dict):
        raise ValueError("field 'properties' must be an object")
    props = dict(props)
    for k, v in d.items():
        if k not in _ENTITY_FIELDS and k not in _ENTITY_FACT_FIELDS:
            props[k] = v
    _plain_properties(props)
    sources = d.get("sources") or []
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise ValueError("field 'sources' must be a list of strings")
    for s in sources:
        plain(s, "field 'sources'")
    ref = _opt_str(d, "source_ref")
    if ref and ref not in sources:
        sources = [*sources, ref]
    seen = [x for x in (_date(d, "date"), _date(d, "first_seen"), _date(d, "last_seen")) if x]
    g = d.get("grading")  # a code, read by its own grammar (spaces and line breaks around it dropped), as a link's
    try:
        grading = normalise_grading(g) if g is None or type(g) is str else _opt_str(d, "grading")
    except GradingError as e:
        raise ValueError(f"field 'grading': {e}") from None
    handling = d.get("handling")
    if handling is None:  # the statement's own code; nothing recorded when there is no statement
        handling = [handling_code(grading)] if grading or ref or sources else []
    elif (
        not isinstance(handling, list)
        or not all(isinstance(h, str) for h in handling)
        or not set(handling) <= {"P", "C"}
    ):
        raise ValueError("field 'handling' must be a list of handling codes, P or C")
    wrong = demographics.problem(kind, props)
    if wrong:
        raise ValueError(wrong)
    locality = _opt_str(d, "locality")
    if locality is not None and locality.strip():
        shows_all(
            locality.strip(), "field 'locality'", composed=True
        )  # spaces around it are dropped, as they always were
    opened = _open_of(d, eid, kind, handling)
    lat, lon = _coordinate(d, "lat", 90), _coordinate(d, "lon", 180)
    if (lat is None) != (lon is None):
        raise ValueError("fields 'lat' and 'lon': give both, or neither (half a place is no place)")
    return Entity(
        open=opened,
        id=eid,
        kind=kind,
        name=name.strip(),
        aliases=[a.strip() for a in aliases if a.strip() and a.strip() != name.strip()],
        dob=_date(d, "dob"),
        locality=locality.strip() if locality and locality.strip() else None,
        lat=lat,
        lon=lon,
        properties=props,
        sources=list(dict.fromkeys(sources)),
        first_seen=min(seen) if seen else None,
        last_seen=max(seen) if seen else None,
        grading=grading,
        handling=sorted(set(handling)),
    )


def _open_of(d: dict[str, Any], eid: str, kind: str, handling: list[str]) -> Entity | None:
    """The ``open`` field of an entity line: what statements under P alone say of an entity named
    under both handling codes, as an entity's fields without ``id``, ``kind`` and ``handling``."""
    given = d.get("open")
    if given is None:
        return None
    if not isinstance(given, dict):
        raise ValueError("field 'open' must be an object")
    if set(handling) != {"C", "P"}:
        raise ValueError("field 'open' is kept only for an entity named under both handling codes, P and C")
    wrong = sorted(k for k in given if k in ("id", "kind", "handling", "open", "source_ref", "date"))
    if wrong:
        raise ValueError(f"field 'open' may not hold {', '.join(repr(k) for k in wrong)}")
    try:
        out = entity_from_json({**given, "id": eid, "kind": kind, "handling": ["P"]})
    except ValueError as e:
        raise ValueError(f"field 'open': {e}") from None
    out.first_seen, out.last_seen = parse_date(given.get("first_seen")), parse_date(given.get("last_seen"))
    return out


def relationship_from_json(d: Any) -> Relationship:
    """Check one relationship object and build the relationship (one assertion).

    >>> r = relationship_from_json({"type": "SEEN_AT", "source": "c-1", "target": "l-1",
    ...                             "date": "2024-03-02", "source_ref": "mace-1", "grading": "1bp"})
    >>> r.assertions[0].grading
    '1B P'
    """
    if not isinstance(d, dict):
        raise ValueError("a line must hold a JSON object")
    rtype = d.get("type")
    if type(rtype) is not str or rtype not in REL_TYPES:
        if not isinstance(rtype, str) or not rtype:
            raise ValueError("field 'type' is required and must be a non-empty string")
        raise ValueError(f"field 'type': unknown relationship type {rtype!r} (one of {', '.join(REL_TYPES)})")
    source = d.get("source")
    target = d.get("target")
    if type(source) is not str or type(target) is not str or not source.strip() or not target.strip():
        _req_str(d, "source")
        _req_str(d, "target")
    source = plain(source, "field 'source'").strip()  # type: ignore[arg-type]
    target = plain(target, "field 'target'").strip()  # type: ignore[arg-type]
    if source == target:
        raise ValueError("a relationship cannot join an entity to itself")
    ref = d.get("source_ref")
    if ref is not None and type(ref) is not str:
        raise ValueError("field 'source_ref' must be a string or null")
    if ref is not None:
        plain(ref, "field 'source_ref'")
    g = d.get("grading")
    try:
        grading = normalise_grading(g) if g is None or type(g) is str else _opt_str(d, "grading")
    except GradingError as e:
        raise ValueError(f"field 'grading': {e}") from None
    props = d.get("properties") or {}
    if not isinstance(props, dict):
        raise ValueError("field 'properties' must be an object")
    if not d.keys() <= _REL_FIELDS:
        props = dict(props)
        for k, v in d.items():
            if k not in _REL_FIELDS:
                props[k] = v
    _plain_properties(props)
    a = Assertion(ref, _date(d, "date"), grading, source, target)
    return Relationship(rtype, source, target, [a], props)


def read_folder(
    folder: Path,
    known_kinds: Callable[[Iterable[str]], dict[str, str]] | None = None,
    progress: Callable[[int], None] | None = None,
    max_problems: int = MAX_PROBLEMS,
    stage: Path | None = None,
    stage_from: int | None = None,
    stage_links: bool = False,
    links_from: int = staged_links.STAGE_FROM,
    localities: Localities | None = None,
    erased: Callable[[Iterable[str]], list[str]] | None = None,
    held: Callable[[Iterable[str]], Mapping[str, Entity]] | None = None,
) -> Batch:
    """Read and check a folder in the interchange format.

    ``known_kinds`` looks up the kinds of ids already in the store, so that a
    relationship may point at an entity imported earlier. Every problem is named
    by file and line; if there is any, :class:`InputError` is raised and nothing
    is returned.

    With ``stage``, a folder for staging files (the caller's, to remove once the batch is
    written), a tracking file of ``stage_from`` bytes or more (by default
    :data:`~.tracking_lines.STAGE_FROM`) is read in a second
    process while this one reads the relationships, and comes back as
    :attr:`Batch.staged` rather than :attr:`Batch.tracking`.

    With ``stage`` and ``stage_links``, for a folder written into a new store (no ``known_kinds``), a
    relationships file of ``links_from`` bytes or more is read, checked and made into the
    store's rows in a second process (:mod:`.staged_links`), and comes back as
    :attr:`Batch.links` rather than :attr:`Batch.relationships`.

    With ``localities`` configured (a store's), an entity or a tracking record of any other
    locality is a problem: a mistyped locality would file it where no one's token reaches it.

    ``erased`` tells which ids an erasure took (a store's :meth:`~contextgraph.store.base.Store.erased_among`):
    an entity line with one of them is a problem, since it would bring back a person erased.
    ``held`` gives the entities of those ids already held, as the writer sees them: a line giving a
    person held under its id another date of birth is a problem, since an id is one person (a
    re-used id would file one child's facts under another without anyone judging it).
    """
    ent_path = folder / ENTITIES_FILE
    if not folder.is_dir():
        raise InputError([f"{folder}: not a folder"])
    known_files = (ENTITIES_FILE, RELATIONSHIPS_FILE, JUDGEMENTS_FILE, TRACKING_FILE)
    if not any((folder / f).exists() for f in (ENTITIES_FILE, RELATIONSHIPS_FILE, TRACKING_FILE)):
        raise InputError([f"{folder}: holds none of {ENTITIES_FILE}, {RELATIONSHIPS_FILE} or {TRACKING_FILE}"])
    # a file of lines under another name (entites.jsonl) would be passed over, and its records lost
    strays = sorted(p.name for p in folder.glob("*.jsonl") if p.name not in known_files and ".audit." not in p.name)
    if strays:
        files = ", ".join(known_files)
        raise InputError([f"{folder / n}: not a file of the format ({files}); rename or move it" for n in strays])
    most = json_depth()
    tpath = folder / TRACKING_FILE
    staging = None
    least = tracking_lines.STAGE_FROM if stage_from is None else stage_from
    if stage is not None and tpath.exists() and tracking_lines.size_of(tpath) >= least:
        staging = tracking_lines.start(tpath, most, max_problems, stage, localities)
    links = None
    if stage is not None and stage_links and known_kinds is None:
        links = staged_links.start(
            folder / RELATIONSHIPS_FILE,
            ent_path,
            most,
            max_problems,
            relationship_from_json,
            stage,
            links_from,
        )
    problems: list[str] = []
    batch = Batch()
    kinds: dict[str, str] = {}

    def problem(msg: str) -> None:
        problems.append(msg)
        if len(problems) >= max_problems:
            raise InputError(problems)

    try:
        if ent_path.exists():
            ents = batch.entities
            at: dict[str, int] = {}  # id -> index in ents of its first line
            lines: list[int] = []
            refused: dict[str, str] = {}  # the kinds of entities whose lines are refused: the batch goes
            known = frozenset(localities.names) if localities else frozenset()
            for n, e in records(ent_path, most, typed.entity, entity_from_json):
                if isinstance(e, str):
                    problem(e)
                    if isinstance(e, RefusedEntity):  # no line naming it is told it is unknown
                        refused.setdefault(e.id, e.kind)
                    continue
                if localities and e.locality is not None and e.locality not in known:
                    # kept in the batch (which is refused whole) so that no line naming it is told it is unknown
                    problem(f"{ent_path}:{n}: field 'locality': {unknown_locality(e.locality, localities)}")
                first = at.setdefault(e.id, len(ents))
                if first != len(ents) and (was := ents[first].kind) != e.kind:
                    problem(f"{ent_path}:{n}: id {e.id!r} is a {e.kind} here but a {was} at line {lines[first]}")
                    continue
                ents.append(e)
                lines.append(n)
                if progress and n % 10000 == 0:
                    progress(10000)
            kinds = refused | {i: ents[k].kind for i, k in at.items()}
            stored = held(list(at)) if held is not None and at else {}
            born: dict[str, int] = {}  # an id -> the first line giving its date of birth
            for k, e in enumerate(ents):
                if e.dob and (earlier := born.setdefault(e.id, k)) != k and ents[earlier].dob != e.dob:
                    problem(
                        f"{ent_path}:{lines[k]}: field 'dob': {e.id!r} is given the date of birth "
                        f"{ents[earlier].dob} at line {lines[earlier]}, {e.dob} here; an id is one person: correct "
                        "one of the lines"
                    )
                on_record = stored.get(e.id)
                if on_record is not None and on_record.dob and e.dob and on_record.dob != e.dob:
                    problem(
                        f"{ent_path}:{lines[k]}: field 'dob': {e.id!r} is held with the date of birth "
                        f"{on_record.dob}, this line gives {e.dob}; an id is one person: correct the line, or give "
                        "another person their own id"
                    )
            for gone in erased(list(at)) if erased is not None else ():
                problem(
                    f"{ent_path}:{lines[at[gone]]}: field 'id': a person erased had the id {gone!r}; "
                    "it is not imported again (take their lines out of the files)"
                )
            del at, lines
        _read_rest(folder, batch, kinds, known_kinds, progress, most, problem, links)
        if links is not None and batch.links is None:  # not handed the rows (the file gone meanwhile, say)
            links.stop()
        if staging is not None:
            batch.staged = staging.result(kinds, known_kinds, problem)
        elif tpath.exists():
            for n, t in tracking_lines.read_here(tpath, most, kinds, known_kinds, problem, localities):
                batch.tracking.append(t)
                batch.where[t.id] = f"{tpath}:{n}"
    except BaseException:
        _stop(links, staging)
        raise
    if problems:
        _stop(links, staging)
        raise InputError(problems)
    return batch


def _stop(*seconds: SecondProcess | None) -> None:
    for second in seconds:
        if second is not None:
            second.stop()


def _read_rest(
    folder: Path,
    batch: Batch,
    kinds: dict[str, str],
    known_kinds: Callable[[Iterable[str]], dict[str, str]] | None,
    progress: Callable[[int], None] | None,
    most: int,
    problem: Callable[[str], None],
    links: staged_links.LinkStaging | None = None,
) -> None:
    """The relationships and judgements of a folder, checked against ``kinds`` (the relationships
    by the second process of ``links`` when there is one and it answers)."""
    rel_path = folder / RELATIONSHIPS_FILE
    if rel_path.exists():
        count = None if links is None else links.check(kinds, problem)
        if links is None or count is None:
            lines = records(rel_path, most, typed.relationship, relationship_from_json)
            batch.relationships = check_links(lines, kinds, known_kinds, rel_path, problem, progress)
        else:
            ids = tuple(kinds)
            batch.links = StagedRelationships(
                count, ids, links.rows, lambda: _read_again(links, rel_path, most, kinds), links.stop
            )
    jpath = folder / JUDGEMENTS_FILE
    if jpath.exists():
        judged: list[tuple[int, Judgement]] = []
        judged_ids: dict[str, int] = {}
        for n, obj in json_lines(jpath, most):
            if isinstance(obj, InputError):
                problem(str(obj))
            elif not isinstance(obj, dict) or not isinstance(obj.get("a"), str) or not isinstance(obj.get("b"), str):
                problem(f"{jpath}:{n}: a judgement needs string fields 'a' and 'b'")
            elif obj.get("kind", "merge") not in ("merge", "split"):
                problem(f"{jpath}:{n}: field 'kind' must be merge or split")
            elif told := _judgement_words(obj, f"{jpath}:{n}"):
                problem(told)
            elif isinstance(made := obj.get("id"), str) and (first := judged_ids.setdefault(made, n)) != n:
                problem(f"{jpath}:{n}: field 'id': {made!r} is the id of line {first} too; give each judgement its own")
            else:
                judged.append((n, Judgement.from_record(obj)))
        # every id known and both of one kind, before anything is written
        ask_kinds(kinds, (x for _, j in judged for x in (j.a, j.b)), known_kinds)
        for n, j in judged:
            ka, kb = kinds.get(j.a), kinds.get(j.b)
            if ka is None or kb is None:
                unknown = j.a if ka is None else j.b
                problem(f"{jpath}:{n}: {unknown!r} is not an entity in {ENTITIES_FILE} or the store")
            elif ka != kb:
                problem(f"{jpath}:{n}: cannot judge a {ka} and a {kb} to be one")
            else:
                batch.judgements.append(j)


def _judgement_words(obj: dict[str, Any], where: str) -> str | None:
    """What is wrong with a judgement's words: its ids and user hold no control character, and its
    reason (free text) none but a tab or a line break."""
    try:
        for key, free in (("a", False), ("b", False), ("user", False), ("reason", True)):
            if isinstance(v := obj.get(key), str):
                plain(v, f"{where}: field {key!r}", free=free)
    except ControlCharacter as e:
        return str(e)
    reason = obj.get("reason")
    if isinstance(reason, str) and len(reason) > MOST_SAID:  # as a reason given on the command line or the API
        return f"{where}: field 'reason': {len(reason):,} characters, more than {MOST_SAID}"
    for key in ("user", "reason"):
        if key in obj and not isinstance(obj[key], str):
            return f"{where}: field {key!r}: not a string"
    made = obj.get("id")
    if made is not None and (not isinstance(made, str) or not made.strip() or len(made) > MOST_ID):
        return f"{where}: field 'id': a judgement's id is a string of 1 to {MOST_ID} characters"
    return _judged_at(obj.get("at"), where)


MOST_ID = 100
"""The longest id a judgement made elsewhere may keep."""


def _judged_at(at: Any, where: str) -> str | None:
    """What is wrong with the time a judgement says it was made: a date and time with its offset
    (as an export writes it), not after the day to come."""
    if at is None:
        return None
    try:
        when = datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        return f"{where}: field 'at': {at!r} is not a date and time with its offset (e.g. 2024-03-14T10:00:00+00:00)"
    if when > datetime.now(UTC) + timedelta(days=1):
        return f"{where}: field 'at': {at!r} is after tomorrow: a judgement is made before it is imported"
    return None


def _read_again(links: staged_links.LinkStaging, path: Path, most: int, kinds: dict[str, str]) -> list[Relationship]:
    """The relationships a second process read and checked, read here instead (the second
    process is ended). What it read, and the first checked and logged, is the file as it was
    then: a file changed since is refused, before and after it is read."""
    links.stop()
    unchanged(path, links.signature)

    def problem(msg: str) -> None:  # the second process found none: the file changed since
        raise InputError([f"{path}: changed while it was imported; nothing was written"])

    got = check_links(records(path, most, typed.relationship, relationship_from_json), kinds, None, path, problem)
    unchanged(path, links.signature)
    return got


def apply_batch(store: Store, batch: Batch, progress: Callable[[int], None] | None = None) -> tuple[WriteSummary, int]:
    """Write a checked batch: its entities, relationships and tracking records (in one write), then
    its judgements.

    Returns what the upsert did and how many judgements were applied (a merge or
    split already in force is not applied again).
    """
    tracking = batch.staged if batch.staged is not None else batch.tracking
    held = {str(r.get("id")): r for r in store.records("judgements")} if batch.judgements else {}
    for j in batch.judgements:  # before anything is written
        was = held.get(j.id) if j.id is not None else None
        if was is not None and (was.get("kind"), was.get("a"), was.get("b")) != (j.kind, j.a, j.b):
            batch.stop()
            raise StoreError(
                f"{JUDGEMENTS_FILE}: the judgement id {j.id!r} is held already, for another judgement; give this one "
                "its own id: nothing was written"
            )
    try:
        summary = store.upsert(batch.entities, batch.facts(), progress=progress, tracking=tracking)
    finally:
        batch.stop()  # the second processes staging what was read end, written or not
    applied = 0
    for j in batch.judgements:
        if j.id is not None and j.id in held:  # this very judgement is held already (an export imported again)
            continue
        same = store.canonical_id(j.a) == store.canonical_id(j.b)
        # one made elsewhere keeps its own id and time
        made = (j.id or uuid.uuid4().hex, j.at or datetime.now(UTC).isoformat(timespec="seconds"))
        made_here = made if (j.id or j.at) else None
        if j.kind == "merge" and not same:
            store.merge(j.a, j.b, user=j.user, reason=j.reason, made=made_here)
            applied += 1
        elif j.kind == "split" and same:
            store.split(j.a, j.b, user=j.user, reason=j.reason, made=made_here)
            applied += 1
    return summary, applied
