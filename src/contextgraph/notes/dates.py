"""Dates as notes write them: "09/01", "9th January", "2024-01-09", "last Friday", each read
against the meeting's day, and which of a sentence's dates is the day something happened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {
    m: i + 1
    for i, ms in enumerate(
        (
            "january jan",
            "february feb",
            "march mar",
            "april apr",
            "may",
            "june jun",
            "july jul",
            "august aug",
            "september sep sept",
            "october oct",
            "november nov",
            "december dec",
        )
    )
    for m in ms.split()
}
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUMERIC = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/])")
_WORDY = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE})\.?(?:,?\s+(\d{{4}}))?\b",
    re.IGNORECASE,
)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def resolve_day(day: int, month: int, year: int | None, meeting: date | None) -> date | None:
    """A calendar day, taking a missing year from the meeting date (never after it by more than a month).

    >>> resolve_day(2, 3, None, date(2024, 3, 7))
    datetime.date(2024, 3, 2)
    >>> resolve_day(14, 12, None, date(2024, 1, 18))
    datetime.date(2023, 12, 14)
    >>> resolve_day(31, 2, 2024, None) is None
    True
    """
    if year is not None and year < 100:
        year += 2000
    if year is None:
        if meeting is None:
            return None
        year = meeting.year
        try:
            got = date(year, month, day)
        except ValueError:
            return None
        if got > meeting + timedelta(days=62):
            try:
                got = date(year - 1, month, day)
            except ValueError:
                return None
        return got
    try:
        return date(year, month, day)
    except ValueError:
        return None


_DIGIT = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class DateMention:
    start: int
    end: int
    day: date


def find_dates(text: str, meeting: date | None) -> list[DateMention]:
    """Days named in ``text``: 03/02/2024, 03/02/24, 02/03 and "Sat 2nd March".

    >>> [str(d.day) for d in find_dates("seen 09/01 and on Sat 2nd March", date(2024, 3, 7))]
    ['2024-01-09', '2024-03-02']
    >>> [str(d.day) for d in find_dates("18 April 2024, 2024-05-01", None)]
    ['2024-04-18', '2024-05-01']
    >>> find_dates("01/01/0024", None)
    []
    """
    found: list[DateMention] = []
    if not _DIGIT.search(text):  # every form has a digit
        return found
    for m in _NUMERIC.finditer(text):
        y = int(m.group(3)) if m.group(3) else None
        if y is not None and y < 1000 and len(m.group(3)) == 4:
            continue  # "0024": four digits are a year as written, and no year a note can mean (not 2024)
        d = resolve_day(int(m.group(1)), int(m.group(2)), y, meeting)
        if d:
            found.append(DateMention(m.start(), m.end(), d))
    for m in _WORDY.finditer(text):
        y = int(m.group(3)) if m.group(3) else None
        if y is not None and y < 1000:
            continue  # as above
        d = resolve_day(int(m.group(1)), MONTHS[m.group(2).lower()], y, meeting)
        if d:
            found.append(DateMention(m.start(), m.end(), d))
    for m in _ISO.finditer(text):
        if int(m.group(1)) < 1000:
            continue  # as above
        d = resolve_day(int(m.group(3)), int(m.group(2)), int(m.group(1)), None)
        if d:
            found.append(DateMention(m.start(), m.end(), d))
    found.sort(key=lambda x: x.start)
    return found


_WEEKDAYS = {
    w: i
    for i, ws in enumerate(
        (
            "monday mon",
            "tuesday tue tues",
            "wednesday wed",
            "thursday thu thur thurs",
            "friday fri",
            "saturday sat",
            "sunday sun",
        )
    )
    for w in ws.split()
}
_RELATIVE = re.compile(
    r"\b(?:(yesterday)|(today|this morning|this afternoon|this evening|tonight)|"
    r"last (monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"(?:(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\.?\s+)?"
    r"the (\d{1,2})(?:st|nd|rd|th)(?!\s*(?:of\s+)?(?:" + _MONTH_RE + r")\b)(\s+of\s+last\s+month)?)",
    re.IGNORECASE,
)
_RELATIVE_WORDS = ("yesterday", "today", "this ", "tonight", "last ")
_RELATIVE_HINT = re.compile(r"the \d")
_DOB_CUE = re.compile(r"\b(?:dob|d\.o\.b\.?|born|date of birth)\W{0,3}$", re.I)


def relative_dates(text: str, anchor: date | None) -> list[DateMention]:
    """Days named relative to the day a note or message was written: "yesterday", "last Tuesday", "on the 6th",
    "Saturday the 2nd", "the 27th of last month".

    >>> [str(d.day) for d in relative_dates("last Tuesday, yesterday and the 27th of last month", date(2025, 2, 17))]
    ['2025-02-11', '2025-02-16', '2025-01-27']
    >>> [str(d.day) for d in relative_dates("on Saturday the 2nd", date(2025, 8, 14))]
    ['2025-08-02']
    """
    out: list[DateMention] = []
    if anchor is None:
        return out
    low = text.lower()
    if not any(w in low for w in _RELATIVE_WORDS) and not ("the " in low and _RELATIVE_HINT.search(low)):
        return out
    for m in _RELATIVE.finditer(text):
        got: date | None = None
        if m.group(1):
            got = anchor - timedelta(days=1)
        elif m.group(2):
            got = anchor
        elif m.group(3):
            back = (anchor.weekday() - _WEEKDAYS[m.group(3).lower()]) % 7 or 7
            got = anchor - timedelta(days=back)
        elif m.group(5):
            day = int(m.group(5))
            first = anchor.replace(day=1)
            month_start = (first - timedelta(days=1)).replace(day=1) if m.group(6) else first
            for start in (month_start, (month_start - timedelta(days=1)).replace(day=1)):
                try:
                    candidate = start.replace(day=day)
                except ValueError:
                    continue
                if candidate <= anchor or m.group(6):
                    got = candidate
                    break
        if got is not None:
            out.append(DateMention(m.start(), m.end(), got))
    return out


def event_dates(text: str, anchor: date | None) -> list[DateMention]:
    """The days a sentence gives for what happened: full and partial dates and days relative to ``anchor``,
    never a date of birth.

    >>> [str(d.day) for d in event_dates("Hobday (DOB 29/03/2010) went missing on 29/03 with Tolley", date(2025, 4, 3))]
    ['2025-03-29']
    """
    found = [d for d in find_dates(text, anchor) if not _DOB_CUE.search(text[max(0, d.start - 16) : d.start])]
    taken = [(d.start, d.end) for d in found]
    for d in relative_dates(text, anchor):
        if not any(s < d.end and d.start < e for s, e in taken):
            found.append(d)
    found.sort(key=lambda d: d.start)
    return found
