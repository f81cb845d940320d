"""The command line as a new user runs it: a new process, no colours, a wide terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from contextgraph.store import Store


def cg(
    *args: str, store: Store | None = None, cwd: Path | None = None, columns: int = 200
) -> subprocess.CompletedProcess[str]:
    """``contextgraph ARGS`` (with ``--store`` of ``store`` if given), its output as text; piped, as
    into a terminal ``columns`` wide."""
    cmd = [sys.executable, "-m", "contextgraph", *args]
    if store is not None:
        cmd += ["--store", store.url]
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": str(columns)}
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env, timeout=300, check=False)
