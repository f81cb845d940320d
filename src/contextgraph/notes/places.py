"""Places, schools and groups by name: reading a name with its head word, cleaning it, and joining
the forms of one place (a short form, a translation, an abbreviation).

One module of a little over 500 lines: the patterns of place, school and group names and the
helpers that clean and join them are read together by the first pass and the people's pass.
"""

from __future__ import annotations

import functools
import re

from .lexicon import (
    _CAP,
    _LEGAL_COURT,
    _POSTCODE,
    _STREET_END,
    GROUP_HEADS,
    IMPERATIVES,
    NOT_NAME,
    PLACE_HEADS,
    SCHOOL_HEADS,
    SHORTHAND,
    STREET,
    fold_accents,
    norm,
    title_case,
)
from .patterns import compiled as _rx
from .record import EntityHow, Extraction
from .units import Unit, strip_markup

# --- pass 1: places, schools, groups ----------------------------------------

_ADDRESS = re.compile(
    rf"(?:(?:Flat|Unit|Room|Apartment)\s+\d+[A-Za-z]?,?\s+(?:{_CAP}\s+(?:House|Court|Lodge|Tower|Point),?\s+)?)?"
    rf"\b\d{{1,4}}[A-Za-z]?,?\s+(?:{_CAP}\s+){{1,3}}{STREET}\b\.?"
    rf"(?:,\s*(?:{_CAP}\s+)*(?:Estate|ESTATE))?",
)
_BUILDING = re.compile(
    rf"(?:(?:Flat|Unit|Room)\s+\d+[A-Za-z]?,?\s+)?\b(?:{_CAP}\s+)(?:House|Court|Lodge|Tower|Point)\b"
)
_NAMED_PLACE = re.compile(
    rf"(?:\b[Tt]he\s+)?\b((?:{_CAP}['’]s\s+)?(?:{_CAP}\s+){{0,3}}(?:{_CAP}))\s+{PLACE_HEADS}\b"
    rf"(?:\s*\((?:the\s+)?[\"“']?{_CAP}(?:\s+{_CAP})?[\"”']?\))?",
)
_DIGIT = re.compile(r"\d")
_BARE_STREET = re.compile(
    rf"\b(?:at|on|in|near|outside|around|behind|off|from|along|to)\s+(?:the\s+)?((?:{_CAP}['’]?s?\s+){{1,2}}{STREET})\b(?!\s*(?:garages|shops|flats))"
)
_ON_STREET = re.compile(rf"^\s*(?:,|\bon\b|\bin\b|\boff\b)\s*((?:{_CAP}\s+){{1,3}}{STREET})\b")
_SCHOOL = re.compile(
    rf"(?:\b[Tt]he\s+)?\b((?:St\.?\s+)?(?:{_CAP}['’]s\s+)?(?:{_CAP}\s+){{0,3}}){SCHOOL_HEADS}\b(?:\s*\(PRU\))?"
)
_GROUP_LINE = re.compile(
    r"(?:\b(?:the|a)\s+)?[\"“']?\b([A-Z][A-Za-z]{1,15}|[A-Z]{2,})[\"”']?\s+(?:deal\s+|drug\s+|county\s+)?line\b"
)
_GROUP_NAMED = re.compile(rf"(?:\b[Tt]he\s+)?\b((?:{_CAP}\s+){{1,2}}){GROUP_HEADS}\b")
_ACRONYM_DEF = re.compile(r"^\s*\(([A-Z]{2,5})\)")
_ACRONYM_EXP = re.compile(r"\b([A-Z]{2,5})\s*\(([A-Z][a-z]+(?:\s+[A-Z][a-z]+){1,3})\b")

