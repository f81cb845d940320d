"""The folder an import stages in, and those that imports killed outright left behind.

An import stages what its second processes read in a folder of the system's temporary directory
(``contextgraph-import-PID-…``), removed when it ends, however it ends, but for a process killed
outright (``kill -9``, the out-of-memory killer). Such a folder can hold as much as the files
read, so the next import removes it: once the process that made it has ended, and an hour after
the folder last changed (a process of another machine or container sharing the directory, whose
number this one cannot check, is not left without its files in the middle of an import).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path

PREFIX = "contextgraph-import-"
STALE_AFTER_S = 3600.0
"""How long after it last changed a folder whose process has ended is left alone."""

_OWNER = re.compile(rf"^{re.escape(PREFIX)}(\d+)-")


def make() -> tempfile.TemporaryDirectory[str]:
    """A new staging folder, named by this process, after removing those left behind (:func:`sweep`)."""
    sweep(Path(tempfile.gettempdir()))
    return tempfile.TemporaryDirectory(prefix=f"{PREFIX}{os.getpid()}-")


def sweep(where: Path, now: float | None = None) -> list[Path]:
    """Remove the staging folders in ``where`` whose process has ended and that have not changed
    for :data:`STALE_AFTER_S`; the folders removed. A folder named otherwise, or of a process that
    runs, or not this user's to remove, is left.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / f"{PREFIX}{os.getpid()}-a").mkdir(); (d / f"{PREFIX}2147483646-b").mkdir()
    >>> [p.name for p in sweep(d, now=time.time() + 2 * STALE_AFTER_S)]
    ['contextgraph-import-2147483646-b']
    >>> sorted(p.name for p in d.iterdir()) == [f"{PREFIX}{os.getpid()}-a"]
    True
    """
    now = time.time() if now is None else now
    gone: list[Path] = []
    try:
        found = sorted(where.glob(f"{PREFIX}*"))
    except OSError:
        return gone
    for folder in found:
        owner = _OWNER.match(folder.name)
        if owner is None or _running(int(owner.group(1))):
            continue
        try:
            if not folder.is_dir() or now - folder.stat().st_mtime < STALE_AFTER_S:
                continue
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            gone.append(folder)
    return gone


def _running(pid: int) -> bool:
    """Whether a process of that number runs here (one of another user counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True
