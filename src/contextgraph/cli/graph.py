"""Commands on the graph itself: import, export, stats, the sample, show, search, merge, split and erase."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from .common import (
    FormatOpt,
    PurposeOpt,
    StoreOpt,
    UserError,
    UserOpt,
    access_log,
    app,
    check_format,
    counted,
    err,
    localities_given,
    opened,
    out,
    print_whole,
    progress_bar,
    purpose_of,
    reason_of,
    recipient_of,
    sqlite_file,
    user_of,
)
from .scratch import make as scratch_folder

if TYPE_CHECKING:
    pass


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="Folder with entities.jsonl and relationships.jsonl")],
    store: StoreOpt = None,
    user: UserOpt = "cli",
    neo4j_admin: Annotated[
        Path | None,
        typer.Option(
            "--neo4j-admin",
            help="Write no store: write into this new folder the files that neo4j-admin loads into an empty Neo4j "
            "database (the bulk path for a first load), and print the command",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Import a folder in the interchange format. All of it is written, or nothing."""
    from ..ingest.writes import held_as_seen
    from ..interchange import InputError, apply_batch, read_folder
    from ..interchange.jsonl import MAX_PROBLEMS
    from ..memory import paused_gc
    from ..service.audit import acting
    from ..store import Filter

    if neo4j_admin is not None:
        _admin_files(path, neo4j_admin)
        return

    def read(known: Any, localities: Any = None, erased: Any = None, held: Any = None) -> Any:
        try:
            with paused_gc(keep=True):  # a new store's relationships are made into rows meanwhile
                return read_folder(
                    path,
                    known_kinds=known,
                    stage=scratch,
                    stage_links=known is None,
                    localities=localities,
                    erased=erased,
                    held=held,
                )
        except InputError as e:
            raise UserError(e.every(MAX_PROBLEMS)) from None

    # a new embedded store (and its access log) is made only once the folder has been read whole:
    # a folder refused leaves nothing behind; the staging files go when the import ends, whatever
    # its end (a termination too; where no temporary folder can be made, nothing is staged)
    file = sqlite_file(store)
    batch = None
    with contextlib.ExitStack() as stack:
        stack.enter_context(ended_as_exit(signal.SIGTERM, signal.SIGHUP))
        scratch: Path | None = None
        with contextlib.suppress(OSError):
            scratch = Path(stack.enter_context(scratch_folder()))
        try:
            batch = read(None) if file is not None and not file.exists() else None
            with opened(store, lambda: access_log(store, create=True), create=True) as s:
                if batch is None:
                    batch = read(
                        lambda ids: {i: e.kind for i, e in s.get_many(ids).items()},
                        s.localities(),
                        s.erased_among,
                        lambda ids: held_as_seen(s, Filter(), ids),
                    )
                total = len(batch.entities) + len(batch.facts())
                bar, tick = progress_bar(total, "importing")
                try:
                    if bar:
                        bar.start()
                    with acting(s, user, None, {"command": "import", "path": str(path)}):
                        summary, merges = apply_batch(s, batch, progress=tick)
                finally:
                    if bar:
                        bar.stop()
        finally:
            if batch is not None:
                batch.stop()  # before its folder goes, whatever stopped the import
    assert batch is not None
    tracked = batch.staged.count if batch.staged is not None else len(batch.tracking)
    out.print(
        f"imported {path}: {summary.entities_created} entities created, {summary.entities_updated} updated; "
        f"{summary.relationships_created} relationships created, {summary.relationships_updated} updated; "
        f"{summary.unchanged} unchanged"
        + (f"; {counted(tracked, 'tracking record')}" if tracked else "")
        + (f"; {merges} judgements applied" if merges else "")
        + (
            f" (committed in {summary.transactions} transactions: if interrupted, run the same import again)"
            if summary.transactions > 1
            else ""
        )
    )