# words every match of a pattern above contains: a unit with none of them is not scanned by it
_BUILDING_WORDS = ("House", "Court", "Lodge", "Tower", "Point")
_PLACE_WORDS = tuple(
    [
        "rec",
        "park",
        "field",
        "common",
        "wood",
        "meadow",
        "station",
        "interchange",
        "centre",
        "shops",
        "garages",
        "underpass",
        "cut-through",
        "alleyway",
        "bridge",
        "canal",
        "basin",
        "hotel",
        "inn",
        "lodge",
        "motel",
        "hostel",
        "house",
        "flats",
        "tower",
        "market",
        "arcade",
        "takeaway",
        "pizza",
        "chicken",
        "kebab",
        "fry",
        "café",
        "cafe",
        "barber",
        "lounge",
        "bar",
        "club",
        "gym",
        "store",
        "library",
        "precinct",
        "quickstop",
        "wharf",
        "wash",
        "b&b",
        "guest",
        "licen",
        "offy",
        "allotment",
        "storey",
        "services",
        "grill",
        "diner",
        "steps",
        "caravan",
        "rooms",
        "airbnb",
        "yard",
        "lido",
        "pier",
        "promenade",
        "arches",
        "subway",
        "campsite",
        "laundrette",
        "shop",
        "chippy",
        "pub",
        "tavern",
        "arms",
        "snooker",
        "bowl",
        "cinema",
        "stand",
    ]
)
# the place words as whole words, for a quick test of whether a unit can name a place
_PLACE_TOKENS = frozenset(
    {w for w in _PLACE_WORDS if w != "licen"} | {w + "s" for w in _PLACE_WORDS} | {"licence", "license", "es"}
)
_LOWER_WORD = re.compile(r"[a-zé&]+")
_SCHOOL_WORDS = ("Academy", "School", "College", "Centre", "PRU", "Grammar", "Primary")
_GROUP_WORDS = (
    "Boys",
    "Crew",
    "Gang",
    "Youngers",
    "Olders",
    "Firm",
    "Mandem",
    "Squad",
    "Massive",
    "Mob",
    "Brothers",
    "Bloods",
)


_NOT_PLACE_FIRST = NOT_NAME - {"Park", "Station", "House", "Street", "Road", "Lane", "Court", "Rec", "Estate"}
_BAD_SCHOOL = re.compile(
    r"^(?:the\s+)?(?:youth|community|leisure|shopping|health|job|day|family|sports?|resource|children'?s|"
    r"contact|custody|medical|town|city|call|support|secure|reception|this|that|his|her|their|a|an|same|new|"
    r"previous|current|primary|secondary|mainstream|special|local|another|other|his old|her old|from|at)\b",
    re.I,
)


def _leading_cap_run(s: str) -> str:
    """The first run of capitalised words of a table cell ("Saxonbury - perm excluded" -> "Saxonbury")."""
    s = _rx(r"\s[-–(]|\(|,|;|\byr\b|\byear\b", re.I).split(s, maxsplit=1)[0]
    words: list[str] = []
    for w in s.split():
        if w[:1].isupper() or w.lower() in ("of", "the") or (words and w[:1].isupper()):
            words.append(w)
        else:
            break
    return " ".join(words).strip()


def _clean_place(s: str) -> str:
    s = _rx(r"^(?:the|The)\s+").sub("", s.strip()) if not _rx(r"^The\s+[A-Z]\w+\s+(Hotel|Inn|Centre)").match(s) else s
    return s.strip(" ,.;:")


_EMPTY_CELL = re.compile(r"^(?:not known|n/?a\b|none|unknown|-|–|tbc|\?|no\b)", re.I)
_COLUMN_ROLES: tuple[tuple[str, str], ...] = (
    ("skip", r"\b(?:dob|d\.o\.b|date of birth|age|ref|rag|year|yr|sightings)\b"),
    ("subject", r"^(?:name|full name|child|young person|yp|person|subject|nominal|child / young person)$"),
    ("initials", r"^initials$"),
    ("place_subject", r"^(?:place|location|venue|hotspot|address)$"),
    (
        "associates",
        r"seen with|associates?|linked (?:adults?|people|peers|children|young people|nominals?)|"
        r"\bpeers?\b|friends?|children seen|adults seen|young people seen|people seen",
    ),
    ("family", r"\b(?:family|siblings?|relatives?)\b"),
    ("places", r"\b(?:places?|locations?|hotspots?|frequents?|frequented|addresses?|where)\b"),
    ("school", r"\b(?:school|setting|education|provision|college)\b"),
    ("services", r"open to|known to|services?|agenc|involvement|allocated"),
    ("group", r"^(?:group|gang|line|ocg|group / line|peer group)s?$"),
)
_COLUMN_RES = tuple((role, re.compile(rx)) for role, rx in _COLUMN_ROLES)


