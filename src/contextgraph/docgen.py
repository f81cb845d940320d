"""Documentation generated from the vocabulary and the roles table, so that docs never retype them.

``python -m contextgraph.docgen`` rewrites the generated parts of ``docs/model.md``
(:func:`model_tables`) and ``docs/auth.md`` (:func:`role_table`); a test fails when
either differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .model import (
    HANDLING_CODES,
    INTELLIGENCE_ASSESSMENTS,
    KINDS,
    MEETING_KINDS,
    REL_TYPES,
    SERVICES,
    SOURCE_EVALUATIONS,
)
from .model.demographics import CHECKED
from .model.tracking import CODE_LISTS, COMMON_FIELDS, DEFAULT_BENCHMARKS, RECORD_KINDS, Field
from .service.policy import ROLES
from .settings import PATHWAY_LEVELS, SETTINGS

BEGIN = "<!-- generated from model.py: begin -->"
END = "<!-- generated from model.py: end -->"
POLICY_BEGIN = "<!-- generated from policy.py: begin -->"
POLICY_END = "<!-- generated from policy.py: end -->"


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def model_tables() -> str:
    """The vocabulary as Markdown tables.

    >>> "| `child` | `Child` |" in model_tables()
    True
    """

    def kinds(names: frozenset[str]) -> str:
        return " or ".join(f"`{k}`" for k in KINDS if k in names)

    parts = [
        "### Entity kinds",
        _table(
            ["kind", "Neo4j label", "what it is"],
            [[f"`{k.name}`", f"`{k.label}`", k.description] for k in KINDS.values()],
        ),
        "Every entity also has the Neo4j label `Entity`.",
        "### Relationship types",
        _table(
            ["type", "from", "to", "symmetric", "meaning"],
            [
                [f"`{r.name}`", kinds(r.sources), kinds(r.targets), "yes" if r.symmetric else "no", r.description]
                for r in REL_TYPES.values()
            ],
        ),
        "### Services (targets of `OPEN_TO`)",
        _table(["code", "service"], [[f"`{s.code}`", s.description] for s in SERVICES.values()]),
        "### Meeting kinds",
        _table(["kind", "what it is"], [[f"`{m.code}`", m.description] for m in MEETING_KINDS.values()]),
        "### Gradings (3x5x2)",
        _table(
            ["part", "code", "meaning"],
            [["source evaluation", f"`{k}`", v] for k, v in SOURCE_EVALUATIONS.items()]
            + [["intelligence assessment", f"`{k}`", v] for k, v in INTELLIGENCE_ASSESSMENTS.items()]
            + [["handling code", f"`{k}`", v] for k, v in HANDLING_CODES.items()],
        ),
    ]
    demo = [[f"`{name}`", f"`{code}`", meaning] for name, codes in CHECKED.items() for code, meaning in codes.items()]
    parts += [
        "### Demographics (entity properties of a child or a person of concern, where recorded)",
        _table(["property", "code", "meaning"], demo),
    ]
    return "\n\n".join([*parts, *tracking_tables()])


def tracking_tables() -> list[str]:
    """The kinds of tracking record, their fields and code lists, as Markdown.

    >>> any("### Tracking record: `missing_episode`" in t for t in tracking_tables())
    True
    """

    def kind_of(f: Field) -> str:
        if f.type in ("code", "codes") and f.codes:
            many = " (a list)" if f.type == "codes" else ""
            return f"code of `{f.codes}`{many}"
        if f.type in ("entity", "entities") and f.kinds:
            many = " (a list of ids)" if f.type == "entities" else ""
            return "id of a " + " or ".join(f"`{k}`" for k in KINDS if k in f.kinds) + many
        if f.type == "items":
            return "list of objects: " + ", ".join(f"`{g.name}`{'' if g.required else '?'}" for g in f.items)
        return f.type

    def rows(fields: tuple[Field, ...]) -> list[list[str]]:
        return [[f"`{f.name}`", kind_of(f), "yes" if f.required else "no", f.description] for f in fields]

    head = ["field", "type", "required", "meaning"]
    out = [
        "### Tracking records: the fields every record has",
        _table(head, rows(COMMON_FIELDS)),
    ]
    for k in RECORD_KINDS.values():
        subjects = " or ".join(f"`{x}`" for x in KINDS if x in k.subjects)
        out += [
            f"### Tracking record: `{k.name}`",
            f"About a {subjects}: {k.description}.",
            _table(head, rows(k.fields)),
        ]
        for f in k.fields:
            if f.type == "items":
                out += [f"Each of `{f.name}`:", _table(head, rows(f.items))]
    lists = [
        [f"`{name}`", f"`{code}`", meaning] for name, codes in CODE_LISTS.items() for code, meaning in codes.items()
    ]
    configured = [
        [
            "`pathway_level`",
            "configured: `CONTEXTGRAPH_PATHWAY_LEVELS`",
            "default " + SETTINGS[PATHWAY_LEVELS].default.replace(",", ", "),
        ],
        [
            "`outcome_benchmark`",
            "configured: `CONTEXTGRAPH_OUTCOME_BENCHMARKS`",
            "default " + ", ".join(DEFAULT_BENCHMARKS),
        ],
        ["`service`", "the service codes above", ", ".join(SERVICES)],
    ]
    out += ["### Tracking records: code lists", _table(["list", "code", "meaning"], lists + configured)]
    return out


def _kinds_or_all(kinds: frozenset[str]) -> str:
    return "all" if kinds == frozenset(KINDS) else ", ".join(f"`{k}`" for k in KINDS if k in kinds)


def role_table() -> str:
    """The roles table as Markdown.

    >>> "| `chair` |" in role_table()
    True
    """

    def yes(x: bool) -> str:
        return "yes" if x else "no"

    rows = [
        [
            f"`{r.name}`",
            r.description,
            "all" if r.everywhere else (f"at most {r.max_localities}" if r.max_localities else "theirs"),
            f"`{r.default_clearance}`" + ("" if r.clearance_ceiling == r.default_clearance else " (`C` if cleared)"),
            yes(r.may_write),
            yes(r.may_record_notes),
            yes(r.may_export),
            yes(r.may_erase),
            yes(r.child_lists),
            r.child_names,
            ", ".join(f"`{t}`" for t in sorted(r.hidden_links)) or "none",
            yes(r.sees_source_files),
            _kinds_or_all(r.tracking_about),
        ]
        for r in ROLES.values()
    ]
    head = [
        "role",
        "may",
        "localities",
        "clearance",
        "writes",
        "records notes",
        "exports",
        "erases",
        "lists of children",
        "children's names",
        "links never shown",
        "note file names",
        "tracking records about",
    ]
    return _table(head, rows)


def generated_section(text: str, begin: str = BEGIN, end: str = END) -> str:
    if begin not in text or end not in text:
        raise ValueError(f"markers {begin!r} and {end!r} are missing")
    return text.split(begin, 1)[1].split(end, 1)[0].strip()


def _rewrite(path: Path, begin: str, end: str, content: str) -> None:
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    path.write_text(f"{head}{begin}\n\n{content}\n\n{end}{tail}", encoding="utf-8")


def write(docs: Path) -> None:
    """Rewrite the generated parts of the docs in the folder ``docs``."""
    _rewrite(docs / "model.md", BEGIN, END, model_tables())
    _rewrite(docs / "auth.md", POLICY_BEGIN, POLICY_END, role_table())


if __name__ == "__main__":
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
