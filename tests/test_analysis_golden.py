"""The analysis as the command line gives it, byte for byte: JSON and tables compared with files
the analysis wrote before its results were typed, so that a change to how results are built or
explained cannot change what a reader or a program receives.

The files in ``tests/golden/`` are regenerated (after a change meant to alter the output, and
only then) with ``python -m tests.test_analysis_golden`` from the repository's root.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from contextgraph.store import open_store

from .cli import cg
from .test_analysis import locality

GOLDEN = Path(__file__).parent / "golden"
RUNS = {
    "synth-since": ("--format", "json", "--since", "2025-01-01"),
    "synth-north-top": ("--format", "json", "--locality", "North", "--top", "5", "--since", "2025-06-01"),
    "synth-table": ("--top", "3", "--since", "2025-01-01"),
    "locality-since": ("--format", "json", "--since", "2024-03-01"),
    "locality-table": (
        "--since",
        "2024-03-01",
    ),
}
"""Each run's name (its file in tests/golden/) and the options of ``contextgraph analyse``."""


def _stores(root: Path) -> dict[str, str]:
    """A synthetic area of 60 children and the hand-made locality of test_analysis, each imported
    into a store of its own; their URLs by name."""
    data = root / "synth"
    made = cg("synth", str(data), str(root / "truth.json"), "--children", "60", "--seed", "3")
    assert made.returncode == 0, made.stderr
    synth = f"sqlite:///{root / 'synth.db'}"
    done = cg("import", str(data), "--store", synth)
    assert done.returncode == 0, done.stderr
    small = f"sqlite:///{root / 'locality.db'}"
    with open_store(small) as s:
        s.upsert(*locality())
    return {"synth": synth, "locality": small}


def _outputs(root: Path) -> Iterator[tuple[str, str]]:
    """Each run's name and what ``contextgraph analyse`` printed."""
    stores = _stores(root)
    for name, options in RUNS.items():
        res = cg("analyse", "--purpose", "test", *options, "--store", stores[name.split("-")[0]])
        assert res.returncode == 0, res.stderr
        yield name, res.stdout


def _file(name: str) -> Path:
    return GOLDEN / f"analysis-{name}.{'json' if '--format' in RUNS[name] else 'txt'}"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return dict(_outputs(tmp_path_factory.mktemp("golden")))


@pytest.mark.parametrize("name", sorted(RUNS))
def test_the_analysis_prints_what_it_printed_before(name: str, outputs: dict[str, str]) -> None:
    want = _file(name).read_text(encoding="utf-8")
    assert outputs[name] == want, f"contextgraph analyse {' '.join(RUNS[name])} differs from {_file(name).name}"


if __name__ == "__main__":  # regenerate the files
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for name, text in _outputs(Path(tmp)):
            _file(name).write_text(text, encoding="utf-8")
            print(f"wrote {_file(name)}", file=sys.stderr)
