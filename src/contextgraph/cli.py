"""The ``contextgraph`` command.

Exit codes: 0 done; 1 a user error, told in one line (no traceback); 2 a usage
error (unknown command or option).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .evaluate import Counts, GoldError, evaluate
from .extract import extract as extract_note
from .ingest import ReviewError, decide_review, ingest_paths, reviews
from .interchange import (
    ENTITIES_FILE,
    JUDGEMENTS_FILE,
    RELATIONSHIPS_FILE,
    InputError,
    dump_line,
    read_folder,
    relationship_lines,
)
from .notes import NoteError, read_note
from .store import ENV_STORE, Filter, Store, StoreError, open_store, store_url
from .store.base import paused_gc
from .synth import generate

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


class UserError(Exception):
    pass


@contextmanager
def _store(url: str | None) -> Iterator[Store]:
    """The store, closed afterwards; a refusal from it becomes a one-line user error."""
    try:
        s = open_store(store_url(url))
    except StoreError as e:
        raise UserError(str(e)) from None
    try:
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
) -> None:
    """Import a folder in the interchange format. All of it is written, or nothing."""
    with _store(store) as s:

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
            summary = s.upsert(batch.entities, batch.relationships, progress=tick)
        finally:
            if bar:
                bar.stop()
        merges = 0
        for j in batch.judgements:
            a, b = j["a"], j["b"]
            same = s.canonical_id(a) == s.canonical_id(b)
            if j.get("kind", "merge") == "merge" and not same:
                s.merge(a, b, user=str(j.get("user", "import")), reason=str(j.get("reason", "")))
                merges += 1
            elif j.get("kind") == "split" and same:
                s.split(a, b, user=str(j.get("user", "import")), reason=str(j.get("reason", "")))
                merges += 1
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


@app.command()
def export(
    path: Annotated[Path, typer.Argument(help="Folder to write entities.jsonl and relationships.jsonl into")],
    store: StoreOpt = None,
) -> None:
    """Export the store in the interchange format, ids as given, one line per assertion."""
    path.mkdir(parents=True, exist_ok=True)
    with _store(store) as s:
        files: dict[str, Path] = {}
        try:
            n_e = n_r = 0
            for name in (ENTITIES_FILE, RELATIONSHIPS_FILE, JUDGEMENTS_FILE):
                fd, tmp_name = tempfile.mkstemp(dir=path, prefix=f".{name}.")
                os.close(fd)
                files[name] = Path(tmp_name)
            with files[ENTITIES_FILE].open("w", encoding="utf-8") as fh:
                for e in s.iter_entities():
                    fh.write(dump_line(e.to_json()))
                    n_e += 1
            with files[RELATIONSHIPS_FILE].open("w", encoding="utf-8") as fh:
                for r in s.iter_relationships():
                    for line in relationship_lines(r):
                        fh.write(dump_line(line))
                        n_r += 1
            judgements = s.judgements()
            with files[JUDGEMENTS_FILE].open("w", encoding="utf-8") as fh:
                for j in judgements:
                    fh.write(dump_line({k: v for k, v in j.items() if k != "ids"}))
            for name, written in files.items():
                if name == JUDGEMENTS_FILE and not judgements:
                    written.unlink()
                    (path / name).unlink(missing_ok=True)
                else:
                    written.replace(path / name)
        finally:
            for leftover in files.values():
                leftover.unlink(missing_ok=True)
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
) -> None:
    """An entity with its facts and neighbourhood, as JSON."""
    with _store(store) as s:
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
    print(json.dumps(doc, indent=2, ensure_ascii=False))


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="A name, alias or nickname")],
    store: StoreOpt = None,
    kind: Annotated[list[str] | None, typer.Option(help="Only these kinds")] = None,
    limit: Annotated[int, typer.Option(help="At most this many")] = 20,
) -> None:
    """Find entities by name or alias, forgiving case, accents and small misspellings."""
    with _store(store) as s:
        found = s.search(text, kinds=kind, limit=limit)
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
    with _store(store) as s:
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
    with _store(store) as s:
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
    if not reason:
        raise UserError("erasure needs --reason")
    with _store(store) as s:
        rec = s.erase(entity_id, user=user, reason=reason)
    out.print(f"erased {rec['entities']} records and {rec['relationships']} relationships (erasure {rec['id']})")


# --- notes --------------------------------------------------------------------


@app.command()
def extract(
    note: Annotated[Path, typer.Argument(help="A meeting note (text or markdown)")],
    fmt: FormatOpt = "json",
) -> None:
    """Print the entities and relationships read from one note (offline, deterministic)."""
    _check_format(fmt)
    try:
        doc = extract_note(read_note(note), str(note))
    except NoteError as e:
        raise UserError(str(e)) from None
    if fmt == "json":
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    m = doc["meeting"]
    out.print(f"[bold]{m['kind']}[/] {m['date']} locality: {m['locality'] or '(none)'}")
    t = Table("id", "kind", "name", "aliases", "dob / postcode", title="Entities")
    for ent in doc["entities"]:
        t.add_row(
            ent["id"], ent["kind"], ent["name"], ", ".join(ent["aliases"]), ent.get("dob") or ent.get("postcode") or ""
        )
    out.print(t)
    names = {e["id"]: e["name"] for e in doc["entities"]}
    r = Table("type", "from", "to", "date", "grading", title="Relationships")
    for x in doc["relationships"]:
        r.add_row(
            x["type"], names[x["source"]], names.get(x["target"], x["target"]), x["date"] or "", x.get("grading") or ""
        )
    out.print(r)


@app.command()
def ingest(
    notes: Annotated[list[Path], typer.Argument(help="Note files, or folders of *.md / *.txt notes")],
    store: StoreOpt = None,
    user: Annotated[str, typer.Option(help="Who is ingesting (recorded on each source)")] = "cli",
    fmt: FormatOpt = "table",
) -> None:
    """Extract, resolve and write notes: one transaction per note; a bad note is reported and skipped."""
    _check_format(fmt)
    files: list[Path] = []
    for p in notes:
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if f.suffix in (".md", ".txt") and f.is_file())
        else:
            files.append(p)
    with _store(store) as s:
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
    fmt: FormatOpt = "table",
) -> None:
    """The review queue: possible matches that were not merged. Accept merges (undo with split)."""
    _check_format(fmt)
    with _store(store) as s:
        if action == "list":
            items = reviews(s, pending_only=not all_)
            if fmt == "json":
                print(json.dumps(items, indent=2, ensure_ascii=False))
                return
            t = Table("review", "status", "name", "kind", "new entity", "candidates", "evidence", "source")
            for it in items:
                t.add_row(
                    it["id"],
                    it["status"],
                    it["name"],
                    it["entity_kind"],
                    it["entity"],
                    ", ".join(it["candidates"]),
                    "; ".join(it["evidence"]),
                    it["source_ref"],
                )
            out.print(t)
            out.print(f"{len(items)} item(s)")
            return
        if action not in ("accept", "reject", "new"):
            raise typer.BadParameter("action must be list, accept, reject or new")
        if not review_id:
            raise UserError(f"review {action} needs a review id (see: contextgraph review list)")
        try:
            rec = decide_review(s, review_id, action, into=into, user=user, reason=reason)
        except ReviewError as e:
            raise UserError(str(e)) from None
    out.print(f"review {review_id}: {rec['decision']}" + (f" (merged into {rec['into']})" if rec["into"] else ""))


@app.command("eval-extract")
def eval_extract(
    folder: Annotated[Path, typer.Argument(help="A folder of notes with *.gold.json annotations beside them")],
    fmt: FormatOpt = "table",
    detail: Annotated[bool, typer.Option(help="json: list missed and extra items per note")] = False,
) -> None:
    """Score extraction against gold annotations: precision, recall and F1, overall and per note."""
    _check_format(fmt)
    if not folder.is_dir():
        raise UserError(f"{folder}: not a folder")
    try:
        rep = evaluate(folder, lambda p: extract_note(read_note(p), str(p)))
    except (GoldError, NoteError) as e:
        raise UserError(str(e)) from None
    if fmt == "json":
        print(json.dumps(rep.to_json(detail=detail), indent=2))
        return
    t = Table("note", "ent P", "ent R", "ent F1", "rel P", "rel R", "rel F1")

    def row(name: str, e: Counts, r: Counts) -> None:
        t.add_row(name, *(f"{v:.3f}" for v in (e.precision, e.recall, e.f1, r.precision, r.recall, r.f1)))

    for n in rep.notes:
        row(n.note, n.entities, n.relationships)
    row("all notes", rep.entities, rep.relationships)
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
    except UserError as e:
        err.print(f"error: {e}", highlight=False, soft_wrap=True)
        sys.exit(1)
