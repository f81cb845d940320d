"""The localities commands: the area's localities as configuration."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from .common import FormatOpt, StoreOpt, UserError, UserOpt, access_log, app, check_format, opened, out, print_whole

if TYPE_CHECKING:
    from ..localities import Localities


loc_app = typer.Typer(
    help="The area's localities: names, the other names notes use for them, boundaries. Kept in the store.",
    no_args_is_help=True,
)
app.add_typer(loc_app, name="localities")


def _set_localities(store: str | None, user: str, command: str, change: Callable[[Localities], Localities]) -> None:
    """Read the stored localities, change them, and write them back, logged, in one step."""
    from ..localities import LocalityError
    from ..service.audit import acting

    # the localities are set before the first notes; the log is made once the store has opened
    with opened(store, lambda: access_log(store, create=True), create=True) as s:
        try:
            new = change(s.localities())
        except LocalityError as e:
            raise UserError(str(e)) from None
        with acting(s, user, None, {"command": f"localities {command}"}):
            s.set_localities(new, user)
    where = f" of {new.area}" if new.area else ""
    out.print(f"{len(new.items)} localities{where}: {', '.join(new.names) or '(none)'}", highlight=False)


@loc_app.command("add")
def localities_add(
    name: Annotated[str, typer.Argument(help="The locality's name, as notes of it and tokens use it")],
    alias: Annotated[
        list[str] | None, typer.Option("--alias", help="Another name notes use for it, e.g. a ward (repeatable)")
    ] = None,
    boundary: Annotated[
        Path | None, typer.Option("--boundary", help="A GeoJSON file holding its boundary polygon")
    ] = None,
    store: StoreOpt = None,
    user: UserOpt = "cli",
) -> None:
    """Add a locality, or replace the one of that name (its aliases and boundary with it)."""
    from ..localities import Locality, LocalityError, check_name, read_boundary

    try:
        loc = Locality(
            check_name(name, "NAME"),
            tuple(check_name(a, "--alias") for a in alias or []),
            read_boundary(boundary) if boundary else None,
        )
    except LocalityError as e:
        raise UserError(str(e)) from None
    _set_localities(store, user, "add", lambda cur: cur.with_locality(loc))


@loc_app.command("remove")
def localities_remove(
    name: Annotated[str, typer.Argument(help="The locality's name")],
    store: StoreOpt = None,
    user: UserOpt = "cli",
) -> None:
    """Remove a locality from the configuration (what the graph holds of it stays)."""
    _set_localities(store, user, "remove", lambda cur: cur.without(name))


@loc_app.command("area")
def localities_area(
    name: Annotated[str, typer.Argument(help="The area's name, e.g. the force or council")],
    store: StoreOpt = None,
    user: UserOpt = "cli",
) -> None:
    """Name the area the localities make up (notes "NAME-wide" are then for every locality)."""
    from ..localities import Localities, LocalityError, check_name

    try:
        area = check_name(name, "NAME")
    except LocalityError as e:
        raise UserError(str(e)) from None
    _set_localities(store, user, "area", lambda cur: Localities(area, cur.items))


@loc_app.command("import")
def localities_import(
    file: Annotated[Path, typer.Argument(help="A settings file, JSON (.json) or TOML: area and localities")],
    store: StoreOpt = None,
    user: UserOpt = "cli",
) -> None:
    """Replace the area and all its localities with those of a settings file (checked whole first)."""
    from ..localities import Localities, LocalityError

    try:
        new = Localities.read(file)
    except LocalityError as e:
        raise UserError(str(e)) from None
    _set_localities(store, user, "import", lambda _cur: new)


@loc_app.command("list")
def localities_list(store: StoreOpt = None, fmt: FormatOpt = "table") -> None:
    """The configured area and localities."""
    check_format(fmt)
    with opened(store) as s:
        locs = s.localities()
    if fmt == "json":
        print(json.dumps(locs.to_json(), indent=2, ensure_ascii=False))
        return
    t = Table("locality", "aliases", "boundary", title=f"Localities of {locs.area or '(no area named)'}")
    for x in locs.items:
        t.add_row(x.name, ", ".join(x.aliases), x.boundary["type"] if x.boundary else "")
    print_whole(t)
    if not locs:
        out.print("no localities configured: add them with contextgraph localities add NAME", highlight=False)
