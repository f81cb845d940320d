"""Who is asking, and what a request's resolvers share: the store, the principal, the access log,
the purpose, the analyses kept between requests, and the errors a person may read.

What a user may reach is decided in the store read itself: each read passes a
:class:`~contextgraph.store.Filter` of the user's localities and handling codes
(:meth:`Context.scope`), so nothing outside them is fetched, counted or analysed.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date as Date
from typing import Any

from strawberry.fastapi import BaseContext

from ...analysis.report import analyse_store, groups_of_store
from ...analysis.results import Analysis, Networks
from ...errors import ContextGraphError
from ...ingest.writes import changeable, linkable, unconfigured
from ...limits import Limits
from ...localities import norm
from ...memory import paused_gc
from ...model import KINDS, Entity, shown_refs
from ...model.records import EARLIEST
from ...store import Filter, Store, StoreError
from .. import policy
from ..audit import NEEDS_PURPOSE, AuditError, AuditLog, acting, said, visible
from ..auth import Principal
from ..pseudonyms import PREFIX, NotGiven, Pseudonyms, of_log, spaces_of
from .explaining import ShownAnalysis

MAX_PAGE = 50
"""The largest page of any list but the map."""
MAX_MAP = 5000
"""The most entities one locality map returns."""
MAX_DEPTH = 8
"""The deepest query accepted."""
NO_PURPOSE = (
    "send X-Purpose (or ?purpose=): why you are looking; the access log records it, and nothing is shown without"
)


def quoted(value: str, most: int = 40) -> str:
    """A value the user sent, as an answer repeats it: quoted, escaped, and cut to ``most``
    characters (an answer does not give back whatever length was sent).

    >>> quoted("Hillcrest"), quoted("H" * 50)
    ("'Hillcrest'", "'HHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHH…'")
    """
    return repr(value[:most]) if len(value) <= most else repr(value[:most])[:-1] + "…'"


class RequestError(ContextGraphError):
    """An error the user may read; every other error is masked as "Unexpected error."."""


class Analyses:
    """What is derived from the store for a scope — the network analysis, a map — kept until
    the store changes (when the store can tell; otherwise computed each time).

    At most ``size`` results are kept, the least recently used going first; when the store
    changes, everything kept goes at once, so nothing stale holds memory.
    """

    def __init__(self, size: int = 192):
        self.size = size
        self.lock = threading.Lock()
        self.kept: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self.busy: dict[tuple[Any, ...], threading.Lock] = {}
        self.version: Any = None
        self.store: Store | None = None  # what is kept was read from this store, as it was at ``version``

    def derived(self, store: Store, key: tuple[Any, ...], compute: Any) -> Any:
        """The value kept for ``key``, or ``compute()`` kept. Requests asking for the same key at
        once wait for the first one's answer rather than each computing it."""
        version = store.version()
        if version is None:
            return compute()
        with self.lock:
            if version != self.version or store is not self.store:  # a store opened again starts afresh
                self.kept.clear()
                self.version = version
                self.store = store
            elif key in self.kept:
                self.kept.move_to_end(key)
                return self.kept[key]
            busy = self.busy.setdefault(key, threading.Lock())
        with busy:
            with self.lock:
                if version == self.version and store is self.store and key in self.kept:
                    return self.kept[key]
            try:
                with paused_gc():  # thousands of short-lived objects, none cyclic
                    value = compute()
            finally:
                with self.lock:
                    self.busy.pop(key, None)
            with self.lock:
                if version == self.version and store is self.store:
                    self.kept[key] = value
                    while len(self.kept) > self.size:
                        self.kept.popitem(last=False)
        return value

    def get(
        self,
        store: Store,
        flt: Filter,
        since: str | None,
        initials: frozenset[str] = frozenset(),
        localities: tuple[str, ...] | None = None,
    ) -> ShownAnalysis:
        """The analysis of what ``flt`` lets a reader see, with changes since ``since``, its lists
        cut to ``localities`` (evidence from the reader's other localities still counts, as for
        ``contextgraph analyse --locality``); explained a page at a time as it is read, the
        entities of the kinds in ``initials`` named by their initials, in every sentence too."""
        cut = list(localities) if localities is not None else None

        def shown() -> ShownAnalysis:
            # the analysis (one for every naming) taken inside: the store's version is read before
            # it, so an analysis made before a write is not kept as the one after it
            raw: Analysis = self.derived(
                store,
                ("analysis", flt, since, localities),
                lambda: analyse_store(
                    store, flt=flt, since=since, localities=cut, parallel=False, explained=False, groups=False
                ),
            )

            # the peer groups and persons of concern only when read: most views (the page's) never
            # ask for them
            def groups() -> Networks:
                found: Networks = self.derived(
                    store, ("groups", flt, localities), lambda: groups_of_store(store, flt=flt, localities=cut)
                )
                return found

            return ShownAnalysis(raw, store, flt, initials, groups)

        result: ShownAnalysis = self.derived(store, ("shown", flt, since, localities, initials), shown)
        return result


