"""Package build hook: bundles the mapping page (``web/``) into ``contextgraph/web/static``.

It runs ``npm ci`` (the versions pinned in ``web/package-lock.json``) and the page's
build when the bundle is missing or older than its sources. Building needs Node.js 18+
and npm; installing from a wheel does not.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class PageBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        web = root / "web"
        bundle = root / "src" / "contextgraph" / "web" / "static" / "main.js"
        if not (web / "package.json").exists():
            return  # built elsewhere (a container's first stage): the bundle is already in place
        sources = [p for p in (web / "src").rglob("*") if p.is_file()]
        sources += [web / "package.json", web / "package-lock.json", web / "build.mjs"]
        if bundle.exists() and bundle.stat().st_mtime >= max(p.stat().st_mtime for p in sources):
            return
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("building contextgraph's mapping page needs Node.js 18+ and npm on the PATH")
        installed = web / "node_modules" / ".package-lock.json"
        if not installed.exists() or installed.stat().st_mtime < (web / "package-lock.json").stat().st_mtime:
            subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=web, check=True)
        subprocess.run([npm, "run", "--silent", "build"], cwd=web, check=True)
