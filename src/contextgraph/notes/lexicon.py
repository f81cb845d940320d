"""The words and patterns extraction reads notes by: head words of places, schools and groups,
titles and roles of professionals, cue words of each relationship, service cues, and the small
text helpers (capitalisation, normalised forms, gradings) every pass shares.
"""

from __future__ import annotations

import re
import unicodedata

from ..model import SERVICES, Grading, GradingError
from ..text import shown_text
from .patterns import compiled as _rx
from .patterns import lower, lowered

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
    """Text without markup, spaces or what shows as nothing, in lower case, to compare a span of
    the note as given with the form read."""
    return _rx(r"[\s*_`]+").sub("", shown_text(s)).lower()


def fold_accents(s: str) -> str:
    """The letters of ``s`` without their accents.

    >>> fold_accents("Tŷ Mawr Café")
    'Ty Mawr Cafe'
    """
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def norm(s: str) -> str:
    return " ".join(s.lower().replace("’", "'").split())


_HAS_CACHE: dict[tuple[str, ...], re.Pattern[str]] = {}


def _has(text: str, words: tuple[str, ...]) -> bool:
    rx = _HAS_CACHE.get(words)
    if rx is None:
        rx = _HAS_CACHE[words] = re.compile("|".join(re.escape(w) for w in words))
    return rx.search(text) is not None


# --- pass 2: people -------------------------------------------------------

_NAME_TOKEN = r"(?:[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?|(?:O['’]|Mc|Mac)[A-Z][a-z]+|[A-Z]{2,}(?:[-'’][A-Z]{2,})?)"
# one space between the words of a name: a wider gap separates the fields of a form ("Child: Ann Marlo    DOB: ...")
_FULL_NAME = re.compile(rf"\b({_NAME_TOKEN})((?:\s{_NAME_TOKEN}){{1,2}})\b")


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


# --- pass 5: relationships ---------------------------------------------------


def _grading(text: str) -> str | None:
    m = _GRADING.search(text)
    if not m:
        return None
    try:
        return Grading.parse("".join(m.groups()).upper()).text
    except GradingError:
        return None
