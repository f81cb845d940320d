"""Offline, deterministic extraction of entities and relationships from one note.

Rules, not a model: the note's structure (:mod:`contextgraph.notes.parse`), the
conventions of police and social-care writing (SURNAME in capitals, aka and
quoted nicknames, initials, ages in brackets, 3x5x2 gradings), lexicons of
place, school and group words, and cue words for each relationship type of the
vocabulary. The output is the extraction document of the shared vocabulary.

Passes:

1. places, schools and groups, found by their head words ("Park", "Academy",
   "line") or by the column of a table they sit in;
2. people, as full names outside professionals' lines and titles, with aliases
   from "aka", quotes, brackets and initials;
3. within-note coreference: first names, surnames, initials and nicknames used
   after a fuller mention are the same entity;
4. a kind for each person (child or person of concern) from age, date of birth,
   the heading they appear under and what they are said to do;
5. relationships, read sentence by sentence with the sentence's heading, table
   row or note subject as context.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from ..localities import Localities, Locality  # noqa: F401 - Locality: for the examples
from ..model import REL_TYPES, SERVICES, Grading, GradingError
from .confidence import judge
from .parse import (
    ParsedNote,
    Unit,
    anchor_day,
    event_dates,
    find_dates,
    parse_note,
    span_of,
    strip_markup,
    unit_offsets,
)
from .patterns import compiled as _rx
from .patterns import lower, lowered, quick

# --- lexicons ---------------------------------------------------------------


def _words(s: str) -> set[str]:
    return set(s.split())


STREET = (
    r"(?i:Street|St|Road|Rd|Court|Ct|Close|Way|Avenue|Ave|Lane|Ln|Drive|Dr|Place|Pl|Crescent|Cres|Gardens|Gdns|"
    r"Terrace|Walk|Row|Grove|Hill|Square|Sq|Parade|Mews|View|Rise|Green|Yard|Wharf|Quay|Basin)(?![a-z])"
)
_STREET_END = re.compile(STREET + r"\.?$")
_CAP = r"(?:[A-Z][a-z'’]+|[A-Z]{2,})"
_CAPS = rf"{_CAP}(?:[ -]{_CAP}){{0,3}}"
PLACE_HEADS = (
    r"(?:Recreation Ground|Rec|Park|Playing Fields?|Fields|Common|Woods?|Meadows?|"
    r"(?:railway |train |bus |coach )?[Ss]tation|Interchange|"
    r"[Ss]hopping [Cc]entre|[Ll]eisure [Cc]entre|[Rr]etail [Pp]ark|[Cc]ar [Pp]ark|[Ss]kate [Pp]ark|"
    r"[Ss]hops|[Gg]arages|[Uu]nderpass|[Cc]ut-through|[Aa]lleyway|[Bb]ridge|[Cc]anal(?: basin)?|[Bb]asin|"
    r"Hotel|Inn|Lodge|Motel|Hostel|House|Flats|Tower|Towers|Market|Arcade|"
    r"[Tt]akeaway|Pizza|Chicken|Kebab|Kebabs|Fry|Café|Cafe|Barbers?|Lounge|Bar|Club|Gym|Stores|Store|"
    r"Library|Precinct|Quickstop|Wharf|"
    r"[Cc]ar [Ww]ash|B&B|[Gg]uest ?[Hh]ouse|[Oo]ff-[Ll]icen[cs]e|[Oo]ffy|[Aa]llotments?|"
    r"[Mm]ulti-[Ss]torey(?: car park)?|"
    r"[Ss]ervice [Ss]tation|[Ss]ervices|Grill|Diner|Steps|[Hh]oliday [Pp]ark|[Cc]aravan [Pp]ark|[Cc]aravan [Ss]ite|"
    r"Rooms|Airbnb|Yard|Lido|Pier|Promenade|Arches|Subway|Skatepark|[Ll]orry [Pp]ark|Campsite|Laundrette|"
    r"[Vv]ape [Ss]hop|[Cc]hicken [Ss]hop|[Cc]hippy|[Pp]ub|Tavern|Arms|Snooker|Bowl|Cinema|[Bb]us [Ss]tands?)"
)
# organisations named like places: "Children's Services", "Probation Services"
_NOT_A_PLACE = re.compile(
    r"\b(?:children'?s|social|youth|council|health|family|support|adult|probation|housing|emergency|police|"
    r"safeguarding|care|community|public|customer|mental|leaving|specialist|intensive|targeted)\s+services\b",
    re.I,
)
SCHOOL_HEADS = r"(?:Academy|High School|School|College|Learning Centre|Centre|PRU|Free School|Grammar|Primary)"
GROUP_HEADS = r"(?:Boys|Crew|Gang|Youngers|Olders|Firm|Mandem|Squad|Massive|Mob|Brothers|Bloods)"
_POSTCODE = re.compile(r"\b([A-Z]{1,2}\d{1,2}[A-Z]?\s*\d[A-Z]{2})\b")

# the points of the compass, which may begin a place's name though never a person's
COMPASS = frozenset(w.capitalize() for w in ["north", "south", "east", "west", "central"])
# capitalised words that are never part of a person's name
NOT_NAME = (
    _words(
        """
        A An The And Or But If In On At To Of For By With From Into Over Under Not No Yes Both All Any Some He She
        They His Her Him Them Their It Its We Our You I Me My This That These Those There Here Then When Where While
        Who What Why How Which As Also Still Now New Old Since After Before During Per Re Via Mum Dad Mother Father
        Brother Sister Aunt Uncle Nan Gran Grandmother Stepfather Stepmother Carer Carers Police Officer Officers Team
        Teams Service Services Social Care Children Childrens Child Young Person People Youth Justice Early Help
        Family Support Safeguarding Exploitation Hub Unit Partnership Council Housing Homes Academy School College
        Centre Street Road Avenue Court Park Rec Station Estate House Monday Tuesday Wednesday
        Thursday Friday Saturday Sunday Mon Tue Tues Wed Thu Thur Thurs Fri Sat Sun January February March April May
        June July August September October November December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec
        Northern Southern Eastern Western Locality Area Town City County Risk Action Actions
        Date Chair Minutes Purpose Background Assessment Recommendations Notes Note Update Summary Intelligence Intel
        Source Report Grading Handling Period Present Apologies Agenda Item Items Discussion Plan Plans Meeting
        Conference Strategy Review Interview Return Missing Episode Found Located Reported Open Closed Referral
        Allocated Known Believed Seen Stopped Arrested Charged Remanded Bail Custody Court High Medium Low Emerging
        Cannabis Class Crack Heroin Cocaine Drugs Cash Phone Phones Car Van Taxi Train Bus Head Year Yr Key Lead
        Manager Worker Practitioner Coordinator Team Officer Detective Sergeant Inspector Neighbourhood Neighbours
        Residents Staff Security Manager Operator Parks Licensing Trading Standards MACE LOG CSC YJS YOT SAFE CAMHS
        PNC NFA NRM OCG CCE CSE MFH YP IP CIN CP LAC DSL SW RHI BTP ASC EHCP NEET PRU DOB VRM CCTV CAWN RUI PWITS MDA
        GP TM DS DC DI DCI PC PCSO Sgt Insp Supt Det Dr Mr Mrs Ms Miss Rev OFFICIAL SENSITIVE Official Sensitive
        Operation Op Crown Prosecution CPS Section Care Order Orders Looked After Protection Need Placement Placed
        Legal Status Address Services Sorry Girls Boys Girl Boy Lads Lad Men Man Woman Women Male Males Female Adult
        Adults Older Younger Youngers Line Lines Group Groups Gang Crew Network Hotel Flat Flats Garage Garages Shop
        Shops Takeaway Christmas Easter Half Term Summer Autumn Spring Winter GCSE GCSEs Instagram Snapchat TikTok
        WhatsApp Agreed Concern Concerns Consider Share Request Contact Check Chase Next Previous Further Other Drill
        Video Music Cousin Cousins Friend Friends Mates Associate Associates Nominal Nominals Subject Subjects Approx
        Approximately Ref Tel Mob Email Age Aged Name Names Initials School Schools Location Locations
        Act Acts Notice Notices Warning Information Shared Slavery Violence Context Programme Panel Board Protocol
        Abduction Modern Serious Organised Exploited Exploitation Criminal Sexual Harm Prevention Disruption Tactics
        Hi Hello Dear Thanks Thank Regards Kind Best Cheers Reviewed Checked Extracted Exported Supervisor Analyst
        Record Records Form Forms Log Logs Tracker Profile Briefing Procedure Procedures Guidance Policy Councils
        """
    )
    | COMPASS
)
# words of a closed class (articles, pronouns, prepositions, auxiliaries, particles): never a name in any case
FUNCTION_WORDS = _words(
    """
    a an the and or but nor so if then than as of to in on at by for from with without into onto over under up down
    off out back about after before around near past via w/ i me my we us our you your he him his she her it its
    they them their this that these those who whom whose which what where when why how is are was were be been being
    am has have had do does did will would can could shall should may might must not no yes all both each some any
    also just still even very too only there here now again abt approx re per got get gets went go goes said says
    """
)
SHORTHAND = _words(
    """
    YP IP MFH NFA NRM OCG CCE CSE CSC YJS YOT SAFE CAMHS PNC CIN CP LAC DSL SW RHI BTP ASC EHCP NEET PRU
    DOB VRM CCTV CAWN RUI PWITS MDA GP TM DS DC DI DCI PC PCSO MASH MARAC ACT GET EH ICPC RCPC CLA UASC
    SGO TAF MACE LOG PCC PRU NB OK ID AM PM UK HMP YOI
    """
)
PRO_TITLES = (
    r"(?:PC|PCSO|PS|DC|DS|DI|DCI|DCS|Det|Supt|Sgt|Insp|Inspector|Sergeant|Constable|Dr|Rev|SW|TM|DSL|Cllr|Mr|Mrs|Ms|"
    r"Miss|"
    r"Officer|worker|Worker|manager|Manager|teacher|Teacher|nurse|Nurse|officer)"
)
PRO_AFTER = re.compile(
    r"^\s*\((?:SW|social worker|allocated|worker|YJS|SAFE|CAMHS|CSC|DSL|Head|chair|Chair|Early Help|EH|PC|"
    r"family support|support worker|key worker|manager|teacher|pastoral|police|youth|return|RHI|team|Team|"
    r"Exploitation|Neighbourhood|Parks|Licensing|Housing|BTP|school|School|Senior|Deputy|TM|Detective)",
)
PRO_ROLE_AFTER = re.compile(
    r"^\s*[,|–-]?\s*(?:the\s+)?(?:\w+\s+){0,2}(?:social worker|SW|worker|manager|teacher|officer|DSL|nurse|"
    r"practitioner|coordinator|co-ordinator|chair|lead|head of|keyworker|key worker|PCSO|adviser|advisor|analyst|"
    r"from (?:the )?(?:YJS|SAFE|CSC|CAMHS))\b",
)
# "CSC - Dami Ogunleye", "LICENSING: Sam Pryor": an agency in capitals, then the person speaking for it
PRO_AGENCY_BEFORE = re.compile(r"^\W*[A-Z][A-Z&/'’ ]{1,30}\s*(?:-|–|:)\s*$")
# "St Oswin's (Niamh Costello): ...": an agency, then who spoke for it in brackets
PRO_SPOKE_FOR = re.compile(r"^\)\s*:")
_ACTIONS_HEADING = re.compile(r"\b(actions?|next steps|agreed|decisions?|owners?)\b", re.I)

SERVICE_CUES: dict[str, str] = {
    "CSC": r"\bCSC\b|social care|\bCIN\b|child in need|\bCP plan\b|child protection(?: plan)?|looked[- ]after|"
    r"\bLAC\b|\bCLA\b|allocated (?:social worker|SW)|\bs\.?\s?20\b|care order|social worker|\bSW\b|"
    r"leaving care|personal adviser",
    "YJS": r"\bYJS\b|\bYOT\b|youth justice|youth offending|referral order|\bYRO\b|youth rehabilitation order",
    "EARLY_HELP": r"early help|\bEH\b|family support|targeted (?:family )?support",
    "EXPLOITATION_TEAM": r"\bSAFE\b|exploitation (?:team|service)|complex safeguarding|\bGET SAFE\b|\bACT\b",
    "CAMHS": r"\bCAMHS\b|child and adolescent mental health",
}
assert set(SERVICE_CUES) == set(SERVICES)
_SERVICE_RE = {code: re.compile(cue, re.IGNORECASE) for code, cue in SERVICE_CUES.items()}
# (each cue is a list of branches, so they join as one list: every branch at the top, where ``re`` can
# see the characters a match begins with)
_ANY_SERVICE = re.compile("|".join(SERVICE_CUES.values()), re.IGNORECASE)
_ONE_SERVICE = re.compile("|".join(f"(?P<{code}>{cue})" for code, cue in SERVICE_CUES.items()), re.IGNORECASE)
# every service cue contains one of these words: a sentence with none of them names no service
_SERVICE_WORDS = frozenset(
    [
        "csc",
        "leaving",
        "personal",
        "social",
        "cin",
        "child",
        "cp",
        "looked",
        "lac",
        "cla",
        "allocated",
        "s",
        "s20",
        "care",
        "sw",
        "yjs",
        "yot",
        "youth",
        "referral",
        "yro",
        "early",
        "eh",
        "family",
        "targeted",
        "safe",
        "exploitation",
        "complex",
        "get",
        "act",
        "camhs",
    ]
)
_WORD = re.compile(r"[a-z0-9]+")
# one of those words standing alone, as ``_WORD`` reads words
# (the test before each word made after its first letter, so that ``re`` skips to the first letters)
_SERVICE_WORD = re.compile("|".join(w[0] + r"(?<![a-z0-9].)" + w[1:] for w in sorted(_SERVICE_WORDS)) + r"(?![a-z0-9])")
_SERVICE_NEG = re.compile(
    r"\bnot (?:currently |yet )?(?:open|known|allocated|involved|receiving|engag\w*)|\bneither\b|"
    r"\bno (?:service|services|"
    r"current|involvement|longer)|\bclosed\b|\bended\b|\bexpired\b|\bdischarged\b|\brefer(?:ral|red|ring)?\b|"
    r"waiting list|\bawaiting\b|\bdeclined\b|\bnone\b|\bprevious(?:ly)?\b|\bformer(?:ly)?\b|\bstepped down\b|"
    r"\bstep[- ]down\b|\bconsider\w*\b|\brecommend\w*\b|\bscreen\w*\b|\bassess\w* (?:for|whether)\b|\bwas open\b|"
    r"\bnot known to\b|\bwill be\b|\bto be\b|\bshould\b|\bwould\b|\bif\b|\bpending\b|\bnot\b|"
    r"\bto (?:allocate|open|take|pick up|accept)\b",
    re.IGNORECASE,
)
_SERVICE_POS = re.compile(
    r"\bopen\b|\ballocated\b|\bplan\b|\border\b|\bworker\b|\bCIN\b|\bCP\b|looked[- ]after|\bLAC\b|\bs\.?\s?20\b|"
    r"\bcaseload\b|\bworking with\b|\bsupported by\b|\binvolved\b|\bsupervis\w+\b|\bteam\b|\bopen to\b|"
    r"\bassessment\b|\bunder\b|\bwith (?:the )?(?:YJS|SAFE|CAMHS|early help)|\bSW\b|\bsocial worker\b|"
    r"\bsees\b|\bseeing\b|\bknown to\b|\bcurrent\w*\b|\bremains\b|\bstill\b|\bthrough\b|\bpersonal adviser\b",
    re.IGNORECASE,
)

CUES: dict[str, re.Pattern[str]] = {
    "found": re.compile(r"\b(found|located|recovered|traced|picked up by police|returned by police)\b", re.I),
    "lives": re.compile(
        r"\b(lives?|living|home address|resides|residing|placement|placed (?:at|in)|care home|children's home|"
        r"hostel|stay(?:s|ing)? (?:at|with)|sleeps? at|sleeping at|home addr|addr|moved (?:in)?to|tenant|tenancy|"
        r"accommodation|rent(?:s|ed|ing)?|supported housing)\b",
        re.I,
    ),
    "missing": re.compile(r"\b(missing|MFH|MFC|absconded|went off|episode)\b", re.I),
    "together": re.compile(
        r"\b(with|together|both|associat\w*|friends?|mates?|best mate|company|boyfriend|girlfriend|close to|"
        r"knows|met|pair|alongside|seen with|arrested with|hangs? (?:out|around) with|linked|in the car|link|"
        r"relationship|partner|pals?|peer|peers|bro|group|accompan\w+|joined|drove|driven|driving|"
        r"in (?:a|his|her) car|messag\w*|texts?|texted|owes?|owed|owing|debt|picked (?:\w+ )?up|gave|gives|"
        r"bought|buys|snapchat\w*|calls? (?:him|her)|rang)\b|\bw/",
        re.I,
    ),
    "family": re.compile(
        r"\b(cousins?|brothers?|sisters?|siblings?|half[- ](?:brother|sister)|step[- ]?(?:brother|sister)|"
        r"uncle|aunt|nephew|niece|relatives?|related|twins?|family member)\b",
        re.I,
    ),
    "exploit": re.compile(
        r"\b(exploit\w*|groom\w*|recruit\w*|control\w*|running (?:for|him|her|them)|\"?running\"?|runs? for|"
        r"works? for|working for|run for|uses?|using|used|sends?|sent|supplie?s?|supplying|owes?|owing|owed|debt|"
        r"tick|handler|handles|CCE|CSE|county lines?|drives? (?:YP|them|him|her|the)|gives?|giving|gave|"
        r"picked (?:them|him|her) up|collects?|collecting|abus\w+|threat\w*|traffick\w*|pimp\w*|sexual\w*|"
        r"coerc\w+|lookout|holding|hold|carry|carrying|deal(?:ing)?|serv(?:e|ing) up|work|job|boyfriend|"
        r"takes?|took|taking|drove|lifts?|vapes|alcohol|money|paid|pays|pay|gifts?|trainers|food|phone|"
        r"sorts? the youngers|targets?|targeting|bought|buys?|house[ds]?|cuckoo\w*|driver)\b",
        re.I,
    ),
    "negation": re.compile(
        r"\b(not|no|never|nor|denies|denied|unlikely|unknown|isn't|wasn't|hasn't|doesn't|didn't|n't)\b", re.I
    ),
}
_LOWER_CUES = {name: lowered(rx) for name, rx in CUES.items()}

_AGENT_VERB = re.compile(
    r"^[^\w.;]{0,3}(?:\(\w+\)\s*)?(?:is |was |has |had |have |are |were |also |now |still |then |had been |has been |"
    r"is believed to be |believed to be |assessed as |thought to be |reportedly |as |who |allegedly |"
    r"suspected (?:of|to be) |understood to be |said to be )*"
    r"(?:exploit\w*|groom\w*|recruit\w*|control\w*|supplie?s|supplying|runs\b|running\b|\"running\"|drives?\b|"
    r"uses\b|using\b|sends?\b|sent\b|gives?\b|gave\b|took\b|takes\b|picked\b|collect\w*|holds?\b|the (?:line )?holder|"
    r"line holder|the handler|handler|pimp\w*|abus\w+|threat\w*|coerc\w+|bought|buys|target\w*|sorts?\b|"
    r"offer\w*|approach\w*|charged\b|remanded\b|the driver|a driver|driver\b|manag\w+ the|convicted\b|"
    r"sentenced\b|in custody\b|on remand\b|remains on remand|in prison|jailed|PNC\b|on bail\b|"
    r"(?:has|had|was served with|served with|received) (?:a |an )?(?:CAWN|child abduction warning notice)|"
    r"assessed as (?:supplying|recruiting|exploiting|grooming|running|the)|a former associate|an associate of)",
    re.I,
)
_PASSIVE_AGENT = re.compile(
    r"(?:exploited|groomed|recruited|controlled|run|used|sent|supplied|targeted|driven|collected|abused|"
    r"threatened|trafficked|picked up|coerced|works? for|working for|runs? for|running for|worked for|"
    r"owes?(?: money to)?|in debt to|handler)\s+(?:by\s+)?(?:the\s+)?$",
    re.I,
)
_ADULT_CUE = re.compile(
    r"\b(adult|older (?:male|man|lad|female|peer)|(?:man|male|woman|female) (?:aged|in (?:his|her) )|"
    r"line holder|holder|handler|driver|OCG|in (?:his|her) (?:20s|30s|40s)|aged (?:1[89]|[2-9]\d)|"
    r"person of concern|persons of concern|POC|nominal|suspect|offender|perpetrator|boyfriend \(\d\d\)|"
    r"(?:1[89]|[2-9]\d)[- ]year[- ]old)\b",
    re.I,
)
_CHILD_HEADING = re.compile(r"\b(children|young people|young person|child|YP|pupils?|girls|boys|victims?)\b", re.I)
_ADULT_HEADING = re.compile(
    r"\b(adults?|persons? of concern|POCs?|older peers?|perpetrators?|suspects?|offenders?)\b", re.I
)
# (the lookbehind after the first character, not before it, lets ``re`` skip ahead to a digit)
_GRADING = re.compile(r"([123])(?<![\w/].)\s?([A-Ea-e])\s?([PC])(?![\w/])")
_AGE = re.compile(
    r"(?:\((?:approx\.?\s*|aged?\s*|about\s*)?(\d{1,2})\s*(?:yrs?|years?)?\)|\baged?:?\s*(?:approx\.?\s*|about\s*)?"
    r"(\d{1,2})\b|\b(\d{1,2})[- ]year[- ]old\b|,\s*(\d{1,2})\s*(?:,|–|-|\)|$))",
    re.I,
)
_DOB = re.compile(r"\b(?:DOB|D\.O\.B\.?|born)\s*:?\s*(\d{1,2}/\d{1,2}/\d{2,4})", re.I)
_QUOTED = re.compile(r"[\"“”']([A-Z][A-Za-z'’-]{1,20}(?: [A-Z][A-Za-z'’-]{1,20})?)[\"“”']")
_AKA = re.compile(
    r"^\s*,?\s*(?:\(\s*)?(?:who\s+)?(?:is\s+)?"
    r"(?:aka|a\.k\.a\.?|known as|also known as|calls? himself|calls? herself|nicknamed|goes by|"
    r"or)\s*:?\s*[\"“']?([A-Za-z][A-Za-z'’-]{1,20}(?: [A-Z][A-Za-z'’-]{1,20})?)[\"”']?",
    re.I,
)
_PAREN_ALIAS = re.compile(r"^\s*\(\s*[\"“']?([A-Za-z][A-Za-z'’-]{1,20})[\"”']?\s*\)")
_PAREN_INITIALS = re.compile(r"^\s*\(\s*([A-Z]{2,3})\s*\)")
_PRONOUN = re.compile(r"\b(he|she|his|her|him|hers|himself|herself)\b", re.I)
_PLURAL_PRONOUN = re.compile(r"\b(they|them|their|both|the two|the pair|the boys|the girls)\b", re.I)
_LOW_PRONOUN, _LOW_PLURAL_PRONOUN = lowered(_PRONOUN), lowered(_PLURAL_PRONOUN)


def _has_pronoun(text: str) -> bool:
    return _LOW_PRONOUN.search(lower(text)) is not None


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


def title_case(s: str) -> str:
    """Normal capitalisation of a name written in capitals or lower case.

    >>> title_case("STROUD GORRINGE"), title_case("posy-ann o'neill"), title_case("St Aldwyn's")
    ('Stroud Gorringe', "Posy-Ann O'Neill", "St Aldwyn's")
    """

    def word(w: str) -> str:
        if not w:
            return w
        if w.isupper() and len(w) <= 3 and w in SHORTHAND | {"PRU"}:
            return w
        if w.isupper() or w.islower():
            parts = _rx(r"([-’'])").split(w.lower())
            out = []
            for k, p in enumerate(parts):
                if p in ("-", "'", "’"):
                    out.append(p)
                elif k >= 2 and parts[k - 1] in ("'", "’") and len(p) <= 2 and k > 0 and len(parts[k - 2]) > 1:
                    out.append(p)  # Aldwyn's
                else:
                    out.append(p[:1].upper() + p[1:])
            return "".join(out)
        return w

    return " ".join(word(w) for w in s.split())


def _bare(s: str) -> str:
    """Text without markup or spaces, in lower case, to compare a span of the note with the form read."""
    return _rx(r"[\s*_`]+").sub("", s).lower()


def fold_accents(s: str) -> str:
    """The letters of ``s`` without their accents.

    >>> fold_accents("Tŷ Mawr Café")
    'Ty Mawr Cafe'
    """
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def norm(s: str) -> str:
    return " ".join(s.lower().replace("’", "'").split())


# --- where each fact came from ----------------------------------------------

EntityHow = Literal[
    "table_cell",  # a table's name, school, place or associates column
    "place_name",  # a capitalised name ending in a place word ("Park", "Road", "Takeaway")
    "address",  # a street address or a named building with a number
    "school_name",  # a name ending in a school word ("Academy"), or a school and a year group
    "group_name",  # a name ending in a group word ("Boys", "line"), or what a group calls itself
    "group_token",  # a short token said at least twice to be a group ("DSB", "R2")
    "full_name",  # a person named in full in prose
    "nickname",  # a nickname standing alone ("known only as", in quotes)
    "initials",  # initials with an age or a school year ("KH (Year 9)")
]
"""How an entity was found: the rule that named it first."""

RelationHow = Literal[
    "table_column",  # a table cell read by its column's header ("Seen with", "School", "Open to")
    "table_matrix",  # a mark in a grid of people by places
    "table_place_row",  # a person in the row of a table of places
    "profile_field",  # "Associates: A / B" on a profile about one person
    "group_statement",  # people listed together at an event ("A, B and C were found ...")
    "service_cue",  # a service the clause says a child is open to
    "school_cue",  # a school named in a sentence about a child
    "place_cue",  # a place named in a sentence about a person (seen at)
    "found_cue",  # found or located at a place
    "lives_cue",  # lives, placed or staying at a place
    "own_home",  # a place said to be the person's own home
    "group_cue",  # a group named in a sentence about a person
    "family_cue",  # a family word in a sentence naming both
    "missing_cue",  # missing together
    "exploit_cue",  # an exploitation word in a sentence naming both
    "notice_cue",  # a warning notice in a note that states exploitation
    "together_cue",  # a word of company ("with", "friends", "met") in a sentence naming both
]
"""How a relationship was read: the rule that stated it."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One statement behind a relationship: the rule, and the sentence or table row it was read from."""

    how: RelationHow
    text: str
    line: int
    table: bool
    source_at: int | None  # where the source is named in ``text``; None: carried from a heading, a
    target_at: int | None  # paragraph's subject or the sentence before (or a service code)
    named: int = 0  # how many entities ``text`` names


