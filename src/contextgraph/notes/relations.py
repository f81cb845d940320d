"""Pass 5: relationships, unit by unit, with each unit's heading, block, table row or the note's
subject as context, and who "he", "both" or "the three boys" are.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date

from .dates import event_dates, find_dates
from .lexicon import _LOW_PLURAL_PRONOUN, CUES, _grading, _has_pronoun, norm
from .parse import anchor_day
from .patterns import compiled as _rx
from .patterns import lower, lowered
from .places import _EMPTY_CELL, _is_matrix, column_role
from .record import Ent, Extraction, Found, _dedupe
from .services import _services
from .statements import _open_to, _relate_unit
from .units import Unit

# "the three boys", "the group", "all four": the people named together just before
_GROUP_REFERENCE = re.compile(
    r"\b(?:the|all|these|those) (?:two|three|four|five|six|\d) (?:boys|girls|young people|children|lads|of them|"
    r"yps?|pupils|friends)\b|\b(?:the|all) (?:two|three|four|five|six)\b|"
    r"\bthe (?:three |two |four )?younger ones\b|\bboth (?:girls|boys|children|young people|lads|of them|yps?)\b|"
    r"\b(?:them|they) both\b|^\W*both\b(?! (?:of|the|\w+'s)\b)",
    re.I,
)


# a word every one of those references has: a text with none of them refers to no group
_GROUP_HINT = re.compile(r"\b(?:two|three|four|five|six|both|younger)\b|\b(?:the|all|these|those) \d", re.I)
_COUNT_WORDS = {"both": 2, "two": 2, "pair": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def _group_referred(text: str, group: list[Ent], recent: list[Ent]) -> list[Ent]:
    """The children ``text`` refers back to: "the three boys" to the children last named together, "both girls"
    to the last two children named in the section."""
    m = _GROUP_REFERENCE.search(text) if (len(group) >= 2 or len(recent) >= 2) and _GROUP_HINT.search(text) else None
    if m is None:
        return []
    words = m.group(0).lower().split()
    if "both" in words:
        return recent[-2:] if len(recent) >= 2 else []
    count = next((_COUNT_WORDS[w] for w in words if w in _COUNT_WORDS), None)
    if count is not None and len(recent) >= count and len(group) != count:
        return recent[-count:]
    return group if len(group) >= 2 else []


@dataclass(slots=True)
class Around:
    """What a unit is read with: the person, place, group, grading and day of its heading or block."""

    person: Ent | None = None
    place: Ent | None = None
    group: Ent | None = None
    grading: str | None = None
    day: date | None = None


def _subject_of(x: Extraction, u: Unit) -> Around:
    ctx = Around()
    for f in x.mentions.get(id(u), []):
        k = f.ent.kind
        if k in ("child", "person_of_concern") and ctx.person is None:
            ctx.person = f.ent
        elif k == "location" and ctx.place is None:
            ctx.place = f.ent
        elif k == "group" and ctx.group is None:
            ctx.group = f.ent
    return ctx


def _relations(x: Extraction, units: list[Unit]) -> None:
    note = x.note
    day0 = x.day
    heading_ctx: dict[int, Around] = {}
    note_subject: Ent | None = None
    for u in units:
        if u.kind in ("heading", "header") and u.line < max(note.header_end, 12):
            people = [f.ent for f in x.mentions.get(id(u), []) if f.ent.kind in ("child", "person_of_concern")]
            if (
                people
                and note_subject is None
                and (
                    # "SUBJECT: Laverick LENNOX - DOB ...": a profile or form about one person, whatever the meeting
                    (_SUBJECT_FIELD.match(u.text) and not _EMAIL_HEADER.search(note.text))  # not an email's
                    or (
                        note.meeting.kind in ("RETURN_INTERVIEW", "STRATEGY")
                        and (
                            u.kind == "heading"
                            or _rx(
                                r"^\W*(?:[A-Z]?\d{1,2}[a-z]?\s+)?(child|name|young person|yp|subject)\b", re.I
                            ).match(u.text)
                            or u.line == min(v.line for v in units)
                        )
                    )
                )
            ):
                note_subject = people[0]
    x.subject = note_subject
    prev_person: Ent | None = None
    prev_people: list[Ent] = []
    group_people: list[Ent] = []  # the last children named together, for "the three boys"
    group_section: int | None = None
    recent_kids: list[Ent] = []  # the children named in the section so far, the latest last, for "both girls"
    prev_places: list[Ent] = []  # the places of the sentence before, in the same paragraph or item, for "there"
    prev_block_places = -1
    prev_block = -1
    block_ctx = Around()
    for u in units:
        x.current = u
        found = x.mentions.get(id(u), [])
        if u.kind == "heading":
            ctx = _subject_of(x, u)
            ctx.grading = _grading(u.text)
            ds = find_dates(u.text, day0)
            ctx.day = ds[0].day if ds and ctx.grading else None
            if u.section is not None:
                heading_ctx[u.section] = ctx
            prev_person = ctx.person
            continue
        sec = heading_ctx.get(u.section) if u.section is not None else None
        if u.row is not None and _relate_row(x, u, sec.grading if sec else None):
            continue
        if u.block != prev_block:
            block_ctx = Around()
            block_ctx.grading = _grading(u.text[:40])
            ds = find_dates(u.text[:40], day0)
            block_ctx.day = ds[0].day if ds and block_ctx.grading else None
            prev_block = u.block
            # a bullet, item or paragraph that begins with a person or a place is about it
            lead = found[0] if found and found[0].start <= _lead_offset(u.text) else None
            if lead and lead.ent.kind in ("child", "person_of_concern"):
                block_ctx.person = lead.ent
            elif lead and lead.ent.kind == "location":
                block_ctx.place = lead.ent
        grading = _grading(u.text) or block_ctx.grading or (sec.grading if sec else None)
        x.gradings[id(u)] = grading
        people = _dedupe([f.ent for f in found if f.ent.kind in ("child", "person_of_concern")])
        places = _dedupe([f.ent for f in found if f.ent.kind == "location"])
        schools = _dedupe([f.ent for f in found if f.ent.kind == "school"])
        groups = _dedupe([f.ent for f in found if f.ent.kind == "group"])
        row_subject: Ent | None = None
        if u.row:
            first = next(iter(u.row.values()), "")
            for f in found:
                if f.ent.kind in ("child", "person_of_concern", "location") and f.start < len(first) + 1:
                    row_subject = f.ent
                    break
        focus = (
            (row_subject if row_subject and row_subject.kind != "location" else None)
            or block_ctx.person
            or (sec.person if sec else None)
            or note_subject
        )
        place_focus = (
            (row_subject if row_subject and row_subject.kind == "location" else None)
            or block_ctx.place
            or (sec.place if sec else None)
        )
        if focus and focus not in people:
            lead_text = u.text[_lead_offset(u.text) - 1 :]
            subjectless = bool(_SUBJECTLESS.match(lead_text[:1].upper() + lead_text[1:])) or bool(
                ":" in u.text and _FORM_FIELD.match(u.text)
            )
            if (
                not people
                or subjectless
                or (_has_pronoun(u.text) and not any(p for p in people if p is prev_person and p is not focus))
            ):
                people = [focus, *people]
        elif not people and prev_person and _has_pronoun(u.text):
            people = [prev_person]
        named_here = [f for f in found if f.ent.kind in ("child", "person_of_concern")]
        if u.section != group_section:
            recent_kids, group_section = [], u.section
        group_ref: list[Ent] = _group_referred(u.text, group_people, recent_kids)
        if (not named_here and _LOW_PLURAL_PRONOUN.search(lower(u.text))) or group_ref:
            # "Both were found at ...", "the three boys were seen with Flintor": the people named together before
            people = _dedupe([*people, *(group_ref or prev_people)])
        kids_here = _dedupe(f.ent for f in named_here if f.ent.kind == "child") if named_here else []
        if len(kids_here) >= 2:
            group_people = kids_here
        if kids_here:
            here = {id(k) for k in kids_here}
            recent_kids = [*(k for k in recent_kids if id(k) not in here), *kids_here]
        if people:
            prev_person = people[-1] if found else prev_person
            prev_people = people
        if (
            people
            and not places
            and place_focus
            and _rx(r"\b(there|here|seen|gather|hang|use|visit)", re.I).search(u.text)
        ):
            places = [place_focus]
        if people and not places and place_focus and place_focus in (row_subject, block_ctx.place):
            places = [place_focus]
        if people and not places and prev_places and prev_block_places == u.block and _THERE.search(u.text):
            places = prev_places  # "The underpass is where they meet; JJ and Orrin are seen there most nights"
        if places:
            prev_places, prev_block_places = places, u.block
        if people and not groups and sec and sec.group and _rx(r"\b(line|running|runner|member)", re.I).search(u.text):
            groups = [sec.group]
        # the day of what the unit says: only a unit about someone relates anything on a day
        day: date | None = None
        if people or len(found) >= 2:
            ds = event_dates(u.text, anchor_day(note, u.line))
            day = ds[0].day if ds else (block_ctx.day or (sec.day if sec else None))
        # "Associates: A / B / C" on a profile: each is the subject's associate, not each other's
        subject = ((sec.person if sec else None) or note_subject) if ":" in u.text else None
        if subject is not None and _ASSOCIATES_FIELD.match(u.text):
            for p in people:
                if p is not subject:
                    x.relate("ASSOCIATES_WITH", subject, p, day, grading, "profile_field")
            continue
        _relate_unit(x, u, people, places, schools, groups, day, grading, focus)
        x.current = u
        _group_statement(x, u, found, places, day, grading)
    x.current = None
    _pupils_attend(x, units)


# a label may come in two languages, the other first: "Plentyn / Child:", "Lleoliad / Placement:"
_OTHER_LANGUAGE = r"(?:[^\W\d][^:/\d|]{0,30}\s/\s*)?"
_SUBJECT_FIELD = re.compile(
    r"^\W*" + _OTHER_LANGUAGE + r"(?:[A-Z]?\d{1,2}[a-z]?\s+)?(child|name|young person|yp|subject)\s*:", re.I
)
_EMAIL_HEADER = re.compile(r"^\W*(?:From|Sent|To|Cc)\s*:", re.M)
_ASSOCIATES_FIELD = re.compile(
    r"^\W*" + _OTHER_LANGUAGE + r"(?:[A-Z]?\d{1,2}[a-z]?\s+)?(?:associates?|seen with|linked (?:adults?|peers?))\s*:\s",
    re.I,
)


# "Officers found Cedrik, Lusty and Kember Dunnock (15) in the flat": people listed together at an event
_LIST_GAP = re.compile(r"^(?:\s*\((?:\d{1,2}|aged? \d{1,2}|[A-Z]{2,3})\))?\s*(?:,\s*(?:and\s+)?|and\s+|&\s+)$")
_GROUP_EVENT = re.compile(
    r"\b(?:seen|found|located|stopped|arrested|met|together|gathered|hanging|were at|were in|got into|"
    r"got out of|picked up|dropped|boarded|travelled|outside|inside)\b",
    re.I,
)


_LOW_GROUP_EVENT = lowered(_GROUP_EVENT)


def _group_statement(
    x: Extraction, u: Unit, found: list[Found], places: list[Ent], day: date | None, grading: str | None
) -> None:
    """A group statement gives pairwise ASSOCIATES_WITH among the people it lists, and SEEN_AT for each."""
    if u.row is not None or len(found) < 2 or not _LOW_GROUP_EVENT.search(lower(u.text)):
        return
    people = [f for f in found if f.ent.kind in ("child", "person_of_concern")]
    listed: list[Ent] = []
    run: list[Found] = []
    for f in people:
        if run and _LIST_GAP.match(u.text[run[-1].end : f.start]):
            run.append(f)
            continue
        if len(run) > len(listed):
            listed = [g.ent for g in run]
        run = [f]
    if len(run) > len(listed):
        listed = [g.ent for g in run]
    listed = _dedupe(listed)
    if not 2 <= len(listed) <= 6 or _rx(r"\b(?:not|never|no longer)\b", re.I).search(u.text):
        return
    for i, a in enumerate(listed):
        for b in listed[i + 1 :]:
            x.relate("ASSOCIATES_WITH", a, b, day, grading, "group_statement")


def _cells(u: Unit) -> list[tuple[str, str, int, int]]:
    """(header, cell, start, end) of a row, with the cell's offsets in the row's text."""
    assert u.row is not None
    out: list[tuple[str, str, int, int]] = []
    pos = 0
    for col, cell in u.row.items():
        out.append((col, cell, pos, pos + len(cell)))
        pos += len(cell) + 3  # " | "
    return out


def _relate_row(x: Extraction, u: Unit, sec_grading: str | None) -> bool:
    """A table row read by its columns' headers; False when the table has no subject column to read it by.

    The subject is the row's name (or place) cell. "Seen with", "Associates" and "Linked adults" cells give
    ASSOCIATES_WITH, places columns and matrix marks SEEN_AT (LIVES_AT when the cell says so), School
    ATTENDS, Open to / Known to services OPEN_TO and Group MEMBER_OF, for each name in the cell. Other
    cells are read as sentences about the subject, their header first ("Last MFH: 16/08 with TH").
    """
    cells = _cells(u)
    roles = [column_role(col) for col, _, _, _ in cells]
    matrix = _is_matrix(u)
    found = x.mentions.get(id(u), [])
    person_kinds = ("child", "person_of_concern")

    def within(start: int, end: int, kinds: tuple[str, ...]) -> list[Ent]:
        return _dedupe([f.ent for f in found if start <= f.start < end + 1 and f.ent.kind in kinds])

    subject_cell = next((c for c, r in zip(cells, roles, strict=True) if r == "subject"), None)
    subject_cell = subject_cell or next((c for c, r in zip(cells, roles, strict=True) if r == "initials"), None)
    if matrix:
        subject_cell = cells[0]
    # a table of places: the place is the row's first column ("Place | Children seen | Adults seen")
    place_cell = cells[0] if roles[0] == "place_subject" else None
    subjects: list[Ent] = []
    places: list[Ent] = []
    if subject_cell is not None:
        subjects = within(subject_cell[2], subject_cell[3], person_kinds)[:1]
    elif place_cell is not None:
        places = within(place_cell[2], place_cell[3], ("location",))
    if not subjects and not places:
        return False
    grading = _grading(u.text) or sec_grading
    x.gradings[id(u)] = grading
    for (col, cell, start, end), role in zip(cells, roles, strict=True):
        if not cell or (subject_cell and start == subject_cell[2]) or (place_cell and start == place_cell[2]):
            continue
        x.current = u
        people = within(start, end, person_kinds)
        ds = event_dates(cell, x.day)
        day = ds[0].day if ds else None
        if places:  # a place's row: the people in its cells were seen there
            if role in ("associates", "text") and people:
                for loc in places:
                    for p in people:
                        x.relate("SEEN_AT", p, loc, day, grading, "table_place_row")
            continue
        subj = subjects[0]
        if matrix:
            mark = x.index.get(norm(u.head[[c[2] for c in cells].index(start)]))
            if mark is not None and mark.kind == "location" and not _EMPTY_CELL.match(cell):
                rtype = "LIVES_AT" if CUES["lives"].search(cell) else "SEEN_AT"
                x.relate(rtype, subj, mark, day, grading, "table_matrix")
            continue
        if role == "associates" or role == "family":
            for p in people:
                if role == "family" or CUES["family"].search(cell):
                    x.relate("FAMILY_OF", subj, p, None, grading, "table_column")
                else:
                    x.relate("ASSOCIATES_WITH", subj, p, day, grading, "table_column")
        elif role == "places":
            for loc in within(start, end, ("location",)):
                rtype = "LIVES_AT" if CUES["lives"].search(cell) else "SEEN_AT"
                x.relate(rtype, subj, loc, day, grading, "table_column")
        elif role == "school":
            for sch in within(start, end, ("school",)):
                x.relate("ATTENDS", subj, sch, None, grading, "table_column")
        elif role == "services":
            for _, code in _services(cell, True, x.local):
                _open_to(x, [subj] if subj.kind == "child" else [], None, code, grading, "table_column")
        elif role == "group":
            if not _rx(r"\bnot\b[^.;]{0,30}\b(?:part of|member|in)|\bnot (?:yet )?a member", re.I).search(cell):
                for g in within(start, end, ("group",)):
                    x.relate("MEMBER_OF", subj, g, None, grading, "table_column")
        elif role == "text":
            prefix = "" if _rx(r"col\d+|notes?|comments?|what we know|update").fullmatch(col) else f"{col}: "
            sub = Unit(prefix + cell, u.line, u.section, "text", block=u.block)
            shift = len(prefix) - start
            x.mentions[id(sub)] = [
                Found(f.start + shift, f.end + shift, f.ent) for f in found if start <= f.start < end
            ]
            sub_people = _dedupe([subj, *people])
            sub_places = within(start, end, ("location",))
            schools = within(start, end, ("school",))
            groups = within(start, end, ("group",))
            _relate_unit(x, sub, sub_people, sub_places, schools, groups, day, grading, subj)
            x.mentions.pop(id(sub), None)
    return True


_PUPIL_YEAR = re.compile(r"^\W{0,3}\((?:year|yr)\s*\d{1,2}\b", re.I)
_PUPILS = re.compile(r"\bpupils?\b", re.I)


def _pupils_attend(x: Extraction, units: list[Unit]) -> None:
    """In a note about one school (its title names it), the children it discusses as pupils attend it: those
    under a heading of pupils, in a table with a school year column, or named with their year ("KH (Year 9)")."""
    school = _title_school(x)
    if school is None:
        return
    sections = x.note.sections
    for u in units:
        sec = sections[u.section] if u.section is not None else None
        under_pupils = False
        while sec is not None and not under_pupils:
            under_pupils = bool(_PUPILS.search(sec.title))
            sec = sections[sec.parent] if sec.parent is not None else None
        year_column = any(_rx(r"year(?: group)?|yr").fullmatch(c) for c in u.row or {})
        for f in x.mentions.get(id(u), []):
            if f.ent.kind == "child" and (under_pupils or year_column or _PUPIL_YEAR.match(u.text[f.end :])):
                x.current = u
                x.relate("ATTENDS", f.ent, school, None, None, "school_cue")
    x.current = None


def _title_school(x: Extraction) -> Ent | None:
    """The school a note's title names ("School Context Conference - Elm Academy"), if any."""
    units = x.note.units
    if not units:
        return None
    first = units[0]
    found = _dedupe(f.ent for f in x.mentions.get(id(first), []) if f.ent.kind == "school")
    return found[0] if len(found) == 1 and first.kind in ("heading", "header") else None


