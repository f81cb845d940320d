"""An analysis as one reader is shown it, explained as it is read: the words of a ranked list
(names, the facts behind each reason, sentences) are made a page at a time, when a page is first
asked for, and kept with the analysis.

A filter change on the mapping page asks for a new analysis of a locality; its ranked list holds
hundreds of children, of whom the page shows fifty. Explaining only what is shown is the same,
item for item, as explaining the whole (each item's words depend on it alone: a test holds them
to it), and costs what the page holds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar, overload

from ...analysis.results import Analysis, AtRiskChild, Changes, Hotspot, Networks, PeerGroup, PersonOfConcern
from ...analysis.words import explain_parts
from ...store import Filter, Store

T = TypeVar("T")


class Explaining(Sequence[T], Generic[T]):
    """A ranked list whose items are explained when first read, those asked for together in one
    reading of the store; each is explained once.

    >>> xs = Explaining((1, 2, 3, 4), lambda items: tuple(x * 10 for x in items))
    >>> xs[1:3], xs[0], len(xs), list(xs)
    ((20, 30), 10, 4, [10, 20, 30, 40])
    """

    def __init__(self, raw: tuple[T, ...], explain: Callable[[tuple[T, ...]], tuple[T, ...]]):
        self.raw = raw
        """The items as the analysis ranked them, not explained."""
        self._explain = explain
        self._done: dict[int, T] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.raw)

    def _explained(self, at: range) -> tuple[T, ...]:
        with self._lock:  # two requests for the same page: the second waits for the first's words
            missing = [i for i in at if i not in self._done]
            if missing:
                words = self._explain(tuple(self.raw[i] for i in missing))
                self._done.update(zip(missing, words, strict=True))
            return tuple(self._done[i] for i in at)

    @overload
    def __getitem__(self, i: int) -> T: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[T, ...]: ...

    def __getitem__(self, i: int | slice) -> T | tuple[T, ...]:
        every = range(len(self.raw))
        if isinstance(i, slice):
            return self._explained(every[i])
        return self._explained(every[i : i + 1 or None])[0]

    def __iter__(self) -> Iterator[T]:
        return iter(self[:])


class ShownAnalysis:
    """An analysis as a reader is shown it: its ranked lists explained a page at a time (see
    :class:`Explaining`), its changes when first asked for; ``raw`` is the analysis not explained
    (its scores and ids need no words)."""

    def __init__(
        self,
        raw: Analysis,
        store: Store,
        flt: Filter | None,
        initials: frozenset[str],
        groups: Callable[[], Networks] | None = None,
    ):
        self.raw = raw
        self.as_of = raw.as_of

        self.flt = flt
        """What the analysis was made of: the reader's whole view (all their localities)."""
        self._store, self._flt, self._initials = store, flt, initials
        self.unopened_at_risk: Explaining[AtRiskChild] = Explaining(
            raw.unopened_at_risk, lambda xs: explain_parts(store, flt, initials, children=xs).children
        )
        self.hotspots: Explaining[Hotspot] = Explaining(
            raw.hotspots, lambda xs: explain_parts(store, flt, initials, hotspots=xs).hotspots
        )
        self._groups_of = groups
        self._groups: list[tuple[Explaining[PeerGroup], Explaining[PersonOfConcern]]] = []
        self._changes: list[Changes | None] = []
        self._lock = threading.Lock()

    def _network_half(self) -> tuple[Explaining[PeerGroup], Explaining[PersonOfConcern]]:
        """The peer groups and persons of concern, each explained a page at a time: those of ``raw``,
        or, where the analysis was made without them, found when either is first asked for
        (``groups``)."""
        with self._lock:
            if not self._groups:
                found = self.raw if self._groups_of is None else self._groups_of()
                store, flt, initials = self._store, self._flt, self._initials
                self._groups.append(
                    (
                        Explaining(
                            found.peer_groups,
                            lambda xs: explain_parts(store, flt, initials, peer_groups=xs).peer_groups,
                        ),
                        Explaining(
                            found.persons_of_concern,
                            lambda xs: explain_parts(store, flt, initials, persons_of_concern=xs).persons_of_concern,
                        ),
                    )
                )
            return self._groups[0]

    @property
    def peer_groups(self) -> Explaining[PeerGroup]:
        """The peer groups, explained a page at a time (see :meth:`_network_half`)."""
        return self._network_half()[0]

    @property
    def persons_of_concern(self) -> Explaining[PersonOfConcern]:
        """The persons of concern, explained a page at a time (see :meth:`_network_half`)."""
        return self._network_half()[1]

    @property
    def changes(self) -> Changes | None:
        """The changes since the analysis's date, explained (None when none was asked for)."""
        with self._lock:
            if not self._changes:
                self._changes.append(
                    explain_parts(self._store, self._flt, self._initials, changes=self.raw.changes).changes
                )
            return self._changes[0]