@functools.lru_cache(maxsize=512)
def column_role(header: str) -> str:
    """What a table column holds, by its header (lower case): the row's subject, or a relationship.

    >>> [column_role(h) for h in ("name", "seen with", "places frequented", "school/setting", "known to services?")]
    ['subject', 'associates', 'places', 'school', 'services']
    >>> [column_role(h) for h in ("linked adults", "group", "dob", "notes")]
    ['associates', 'group', 'skip', 'text']
    """
    for role, rx in _COLUMN_RES:
        if rx.search(header):
            return role
    return "text"


def _is_matrix(u: Unit) -> bool:
    """A people-by-places table: no header over the names, places over the other columns."""
    return len(u.head) >= 3 and not u.head[0].strip() and all(h.strip() for h in u.head[1:])


def split_places(cell: str) -> list[str]:
    """Place names of a table cell: split on commas, semicolons, slashes and "and", keeping addresses whole.

    >>> split_places("Kingfisher, Ashpool St multi-storey, Riverside Grill (works the counter)")
    ['Kingfisher', 'Ashpool St multi-storey', 'Riverside Grill']
    >>> split_places("lives at Flat 12, Ferrier House; Cluckers")
    ['Flat 12, Ferrier House', 'Cluckers']
    """
    parts: list[str] = []
    cell = _rx(r"\([^)]*\)").sub("", cell)
    cell = ";".join(_rx(r"\s[–-]\s").split(c)[0] for c in cell.split(";"))  # "Foundry Walk – food court"
    for chunk in _rx(r"\s*(?:;|/|\band\b|\+)\s*").split(cell):
        pieces = [p.strip() for p in chunk.split(",")]
        merged: list[str] = []
        for piece in pieces:
            if merged and (
                _rx(r"(?:^|\s)(?:(?:Flat|Unit|Room|Apartment)\s+\d+\w?|\d+\w?)$", re.I).search(merged[-1])
                or (_STREET_END.search(piece) and len(piece.split()) <= 3 and not _rx(r"^\d").match(merged[-1]))
            ):
                merged[-1] = f"{merged[-1]}, {piece}"
            else:
                merged.append(piece)
        parts.extend(merged)
    out: list[str] = []
    for p in parts:
        p = _rx(r"^(?:[a-z][\w'’]*\s+)+").sub("", p.strip(" .\"'“”"))  # "lives at", "top deck of"
        if p and (p[0].isupper() or p[0].isdigit()) and not _EMPTY_CELL.match(p):
            out.append(p)
    return out


def split_people(cell: str) -> list[str]:
    """Names of a table cell: "Reeve / Lusty / Quorra", "Kember (cousin)", "Zink, Moxon Harlowe and Jessamy".

    >>> split_people('Reeve / Lusty / Quorra (cousin); "Penwick" and Jessamy Ruddock')
    ['Reeve', 'Lusty', 'Quorra', 'Penwick', 'Jessamy Ruddock']
    """
    out: list[str] = []
    for part in re.split(r"\s*(?:,|;|/|&|\+|\band\b|<->|->)\s*", _rx(r"\([^)]*\)").sub("", cell)):
        p = part.strip(" .\"'“”")
        if p and not _EMPTY_CELL.match(p):
            out.append(p)
    return out


_ACRONYM_WORD = re.compile(r"[A-Za-z'’]+")


