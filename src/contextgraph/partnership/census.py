"""The local child population a report compares with: census tables in the layout of the Office
for National Statistics' 2021 Census downloads — one CSV per variable, with the columns
``<area type> Code, <area type>, <variable> Code, <variable>, Observation`` — for ethnic group
(the 2021 categories, by the labels in docs/model.md), sex (``Female``, ``Male``) and age
(``Aged N years``, or ranges ``Aged A to B years`` that fit the report's bands).

A table is read for the report's localities (the rows whose area is named as one is, summed)
or, for a report of every locality, summed over its areas. A variable whose table lacks a group is refused
with the group named, rather than compared with a population that is not all there.

>>> band(12), band(15), band(19), band(30)
('10 to 13', '14 to 15', '18 to 25', None)
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import BadInput
from ..model.demographics import ETHNICITY, SEX
from ..settings import CENSUS, SETTINGS

DIMENSIONS = ("ethnicity", "sex", "age")
NOT_GROUPS = frozenset({"not_known", "not_stated"})
"""Codes counted as not known: shown, and left out of the shares."""

BANDS: tuple[tuple[str, int, int], ...] = (
    ("10 to 13", 10, 13),
    ("14 to 15", 14, 15),
    ("16 to 17", 16, 17),
    ("18 to 25", 18, 25),
)
"""The report's age bands (a young adult of 18-25 in a transitions service is counted too)."""

OPTIONAL = frozenset({"18 to 25"})
"""A group a table may leave out: a population of children alone has no young adults."""

SAMPLE_FILES = ("sample-census-ethnicity.csv", "sample-census-sex.csv", "sample-census-age.csv")


def band(age: int | None) -> str | None:
    """The report's age band of an age in years, None outside them."""
    if age is None:
        return None
    return next((name for name, lo, hi in BANDS if lo <= age <= hi), None)


def groups(dimension: str) -> list[str]:
    """The groups of a dimension a census table must give, in the report's order."""
    if dimension == "ethnicity":
        return [c for c in ETHNICITY if c not in NOT_GROUPS]
    if dimension == "sex":
        return [c for c in SEX if c not in NOT_GROUPS]
    return [name for name, _, _ in BANDS]


@dataclass(frozen=True)
class Census:
    """The population by group, for each dimension a table was given for; ``note`` says why there
    is none when there is none."""

    counts: dict[str, dict[str, int]]
    sources: tuple[str, ...]
    note: str | None = None

    def share(self, dimension: str, group: str) -> float | None:
        got = self.counts.get(dimension)
        if not got:
            return None
        total = sum(got.values())
        return got.get(group, 0) / total if total else None


_LABELS = {
    "ethnicity": {label.lower(): code for code, label in ETHNICITY.items()} | {c: c for c in ETHNICITY},
    "sex": {"female": "female", "male": "male"},
}
_AGED = re.compile(r"aged (\d+)(?: to (\d+))? years?$", re.I)


def _dimension(header: str) -> str | None:
    h = header.lower()
    if "ethnic" in h:
        return "ethnicity"
    if re.search(r"\bsex\b", h):
        return "sex"
    if re.search(r"\bage\b", h):
        return "age"
    return None


def _group(dimension: str, label: str, where: str) -> str | None:
    """The report's group of a table's category label; None for a category that counts no one of
    the population compared ("Does not apply", ages outside the bands)."""
    text = label.strip()
    if dimension == "age":
        m = _AGED.match(text)
        if m is None:
            return None
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        a, b = band(lo), band(hi)
        if a != b:
            raise BadInput(f"{where}: {text!r} spans the report's age bands ({', '.join(n for n, _, _ in BANDS)})")
        return a
    return _LABELS[dimension].get(text.lower())


class NoRows(BadInput):
    """A census table with no rows for a locality the report covers."""


def read(paths: Iterable[Path], localities: Sequence[str] | str | None) -> Census:
    """The census tables at ``paths`` for ``localities`` (summed; every area when None)."""
    wanted = [localities] if isinstance(localities, str) else list(localities or [])
    keys = {w.lower() for w in wanted}
    counts: dict[str, dict[str, int]] = {}
    sources = []
    for path in paths:
        try:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                rows = list(csv.reader(fh))
        except OSError as e:
            raise BadInput(f"{path.name}: cannot read the census table ({e.strerror})") from None
        except (UnicodeDecodeError, csv.Error) as e:
            raise BadInput(f"{path.name}: not a census table (a CSV file in UTF-8): {e}") from None
        if not rows or len(rows[0]) < 5 or rows[0][-1].strip().lower() != "observation":
            raise BadInput(
                f"{path.name}:1: not a census table in the ONS 2021 layout (columns: area code, area, "
                "category code, category, Observation)"
            )
        dimension = _dimension(rows[0][3])
        if dimension is None:
            raise BadInput(f"{path.name}:1: {rows[0][3]!r} is not ethnic group, sex or age")
        got = counts.setdefault(dimension, {})
        areas: set[str] = set()
        for n, row in enumerate(rows[1:], 2):
            if len(row) < 5:
                raise BadInput(f"{path.name}:{n}: expected 5 columns, found {len(row)}")
            if keys and row[1].strip().lower() not in keys:
                continue
            areas.add(row[1].strip().lower())
            try:
                value = int(row[4].replace(",", ""))
            except ValueError:
                raise BadInput(f"{path.name}:{n}: Observation {row[4]!r} is not a whole number") from None
            if value < 0:
                raise BadInput(f"{path.name}:{n}: Observation {value} is below 0")
            group = _group(dimension, row[3], f"{path.name}:{n}")
            if group is not None:
                got[group] = got.get(group, 0) + value
        lacking_areas = [w for w in wanted if w.lower() not in areas]
        if lacking_areas or not areas:
            named = ", ".join(lacking_areas) or "any area"
            raise NoRows(f"{path.name}: no rows for {named} (its areas are named in the second column)")
        lacking = [g for g in groups(dimension) if g not in got and g not in OPTIONAL]
        if lacking:
            raise BadInput(
                f"{path.name}: the table has no figure for {', '.join(lacking)}; nothing is compared with it"
            )
        sources.append(path.name)
    return Census(counts, tuple(sources))


def for_report(paths: list[Path], localities: Sequence[str] | None) -> Census:
    """The census tables in force for a report of ``localities``: none when none is configured, or
    when they hold no rows for one of its localities (the report then gives shares alone, and
    says why); a table that is wrong is refused."""
    if not paths:
        return Census({}, (), f"no census table is configured ({CENSUS}): shares only")
    try:
        return read(paths, localities)
    except NoRows as e:
        return Census({}, (), f"{e}: shares only")


SAMPLE = "sample"
"""The value of ``CONTEXTGRAPH_CENSUS`` (or ``report --census``) that names the sample area's
fictional tables."""


def configured(given: Sequence[Path] | None = None) -> list[Path]:
    """The census tables in force: those ``given`` (``report --census``), else
    ``CONTEXTGRAPH_CENSUS``'s; ``sample`` names the sample area's fictional ones; none when none
    is set."""
    raw = [str(p) for p in given] if given else os.environ.get(CENSUS, SETTINGS[CENSUS].default).split(",")
    out: list[Path] = []
    for item in (x.strip() for x in raw):
        if item == SAMPLE:
            data = resources.files("contextgraph") / "data"
            out += [Path(str(data / name)) for name in SAMPLE_FILES]
        elif item:
            out.append(Path(item))
    return out