# a form's field about its subject: "A7 Missing with: Quorra Spindle", "Found where: ...", "School: ..."
_FORM_FIELD = re.compile(
    r"^\W*" + _OTHER_LANGUAGE + r"(?:[A-Z]?\d{1,2}[a-z]?\s+)?"
    r"(?:missing with|found(?: where)?(?: / by whom)?|seen with|associates?|"
    r"school|education|services?(?: open)?|open to|known to|address|home address|lives|placement|linked adults?|"
    r"group|line|places?|locations?)\s*:\s",
    re.I,
)
_THERE = re.compile(r"\b(?:there|here)\b", re.I)


# a sentence that starts with its verb is about the heading's or paragraph's subject: "Seen at the Rec with Mia"
_SUBJECTLESS = re.compile(
    r"(?:Seen|Stopped|Found|Located|Arrested|Open|Known|Attends|Lives|Living|Believed|Reported|Missing|Went|"
    r"Was|Is|Has|Had|Now|Still|Also|Often|Regularly|Frequently|Allocated|Excluded|On roll|Close friend|Friends?|"
    r"Assessed|Thought|Suspected|Said|Described|Exploited|Exploiting|Grooming|Groomed|Ran|Runs|Running|Uses|Used|"
    r"Recruit\w*|Supplie[sd]|Supplying|Controls|Controlled|Charged|Convicted|Remanded|On bail)\b"
)


@functools.lru_cache(maxsize=4096)
def _lead_offset(text: str) -> int:
    """How far into a unit its subject may start: past numbering like "5.1" or "(3)"."""
    m = _rx(r"^\s*(?:\(?\d+(?:\.\d+)*[.)]?\s*|\[\d+\]\s*)?[*_\s]*").match(text)
    end = m.end() if m else 0
    # "Police: Ruddock is ...", "Compass (Aled): Kestrell, 15, ...": who is speaking, then the subject
    label = _rx(r"[A-Z][\w&/'’ -]{0,30}(?:\([^)]{0,30}\))?:\s+").match(text[end:])
    if label and not _rx(r"\d").search(label.group(0)):
        end += label.end()
    return end + 1
