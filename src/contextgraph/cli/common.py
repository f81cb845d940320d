"""What every command shares: the app, the consoles, the common options, opening the store and its access log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from ..errors import ContextGraphError
from ..settings import STORE as ENV_STORE

if TYPE_CHECKING:
    from rich.progress import Progress

    from ..service.audit import AuditLog
    from ..store import Store


app = typer.Typer(
    name="contextgraph",
    help="A contextual safeguarding intelligence graph: children, peers, places, schools, groups and persons of "
    "concern, from MACE and locality group notes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True)

StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        help=f"Store URL: sqlite:///FILE.db (default sqlite:///contextgraph.db) or neo4j://user:password@host:7687. "
        f"Default from ${ENV_STORE}.",
        show_default=False,
    ),
]
FormatOpt = Annotated[str, typer.Option("--format", help="table or json")]
UserOpt = Annotated[str, typer.Option("--user", help="Who is doing this (for the access log)")]
PurposeOpt = Annotated[str | None, typer.Option("--purpose", help="Why: the justification recorded in the access log")]


def access_log(store: str | None) -> AuditLog:
    """The access log of the store, checked writable and whole before anything is done."""
    from ..service.audit import AuditLog, audit_path
    from ..store import store_url

    log = AuditLog(audit_path(store_url(store)))
    notes: list[str] = []
    log.state(notes)  # a torn last line is moved aside, and said so
    for n in notes:
        err.print(f"note: {n}", highlight=False, soft_wrap=True)
    return log


def purpose_of(command: str, purpose: str | None) -> str:
    if not (purpose or "").strip():
        raise UserError(f"{command} needs --purpose: say why (the access log records it); nothing was done")
    return str(purpose)


class UserError(ContextGraphError):
    pass


@contextmanager
def opened(url: str | None, log: AuditLog | None = None) -> Iterator[Store]:
    """The store, closed afterwards; a refusal from it becomes a one-line user error. With
    ``log``, the log is checked against the store first and every write is logged ahead."""
    from ..store import StoreError, open_store, store_url

    try:
        s = open_store(store_url(url))
    except StoreError as e:
        raise UserError(str(e)) from None
    try:
        if log is not None:
            from ..service.audit import Journal

            notes: list[str] = []
            Journal.attach(log, s, notes)
            for n in notes:
                err.print(f"note: {n}", highlight=False, soft_wrap=True)
        yield s
    except StoreError as e:
        raise UserError(str(e)) from None
    finally:
        s.close()


def progress_bar(total: int, label: str) -> tuple[Progress | None, Callable[[int], None] | None]:
    if total < 20000 or not err.is_terminal:
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    p = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err)
    task = p.add_task(label, total=total)
    return p, lambda n: p.advance(task, n)


def check_format(fmt: str) -> None:
    if fmt not in {"table", "json"}:
        raise typer.BadParameter("--format must be table or json")
