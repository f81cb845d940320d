"""The local child population a report compares with: census tables in the layout of the Office
for National Statistics' 2021 Census downloads — one CSV per variable, with the columns
``<area type> Code, <area type>, <variable> Code, <variable>, Observation`` — for ethnic group
(the 2021 categories, by the labels in docs/model.md), sex (``Female``, ``Male``) and age
(``Aged N years``, or ranges ``Aged A to B years`` that fit the report's bands).

A table is read for the report's locality (the rows whose area is named as it is) or, for a
report of every locality, summed over its areas. A variable whose table lacks a group is refused
with the group named, rather than compared with a population that is not all there.

>>> band(12), band(15), band(19), band(30)
('10 to 13', '14 to 15', '18 to 25', None)
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable
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
    """The population by group, for each dimension a table was given for."""

    counts: dict[str, dict[str, int]]
    sources: tuple[str, ...]

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


def read(paths: Iterable[Path], locality: str | None) -> Census:
    """The census tables at ``paths`` for ``locality`` (every area when None)."""
    counts: dict[str, dict[str, int]] = {}
    sources = []
    for path in paths:
        try:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                rows = list(csv.reader(fh))
        except OSError as e:
            raise BadInput(f"{path.name}: cannot read the census table ({e.strerror})") from None
        if not rows or len(rows[0]) < 5 or rows[0][-1].strip().lower() != "observation":
            raise BadInput(
                f"{path.name}:1: not a census table in the ONS 2021 layout (columns: area code, area, "
                "category code, category, Observation)"
            )
        dimension = _dimension(rows[0][3])
        if dimension is None:
            raise BadInput(f"{path.name}:1: {rows[0][3]!r} is not ethnic group, sex or age")
        got = counts.setdefault(dimension, {})
        matched = 0
        for n, row in enumerate(rows[1:], 2):
            if len(row) < 5:
                raise BadInput(f"{path.name}:{n}: expected 5 columns, found {len(row)}")
            if locality is not None and row[1].strip().lower() != locality.lower():
                continue
            matched += 1
            try:
                value = int(row[4].replace(",", ""))
            except ValueError:
                raise BadInput(f"{path.name}:{n}: Observation {row[4]!r} is not a whole number") from None
            group = _group(dimension, row[3], f"{path.name}:{n}")
            if group is not None:
                got[group] = got.get(group, 0) + value
        if not matched:
            raise BadInput(f"{path.name}: no rows for {locality!r} (its areas are named in the second column)")
        lacking = [g for g in groups(dimension) if g not in got and g not in OPTIONAL]
        if lacking:
            raise BadInput(
                f"{path.name}: the table has no figure for {', '.join(lacking)}; nothing is compared with it"
            )
        sources.append(path.name)
    return Census(counts, tuple(sources))


def configured() -> list[Path]:
    """The census tables in force (``CONTEXTGRAPH_CENSUS``), else the sample's fictional ones."""
    raw = os.environ.get(CENSUS, SETTINGS[CENSUS].default).strip()
    if raw:
        return [Path(p.strip()) for p in raw.split(",") if p.strip()]
    data = resources.files("contextgraph") / "data"
    return [Path(str(data / name)) for name in SAMPLE_FILES]