@contextlib.contextmanager
def ended_as_exit(*signals: signal.Signals) -> Iterator[None]:
    """Within the block, a termination by any of ``signals`` exits as an error would, so that
    what the block made (temporary files) is cleaned up; as before, after it."""

    def leave(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    before = {sig: signal.signal(sig, leave) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def _admin_files(path: Path, folder: Path) -> None:
    from ..interchange import InputError, read_folder
    from ..interchange.jsonl import MAX_PROBLEMS
    from ..interchange.neo4j_admin import write_admin_files
    from ..memory import paused_gc

    try:
        with paused_gc(keep=True):
            batch = read_folder(path)
        files = write_admin_files(batch, folder)
    except InputError as e:
        raise UserError(e.every(MAX_PROBLEMS)) from None
    out.print(
        f"wrote {files.entities} entities and {files.relationships} relationships into {folder} for neo4j-admin. "
        "With the Neo4j server stopped and its database empty, on the server's host:"
    )
    args = files.arguments(folder=folder.resolve())
    out.print("  neo4j-admin " + " ".join(shlex.quote(a) for a in args), highlight=False)
    out.print("then start the server; the store creates its constraints and indexes when it first opens the database.")
    later = [
        f"{n} {what}" for n, what in ((files.judgements, "judgements"), (len(batch.tracking), "tracking records")) if n
    ]
    if later:
        out.print(
            f"{' and '.join(later)} are not in the files: run `contextgraph import {path} --store neo4j://...` "
            "once the server is up; it finds every entity and relationship stored and applies them."
        )


@app.command()
def export(
    path: Annotated[Path, typer.Argument(help="Folder to write the export into (new or empty, unless --force)")],
    store: StoreOpt = None,
    user: UserOpt = "cli",
    purpose: PurposeOpt = None,
    recipient: Annotated[str | None, typer.Option(help="Who the export is for (default: the folder written)")] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="jsonl: the interchange format (every record, for import); graphml: Gephi; geojson: QGIS; "
            "i2csv: i2 Analyst's Notebook",
        ),
    ] = "jsonl",
    locality: Annotated[
        list[str] | None,
        typer.Option("--locality", help="Only what a reader of this locality may see (repeatable; default all)"),
    ] = None,
    clearance: Annotated[
        str | None,
        typer.Option(help="Only what a reader of this clearance may see: P, or C (P and C; the default)"),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Write into a folder that is not empty, replacing the files of the export")
    ] = False,
    initials: Annotated[
        bool,
        typer.Option(
            "--initials",
            help="Every person (child or person of concern) by initials, without aliases, date of birth, "
            "properties, sources or coordinates, nor home, school or family links, and relationships without "
            "their properties: an export to share",
        ),
    ] = False,
) -> None:
    """Export the store: in the interchange format, ids as given, one line per assertion; or for
    Gephi, QGIS or Analyst's Notebook, as a reader sees it."""
    from ..interchange.analyst import EXPORT_FORMATS
    from ..interchange.jsonl import JUDGEMENTS_FILE, TRACKING_FILE
    from ..service.policy import PEOPLE
    from ..store import Filter

    if fmt not in EXPORT_FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(EXPORT_FORMATS)}")
    if clearance is not None and clearance not in ("P", "C"):
        raise typer.BadParameter("--clearance must be P or C")
    purpose = purpose_of("export", purpose)
    if recipient is not None:
        recipient = recipient_of("export", recipient)
    if path.exists() and not path.is_dir():
        raise UserError(f"{path}: not a folder; nothing was written")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise UserError(f"{path}: the folder is not empty; choose a new folder, or replace its export with --force")
    from ..interchange.analyst import FILES
    from ..interchange.export import EXPORT_FILES

    taken = [n for n in (EXPORT_FILES if fmt == "jsonl" else FILES[fmt]) if (path / n).is_dir()]
    if taken:  # a file of the export could not take its name: found before anything is written or logged
        raise UserError(f"{path / taken[0]}: a folder has the name of a file of the export; nothing was written")
    log = access_log(store)
    with opened(store, log) as s:
        areas = localities_given(locality, s.localities(), s.stats().localities) if locality else []
        flt = Filter.of(localities=areas, handling=["P"] if clearance == "P" else None)
        scoped = flt if (areas or clearance == "P") else None
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as e:  # a file where a folder of the path should be
            raise UserError(f"{path}: cannot make the folder ({e.strerror or e}); nothing was written") from None
        files: dict[str, Path] = {}
        try:
            shown = None
            if initials:  # each id the service did not make given as a pseudonym, as the service gives it
                from ..service.pseudonyms import of_log, spaces_of

                ids, spaces = of_log(log), spaces_of(s)
                shown = lambda i: ids.shown(i, spaces)  # noqa: E731
            counts, given = _write_export(s, fmt, path, scoped, files, PEOPLE if initials else frozenset(), shown)
            # logged before the files take their names: a disclosure the log could not record is not made;
            # it names every entity given (past the log's most, in a manifest)
            log.append(
                user,
                "disclosure",
                given,
                purpose,
                recipient=recipient or f"file:{path}",
                detail={
                    "command": "export",
                    "format": fmt,
                    **({"localities": areas} if areas else {}),
                    **({"clearance": clearance} if clearance else {}),
                    **({"initials": True} if initials else {}),
                    **counts,
                },
            )
            try:
                for name, written in files.items():
                    if written.stat().st_size or name not in (JUDGEMENTS_FILE, TRACKING_FILE):
                        written.replace(path / name)
                    else:
                        written.unlink()
                        (path / name).unlink(missing_ok=True)
            except OSError as e:
                raise UserError(
                    f"{path}: cannot write the export ({e.strerror or e}); it was logged as disclosed, "
                    "and the folder may hold part of it"
                ) from None
        finally:
            for leftover in files.values():
                leftover.unlink(missing_ok=True)
    if fmt == "jsonl":
        n_e, n_r, n_t = counts["entities"], counts["relationship_lines"], counts["tracking"]
        tracked = f" and {n_t} tracking records" if n_t else ""
        out.print(f"exported {n_e} entities and {n_r} relationship lines{tracked} to {path}")
    else:
        what = f"{counts['features']} places" if fmt == "geojson" else f"{counts['entities']} entities"
        links = "" if fmt == "geojson" else f" and {counts['links']} links"
        out.print(f"exported {what}{links} to {path} ({', '.join(files)})")


