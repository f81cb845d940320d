"""The ``contextgraph`` command.

Exit codes: 0 done; 1 a user error, told in one line (no traceback); 2 a usage
error (unknown command or option).
"""

from __future__ import annotations

import gc
import json
import os
import shlex
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .errors import ContextGraphError, exit_code
from .notes.confidence import MODEL_PATH
from .settings import STORE as ENV_STORE

if TYPE_CHECKING:
    from .analysis import Weights
    from .localities import Localities
    from .notes.evaluate import Counts, Report
    from .service.audit import AuditLog
    from .store import Store


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


def _log(store: str | None) -> AuditLog:
    """The access log of the store, checked writable and whole before anything is done."""
    from .service.audit import AuditLog, audit_path
    from .store import store_url

    log = AuditLog(audit_path(store_url(store)))
    notes: list[str] = []
    log.state(notes)  # a torn last line is moved aside, and said so
    for n in notes:
        err.print(f"note: {n}", highlight=False, soft_wrap=True)
    return log


def _purpose(command: str, purpose: str | None) -> str:
    if not (purpose or "").strip():
        raise UserError(f"{command} needs --purpose: say why (the access log records it); nothing was done")
    return str(purpose)


class UserError(ContextGraphError):
    pass


@contextmanager
def _store(url: str | None, log: AuditLog | None = None) -> Iterator[Store]:
    """The store, closed afterwards; a refusal from it becomes a one-line user error. With
    ``log``, the log is checked against the store first and every write is logged ahead."""
    from .service.audit import Journal
    from .store import StoreError, open_store, store_url

    try:
        s = open_store(store_url(url))
    except StoreError as e:
        raise UserError(str(e)) from None
    try:
        if log is not None:
            notes: list[str] = []
            Journal.attach(log, s, notes)
            for n in notes:
                err.print(f"note: {n}", highlight=False, soft_wrap=True)
        yield s
    except StoreError as e:
        raise UserError(str(e)) from None
    finally:
        s.close()


def _progress(total: int, label: str) -> tuple[Progress | None, Callable[[int], None] | None]:
    if total < 20000 or not err.is_terminal:
        return None, None
    p = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err)
    task = p.add_task(label, total=total)
    return p, lambda n: p.advance(task, n)


def _check_format(fmt: str) -> None:
    if fmt not in {"table", "json"}:
        raise typer.BadParameter("--format must be table or json")


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
    from .interchange import InputError, apply_batch, read_folder
    from .memory import paused_gc
    from .service.audit import acting

    if neo4j_admin is not None:
        _admin_files(path, neo4j_admin)
        return
    log = _log(store)
    with _store(store, log) as s:

        def known(ids: Any) -> dict[str, str]:
            return {i: e.kind for i, e in s.get_many(ids).items()}

        try:
            with paused_gc():
                batch = read_folder(path, known_kinds=known)
        except InputError as e:
            raise UserError(str(e)) from None
        total = len(batch.entities) + len(batch.relationships)
        bar, tick = _progress(total, "importing")
        try:
            if bar:
                bar.start()
            with acting(s, user, None, {"command": "import", "path": str(path)}):
                summary, merges = apply_batch(s, batch, progress=tick)
        finally:
            if bar:
                bar.stop()
    out.print(
        f"imported {path}: {summary.entities_created} entities created, {summary.entities_updated} updated; "
        f"{summary.relationships_created} relationships created, {summary.relationships_updated} updated; "
        f"{summary.unchanged} unchanged"
        + (f"; {merges} judgements applied" if merges else "")
        + (
            f" (committed in {summary.transactions} transactions: if interrupted, run the same import again)"
            if summary.transactions > 1
            else ""
        )
    )


def _admin_files(path: Path, folder: Path) -> None:
    from .interchange import InputError, read_folder
    from .interchange.neo4j_admin import write_admin_files
    from .memory import paused_gc

    try:
        with paused_gc():
            batch = read_folder(path)
        files = write_admin_files(batch, folder)
    except InputError as e:
        raise UserError(str(e)) from None
    out.print(
        f"wrote {files.entities} entities and {files.relationships} relationships into {folder} for neo4j-admin. "
        "With the Neo4j server stopped and its database empty, on the server's host:"
    )
    args = files.arguments(folder=folder.resolve())
    out.print("  neo4j-admin " + " ".join(shlex.quote(a) for a in args), highlight=False)
    out.print("then start the server; the store creates its constraints and indexes when it first opens the database.")
    if files.judgements:
        out.print(
            f"{files.judgements} judgements are not in the files: run `contextgraph import {path} --store neo4j://...` "
            "once the server is up; it finds every entity and relationship stored and applies them."
        )


