"""The access log commands: verify and list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from .common import FormatOpt, StoreOpt, UserError, app, check_format, err, opened, out, print_whole

if TYPE_CHECKING:
    pass


audit_app = typer.Typer(
    help="The access log: every consultation, collection, alteration, disclosure, "
    "combination and erasure, hash-chained.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")
LogOpt = Annotated[Path | None, typer.Option("--log", help="The log file (default: the store's)")]


@audit_app.command("verify")
def audit_verify(store: StoreOpt = None, log: LogOpt = None) -> None:
    """Check the chain, its head file and the store's head: fails, naming the line, if a record was
    edited, deleted, moved or cut off, or the log was replaced."""
    from ..service.audit import AuditLog, audit_path
    from ..store import store_url

    a = AuditLog(log or audit_path(store_url(store)))
    head, checked = _store_head(store, log)
    if not a.path.exists() and not (checked and head):
        raise UserError(f"{a.path}: no access log")
    rep = a.check(head, checked)
    for n in rep.notes:
        err.print(f"note: {n}", highlight=False, soft_wrap=True)
    if rep.problems:
        raise UserError(f"{a.path}: the access log has been changed: " + "; ".join(rep.problems[:5]))
    against = f"; the store's last write is record {head['seq']}" if checked and head else ""
    out.print(f"{a.path}: {rep.records} records, chain intact{against}")


def _store_head(store: str | None, log: Path | None) -> tuple[dict[str, Any] | None, bool]:
    """The head the store keeps with its last write, and whether the store was read (not when
    only ``--log`` is given, nor for a SQLite file that does not exist)."""
    from ..store import store_url

    if log is not None and store is None:
        return None, False
    url = store_url(store)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None, False
    with opened(url) as s:
        return s.audit_head(), True


@audit_app.command("list")
def audit_list(
    subject: Annotated[str | None, typer.Option(help="Only records about this entity id")] = None,
    user: Annotated[str | None, typer.Option(help="Only records of this user")] = None,
    store: StoreOpt = None,
    log: LogOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """Records of the access log, oldest first."""
    from ..service.audit import AuditLog, audit_path
    from ..store import store_url

    check_format(fmt)
    a = AuditLog(log or audit_path(store_url(store)))
    if not a.path.exists():  # a mistyped --store or --log: say so, rather than list nothing
        raise UserError(f"{a.path}: no access log; check --store (or --log)")
    rows = [{**r, "subjects": a.subjects(r)} if r.get("manifest") else r for r in a.list(subject=subject, user=user)]
    rep = a.check(*_store_head(store, log))  # a list of a log that was changed says so (and fails)
    if fmt == "json":
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        _changed(a.path, rep.problems)
        return
    t = Table("#", "time", "user", "operation", "subjects", "purpose", "recipient")
    for r in rows:
        subj = ", ".join(r["subjects"][:3]) + (f" and {len(r['subjects']) - 3} more" if len(r["subjects"]) > 3 else "")
        t.add_row(
            str(r["seq"]),
            r["time"],
            r["user"],
            r["operation"],
            subj,
            r["purpose"] or "",
            r["recipient"] or "",
        )
    print_whole(t)
    _changed(a.path, rep.problems)


def _changed(path: Path, problems: list[str]) -> None:
    """Fail, after the list, when the log it was read from was changed (``audit verify`` says how)."""
    if problems:
        raise UserError(f"{path}: the access log has been changed, so this list cannot be trusted: {problems[0]}")
