"""Demographics where they are recorded: a person's sex and ethnicity as entity properties, checked
against these lists, and their age on a day from their date of birth. "Not known" is kept as such:
an unrecorded value is not guessed. A young adult of 18-25 in a transitions service stays a
``child`` in the vocabulary, so their history carries across their 18th birthday.

>>> problem("child", {"ethnicity": "Indian"})
"field 'ethnicity': 'Indian' is not a code of ethnicity (see docs/model.md), e.g. asian_indian"
>>> problem("child", {"sex": "female", "ethnicity": "not_known"}) is None
True
>>> age_on("2009-06-02", "2025-06-01"), age_on("2009-06-02", "2025-06-02")
(15, 16)
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

SEX: Final[dict[str, str]] = {
    "female": "female",
    "male": "male",
    "not_known": "not known, or not recorded",
}
"""Sex as recorded (``sex``)."""

ETHNICITY: Final[dict[str, str]] = {
    "asian_bangladeshi": "Asian, Asian British or Asian Welsh: Bangladeshi",
    "asian_chinese": "Asian, Asian British or Asian Welsh: Chinese",
    "asian_indian": "Asian, Asian British or Asian Welsh: Indian",
    "asian_pakistani": "Asian, Asian British or Asian Welsh: Pakistani",
    "asian_other": "Asian, Asian British or Asian Welsh: any other Asian background",
    "black_african": "Black, Black British, Black Welsh, Caribbean or African: African",
    "black_caribbean": "Black, Black British, Black Welsh, Caribbean or African: Caribbean",
    "black_other": "Black, Black British, Black Welsh, Caribbean or African: any other Black background",
    "mixed_white_asian": "Mixed or Multiple ethnic groups: White and Asian",
    "mixed_white_black_african": "Mixed or Multiple ethnic groups: White and Black African",
    "mixed_white_black_caribbean": "Mixed or Multiple ethnic groups: White and Black Caribbean",
    "mixed_other": "Mixed or Multiple ethnic groups: any other Mixed or Multiple background",
    "white_british": "White: English, Welsh, Scottish, Northern Irish or British",
    "white_irish": "White: Irish",
    "white_gypsy_irish_traveller": "White: Gypsy or Irish Traveller",
    "white_roma": "White: Roma",
    "white_other": "White: any other White background",
    "other_arab": "Other ethnic group: Arab",
    "other_any": "Other ethnic group: any other ethnic group",
    "not_known": "not known, or not recorded",
    "not_stated": "the person chose not to say",
}
"""Ethnicity (``ethnicity``): the 19 categories of the 2021 Census of England and Wales (ONS), and
not known or not stated kept apart from them."""

CHECKED: Final = {"sex": SEX, "ethnicity": ETHNICITY}
"""The properties checked, for people, and their codes."""

PEOPLE_KINDS: Final = frozenset({"child", "person_of_concern"})


def problem(kind: str, properties: dict[str, Any]) -> str | None:
    """What is wrong with a person's recorded demographics, naming the field; None when nothing is."""
    if kind not in PEOPLE_KINDS:
        return None
    for name, codes in CHECKED.items():
        value = properties.get(name)
        if value is not None and (not isinstance(value, str) or value not in codes):  # a list too
            close = next((c for c in codes if str(value).lower() in c), next(iter(codes)))
            return f"field {name!r}: {value!r} is not a code of {name} (see docs/model.md), e.g. {close}"
    return None


def age_on(dob: str | None, day: str) -> int | None:
    """Whole years from a date of birth to ``day`` (ISO dates); None without a date of birth."""
    if not dob:
        return None
    b, d = date.fromisoformat(dob), date.fromisoformat(day[:10])
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))