def _write_export(
    s: Any,
    fmt: str,
    path: Path,
    flt: Any,
    files: dict[str, Path],
    initials: frozenset[str],
    shown_id: Callable[[str], str] | None = None,
) -> tuple[dict[str, int], list[str]]:
    """Write the export's files beside their final names (in ``files``, name to file written); its
    counts, and the ids of the entities it gives."""
    from ..interchange.analyst import FILES, WITH_HOTSPOTS, write_format
    from ..interchange.export import EXPORT_FILES, write_export

    names = EXPORT_FILES if fmt == "jsonl" else FILES[fmt]
    for name in names:
        fd, tmp_name = tempfile.mkstemp(dir=path, prefix=f".{name}.")
        os.close(fd)
        files[name] = Path(tmp_name)
    if fmt == "jsonl":
        handles = {name: f.open("w", encoding="utf-8") for name, f in files.items()}
        try:
            done = write_export(s, handles, flt, initials, shown_id)
        finally:
            for fh in handles.values():
                fh.close()
        return done.counts(), done.given
    hot: Any = ()
    if fmt in WITH_HOTSPOTS:  # scored by the analysis `analyse` makes, of what the reader may see
        from ..analysis.report import analyse_store

        hot = analyse_store(s, flt=flt, parallel=False, explained=False, groups=False).hotspots
    return write_format(s, fmt, files, flt, initials, hot, shown_id)


@app.command()
def stats(store: StoreOpt = None, fmt: FormatOpt = "table") -> None:
    """Counts by kind, relationship type and locality."""
    check_format(fmt)
    with opened(store) as s:
        st = s.stats().to_json()
    if fmt == "json":
        print(json.dumps(st, indent=2))
        return
    for title, key in (("kind", "entities"), ("relationship type", "relationships"), ("locality", "localities")):
        t = Table(title=None, show_edge=False)
        t.add_column(title)
        t.add_column("count", justify="right")
        for k, v in st[key].items():
            t.add_row(k, str(v))
        print_whole(t)
    out.print(
        f"{st['entities_total']} entities, {st['relationships_total']} relationships; "
        f"{st['merged']} merged records, {st['judgements']} judgements, {st['erasures']} erasures"
    )
    if st["tracking"]:
        out.print("tracking records: " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in st["tracking"].items()))


