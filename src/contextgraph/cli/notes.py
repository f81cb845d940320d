"""Commands on notes: extract, ingest, review, train and eval-extract."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from .. import quoted
from ..notes.confidence import MODEL_PATH
from .common import (
    FormatOpt,
    StoreOpt,
    UserError,
    access_log,
    app,
    check_format,
    counted,
    err,
    opened,
    out,
    print_whole,
    reason_of,
    user_of,
)

if TYPE_CHECKING:
    from ..notes.evaluate import Counts, Report


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
    from ..notes.extract import extract as extract_note
    from ..notes.parse import NoteError, read_note

    check_format(fmt)
    locs = None
    if store is not None:
        with opened(store) as s:
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
    out.print(Text.assemble((m["kind"], "bold"), f" {m['date']} locality: {m['locality'] or '(none)'}{unknown}"))
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
    print_whole(t)
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
    user: Annotated[str, typer.Option(help="Who is ingesting (recorded on each source)", callback=user_of)] = "cli",
    fmt: FormatOpt = "table",
) -> None:
    """Extract, resolve and write notes: one transaction per note; a bad note is reported and skipped."""
    from ..ingest.pipeline import ingest_paths
    from ..notes.parse import is_note_file
    from ..service.audit import acting

    check_format(fmt)
    files: list[Path] = []
    skipped: list[Path] = []
    for p in notes:
        if p.is_dir():  # a file named is read as a note; of a folder, only its notes
            for f in sorted(p.iterdir()):
                if f.is_file():
                    (files if is_note_file(f) else skipped).append(f)
        else:
            files.append(p)
    if skipped:
        err.print(
            f"note: skipped {len(skipped)} file{'' if len(skipped) == 1 else 's'} that "
            f"{'is not a note' if len(skipped) == 1 else 'are not notes'} (a note is a .md or .txt file, "
            f"not a README nor hidden): {', '.join(quoted.shown(str(f), one_line=True) for f in skipped)}",
            highlight=False,
            soft_wrap=True,
        )
    if not files:
        raise UserError(f"no notes to ingest in {', '.join(str(p) for p in notes)}; nothing was done")
    with (
        opened(store, lambda: access_log(store, create=True), create=True) as s,
        acting(s, user, None, {"command": "ingest"}),
    ):
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
        print_whole(t)
        tot = report.totals()
        out.print(
            f"{tot['ingested']} ingested, {tot['unchanged']} unchanged, {tot['failed']} failed; entities: "
            f"{tot['created']} created, {tot['matched']} matched, {tot['queued']} queued for review; "
            f"relationships: {tot['relationships_added']} added, {tot['relationships_updated']} updated"
            + (f"; {tot['tracked']} tracking records" if tot["tracked"] else "")
        )
    for n in report.failed:
        err.print(f"error: {quoted.shown(n.error or '', one_line=True)}", highlight=False, soft_wrap=True)
    if report.failed:
        raise typer.Exit(1)


@app.command()
def review(
    action: Annotated[str, typer.Argument(help="list, accept, reject or new")] = "list",
    review_id: Annotated[str | None, typer.Argument(help="The review item (for accept, reject, new)")] = None,
    into: Annotated[str | None, typer.Option(help="accept: the candidate to merge into")] = None,
    store: StoreOpt = None,
    user: Annotated[str, typer.Option(help="Who decided", callback=user_of)] = "cli",
    reason: Annotated[str, typer.Option(help="Why", callback=reason_of)] = "",
    all_: Annotated[bool, typer.Option("--all", help="list: decided items too")] = False,
    facts: Annotated[bool, typer.Option("--facts", help="list: queued facts only")] = False,
    fmt: FormatOpt = "table",
) -> None:
    """The review queue: possible matches that were not merged (accept merges; undo with split), and
    facts below the confidence threshold that were not written (accept writes one as proposed)."""
    from ..ingest.queue import ReviewError, decide_review, reviews
    from ..service.audit import acting

    check_format(fmt)
    with opened(store, access_log(store)) as s:
        if action == "list":
            items = [it for it in reviews(s, pending_only=not all_) if it.type == "fact" or not facts]
            if fmt == "json":
                print(json.dumps([it.to_json() for it in items], indent=2, ensure_ascii=False))
                return
            t = Table("review", "type", "status", "name", "kind", "entity", "candidates /\nconfidence", "evidence")
            # the ids that accept, reject and --into need are never cut short, however narrow the terminal:
            # their columns do not wrap and are as wide as their longest id; the other columns give way
            widest = (
                [it.id for it in items],
                [it.entity or "" for it in items if it.type != "fact"],
                [c for it in items if it.type != "fact" for c in it.candidates],
            )
            for col, ids in zip((0, 5, 6), widest, strict=True):
                t.columns[col].no_wrap = True
                t.columns[col].min_width = max([6, *map(len, ids)])
            t.columns[7].overflow = "fold"
            t.columns[7].min_width = 24
            for it in items:
                if it.type == "fact":
                    t.add_row(
                        it.id,
                        "fact",
                        it.status,
                        it.name,
                        it.entity_kind or "relationship",
                        it.entity or "",
                        f"{it.confidence or 0:.2f} ({it.how})",
                        f"{it.source_ref}: {it.sentence}",
                    )
                    continue
                t.add_row(
                    it.id,
                    "identity",
                    it.status,
                    it.name,
                    it.entity_kind or "",
                    it.entity or "",
                    "\n".join(it.candidates),  # one a line: each whole
                    f"{it.source_ref}: " + "; ".join(it.evidence),
                )
            print_whole(t)
            out.print(counted(len(items), "item"))
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
    out.print(f"review {review_id}: {rec.decision}" + (f" (merged into {rec.into})" if rec.into else ""))


def _extract_path(path: Path, services: dict[str, str], at: float | None = None) -> dict[str, Any]:
    from ..notes.extract import extract as extract_note
    from ..notes.parse import read_note

    return extract_note(read_note(path), str(path), services, threshold=at)


def _readable(paths: Iterable[Path]) -> Iterator[str]:
    """The text of each note that can be read (one that cannot is reported where it is extracted)."""
    from ..notes.parse import NoteError, read_note

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
    from ..notes.confidence import ConfidenceError, load_model
    from ..notes.confidence import threshold as confidence_threshold
    from ..notes.evaluate import GoldError, annotated_notes, combine, evaluate
    from ..notes.extract import learn_services
    from ..notes.parse import NoteError
    from ..notes.training import corpus, cross

    check_format(fmt)
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
    print_whole(t)
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
    from ..notes.confidence import ConfidenceError, load_model
    from ..notes.confidence import threshold as confidence_threshold
    from ..notes.evaluate import GoldError
    from ..notes.parse import NoteError
    from ..notes.training import corpus, write_model
    from ..notes.training import train as train_model

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
