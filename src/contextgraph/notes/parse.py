"""Reading a meeting note: its header, sections, tables, bullets and sentences, and its dates.

A note is plain text or markdown as people write minutes: a title and a header
(meeting kind, date, locality, who was there), headed sections, bullet lists,
markdown tables, numbered intelligence items. This module turns the text into
:class:`Unit` s — one sentence, bullet or table row each, with the heading and
table columns it sits under — and knows nothing of entities.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from ..errors import BadInput
from ..localities import Localities, Locality, norm  # noqa: F401 - Locality: for the examples
from ..model import MEETING_KINDS
from ..quoted import plain, visible
from ..text import one_script, plain_letters, shown_text
from .dates import DateMention, find_dates
from .patterns import compiled as _rx
from .units import (
    _HEADING_MD,
    _PROFESSIONAL_ANYWHERE,
    _RULE,
    PROFESSIONAL_LABELS,
    Meeting,
    ParsedNote,
    _units,
    strip_markup,
)

MAX_NOTE_BYTES = 2 * 1024 * 1024


class NoteError(BadInput):
    """A note that cannot be read as a meeting note; the message names the file."""


# a note for every locality at once: it has none of its own
_WIDE = (
    r"\ball (?:localities|wards|areas)\b|\bcross[- ](?:locality|ward|area)\b"
    r"|\b(?:force|borough|county|town|city|district|area)[- ]wide\b"
)
# a locality as a note writes it, where nothing configured names it
_LABELLED = re.compile(r"\b(?:locality|ward)\s*[:|]\s*([^\W\d_][^|,;:()/\n]{0,60})", re.I)
_PLACE_WORDS = r"[^\W\d_][\w'’-]*(?:\s+[^\W\d_][\w'’-]*){0,2}"
_BEFORE_WARD = re.compile(rf"\b({_PLACE_WORDS})\s+(?:ward|locality)\b", re.I)
_BEFORE_KIND = re.compile(rf"^\W*({_PLACE_WORDS})\s+(?:MACE|LOG)\b")
_AFTER_KIND = re.compile(rf"\b(?:MACE|LOG)\s*[-–—:]+\s*({_PLACE_WORDS})\s*$")
_NOT_A_LOCALITY = frozenset(
    {
        *("minutes", "notes", "agenda", "decision", "record", "update", "summary", "actions", "action", "teams"),
        *("meeting", "the", "a", "of", "and", "for", "in", "locality", "ward", "area", "town", "multi"),
        *("partnership", "review", "mapping"),
    }
)

# meeting kinds by the words that name them, most specific first
_KIND_CUES: tuple[tuple[str, str], ...] = (
    ("RETURN_INTERVIEW", r"return (?:home )?interview|\bRHI\b|\breturn home\b"),
    ("STRATEGY", r"\bstrategy (?:meeting|discussion|mtg)\b|\bs\.?\s?47\b|^\W*strategy\b"),
    ("CONTEXT_CONFERENCE", r"context(?:ual)? (?:safeguarding )?conference|\bconference\b"),
    (
        "INTEL",
        r"(?i:\bintel(?:ligence)? (?:summary|report|briefing|update|log|development|profile)\b|subject profile\b)"
        r"|\bINTEL\b",
    ),
    ("LOG", r"(?i:locality operational group)|\bLOG\b"),
    ("MACE", r"\bMACE\b(?! (?:partners?|pack|members?|cohort|agencies))|multi[- ]agency child exploitation"),
)
assert {k for k, _ in _KIND_CUES} <= set(MEETING_KINDS)
_DATE_LABEL = re.compile(r"^\W*(date(?: of (?:meeting|summary|interview))?|interview date|meeting date)\W*[:|]", re.I)


NOTE_SUFFIXES = (".md", ".txt")
"""The files of a folder taken as notes: text or markdown."""


def is_note_file(path: Path) -> bool:
    """Whether a file in a folder of notes is a note: a visible ``.md`` or ``.txt`` file that is not
    the folder's README (its gold annotations, data and hidden files are not notes either).

    >>> [is_note_file(Path(n)) for n in ("mace-1.md", "log.TXT", "README.md", "readme.txt", ".x.md", "a.gold.json")]
    [True, True, False, False, False, False]
    """
    name = path.name
    return path.suffix.lower() in NOTE_SUFFIXES and not name.startswith(".") and not name.lower().startswith("readme")


def read_note(path: Path) -> str:
    """The text of a note file, or a :class:`NoteError` naming the file."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise NoteError(f"{path}: cannot read ({e.strerror or e})") from None
    if not raw.strip():
        raise NoteError(f"{path}: the file is empty")
    if len(raw) > MAX_NOTE_BYTES:
        raise NoteError(f"{path}: {len(raw):,} bytes is over the {MAX_NOTE_BYTES // (1024 * 1024)} MB limit for a note")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with its byte-order mark, as some editors save "Unicode"
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise NoteError(f"{path}: begins as UTF-16 text but is not; save the note as UTF-8") from None
        return text.replace("\r\n", "\n").replace("\r", "\n")
    if b"\x00" in raw[:8192]:
        raise NoteError(f"{path}: this is a binary file, not a text note")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise NoteError(f"{path}:{line}: not UTF-8 text (byte {e.start}); save the note as UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _meeting_kind(title_lines: list[str], header_lines: list[str]) -> str:
    for lines in (title_lines, header_lines):
        for line in lines:
            if PROFESSIONAL_LABELS.match(line) and not _DATE_LABEL.match(line):
                continue
            for kind, cue in _KIND_CUES:
                m = re.search(cue, line, re.IGNORECASE if kind not in ("LOG", "INTEL") else 0)
                # "pasted for the Kilnworth MACE pack": a record made for a meeting is not its minutes
                if m and not _rx(r"\b(?:for|to) (?:the |a )?(?:\w+ ){0,2}$", re.I).search(line[: m.start()]):
                    return kind
    return "OTHER"


def _wide(line: str, locs: Localities | None) -> bool:
    if re.search(_WIDE, line, re.I):
        return True
    return bool(locs and locs.area and re.search(rf"\b{re.escape(locs.area)}[- ]wide\b", line, re.I))


def _locality(lines: list[str], locs: Localities | None) -> tuple[bool, str | None]:
    """(found any, the one configured locality) from the lines; several localities, or a note for
    every locality, give None."""
    seen: set[str] = set()
    forms = locs.forms() if locs else {}
    pattern = locs.pattern() if locs else None
    for line in lines:
        if PROFESSIONAL_LABELS.match(line):
            continue
        if _wide(line, locs):
            return True, None
        for m in pattern.finditer(line) if pattern else ():
            word = m.group(1)
            if word[0].isupper():
                seen.add(forms.get(norm(word), word))
    if not seen:
        return False, None
    return True, (seen.pop() if len(seen) == 1 else None)


def _as_written(name: str) -> str | None:
    words = name.split()
    while words and words[-1].casefold() in _NOT_A_LOCALITY:
        words.pop()
    if not words or words[0].casefold() in _NOT_A_LOCALITY:
        return None
    got = " ".join(words)
    return got.title() if got.isupper() else got


def written_locality(title_lines: list[str], header: list[str]) -> str | None:
    """The locality a note names as written, for when none configured is named: a "Locality:" or
    "Ward:" line, then a title's "X ward", "X MACE" or "MACE - X".

    >>> written_locality(["SALLOWFORD MACE :: KILNWORTH WARD"], [])
    'Kilnworth'
    >>> written_locality(["# MACE – Hillcrest"], []), written_locality(["Notes"], ["Locality: Docklands | Chair: Al"])
    ('Hillcrest', 'Docklands')
    >>> written_locality(["ASHPOOL MACE - MINUTES"], []), written_locality(["MACE - MINUTES"], [])
    ('Ashpool', None)
    """
    for line in header:
        if not PROFESSIONAL_LABELS.match(line) and (m := _LABELLED.search(line)):
            got = _as_written(m.group(1).strip())
            if got:
                return got
    for rule in (_BEFORE_WARD, _BEFORE_KIND, _AFTER_KIND):
        for line in title_lines:
            if PROFESSIONAL_LABELS.match(line):
                continue
            if m := rule.search(line):
                got = _as_written(m.group(1))
                if got:
                    return got
    return None


_DOB_BEFORE = re.compile(r"\b(?:dob|d\.o\.b\.?|born|birthday)\W{0,3}$", re.I)
_EVENT_LINE = re.compile(r"\b(missing|episode|period|from|located|found|reported|since)\b", re.I)


def _full_dates(line: str) -> list[DateMention]:
    """Full dates of a line (with a year), leaving out dates of birth."""
    out = []
    for d in find_dates(line, None):
        if d.day.year < 1990 or _DOB_BEFORE.search(line[max(0, d.start - 12) : d.start]):
            continue
        if _rx(r"\d{4}|\d/\d\d?/\d\d").search(line[d.start : d.end]):
            out.append(d)
    return out


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
"""Control characters a note's text may not hold (a tab, a line break and a form feed it may)."""
FIRST_YEAR, LAST_YEAR = 1990, 2099
"""The years a meeting's date may fall in (as a report's period may)."""
_WRITTEN_DATE = re.compile(r"\b\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{2,4}\b")


def _meeting_day(lines: list[str], header: list[int], content: list[int], clean: dict[int, str]) -> date | None:
    """The meeting date: a "Date:" line of the header, else its first full date that is not a date of birth,
    else the same in the first lines of the note (a title or export line), else its first dated line."""
    day: date | None = None
    for i in header:
        if _DATE_LABEL.match(clean[i]) or _rx(r"^\W*(completed|interview)\b", re.I).match(clean[i]):
            ds = find_dates(clean[i], None)
            if ds and (_DATE_LABEL.match(clean[i]) or day is None):
                day = ds[0].day
                if _DATE_LABEL.match(clean[i]):
                    return day
    if day is not None:
        return day
    first_lines = [i for i in content[:12] if i not in header]
    for scope in (header, first_lines, content):
        fallback: date | None = None
        for i in scope:
            full = _full_dates(clean[i])
            if not full:
                continue
            event = _EVENT_LINE.search(clean[i])
            if not event or full[0].start < event.start():
                return full[0].day  # "Exported 19/06/2025 ... actions since 01/10/2024"
            fallback = fallback or full[0].day
        if fallback is not None:
            return fallback
    return None


def note_name(name: str) -> str:
    """``name`` when it may name a note: it names the note's source and is shown wherever the source
    is, so it holds no control character, and its file's name a letter or a digit; else
    :class:`NoteError`, which does not repeat it.

    >>> note_name("notes/mace-east.md")
    'notes/mace-east.md'
    >>> for bad in ("a\\x1b[2J.md", "\\u200b", "/"):
    ...     try:
    ...         note_name(bad)
    ...     except NoteError as e:
    ...         print(str(e)[:48])
    the note's name: holds a control character (\\x1b
    the note's name: say what the note is, in letter
    the note's name: say what the note is, in letter
    """
    plain(name, "the note's name", error=NoteError)
    if not visible(Path(name).name):
        raise NoteError("the note's name: say what the note is, in letters or digits (its file's name holds none)")
    return name


def parse_note(text: str, path: str = "<note>", localities: Localities | None = None) -> ParsedNote:
    """Structure of a note: its meeting, sections and units.

    The meeting's locality is read against the configured ``localities`` (a name or alias
    gives the locality's name); where none of them is named, the locality the note names is
    kept as written, with ``locality_status`` "unknown".
    Raises :class:`NoteError` when no meeting date can be found in the header.

    >>> locs = Localities("Eastmoor", (Locality("Hillcrest", ("Eastmoor Hillcrest",)),))
    >>> text = ("# MACE – Eastmoor Hillcrest\\n\\n**Date:** 18/01/2024\\n\\n"
    ...         "Jay was seen at the Rec on Friday evening with two older boys; he says they are friends.")
    >>> n = parse_note(text, "n", locs)
    >>> n.meeting.kind, n.meeting.date, n.meeting.locality, n.meeting.locality_status
    ('MACE', '2024-01-18', 'Hillcrest', 'configured')
    >>> parse_note("# MACE – Docklands\\n\\nDate: 18/01/2024\\n", "n", locs).meeting.locality_status
    'unknown'
    >>> [(u.kind, u.text) for u in n.units][-1]
    ('text', 'he says they are friends.')
    """
    note_name(path)
    control = _CONTROL.search(text)
    if control is not None:  # a NUL or an escape sequence inside a name hid that person silently
        line = text.count("\n", 0, control.start()) + 1
        raise NoteError(
            f"{path}:{line}: a control character (U+{ord(control.group(0)):04X}) in the note, which can hide a "
            "name; remove it and send the note again"
        )
    # read as it shows (nothing that shows as nothing; a word's look-alike letters in its script),
    # accented letters as the letters A to Z the patterns know: the spans of facts point into the
    # text as given, ``as_given``, of the same length as ``given``
    as_given = one_script(text)
    given = plain_letters(as_given)
    text = shown_text(given)
    # the header (the meeting, its date and locality) is read as written, accents and all: a
    # locality is matched to the configured ones by its own name; the units are read as A to Z
    lines = shown_text(as_given).split("\n")
    content = [i for i, line in enumerate(lines) if line.strip()]
    if not content:
        raise NoteError(f"{path}: the note has no text")
    # header: lines up to the first rule, heading after the title, or first long paragraph
    header: list[int] = []
    for i in content:
        s = lines[i].strip()
        if header and (_RULE.match(s) or (_HEADING_MD.match(s) and i != content[0])):
            break
        if header and len(s) > 80 and ":" not in s[:40] and not s.startswith(("|", "#", "*")):
            break  # the first paragraph of prose
        if _RULE.match(s):
            continue
        header.append(i)
        if len(header) >= 16:
            break
    header_end = (header[-1] + 1) if header else 0
    clean = {i: strip_markup(lines[i].strip().lstrip("#").strip()) for i in content}
    top = header if len(header) >= 3 else content  # a long title line can end the header early
    title_lines = [clean[i] for i in top[:4] if not PROFESSIONAL_LABELS.match(clean[i])][:3]
    header_text = [clean[i] for i in header]
    kind = _meeting_kind(title_lines, header_text)
    for i in header:  # a date the header gives that is no day ("31/04/2024") is not passed over for another
        dated = _WRITTEN_DATE.search(clean[i]) if _DATE_LABEL.match(clean[i]) else None
        if dated and not find_dates(clean[i], None):
            raise NoteError(f"{path}: line {i + 1}: the meeting date {dated.group(0)!r} is not a day of the calendar")
    day = _meeting_day(lines, header, content, clean)
    if day is None:
        raise NoteError(f"{path}: no meeting date found in the note's header (expected e.g. 'Date: 18/01/2024')")
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise NoteError(f"{path}: the meeting date {day.isoformat()} is not within {FIRST_YEAR} to {LAST_YEAR}")
    if day > date.today() + timedelta(days=1):
        raise NoteError(
            f"{path}: the meeting date {day.isoformat()} is after tomorrow: a note is of a meeting that has met "
            "(is the year mistyped?)"
        )
    found, locality = _locality(title_lines, localities)
    if not found:
        found, locality = _locality([clean[i] for i in header], localities)
    status = "configured" if locality else None
    if not found and (written := written_locality(title_lines, header_text)):
        found, locality, status = True, written, "unknown"
    pattern = localities.pattern() if localities else None
    if not found and pattern is not None and localities is not None:
        # no locality in the header: the one the body names far more often than any other
        counts: dict[str, int] = {}
        for i in content:
            if i not in header:
                for m in pattern.finditer(clean[i]):
                    if m.group(1)[0].isupper():
                        name = localities.canonical(m.group(1)) or m.group(1)
                        counts[name] = counts.get(name, 0) + 1
        ranked = [*sorted(counts.values(), reverse=True), 0]
        if ranked[0] and ranked[0] >= 2 * ranked[1]:
            locality, status = max(counts, key=lambda k: counts[k]), "configured"
    note = ParsedNote(path, text, Meeting(kind, day.isoformat(), locality, status), day, header_end=header_end)
    note.raw = given if given != text else None
    note.written = as_given if as_given != given else None
    for i in header:
        if not lines[i].lstrip().startswith("|") and any(
            PROFESSIONAL_LABELS.match(seg) for seg in _rx(r"\s\|\s|\s{3,}").split(clean[i])
        ):
            note.professional_lines.add(i)
    # anywhere in the note: the lines of an email's header and of who was at a meeting
    for i in content:
        if _PROFESSIONAL_ANYWHERE.match(clean[i]) and not lines[i].lstrip().startswith("|"):
            note.professional_lines.add(i)
    letters = [_rx(r"^[-*|#0-9. )(]+").sub("", line).strip()[:1] for line in lines if line.strip()]
    note.lowercase = sum(1 for c in letters if c.islower()) > 0.3 * max(1, len(letters))
    for i in content:
        # each message of an email chain is dated by its "Sent:" line (a "Date:" line below the header too)
        if _rx(r"^\W*sent\s*:", re.I).match(clean[i]) or (i >= header_end and _DATE_LABEL.match(clean[i])):
            ds = find_dates(clean[i], None)
            if ds:
                note.anchors.append((i, ds[0].day))
    _units(note, text.split("\n"))
    return note


def anchor_day(note: ParsedNote, line: int) -> date | None:
    """The day a line was written: the date of the message it sits in (an email chain's "Sent:" line above it),
    else the meeting date."""
    got = note.meeting_day
    for i, day in note.anchors:
        if i <= line:
            got = day
    return got