def chosen(values: Sequence[Any] | None, what: str, each: str) -> list[str] | None:
    """The values of enums given as a filter (``what``: the argument's name), None for all when
    left out; an empty list is refused, not read as all, as every view refuses it."""
    if values is None:
        return None
    if not values:
        raise RequestError(f"{what} is empty: give at least one {each}, or leave it out for all")
    return [v.value for v in values]


class Context(BaseContext):
    """What a request's resolvers share: the store, who is asking, the access log, the purpose."""

    deadline: float | None = None
    """When the query's time budget ends (``time.monotonic()``), set as it starts to run."""
    limits: Limits = Limits()
    """The limits in force (the service sets its own)."""
    ids_asked: int = 0
    """How many ids this request has asked ``shownIds`` for, over all its aliases."""

    def __init__(
        self, store: Store, who: Principal, log: AuditLog, purpose: str | None, analyses: Analyses | None = None
    ):
        super().__init__()
        self.store = store
        self.who = who
        self.log = log
        self.purpose = purpose
        self.analyses = analyses or Analyses()
        self._notes: frozenset[str] | None = None
        self._spaces: frozenset[str] | None = None
        self._read_back: dict[str, str] = {}
        self._ids: Pseudonyms | None = None

    def localities(self, locality: str | None = None) -> list[str] | None:
        """The user's localities, or the one asked for if it is theirs (None: everywhere)."""
        if locality is None:
            return None if self.who.everywhere else list(self.who.localities)
        return [self.locality(locality)]

    def locality(self, written: str) -> str:
        """The locality ``written`` names, as the user's token (or, for a user of every locality,
        the configuration) names it: without regard to case or spacing, as the command line reads
        ``--locality``; refused unless it is one of theirs."""
        if self.who.everywhere:
            return self.store.localities().canonical(written) or written
        same = [x for x in self.who.localities if norm(x) == norm(written)]
        if not same:
            raise RequestError(f"{quoted(written)} is not one of your localities")
        return written if written in same else same[0]

    def spelled(self, written: str | None) -> str | None:
        """``written`` as :meth:`locality` spells it when it names one of the user's localities (in
        any case or spacing), else as written (for the check that refuses it to say so)."""
        if not written or not written.strip():
            return written
        try:
            return self.locality(written)
        except RequestError:
            return written

    def scope(
        self,
        types: list[str] | None = None,
        since: str | None = None,
        locality: str | None = None,
        until: str | None = None,
        undated: bool = True,
        writing: bool = False,
    ) -> Filter:
        """The part of the graph this user may read: their localities and handling codes, and the
        relationship types of ``types`` their role sees (for a MACE member, never a child's home,
        school or family: not on a walk, a map, nor in the analysis behind hotspots and evidence).

        A request that asks for people by initials (a view to share) is shown no home, school or
        family either (:func:`~contextgraph.service.policy.hidden_links`), unless it is
        ``writing``: a writer's note is matched against all they may read, whatever they are shown."""
        handling = ["P", "C"] if self.who.clearance == "C" else ["P"]
        initials = self.who.initials and not writing
        seen = policy.walkable(self.who.role, types, initials)
        if seen is not None and not seen:
            asked = ", ".join(types or [])
            if policy.walkable(self.who.role, types) == types:
                raise RequestError(f"a view by initials shows no {asked} links: they tell who a person is")
            raise RequestError(f"your role ({self.who.role}) does not see {asked} links")
        try:
            return Filter.of(
                types=seen,
                localities=self.localities(locality),
                since=day(since),
                until=day(until),
                handling=handling,
                undated=undated,
                unseen=policy.hidden_links(self.who.role, initials),
            )
        except StoreError as exc:
            raise RequestError(str(exc)) from exc

    def refs(self, sources: Iterable[str]) -> list[str]:
        """Source refs as this user may see them: every one, or, where the request shows people
        by initials, only recorded notes' refs as they are (:func:`~contextgraph.model.shown_refs`):
        an imported record's ref may name a child."""
        return shown_refs(sources, self.note_refs()) if self.who.by_initials else list(sources)

    def shown_id(self, eid: str) -> str:
        """An id as this user is given it: as it is, or, where the request shows people by
        initials, a pseudonym for any id the service did not make (:mod:`~contextgraph.service.pseudonyms`):
        an imported record's id may name a child."""
        return self.pseudonyms().shown(eid, self.spaces()) if self.who.by_initials else eid

    def given_id(self, given: str) -> str:
        """The id a reader means by ``given``: a pseudonym read back; where the request shows
        people by initials, any other id but one the service made is refused, the same whether or
        not it exists (:meth:`~contextgraph.service.pseudonyms.Pseudonyms.given`)."""
        found = self._read(given)
        if found is not None or not self.who.by_initials:
            return given if found is None else found
        try:
            return self.pseudonyms().given(given, self.spaces())
        except NotGiven as e:
            raise RequestError(str(e)) from None

    def written_id(self, given: str) -> str:
        """An id a writer gives: a pseudonym they were given read back, any other as it is (a
        writer names records of their own, and may read names)."""
        found = self._read(given)
        return given if found is None else found

    def _read(self, given: str) -> str | None:
        """The id a pseudonym stands for, kept so that an error quotes the pseudonym instead (:meth:`as_given`)."""
        if not given.startswith(PREFIX):
            return None
        found = self.pseudonyms().read(given)
        if found is not None:
            self._read_back[found] = given
        return found

    def as_given(self, message: str) -> str:
        """``message`` with each id read back from a pseudonym in this request quoted as given: as
        written, as Python or JSON escape it in quotes, and cut as :func:`quoted` cuts it."""
        for stored, given in self._read_back.items():
            for form in (repr(stored)[1:-1], json.dumps(stored)[1:-1], repr(stored[:40])[1:-1], stored):
                message = message.replace(form, given)
        return message

    def spaces(self) -> frozenset[str]:
        """What the service's ids are made under, read once a request: the namespaces of each
        locality's writers and the refs of recorded notes (:func:`~contextgraph.service.pseudonyms.made_by_service`)."""
        if self._spaces is None:
            self._spaces = spaces_of(self.store, self.who.localities)
        return self._spaces

    def pseudonyms(self) -> Pseudonyms:
        """The service's pseudonyms, under the access log's key."""
        if self._ids is None:
            self._ids = of_log(self.log)
        return self._ids

    def note_refs(self) -> frozenset[str]:
        """The refs of the notes recorded (:meth:`~contextgraph.store.Store.note_refs`), read once
        a request."""
        if self._notes is None:
            self._notes = self.store.note_refs()
        return self._notes

    @property
    def rules(self) -> policy.Role:
        """What this user's role may do (the roles table)."""
        return policy.role(self.who.role)

    def allow(self, permitted: bool, what: str) -> None:
        """Refuse what the roles table does not permit this user's role."""
        if not permitted:
            raise RequestError(f"your role ({self.who.role}) does not allow {what}")

    def consulted(self, ids: list[str], what: str) -> None:
        self.logged("consultation", ids, {"graphql": what})

    def told(self, ids: Iterable[str], what: str) -> None:
        """Log a consultation of the people among ``ids`` (everything an answer names, by id:
        places, groups and services are not people, so are not named in the log)."""
        self.consulted(self.people(ids), what)

    def people(self, ids: Iterable[str]) -> list[str]:
        """Those of ``ids`` that are people, each once, in order."""
        asked = list(dict.fromkeys(ids))
        kinds = {i: label.kind for i, label in self.store.labels(asked).items()}
        return [i for i in asked if i in kinds and kinds[i] in KINDS and KINDS[kinds[i]].person]

    @contextmanager
    def acting(self, detail: dict[str, Any]) -> Iterator[None]:
        """The writes in the block, each logged ahead with this user, purpose and ``detail``."""
        try:
            with acting(self.store, self.who.user, self.purpose, detail):
                yield
        except AuditError as exc:
            raise RequestError("the access log cannot be written; nothing was changed") from exc

    def disclosed(self, recipient: str, detail: dict[str, Any], ids: Sequence[str] = ()) -> None:
        """Log what leaves the service for ``recipient`` (who it is for, and why, are required),
        naming the entities of ``ids``."""
        if not visible(self.purpose or ""):
            raise RequestError(NO_PURPOSE)
        if not visible(recipient):
            raise RequestError("say who it is for (recipient), in letters or digits: it leaves the service")
        said(recipient, "recipient", RequestError)
        try:
            self.log.append(self.who.user, "disclosure", list(ids), self.purpose, recipient=recipient, detail=detail)
        except AuditError as exc:
            raise RequestError("the access log cannot be written; nothing is shown") from exc

    def logged(self, operation: str, ids: list[str], detail: dict[str, Any]) -> None:
        if operation in NEEDS_PURPOSE and not visible(self.purpose or ""):
            raise RequestError(NO_PURPOSE)
        try:
            self.log.append(self.who.user, operation, ids, self.purpose, detail=detail)
        except AuditError as exc:
            raise RequestError("the access log cannot be written; nothing is shown") from exc

    def ready_to_write(self, notes: bool = False) -> None:
        """Fail before a write the role may not make (``notes``: recording a meeting note), or whose
        record could not be logged."""
        if notes:
            self.allow(self.rules.may_record_notes, "recording notes")
        else:
            self.allow(self.rules.may_write, "changes to the graph")
        try:
            self.log.ready()
        except AuditError as exc:
            raise RequestError("the access log cannot be written; nothing was changed") from exc

    def in_names(self, what: str) -> None:
        """Refuse ``what`` to a request asking for people by initials: the review queue quotes
        notes' own words (others' notes too), which name people and their homes."""
        if self.who.initials:
            raise RequestError(
                f"{what} is not given by initials: it quotes notes' own words and the records they match, "
                "which name people; ask without X-Names: initials (untick Initials only on the page)"
            )

    def configured(self, locality: str | None, where: str = "") -> None:
        """Refuse a locality the area does not configure (when it configures any), as
        :func:`~contextgraph.ingest.writes.unconfigured` says: a mistyped one would file a record
        where no one's token reaches it."""
        wrong = unconfigured(locality, self.store.localities(), self.scope(writing=True))
        if wrong:
            raise RequestError(f"{where}{wrong}")

    def note_locality(self, locality: str | None) -> None:
        """Refuse a note for a locality that is not this user's (called before it is written)."""
        if not self.who.everywhere and locality not in self.who.localities:
            raise RequestError(
                f"the note is for {quoted(locality) if locality else 'no locality'}, not one of your localities"
            )

    def changeable(self, eid: str) -> Entity:
        """The entity ``eid`` if this user may change it (:func:`~contextgraph.ingest.writes.changeable`);
        else the same error whether it is missing or not theirs."""
        return self._theirs(eid, changeable(self.store, self.scope(writing=True), [eid]))

    def linkable(self, eid: str) -> Entity:
        """The entity ``eid`` if this user may link to it (:func:`~contextgraph.ingest.writes.linkable`);
        else the same error whether it is missing or not theirs."""
        return self._theirs(eid, linkable(self.store, self.scope(writing=True), [eid]))

    @staticmethod
    def _theirs(eid: str, found: dict[str, Entity]) -> Entity:
        if eid not in found:
            raise RequestError(f"no entity {eid!r} in your localities")
        return found[eid]


