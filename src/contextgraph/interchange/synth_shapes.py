"""How exploitation spreads through a generated locality: the shapes :func:`~.synth.generate` draws.

Each shape draws, into a locality already holding its children, schools, homes, friendship
circles, local places, groups and persons of concern, the children drawn into exploitation and
the traces it leaves; half of those children become known cases (open to a specialist team or
another service), and the rest the hidden truth an evaluation looks for. The shapes differ in how
exploitation spreads and in what it leaves behind, so that a ranking tuned to one can be seen to
fail on another:

- ``lines``: county lines worked from trap houses, persons of concern recruiting children, often
  through friends of children already drawn in; children found at trap houses and out-of-area
  addresses at the end of missing episodes.
- ``chains``: grooming passed along chains of children across friendship circles, a groomer
  reaching the first child of each; hotels and short lets rather than trap houses; and busy
  adults who exploit no one (a coach, a shopkeeper, an older cousin) recorded as persons of
  concern and seen with many children.
- ``online``: contact made online, where the only trace offline is a place where the child met
  the offender and a peer drawn in the same way; the offender is rarely linked to the children.

Every shape also draws hard negatives: friends of exploited children, children at busy places,
and children who go missing for reasons of their own.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ..model import service_id

Shape = Literal["lines", "chains", "online"]
SHAPES: tuple[Shape, ...] = ("lines", "chains", "online")
"""Every shape, the first the default."""


@dataclass
class Area:
    """One locality as drawn so far, and the means to draw more of it."""

    rng: random.Random
    loc: str
    localities: tuple[str, ...]
    index: int
    """The locality's place in ``localities``."""
    tag: str
    kids: list[str]
    pocs: list[str]
    groups: list[str]
    line_of: dict[str, str]
    """Each person of concern's group."""
    traps: list[str]
    hot: list[str]
    """The locality's busy places, the first ``n_town`` town-wide."""
    n_town: int
    homes: list[str]
    opened: set[str]
    """Children open to a service for reasons other than exploitation."""
    records: dict[str, dict[str, Any]]
    friends: dict[str, list[str]]
    rel: Callable[..., None]
    """``rel(type, source, target, locality, dated=True)``: one relationship line."""
    add_place: Callable[..., None]
    """``add_place(id, kind, locality, name, n=0, place_type=None)``: one place line."""
    add_person: Callable[[str, str], None]
    """``add_person(id, locality)``: one person of concern's line."""
    streets: tuple[str, ...]
    open_exploited: list[str]
    exploited_not_open: list[str]


def draw(shape: Shape, a: Area) -> None:
    """Draw ``shape``'s exploitation into ``a``, then its known cases and hard negatives."""
    drawn_in = {"lines": _lines, "chains": _chains, "online": _online}[shape](a)
    _settle(a, drawn_in)
    _hard_negatives(a, drawn_in)


