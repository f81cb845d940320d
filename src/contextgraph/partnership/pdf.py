"""A report's HTML printed to PDF by a real browser: Chromium (or Chrome) without a window, which
prints the marking and the period at the head and foot of every page (:mod:`.render` puts them
in a table's head and foot, which a browser repeats on each page)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import Unavailable
from ..settings import CHROMIUM

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SECONDS = 180


def browser() -> str:
    """The browser that prints (``CONTEXTGRAPH_CHROMIUM``, else the first of :data:`BROWSERS` on the path)."""
    given = os.environ.get(CHROMIUM, "").strip()
    if given:
        if not (os.path.isfile(given) and os.access(given, os.X_OK)):
            raise Unavailable(f"{CHROMIUM}: {given!r} is not a program that can be run")
        return given
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise Unavailable(
        "a PDF is printed by Chromium, and none was found (install it, e.g. apt-get install chromium, or set "
        f"{CHROMIUM}); the HTML (--format html) prints from any browser"
    )


def to_pdf(html: str) -> bytes:
    """The PDF of a report's HTML."""
    exe = browser()
    with tempfile.TemporaryDirectory(prefix="contextgraph-report-") as tmp:
        page, pdf = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        args = [exe, "--headless", "--disable-gpu", "--no-pdf-header-footer", f"--user-data-dir={tmp}/profile"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium will not run its sandbox as root
        args += [f"--print-to-pdf={pdf}", page.as_uri()]
        try:
            done = subprocess.run(args, capture_output=True, timeout=SECONDS, check=False)
        except subprocess.TimeoutExpired:
            raise Unavailable(f"the browser did not print the report within {SECONDS} s") from None
        if not pdf.exists() or pdf.stat().st_size == 0:
            said = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["nothing"]
            raise Unavailable(f"the browser printed no PDF (exit {done.returncode}; it said: {said[0][:200]})")
        return pdf.read_bytes()
