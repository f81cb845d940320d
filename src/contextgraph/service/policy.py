"""Need-to-know as data: one table of roles that every resolver and route asks.

Each role says whether it may write, whether it sees lists of children, how it
sees a child's name, which links of a child it never walks, and its clearance.
``docs/auth.md`` and ``docs/api.md`` describe the same table; a test checks that
they name every role.

>>> ROLES["mace"].child_names, sorted(ROLES["mace"].hidden_links)
('initials', ['ATTENDS', 'FAMILY_OF', 'LIVES_AT'])
>>> ROLES["chair"].may_write, ROLES["chair"].may_record_notes, ROLES["chair"].max_localities
(False, True, 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Final, Literal

from ..model import IDENTIFYING, KINDS, REL_TYPES

Clearance = Literal["P", "C"]


@dataclass(frozen=True)
class Role:
    """What one role may do."""

    name: str
    description: str
    may_write: bool
    """Create and change records: imports and every mutation of the graph."""
    may_record_notes: bool
    """Record meeting notes of their localities: post one, or review one on the page and commit it
    (a chair records the notes of their group's meetings; what a note says keeps its own grading)."""
    may_erase: bool
    """Erase a person."""
    may_export: bool
    """Export what they may see (a disclosure)."""
    child_lists: bool
    """Lists centred on children: at-risk children, peer groups, children found by name."""
    child_names: Literal["full", "initials"]
    """How a child's name is shown; with initials, no aliases, date of birth, properties or sources."""
    hidden_links: frozenset[str]
    """Relationship types never walked or shown: links that would identify a child shown by initials
    (a home address, a school, a family)."""
    sees_source_files: bool
    """Whether the file names of notes are shown (a file name can name a child)."""
    default_clearance: Clearance
    clearance_ceiling: Clearance
    everywhere: bool
    """Every locality, without naming them in the token."""
    max_localities: int | None
    """The most localities a token of this role may carry (None: no limit)."""
    tracking_about: frozenset[str] = frozenset(KINDS)
    """The kinds of entity whose tracking records (missing episodes, referrals, plans,
    disruptions...) the role reads: a record about a child is a child's case history."""
    may_report: bool = True
    """Make the partnership report (figures about children's casework, no child named) of what
    they may see."""


_CONTEXTS: Final = frozenset({"person_of_concern", "location", "school", "group"})

ROLES: Final[dict[str, Role]] = {
    r.name: r
    for r in (
        Role(
            "analyst",
            "reads and writes in their localities; sees handling code C",
            may_write=True,
            may_record_notes=True,
            may_erase=False,
            may_export=True,
            child_lists=True,
            child_names="full",
            hidden_links=frozenset(),
            sees_source_files=True,
            default_clearance="C",
            clearance_ceiling="C",
            everywhere=False,
            max_localities=None,
        ),
        Role(
            "chair",
            "reads in their one locality and records its meetings' notes; handling code P only",
            may_write=False,
            may_record_notes=True,
            may_erase=False,
            may_export=False,
            child_lists=True,
            child_names="full",
            hidden_links=frozenset(),
            sees_source_files=True,
            default_clearance="P",
            clearance_ceiling="P",
            everywhere=False,
            max_localities=1,
        ),
        Role(
            "mace",
            "places, hotspots and persons of concern in their localities; children by initials, "
            "never with a home address, school or family",
            may_write=False,
            may_record_notes=False,
            may_erase=False,
            may_export=False,
            child_lists=False,
            child_names="initials",
            hidden_links=IDENTIFYING,
            sees_source_files=False,
            default_clearance="P",
            clearance_ceiling="C",
            everywhere=False,
            max_localities=None,
            tracking_about=_CONTEXTS,
            may_report=False,
        ),
        Role(
            "admin",
            "everything, and user and erasure operations",
            may_write=True,
            may_record_notes=True,
            may_erase=True,
            may_export=True,
            child_lists=True,
            child_names="full",
            hidden_links=frozenset(),
            sees_source_files=True,
            default_clearance="C",
            clearance_ceiling="C",
            everywhere=True,
            max_localities=None,
        ),
    )
}
"""Every role, by name."""


PEOPLE: Final = frozenset(k for k, kind in KINDS.items() if kind.person)
"""The kinds that are people: what a view asked for by initials shows so."""


@cache  # asked for each entity of a map: a handful of answers
def by_initials(role_name: str, asked: bool = False) -> frozenset[str]:
    """The kinds a user sees by initials: children for a role that sees them only so, and every
    person when the user asked for initials (the page's "Initials only", for sharing).

    >>> sorted(by_initials("mace")), sorted(by_initials("chair")), sorted(by_initials("chair", asked=True))
    (['child'], [], ['child', 'person_of_concern'])
    """
    kinds = PEOPLE if asked else frozenset()
    if ROLES[role_name].child_names == "initials":
        kinds |= {"child"}
    return frozenset(kinds)


def role(name: str) -> Role:
    """The role of that name (a principal's role is checked when its token is read).

    >>> role("chair").default_clearance
    'P'
    """
    return ROLES[name]


def hidden_links(name: str, initials: bool = False) -> frozenset[str]:
    """The relationship types a reader is not shown: those their role never sees, and, where they
    asked for people by initials (a view to share), every link that tells who a person is — a
    home, a school, a family — as a MACE member is shown none (:data:`~contextgraph.model.IDENTIFYING`).

    >>> sorted(hidden_links("analyst")), sorted(hidden_links("analyst", initials=True))
    ([], ['ATTENDS', 'FAMILY_OF', 'LIVES_AT'])
    """
    return ROLES[name].hidden_links | (IDENTIFYING if initials else frozenset())


def walkable(name: str, types: list[str] | None, initials: bool = False) -> list[str] | None:
    """The relationship types a reader may walk, of those asked for (None: all).

    >>> walkable("analyst", None) is None
    True
    >>> "ATTENDS" in walkable("mace", None)
    False
    >>> walkable("mace", ["SEEN_AT", "ATTENDS"]), walkable("chair", ["SEEN_AT", "ATTENDS"], initials=True)
    (['SEEN_AT'], ['SEEN_AT'])
    """
    hidden = hidden_links(name, initials)
    if not hidden:
        return types
    return [t for t in (types if types is not None else list(REL_TYPES)) if t not in hidden]