@app.command()
def export(
    path: Annotated[Path, typer.Argument(help="Folder to write entities.jsonl and relationships.jsonl into")],
    store: StoreOpt = None,
    user: UserOpt = "cli",
    purpose: PurposeOpt = None,
    recipient: Annotated[str | None, typer.Option(help="Who the export is for (default: the folder written)")] = None,
) -> None:
    """Export the store in the interchange format, ids as given, one line per assertion."""
    from .interchange import ENTITIES_FILE, JUDGEMENTS_FILE, RELATIONSHIPS_FILE, dump_line, export_lines

    purpose = _purpose("export", purpose)
    log = _log(store)
    path.mkdir(parents=True, exist_ok=True)
    with _store(store, log) as s:
        files: dict[str, Path] = {}
        try:
            n_e = n_r = 0
            for name in (ENTITIES_FILE, RELATIONSHIPS_FILE, JUDGEMENTS_FILE):
                fd, tmp_name = tempfile.mkstemp(dir=path, prefix=f".{name}.")
                os.close(fd)
                files[name] = Path(tmp_name)
            handles = {name: f.open("w", encoding="utf-8") for name, f in files.items()}
            judgements = 0
            try:
                for name, line in export_lines(s):
                    handles[name].write(dump_line(line))
                    n_e += name == ENTITIES_FILE
                    n_r += name == RELATIONSHIPS_FILE
                    judgements += name == JUDGEMENTS_FILE
            finally:
                for fh in handles.values():
                    fh.close()
            for name, written in files.items():
                if name == JUDGEMENTS_FILE and not judgements:
                    written.unlink()
                    (path / name).unlink(missing_ok=True)
                else:
                    written.replace(path / name)
        finally:
            for leftover in files.values():
                leftover.unlink(missing_ok=True)
    log.append(
        user,
        "disclosure",
        [],
        purpose,
        recipient=recipient or f"file:{path}",
        detail={"command": "export", "entities": n_e, "relationship_lines": n_r},
    )
    out.print(f"exported {n_e} entities and {n_r} relationship lines to {path}")


@app.command()
def stats(store: StoreOpt = None, fmt: FormatOpt = "table") -> None:
    """Counts by kind, relationship type and locality."""
    _check_format(fmt)
    with _store(store) as s:
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
        out.print(t)
    out.print(
        f"{st['entities_total']} entities, {st['relationships_total']} relationships; "
        f"{st['merged']} merged records, {st['judgements']} judgements, {st['erasures']} erasures"
    )


@app.command()
def sample(
    path: Annotated[Path, typer.Argument(help="Folder to write the sample into")],
    children: Annotated[int, typer.Option(help="How many children")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
) -> None:
    """Write a generated, entirely fictional sample area in the interchange format."""
    from .interchange.synth import generate

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
    from .store import Filter

    purpose = _purpose("show", purpose)
    log = _log(store)
    with _store(store, log) as s:
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
    limit: Annotated[int, typer.Option(help="At most this many")] = 20,
    user: UserOpt = "cli",
    purpose: PurposeOpt = None,
) -> None:
    """Find entities by name or alias, forgiving case, accents and small misspellings."""
    purpose = _purpose("search", purpose)
    log = _log(store)
    with _store(store, log) as s:
        found = s.search(text, kinds=kind, limit=limit)
    log.append(user, "consultation", [e.id for e, _ in found], purpose, detail={"command": "search"})
    t = Table(show_edge=False)
    for c in ("id", "kind", "name", "aliases", "locality", "score"):
        t.add_column(c)
    for ent, score in found:
        t.add_row(ent.id, ent.kind, ent.name, ", ".join(ent.aliases), ent.locality or "", f"{score:.2f}")
    out.print(t)


@app.command()
def merge(
    a: str,
    b: str,
    store: StoreOpt = None,
    reason: Annotated[str, typer.Option(help="Why they are the same")] = "",
    user: Annotated[str, typer.Option(help="Who decided")] = "cli",
) -> None:
    """Record that two entities are one (A's id is kept). Undo with split."""
    from .service.audit import acting

    log = _log(store)
    with _store(store, log) as s, acting(s, user, reason, {"command": "merge"}):
        kept = s.merge(a, b, user=user, reason=reason)
    out.print(f"merged {b} into {kept}")


@app.command()
def split(
    a: str,
    b: str,
    store: StoreOpt = None,
    reason: Annotated[str, typer.Option(help="Why they are different")] = "",
    user: Annotated[str, typer.Option(help="Who decided")] = "cli",
) -> None:
    """Undo a merge: B gets back its own record and facts."""
    from .service.audit import acting

    log = _log(store)
    with _store(store, log) as s, acting(s, user, reason, {"command": "split"}):
        s.split(a, b, user=user, reason=reason)
    out.print(f"split {b} from {a}")


@app.command()
def erase(
    entity_id: str,
    store: StoreOpt = None,
    reason: Annotated[str, typer.Option(help="The lawful reason for erasure")] = "",
    user: Annotated[str, typer.Option(help="Who asked")] = "cli",
) -> None:
    """Erase a person and their facts; an erasure record without personal data remains."""
    from .service.audit import acting

    if not reason:
        raise UserError("erasure needs --reason")
    log = _log(store)
    # the record names the erasure, never the person erased
    with _store(store, log) as s, acting(s, user, reason, {"command": "erase"}):
        rec = s.erase(entity_id, user=user, reason=reason)
    out.print(f"erased {rec['entities']} records and {rec['relationships']} relationships (erasure {rec['id']})")
    if rec.get("wal_emptied") is False:
        err.print(
            "note: another process is reading the store, so its write-ahead file (-wal) could not be emptied yet and "
            "may still hold the erased values: run the erasure's checkpoint again when it is idle "
            "(sqlite3 FILE.db 'PRAGMA wal_checkpoint(TRUNCATE)')",
            highlight=False,
            soft_wrap=True,
        )


# --- notes --------------------------------------------------------------------


