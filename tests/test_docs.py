"""The docs name every kind, type, service, command, option and setting."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from contextgraph.cli import app
from contextgraph.docgen import END, POLICY_BEGIN, POLICY_END, generated_section, model_tables, role_table
from contextgraph.model import HANDLING_CODES, INTELLIGENCE_ASSESSMENTS, KINDS, MEETING_KINDS, REL_TYPES, SERVICES
from contextgraph.settings import SETTINGS

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


VOCABULARY = sorted(
    {*KINDS, *REL_TYPES, *SERVICES, *MEETING_KINDS, *HANDLING_CODES, *INTELLIGENCE_ASSESSMENTS}
    | {k.label for k in KINDS.values()}
)


@pytest.mark.parametrize("name", VOCABULARY)
def test_each_name_of_the_vocabulary_is_documented(name: str) -> None:
    assert f"`{name}`" in (DOCS / "model.md").read_text(encoding="utf-8"), f"{name} is not in docs/model.md"


def _commands() -> list[tuple[str, Any]]:
    """Every command, those of a group (``gazetteer import``) by their full name."""
    out: list[tuple[str, Any]] = []
    for name, cmd in typer.main.get_command(app).commands.items():  # type: ignore[attr-defined]
        subs = getattr(cmd, "commands", None)
        if subs:
            out += [(f"{name} {sub}", c) for sub, c in subs.items()]
        else:
            out.append((name, cmd))
    return sorted(out, key=lambda x: x[0])


@pytest.mark.parametrize(("name", "cmd"), _commands(), ids=[n for n, _ in _commands()])
def test_each_command_and_its_options_are_documented(name: str, cmd: Any) -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert f"### `contextgraph {name}" in text, f"command {name} is not in docs/cli.md"
    section = text.split(f"### `contextgraph {name}", 1)[1].split("\n### ", 1)[0]
    for param in cmd.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--"):
                assert opt in section, f"{name} {opt} is not in its docs/cli.md section"


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_each_setting_is_in_the_settings_table_of_the_docs(name: str) -> None:
    table = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert f"| `{name}` |" in table, f"setting {name} is not in docs/cli.md's table of settings"


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
    from contextgraph.service.auth import CLEARANCES, ROLES

    text = (DOCS / "auth.md").read_text(encoding="utf-8")
    for name, meaning in [*ROLES.items(), *CLEARANCES.items()]:
        assert f"| `{name}` | {meaning} |" in text, f"{name} is not in docs/auth.md"


def test_every_audited_operation_is_documented() -> None:
    from contextgraph.service.audit import OPERATIONS

    text = (DOCS / "audit.md").read_text(encoding="utf-8")
    for name in OPERATIONS:
        assert f"| `{name}` |" in text, f"{name} is not in docs/audit.md"
