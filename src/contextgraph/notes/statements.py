"""Relationships one unit states: services, schools, places, groups and people with people, each
read from the unit's cue words.
"""

from __future__ import annotations

import re
from datetime import date

from .lexicon import _LOWER_CUES
from .record import Ent, Extraction, RelationHow
from .services import _services
from .units import Unit


def _near(text: str, rx: re.Pattern[str]) -> bool:
    return bool(rx.search(text))


def _relate_unit(
    x: Extraction,
    u: Unit,
    people: list[Ent],
    places: list[Ent],
    schools: list[Ent],
    groups: list[Ent],
    day: date | None,
    grading: str | None,
    focus: Ent | None,
) -> None:
    t = u.text
    x.current = u
    tl = t.lower()  # the cues match lower-cased text, faster than ignoring case
    children = [p for p in people if p.kind == "child"]
    named = [(f.start, f.ent) for f in x.mentions.get(id(u), []) if f.ent.kind == "child"]
    # services: only where there is a child they could be open to
    if children or named or (focus is not None and focus.kind == "child"):
        _unit_services(x, u, children, named, focus, grading)
    # schools
    for sch in schools:
        for kid in children or ([focus] if focus and focus.kind == "child" else []):
            x.relate("ATTENDS", kid, sch, None, grading, "school_cue")
    # places
    if places and people:
        _relate_places(x, u, tl, people, places, day, grading, focus)
    # groups
    for g in groups if people else ():
        if _NOT_MEMBER.search(t):
            continue
        # "grooming them to move on to running drugs for the line": what the children are groomed for, not yet done
        recruited = _GROOMED_FOR.search(t)
        for p in people:
            if not (recruited and p.kind == "child"):
                x.relate("MEMBER_OF", p, g, None, grading, "group_cue")
    # people with people
    if len(people) < 2:
        return
    negated = _near(tl, _LOWER_CUES["negation"])
    together = _near(tl, _LOWER_CUES["together"])
    family = _near(tl, _LOWER_CUES["family"])
    missing = _near(tl, _LOWER_CUES["missing"])
    exploit_word = _near(tl, _LOWER_CUES["exploit"])
    exploit = exploit_word or (bool(_WARNING_NOTICE.search(t)) and bool(_STATES_EXPLOITATION.search(x.note.text)))
    many = len(people) > 5
    for i, a in enumerate(people):
        for b in people[i + 1 :]:
            if family and not many:
                x.relate("FAMILY_OF", a, b, None, grading, "family_cue")
            if missing and a.kind == b.kind == "child" and together and not negated:
                x.relate("MISSING_WITH", a, b, day, grading, "missing_cue")
                x.relate("ASSOCIATES_WITH", a, b, day, grading, "missing_cue")
            if exploit and {a.kind, b.kind} == {"child", "person_of_concern"}:
                poc, child = (a, b) if a.kind == "person_of_concern" else (b, a)
                x.relate("EXPLOITS", poc, child, None, grading, "exploit_cue" if exploit_word else "notice_cue")
            peers = (together or (exploit and a.kind == b.kind == "person_of_concern")) and not many
            if peers and (not family or _TOGETHER_WORD.search(t)):
                x.relate("ASSOCIATES_WITH", a, b, day, grading)


_SERVICE_COLUMN = re.compile(r"open to|services?|agenc|involvement|allocated")
_NOTES_COLUMN = re.compile(r"notes?|comments?|update|concerns?")
_SERVICE_LABEL = re.compile(r"^\W*(open to|services?|other services|agencies|involvement|allocated)\b[^:|]*[:|]", re.I)
_NOT_MEMBER = re.compile(r"\bnot\b[^.;]{0,30}\b(part of|member|in the|on the|involved)|\bnot (yet )?a member", re.I)
_TOGETHER_WORD = re.compile(r"\b(together|with|seen)\b")
_NOT_SEEN_THERE = re.compile(
    r"\b(not|never|no longer|hasn't|has not|have not)\b[^.;]{0,25}\b(seen|been|go|gone)\b", re.I
)
_SEEN = re.compile(r"\bseen\b", re.I)