@app.command()
def extract(
    note: Annotated[Path, typer.Argument(help="A meeting note (text or markdown)")],
    fmt: FormatOpt = "json",
    store: Annotated[
        str | None,
        typer.Option("--store", help="Read the note's locality against the localities configured in this store"),
    ] = None,
) -> None:
    """Print the entities and relationships read from one note (offline, deterministic)."""
    from .notes.extract import extract as extract_note
    from .notes.parse import NoteError, read_note

    _check_format(fmt)
    locs = None
    if store is not None:
        with _store(store) as s:
            locs = s.localities()
    try:
        doc = extract_note(read_note(note), str(note), localities=locs)
    except NoteError as e:
        raise UserError(str(e)) from None
    if fmt == "json":
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    m = doc["meeting"]
    unknown = " (not configured)" if m["locality_status"] == "unknown" else ""
    out.print(f"[bold]{m['kind']}[/] {m['date']} locality: {escape(m['locality'] or '(none)')}{unknown}")
    t = Table("id", "kind", "name", "aliases", "dob / postcode", "confidence", title="Entities")
    for ent in doc["entities"]:
        t.add_row(
            ent["id"],
            ent["kind"],
            ent["name"],
            ", ".join(ent["aliases"]),
            ent.get("dob") or ent.get("postcode") or "",
            f"{ent['confidence']:.2f}",
        )
    out.print(t)
    names = {e["id"]: e["name"] for e in doc["entities"]}
    queued = doc.get("queued") or {"entities": [], "relationships": []}
    names.update({e["id"]: e["name"] for e in queued["entities"]})
    r = Table("type", "from", "to", "date", "grading", "confidence", title="Relationships")
    for x in doc["relationships"]:
        r.add_row(
            x["type"],
            names[x["source"]],
            names.get(x["target"], x["target"]),
            x["date"] or "",
            x.get("grading") or "",
            f"{x['confidence']:.2f}",
        )
    out.print(r)
    q = Table("fact", "confidence", "rule", "sentence", title="Queued for review (below the confidence threshold)")
    for qe in queued["entities"]:
        q.add_row(f"{qe['kind']} {qe['name']}", f"{qe['confidence']:.2f}", qe["how"], qe["sentence"])
    for x in queued["relationships"]:
        fact = f"{x['type']} {names[x['source']]} -> {names.get(x['target'], x['target'])}"
        q.add_row(fact, f"{x['confidence']:.2f}", x["how"], x["sentence"])
    if q.row_count:
        out.print(q)


@app.command()
def ingest(
    notes: Annotated[list[Path], typer.Argument(help="Note files, or folders of *.md / *.txt notes")],
    store: StoreOpt = None,
    user: Annotated[str, typer.Option(help="Who is ingesting (recorded on each source)")] = "cli",
    fmt: FormatOpt = "table",
) -> None:
    """Extract, resolve and write notes: one transaction per note; a bad note is reported and skipped."""
    from .ingest.pipeline import ingest_paths
    from .service.audit import acting

    _check_format(fmt)
    files: list[Path] = []
    for p in notes:
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if f.suffix in (".md", ".txt") and f.is_file())
        else:
            files.append(p)
    log = _log(store)
    with _store(store, log) as s, acting(s, user, None, {"command": "ingest"}):
        report = ingest_paths(s, files, user=user)
    if fmt == "json":
        print(json.dumps({"totals": report.totals(), "notes": [n.to_json() for n in report.notes]}, indent=2))
    else:
        t = Table("note", "status", "source", "created", "matched", "queued", "rels added", title="Ingest")
        for n in report.notes:
            t.add_row(
                n.file,
                n.status,
                n.source_ref or "",
                str(n.created),
                str(n.matched),
                str(n.queued),
                str(n.relationships_added),
            )
        out.print(t)
        tot = report.totals()
        out.print(
            f"{tot['ingested']} ingested, {tot['unchanged']} unchanged, {tot['failed']} failed; entities: "
            f"{tot['created']} created, {tot['matched']} matched, {tot['queued']} queued for review; "
            f"relationships: {tot['relationships_added']} added, {tot['relationships_updated']} updated"
        )
    for n in report.failed:
        err.print(f"error: {n.error}", highlight=False, soft_wrap=True)
    if report.failed:
        raise typer.Exit(1)


@app.command()
def review(
    action: Annotated[str, typer.Argument(help="list, accept, reject or new")] = "list",
    review_id: Annotated[str | None, typer.Argument(help="The review item (for accept, reject, new)")] = None,
    into: Annotated[str | None, typer.Option(help="accept: the candidate to merge into")] = None,
    store: StoreOpt = None,
    user: Annotated[str, typer.Option(help="Who decided")] = "cli",
    reason: Annotated[str, typer.Option(help="Why")] = "",
    all_: Annotated[bool, typer.Option("--all", help="list: decided items too")] = False,
    facts: Annotated[bool, typer.Option("--facts", help="list: queued facts only")] = False,
    fmt: FormatOpt = "table",
) -> None:
    """The review queue: possible matches that were not merged (accept merges; undo with split), and
    facts below the confidence threshold that were not written (accept writes one as proposed)."""
    from .ingest.pipeline import ReviewError, decide_review, reviews
    from .service.audit import acting

    _check_format(fmt)
    with _store(store, _log(store)) as s:
        if action == "list":
            items = [it for it in reviews(s, pending_only=not all_) if it["type"] == "fact" or not facts]
            if fmt == "json":
                print(json.dumps(items, indent=2, ensure_ascii=False))
                return
            t = Table("review", "type", "status", "name", "kind", "entity", "candidates / confidence", "evidence")
            for it in items:
                if it["type"] == "fact":
                    t.add_row(
                        it["id"],
                        "fact",
                        it["status"],
                        it["name"],
                        it.get("entity_kind") or "relationship",
                        it.get("entity") or "",
                        f"{it.get('confidence', 0):.2f} ({it.get('how')})",
                        f"{it['source_ref']}: {it['sentence']}",
                    )
                    continue
                t.add_row(
                    it["id"],
                    "identity",
                    it["status"],
                    it["name"],
                    it["entity_kind"],
                    it["entity"],
                    ", ".join(it["candidates"]),
                    f"{it['source_ref']}: " + "; ".join(it["evidence"]),
                )
            out.print(t)
            out.print(f"{len(items)} item(s)")
            return
        if action not in ("accept", "reject", "new"):
            raise typer.BadParameter("action must be list, accept, reject or new")
        if not review_id:
            raise UserError(f"review {action} needs a review id (see: contextgraph review list)")
        try:
            with acting(s, user, reason or None, {"command": "review", "decision": action, "review": review_id}):
                rec = decide_review(s, review_id, action, into=into, user=user, reason=reason)
        except ReviewError as e:
            raise UserError(str(e)) from None
    out.print(f"review {review_id}: {rec['decision']}" + (f" (merged into {rec['into']})" if rec["into"] else ""))