# --- entities -------------------------------------------------------------


@dataclass(slots=True)
class Ent:
    """An entity found in the note, with every form the note names it by."""

    kind: str
    name: str
    forms: list[str] = field(default_factory=list)
    dob: date | None = None
    age: int | None = None
    postcode: str | None = None
    adult_votes: int = 0
    child_votes: int = 0
    victim_votes: int = 0  # said to be a victim, vulnerable, a care leaver: weighs for a young adult
    nickname_only: bool = False
    defined: bool = False  # named in a table's name column or a heading/header
    how: EntityHow = "full_name"
    id: str = ""

    def add_form(self, form: str) -> None:
        f = " ".join(form.split()).strip(" ,.;:")
        if f and norm(f) not in {norm(x) for x in self.forms} and norm(f) != norm(self.name):
            self.forms.append(f)


@dataclass(slots=True)
class Found:
    start: int
    end: int
    ent: Ent


class Extraction:
    """Everything read from one note; :meth:`to_json` gives the vocabulary's extraction output."""

    def __init__(self, note: ParsedNote, services: dict[str, str] | None = None):
        self.note = note
        # local service names: those this note defines, then those defined elsewhere (``services``)
        self.services = {**(services or {}), **local_services(note.text)}
        self.local = compile_local_services(self.services)
        self.day = note.meeting_day
        self.entities: list[Ent] = []
        self.index: dict[str, Ent] = {}  # normalised surface form -> entity
        self.ambiguous: set[str] = set()
        self.professionals: set[str] = set()
        self.rels: dict[tuple[str, int, Any], dict[str, Any]] = {}
        self.mentions: dict[int, list[Found]] = {}
        self.current: Unit | None = None  # the sentence or row relationships are being read from
        self._full_names: dict[str, list[re.Match[str]]] = {}

    def full_names(self, text: str) -> list[re.Match[str]]:
        """The capitalised runs of two or three words in ``text`` that may be names (read once a text:
        the professionals' pass and the people's pass read the same units)."""
        got = self._full_names.get(text)
        if got is None:
            got = self._full_names[text] = list(_FULL_NAME.finditer(text))
        return got

    def evidence(self, how: RelationHow, source: Ent, target: Ent | str) -> Evidence:
        """The statement behind a relationship read now from :attr:`current`."""
        u = self.current
        if u is None:
            return Evidence(how, "", 0, False, None, None)
        s_at = t_at = None
        found = self.mentions.get(id(u), [])
        for f in found:
            if s_at is None and f.ent is source:
                s_at = f.start
            elif t_at is None and f.ent is target:
                t_at = f.start
        return Evidence(how, u.text, u.line, u.row is not None, s_at, t_at, len({id(f.ent) for f in found}))

    # -- registry

    def entity(self, kind: str, name: str, how: EntityHow = "full_name") -> Ent:
        key = norm(name)
        got = self.index.get(key) or self.index.get(_rx(r"^the ").sub("", key)) or self.index.get("the " + key)
        if got is not None and (got.kind == kind or {got.kind, kind} <= {"child", "person_of_concern"}):
            return got
        e = Ent(kind, name, how=how)
        self.entities.append(e)
        self.index[key] = e
        return e

    def alias(self, e: Ent, form: str) -> None:
        key = norm(form)
        if not key or len(key) < 2:
            return
        other = self.index.get(key)
        if other is None:
            self.index[key] = e
        elif other is not e and key != norm(other.name):
            self.ambiguous.add(key)
        e.add_form(form)

    # -- output

    def to_json(self, threshold: float | None = None) -> dict[str, Any]:
        """The extraction document: what would be recorded, each fact with its confidence, and what
        would be queued below ``threshold`` (default: the setting's, see :mod:`contextgraph.notes.confidence`)."""
        return judge(self, *self.document(), threshold)

    def document(self) -> tuple[dict[str, Any], list[Ent], list[dict[str, Any]]]:
        """Every fact found, before confidence: the document, and the entities and relationship
        records behind its lists, in order."""
        ents = [e for e in self.entities if self._keep(e)]
        for n, e in enumerate(ents, 1):
            e.id = f"e{n}"
        out_e: list[dict[str, Any]] = []
        for e in ents:
            d: dict[str, Any] = {"id": e.id, "kind": e.kind, "name": e.name}
            # every other form the note gives: those used, and those stated ("aka", initials in a table)
            d["aliases"] = list(e.forms)
            if e.kind in ("child", "person_of_concern"):
                d["dob"] = e.dob.isoformat() if e.dob else None
            if e.kind == "location":
                d["postcode"] = e.postcode
            out_e.append(d)
        offsets = unit_offsets(self.note.text, self.note.units)
        line_unit: dict[int, Unit] = {}
        for u in self.note.units:
            line_unit.setdefault(u.line, u)
        spans = self._mention_spans(offsets)
        for e, d in zip(ents, out_e, strict=True):
            d["mentions"] = [list(sp) for sp in sorted(spans.get(id(e), ()))]
        kept = {id(e) for e in ents}
        out_r: list[dict[str, Any]] = []
        rels: list[dict[str, Any]] = []
        for r in self.rels.values():
            s, t = r["source"], r["target"]
            if id(s) not in kept or (isinstance(t, Ent) and id(t) not in kept):
                continue
            rels.append(r)
            d = {
                "type": r["type"],
                "source": s.id,
                "target": t.id if isinstance(t, Ent) else t,
                "date": r["date"],
            }
            if r.get("grading"):
                d["grading"] = r["grading"]
            unit = r.get("unit")
            where = offsets.get(id(unit)) if unit is not None else None
            if where is None and unit is not None and unit.line in line_unit:
                where = offsets.get(id(line_unit[unit.line]))  # a table cell read on its own: its row
            evidence = span_of(where, 0, len(where)) if where else None
            if evidence is not None:
                d["evidence"] = list(evidence)
            out_r.append(d)
        m = self.note.meeting
        doc = {
            "meeting": {"kind": m.kind, "date": m.date, "locality": m.locality, "locality_status": m.locality_status},
            "entities": out_e,
            "relationships": out_r,
        }
        return doc, ents, rels

    def _mention_spans(self, offsets: dict[int, list[int]]) -> dict[int, set[tuple[int, int]]]:
        """Where each entity is named in the note's text: ``id(entity)`` -> spans (start, end)."""
        out: dict[int, set[tuple[int, int]]] = {}
        text = self.note.text
        for u in self.note.units:
            where = offsets.get(id(u))
            if where is None:
                continue
            for f in self.mentions.get(id(u), ()):
                sp = span_of(where, f.start, f.end)
                # the span holds the form found, with nothing but markup and spaces besides
                if sp is not None and _bare(text[sp[0] : sp[1]]) == _bare(u.text[f.start : f.end]):
                    out.setdefault(id(f.ent), set()).add(sp)
        return out

    def _keep(self, e: Ent) -> bool:
        if e.kind not in ("child", "person_of_concern"):
            return True
        if e.defined or e.dob or e.age is not None:
            return True
        return any(r["source"] is e or r["target"] is e for r in self.rels.values())

    def relate(
        self,
        rtype: str,
        source: Ent,
        target: Ent | str,
        day: date | None,
        grading: str | None,
        how: RelationHow = "together_cue",
    ) -> None:
        rt = REL_TYPES[rtype]
        tkind = target.kind if isinstance(target, Ent) else "service"
        if source is target or not rt.allows(source.kind, tkind):
            return
        if rt.symmetric and isinstance(target, Ent) and self.entities.index(target) < self.entities.index(source):
            source, target = target, source
        key = (rtype, id(source), id(target) if isinstance(target, Ent) else target)
        prev = self.rels.get(key)
        ds = day.isoformat() if day else None
        ev = self.evidence(how, source, target)
        if prev is None:
            self.rels[key] = {
                "type": rtype,
                "source": source,
                "target": target,
                "date": ds,
                "grading": grading,
                "unit": self.current,
                "evidence": [ev],
            }
        else:
            prev["evidence"].append(ev)
            if ds and (prev["date"] is None or ds < prev["date"]):
                prev["date"] = ds  # the earliest day the note gives for the pair
            if prev["grading"] is None and grading:
                prev["grading"] = grading


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
_QUICK_BARE_STREET = quick(_BARE_STREET)
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


