"""What every command shares: the app, the consoles, the common options, opening the store and its access log."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import unquote

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from ..errors import ContextGraphError
from ..quoted import on_screen, shows_all
from ..settings import STORE as ENV_STORE

if TYPE_CHECKING:
    from rich.progress import Progress

    from ..localities import Localities
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


class _Plain(Console):
    """A console that prints text as it is: no markup (a name or a file holding ``[red]`` keeps
    it; styling is given as :class:`rich.text.Text`), no emoji codes (a message naming line 100 of
    a file, ``:100:``, says so), and control characters written as escapes (a name holding an
    escape sequence cannot clear the screen or hide a link in it)."""

    def __init__(self, **kw: Any):
        super().__init__(markup=False, emoji=False, **kw)

    def render_str(self, text: str, **kw: Any) -> Text:
        return super().render_str(on_screen(text), **kw)


out = _Plain(soft_wrap=True)
"""What a command answers."""
err = _Plain(stderr=True, highlight=False)
"""Errors, warnings and notes."""


def print_whole(table: Table) -> None:
    """Print ``table`` on :data:`out`: fitted to a terminal; piped or written to a file, as wide as
    its cells are, so that nothing (a time, an id) is cut short or folded to fit 80 columns."""
    if out.is_terminal:
        out.print(table)
        return
    wide = Measurement.get(out, out.options.update_width(1_000_000), table).maximum
    _Plain(soft_wrap=True, width=max(wide, out.width), file=out.file).print(table)


StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        help=f"Store URL: sqlite:///FILE.db (default sqlite:///contextgraph.db) or neo4j://user:password@host:7687. "
        f"Default from ${ENV_STORE}.",
        show_default=False,
    ),
]


class UserError(ContextGraphError):
    pass


def user_of(user: str) -> str:
    """``--user`` as given, refused if it holds a control character (the access log records it, and
    a listing of the log shows it).

    >>> user_of("Ana Shah")
    'Ana Shah'
    >>> user_of("ana\\x1b[2J")
    Traceback (most recent call last):
    ...
    contextgraph.cli.common.UserError: --user: holds a control character (\\x1b), which it has no place for
    """
    return unicodedata.normalize("NFC", shows_all(user, "--user", error=UserError))


FormatOpt = Annotated[str, typer.Option("--format", help="table or json")]
UserOpt = Annotated[str, typer.Option("--user", help="Who is doing this (for the access log)", callback=user_of)]


def reason_of(reason: str) -> str:
    """``--reason`` as given, held to what the access log keeps of a reason
    (:func:`~contextgraph.service.audit.reason_said`), naming the option."""
    from ..service.audit import said

    return said(reason, "--reason", UserError, free=True)


PurposeOpt = Annotated[str | None, typer.Option("--purpose", help="Why: the justification recorded in the access log")]


CREATORS = "import, ingest, localities add|import|area or serve --sample"
"""The commands that may make a new store; every other refuses a store that is not there."""


def sqlite_file(url: str | None) -> Path | None:
    """The file of an embedded store's URL (None for a server's)."""
    from ..store import store_url

    url = store_url(url)
    if url.startswith("sqlite://"):
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else url[len("sqlite://") :]
        return Path(unquote(path)) if path else None
    return Path(url) if "://" not in url and url.endswith(".db") else None


def existing(url: str | None) -> None:
    """Refuse an embedded store whose file is not there: a mistyped ``--store`` would otherwise make
    a new, empty store (and its folder) and report on nothing."""
    from ..store import store_url

    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise UserError(
            f"no store at {path} ({store_url(url)}): check --store (or ${ENV_STORE}); "
            f"a new store is made only by {CREATORS}"
        )


def access_log(store: str | None, create: bool = False) -> AuditLog:
    """The access log of the store, checked writable and whole before anything is done. Without
    ``create``, a store that is not there is refused first."""
    from ..service.audit import AuditLog, audit_path
    from ..store import store_url

    if not create:
        existing(store)
    log = AuditLog(audit_path(store_url(store)))
    notes: list[str] = []
    log.state(notes)  # a torn last line is moved aside, and said so
    for n in notes:
        err.print(f"note: {n}", highlight=False, soft_wrap=True)
    return log


def purpose_of(command: str, purpose: str | None) -> str:
    """``purpose`` if it says why, in letters or digits, with no control character; else refused
    before anything is done."""
    from ..service.audit import said, visible

    if not visible(purpose):
        raise UserError(
            f"{command} needs --purpose: say why, in letters or digits (the access log records it); nothing was done"
        )
    return said(str(purpose), "--purpose", UserError)


def recipient_of(command: str, recipient: str | None) -> str:
    """``recipient`` if it says who, in letters or digits, with no control character; else refused
    before anything is done."""
    from ..service.audit import said, visible

    if not visible(recipient):
        raise UserError(
            f"{command} needs --recipient: say who it is for, in letters or digits (the access log records it); "
            "nothing was done"
        )
    return said(str(recipient), "--recipient", UserError)


def localities_given(
    given: list[str] | None, configured: Localities, held: Iterable[str | None] = (), option: str = "--locality"
) -> list[str]:
    """The localities ``--locality`` names, each as configured: matched without regard to case, by
    name or alias; else (for data imported without configuration) as a locality the store holds,
    without regard to case. Any other is refused, naming the ones there are.

    >>> from contextgraph.localities import Localities, Locality
    >>> locs = Localities("Sallowford", (Locality("Kilnworth", ("Kilnworth ward",)), Locality("Ashpool")))
    >>> localities_given(["kilnworth", "KILNWORTH WARD", "ashpool"], locs)
    ['Kilnworth', 'Ashpool']
    >>> localities_given(["tanyard"], Localities(), ["Tanyard"])
    ['Tanyard']
    """
    from ..localities import how_to_add, norm

    by_form = {norm(h): h for h in held if h}
    got: list[str] = []
    for written in given or []:
        name = configured.canonical(written) or by_form.get(norm(written))
        if name is None:
            if configured.names:
                known = f"configured: {', '.join(configured.names)}"
            elif by_form:  # none configured: the store's own
                known = f"none is configured; the store holds {', '.join(sorted(by_form.values()))}"
            else:
                known = "none is configured"
            add = how_to_add(written) if not configured.canonical(written) else ""
            raise UserError(f"{option} {written!r} is not a configured locality ({known}){add}")
        if name not in got:
            got.append(name)
    return got


def counted(n: int, one: str, many: str | None = None) -> str:
    """A count and a noun that agrees with it.

    >>> counted(1, "person of concern", "persons of concern"), counted(2, "problem")
    ('1 person of concern', '2 problems')
    """
    return f"{n} {one if n == 1 else (many or one + 's')}"


def shown_of(total: int, cut: int, cut_before: int | None = None) -> str:
    """How many a list shows of how many there are, for a title: ``total`` held, the first ``cut``
    shown; ``cut_before``, when the list was already cut to that many (how many more is not known).

    >>> shown_of(50, 10), shown_of(7, 10), shown_of(10, 10, cut_before=10), shown_of(4, 10, cut_before=10)
    ('top 10 of 50', '7', 'top 10', '4')
    """
    if total > cut:
        return f"top {cut} of {total}"
    return f"top {total}" if cut_before is not None and total >= cut_before else str(total)


@contextmanager
def opened(
    url: str | None, log: AuditLog | Callable[[], AuditLog] | None = None, create: bool = False
) -> Iterator[Store]:
    """The store, closed afterwards; a refusal from it becomes a one-line user error. With
    ``log``, the log is checked against the store first and every write is logged ahead; given as
    a function, it is made only once the store has opened (a store refused leaves no log behind).
    Without ``create``, an embedded store that is not there is refused, and nothing is made."""
    from ..store import StoreError, open_store, store_url

    if not create:
        existing(url)
    file = sqlite_file(url)
    new = file is not None and not file.exists()
    try:
        s = open_store(store_url(url))
    except StoreError as e:
        raise UserError(str(e)) from None
    try:
        if callable(log):
            try:
                log = log()
            except BaseException:
                if new and file is not None:  # the store made for this, which nothing was written to
                    s.close()
                    for extra in ("", "-wal", "-shm", "-journal"):
                        file.with_name(file.name + extra).unlink(missing_ok=True)
                raise
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