def acronym_of(acr: str, name: str) -> bool:
    """Whether ``acr`` abbreviates ``name``: first and last letters from its first and last words' initials,
    the others in order in between.

    >>> acronym_of("DSB", "Dockside Boys"), acronym_of("LPA", "Larkfield Park Academy"), acronym_of("KB", "Tolley Box")
    (True, True, False)
    """
    if acr[0] != name[:1].upper():
        return False
    words = [w for w in _ACRONYM_WORD.findall(name) if w[0].isupper()]
    if len(words) < 2 or len(acr) < 2:
        return False
    if acr[0] != words[0][0].upper() or acr[-1] != words[-1][0].upper():
        return False
    rest = " ".join(words)[1 : -len(words[-1]) + 1 or None].upper()
    pos = 0
    for ch in acr[1:-1]:
        pos = rest.find(ch, pos)
        if pos < 0:
            return False
        pos += 1
    return True


_PLACE_ABBREV = {
    "rd": "road",
    "st": "street",
    "ave": "avenue",
    "ln": "lane",
    "ct": "court",
    "dr": "drive",
    "pl": "place",
    "sq": "square",
    "gdns": "gardens",
    "cres": "crescent",
    "rec": "recreation ground",
}


def place_key(name: str) -> list[str]:
    """Words of a place name for comparison: lower case, abbreviations spelled out, no "the" or punctuation.

    >>> place_key("The Tenterfield Rec"), place_key("Crowmere railway station")
    (['tenterfield', 'recreation', 'ground'], ['crowmere', 'station'])
    """
    words = _rx(r"[^\w\s'’]").sub(" ", name.lower().replace("’", "'")).split()
    out: list[str] = []
    for k, w in enumerate(words):
        if w == "the" or (w in ("railway", "train") and k + 1 < len(words) and words[k + 1] == "station"):
            continue
        out.extend(_PLACE_ABBREV.get(w, w).split())
    return out


def _contains(big: list[str], small: list[str]) -> bool:
    n = len(small)
    return any(big[i : i + n] == small for i in range(len(big) - n + 1))


def _consolidate_places(x: Extraction) -> None:
    """A place named once in full and elsewhere in part is one place: the part becomes an alias."""
    places = [e for e in x.entities if e.kind == "location"]
    keys = {id(e): place_key(e.name) for e in places}  # worked out once: they were, for every pair
    # which places hold each word: only those holding every word of a place can hold its name
    holding: dict[str, set[int]] = {}
    for k, e in enumerate(places):
        for w in keys[id(e)]:
            holding.setdefault(w, set()).add(k)
    gone: set[int] = set()
    for small in sorted(places, key=lambda e: len(keys[id(e)])):
        sk = keys[id(small)]
        maybe = set.intersection(*(holding[w] for w in sk)) if sk else set(range(len(places)))
        bigger = [
            b
            for b in (places[k] for k in sorted(maybe))
            if b is not small and id(b) not in gone and len(keys[id(b)]) >= len(sk) and _contains(keys[id(b)], sk)
        ]
        if len(bigger) != 1:
            continue
        big = bigger[0]
        x.entities.remove(small)
        gone.add(id(small))
        for f in (small.name, *small.forms):
            x.index[norm(f)] = big
            big.add_form(f)
        if small.postcode and not big.postcode:
            big.postcode = small.postcode


_AT_ONE_WORD = re.compile(
    r"\b(at|inside|outside|near|behind|opposite|in|to|from)\s+([A-Z][a-z]{3,})\b(?!['’-]|\s+[A-Z])"
)


_HEAD_AFTER = re.compile(rf"\s+(?:railway |train |bus |coach )?(?i:{PLACE_HEADS[3:-1]})\b")


# "KPA Yr 9", "St Oswin's Yr 10", "excluded from St Aldwyn's": a school by its year group or attendance
_SCHOOL_BY_YEAR = re.compile(r"\b([A-Z]{2,4}|St\.? [A-Z][a-z]+['’]s)(?:,)?\s+(?:Yr|Year)\s*\d{1,2}\b")