_HAS_CACHE: dict[tuple[str, ...], re.Pattern[str]] = {}


def _has(text: str, words: tuple[str, ...]) -> bool:
    rx = _HAS_CACHE.get(words)
    if rx is None:
        rx = _HAS_CACHE[words] = re.compile("|".join(re.escape(w) for w in words))
    return rx.search(text) is not None


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
        for m in _QUICK_BARE_STREET.finditer(t):
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
    for small in sorted(places, key=lambda e: len(place_key(e.name))):
        sk = place_key(small.name)
        bigger = [
            b
            for b in places
            if b is not small
            and b in x.entities
            and len(place_key(b.name)) >= len(sk)
            and _contains(place_key(b.name), sk)
        ]
        if len(bigger) != 1:
            continue
        big = bigger[0]
        x.entities.remove(small)
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


# --- pass 2: people -------------------------------------------------------

_NAME_TOKEN = r"(?:[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?|(?:O['’]|Mc|Mac)[A-Z][a-z]+|[A-Z]{2,}(?:[-'’][A-Z]{2,})?)"
# one space between the words of a name: a wider gap separates the fields of a form ("Child: Ann Marlo    DOB: ...")
_FULL_NAME = re.compile(rf"\b({_NAME_TOKEN})((?:\s{_NAME_TOKEN}){{1,2}})\b")
_SURNAME_FIRST = re.compile(r"\b([A-Z]{3,}(?:-[A-Z]{2,})?),\s+([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b")
_TITLED = re.compile(rf"\b{PRO_TITLES}\.?\s+(?:\d{{2,5}}\s+)?(?:[A-Z]\.\s*)?({_NAME_TOKEN}(?:\s+{_NAME_TOKEN})?)")
_QUICK_TITLED = quick(_TITLED)


