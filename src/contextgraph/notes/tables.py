"""Pass 1: places, schools and groups, from the columns of tables, labelled fields and names with
their head words, then joined and shortened (:mod:`contextgraph.notes.places`).
"""

from __future__ import annotations

import re

from .lexicon import (
    _CAP,
    _NOT_A_PLACE,
    COMPASS,
    FUNCTION_WORDS,
    GROUP_HEADS,
    NOT_NAME,
    SCHOOL_HEADS,
    SHORTHAND,
    _has,
    norm,
    title_case,
)
from .patterns import compiled as _rx
from .places import (
    _ACRONYM_DEF,
    _ACRONYM_EXP,
    _ADDRESS,
    _BAD_SCHOOL,
    _BARE_STREET,
    _BUILDING,
    _BUILDING_WORDS,
    _DIGIT,
    _EMPTY_CELL,
    _GROUP_LINE,
    _GROUP_NAMED,
    _GROUP_WORDS,
    _LOWER_WORD,
    _NAMED_PLACE,
    _NOT_PLACE_FIRST,
    _PLACE_TOKENS,
    _SCHOOL,
    _SCHOOL_WORDS,
    _clean_place,
    _consolidate_places,
    _is_matrix,
    _leading_cap_run,
    _place,
    _place_short_forms,
    _school_short_forms,
    _schools_by_year_group,
    _schools_not_places,
    _single_word_places,
    acronym_of,
    column_role,
    split_places,
)
from .record import Extraction
from .units import Unit