def _schools_by_year_group(x: Extraction) -> None:
    for m in _SCHOOL_BY_YEAR.finditer(x.note.text):
        name = m.group(1)
        if name in SHORTHAND or norm(name) in x.index:
            continue
        known = any(acronym_of(name, e.name) for e in x.entities if e.kind == "school")
        if name.isupper() and not known and re.search(rf"\b{name}\s*\(", x.note.text):
            continue  # initials of a pupil: "KH (Year 9)"
        x.entity("school", name, "school_name").defined = True


def _single_word_places(x: Extraction) -> None:
    """A business known by one word ("at Cluckers", "inside Cluckers"): named at least twice after "at",
    "inside", "outside" and the like, never after "in" (a town is "in Thornmere"), never in the header, never
    before another capitalised word (a first name is "Kember Dunnock")."""
    text = x.note.text
    lines = text.split("\n")
    header = " ".join(lines[: min(3, x.note.header_end)])
    at: dict[str, int] = {}
    inside: set[str] = set()
    strong: set[str] = set()
    for m in _AT_ONE_WORD.finditer(text):
        word, prep = m.group(2), m.group(1).lower()
        if _HEAD_AFTER.match(text, m.end()):
            continue  # "at Crowmere railway station": a town before the place
        if prep == "in":
            inside.add(word)
        else:
            at[word] = at.get(word, 0) + 1
            if prep not in ("to", "from"):
                strong.add(word)
    for word, n in at.items():
        if (
            n < 2
            or word not in strong
            or word in inside
            or word in NOT_NAME
            or word.upper() in SHORTHAND
            or norm(word) in x.index
        ):
            continue
        if re.search(rf"\b{word}\b", header) or re.search(rf"\b{word}\s+[A-Z]", text):
            continue
        _place(x, word, "")


_HEAD_AT_END = re.compile(rf"\s+{PLACE_HEADS}$")


def _schools_not_places(x: Extraction) -> None:
    """ "at Harbour View" when the note names Harbour View Academy: the school, not a place ("View" a street word)."""
    schools = [e for e in x.entities if e.kind == "school"]
    for e in [e for e in x.entities if e.kind == "location"]:
        key = norm(e.name)
        owner = next((sc for sc in schools if norm(sc.name).startswith(key + " ")), None)
        if owner is None or any(norm(f) != key for f in e.forms):
            continue
        x.entities.remove(e)
        x.index[key] = owner
        owner.add_form(e.name)


def _place_short_forms(x: Extraction) -> None:
    """A place called by its name without the head word later in the note: "the Galleon" for "The Galleon
    Grill", "the Kingfisher" for "Kingfisher Shopping Centre". Only a form used with "the" counts, so that a
    town or ward ("Ashpool" of "Ashpool Interchange") is never taken for the place."""
    text = x.note.text
    for e in [e for e in x.entities if e.kind == "location"]:
        base = _rx(r"^The\s+").sub("", e.name.split(",")[0])
        short = _HEAD_AT_END.sub("", base)
        while short != base and _HEAD_AT_END.search(short):  # "Quayside Kebab & Grill"
            base, short = short, _HEAD_AT_END.sub("", short)
        short = short.rstrip(" &")
        words = short.split()
        if short == base or not 1 <= len(words) <= 2 or norm(short) in x.index:
            continue
        if any(w in NOT_NAME or not w[:1].isupper() or _STREET_END.fullmatch(w) for w in words):
            continue
        if short in text and _with_the(text, short):
            x.alias(e, short)


_HEAD_FOLLOWS = re.compile(rf"\s+{PLACE_HEADS}")


def _with_the(text: str, short: str) -> bool:
    """Whether ``text`` says "the <short>" somewhere with no place's head word after it."""
    rx = re.compile(rf"\b[Tt]he\s+{re.escape(short)}\b")
    m = rx.search(text)
    while m is not None:
        if not _HEAD_FOLLOWS.match(text, m.end()):
            return True
        m = rx.search(text, m.start() + 1)
    return False


_SCHOOL_TAIL = re.compile(
    r"(?:\s+(?:Catholic|C of E|CE|Church of England|Community|Roman Catholic|RC|Girls'?|Boys'?))*\s+"
    + SCHOOL_HEADS
    + r"(?:\s*\(PRU\))?$"
)


