"""Network analysis: linked at-risk children not open to services, peer groups,
hotspot locations, persons of concern and changes since a date.

Every function here is a pure function of a :class:`~contextgraph.projection.Projection`
(and plain options), so it runs the same on every store, and returns typed, frozen records
(:mod:`contextgraph.analysis.results`) of ids and numbers, which
:mod:`contextgraph.analysis.report` returns explained, in words.

The method (explained for practitioners in ``docs/analysis.md``):

1. **Known children** are those already open to a service *and* known to be
   exploited: open to the exploitation team, flagged in their record, or named
   as exploited by a person of concern. With persons of concern they are the
   *risky people*. Their labels are used to learn how risky each place and group
   is; the children being ranked (not open to any service) contribute no label.
2. **Place and group risk** is the smoothed share of risky people among the
   people linked to the place or group, counted only where at least
   ``min_risky`` risky people are linked, so that one known child at the library
   does not make the library a hotspot, and a busy place seen by hundreds is
   weighed by its share, not its count.
3. **Evidence** is each relationship of a child not open to services, valued by
   its type and what is at its other end (a person of concern, a known child, a
   risky place or group), times a factor for recency, grading and corroboration.
4. A **second step** adds a part of the direct evidence of children they went
   missing with or associate with, so that a child linked only through another
   unopened child is still seen.
5. A child's **score** is the sum of its evidence; its **reasons** are the
   largest parts, each naming the facts behind it.

>>> from contextgraph.projection import Projection
>>> p = Projection.from_lists(
...     ["p", "a", "b", "svc-YJS"], ["person_of_concern", "child", "child", "service"], ["E"] * 4,
...     [(0, 1, "EXPLOITS", "2024-03-01", "2024-03-01", 1, "1B P"),
...      (1, 2, "MISSING_WITH", "2024-03-02", "2024-03-02", 1, None)])
>>> [(c.id, c.rank) for c in unopened_at_risk(prepare(p))]
[('a', 1), ('b', 2)]
"""

from .changes import changes
from .context import Context, as_of_day, iso, prepare, unique_pairs
from .evaluation import average_precision, baseline_pagerank, baseline_risky_neighbours, r_precision, ranking
from .networks import peer_groups, persons_of_concern
from .places import hotspots
from .results import Analysis, Networks
from .run import analyse, lists, networks
from .scoring import at_risk, score_children, unopened_at_risk
from .weights import DEFAULT, REASON_KINDS, AnalysisError, Weights

__all__ = [
    "DEFAULT",
    "REASON_KINDS",
    "Analysis",
    "AnalysisError",
    "Context",
    "Networks",
    "Weights",
    "analyse",
    "as_of_day",
    "at_risk",
    "average_precision",
    "baseline_pagerank",
    "baseline_risky_neighbours",
    "changes",
    "hotspots",
    "iso",
    "lists",
    "networks",
    "peer_groups",
    "persons_of_concern",
    "prepare",
    "r_precision",
    "ranking",
    "score_children",
    "unique_pairs",
    "unopened_at_risk",
]