def _first_pass(x: Extraction, units: list[Unit]) -> None:
    note = x.note
    lower = note.lowercase
    for u in units:
        t = u.text
        # tables: places and schools by the column they sit in, several to a cell
        if u.row:
            for col, cell in u.row.items():
                role = column_role(col)
                if not cell or _EMPTY_CELL.match(cell):
                    continue
                if role in ("places", "place_subject"):
                    for part in split_places(cell):
                        _place(x, title_case(part) if lower else part, "", how="table_cell")
                elif role == "school":
                    for k, part in enumerate(_rx(r"\s*(?:;|/|,)\s*").split(cell)):
                        if _rx(r"[A-Z]").search(part):
                            part = _rx(r"^(?:[a-z][\w.]*\s+)+").sub("", part)  # "perm excl KPA"
                        elif k:
                            continue  # "now neet, waiting for a college place"
                        name = _leading_cap_run(title_case(part) if lower else part)
                        if (
                            name
                            and name.lower() not in ("not known", "none", "neet", "home", "n/a")
                            and not _rx(r"(?:Yr|Year)\s*\d+", re.I).fullmatch(name)
                        ):
                            x.entity("school", _clean_place(name), "table_cell").defined = True
            if _is_matrix(u):
                for head in u.head[1:]:
                    if head and head[0].isupper():
                        _place(x, head, "", how="table_cell")
        if not u.row and ":" in t:
            _field_value(x, t)
        for m in _ADDRESS.finditer(t) if _DIGIT.search(t) else ():  # an address has a number
            _place(x, m.group(0), t[m.end() :], address=True)
        for m in _BUILDING.finditer(t) if _has(t, _BUILDING_WORDS) else ():
            if not _rx(r"\d[A-Za-z]?,?\s+$").search(t[: m.start()]) and not _rx(r"\s*,?\s*\d").match(t[m.end() :]):
                _place(x, m.group(0), t[m.end() :], address=True)
        tt = t if not lower else title_case(t)
        for m in _NAMED_PLACE.finditer(tt) if not _PLACE_TOKENS.isdisjoint(_LOWER_WORD.findall(tt.lower())) else ():
            if lower:  # "By Police At Saltings Lodge": in a note with no capitals, the words before the name
                words = m.group(0).split()
                cut = max((k + 1 for k, w in enumerate(words[:-1]) if w.lower() in FUNCTION_WORDS), default=0)
                words = words[cut:]
                while len(words) > 2 and words[0] in NOT_NAME:
                    words.pop(0)
                if len(words) >= 2 and words[0] not in _NOT_PLACE_FIRST:
                    _place(x, " ".join(words), tt[m.end() :])
                continue
            first = m.group(1).split()[0]
            if first in _NOT_PLACE_FIRST and first not in COMPASS:
                continue
            if _NOT_A_PLACE.search(m.group(0)) or re.match(rf"\s+{SCHOOL_HEADS}\b", tt[m.end() :]):
                continue  # "Children's Services"; "Larkfield Park" of "Larkfield Park Academy"
            _place(x, m.group(0), tt[m.end() :])
        for m in _BARE_STREET.finditer(t):
            street_name = m.group(1)
            if street_name.split()[0] in NOT_NAME or norm(street_name) in x.index:
                continue
            _place(x, street_name, t[m.end() :])
        for m in _SCHOOL.finditer(t) if _has(t, _SCHOOL_WORDS) else ():
            pre = m.group(1).strip()
            if not pre or _BAD_SCHOOL.match(m.group(0)):
                continue
            name = _clean_place(m.group(0))
            if name.split()[0] in NOT_NAME and not name.startswith(("St ", "St.")):
                continue
            if _rx(r"\b(?:Centre)$").search(name) and _rx(r"shopping|leisure|youth|community", re.I).search(name):
                continue
            e = x.entity("school", name, "school_name")
            if name.startswith("The "):
                x.alias(e, name[4:])
        for m in _GROUP_LINE.finditer(t) if "line" in t else ():
            word = m.group(1)
            if word in NOT_NAME or word.lower() in ("county", "deal", "drug", "phone", "the", "same", "this", "that"):
                continue
            if not re.search(rf"[\"“']{re.escape(word)}[\"”']|\b{re.escape(word)}\s+(?:deal\s+)?line", t):
                continue
            e = x.entity("group", f"{word.capitalize() if word.isupper() else word} line", "group_name")
            x.alias(e, word)
        for m in _GROUP_NAMED.finditer(t) if _has(t, _GROUP_WORDS) else ():
            words = m.group(0).split()
            if words[0] in ("the", "The"):
                words = words[1:]
            if words[0] in NOT_NAME:
                continue
            e = x.entity("group", " ".join(words), "group_name")
            rest = t[m.end() :]
            d = _ACRONYM_DEF.match(rest)
            if d:
                x.alias(e, d.group(1))
        for m in _ACRONYM_EXP.finditer(t) if "(" in t else ():
            acr, exp = m.group(1), m.group(2)
            initials = "".join(w[0] for w in exp.split()).upper()
            if (initials == acr or (len(acr) >= 2 and initials.startswith(acr[:2]))) and re.search(
                GROUP_HEADS + r"$", exp
            ):
                e = x.entity("group", exp, "group_name")
                x.alias(e, acr)
    _single_word_places(x)
    _schools_by_year_group(x)
    if bilingual(note.text):
        _translated_places(x)
    _places_by_street(x)
    _consolidate_places(x)
    _place_short_forms(x)
    _school_short_forms(x)
    _schools_not_places(x)
    # a group named by what its members call themselves: "they call themselves the Dockside Boys"
    for m in _CALL_THEMSELVES.finditer(note.text):
        if norm(m.group(1)) not in x.index:
            x.entity("group", m.group(1), "group_name")
    # acronyms of named groups and schools used elsewhere ("FDB" for "Ferndale Boys", "DSB" for "Dockside Boys",
    # "LPA" for "Larkfield Park Academy") are aliases; a school entity named by the acronym alone is the same
    acronyms = sorted(set(_rx(r"\b[A-Z]{2,5}\b").findall(note.text)) - (SHORTHAND - {"PRU"}))
    for e in list(x.entities):
        if e.kind in ("group", "school") and len(e.name.split()) >= 2:
            for acr in acronyms:
                if not acronym_of(acr, e.name):
                    continue
                other = x.index.get(norm(acr))
                if other is not None and other is not e and other.kind == e.kind and norm(other.name) == norm(acr):
                    x.entities.remove(other)
                    del x.index[norm(acr)]
                if norm(acr) not in x.index:
                    x.alias(e, acr)


