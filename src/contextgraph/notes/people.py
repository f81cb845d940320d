"""Passes 2 and 3: people, named in full, in capitals, in tables or by nickname, with professionals
set aside; then first names, surnames, initials and nicknames used later for the same person.

One module of a little over 500 lines: the two passes share their patterns and helpers (a name's
tokens, where a sentence begins, whether a name sits inside a place's), and split apart each would
import most of the other.
"""

from __future__ import annotations

import re
from datetime import date

from .dates import find_dates
from .lexicon import (
    _ACTIONS_HEADING,
    _ADULT_HEADING,
    _AGE,
    _AKA,
    _CHILD_HEADING,
    _DOB,
    _FULL_NAME,
    _NAME_TOKEN,
    _PAREN_ALIAS,
    _PAREN_INITIALS,
    _QUOTED,
    _STREET_END,
    FIRST_NAME_WORDS,
    FUNCTION_WORDS,
    GROUP_HEADS,
    IMPERATIVES,
    NOT_NAME,
    PLACE_HEADS,
    PRO_AFTER,
    PRO_AGENCY_BEFORE,
    PRO_ROLE_AFTER,
    PRO_SPOKE_FOR,
    PRO_TITLES,
    SCHOOL_HEADS,
    SHORTHAND,
    _is_name_token,
    norm,
    title_case,
)
from .patterns import compiled as _rx
from .places import _contains, column_role, place_key, split_people
from .record import Ent, Extraction
from .tables import _translation, bilingual
from .units import Unit

_SURNAME_FIRST = re.compile(r"\b([A-Z]{3,}(?:-[A-Z]{2,})?),\s+([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b")
_TITLED = re.compile(rf"\b{PRO_TITLES}\.?\s+(?:\d{{2,5}}\s+)?(?:[A-Z]\.\s*)?({_NAME_TOKEN}(?:\s+{_NAME_TOKEN})?)")


def _professionals(x: Extraction) -> None:
    lines = x.note.text.split("\n")
    texts = [lines[i] for i in x.note.professional_lines]
    texts += [u.text for u in x.note.units]
    for t in texts:
        for m in _TITLED.finditer(t):
            x.professionals.add(norm(m.group(1)))
            for w in m.group(1).split():
                if len(m.group(1).split()) == 1:
                    x.professionals.add(norm(w))
    for i in x.note.professional_lines:
        for m in _FULL_NAME.finditer(lines[i]):
            if _rx(r"\b(?:re|regarding|about|concerning|for|in respect of)\s+$").search(lines[i][: m.start()]):
                continue  # "(YJS – for information re Jory Corrie)" names a subject, not a professional
            x.professionals.add(norm(m.group(0)))
            x.professionals.add(norm(m.group(1)))  # first names of professionals, used alone later
    sections = x.note.sections
    for u in x.note.units:
        actions = u.section is not None and bool(_ACTIONS_HEADING.search(sections[u.section].title))
        for m in x.full_names(u.text):
            after = u.text[m.end() :]
            before = u.text[: m.start()]
            owner = actions and _rx(r"\($").search(before) and _rx(r"\)\W*$").match(after)  # "... (Abby Townend)."
            if (
                PRO_AFTER.match(after)
                or PRO_ROLE_AFTER.match(after)
                or (
                    PRO_AGENCY_BEFORE.match(before)
                    and not after.strip()
                    and not _rx(r"\b(?:SUBJECT|CHILD|NAME|PERSON|YP|RE|MEETING|INTERVIEW|NOMINAL)").search(before)
                )
                or (PRO_SPOKE_FOR.match(after) and before.endswith("("))
                or owner
            ):
                x.professionals.add(norm(m.group(0)))
                x.professionals.add(norm(m.group(1)))


def _person_name(raw: str) -> str:
    parts = raw.split()
    return " ".join(title_case(p) if p.isupper() or p.islower() else p for p in parts)


