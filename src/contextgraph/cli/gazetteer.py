"""The gazetteer commands: import and locate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .common import StoreOpt, UserError, UserOpt, access_log, app, opened, out

if TYPE_CHECKING:
    pass


gazetteer_app = typer.Typer(
    help="The gazetteer: where postcodes and named places are, so that places from notes reach the map.",
    no_args_is_help=True,
)
app.add_typer(gazetteer_app, name="gazetteer")


@gazetteer_app.command("import")
def gazetteer_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="A postcode file in the ONS Postcode Directory's CSV layout (columns pcds, lat, long among others), "
            "or a CSV of named places: name,lat,lon[,locality][,kind]"
        ),
    ],
    store: StoreOpt = None,
    user: UserOpt = "cli",
) -> None:
    """Load a gazetteer file, told by its header; a file with a bad line is refused whole, naming the line."""
    from ..ingest.gazetteer import GazetteerError, open_gazetteer
    from ..ingest.gazetteer import import_file as import_gazetteer_file
    from ..service.audit import acting

    try:
        open_gazetteer(file)  # refused before the log or the store is touched
    except GazetteerError as e:
        raise UserError(str(e)) from None
    log = access_log(store)
    with opened(store, log) as s, acting(s, user, None, {"command": "gazetteer import", "path": str(file)}):
        try:
            done = import_gazetteer_file(s, file)
        except GazetteerError as e:
            raise UserError(f"{e}; nothing was written") from None
        held = s.gazetteer_size()
    skipped = f" ({done['skipped']} without a grid reference skipped)" if done["skipped"] else ""
    out.print(
        f"loaded {file}: {done['postcodes']} postcodes{skipped}, {done['named_places']} named places; the gazetteer "
        f"holds {held[0]} postcodes and {held[1]} named places"
    )


@gazetteer_app.command("locate")
def gazetteer_locate(store: StoreOpt = None, user: UserOpt = "cli") -> None:
    """Locate the stored places without coordinates by the gazetteer as it is now (after a later import)."""
    from ..ingest.gazetteer import locate_stored
    from ..service.audit import acting

    log = access_log(store)
    with opened(store, log) as s:
        found, left = locate_stored(s)
        if found:
            with acting(s, user, None, {"command": "gazetteer locate"}):
                s.upsert(found)
    by = {k: sum(1 for e in found if e.properties["located_by"] == k) for k in ("postcode", "gazetteer")}
    out.print(
        f"located {len(found)} places ({by['postcode']} by postcode, {by['gazetteer']} by name); "
        f"{left} still without coordinates"
    )