# a form's field whose value is a place or a school: "Placement: Elm House (children's home), Dock Road"
_PLACE_FIELD = re.compile(
    r"^\W*(?:[A-Z]?\d{1,2}[a-z]?\s+)?(?P<label>placement|address|home address|lives at|found where|school|education)"
    r"(?:\s/\s[\w ]{1,15})?\s*:\s*(?P<value>.+)",
    re.I,
)
_LABEL_PAIR = re.compile(r"^\W*[^\W\d][^:/\d|\n]{0,30}\s/\s*[A-Z][\w' ]{1,30}:", re.M)


def bilingual(text: str) -> bool:
    """Whether a note labels its fields in two languages ("Dyddiad / Date:", "Ysgol / School:"), three times or more.

    >>> bilingual("Datum / Date: 1/2/2025\\nKind / Child: Al\\nSchule / School: Elm Academy\\n")
    True
    """
    return text.count(" / ") >= 3 and len(_LABEL_PAIR.findall(text)) >= 3


def _field_value(x: Extraction, t: str) -> None:
    """The value of a place or school field, up to its first comma or bracket; a label may come in two
    languages, the other first ("Lleoliad / Placement: ...")."""
    t = _rx(r"^\W*[^\W\d][^:/\d|]{0,30}\s/\s*").sub("", t) if " / " in t[:40] else t
    m = _PLACE_FIELD.match(t)
    if m is None:
        return
    value = title_case(m.group("value")) if x.note.lowercase else m.group("value")
    name = _leading_cap_run(value.strip(" \"'“”"))
    if not name or _rx(r"^\d").match(name) or name.split()[0] in NOT_NAME or _EMPTY_CELL.match(name):
        return
    if m.group("label").lower() in ("school", "education"):
        if norm(name) not in x.index:
            x.entity("school", _clean_place(name), how="table_cell").defined = True
    elif norm(name) not in x.index:
        _place(x, name, "", how="table_cell")


# head words that name the same kind of place, the everyday word beside the formal one
_SAME_HEAD = (
    frozenset({"offy", "offie", "off-licence", "off licence"}),
    frozenset({"chippy", "chip shop", "fish bar"}),
)


def _places_by_street(x: Extraction) -> None:
    """ "the Mill Hill offy" when the note names "Lucky Wines off-licence, Mill Hill": the one place of that kind
    the note puts on that street is the place the street's name and the head word stand for."""
    places = [e for e in x.entities if e.kind == "location"]
    for e in places:
        low = _rx(r"^the\s+").sub("", e.name.lower())
        group = next((g for g in _SAME_HEAD for h in g if low.endswith(" " + h)), None)
        if group is None:
            continue
        street = low.rsplit(" ", 2 if low.endswith(" off licence") else 1)[0]
        owners = [
            f
            for f in places
            if f is not e
            and "," in f.name
            and f.name.lower().split(",", 1)[1].strip() == street
            and any(f.name.lower().split(",", 1)[0].endswith(h) for h in group)
        ]
        if len(owners) != 1 or e not in x.entities:
            continue
        x.entities.remove(e)
        for form in (e.name, *e.forms):
            x.index[norm(form)] = owners[0]
            owners[0].add_form(form)


def _translated_places(x: Extraction) -> None:
    """In a note written in two languages, a place's name in the other language beside it ("Gorsaf Fysiau
    Aberhelyg / Aberhelyg bus station") is one more name of the place: the two share their proper name."""
    text = x.note.text
    run = r"((?:[A-Z][\w'’-]*\s){0,3}[A-Z][\w'’-]*)"
    for e in [e for e in x.entities if e.kind == "location"]:
        for form in (e.name, *e.forms):
            if len(form.split()) < 2:
                continue
            f = re.escape(form)
            for m in re.finditer(rf"{run}\s/\s{f}\b|\b{f}\s/\s{run}", text):
                other = m.group(1) or m.group(2)
                shared = {w.lower() for w in other.split()} & {w.lower() for w in form.split()}
                if shared and norm(other) not in x.index and len(other.split()) >= 2:
                    x.alias(e, other)


