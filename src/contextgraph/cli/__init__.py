"""The ``contextgraph`` command.

Exit codes: 0 done; 1 a user error, told in one line (no traceback); 2 a usage
error (unknown command or option).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .. import __version__
from ..errors import ContextGraphError, exit_code
from . import analysis, audit, evaluation, gazetteer, graph, learning, localities, notes, report, service, tracking  # noqa: F401 - each registers its commands
from .common import app, err

__all__ = ["app", "main"]


def _version(value: bool) -> None:
    if value:
        print(f"contextgraph {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version")
    ] = False,
) -> None:
    pass


def main() -> None:
    try:
        app(standalone_mode=True)
    except ContextGraphError as e:  # told in one line; any other error is a defect, with its traceback
        for line in str(e).splitlines() or [""]:  # several problems: one a line
            err.print(f"error: {line}", highlight=False, soft_wrap=True, markup=False)
        sys.exit(exit_code(e))
