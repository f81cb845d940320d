"""Over-representation: the share of each group (ethnicity, sex, age band) among the children
referred, on the caseload, ranked as linked to harm and not open, and at the top of that ranking,
against the local child population; and the top of the ranking against the known cases, which
holds the analysis to account. The model that ranks takes no protected characteristic as input:
these figures are read after it, from the records of the people it ranked.

Each share among children whose value is recorded, with its ratio to the population's share and
a 95% Wilson interval (the population's share taken as known: a census counts everyone); the top
of the ranking against the known cases as a ratio of two shares with a 95% Katz (log) interval.

>>> [round(x, 4) for x in wilson(4, 10)]
[0.1682, 0.6873]
>>> [round(x, 3) for x in katz(10, 50, 20, 400)]
[4.0, 1.987, 8.054]
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

import msgspec

from ..model import Entity
from ..model.demographics import age_on
from .census import DIMENSIONS, NOT_GROUPS, Census, band, groups

Z = 1.959964
"""The normal quantile of a two-sided 95% interval."""


def wilson(x: int, n: int) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion ``x`` of ``n``."""
    if n == 0:
        return (0.0, 1.0)
    p = x / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def katz(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float, float]:
    """The ratio of ``x1/n1`` to ``x2/n2`` with its 95% Katz (log) interval (both counts above 0)."""
    ratio = (x1 / n1) / (x2 / n2)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    return (ratio, ratio * math.exp(-Z * se), ratio * math.exp(Z * se))


class Group(msgspec.Struct, frozen=True):
    group: str
    count: int
    share: float | None
    compared_share: float | None
    """The population's share (or, for the top of the ranking, the known cases')."""
    ratio: float | None
    low: float | None
    high: float | None
    small: bool
    """Fewer children in the group than the smallest count the report says anything of."""


class Cohort(msgspec.Struct, frozen=True):
    name: str
    children: int
    not_known: int
    groups: tuple[Group, ...]


class Dimension(msgspec.Struct, frozen=True):
    dimension: str
    cohorts: tuple[Cohort, ...]
    ranking_against_known: tuple[Group, ...]
    population: bool
    """Whether a census table was given for it (without one, shares only)."""


class Representation(msgspec.Struct, frozen=True):
    dimensions: tuple[Dimension, ...]
    findings: tuple[str, ...]
    census: tuple[str, ...]
    note: str | None = None
    """Why there is no population to compare with, when there is none."""


def value_of(e: Entity | None, dimension: str, day: str) -> str | None:
    """A child's group in a dimension, None when not known."""
    if e is None:
        return None
    if dimension == "age":
        return band(age_on(e.dob, day)) if e.dob else None
    v = e.properties.get(dimension)
    return None if v in (None, "") or v in NOT_GROUPS else str(v)


def _round(x: float | None, digits: int = 3) -> float | None:
    return None if x is None else round(x, digits)


def representation(
    cohorts: Sequence[tuple[str, Sequence[str]]],
    top: Sequence[str],
    known: Sequence[str],
    people: Mapping[str, Entity],
    census: Census,
    day: str,
    small: int,
) -> Representation:
    """Shares by group of each cohort (a name and its children's ids) against the census, and of
    the ``top`` of the ranking against the ``known`` cases; ``day`` is when ages are taken."""
    dims = []
    findings = []
    for dim in DIMENSIONS:
        names = groups(dim)
        rows = []
        for cname, ids in cohorts:
            values = [value_of(people.get(i), dim, day) for i in ids]
            known_values = [v for v in values if v is not None]
            n = len(known_values)
            count = Counter(known_values)
            out = []
            for g in names:
                x = count.get(g, 0)
                pop = census.share(dim, g)
                share = x / n if n else None
                lo, hi = wilson(x, n) if n else (None, None)
                ok = pop is not None and pop > 0 and n > 0
                out.append(
                    Group(
                        g,
                        x,
                        _round(share),
                        _round(pop),
                        _round(share / pop) if ok and share is not None and pop else None,
                        _round(lo / pop) if ok and lo is not None and pop else None,
                        _round(hi / pop) if ok and hi is not None and pop else None,
                        x < small,
                    )
                )
                if ok and lo is not None and pop and lo / pop > 1 and x >= small:
                    findings.append(
                        f"{cname}: {_label(dim, g)} children are over-represented against the local child "
                        f"population ({share:.0%} against {pop:.0%}; ratio {share / pop:.1f}, "  # type: ignore[operator]
                        f"95% interval {lo / pop:.1f} to {hi / pop:.1f})"  # type: ignore[operator]
                    )
            rows.append(Cohort(cname, len(ids), len(values) - n, tuple(out)))
        against = []
        tv = Counter(v for i in top if (v := value_of(people.get(i), dim, day)) is not None)
        kv = Counter(v for i in known if (v := value_of(people.get(i), dim, day)) is not None)
        n1, n2 = sum(tv.values()), sum(kv.values())
        for g in names:
            x1, x2 = tv.get(g, 0), kv.get(g, 0)
            if x1 and x2 and n1 and n2:
                ratio, lo, hi = katz(x1, n1, x2, n2)
                against.append(
                    Group(g, x1, _round(x1 / n1), _round(x2 / n2), _round(ratio), _round(lo), _round(hi), x1 < small)
                )
                if lo > 1 and min(x1, x2) >= small:
                    findings.append(
                        f"the top of the ranking holds a larger share of {_label(dim, g)} children than the known "
                        f"cases do ({x1 / n1:.0%} against {x2 / n2:.0%}; ratio {ratio:.1f}, 95% interval "
                        f"{lo:.1f} to {hi:.1f}): the ranking may over-represent them"
                    )
            else:
                share1 = x1 / n1 if n1 else None
                share2 = x2 / n2 if n2 else None
                against.append(Group(g, x1, _round(share1), _round(share2), None, None, None, x1 < small))
        dims.append(Dimension(dim, tuple(rows), tuple(against), dim in census.counts))
    return Representation(tuple(dims), tuple(findings), census.sources, census.note)


def _label(dimension: str, group: str) -> str:
    from ..model.demographics import ETHNICITY

    if dimension == "ethnicity":
        return ETHNICITY.get(group, group)
    if dimension == "age":
        return f"aged {group}"
    return group