IMPERATIVES = _words(
    """
        Add Raise Raises Share Ask Check Contact Request Consider Refer Update Invite Chase Speak Visit Discuss Agree
        Review Complete Make Arrange Inform Tell Offer Provide Explore Continue Monitor Identify Map Liaise Escalate
        Notify Send Pass Seek Keep Follow Knows Meets Sees Saw Met Told Asked Called Joined Left Visited Took
        """
)
_LEGAL_COURT = re.compile(r"\b(?:Crown|Magistrates['’]?|Youth|County|Family|High|Coroner['’]?s?)\s+Court\b")


# words that are also first names: a name only before a SURNAME in capitals or an age ("Hobday KELLEHER (15)")
FIRST_NAME_WORDS = _words("Summer May April June August Autumn Winter Rose Grace Hope Faith Joy Sunny Storm")


def _is_name_token(w: str) -> bool:
    base = w.strip("'’")
    return bool(base) and base not in NOT_NAME and base.capitalize() not in NOT_NAME and base.upper() not in SHORTHAND


def _professionals(x: Extraction) -> None:
    lines = x.note.text.split("\n")
    texts = [lines[i] for i in x.note.professional_lines]
    texts += [u.text for u in x.note.units]
    for t in texts:
        for m in _QUICK_TITLED.finditer(t):
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
            placey = _rx(r"\b(?:at|on|in|near|outside|from|to|along|off|behind|around|the)\s+$").search(
                t[: t.find(toks[0], m.start())]
            )
            if (_STREET_END.search(toks[-1]) and placey) or re.fullmatch(
                PLACE_HEADS + "|" + SCHOOL_HEADS + "|" + GROUP_HEADS, toks[-1]
            ):
                continue
            start = t.find(toks[0], m.start())
            raw = " ".join(toks)
            end = start + len(raw)
            if any(s <= start < e for s, e, _, _ in spans):
                continue
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


