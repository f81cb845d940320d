"""The docs name every kind, type, service, command, option and setting."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from contextgraph.cli import app
from contextgraph.docgen import END, POLICY_BEGIN, POLICY_END, generated_section, model_tables, role_table
from contextgraph.model import HANDLING_CODES, INTELLIGENCE_ASSESSMENTS, KINDS, MEETING_KINDS, REL_TYPES, SERVICES

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def all_docs() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md")))


def test_model_tables_are_generated_from_the_model() -> None:
    text = (DOCS / "model.md").read_text(encoding="utf-8")
    assert generated_section(text) == model_tables().strip(), "run: python -m contextgraph.docgen docs"
    assert END in text


def test_role_table_is_generated_from_the_policy() -> None:
    text = (DOCS / "auth.md").read_text(encoding="utf-8")
    assert generated_section(text, POLICY_BEGIN, POLICY_END) == role_table().strip(), (
        "run: python -m contextgraph.docgen docs"
    )


def test_every_name_of_the_vocabulary_is_documented() -> None:
    text = (DOCS / "model.md").read_text(encoding="utf-8")
    for name in [*KINDS, *REL_TYPES, *SERVICES, *MEETING_KINDS, *HANDLING_CODES, *INTELLIGENCE_ASSESSMENTS]:
        assert f"`{name}`" in text, name
    for k in KINDS.values():
        assert f"`{k.label}`" in text


def test_every_command_and_option_is_documented() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    commands = group.commands  # type: ignore[attr-defined]
    assert commands
    for name, cmd in commands.items():
        assert f"### `contextgraph {name}" in text, f"command {name} is not in docs/cli.md"
        section = text.split(f"### `contextgraph {name}", 1)[1].split("\n### ", 1)[0]
        for param in cmd.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--"):
                    assert opt in section, f"{name} {opt} is not in its docs/cli.md section"


def test_every_setting_is_documented() -> None:
    text = all_docs()
    names = set()
    for path in [*(ROOT / "src").rglob("*.py"), *(ROOT / "tests").rglob("*.py")]:
        names |= set(re.findall(r"""environ(?:\.get)?[\[(]\s*["']([A-Z][A-Z0-9_]+)["']""", path.read_text()))
    names |= {"CONTEXTGRAPH_STORE"}
    for n in names:
        assert f"`{n}`" in text, f"setting {n} is not documented"


def test_readme_quick_start_has_two_commands_and_ci_runs_the_second() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [x for x in block.splitlines() if x.strip() and not x.strip().startswith("#")]
    assert len(commands) == 2
    assert commands[1].strip() in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_docs_link_to_existing_pages() -> None:
    for page in [ROOT / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+\.md)\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_every_weight_is_documented_with_its_default() -> None:
    from dataclasses import fields

    from contextgraph.analysis import Weights

    text = (DOCS / "analysis.md").read_text(encoding="utf-8")
    for f in fields(Weights):
        value = getattr(Weights(), f.name)
        shown = f"[{', '.join(str(x) for x in value)}]" if isinstance(value, tuple) else str(value)
        assert f"| `{f.name}` | {shown} |" in text, f"weight {f.name} (default {shown}) is not in docs/analysis.md"


def test_every_role_and_clearance_is_documented() -> None:
    from contextgraph.auth import CLEARANCES, ROLES

    text = (DOCS / "auth.md").read_text(encoding="utf-8")
    for name, meaning in [*ROLES.items(), *CLEARANCES.items()]:
        assert f"| `{name}` | {meaning} |" in text, f"{name} is not in docs/auth.md"


def test_every_audited_operation_is_documented() -> None:
    from contextgraph.audit import OPERATIONS

    text = (DOCS / "audit.md").read_text(encoding="utf-8")
    for name in OPERATIONS:
        assert f"| `{name}` |" in text, f"{name} is not in docs/audit.md"
