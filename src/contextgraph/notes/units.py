"""A note as units: headed sections, paragraphs split into sentences, bullets, and table rows
(markdown, tab- or comma-separated) with their column names; the lines of who was there set aside.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from ..text import plain_letters, shown_text
from .patterns import compiled as _rx

# header labels whose lines list professionals, not subjects
_LETTERS = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f])+")
"""A run of letters, with the accents written apart after them."""

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


def _lower(text: str) -> str:
    """``text`` in lower case, a letter for a letter (Turkish İ as i, not i and a dot apart)."""
    return "".join(c if len(low := c.lower()) != 1 else low for c in text).replace("İ", "i")


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
    _written_words: dict[str, str] | None = None
    raw: str | None = None
    """The note's text as given, where it differs from ``text`` (which leaves out what shows as
    nothing: :func:`~contextgraph.text.shown_text`): the text the spans of facts point into. Its
    look-alike letters are read in the script of their word (:func:`~contextgraph.text.one_script`), which keeps
    every character where it was."""

    written: str | None = None
    """The note's text as given (its look-alike letters in their word's script), where ``raw``
    reads an accented letter as the letter without it: the forms of names are taken back from it
    (:meth:`as_written`)."""

    def as_written(self, read: str) -> str:
        """A name as the note writes it, where the note read it without accents: each word of
        ``read`` that the note writes, everywhere, one way with accents (Zoë read as Zoe, MÄRLOW as
        Marlow) with them, in the case read. A word written both with and without them (Zoe and Zoë,
        two people) stays as read.

        >>> note = ParsedNote("n.md", "Zoe Ahmed, Sian", Meeting("mace", None, None), None,
        ...                   written="Zoe\u0308 Ahmed, Siân")
        >>> note.as_written("Zoe Ahmed"), note.as_written("Sian Ahmed"), note.as_written("Ossie")
        ('Zoë Ahmed', 'Siân Ahmed', 'Ossie')
        >>> ParsedNote("n.md", "MARLOW", Meeting("mace", None, None), None, written="MÄRLOW").as_written("Marlow")
        'Märlow'
        >>> ParsedNote("n.md", "WOJCIK, Ossie", Meeting("mace", None, None), None,
        ...            written="WÓJCİK, Ossie").as_written("Wojcik, Ossie")
        'Wójcik, Ossie'

        """
        if self.written is None:
            return read
        if self._written_words is None:
            found: dict[str, str | None] = {}
            for w in _LETTERS.findall(unicodedata.normalize("NFC", shown_text(self.written))):
                key = shown_text(plain_letters(w)).lower()
                if len(key) != len(w):
                    continue  # a letter written as two: which letter is which cannot be told
                if found.get(key, w) is not None and _lower(found.get(key, w) or w) != _lower(w):
                    found[key] = None  # written two ways: which is meant cannot be told
                elif key not in found:
                    found[key] = w
            self._written_words = {k: w for k, w in found.items() if w is not None and w.lower() != k}
        words = self._written_words

        def written(m: re.Match[str]) -> str:
            word = m.group()
            got = words.get(word.lower())
            if got is None or len(got) != len(word):
                return word
            return "".join(w if r.isupper() else _lower(w) for r, w in zip(word, got, strict=True))

        return _LETTERS.sub(written, read)

    def form_at(self, start: int, end: int) -> str | None:
        """The form the text as given holds at ``start:end`` (a span of :attr:`given`): what shows
        as nothing, markup and line breaks aside, its accents composed. None when the note was read
        as it is written.

        >>> ParsedNote("n.md", "Ty Glas", Meeting("mace", None, None), None, written="**Tŷ** Glas").form_at(0, 11)
        'Tŷ Glas'
        """
        if self.written is None:
            return None
        form = " ".join(shown_text(self.written[start:end]).replace("*", "").replace("`", "").split())
        return unicodedata.normalize("NFC", form)

    @property
    def given(self) -> str:
        """The note's text as given: what the spans of its facts point into."""
        return self.text if self.raw is None else self.raw

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