# --- mentions --------------------------------------------------------------


def _mention_pattern(x: Extraction) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Patterns for the forms of the note's entities in text lower-cased by :func:`lower` (the
    forms are normalised, so lower case too): several words or not a person's, and one word."""
    multi: list[str] = []
    single: list[str] = []
    for key, e in x.index.items():
        if key in x.ambiguous or (key in x.professionals and e.kind in ("child", "person_of_concern")):
            continue
        (multi if " " in key or e.kind not in ("child", "person_of_concern") else single).append(key)
    forms_multi = sorted(multi, key=len, reverse=True)
    forms_single = sorted(single, key=len, reverse=True)

    def literal(f: str) -> str:
        return re.escape(f).replace(r"\ ", r"\s+").replace("'", "['’]")

    def alt(forms: list[str]) -> str:
        # no word character before the form: tested after its first character where that is one, so
        # that ``re`` skips ahead to the characters a form begins with
        return "|".join(
            f[0] + r"(?<!\w.)" + literal(f[1:]) if _WORD_START.match(f) else r"(?<!\w)" + literal(f) for f in forms
        )

    return (
        re.compile(rf"(?:{alt(forms_multi) or '(?!x)x'})(?![\w])"),
        re.compile(rf"(?:{alt(forms_single) or '(?!x)x'})(?![\w])"),
    )


