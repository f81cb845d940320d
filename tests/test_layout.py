"""The package's layout holds: one settings table, one error hierarchy, imports that run one way,
and a command line that loads only what a command needs."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from contextgraph import errors, settings
from contextgraph.limits import SETTINGS as LIMIT_SETTINGS
from contextgraph.limits import Limits
from contextgraph.notes.confidence import DEFAULT_THRESHOLD
from contextgraph.service.audit import MAX_SUBJECTS
from contextgraph.service.auth import AUDIENCE, JWKS_CACHE_SECONDS, JWKS_REFETCH_SECONDS
from contextgraph.store import DEFAULT_STORE

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "contextgraph"
DOCS = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))


@pytest.mark.parametrize("name", sorted(settings.SETTINGS))
def test_each_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in DOCS, f"setting {name} is not documented in docs/"


def test_no_module_but_the_settings_names_a_setting() -> None:
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "settings.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"""["']CONTEXTGRAPH_[A-Z_]+["']""", line) and ">>>" not in line:
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, "\n".join(found)


def test_the_settings_table_gives_the_defaults_the_modules_apply() -> None:
    s = settings.SETTINGS
    assert s[settings.STORE].default == DEFAULT_STORE
    assert s[settings.JWT_AUDIENCE].default == AUDIENCE
    assert float(s[settings.JWKS_CACHE_SECONDS].default) == JWKS_CACHE_SECONDS
    assert float(s[settings.JWKS_MIN_REFETCH_SECONDS].default) == JWKS_REFETCH_SECONDS
    assert float(s[settings.CONFIDENCE_THRESHOLD].default) == DEFAULT_THRESHOLD
    assert int(s[settings.AUDIT_MAX_SUBJECTS].default) == MAX_SUBJECTS
    limits = Limits()
    for field, (env, doc) in LIMIT_SETTINGS.items():
        assert float(s[env].default) == float(getattr(limits, field)) and s[env].doc == doc


def test_every_error_told_to_a_person_is_a_contextgraph_error() -> None:
    """Each module's error class belongs to the one hierarchy, so the command line and the service
    tell it the same way; the classes named here are checked by name so that a new one is noticed."""
    told = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and re.search(r"(Error|Yours)$", node.name):
                told.append((path, node.name))
    assert len(told) >= 15
    import importlib

    for path, name in told:
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        module = importlib.import_module(".".join(rel.parts).removesuffix(".__init__"))
        cls = getattr(module, name)
        if name == "QueryError":  # a named query missing: a defect of the package, never the user's
            assert not issubclass(cls, errors.ContextGraphError)
            continue
        assert issubclass(cls, errors.ContextGraphError), f"{rel}: {name} is outside the hierarchy"


def test_exit_codes_and_statuses_come_from_one_place() -> None:
    from contextgraph.interchange import InputError
    from contextgraph.limits import LimitError
    from contextgraph.service.auth import AuthError
    from contextgraph.store import NotFound

    assert errors.http_status(InputError(["a.jsonl:3: bad"])) == 422
    assert errors.http_status(AuthError("expired")) == 401
    assert errors.http_status(NotFound("no entity")) == 404
    assert errors.http_status(LimitError("too large")) == 413
    assert errors.http_status(KeyError("x")) == 500
    assert errors.exit_code(InputError(["x"])) == 1 and errors.exit_code(KeyError("x")) == 70


def _imports(path: Path) -> set[str]:
    """The contextgraph modules a file imports, by absolute name."""
    here = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            found.add(".".join([*base, *([node.module] if node.module else [])]))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("contextgraph"):
            found.add(node.module or "")
    return found


def test_no_import_runs_back_up_the_flow() -> None:
    """notes → ingest → store → analysis → service: no package imports one after it in the flow."""
    above = {
        "notes": ("store", "ingest", "analysis", "service", "cli", "interchange"),
        "ingest": ("analysis", "service", "cli"),
        "store": ("notes", "ingest", "analysis", "service", "cli", "interchange"),
        "analysis": ("notes", "ingest", "service", "cli", "partnership"),
        "partnership": ("notes", "ingest", "service", "cli"),
    }
    for package, banned in above.items():
        for path in (PACKAGE / package).rglob("*.py"):
            for name in _imports(path):
                top = name.split(".")[1] if name.count(".") else ""
                assert top not in banned, f"{path.relative_to(ROOT)} imports {name}"


GRAPHQL = PACKAGE / "service" / "graphql"
GRAPHQL_ORDER = [
    "explaining",
    "context",
    "execution",
    "guard",
    "types",
    "types.tracking",
    "types.entities",
    "types.analysis",
    "types.writes",
    "types.notes",
    "types.paths",
    "types.report",
    "types.views",
    "maps",
    "query",
    "mutation",
    "schema",
]
"""The GraphQL package's modules, each importing only those before it (its ``__init__`` imports any)."""
LONGEST = 500
"""The most lines a module of the GraphQL package or of the analysis holds, unless its docstring says why."""


def test_the_graphql_modules_import_only_those_above_them() -> None:
    base = "contextgraph.service.graphql."
    found = sorted(
        ".".join(p.relative_to(GRAPHQL).with_suffix("").parts).removesuffix(".__init__")
        for p in GRAPHQL.rglob("*.py")
        if p != GRAPHQL / "__init__.py"
    )
    assert found == sorted(GRAPHQL_ORDER), "a module of service/graphql/ is missing from GRAPHQL_ORDER"
    for n, name in enumerate(GRAPHQL_ORDER):
        path = GRAPHQL / (name.replace(".", "/") + ".py")
        if not path.exists():
            path = GRAPHQL / name.replace(".", "/") / "__init__.py"
        for imported in _imports(path):
            assert not imported.startswith("contextgraph.cli"), f"{name} imports {imported}"
            if imported.startswith(base):
                inner = imported.removeprefix(base)
                assert inner in GRAPHQL_ORDER[:n], f"service/graphql/{name} imports {inner}, which comes after it"


@pytest.mark.parametrize(
    "path", sorted([*GRAPHQL.rglob("*.py"), *(PACKAGE / "analysis").glob("*.py")]), ids=lambda p: p.name
)
def test_a_module_over_500_lines_says_why(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    doc = ast.get_docstring(ast.parse(text)) or ""
    lines = text.count("\n")
    assert lines <= LONGEST or "longer than" in doc.lower(), f"{path.relative_to(ROOT)}: {lines} lines, no reason given"


@pytest.mark.parametrize("name", [n.replace(".", "/") for n in GRAPHQL_ORDER if "." not in n])
def test_the_architecture_page_names_each_graphql_module(name: str) -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    shown = f"`{name}/`" if (GRAPHQL / name).is_dir() else f"`{name}.py`"
    assert shown in page, f"docs/architecture.md does not say what service/graphql/{name} holds"


def test_the_command_line_loads_only_what_a_command_needs(tmp_path: Path) -> None:
    """``--help`` loads no store, analysis, extraction or service; ``stats`` no service, analysis,
    array or graph library; ``import`` none of the web service's libraries. (The time these take is
    measured in bench/cli_bench.py.)"""
    heavy = [
        "numpy",
        "networkx",
        "scipy",
        "neo4j",
        "strawberry",
        "fastapi",
        "graphql",
        "starlette",
        "igraph",
        "rapidfuzz",
        "contextgraph.notes.extract",
        "contextgraph.projection",
        "contextgraph.service.audit",
    ]
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['contextgraph', *sys.argv[1:]]\n"
        "try:\n    runpy.run_module('contextgraph', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        f"print('LOADED', __import__('json').dumps([m for m in {heavy!r} if m in sys.modules]))\n"
    )

    def loaded(*args: str) -> list[str]:
        r = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120)
        line = next(x for x in r.stdout.splitlines() if x.startswith("LOADED"))
        return list(json.loads(line.split(" ", 1)[1]))

    assert loaded("--help") == []
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert loaded("stats", "--store", url) == []
    folder = tmp_path / "area"
    folder.mkdir()
    (folder / "entities.jsonl").write_text('{"id": "c-1", "kind": "child", "name": "Ann Bell"}\n', encoding="utf-8")
    web = {"strawberry", "fastapi", "graphql", "starlette"}
    assert not web & set(loaded("import", str(folder), "--store", f"sqlite:///{tmp_path / 'new.db'}"))


@pytest.mark.parametrize(
    "name",
    sorted(
        p.name + ("/" if p.is_dir() else "")
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" and p.name not in ("__init__.py", "__main__.py")) or (p / "__init__.py").exists()
    ),
)
def test_the_architecture_page_names_each_module(name: str) -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert f"`{name}`" in page, f"docs/architecture.md does not say what {name} holds"
