"""Documentation generated from the vocabulary, so that docs never retype it.

``python -m contextgraph.docgen`` rewrites the generated part of
``docs/model.md``; a test fails when that part differs from :func:`model_tables`.
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

BEGIN = "<!-- generated from model.py: begin -->"
END = "<!-- generated from model.py: end -->"


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
    return "\n\n".join(parts)


def generated_section(text: str) -> str:
    if BEGIN not in text or END not in text:
        raise ValueError(f"markers {BEGIN!r} and {END!r} are missing")
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def write(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    path.write_text(f"{head}{BEGIN}\n\n{model_tables()}\n\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/model.md"))