_WORD_START = re.compile(r"[a-z0-9]")


_HEAD_WORD = re.compile(rf"\s{PLACE_HEADS}$")


def _places_by_head(x: Extraction) -> dict[str, Ent]:
    """The head words ("underpass", "allotments", "lodge") that only one place of the note ends with."""
    got: dict[str, list[Ent]] = {}
    for e in x.entities:
        if e.kind == "location":
            for form in {e.name.split(",")[0], *e.forms}:
                m = _HEAD_WORD.search(form)
                if m is not None:
                    key = m.group(0).strip().lower()
                    if e not in got.setdefault(key, []):
                        got[key].append(e)
    return {k: v[0] for k, v in got.items() if len(v) == 1 and k not in _TOO_GENERIC_HEADS}


# head words that name too many places of one kind for "the ..." to point at one named before
_TOO_GENERIC_HEADS = frozenset({"house", "flats", "shops", "store", "stores", "bar", "club", "services", "station"})


_TITLE_BEFORE = re.compile(rf"\b{PRO_TITLES}\.?\s*$")


def _find_mentions(x: Extraction, units: list[Unit]) -> None:
    multi, single = _mention_pattern(x)
    # "the underpass" after "Cooper's Way underpass": the one place of the note with that head word
    by_head = _places_by_head(x)
    heads = (
        re.compile(r"\bthe\s+(" + "|".join(re.escape(k) for k in sorted(by_head, key=len, reverse=True)) + r")\b")
        if by_head
        else None
    )
    typed_lower = x.note.lowercase
    for u in units:
        found: list[Found] = []
        taken: list[tuple[int, int]] = []
        low = lower(u.text)
        for pat in (multi, single):
            for m in pat.finditer(low):
                if any(s < m.end() and m.start() < e for s, e in taken):
                    continue
                surface = u.text[m.start() : m.end()]
                key = norm(surface)
                e = x.index.get(key)
                if e is None:
                    continue
                if e.kind in ("child", "person_of_concern") and " " not in key and not typed_lower:
                    # single-word person forms must be written as names: "Tolley", "KAI", not "kai"
                    if not surface[0].isupper():
                        continue
                    if (
                        surface.isupper()
                        and len(surface) <= 3
                        and surface not in e.forms
                        and not (e.defined and surface == e.name)
                    ):
                        continue
                    before = u.text[max(0, m.start() - 12) : m.start()]
                    if _TITLE_BEFORE.search(before):
                        continue
                found.append(Found(m.start(), m.end(), e))
                taken.append((m.start(), m.end()))
        if heads is not None and "the " in low:
            for m in heads.finditer(low):
                if not any(s < m.end() and m.start() < e for s, e in taken):
                    found.append(Found(m.start(), m.end(), by_head[m.group(1).lower()]))
                    taken.append((m.start(), m.end()))
        found.sort(key=lambda f: f.start)
        x.mentions[id(u)] = found