def _translation(t: str, start: int, end: int) -> bool:
    """Whether a span is the other language's half of "A / B" (or its second half): a name is written the same
    in both halves, so a span whose words the other half lacks is a phrase translated, not a name."""
    after = _rx(r"(?:\s[A-Z][\w'’-]*)*[ ,]*/\s*([^.;:()|/]*)").match(t[end:])
    if after is not None:
        other = after.group(1).lower()
        return any(w.lower() not in other for w in t[start:end].split())
    before = _rx(r"([^.;:()|/]*)/[ ,]*(?:[A-Z][\w'’-]*\s)*$").search(t[:start])
    if before is not None:
        other = before.group(1).lower()
        return any(w.lower() not in other for w in t[start:end].split())
    return False


_CALL_THEMSELVES = re.compile(
    rf"\b(?:call(?:s|ed)? themselves|known as|go(?:es)? by the name)\s+(?:the\s+)?((?:{_CAP}\s+){{0,2}}{GROUP_HEADS})\b"
)
# a name that is a group by what is said of it: "Q-Side youngers", "are all DSB", "head of DSB", "DSB v Q-Side"
_GROUP_TOKEN = re.compile(r"(?<![\w-])([A-Z]{2,4}\d?|[A-Z]\d|[A-Z][a-z]*-[A-Z][a-z]+)(?![\w-])")
_GROUP_AFTER = re.compile(
    r"^\s+(?:youngers|olders|boys|girls|drill|members?|gang|crew|retaliation|rivals?|beef|conflict|territory|"
    r"green light|(?:line\s+)?phone|v\b|vs\b|versus\b)",
)
_GROUP_BEFORE = re.compile(
    r"(?:\bhead of|\bmembers? of|\bpart of|\brivals?|\baffiliated (?:to|with)|\bv|\bvs|\bversus|\bare all|"
    r"\bare both|\bboth|\bthe oldest|\btreat|\bon|\btension with|\bbeef with|\bconflict with|\bfeud with|"
    r"\bthreats from|\battacked by|\bwar with)\s+(?:the\s+)?$",
    re.I,
)
# rivalry said of a name is enough once: "tension with K-Side after drill videos"
_RIVALRY_BEFORE = re.compile(
    r"(?:\brivals?|\btension with|\bbeef with|\bconflict with|\bfeud with|\bthreats from|\bwar with)\s+(?:the\s+)?$",
    re.I,
)


def _unexpanded_groups(x: Extraction) -> None:
    """Groups the note never spells out ("DSB", "Q-Side", "R2"), known by what is said of them, at least twice."""
    text = x.note.text
    counts: dict[str, int] = {}
    evidence: set[str] = set()
    strong: set[str] = set()
    for m in _GROUP_TOKEN.finditer(text):
        tok = m.group(1)
        if tok in SHORTHAND or tok.capitalize() in NOT_NAME or norm(tok) in x.index or norm(tok) in x.professionals:
            continue
        counts[tok] = counts.get(tok, 0) + 1
        before = text[max(0, m.start() - 20) : m.start()]
        if _GROUP_AFTER.match(text[m.end() : m.end() + 20]) or _GROUP_BEFORE.search(before):
            evidence.add(tok)
        if _RIVALRY_BEFORE.search(before):
            strong.add(tok)
    people_initials = {
        "".join(w[0] for w in e.name.split()).upper() for e in x.entities if e.kind in ("child", "person_of_concern")
    }
    for tok in sorted(evidence):
        if (counts[tok] >= 2 or tok in strong) and tok not in people_initials:
            x.entity("group", tok, "group_token")