@app.command()
def sample(
    path: Annotated[Path, typer.Argument(help="Folder to write the sample into")],
    children: Annotated[int, typer.Option(help="How many children")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
) -> None:
    """Write a generated, entirely fictional sample area in the interchange format."""
    from ..interchange.synth import generate

    if children < 1:
        raise UserError("--children must be at least 1")
    data = generate(children=children, seed=seed)
    data.write(path)
    out.print(f"wrote {len(data.entities)} entities and {len(data.relationships)} relationships to {path}")


@app.command()
def show(
    entity_id: Annotated[str, typer.Argument(help="Entity id")],
    store: StoreOpt = None,
    depth: Annotated[int, typer.Option(help="Neighbourhood depth, 0-3")] = 1,
    user: UserOpt = "cli",
    purpose: PurposeOpt = None,
) -> None:
    """An entity with its facts and neighbourhood, as JSON."""
    from ..store import Filter

    purpose = purpose_of("show", purpose)
    log = access_log(store)
    with opened(store, log) as s:
        e = s.get(entity_id)
        if e is None:
            raise UserError(f"no entity {entity_id!r}")
        doc: dict[str, Any] = {"entity": {**e.to_json(), "members": e.members}}
        if depth:
            sub = s.neighbourhood(entity_id, depth, Filter())
            doc["neighbours"] = [n.to_json() for n in sub.nodes if n.id != e.id]
            doc["relationships"] = [
                {
                    "type": r.type,
                    "source": r.source,
                    "target": r.target,
                    "first_seen": r.first_seen,
                    "last_seen": r.last_seen,
                    "grading": r.grading,
                    "sources": r.sources,
                    "assertions": [a.to_json() for a in r.assertions],
                }
                for r in sub.edges
            ]
    log.append(user, "consultation", [e.id], purpose, detail={"command": "show", "depth": depth})
    print(json.dumps(doc, indent=2, ensure_ascii=False))


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="A name, alias or nickname")],
    store: StoreOpt = None,
    kind: Annotated[list[str] | None, typer.Option(help="Only these kinds")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (1 to 1,000)", min=1, max=1000)] = 20,
    user: UserOpt = "cli",
    purpose: PurposeOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """Find entities by name or alias, forgiving case, accents and small misspellings."""
    from ..limits import LimitError, Limits

    check_format(fmt)
    try:
        longest = Limits.from_env()
    except LimitError as exc:
        raise UserError(str(exc)) from None
    if len(text) > longest.search:
        said = f"{len(text):,} characters long, more than {longest.setting('search')}"
        raise UserError(f"the text to search for is {said}")
    purpose = purpose_of("search", purpose)
    log = access_log(store)
    with opened(store, log) as s:
        found = s.search(text, kinds=kind, limit=limit)
    log.append(user, "consultation", [e.id for e, _ in found], purpose, detail={"command": "search"})
    if fmt == "json":
        hits = [
            {"id": e.id, "kind": e.kind, "name": e.name, "aliases": e.aliases, "locality": e.locality, "score": score}
            for e, score in found
        ]
        print(json.dumps(hits, indent=2, ensure_ascii=False))
        return
    t = Table(show_edge=False)
    for c in ("id", "kind", "name", "aliases", "locality", "score"):
        t.add_column(c)
    for ent, score in found:
        t.add_row(ent.id, ent.kind, ent.name, ", ".join(ent.aliases), ent.locality or "", f"{score:.2f}")
    print_whole(t)


@app.command()
def merge(
    a: str,
    b: str,
    store: StoreOpt = None,
    reason: Annotated[str, typer.Option(help="Why they are the same", callback=reason_of)] = "",
    user: Annotated[str, typer.Option(help="Who decided", callback=user_of)] = "cli",
) -> None:
    """Record that two entities are one (A's id is kept). Undo with split."""
    from ..service.audit import acting

    log = access_log(store)
    with opened(store, log) as s, acting(s, user, reason, {"command": "merge"}):
        kept = s.merge(a, b, user=user, reason=reason)
    out.print(f"merged {b} into {kept}")


@app.command()
def split(
    a: str,
    b: str,
    store: StoreOpt = None,
    reason: Annotated[str, typer.Option(help="Why they are different", callback=reason_of)] = "",
    user: Annotated[str, typer.Option(help="Who decided", callback=user_of)] = "cli",
) -> None:
    """Undo a merge: B gets back its own record and facts."""
    from ..service.audit import acting

    log = access_log(store)
    with opened(store, log) as s, acting(s, user, reason, {"command": "split"}):
        s.split(a, b, user=user, reason=reason)
    out.print(f"split {b} from {a}")


@app.command()
def erase(
    entity_id: str,
    store: StoreOpt = None,
    reason: Annotated[str, typer.Option(help="The lawful reason for erasure", callback=reason_of)] = "",
    user: Annotated[str, typer.Option(help="Who asked", callback=user_of)] = "cli",
) -> None:
    """Erase a person and their facts; an erasure record without personal data remains."""
    from ..service.audit import acting

    if not reason:
        raise UserError("erasure needs --reason")
    log = access_log(store)
    # the record names the erasure, never the person erased
    with opened(store, log) as s, acting(s, user, reason, {"command": "erase"}):
        rec = s.erase(entity_id, user=user, reason=reason)
    out.print(f"erased {rec.entities} records and {rec.relationships} relationships (erasure {rec.id})")
    if rec.wal_emptied is False:
        err.print(
            "note: another process is reading the store, so its write-ahead file (-wal) could not be emptied yet and "
            "may still hold the erased values: run the erasure's checkpoint again when it is idle "
            "(sqlite3 FILE.db 'PRAGMA wal_checkpoint(TRUNCATE)')",
            highlight=False,
            soft_wrap=True,
        )