def day(value: str | None) -> str | None:
    """A date asked for, as ``YYYY-MM-DD`` only (Python reads other forms, ``20240101`` or a week's
    day, which no one here writes); else :class:`RequestError`, quoting at most 40 characters.

    >>> day("2024-03-01"), day(None)
    ('2024-03-01', None)
    >>> day("1899-12-31")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    contextgraph.service.graphql.context.RequestError: '1899-12-31' is before 1900-01-01, the earliest date ...
    """
    if value is None:
        return None
    try:
        if len(value) != 10 or value[4] != "-" or value[7] != "-":
            raise ValueError
        got = Date.fromisoformat(value)
    except ValueError:
        raise RequestError(f"{quoted(value)} is not a date (YYYY-MM-DD)") from None
    if got < EARLIEST:  # no record holds one, and the day before the first is how no date is counted
        raise RequestError(f"{quoted(value)} is before {EARLIEST.isoformat()}, the earliest date a record may hold")
    return got.isoformat()


def cap(first: int, most: int = MAX_PAGE) -> int:
    """``first`` within 1 and ``most``: the size of a page actually given."""
    return max(1, min(first, most))


def refused(ctx: Context, status: int, message: str) -> RequestError:
    """A refusal answered with an HTTP status of its own (the errors are in the body as usual)."""
    response = getattr(ctx, "response", None)
    if response is not None:
        response.status_code = status
    return RequestError(message)


def note_checks(ctx: Context, text: str) -> None:
    """What a note sent for review must pass before it is read: the writer may write and the access
    log can be written, it is no larger than a note sent to ``POST /notes`` may be, and the request
    does not ask for initials (the note's own words and the records they match name people)."""
    try:
        ctx.in_names("a note's preview or record")
        ctx.ready_to_write(notes=True)
    except RequestError as exc:
        raise refused(ctx, 403, str(exc)) from None
    size = len(text.encode())
    if size > ctx.limits.note:
        raise refused(ctx, 413, f"the note is {size:,} bytes, more than {ctx.limits.setting('note')}")