def _school_short_forms(x: Extraction) -> None:
    """Schools named in full somewhere (even in the attendance list) and by a short form in the text.

    "St Aldwyn's Catholic High School" in the header and "excluded from St Aldwyn's" in the notes
    are one school; the short form is an alias, and a school named only among the professionals
    becomes an entity when the notes name it.
    """
    lines = x.note.text.split("\n")
    body = " ".join(u.text for u in x.note.units)
    latent: list[str] = []
    for i in x.note.professional_lines:
        for m in _SCHOOL.finditer(lines[i]):
            name = _clean_place(strip_markup(m.group(0)))
            if m.group(1).strip() and not _BAD_SCHOOL.match(name) and name.split()[0] not in NOT_NAME | {"The"}:
                latent.append(name)
    for e in [e for e in x.entities if e.kind == "school"]:
        latent.append(e.name)
    for name in latent:
        short = _SCHOOL_TAIL.sub("", name).strip()
        short = _rx(r"^The\s+").sub("", short)
        if not short or short in NOT_NAME or short == name:
            continue
        full_used = re.search(re.escape(name), body)
        short_used = re.search(rf"(?<![\w]){re.escape(short)}(?:['’]s)?(?!\w)", body)
        if not (full_used or short_used):
            continue
        got = x.index.get(norm(name))
        e = got if got is not None else x.entity("school", name, "school_name")
        if e.kind != "school":
            continue
        if short_used and norm(short) not in x.index:
            x.alias(e, short_used.group(0))


def _place(x: Extraction, raw: str, after: str, address: bool = False, how: EntityHow = "place_name") -> None:
    name = " ".join(raw.split()).strip(" ,.;:")
    if x.note.lowercase or name.isupper() or _rx(r"\b[A-Z]{3,}\b").search(name):
        name = title_case(name)
    name = _rx(r"\s*\(\s*(?:the\s+)?[\"“']?([^)\"”']+)[\"”']?\)$").sub("", name)
    alias_paren = _rx(r"\(\s*(?:the\s+)?[\"“']?([^)\"”']+)[\"”']?\)$").search(raw)
    name = _clean_place(name)
    if not name or name in NOT_NAME or _LEGAL_COURT.search(name):
        return
    while name.split()[0] in IMPERATIVES and len(name.split()) > 2:
        name = name.split(" ", 1)[1]
    street = _ON_STREET.match(after)
    full = name
    if street and not _STREET_END.search(name) and not _rx(r"^\d").match(name):
        full = f"{name}, {title_case(street.group(1)) if x.note.lowercase else street.group(1)}"
    existing = x.index.get(norm(full)) or x.index.get(norm(name))
    e = (
        existing
        if existing is not None and existing.kind == "location"
        else x.entity("location", full, "address" if address and how == "place_name" else how)
    )
    if norm(full) != norm(e.name) and len(full) > len(e.name) and norm(e.name) in norm(full):
        # a fuller form of a place already named: it becomes the name
        x.alias(e, e.name)
        del x.index[norm(e.name)]
        e.name = full
        x.index[norm(full)] = e
    x.alias(e, name)
    if not name.isascii():  # "Tŷ Helyg" is written "Ty Helyg" too
        x.alias(e, fold_accents(name))
    if alias_paren:
        x.alias(e, alias_paren.group(1))
    if name.startswith("The "):
        x.alias(e, name[4:])
    if address:
        core = _rx(r"^(?:Flat|Unit|Room|Apartment)\s+\d+[A-Za-z]?,?\s+").sub("", name)
        core = _rx(r",\s*[^,]*Estate$", re.I).sub("", core)
        if core != name:
            x.alias(e, core)
        bare = _rx(r"^\d{1,4}[A-Za-z]?,?\s+").sub("", core)
        if bare != core and _STREET_END.search(bare):
            x.alias(e, bare)
        pc = _POSTCODE.match(after.lstrip(" ,"))
        if pc:
            e.postcode = pc.group(1)
    if "," in name:
        x.alias(e, name.split(",")[0])