def _extract_path(path: Path, services: dict[str, str], at: float | None = None) -> dict[str, Any]:
    from .notes.extract import extract as extract_note
    from .notes.parse import read_note

    return extract_note(read_note(path), str(path), services, threshold=at)


def _readable(paths: Iterable[Path]) -> Iterator[str]:
    """The text of each note that can be read (one that cannot is reported where it is extracted)."""
    from .notes.parse import NoteError, read_note

    for p in paths:
        try:
            yield read_note(p)
        except NoteError:
            continue


@app.command("eval-extract")
def eval_extract(
    folders: Annotated[list[Path], typer.Argument(help="Folders of notes with *.gold.json annotations beside them")],
    fmt: FormatOpt = "table",
    detail: Annotated[bool, typer.Option(help="json: list missed and extra items per note")] = False,
    threshold: Annotated[
        float | None,
        typer.Option(help="Confidence threshold (default: the setting's, else the model's)", min=0.0, max=1.0),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the models trained for the cross-corpus figures")] = 0,
) -> None:
    """Score extraction against gold annotations: precision, recall and F1 per note, per folder and overall.

    What is scored is what would be recorded (facts at or above the confidence threshold). With two
    folders or more, also the cross-corpus figures: each folder scored with every fact the rules find,
    with the priors at the threshold, and with a model trained on the other folders at the threshold.
    A note that cannot be read is reported and scored as all missed; the run goes on.
    """
    from .notes.confidence import ConfidenceError, corpus, cross, load_model
    from .notes.confidence import threshold as confidence_threshold
    from .notes.evaluate import GoldError, annotated_notes, combine, evaluate
    from .notes.extract import learn_services
    from .notes.parse import NoteError

    _check_format(fmt)
    for folder in folders:
        if not folder.is_dir():
            raise UserError(f"{folder}: not a folder")
    try:
        at = confidence_threshold(load_model()) if threshold is None else threshold
    except ConfidenceError as e:
        raise UserError(str(e)) from None
    reports: list[tuple[str, Report]] = []
    try:
        for folder in folders:
            # local service names one note of the folder defines hold for all of them, as in ingest
            services = learn_services(_readable(note for _, note in annotated_notes(folder)))
            rep = evaluate(folder, partial(_extract_path, services=services, at=at), unreadable=(NoteError,))
            reports.append((str(folder), rep))
    except GoldError as e:
        raise UserError(str(e)) from None
    crossed = []
    if len(folders) >= 2:
        try:
            crossed = cross({str(f): corpus(f) for f in folders}, at, seed)
        except ConfidenceError as e:
            err.print(f"warning: no cross-corpus figures: {e}", highlight=False, soft_wrap=True)
        except ImportError:
            err.print("warning: no cross-corpus figures: training needs scikit-learn", highlight=False)
    for _, rep in reports:
        for n in rep.notes:
            if n.error:
                err.print(f"warning: {n.error} (scored as all missed)", highlight=False, soft_wrap=True)
    total = combine([r for _, r in reports])
    if fmt == "json":
        if len(reports) == 1:
            print(json.dumps(total.to_json(detail=detail), indent=2))
        else:
            doc = {
                "folders": [{"folder": name, **rep.to_json(detail=detail)} for name, rep in reports],
                "all": {"entities": total.entities.to_json(), "relationships": total.relationships.to_json()},
                "cross": [c.to_json() for c in crossed],
            }
            print(json.dumps(doc, indent=2))
        return
    t = Table("note", "ent P", "ent R", "ent F1", "rel P", "rel R", "rel F1")

    def row(name: str, e: Counts, r: Counts) -> None:
        t.add_row(name, *(f"{v:.3f}" for v in (e.precision, e.recall, e.f1, r.precision, r.recall, r.f1)))

    for name, rep in reports:
        for n in rep.notes:
            row(n.note + (" (unreadable)" if n.error else ""), n.entities, n.relationships)
        row(f"all of {Path(name).name}" if len(reports) > 1 else "all notes", rep.entities, rep.relationships)
    if len(reports) > 1:
        row("all", total.entities, total.relationships)
    out.print(t)
    if not crossed:
        return
    c = Table("scored on", "trained on", "method", "ent P", "ent R", "ent F1", "rel P", "rel R", "rel F1")
    c.title = f"Unseen corpus: trained on the others, confidence threshold {at:g}"
    for fig in crossed:
        for method, (ec, rc) in fig.figures.items():
            c.add_row(
                Path(fig.scored).name,
                ", ".join(Path(n).name for n in fig.trained_on) if method == "model" else "-",
                method,
                *(f"{v:.3f}" for v in (ec.precision, ec.recall, ec.f1, rc.precision, rc.recall, rc.f1)),
            )
    out.print(c)


@app.command()
def train(
    corpus_dirs: Annotated[
        list[Path], typer.Option("--corpus", help="A folder of notes with *.gold.json beside them (repeatable)")
    ],
    seed: Annotated[int, typer.Option(help="The seed: the same notes and seed give the same model")] = 0,
    out_file: Annotated[
        Path, typer.Option("--out", help="Where to write the model (default: the one the package loads)")
    ] = MODEL_PATH,
    threshold: Annotated[
        float | None,
        typer.Option(help="The threshold the model carries (default: the setting's, else 0.3)", min=0.0, max=1.0),
    ] = None,
) -> None:
    """Train the confidence model on annotated notes and write it as JSON (needs scikit-learn)."""
    from .notes.confidence import ConfidenceError, corpus, load_model, write_model
    from .notes.confidence import threshold as confidence_threshold
    from .notes.confidence import train as train_model
    from .notes.evaluate import GoldError
    from .notes.parse import NoteError

    for folder in corpus_dirs:
        if not folder.is_dir():
            raise UserError(f"{folder}: not a folder")
    try:
        at = confidence_threshold(None) if threshold is None else threshold
        data = [d for f in corpus_dirs for d in corpus(f)]
        model = train_model(data, [f.name for f in corpus_dirs], seed, at)
    except (GoldError, ConfidenceError, NoteError) as e:
        raise UserError(str(e)) from None
    except ImportError:
        raise UserError("training needs scikit-learn: pip install scikit-learn") from None
    try:
        write_model(model, out_file)
    except OSError as e:
        raise UserError(f"{out_file}: cannot write the model ({e.strerror})") from None
    load_model.cache_clear()
    out.print(
        f"trained on {model.rows['entities']} entities and {model.rows['relationships']} relationships "
        f"of {len(data)} notes (seed {seed}, threshold {at:g}): {out_file}"
    )


@app.command("synth")
def synth_(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write entities.jsonl and relationships.jsonl into")],
    truth_file: Annotated[Path, typer.Argument(help="JSON file for the ground truth, kept apart from the data")],
    children: Annotated[int, typer.Option(help="How many children")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
) -> None:
    """Write a synthetic locality with ground truth: which exploited children are not open to services."""
    from .interchange.synth import generate

    if children < 1:
        raise UserError("--children must be at least 1")
    if truth_file.resolve().parent == out_dir.resolve():
        raise UserError(f"{truth_file}: keep the truth file out of the data folder {out_dir}")
    data = generate(children=children, seed=seed)
    data.write(out_dir)
    truth_file.parent.mkdir(parents=True, exist_ok=True)
    truth = {
        "generator": "contextgraph synth",
        "children": children,
        "seed": seed,
        "exploited_not_open": data.exploited_not_open,
        "exploited_open": data.open_exploited,
    }
    truth_file.write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    out.print(
        f"wrote {len(data.entities)} entities and {len(data.relationships)} relationships to {out_dir}; "
        f"{len(data.exploited_not_open)} exploited children not open to services listed in {truth_file}"
    )


def _date_opt(value: str | None, name: str) -> str | None:
    from .model import parse_date

    if value is None:
        return None
    try:
        got = parse_date(value)
    except ValueError:
        got = None
    if not got:
        raise UserError(f"{name} {value!r}: not a date (use YYYY-MM-DD)")
    return got


def _weights(path: Path | None) -> Weights:
    from .analysis import DEFAULT as DEFAULT_WEIGHTS
    from .analysis import AnalysisError, Weights

    if path is None:
        return DEFAULT_WEIGHTS
    try:
        return Weights.load(path)
    except AnalysisError as e:
        raise UserError(str(e)) from None


@app.command()
def analyse(
    locality: Annotated[
        list[str] | None, typer.Option("--locality", help="Locality to report on (repeatable; default all)")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Report what is new since this date (YYYY-MM-DD)")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Analyse the graph as it stood on this date (default: latest fact)")
    ] = None,
    top: Annotated[int | None, typer.Option(help="Cut each ranked list to its first N")] = None,
    weights: Annotated[Path | None, typer.Option(help="TOML or JSON file overriding weights")] = None,
    seed: Annotated[int, typer.Option(help="Random seed for community detection")] = 0,
    store: StoreOpt = None,
    user: UserOpt = "cli",
    purpose: PurposeOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """Linked at-risk children not open to services, peer groups, hotspots, persons of concern and changes."""
    from .analysis import AnalysisError
    from .analysis.report import analyse_store

    _check_format(fmt)
    purpose = _purpose("analyse", purpose)
    if top is not None and top < 1:
        raise UserError("--top must be at least 1")
    w = _weights(weights)
    since_d, as_of_d = _date_opt(since, "--since"), _date_opt(as_of, "--as-of")
    # One pass making millions of objects and no cycles worth collecting: the collector,
    # re-enabled between steps, would only scan them all again. Afterwards they are kept out
    # of later collections (still freed as usual), so a caller in the same process pays nothing.
    was = gc.isenabled()
    gc.disable()
    try:
        log = _log(store)
        with _store(store, log) as s:
            proj = s.projection()
            known = sorted({x for x in proj.localities if x})
            for loc in locality or []:
                if loc not in known:
                    raise UserError(f"--locality {loc!r}: no such locality in the store (known: {', '.join(known)})")
            try:
                result = analyse_store(s, w, as_of_d, since_d, locality, top, seed, projection=proj)
            except AnalysisError as e:
                raise UserError(str(e)) from None
        shown = [c["id"] for c in result["unopened_at_risk"]] + [x["id"] for x in result["persons_of_concern"]]
        log.append(user, "consultation", shown, purpose, detail={"command": "analyse", "localities": locality or []})
        if fmt == "json":
            # indented for a person at a terminal; compact (a third smaller) for a file or a pipe
            indent = orjson.OPT_INDENT_2 if sys.stdout.isatty() else 0
            sys.stdout.buffer.write(orjson.dumps(result, option=indent))
            sys.stdout.buffer.write(b"\n")
            return
        _analysis_tables(result, top)
    finally:
        if was:
            gc.freeze()
            gc.enable()


def _analysis_tables(result: dict[str, Any], top: int | None) -> None:
    from .analysis.report import long_date

    where = ", ".join(result["localities"] or ["all localities"])
    out.print(
        f"[bold]Analysis of {where} as of {long_date(result['as_of'])}[/bold] — "
        f"{result['known_children']} children known to be exploited and open to services"
    )
    cut = top or 20
    kids = result["unopened_at_risk"]
    t = Table(title=f"Linked at-risk children not open to any service ({len(kids)})", show_lines=True)
    for col in ("#", "child", "locality", "score", "why"):
        t.add_column(col, justify="right" if col in ("#", "score") else "left")
    for c in kids[:cut]:
        why = "\n".join(f"• {r['text']}" for r in c["reasons"][:3])
        t.add_row(str(c["rank"]), escape(c["name"]), c["locality"] or "", f"{c['score']:.2f}", escape(why))
    out.print(t)
    hs = result["hotspots"]
    t = Table(title=f"Hotspot locations ({len(hs)})")
    for col in ("#", "place", "locality", "score", "what is linked"):
        t.add_column(col, justify="right" if col in ("#", "score") else "left")
    for h in hs[:cut]:
        t.add_row(str(h["rank"]), escape(h["name"]), h["locality"] or "", f"{h['score']:.2f}", escape(h["text"]))
    out.print(t)
    pg = result["peer_groups"]
    t = Table(title=f"Peer groups holding risk ({len(pg)})")
    for col in ("#", "members", "what"):
        t.add_column(col)
    for g in pg[:cut]:
        names = ", ".join(g["member_names"][:8]) + (f" and {g['size'] - 8} more" if g["size"] > 8 else "")
        t.add_row(str(g["rank"]), escape(names), escape(g["text"]))
    out.print(t)
    ps = result["persons_of_concern"]
    t = Table(title=f"Persons of concern by reach ({len(ps)})")
    for col in ("#", "person", "children", "groups bridged", "betweenness", "what"):
        t.add_column(col, justify="right" if col in ("#", "children", "groups bridged", "betweenness") else "left")
    for x in ps[:cut]:
        t.add_row(
            str(x["rank"]),
            escape(x["name"]),
            str(x["children_linked"]),
            str(x["peer_groups_bridged"]),
            f"{x['betweenness']:.2f}",
            escape(x["text"]),
        )
    out.print(t)
    ch = result.get("changes")
    if ch:
        out.print(
            f"[bold]Since {long_date(ch['since'])}[/bold]: {len(ch['links'])} new links; "
            f"{len(ch['children'])} children newly at risk, {len(ch['children_raised'])} at markedly higher risk, "
            f"{len(ch['children_newly_open'])} newly open to services; {len(ch['hotspots'])} new hotspots; "
            f"{len(ch['persons_of_concern'])} persons of concern new or reaching more children"
        )
        for x in ch["children"][:cut]:
            out.print(f"  new: {escape(x['name'])} (score {x['score']:.2f})")


def _read_truth(path: Path) -> set[str]:
    """Ids from a truth file: a JSON list, a JSON object with one list (or ``exploited_not_open``), or lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: cannot read the truth file: {e}") from None
    try:
        data: Any = json.loads(text)
    except ValueError:
        ids = {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}
    else:
        if isinstance(data, dict):
            lists = {k: v for k, v in data.items() if isinstance(v, list)}
            key = "exploited_not_open" if "exploited_not_open" in lists else None
            if key is None and len(lists) == 1:
                key = next(iter(lists))
            if key is None:
                raise UserError(f"{path}: expected a list of ids, or an object with an 'exploited_not_open' list")
            data = lists[key]
        if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
            raise UserError(f"{path}: expected a list of entity ids")
        ids = set(data)
    if not ids:
        raise UserError(f"{path}: the truth file lists no children")
    return ids


@app.command("eval-analysis")
def eval_analysis(
    data_dir: Annotated[Path, typer.Argument(help="Folder in the interchange format")],
    truth_file: Annotated[Path, typer.Argument(help="File listing the exploited children not open to services")],
    weights: Annotated[Path | None, typer.Option(help="TOML or JSON file overriding weights")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Analysis date (default: latest fact)")] = None,
    fmt: FormatOpt = "table",
) -> None:
    """Import into a temporary store, rank, and score the ranking and two baselines against the truth."""
    from .analysis import (
        average_precision,
        baseline_pagerank,
        baseline_risky_neighbours,
        prepare,
        r_precision,
        ranking,
        unopened_at_risk,
    )
    from .interchange import InputError, read_folder
    from .memory import paused_gc
    from .store import open_store

    _check_format(fmt)
    truth = _read_truth(truth_file)
    w = _weights(weights)
    as_of_d = _date_opt(as_of, "--as-of")
    with tempfile.TemporaryDirectory() as tmp, open_store(f"sqlite:///{Path(tmp) / 'eval.db'}") as s:
        try:
            with paused_gc():
                batch = read_folder(data_dir)
        except InputError as e:
            raise UserError(str(e)) from None
        s.upsert(batch.entities, batch.relationships)
        proj = s.projection()
    unknown = truth - set(proj.ids)
    if unknown:
        raise UserError(f"{truth_file}: {len(unknown)} ids are not in {data_dir}, e.g. {sorted(unknown)[0]!r}")
    ctx = prepare(proj, w, as_of_d)
    ranked = [c["id"] for c in unopened_at_risk(ctx)]
    rows = {
        "contextgraph": ranked,
        "risky one-hop neighbours": ranking(baseline_risky_neighbours(ctx)),
        "personalised PageRank": ranking(baseline_pagerank(ctx)),
    }
    report: dict[str, Any] = {
        "truth": len(truth),
        "methods": {
            name: {
                "r_precision": round(r_precision(r, truth), 4),
                "average_precision": round(average_precision(r, truth), 4),
                "ranked": len(r),
            }
            for name, r in rows.items()
        },
    }
    if fmt == "json":
        print(json.dumps(report, indent=2))
        return
    t = Table("method", "R-precision", "average precision", "children ranked")
    for name, m in report["methods"].items():
        t.add_row(name, f"{m['r_precision']:.3f}", f"{m['average_precision']:.3f}", str(m["ranked"]))
    out.print(t)
    out.print(f"{len(truth)} exploited children not open to services in {truth_file}")


@app.command()
def token(
    user: Annotated[str, typer.Option("--user", help="Who the token is for")],
    role: Annotated[str, typer.Option("--role", help="analyst, chair, mace or admin")],
    locality: Annotated[
        list[str] | None, typer.Option("--locality", help="A locality they work in (repeatable)")
    ] = None,
    clearance: Annotated[str | None, typer.Option(help="Handling codes they may see: P, or C (P and C)")] = None,
    minutes: Annotated[int, typer.Option(help="How long the token lasts (1-720)")] = 60,
    store: StoreOpt = None,
) -> None:
    """Mint a short-lived local sign-in token, signed with the key kept beside the store."""
    from .service.auth import AuthError, LocalKeys
    from .store import store_url

    with _store(store) as s:
        locs = s.localities()
    for loc in locality or []:
        if not locs:
            err.print(f"warning: no localities are configured; {loc!r} is taken as written", highlight=False)
        elif loc not in locs.names:
            hint = f" (did you mean {locs.canonical(loc)!r}?)" if locs.canonical(loc) else ""
            raise UserError(
                f"--locality {loc!r} is not a configured locality{hint} (configured: {', '.join(locs.names)}); "
                f"add it with: contextgraph localities add {loc!r}"
            )
    try:
        tok = LocalKeys.for_store(store_url(store)).mint(user, role, locality or [], clearance, minutes)
    except AuthError as e:
        raise UserError(str(e)) from None
    print(tok)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    dev: Annotated[bool, typer.Option("--dev", help="Development mode: GraphiQL, introspection and /docs")] = False,
    sample: Annotated[
        bool, typer.Option("--sample", help="Load a generated, fictional sample area first if the store is empty")
    ] = False,
    workers: Annotated[int, typer.Option(help="Worker processes (one per core serves most requests)")] = 1,
    warm: Annotated[
        bool, typer.Option("--warm/--no-warm", help="Read every record into memory before serving (embedded store)")
    ] = True,
    store: StoreOpt = None,
) -> None:
    """Run the service: /graphql and REST behind sign-in, /healthz and /readyz."""
    import uvicorn

    from .interchange.synth import LOCALITIES as SAMPLE_LOCALITIES
    from .limits import LimitError
    from .service.api import create_app
    from .service.auth import AuthError, LocalKeys
    from .store import store_url

    url = store_url(store)
    if not 1 <= workers <= 64:
        raise UserError("--workers must be between 1 and 64")
    if sample:
        _load_sample(url)
    else:
        with _store(url, _log(url)):  # the log checked against the store before serving
            pass
    try:
        app = create_app(url, dev=dev, warm=warm)
        keys = LocalKeys.for_store(url)
        demo = keys.mint("demo-analyst", "analyst", list(SAMPLE_LOCALITIES), None, 12 * 60) if sample else None
    except (AuthError, LimitError) as e:
        raise UserError(str(e)) from None
    out.print(f"contextgraph on http://{host}:{port}/ — GraphQL at /graphql; every request needs a bearer token.")
    if demo:
        out.print("A token for an analyst of every sample locality, for 12 hours (paste it to sign in):")
        print(demo)
    out.print(
        "Mint one per person: contextgraph token --user NAME --role analyst|chair|mace|admin --locality L"
        + (f" --store {url}" if store else "")
    )
    if workers > 1:  # each worker opens the store itself, from the settings
        from .settings import DEV as ENV_DEV
        from .settings import WARM as ENV_WARM

        os.environ[ENV_STORE] = url
        os.environ[ENV_DEV] = "1" if dev else ""
        os.environ[ENV_WARM] = "1" if warm else "0"
        from uvicorn.supervisors import Multiprocess

        from .service.api import TCPConfig

        factory = "contextgraph.service.api:app_from_settings"
        config = TCPConfig(factory, factory=True, host=host, port=port, workers=workers, log_level="warning")
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        uvicorn.run(app, host=host, port=port, log_level="warning")


def _load_sample(url: str) -> None:
    """The generated sample area, imported into an empty store (a store with data is left alone)."""
    from .ingest.gazetteer import import_file as import_gazetteer_file
    from .ingest.gazetteer import sample_files
    from .interchange import entity_from_json, relationship_from_json
    from .interchange.synth import LOCALITIES as SAMPLE_LOCALITIES
    from .interchange.synth import SAMPLE_AREA, generate
    from .service.audit import acting

    with _store(url, _log(url)) as s:
        if not s.localities():
            with acting(s, "serve", "sample data", {"command": "serve --sample"}):
                s.set_localities(SAMPLE_AREA, "serve")
        if s.stats().to_json()["entities_total"]:
            out.print("the store already holds data: the sample is not loaded")
            return
        data = generate(children=2000, seed=0)
        ents = [entity_from_json(e) for e in data.entities]
        rels = [relationship_from_json(r) for r in data.relationships]
        with acting(s, "serve", "sample data", {"command": "serve --sample"}):
            summary = s.upsert(ents, rels)
            for f in sample_files():
                import_gazetteer_file(s, f)
        held = s.gazetteer_size()
    out.print(
        f"loaded the fictional sample: {summary.entities_created} entities, "
        f"{summary.relationships_created} relationships in {', '.join(SAMPLE_LOCALITIES)}; a gazetteer of "
        f"{held[0]} postcodes and {held[1]} named places"
    )


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
    from .ingest.gazetteer import GazetteerError, open_gazetteer
    from .ingest.gazetteer import import_file as import_gazetteer_file
    from .service.audit import acting

    try:
        open_gazetteer(file)  # refused before the log or the store is touched
    except GazetteerError as e:
        raise UserError(str(e)) from None
    log = _log(store)
    with _store(store, log) as s, acting(s, user, None, {"command": "gazetteer import", "path": str(file)}):
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
    from .ingest.gazetteer import locate_stored
    from .service.audit import acting

    log = _log(store)
    with _store(store, log) as s:
        found, left = locate_stored(s)
        if found:
            with acting(s, user, None, {"command": "gazetteer locate"}):
                s.upsert(found)
    by = {k: sum(1 for e in found if e.properties["located_by"] == k) for k in ("postcode", "gazetteer")}
    out.print(
        f"located {len(found)} places ({by['postcode']} by postcode, {by['gazetteer']} by name); "
        f"{left} still without coordinates"
    )


loc_app = typer.Typer(
    help="The area's localities: names, the other names notes use for them, boundaries. Kept in the store.",
    no_args_is_help=True,
)
app.add_typer(loc_app, name="localities")


def _set_localities(store: str | None, user: str, command: str, change: Callable[[Localities], Localities]) -> None:
    """Read the stored localities, change them, and write them back, logged, in one step."""
    from .localities import LocalityError
    from .service.audit import acting

    log = _log(store)
    with _store(store, log) as s:
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
    from .localities import Locality, LocalityError, check_name, read_boundary

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
    from .localities import Localities, LocalityError, check_name

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
    from .localities import Localities, LocalityError

    try:
        new = Localities.read(file)
    except LocalityError as e:
        raise UserError(str(e)) from None
    _set_localities(store, user, "import", lambda _cur: new)


@loc_app.command("list")
def localities_list(store: StoreOpt = None, fmt: FormatOpt = "table") -> None:
    """The configured area and localities."""
    _check_format(fmt)
    with _store(store) as s:
        locs = s.localities()
    if fmt == "json":
        print(json.dumps(locs.to_json(), indent=2, ensure_ascii=False))
        return
    t = Table("locality", "aliases", "boundary", title=f"Localities of {locs.area or '(no area named)'}")
    for x in locs.items:
        t.add_row(escape(x.name), escape(", ".join(x.aliases)), x.boundary["type"] if x.boundary else "")
    out.print(t)
    if not locs:
        out.print("no localities configured: add them with contextgraph localities add NAME", highlight=False)


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
    from .service.audit import AuditLog, audit_path
    from .store import store_url

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
    from .store import store_url

    if log is not None and store is None:
        return None, False
    url = store_url(store)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None, False
    with _store(url) as s:
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
    from .service.audit import AuditLog, audit_path
    from .store import store_url

    _check_format(fmt)
    a = AuditLog(log or audit_path(store_url(store)))
    rows = [{**r, "subjects": a.subjects(r)} if r.get("manifest") else r for r in a.list(subject=subject, user=user)]
    if fmt == "json":
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    t = Table("#", "time", "user", "operation", "subjects", "purpose", "recipient")
    for r in rows:
        subj = ", ".join(r["subjects"][:3]) + (f" and {len(r['subjects']) - 3} more" if len(r["subjects"]) > 3 else "")
        t.add_row(
            str(r["seq"]),
            r["time"],
            escape(r["user"]),
            r["operation"],
            escape(subj),
            escape(r["purpose"] or ""),
            escape(r["recipient"] or ""),
        )
    out.print(t)


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
        err.print(f"error: {e}", highlight=False, soft_wrap=True)
        sys.exit(exit_code(e))