def _age_after(text: str, default_day: date | None) -> tuple[int | None, date | None]:
    window = text[:60]
    dob = None
    m = _DOB.search(window)
    if m:
        ds = find_dates(m.group(1), None)
        if ds:
            dob = ds[0].day
    a = _AGE.match(window.lstrip()) or _rx(r"^\s*\((?:DOB[^)]*?,\s*)?(?:aged?\s*)?(\d{1,2})\)").match(window)
    if not a:
        # not the next person's age: "Rob Inchley had driven Amy Lark (15)"
        near = _rx(r"\s(?:and|with|or|&)\s|[.;]|\s[A-Z][a-z]+\s+[A-Z][a-z]+").split(window[:30], maxsplit=1)[0]
        a = _rx(r"(?:\(|,\s*|\bage[d:]?\s*)(\d{1,2})(?:\)|,|\s|$)").search(near)
    age = None
    if a:
        g = next((v for v in a.groups() if v), None)
        if g and 5 <= int(g) <= 80:
            age = int(g)
    return age, dob


def _second_pass(x: Extraction, units: list[Unit]) -> None:
    place_forms = _place_forms(x)
    two_languages = bilingual(x.note.text)
    place_keys = [place_key(f) for f in place_forms]
    for u in units:
        t = u.text
        spans: list[tuple[int, int, str, str]] = []  # start, end, name, raw
        covered = bytearray(len(t) + 1)  # the characters a span holds
        name_col = None
        if u.row:
            for col, cell in u.row.items():
                if _rx(r"\b(name|young person|child|yp|subject|nominal)\b").search(col) and cell:
                    name_col = cell
            initials = u.row.get("initials", "").strip()
            known = norm(initials) in x.index or initials in SHORTHAND
            if name_col is None and _rx(r"[A-Z]{2,3}").fullmatch(initials) and not known:
                pupil = x.entity("child", initials, "table_cell")  # a pupil known only by initials in a table
                pupil.defined = True
                _kind_context(x, pupil, u)
        if name_col:
            nm = _rx(r"\(.*?\)|–.*|surname not known|not known").sub("", name_col).strip(" \"“”'")
            quoted = _rx(r"[\"“']([^\"”']+)[\"”']").search(name_col)
            if quoted:
                nm = quoted.group(1)
            if nm and not _rx(r"^(unknown|unnamed|not named|n/a)", re.I).match(nm):
                nm = _person_name(nm)
                e = _add_person(x, nm, name_col, u)
                if e is not None:
                    e.defined = True
                    # the row's age column
                    for col, cell in u.row.items() if u.row else ():
                        if _rx(r"\b(?:dob|d\.o\.b|date of birth)\b").search(col) and not e.dob:
                            ds = find_dates(cell, None)
                            e.dob = ds[0].day if ds else None
                        if _rx(r"\bage\b").search(col):
                            m = _rx(r"\d{1,2}").search(cell)
                            if m:
                                e.age = int(m.group(0))
                        if _rx(r"initials").search(col) and _rx(r"[A-Z]{2,3}").fullmatch(cell.strip()):
                            x.alias(e, cell.strip())
        for m in _SURNAME_FIRST.finditer(t):
            if _is_name_token(m.group(1)) and _is_name_token(m.group(2)):
                spans.append((m.start(), m.end(), f"{m.group(2)} {title_case(m.group(1))}", m.group(0)))
                covered[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
        for m in x.full_names(t):
            toks = m.group(0).split()
            # trim tokens that are not names at either end
            while toks and (not _is_name_token(toks[0]) or toks[0] in IMPERATIVES):
                if (
                    toks[0].capitalize() in FIRST_NAME_WORDS
                    and len(toks) >= 2
                    and _is_name_token(toks[1])
                    and (
                        toks[1].isupper()
                        or _age_after(t[m.end() :], None) != (None, None)
                        or toks[1].lower() not in x.note.lowered_words
                    )
                ):
                    break  # "Hobday KELLEHER", "April Tansley (15)": a first name that is also a word
                toks.pop(0)
            if (
                toks
                and len(toks) >= 2
                and not x.note.lowercase
                and not toks[-1].isupper()
                and toks[0].lower() in x.note.lowered_words
                and toks[0].capitalize() not in FIRST_NAME_WORDS
                and _age_after(t[m.end() :], None) == (None, None)
            ):
                toks.pop(0)  # "Gives Dimble", "Black Mercedes": a word the note also writes in lower case
            if toks and len(toks) >= 2 and _sentence_word(x, t, t.find(toks[0], m.start()), toks[0]):
                toks.pop(0)  # "Grooming Dimble and younger girls": a verb that starts the sentence
            while toks and not _is_name_token(toks[-1]):
                toks.pop()
            if len(toks) < 2:
                continue
            if all(w.isupper() for w in toks) and u.kind not in ("row", "heading", "header"):
                continue  # WHOLE NAME IN CAPITALS: only in headings, titles and tables
            if all(w.isupper() for w in toks) and (
                any(not _is_name_token(w) for w in m.group(0).split())
                or any(w.lower() in x.note.lowered_words for w in toks)
            ):
                continue  # "WESTSHIRE HOME VISIT FORM", "SBAR RECORD": words of a title, not a name
            if any(w.isupper() and len(w) <= 3 for w in toks):
                continue
            at = t.find(toks[0], m.start())
            # the words just before it (a look at the whole unit before each name was a look too many)
            placey = _rx(r"\b(?:at|on|in|near|outside|from|to|along|off|behind|around|the)\s+$").search(
                t[max(0, at - 60) : at]
            )
            if (_STREET_END.search(toks[-1]) and placey) or re.fullmatch(
                PLACE_HEADS + "|" + SCHOOL_HEADS + "|" + GROUP_HEADS, toks[-1]
            ):
                continue
            start = t.find(toks[0], m.start())
            raw = " ".join(toks)
            end = start + len(raw)
            if covered[start]:
                continue
            covered[start:end] = b"\x01" * (end - start)
            spans.append((start, end, _person_name(raw), raw))
        for start, end, name, raw in spans:
            if two_languages and _translation(t, start, end):
                continue
            before = t[max(0, start - 20) : start]
            if re.search(rf"\b{PRO_TITLES}\.?\s*(?:\d{{2,5}}\s+)?$", before):
                continue
            if norm(name) in x.professionals:
                continue
            if x.index.get(norm(name)) is not None and x.index[norm(name)].kind not in ("child", "person_of_concern"):
                continue
            if _inside_place(place_forms, t, start, end) or _part_of_place_name(place_keys, name):
                continue
            _add_person(x, name, t[end:], u, raw=raw)
    # "Add Alder": a capitalised word before the first name of someone named in full is not a name
    firsts = {e.name.split()[0] for e in x.entities if e.kind in ("child", "person_of_concern") and " " in e.name}
    for e in list(x.entities):
        parts = e.name.split()
        if (
            e.kind in ("child", "person_of_concern")
            and len(parts) == 2
            and parts[1] in firsts
            and not e.defined
            and not re.search(rf"\b{re.escape(parts[0])}\b(?!\s+{re.escape(parts[1])})", x.note.text)
        ):
            x.entities.remove(e)
            x.index.pop(norm(e.name), None)
    if x.note.lowercase:
        _lowercase_people(x, units)
    # surnames, first names and nicknames of people named in full stand for them
    for e in list(x.entities):
        if e.kind not in ("child", "person_of_concern") or e.nickname_only:
            continue
        parts = e.name.split()
        if len(parts) >= 2:
            for p in (parts[0], parts[-1]):
                if _is_name_token(p) and norm(p) not in x.professionals:
                    x.alias(e, p)
            initials = "".join(p[0] for p in parts).upper()
            if initials not in SHORTHAND and x.note.has_word(initials):
                x.alias(e, initials)
    # adults known only by a nickname, without quotes: "a male known only as SMUDGE", "an older lad called Yarrow"
    for u in units:
        if not _NICKNAME_WORDS.search(u.text):
            continue
        for m in _KNOWN_ONLY_AS.finditer(u.text):
            w = m.group(1)
            w = title_case(w) if w.isupper() and len(w) > 3 else w
            if norm(w) in x.index or not _is_name_token(w) or norm(w) in x.professionals:
                continue
            e = x.entity("person_of_concern", w, "nickname")
            e.nickname_only = True
            e.defined = True
            _kind_context(x, e, u)
    # nicknames standing alone in quotes
    for u in units:
        for m in _QUOTED.finditer(u.text):
            w = m.group(1)
            if not all(_is_name_token(p) for p in w.split()) or norm(w) in x.index:
                continue
            after = u.text[m.end() : m.end() + 20]
            before = u.text[max(0, m.start() - 40) : m.start()]
            if _rx(r"\s*(?:deal\s+)?line\b", re.I).match(after):
                continue
            if not _rx(
                r"\b(called|named|known as|knows as|aka|nickname|calls? him|calls? her|male|man|lad|adult|guy|"
                r"older|boy|girl|woman|female|someone|person|friend|by|from|with|and|to|of)\s*$",
                re.I,
            ).search(before) and not _rx(
                r"\s*(?:\(|,|[-–]\s|is|was|has|had|who|picked|said|told|gave|drove|sent|took)"
            ).match(after):
                continue
            # "Nutley is "Kipz"", or a nickname that starts like one person's name ("Ferg", Fergusson)
            before_word = re.search(rf"({_NAME_TOKEN})\s+(?:is|was|=)\s*$", before)
            owner = x.index.get(norm(before_word.group(1))) if before_word else None
            if owner is None or owner.kind not in ("child", "person_of_concern"):
                owner = _prefix_owner(x, w)
            if owner is not None:
                x.alias(owner, w)
                continue
            e = x.entity("person_of_concern", w, "nickname")
            e.nickname_only = True
            _kind_context(x, e, u)
    # pupils named only by initials, with an age or school year: "KH (Year 9)", "LM (15)"
    for u in units:
        for m in _rx(r"\b([A-Z]{2,3})\s*\((?:Year|Yr|aged?\s*)?\s*\d{1,2}\b").finditer(u.text):
            ini = m.group(1)
            if ini in SHORTHAND or norm(ini) in x.index:
                continue
            e = x.entity("child", ini, "initials")
            e.defined = True
            _kind_context(x, e, u)
    _people_in_cells(x, units)
    _identities(x, units)


_IDENTITY_HINT = re.compile(r"(?: is| be| as|=)\s+[A-Z][\w'’-]+\s+[A-Z]")
_IDENTITY = re.compile(
    r"[\"“']?\b([A-Z][A-Za-z0-9'’-]{1,20})[\"”']?,?\s+(?:is|=|was identified as|is identified as|"
    r"(?:is |was )?(?:believed|thought|understood|known) to be|(?:is |was )?known (?:to (?:the )?\w+ )?as|"
    r"who (?:I|we|police) (?:understand|believe) to be)\s+"
    rf"({_NAME_TOKEN}(?:\s+{_NAME_TOKEN}){{1,2}})\b"
)


def _identities(x: Extraction, units: list[Unit]) -> None:
    """A nickname said to be a named person: "Police believe Lusty is Quillan Vintner", ""JD", who I understand to
    be Merrow Thistle". The nickname becomes an alias of the person, and a nickname-only entity joins them."""
    for u in units:
        if not _IDENTITY_HINT.search(u.text):
            continue
        for m in _IDENTITY.finditer(u.text):
            nick, full = m.group(1), _person_name(m.group(2))
            person = x.index.get(norm(full))
            if person is None or person.kind not in ("child", "person_of_concern") or " " not in person.name:
                continue
            if nick in NOT_NAME or nick.upper() in SHORTHAND or norm(nick) in (norm(p) for p in person.name.split()):
                continue
            other = x.index.get(norm(nick))
            if other is not None and other is not person:
                if not other.nickname_only:
                    continue
                x.entities.remove(other)
                for f in (other.name, *other.forms):
                    x.index[norm(f)] = person
                    person.add_form(f)
                person.adult_votes += other.adult_votes
                person.child_votes += other.child_votes
            x.alias(person, nick)


# in a note typed in lower case, a name is known by what follows it: a date of birth, an age or a nickname in
# brackets ("precious okonjo (dob 11/10/2009)", "kyle strachan (chino)", "jade millward (chinos gf)")
_LOWER_NAMED = re.compile(
    r"(?<![\w'’-])([a-z][a-z'’-]{1,20}) ([a-z][a-z'’-]{1,20})\s*\((?:dob\b|d\.o\.b|aged?\s*\d|\d{1,2}\)|"
    r"[a-z][a-z'’]{1,20}(?: [a-z]{1,10})?\))"
)
# a first name and an initial: "went missing w/ maisie k."
_LOWER_INITIAL = re.compile(r"(?<![\w'’-])([a-z]{3,20}) ([b-hj-z])(?=[.,;:)]|\s*$)")


def _lowercase_people(x: Extraction, units: list[Unit]) -> None:
    """People of a note with no capitals, found by the note's own structure: a pair of words before a date of
    birth, an age or a nickname in brackets; a first name with an initial whose first name the note uses again
    on its own."""
    text = x.note.text.lower()
    for u in units:
        for m in _LOWER_NAMED.finditer(u.text):
            words = (m.group(1), m.group(2))
            if any(w in FUNCTION_WORDS or w.capitalize() in NOT_NAME or w.upper() in SHORTHAND for w in words):
                continue
            name = title_case(" ".join(words))
            if norm(name) not in x.index and norm(name) not in x.professionals:
                _add_person(x, name, u.text[m.end(2) :], u)
        for m in _LOWER_INITIAL.finditer(u.text):
            first = m.group(1)
            if first in FUNCTION_WORDS or first.capitalize() in NOT_NAME or norm(first) in x.professionals:
                continue
            if len(re.findall(rf"(?<![\w'’-]){first}(?![\w'’-])", text)) < 3:
                continue  # a first name used again on its own, twice or more
            name = f"{first.capitalize()} {m.group(2).upper()}"
            if norm(name) not in x.index:
                e = _add_person(x, name, u.text[m.end() :], u)
                if e is not None:
                    x.alias(e, first.capitalize())


def _people_in_cells(x: Extraction, units: list[Unit]) -> None:
    """Names in "Seen with", "Associates", "Linked adults" cells the note gives no fuller form of:
    people known by one name or a nickname ("Lusty", "Elsworth"), adults when the column says so."""
    for u in units:
        for col, cell in (u.row or {}).items():
            role = column_role(col)
            place_table = column_role(next(iter(u.row or {"": ""}))) == "place_subject"
            if not cell or not (role in ("associates", "family") or (place_table and col == "who")):
                continue
            for part in split_people(cell):
                name = title_case(part) if x.note.lowercase else part
                toks = name.split()
                if norm(name) in x.index or norm(name) in x.professionals or not 1 <= len(toks) <= 3:
                    continue
                if not all(t[:1].isupper() and _is_name_token(t) for t in toks) or toks[0] in IMPERATIVES:
                    continue
                if len(toks) == 1 and toks[0].isupper() and len(toks[0]) <= 3:
                    continue  # initials of someone the note never names
                e = x.entity("child", _person_name(name), "table_cell")
                e.defined = True
                e.nickname_only = len(toks) == 1
                _kind_context(x, e, u)


def _sentence_word(x: Extraction, t: str, start: int, tok: str) -> bool:
    """Whether ``tok``, capitalised only because it starts a sentence or a cell, is an ordinary word: it ends
    like a verb form or the note also writes it in lower case."""
    head = t[:start].rstrip()
    if (head and head[-1] not in ".!?:|" and any(c.isalnum() for c in head)) or not tok[1:].islower():
        return False
    low = tok.lower()
    if low.endswith("ing") and len(low) > 5:
        return True
    lowered = x.note.lowered_words
    return low in lowered


_NICKNAME_WORDS = re.compile(r" as |called|calling|goes by|going by|nicknamed")
_KNOWN_ONLY_AS = re.compile(
    r"\b(?:male|man|female|woman|lad|adult|guy|youth|someone|person|boy|girl|teenager)\s+(?:\(\w+\)\s+)?"
    r"(?:(?:who is |who's )?(?:known|only known|known only) (?:\w+ ){0,2}as|called|calling himself|calling herself|"
    r"who goes by|going by|nicknamed)\s+[\"“']?([A-Z][A-Za-z0-9'’-]{1,20})\b"
)


def _prefix_owner(x: Extraction, nickname: str) -> Ent | None:
    """The one person whose first name or surname starts like ``nickname`` (at least three letters)."""
    if len(nickname) < 3:
        return None
    stem = nickname[:3].lower()
    owners = {
        id(e): e
        for e in x.entities
        if e.kind in ("child", "person_of_concern")
        and not e.nickname_only
        and " " in e.name
        and any(p.lower().startswith(stem) for p in e.name.split())
    }
    return next(iter(owners.values())) if len(owners) == 1 else None


def _place_forms(x: Extraction) -> list[str]:
    """Every form of every place, school and group, lower-cased (all are known before people are read)."""
    return [f.lower() for e in x.entities if e.kind not in ("child", "person_of_concern") for f in (e.name, *e.forms)]


def _part_of_place_name(place_keys: list[list[str]], name: str) -> bool:
    """ "Mill Lane" when "Mill Lane Crew" or "Mill Lane shops" is a known place or group."""
    key = place_key(name)
    return any(_contains(k, key) for k in place_keys)


def _inside_place(forms: list[str], t: str, start: int, end: int) -> bool:
    """Whether the span overlaps a mention of a known place, school or group."""
    low = t.lower()
    for f in forms:
        i = low.find(f)
        while i >= 0:
            if i < end and start < i + len(f):
                return True
            i = low.find(f, i + 1)
    return False


def _add_person(x: Extraction, name: str, after: str, u: Unit, raw: str | None = None) -> Ent | None:
    if norm(name) in x.professionals:
        return None
    existing = x.index.get(norm(name))
    if existing is not None and existing.kind not in ("child", "person_of_concern"):
        return None
    e = existing or x.entity("child", name, "table_cell" if u.row is not None else "full_name")
    if u.kind == "row":
        e.defined = True
    age, dob = _age_after(after, x.day)
    if dob and not e.dob:
        e.dob = dob
    if age is not None and e.age is None:
        e.age = age
    ini = _PAREN_INITIALS.match(after)
    aka = _AKA.match(after) or (None if ini else _PAREN_ALIAS.match(after))
    if aka:
        w = aka.group(1)
        if (_is_name_token(w.split()[0]) and not w.islower()) or (w.islower() and x.note.lowercase):
            x.alias(e, title_case(w) if w.isupper() or w.islower() else w)
    else:
        # "Jaggard Osgood, 21, known on the street as Flintor": within the clause, before anyone else is named
        clause = _rx(r"[.;]\s|\band\b|\s[A-Z][a-z]+\s+[A-Z][a-z]+").split(after[:80], maxsplit=1)[0]
        m = _rx(
            r"\b(?:aka|a\.k\.a\.?|known (?:\w+ ){0,3}as|goes by|calls? (?:him|her)self|nicknamed|"
            r"who (?:the \w+|\w+) calls?)\s+"
            r"[\"“']?([A-Za-z0-9][A-Za-z0-9'’-]{1,20})"
        ).search(clause)
        if m and _rx(r"\b(?:by|with|from|to|met)\b|\b(?:a|an)\s+\w+", re.I).search(clause[: m.start()]):
            m = None  # "Kember was met by a male known only as Elsworth": someone else's nickname
        if m and _is_name_token(m.group(1).capitalize()):
            x.alias(e, title_case(m.group(1)) if m.group(1).isupper() else m.group(1))
    if ini and ini.group(1) not in SHORTHAND and ini.group(1)[0] == e.name[:1].upper():
        x.alias(e, ini.group(1))  # "Kember Dunnock (TH)", not the group of "Birch BAPTISTE (DSB)"
    _kind_context(x, e, u)
    return e


def _has_word(text: str, word: str) -> bool:
    """Whether ``word`` occurs in ``text`` with no letter or digit either side."""
    i = text.find(word)
    while i >= 0:
        j = i + len(word)
        if (i == 0 or not text[i - 1].isalnum()) and (j == len(text) or not text[j].isalnum()):
            return True
        i = text.find(word, i + 1)
    return False


def _kind_context(x: Extraction, e: Ent, u: Unit) -> None:
    sec = x.note.sections[u.section] if u.section is not None else None
    while sec is not None:
        if _ADULT_HEADING.search(sec.title):
            e.adult_votes += 2
            break
        if _CHILD_HEADING.search(sec.title):
            e.child_votes += 2
            break
        sec = x.note.sections[sec.parent] if sec.parent is not None else None
    if u.row:
        # the column the person is named in: "Linked adults", "Adults seen", "Children seen"
        forms = [f.lower() for f in (e.name, *e.forms)]
        for col, cell in u.row.items():
            low = cell.lower()
            if any(_has_word(low, f) for f in forms):
                if _rx(r"\b(adults?|poc|concern|nominal|suspects?|perpetrators?)\b").search(col):
                    e.adult_votes += 3
                elif _rx(r"\b(child|children|young (?:person|people)|yp|pupils?)\b").search(col):
                    e.child_votes += 1
                break
