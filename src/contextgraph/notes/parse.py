"""Reading a meeting note: its header, sections, tables, bullets and sentences, and its dates.

A note is plain text or markdown as people write minutes: a title and a header
(meeting kind, date, locality, who was there), headed sections, bullet lists,
markdown tables, numbered intelligence items. This module turns the text into
:class:`Unit` s — one sentence, bullet or table row each, with the heading and
table columns it sits under — and knows nothing of entities.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from ..errors import BadInput
from ..localities import Localities, Locality, norm  # noqa: F401 - Locality: for the examples
from ..model import MEETING_KINDS
from .patterns import compiled as _rx

MAX_NOTE_BYTES = 2 * 1024 * 1024


class NoteError(BadInput):
    """A note that cannot be read as a meeting note; the message names the file."""


MONTHS = {
    m: i + 1
    for i, ms in enumerate(
        (
            "january jan",
            "february feb",
            "march mar",
            "april apr",
            "may",
            "june jun",
            "july jul",
            "august aug",
            "september sep sept",
            "october oct",
            "november nov",
            "december dec",
        )
    )
    for m in ms.split()
}
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUMERIC = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/])")
_WORDY = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE})\.?(?:,?\s+(\d{{4}}))?\b",
    re.IGNORECASE,
)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")

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

# header labels whose lines list professionals, not subjects
PROFESSIONAL_LABELS = re.compile(
    r"^\W*(chair|vice[- ]chair|present|also present|attendees|attending|attendance|attended by|apologies|apols|"
    r"participants|members|invitees|invited|professionals|partners present|"
    r"facilitator|facilitated by|minutes|minute taker|notes(?: by)?|prepared by|author|auth|"
    r"interviewer|interview|completed by|rhi completed|distribution|circ|handling|venue|by|"
    r"key worker|allocated sw|social worker|sw|worker|lead professional|invited|in attendance|around the table|"
    r"with|record|recorded by|scribes?|checked(?: by)?|reviewed(?: by)?|supervisor|officer|analyst|"
    r"from|to|cc|bcc|sent by)\b[^:|]*[:|]",
    re.IGNORECASE,
)
_PROFESSIONAL_ANYWHERE = re.compile(
    r"^\W*(?:[^\W\d][^:/\d]{0,24}/\s*)?"  # "Oddi wrth / From:"
    r"(?:from|to|cc|bcc|sent by|chair|present|attendees|apologies|minutes|facilitator|around the table|"
    r"author|interviewer|scribes?)\s*:",
    re.I,
)
_DATE_LABEL = re.compile(r"^\W*(date(?: of (?:meeting|summary|interview))?|interview date|meeting date)\W*[:|]", re.I)


def resolve_day(day: int, month: int, year: int | None, meeting: date | None) -> date | None:
    """A calendar day, taking a missing year from the meeting date (never after it by more than a month).

    >>> resolve_day(2, 3, None, date(2024, 3, 7))
    datetime.date(2024, 3, 2)
    >>> resolve_day(14, 12, None, date(2024, 1, 18))
    datetime.date(2023, 12, 14)
    >>> resolve_day(31, 2, 2024, None) is None
    True
    """
    if year is not None and year < 100:
        year += 2000
    if year is None:
        if meeting is None:
            return None
        year = meeting.year
        try:
            got = date(year, month, day)
        except ValueError:
            return None
        if got > meeting + timedelta(days=62):
            try:
                got = date(year - 1, month, day)
            except ValueError:
                return None
        return got
    try:
        return date(year, month, day)
    except ValueError:
        return None


_DIGIT = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class DateMention:
    start: int
    end: int
    day: date


def find_dates(text: str, meeting: date | None) -> list[DateMention]:
    """Days named in ``text``: 03/02/2024, 03/02/24, 02/03 and "Sat 2nd March".

    >>> [str(d.day) for d in find_dates("seen 09/01 and on Sat 2nd March", date(2024, 3, 7))]
    ['2024-01-09', '2024-03-02']
    >>> [str(d.day) for d in find_dates("18 April 2024, 2024-05-01", None)]
    ['2024-04-18', '2024-05-01']
    """
    found: list[DateMention] = []
    if not _DIGIT.search(text):  # every form has a digit
        return found
    for m in _NUMERIC.finditer(text):
        y = int(m.group(3)) if m.group(3) else None
        d = resolve_day(int(m.group(1)), int(m.group(2)), y, meeting)
        if d:
            found.append(DateMention(m.start(), m.end(), d))
    for m in _WORDY.finditer(text):
        y = int(m.group(3)) if m.group(3) else None
        d = resolve_day(int(m.group(1)), MONTHS[m.group(2).lower()], y, meeting)
        if d:
            found.append(DateMention(m.start(), m.end(), d))
    for m in _ISO.finditer(text):
        d = resolve_day(int(m.group(3)), int(m.group(2)), int(m.group(1)), None)
        if d:
            found.append(DateMention(m.start(), m.end(), d))
    found.sort(key=lambda x: x.start)
    return found


_WEEKDAYS = {
    w: i
    for i, ws in enumerate(
        (
            "monday mon",
            "tuesday tue tues",
            "wednesday wed",
            "thursday thu thur thurs",
            "friday fri",
            "saturday sat",
            "sunday sun",
        )
    )
    for w in ws.split()
}
_RELATIVE = re.compile(
    r"\b(?:(yesterday)|(today|this morning|this afternoon|this evening|tonight)|"
    r"last (monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"(?:(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\.?\s+)?"
    r"the (\d{1,2})(?:st|nd|rd|th)(?!\s*(?:of\s+)?(?:" + _MONTH_RE + r")\b)(\s+of\s+last\s+month)?)",
    re.IGNORECASE,
)
_RELATIVE_WORDS = ("yesterday", "today", "this ", "tonight", "last ")
_RELATIVE_HINT = re.compile(r"the \d")
_DOB_CUE = re.compile(r"\b(?:dob|d\.o\.b\.?|born|date of birth)\W{0,3}$", re.I)


def relative_dates(text: str, anchor: date | None) -> list[DateMention]:
    """Days named relative to the day a note or message was written: "yesterday", "last Tuesday", "on the 6th",
    "Saturday the 2nd", "the 27th of last month".

    >>> [str(d.day) for d in relative_dates("last Tuesday, yesterday and the 27th of last month", date(2025, 2, 17))]
    ['2025-02-11', '2025-02-16', '2025-01-27']
    >>> [str(d.day) for d in relative_dates("on Saturday the 2nd", date(2025, 8, 14))]
    ['2025-08-02']
    """
    out: list[DateMention] = []
    if anchor is None:
        return out
    low = text.lower()
    if not any(w in low for w in _RELATIVE_WORDS) and not ("the " in low and _RELATIVE_HINT.search(low)):
        return out
    for m in _RELATIVE.finditer(text):
        got: date | None = None
        if m.group(1):
            got = anchor - timedelta(days=1)
        elif m.group(2):
            got = anchor
        elif m.group(3):
            back = (anchor.weekday() - _WEEKDAYS[m.group(3).lower()]) % 7 or 7
            got = anchor - timedelta(days=back)
        elif m.group(5):
            day = int(m.group(5))
            first = anchor.replace(day=1)
            month_start = (first - timedelta(days=1)).replace(day=1) if m.group(6) else first
            for start in (month_start, (month_start - timedelta(days=1)).replace(day=1)):
                try:
                    candidate = start.replace(day=day)
                except ValueError:
                    continue
                if candidate <= anchor or m.group(6):
                    got = candidate
                    break
        if got is not None:
            out.append(DateMention(m.start(), m.end(), got))
    return out


def event_dates(text: str, anchor: date | None) -> list[DateMention]:
    """The days a sentence gives for what happened: full and partial dates and days relative to ``anchor``,
    never a date of birth.

    >>> [str(d.day) for d in event_dates("Hobday (DOB 29/03/2010) went missing on 29/03 with Tolley", date(2025, 4, 3))]
    ['2025-03-29']
    """
    found = [d for d in find_dates(text, anchor) if not _DOB_CUE.search(text[max(0, d.start - 16) : d.start])]
    taken = [(d.start, d.end) for d in found]
    for d in relative_dates(text, anchor):
        if not any(s < d.end and d.start < e for s, e in taken):
            found.append(d)
    found.sort(key=lambda d: d.start)
    return found


@dataclass(slots=True)
class Section:
    """A heading and the lines under it, up to the next heading of the same or a higher level."""

    title: str
    level: int
    line: int
    parent: int | None = None


@dataclass(slots=True)
class Unit:
    """A sentence, a bullet or a table row: the span within which facts are read."""

    text: str
    line: int
    section: int | None
    kind: str  # "text", "bullet", "row", "header", "heading"
    row: dict[str, str] | None = None
    block: int = 0  # units of one paragraph, bullet or numbered item share a block
    head: tuple[str, ...] = ()  # a row's column headers as written


@dataclass(slots=True)
class Meeting:
    kind: str
    date: str | None
    locality: str | None
    # "configured" (a configured locality's name), "unknown" (as written, not configured), None (no locality)
    locality_status: str | None = None


@dataclass(slots=True)
class ParsedNote:
    path: str
    text: str
    meeting: Meeting
    meeting_day: date | None
    sections: list[Section] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    header_end: int = 0  # first line after the header block
    professional_lines: set[int] = field(default_factory=set)
    anchors: list[tuple[int, date]] = field(default_factory=list)  # (line, day) of each message's "Sent:" line
    lowercase: bool = False
    _lowered: frozenset[str] | None = None

    @property
    def lowered_words(self) -> frozenset[str]:
        """Words the note writes in lower case somewhere (read once, when first asked)."""
        if self._lowered is None:
            self._lowered = frozenset(_LOWER_WORDS.findall(self.text))
        return self._lowered

    def has_word(self, word: str) -> bool:
        """Whether ``word`` stands alone somewhere in the note, as ``\\bword\\b`` would find it.

        >>> note = ParsedNote("n.md", "Seen with JB-K and (TK).", Meeting("mace", None, None), None)
        >>> note.has_word("JB"), note.has_word("TK"), note.has_word("J")
        (True, True, False)
        """
        if not _ALL_WORD.fullmatch(word):
            return re.search(rf"\b{re.escape(word)}\b", self.text) is not None
        text, n = self.text, len(word)
        at = text.find(word)
        while at >= 0:
            before = text[at - 1] if at else " "
            after = text[at + n] if at + n < len(text) else " "
            # a word character, as ``\\w`` reads one: a letter, a digit or "_"
            if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
                return True
            at = text.find(word, at + 1)
        return False


_LOWER_WORDS = re.compile(r"\b[a-z][a-z'’-]+")
_ALL_WORD = re.compile(r"\w+")
_HEADING_MD = re.compile(r"^(#{1,6})\s+(.*)$")
_BOLD_LINE = re.compile(r"^\*\*([^*]{2,120})\*\*:?\s*$")
_NUMBERED_HEADING = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+([A-Z][^.!?]{1,80})$")
_BULLET = re.compile(r"^\s*(?:[-*•]|\(?\d{1,2}[.)\]]|\[\d{1,2}\]|\([a-z]\)|[a-z]\))\s+(.*)$")
_TABLE = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}")
_RULE = re.compile(r"^\s*(?:-{3,}|={3,}|\*{3,}|_{3,})\s*$")
_SENTENCE_END = re.compile(r"(?:(?<=[a-z0-9)\"'”’%])|(?<=[A-Z]{2}))[.!?]\s+(?=[A-Z\"'“(])|;\s+|\s+–\s+(?=[A-Z])")
# a note typed wholly in lower case: a full stop before a word in lower case ends a sentence too
_SENTENCE_END_LOWER = re.compile(r"(?<=[a-z0-9)\"'”’%])[.!?]\s+(?=[a-z\"'“(])(?!(?:am|pm)\b)")


_EMPHASIS = re.compile(r"\*\*|__|(?<!\w)\*(?!\s)|(?<!\s)\*(?!\w)|`")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def strip_markup(s: str) -> str:
    """Text without markdown emphasis, code marks and link targets.

    >>> strip_markup(" **Fennick** seen at [the Rec](http://x) ")
    'Fennick seen at the Rec'
    """
    if "*" in s or "_" in s or "`" in s:
        s = _EMPHASIS.sub("", s)
    if "[" in s:
        s = _LINK.sub(r"\1", s)
    return s.strip()


def split_sentences(text: str, lower: bool = False) -> list[str]:
    """Sentences of a paragraph; ``lower``: of a note typed in lower case, where a sentence may begin so.

    >>> split_sentences("Seen at the Rec. He was with Tolley; both ran.")
    ['Seen at the Rec.', 'He was with Tolley', 'both ran.']
    >>> split_sentences("found at the rec. open to yjs.", lower=True)
    ['found at the rec.', 'open to yjs.']
    """
    out: list[str] = []
    start = 0
    ends = _SENTENCE_END.finditer(text)
    if lower:
        ends = iter(sorted([*ends, *_SENTENCE_END_LOWER.finditer(text)], key=lambda m: m.start()))
    for m in ends:
        piece = text[start : m.start() + (1 if text[m.start()] in ".!?" else 0)].strip()
        if piece:
            out.append(piece)
        start = m.end()
    rest = text[start:].strip()
    if rest:
        out.append(rest)
    return out


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
    lines = text.split("\n")
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
    day = _meeting_day(lines, header, content, clean)
    if day is None:
        raise NoteError(f"{path}: no meeting date found in the note's header (expected e.g. 'Date: 18/01/2024')")
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
    _units(note, lines)
    return note


def anchor_day(note: ParsedNote, line: int) -> date | None:
    """The day a line was written: the date of the message it sits in (an email chain's "Sent:" line above it),
    else the meeting date."""
    got = note.meeting_day
    for i, day in note.anchors:
        if i <= line:
            got = day
    return got


def _table_cells(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return [strip_markup(c.strip()) for c in s.split("|")]


_CSV_HEAD = re.compile(r"^[A-Za-z_][\w ?/()-]{0,30}(?:,[A-Za-z_][\w ?/()-]{0,30}){2,}$")


def _csv_fields(line: str) -> list[str]:
    return [c.strip() for c in next(csv.reader([line]), [])]


def _delimited_head(lines: list[str], i: int) -> tuple[str, list[str]] | None:
    """A tab- or comma-separated table pasted as text whose header is line ``i``: (delimiter, columns)."""
    s = lines[i].strip()
    nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
    if s.count("\t") >= 2 and nxt.count("\t") >= 2:
        return "\t", [c.strip() for c in lines[i].strip("\n").split("\t")]
    if _CSV_HEAD.match(s) and nxt:
        head = _csv_fields(s)
        if len(_csv_fields(nxt)) == len(head):
            return ",", head
    return None


def _delimited_row(line: str, delimiter: str, width: int) -> list[str] | None:
    cells = [c.strip() for c in line.split("\t")] if delimiter == "\t" else _csv_fields(line)
    if delimiter == "," and len(cells) != width:
        return None
    if delimiter == "\t" and len(cells) < 2:
        return None
    return [("" if c in ("-", "–") else strip_markup(c)) for c in cells]


def _units(note: ParsedNote, lines: list[str]) -> None:
    sections = note.sections
    stack: list[int] = []
    current: int | None = None
    block = 0
    table_head: list[str] | None = None
    para: list[str] = []
    para_line = 0

    def flush() -> None:
        nonlocal para, block
        if para:
            text = " ".join(para)
            block += 1
            for s in split_sentences(text, note.lowercase):
                note.units.append(Unit(s, para_line, current, "text", block=block))
        para = []

    def open_section(title: str, level: int, i: int) -> None:
        nonlocal current, block
        while stack and sections[stack[-1]].level >= level:
            stack.pop()
        sections.append(Section(title, level, i, stack[-1] if stack else None))
        stack.append(len(sections) - 1)
        current = len(sections) - 1
        block += 1
        note.units.append(Unit(title, i, current, "heading", block=block))

    original_head: tuple[str, ...] = ()
    delimited: tuple[str, list[str]] | None = None
    for i, raw in enumerate(lines):
        s = raw.strip()
        if not s or _RULE.match(s):
            flush()
            table_head = None if not s or _RULE.match(s) else table_head
            delimited = None
            continue
        if i in note.professional_lines:
            flush()
            continue
        if delimited is not None:
            cells = _delimited_row(raw, delimited[0], len(delimited[1]))
            if cells is not None:
                head = [c.lower() for c in delimited[1]]
                row = {head[k] if k < len(head) else f"col{k}": c for k, c in enumerate(cells)}
                block += 1
                note.units.append(
                    Unit(" | ".join(cells), i, current, "row", row=row, block=block, head=tuple(delimited[1]))
                )
                continue
            delimited = None
        if ("\t" in s or s.count(",") >= 2) and not _TABLE.match(s):
            delimited = _delimited_head(lines, i)
            if delimited is not None:
                flush()
                continue
        if _TABLE.match(s):
            flush()
            if _TABLE_RULE.match(s.strip("| ")) or set(s) <= set("|-: "):
                continue
            cells = _table_cells(s)
            if table_head is None:
                nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
                if set(nxt) <= set("|-: ") and nxt:
                    original_head = tuple(cells)
                    table_head = [c.lower() for c in cells]
                    if all(not c for c in table_head):
                        table_head = ["", "value"]
                    continue
                table_head = [f"col{k}" for k in range(len(cells))]
                original_head = ()
            row = {table_head[k] if k < len(table_head) else f"col{k}": c for k, c in enumerate(cells)}
            if PROFESSIONAL_LABELS.match(" | ".join(cells) + "|") and len(cells) == 2:
                continue
            block += 1
            note.units.append(Unit(" | ".join(cells), i, current, "row", row=row, block=block, head=original_head))
            continue
        table_head = None
        md = _HEADING_MD.match(s)
        bold = _BOLD_LINE.match(s)
        numbered = _NUMBERED_HEADING.match(strip_markup(s))
        if md:
            flush()
            open_section(strip_markup(md.group(2)), len(md.group(1)), i)
            continue
        if bold or (numbered and len(s) < 90 and not s.endswith(".")):
            flush()
            title = strip_markup(bold.group(1) if bold else s)
            depth = title.split()[0].count(".") + 1 if _rx(r"^\d").match(title) else 2
            open_section(title, 2 + depth, i)
            continue
        if s.isupper() and len(s) < 60 and not _BULLET.match(s) and i >= note.header_end:
            flush()
            open_section(strip_markup(s), 2, i)
            continue
        b = _BULLET.match(s)
        if b:
            flush()
            block += 1
            for sent in split_sentences(strip_markup(b.group(1)), note.lowercase):
                note.units.append(Unit(sent, i, current, "bullet", block=block))
            continue
        if i < note.header_end:
            flush()
            block += 1
            for sent in split_sentences(strip_markup(s), note.lowercase):
                note.units.append(Unit(sent, i, current, "header", block=block))
            continue
        if not para:
            para_line = i
        para.append(strip_markup(s))
    flush()


_MAX_SKIP = 400
"""The most characters of the note passed over between two characters of a unit (markup, a
link's target) before the unit is taken as not found."""


def unit_offsets(text: str, units: list[Unit]) -> dict[int, list[int]]:
    """Where each unit's characters are in the note's ``text``, as read (``id(unit)`` -> the offset
    of each character, -1 for a space the unit adds, e.g. between a paragraph's lines or a row's
    cells). Units are read from the text by dropping markup and joining lines, so each unit's
    characters appear in order in the text from its line on; a unit not found so has no entry.
    Offsets count characters (Unicode code points) of ``text`` exactly as given.

    >>> note = "# MACE\\n\\n- **Tolley** seen at\\n  the Rec. With [Jo](http://x)."
    >>> units = [Unit("Tolley seen at the Rec.", 2, None, "bullet"), Unit("With Jo.", 2, None, "bullet")]
    >>> offs = unit_offsets(note, units)
    >>> [note[offs[id(u)][0] : offs[id(u)][-1] + 1] for u in units]
    ['Tolley** seen at\\n  the Rec.', 'With [Jo](http://x).']
    """
    starts = [0]
    starts.extend(m.end() for m in _rx("\n").finditer(text))
    out: dict[int, list[int]] = {}
    cursor = 0
    for u in units:
        t = u.text
        if not t:
            continue
        pos = max(cursor, starts[u.line] if u.line < len(starts) else len(text))
        first = t.lstrip()
        j0 = text.find(first[:1], pos) if first else -1
        if j0 < 0 or j0 - pos > _MAX_SKIP:
            continue
        lead = len(t) - len(first)
        if text.startswith(first, j0):  # as written: one offset after another
            offs: list[int] | None = [-1] * lead + list(range(j0, j0 + len(first)))
        elif u.kind == "row":  # cell by cell: the " | " between cells is the unit's own
            offs = _row_aligned(text, t, pos)
        else:
            offs = _aligned(text, t, pos)
        if offs is None:
            continue
        out[id(u)] = offs
        cursor = max(offs) + 1  # an aligned unit has at least one character in the text
    return out


def _aligned(text: str, unit: str, pos: int) -> list[int] | None:
    """Each character of ``unit`` at its first place in ``text`` after the one before (from ``pos``);
    spaces of the unit match the text's spaces, or nothing. None when a character is not found."""
    offs: list[int] = []
    j = pos
    for c in unit:
        if c.isspace():
            if j < len(text) and text[j].isspace():
                offs.append(j)
                j += 1
                while j < len(text) and text[j].isspace():
                    j += 1
            else:
                offs.append(-1)
            continue
        k = text.find(c, j)
        if k < 0 or k - j > _MAX_SKIP:
            return None
        offs.append(k)
        j = k + 1
    return offs if any(o >= 0 for o in offs) else None


def _row_aligned(text: str, row: str, pos: int) -> list[int] | None:
    offs: list[int] = []
    j = pos
    for n, cell in enumerate(row.split(" | ")):
        if n:
            offs.extend([-1, -1, -1])
        got = _aligned(text, cell, j) if cell else []
        if got is None:
            return None
        offs.extend(got)
        j = max([j - 1, *got]) + 1
    return offs if any(o >= 0 for o in offs) else None


def span_of(offsets: list[int], start: int, end: int) -> tuple[int, int] | None:
    """The span of the note's text that characters ``start:end`` of a unit come from (None if
    they are all added spaces)."""
    part = offsets[start:end]
    first = next((o for o in part if o >= 0), -1)
    if first < 0:
        return None
    last = next(o for o in reversed(part) if o >= 0)
    return (first, last + 1)