def _lines(a: Area) -> dict[str, bool]:
    """County lines: each person of concern draws in one to four children for their line."""
    rng, rel, loc = a.rng, a.rel, a.loc
    # out-of-area addresses where lines take children (in another locality)
    away = [f"l-{a.tag}-x{i}" for i in range(max(1, len(a.pocs) // 6))]
    for i, x in enumerate(away):
        other = a.localities[(a.index + 1 + i) % len(a.localities)]
        a.add_place(x, "location", other, lambda k: f"Flat {k + 2}, {rng.randint(1, 90)} {rng.choice(a.streets)}", i)
    # each line works from some persons of concern, trap houses and a busy town place
    line_places = {g: [rng.choice(a.traps), a.hot[rng.randrange(a.n_town)]] for g in a.groups}
    drawn_in: dict[str, bool] = {}  # exploited child: open to a service for it?
    for p in a.pocs:
        g = a.line_of[p]
        victims: list[str] = []
        for _ in range(rng.randint(1, 4)):
            # recruitment often runs through friends of children already drawn in
            pool = [f for v in victims for f in a.friends.get(v, ()) if f not in victims]
            v = rng.choice(pool) if pool and rng.random() < 0.4 else rng.choice(a.kids)
            if v not in victims:
                victims.append(v)
        for v in victims:
            signals = 0
            if rng.random() < 0.35:
                rel("EXPLOITS", p, v, loc)
                signals += 1
            if rng.random() < 0.4:
                rel("ASSOCIATES_WITH", v, p, loc)
                signals += 1
            if rng.random() < 0.35:
                rel("MEMBER_OF", v, g, loc)
                signals += 1
            if rng.random() < 0.45:  # a missing episode, often with another child of the line
                other = rng.choice(victims)
                if other != v and rng.random() < 0.6:
                    rel("MISSING_WITH", v, other, loc)
                rel("FOUND_AT", v, rng.choice([*a.traps, *away]), loc)
                signals += 1
            if not signals:  # every exploited child leaves at least one sign of it
                strong = rng.choice(("EXPLOITS", "ASSOCIATES_WITH", "MEMBER_OF", "FOUND_AT"))
                if strong == "EXPLOITS":
                    rel("EXPLOITS", p, v, loc)
                elif strong == "ASSOCIATES_WITH":
                    rel("ASSOCIATES_WITH", v, p, loc)
                elif strong == "MEMBER_OF":
                    rel("MEMBER_OF", v, g, loc)
                else:
                    rel("FOUND_AT", v, rng.choice([*a.traps, *away]), loc)
            if rng.random() < 0.5:
                rel("SEEN_AT", v, rng.choice(line_places[g]), loc)
            if rng.random() < 0.3:
                other = rng.choice(victims)
                if other != v:
                    rel("ASSOCIATES_WITH", v, other, loc)
            if v not in drawn_in:
                drawn_in[v] = rng.random() < 0.5
    return drawn_in


def _chains(a: Area) -> dict[str, bool]:
    """Grooming chains: a groomer reaches one child, who brings a friend, who brings another, across
    friendship circles; the children are taken to hotels and short lets; and busy adults who
    exploit no one are seen with many children."""
    rng, rel, loc = a.rng, a.rel, a.loc
    venues = [f"l-{a.tag}-v{i}" for i in range(max(2, len(a.pocs) // 3))]
    for i, v in enumerate(venues):
        hotel = i % 2 == 0
        a.add_place(
            v,
            "location",
            loc,
            lambda k, hotel=hotel: (
                f"{rng.choice(HOTELS)} Hotel, {rng.choice(a.streets)}"
                if hotel
                else f"Flat {k + 1}, {rng.choice(a.streets)} (short let)"
            ),
            i,
            "hotel" if hotel else "short_let",
        )
    drawn_in: dict[str, bool] = {}
    for p in a.pocs:
        rel("SEEN_AT", p, rng.choice(venues), loc)
        chain: list[str] = []
        at = rng.choice(a.kids)
        for _ in range(rng.randint(2, 6)):
            if at in chain or at in drawn_in:
                break
            chain.append(at)
            near = [f for f in a.friends.get(at, ()) if f not in chain]
            # most often a friend; sometimes a friend of a friend, in another circle
            far = [g for f in near for g in a.friends.get(f, ()) if g not in chain and g != at]
            at = rng.choice(far if far and rng.random() < 0.4 else near or a.kids)
        place = rng.choice(venues)
        for i, v in enumerate(chain):
            signals = 0
            if (i == 0 and rng.random() < 0.4) or (i > 0 and rng.random() < 0.08):
                rel("EXPLOITS", p, v, loc)
                signals += 1
            if i == 0 and rng.random() < 0.3:
                rel("ASSOCIATES_WITH", v, p, loc)
                signals += 1
            if i > 0 and rng.random() < 0.5:  # brought in by the child before
                rel("ASSOCIATES_WITH", v, chain[i - 1], loc)
                signals += 1
            if rng.random() < 0.45:
                rel("SEEN_AT", v, place if rng.random() < 0.7 else rng.choice(venues), loc)
                signals += 1
            if rng.random() < 0.35:  # missing, found at a hotel, often with the child before
                if i > 0 and rng.random() < 0.6:
                    rel("MISSING_WITH", v, chain[i - 1], loc)
                rel("FOUND_AT", v, place, loc)
                signals += 1
            if not signals:
                rel("SEEN_AT", v, place, loc)
            drawn_in[v] = rng.random() < 0.5
    # busy adults: persons of concern by record, who exploit no one, seen with many children
    for i in range(max(1, len(a.kids) // 150)):
        adult = f"p-{a.tag}-b{i}"
        a.add_person(adult, loc)
        rel("SEEN_AT", adult, a.hot[rng.randrange(a.n_town)], loc)
        for c in rng.sample(a.kids, min(len(a.kids), rng.randint(8, 25))):
            rel("ASSOCIATES_WITH", c, adult, loc)
    # hotels have guests who are not exploited: families, school trips
    for c in a.kids:
        if c not in drawn_in and rng.random() < 0.02:
            rel("SEEN_AT", c, rng.choice(venues), loc)
    return drawn_in


def _online(a: Area) -> dict[str, bool]:
    """Online-first contact: an offender met online draws a child, and often the child's friends, to
    a place to meet; the only trace offline is that place and a peer drawn in the same way."""
    rng, rel, loc = a.rng, a.rel, a.loc
    drawn_in: dict[str, bool] = {}
    local = a.hot[a.n_town :] or a.hot
    for p in a.pocs:
        meet = rng.choice(local)  # an ordinary place that other children use as well
        if rng.random() < 0.4:
            rel("SEEN_AT", p, meet, loc)
        first = rng.choice(a.kids)
        victims = [first]
        for _ in range(rng.randint(0, 3)):  # friends drawn in through the first, or others met online
            pool = [f for f in a.friends.get(first, ()) if f not in victims]
            v = rng.choice(pool) if pool and rng.random() < 0.6 else rng.choice(a.kids)
            if v not in victims:
                victims.append(v)
        victims = [v for v in victims if v not in drawn_in]
        for v in victims:
            rel("SEEN_AT" if rng.random() < 0.6 else "FOUND_AT", v, meet, loc)
            peers = [x for x in victims if x != v]
            if peers and rng.random() < 0.8:
                rel("ASSOCIATES_WITH" if rng.random() < 0.7 else "MISSING_WITH", v, rng.choice(peers), loc)
            if rng.random() < 0.12:  # the rare case where the contact itself is known
                rel("EXPLOITS", p, v, loc)
            drawn_in[v] = rng.random() < 0.5
    return drawn_in


def _settle(a: Area, drawn_in: dict[str, bool]) -> None:
    """The children drawn in become known cases (open to a service for it) or the hidden truth."""
    rng = a.rng
    for v, known in drawn_in.items():
        if known:
            team = rng.choice(("EXPLOITATION_TEAM", "EXPLOITATION_TEAM", "YJS", "CSC"))
            a.rel("OPEN_TO", v, service_id(team), a.loc, dated=False)
            a.open_exploited.append(v)
            if rng.random() < 0.7:
                a.records[v]["properties"] = {"exploitation_types": rng.choice((["CCE"], ["CSE"], ["CCE", "CSE"]))}
        elif v not in a.opened:  # children open for other reasons are open to services all the same
            a.exploited_not_open.append(v)
            if rng.random() < 0.1:
                a.records[v]["properties"] = {"risk_level": "medium"}


def _hard_negatives(a: Area, exploited: dict[str, bool]) -> None:
    """Friends and siblings of exploited children, children seen at a busy hotspot, children who go
    missing for other reasons."""
    rng, rel, loc = a.rng, a.rel, a.loc
    for v in exploited:  # in the order drawn: a set would follow string hashing
        if rng.random() < 0.5:
            f = rng.choice(a.kids)
            if f not in exploited:
                rel("ASSOCIATES_WITH", v, f, loc)
    for c in a.kids:
        if c in exploited:
            continue
        if rng.random() < 0.1:
            rel("SEEN_AT", c, a.hot[min(int(rng.expovariate(0.5)), a.n_town - 1)], loc)
        if rng.random() < 0.04:
            mate = rng.choice(a.friends.get(c) or [c])
            if mate != c:
                rel("MISSING_WITH", c, mate, loc)
            rel("FOUND_AT", c, rng.choice([a.hot[rng.randrange(a.n_town)], rng.choice(a.homes)]), loc)


HOTELS = ("Station", "Riverside", "Grange", "Crown", "Park View", "Canal Side", "Kings", "Beacon")