def _unit_services(
    x: Extraction,
    u: Unit,
    children: list[Ent],
    named: list[tuple[int, Ent]],
    focus: Ent | None,
    grading: str | None,
) -> None:
    """The services a unit says its children are open to: in its service columns, or in its text."""
    t = u.text
    col_positive = False
    text_for_services = t
    if u.row:
        svc_cols = [c for c in u.row if _SERVICE_COLUMN.search(c)]
        if svc_cols:
            col_positive = True
            text_for_services = " ; ".join(u.row[c] for c in svc_cols)
            for c in u.row:
                if c not in svc_cols and _NOTES_COLUMN.search(c):
                    for _, code in _services(u.row[c], False, x.local):
                        _open_to(x, children, focus, code, grading)
    label_open = _SERVICE_LABEL.match(t)
    for pos, code in _services(text_for_services, col_positive or bool(label_open), x.local):
        if text_for_services is t and named:
            # the child named nearest before the service ("Jory remains open to YJS"), else the first after
            before = [e for p, e in named if p < pos]
            _open_to(x, [before[-1] if before else named[0][1]], focus, code, grading)
        else:
            _open_to(x, children, focus, code, grading)


def _relate_places(
    x: Extraction,
    u: Unit,
    tl: str,
    people: list[Ent],
    places: list[Ent],
    day: date | None,
    grading: str | None,
    focus: Ent | None,
) -> None:
    """Where the people of a unit were seen, found or live."""
    t = u.text
    found_cue = _near(tl, _LOWER_CUES["found"])
    lives_cue = _near(tl, _LOWER_CUES["lives"])
    neg_place = _NOT_SEEN_THERE.search(t)
    # "which is Ruddock's flat", "his flat, 3 Tannery Row": the home of that person only
    owners: set[int] = set()
    if places and ("'s" in t or "’s" in t or " his " in t or " her " in t):
        for f in x.mentions.get(id(u), []):
            if f.ent.kind in ("child", "person_of_concern") and _OWN_HOME.match(t, f.end):
                owners.add(id(f.ent))
        if _HIS_HOME.search(t) and focus is not None and not owners:
            owners.add(id(focus))
    for loc in places:
        for p in people:
            if owners and id(p) in owners:
                x.relate("LIVES_AT", p, loc, day, grading, "own_home")
                continue
            if found_cue and p.kind == "child":
                x.relate("FOUND_AT", p, loc, day, grading, "found_cue")
                if not _SEEN.search(t):
                    continue
            if lives_cue and not owners:
                x.relate("LIVES_AT", p, loc, day, grading, "lives_cue")
                continue
            if neg_place:
                continue
            x.relate("SEEN_AT", p, loc, day, grading, "place_cue")


_GROOMED_FOR = re.compile(r"\b(?:groom|recruit|coerc|prepar)\w*\b[^.;]{0,60}?\bto (?:move on to|start|begin|join)\b")
# a warning notice is served because of grooming or exploitation, which the note must state somewhere
_WARNING_NOTICE = re.compile(r"\bCAWNs?\b|\b(?:child abduction )?warning notices?\b", re.I)
_STATES_EXPLOITATION = re.compile(r"\bgroom\w*|\bexploit\w*|\bCSE\b|\bCCE\b|\btraffick\w*", re.I)


_OWN_HOME = re.compile(r"['’]s (?:own )?(?:flat|home|house|address|room|tenancy)\b")
_HIS_HOME = re.compile(r"\b(?:at|in|to) (?:his|her) (?:own )?(?:flat|home|house|address)\b", re.I)


def _open_to(
    x: Extraction,
    children: list[Ent],
    focus: Ent | None,
    code: str,
    grading: str | None,
    how: RelationHow = "service_cue",
) -> None:
    target = children[0] if len(children) == 1 else (focus if focus is not None and focus.kind == "child" else None)
    if target is None and children:
        target = children[0]
    if target is not None:
        x.relate("OPEN_TO", target, code, None, grading, how)
