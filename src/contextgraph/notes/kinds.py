"""Pass 4: a kind for each person, child or person of concern, from age or date of birth, the heading
or column they are named under, and what they are said to do or to have done to them.
"""

from __future__ import annotations

import re

from .lexicon import _ADULT_CUE, _AGENT_VERB, _PASSIVE_AGENT
from .patterns import lower, lowered
from .record import Ent, Extraction
from .units import Unit

_VICTIM_CUE = re.compile(
    r"\b(victim|vulnerable|care leaver|leaving care|transitions?|cuckoo\w*|(?:being |been )?(?:exploited|groomed|"
    r"targeted|used) by|at risk|personal adviser)\b",
    re.I,
)
_VICTIM_BEFORE = re.compile(
    r"\b(victim|care leaver|vulnerable (?:young )?(?:adult|person|man|woman))\W{0,3}$|"
    r"\b(?:exploiting|grooming|cuckooing|exploits|grooms|in respect of)\s+$",
    re.I,
)
# the one a warning notice is served on is the adult: "CAWN served on Fennick Gaddis in respect of Bramley"
_DISRUPTED = re.compile(
    r"\b(?:CAWN|(?:child abduction )?warning notice|abduction notice)s?\b[^.;]{0,25}\b(?:served|issued|given)\s+"
    r"(?:on|to|against)\s+$",
    re.I,
)
# "an older male, Dale Mumby", "The driver, Moxon Harlowe", "grooming ... by Jessamy Ruddock and Moxon Harlowe"
_ADULT_BEFORE = re.compile(
    r"\b(?:older|adult)\s+(?:male|man|lad|female)?\s*$|\b(?:the |a )?(?:driver|line holder|handler|adult)\s*,?\s*$|"
    r"\b(?:exploitation|grooming|abuse|exploited|groomed)\b[^.;]{0,30}\bby\s+(?:(?:[A-Z][\w'’-]+\s+){1,2}(?:and|&)\s+)?$|"
    r"\b(?:CAWNs?|warning notices?)\s+(?:for|against|on)\s+(?:[A-Z][\w'’-]+\s+(?:and|&)\s+)?$",
)
_ADULT_BEFORE_WORDS = ("older", "adult", "driver", "holder", "handler", "by ", "CAWN", "otice")
_NEXT_PERSON = re.compile(r"\s(?:and|or|&|with)\s+(?:a|an|another|the|two|some|other)\s")
_AGE_AFTER_NAME = re.compile(r"^\s*(?:,\s*|\(\s*)(\d{1,2})\s*(?:\)|,|\s[-–])")
_TRANSITIONS = re.compile(
    r"\btransition\w*|care leavers?\b|leaving care|\b18\s*[-–]\s*25\b|young adults?\b|personal adviser", re.I
)


_LOW_CHILD_AFTER = re.compile(r"\b(yp|young person|child|pupil|year \d+|yr \d+)\b")
_LOW_TRANSITIONS, _LOW_PASSIVE_AGENT, _LOW_ADULT_CUE, _LOW_VICTIM_CUE, _LOW_VICTIM_BEFORE = map(
    lowered, (_TRANSITIONS, _PASSIVE_AGENT, _ADULT_CUE, _VICTIM_CUE, _VICTIM_BEFORE)
)


def _decide_kinds(x: Extraction, units: list[Unit]) -> None:
    transitions = bool(_LOW_TRANSITIONS.search(lower(x.note.text)))
    lead: Ent | None = None
    block = -1
    for u in units:
        found = x.mentions.get(id(u), [])
        if u.block != block:
            block = u.block
            lead = found[0].ent if found and found[0].start <= 3 else None
        elif lead is not None and lead.kind in ("child", "person_of_concern") and _AGENT_VERB.match(u.text):
            lead.adult_votes += 1
        low = lower(u.text) if found else ""
        for f in found:
            e = f.ent
            if e.kind not in ("child", "person_of_concern"):
                continue
            after = u.text[f.end : f.end + 80]
            before = u.text[max(0, f.start - 60) : f.start]
            low_after = low[f.end : f.end + 80]
            low_before = low[max(0, f.start - 60) : f.start]
            if _AGENT_VERB.match(after):
                e.adult_votes += 2
            if _LOW_PASSIVE_AGENT.search(low_before[-32:]):
                e.adult_votes += 1
            near_before = before[-40:]
            # "with Ann Marlo and a man in his twenties": the cue after the "and" is about someone else
            own = _NEXT_PERSON.split(after[:40], maxsplit=1)[0]
            if _LOW_ADULT_CUE.search(low_after[: len(own)]) or (
                any(w in near_before for w in _ADULT_BEFORE_WORDS) and _ADULT_BEFORE.search(near_before)
            ):
                e.adult_votes += 1
            if _LOW_CHILD_AFTER.search(low_after[:30]):
                e.child_votes += 1
            a = _AGE_AFTER_NAME.match(after)
            if a and e.age is None and 8 <= int(a.group(1)) <= 70:
                e.age = int(a.group(1))  # "Kestrell, 15, has been open to ..."
            if transitions and (_LOW_VICTIM_CUE.search(low_after) or _LOW_VICTIM_BEFORE.search(low_before[-40:])):
                e.victim_votes += 1
            if ("CAWN" in before or "otice" in before) and _DISRUPTED.search(before):
                e.adult_votes += 3
    for e in x.entities:
        if e.kind not in ("child", "person_of_concern"):
            continue
        age = e.age
        if e.dob and x.day:
            age = x.day.year - e.dob.year - ((x.day.month, x.day.day) < (e.dob.month, e.dob.day))
        if (
            age is not None
            and 18 <= age <= 25
            and transitions
            and e.victim_votes > 0
            and e.adult_votes < (e.victim_votes + e.child_votes)
        ):
            e.kind = "child"  # a young adult victim in a transitions or leaving-care context
        elif age is not None:
            e.kind = "child" if age < 18 else "person_of_concern"
        elif e.adult_votes > e.child_votes or (e.nickname_only and e.child_votes == 0):
            e.kind = "person_of_concern"
        else:
            e.kind = "child"