# --- pass 5: relationships ---------------------------------------------------


def _grading(text: str) -> str | None:
    m = _GRADING.search(text)
    if not m:
        return None
    try:
        return Grading.parse("".join(m.groups()).upper()).text
    except GradingError:
        return None


def _clauses(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    start = 0
    for m in _rx(r"[;,]|\s(?:but|and not|although|though|whereas)\s|\(|\)|\.\s").finditer(text):
        out.append((start, text[start : m.start()]))
        start = m.end()
    out.append((start, text[start:]))
    return out


# --- services known by a local name ---------------------------------------------
# "Compass (the exploitation team)", "Compass, the county's exploitation service", "Compass complex
# safeguarding team", "Compass is the council's exploitation team": the name stands for that service
_DESCRIPTION = r"(?:the\s+)?"
_LOCAL_NAME = r"(?P<name>[A-Z](?<![\w'’-].)[A-Za-z]{2,}(?:\s+[A-Z][A-Za-z]{2,})?)"
_LOCAL_DEFINITIONS = (
    re.compile(_LOCAL_NAME + r"\s*\(\s*(?P<desc>" + _DESCRIPTION + r"[^()\n]{2,50}?)\s*\)"),
    re.compile(_LOCAL_NAME + r",\s+(?P<desc>" + _DESCRIPTION + r"[^,;.()\n]{2,50}?)\s*(?=[,;.)\n]|$)"),
    re.compile(_LOCAL_NAME + r"\s+(?:is|are)\s+(?P<desc>" + _DESCRIPTION + r"[^,;.()\n]{2,50}?)\s*(?=[,;.)\n]|$)"),
    re.compile(
        _LOCAL_NAME + r"\s+(?P<desc>(?i:" + "|".join(f"(?:{c})" for c in SERVICE_CUES.values()) + r"))"
        r"\s+(?i:team|service|hub|unit)\b"
    ),
)
# the description is a service and nothing else: its cue, and words for the kind of body it is
_FILLER = frozenset(
    re.findall(r"\S+", "the a our local specialist new own county council area force countywide team service hub unit")
)
_ROLE_WORDS = re.compile(
    r"\b(?:worker|adviser|advisor|practitioner|SW|officer|manager|lead|nurse|chair|coordinator|DSL)\b", re.I
)
_NOT_LOCAL_NAMES = frozenset(
    re.findall(
        r"\S+",
        "the a an and or but with to of for in on at by from open known police school academy college council county "
        "city borough north south east west central children childrens young youth family early social care team "
        "service services hub unit",
    )
)


def local_services(text: str) -> dict[str, str]:
    """Services the text names locally, with the code each stands for: ``{"compass": "EXPLOITATION_TEAM"}``.

    A name counts when the text defines it by a description that is one service's cue and nothing
    more ("Compass (the exploitation team)"); a name defined as two different services counts as none.

    >>> local_services("Abby Townend (Compass complex safeguarding team). Open to Compass.")
    {'compass': 'EXPLOITATION_TEAM'}
    >>> local_services("Kestrell is open to Beacon, the county's exploitation service.")
    {'beacon': 'EXPLOITATION_TEAM'}
    >>> local_services("Seen at Dockside Rec (the skate park) with Crabbe (14).")
    {}
    """
    if not _SERVICE_WORD.search(text.lower()):
        return {}
    got: dict[str, str] = {}
    clash: set[str] = set()
    for rx in _LOCAL_DEFINITIONS:
        for m in rx.finditer(text):
            name = m.group("name")
            key = " ".join(name.lower().split())
            if set(key.split()) & _NOT_LOCAL_NAMES or _ANY_SERVICE.fullmatch(name):
                continue
            desc = m.group("desc")
            if _rx(r"[A-Z][\w'’-]*\s+$").search(text[max(0, m.start() - 30) : m.start()]):
                continue  # "Leaving Care Team": part of a longer name
            if rx is not _LOCAL_DEFINITIONS[-1] and desc[:1].isupper() and not desc.lower().startswith("the "):
                continue  # "(Compass complex safeguarding team)": a name, not a description
            if _ROLE_WORDS.search(desc):
                continue  # "Daniel Reyes (social worker)": a person's role
            codes = sorted({code for code, crx in _SERVICE_RE.items() if crx.search(desc)})
            rest = _ANY_SERVICE.sub(" ", desc).lower()
            if len(codes) != 1 or not all(w in _FILLER or w.endswith(("'s", "’s")) for w in rest.split()):
                continue
            if got.get(key, codes[0]) != codes[0]:
                clash.add(key)
            got[key] = codes[0]
    return {k: v for k, v in sorted(got.items()) if k not in clash}


def learn_services(texts: Iterable[str]) -> dict[str, str]:
    """The local service names that notes read together define (:func:`local_services`), for every one of them.

    A meeting may say once what "Compass" is and use the name alone in every other note; a name that
    notes define as two different services counts as none.

    >>> learn_services(["Abby (Compass, the exploitation team)", "Open to Compass."])
    {'compass': 'EXPLOITATION_TEAM'}
    """
    got: dict[str, str] = {}
    clash: set[str] = set()
    for text in texts:
        for key, code in local_services(text).items():
            if got.setdefault(key, code) != code:
                clash.add(key)
    return {k: v for k, v in sorted(got.items()) if k not in clash}


LocalServices = tuple[tuple[re.Pattern[str], str], ...]


def compile_local_services(names: dict[str, str]) -> LocalServices:
    """Patterns for local service names, longest first, matched case-insensitively as whole words."""
    return tuple(
        (re.compile(r"(?<![\w'’-])" + r"\s+".join(map(re.escape, k.split())) + r"(?![\w-])", re.IGNORECASE), code)
        for k, code in sorted(names.items(), key=lambda kv: (-len(kv[0]), kv[0]))
    )


_LOW_ANY_SERVICE, _LOW_SERVICE_NEG, _LOW_SERVICE_POS, _LOW_ONE_SERVICE = map(
    lowered, (_ANY_SERVICE, _SERVICE_NEG, _SERVICE_POS, _ONE_SERVICE)
)
_LOW_SERVICE_RE = {code: lowered(rx) for code, rx in _SERVICE_RE.items()}
_LOW_STILL_OPEN = lowered(re.compile(r"\b(open|allocated|now|currently|but)\b", re.I))


def _services(text: str, positive_context: bool, local: LocalServices = ()) -> list[tuple[int, str]]:
    """Services the text says a child is open to now, with their positions."""
    got: list[tuple[int, str]] = []
    named_locally = [(rx, code) for rx, code in local if rx.search(text)]
    low = lower(text)
    if not named_locally and (not _SERVICE_WORD.search(low) or not _LOW_ANY_SERVICE.search(low)):
        return got
    carried = False  # "never known to CSC, YJS, early help or CAMHS": the list shares the negation
    for start, clause in _clauses(text):
        low_clause = low[start : start + len(clause)]
        negative = bool(_LOW_SERVICE_NEG.search(low_clause))
        if negative:
            carried = True
        elif _LOW_STILL_OPEN.search(low_clause) or not clause.strip():
            carried = False
        negative = negative or carried
        if negative:
            continue
        found = sorted(
            (_CODE_ORDER[code], start + m.start(code), code)
            for m in _LOW_ONE_SERVICE.finditer(low_clause)
            for code in _codes_at(low_clause, m)
        )
        if named_locally:
            found = sorted(
                found + [(_CODE_ORDER[c], start + m.start(), c) for rx, c in named_locally for m in rx.finditer(clause)]
            )
        if found and (positive_context or _LOW_SERVICE_POS.search(low_clause) or _LOW_SERVICE_POS.search(low[:start])):
            got.extend((pos, code) for _, pos, code in found)
    return got


_CODE_ORDER = {code: i for i, code in enumerate(SERVICE_CUES)}


def _codes_at(clause: str, m: re.Match[str]) -> list[str]:
    """The services whose cue matches where ``m`` does (one alternation reports only the first), in a
    lower-cased clause."""
    assert m.lastgroup is not None
    codes = [m.lastgroup]
    for code, rx in _LOW_SERVICE_RE.items():
        if code != m.lastgroup and rx.match(clause, m.start()):
            codes.append(code)
    return codes


@dataclass(slots=True)
class Context:
    person: Ent | None = None
    place: Ent | None = None
    group: Ent | None = None
    grading: str | None = None
    day: date | None = None


def _subject_of(x: Extraction, u: Unit) -> Context:
    ctx = Context()
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
    heading_ctx: dict[int, Context] = {}
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
    prev_person: Ent | None = None
    prev_people: list[Ent] = []
    group_people: list[Ent] = []  # the last children named together, for "the three boys"
    group_section: int | None = None
    recent_kids: list[Ent] = []  # the children named in the section so far, the latest last, for "both girls"
    prev_places: list[Ent] = []  # the places of the sentence before, in the same paragraph or item, for "there"
    prev_block_places = -1
    prev_block = -1
    block_ctx = Context()
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
            block_ctx = Context()
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


def _dedupe(xs: Iterable[Ent]) -> list[Ent]:
    """Each entity once, in order (by identity: comparing every field of two entities is slow)."""
    out: list[Ent] = []
    seen: set[int] = set()
    for e in xs:
        if id(e) not in seen:
            seen.add(id(e))
            out.append(e)
    return out


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


# --- entry points -------------------------------------------------------------


def extract_parsed(note: ParsedNote, services: dict[str, str] | None = None) -> Extraction:
    """Read one parsed note; ``services`` are local service names defined elsewhere (:func:`local_services`)."""
    x = Extraction(note, services)
    units = note.units
    _first_pass(x, units)
    _professionals(x)
    _second_pass(x, units)
    _unexpanded_groups(x)
    _find_mentions(x, units)
    _decide_kinds(x, units)
    _relations(x, units)
    return x


def extract(
    text: str,
    path: str = "<note>",
    services: dict[str, str] | None = None,
    localities: Localities | None = None,
    threshold: float | None = None,
) -> dict[str, Any]:
    """The extraction output of the shared vocabulary for one note's text, its locality read
    against the configured ``localities`` (see :func:`~contextgraph.notes.parse.parse_note`).

    >>> doc = extract('''# MACE – Hillcrest ward
    ... Date: 18/01/2024
    ...
    ... ## Children
    ... Merrow Thistle (15) was seen at Ferndale Park on 09/01 with Rowen Abbotsley (14).
    ... Merrow is open to YJS.
    ... ''', localities=Localities(None, (Locality("Hillcrest"),)))
    >>> doc["meeting"]
    {'kind': 'MACE', 'date': '2024-01-18', 'locality': 'Hillcrest', 'locality_status': 'configured'}
    >>> sorted(e["name"] for e in doc["entities"])
    ['Ferndale Park', 'Merrow Thistle', 'Rowen Abbotsley']
    >>> sorted((r["type"], r["target"] if r["type"] == "OPEN_TO" else "") for r in doc["relationships"])
    [('ASSOCIATES_WITH', ''), ('OPEN_TO', 'YJS'), ('SEEN_AT', ''), ('SEEN_AT', '')]
    >>> extract("MACE - Docklands\\nDate: 18/01/2024\\n")["meeting"]["locality_status"]
    'unknown'
    """
    return extract_parsed(parse_note(text, path, localities), services).to_json(threshold)
