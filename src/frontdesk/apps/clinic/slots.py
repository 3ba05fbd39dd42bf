"""Slot extraction: the dates, times, doctors and record ids in a patient's own words.

Pure, deterministic functions of the text and `today`, so the offline planners and the tools
(which accept "next Tuesday" as readily as "2026-03-17") read dates the same way. Typos are
tolerated with `difflib` where a word has a known spelling (weekdays, months, "tomorrow",
doctors' names). Also the few formatters that write dates, times and money back for patients.

Conventions: a bare weekday ("Friday", "this Friday") is its next occurrence after today;
"next Friday" is the Friday of next calendar week. "3/14" is month/day. A date without a year
that has already passed this year means next year. "at 3" means 3 PM (the clinic is closed at
3 AM); hours 8–11 without AM/PM are mornings.
"""

from __future__ import annotations

import calendar
import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

PARTS_OF_DAY: dict[str, tuple[time, time]] = {
    "morning": (time(8, 0), time(12, 0)),
    "afternoon": (time(12, 0), time(17, 0)),
    "evening": (time(17, 0), time(20, 0)),
}
"""Each part of the day as a [start, end) range of appointment start times."""

_WEEKDAYS = [name.lower() for name in calendar.day_name]
_WEEKDAY_ABBREVIATIONS = {
    "mon": 0, "tue": 1, "tues": 1, "wed": 2, "weds": 2, "thu": 3, "thur": 3, "thurs": 3,
    "fri": 4, "sat": 5, "sun": 6,
}  # fmt: skip
_MONTHS = [name.lower() for name in calendar.month_name if name]
_MONTH_ABBREVIATIONS = {name[:3]: i + 1 for i, name in enumerate(_MONTHS)} | {"sept": 9}
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "couple": 2, "three": 3, "few": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
_PART_OF_DAY_WORDS = {
    "morning": "morning", "mornings": "morning", "afternoon": "afternoon",
    "afternoons": "afternoon", "arvo": "afternoon", "evening": "evening",
    "evenings": "evening", "tonight": "evening", "tonite": "evening",
}  # fmt: skip
_TITLES = frozenset({"dr", "doctor", "doc", "dra"})
SPECIALTIES: dict[str, tuple[str, ...]] = {
    "Family Medicine": ("family medicine", "family doctor", "primary care", "gp", "checkup",
                        "check-up", "physical", "general practitioner"),
    "Cardiology": ("cardiology", "cardiologist", "heart"),
    "Dermatology": ("dermatology", "dermatologist", "skin", "mole", "rash", "acne"),
    "Pediatrics": ("pediatrics", "pediatrician", "paediatrician", "my child", "my kid",
                   "my son", "my daughter", "baby"),
    "Orthopedics": ("orthopedics", "orthopedic", "orthopaedic", "orthopedist", "knee", "joint",
                    "bone", "fracture", "sports injury"),
    "Women's Health": ("women's health", "womens health", "gynecologist", "gynaecologist",
                       "obgyn", "ob-gyn", "ob/gyn", "pap smear", "prenatal"),
}  # fmt: skip
"""Words a patient might use for each of the clinic's specialties."""

_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?\b")
_MONTH_DAY = re.compile(r"\b([a-z]{3,10})\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4}))?")
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]{3,10})\b(?:,?\s+(\d{4}))?")
_ORDINAL_DAY = re.compile(r"\bthe\s+(\d{1,2})(?:st|nd|rd|th)\b")
_IN_N = re.compile(r"\bin\s+(?:a\s+)?(\d+|[a-z]+)\s+(?:of\s+)?(days?|weeks?|wks?|months?)\b")
_CLOCK = re.compile(r"\b(\d{1,2})[:.](\d{2})\s*(a\.?m\.?|p\.?m\.?)?(?![a-z0-9])")
_HOUR_AMPM = re.compile(r"\b(\d{1,2})\s*(a\.?m\.?|p\.?m\.?)(?![a-z])")
_AT_HOUR = re.compile(
    r"(?:\bat|@|\baround|\bby)\s*(\d{1,2})(?:\s*o'?clock)?\b"
    r"(?!\s*(?:[/:-]|days?|weeks?|months?|minutes?|mins?|hours?))"
)
_APPOINTMENT_ID = re.compile(
    r"\ba-?(\d{3,6})\b|\b(?:appointment|appt)\s*(?:#|no\.?|number|id)?\s*a?-?\s*(\d{3,6})\b"
)
_INVOICE_ID = re.compile(r"\binv(?:oice)?\s*(?:#|no\.?|number|id)?\s*-?\s*(\d{3,6})\b")
_PAYMENT_ID = re.compile(r"\bpay-\s*(\d{3,6})\b|\bpayment\s*(?:#|no\.?|number|id)\s*(\d{3,6})\b")
_AMOUNT = re.compile(
    r"\$\s?(\d[\d,]*(?:\.\d{1,2})?)|\b(\d[\d,]*(?:\.\d{1,2})?)\s*(?:dollars|usd|bucks)\b"
)
_WORD = re.compile(r"[a-z]+")


@dataclass(kw_only=True, slots=True, frozen=True)
class Slots:
    """Everything recognisable in one message; None where the message does not say."""

    day: date | None = None
    at: time | None = None
    part_of_day: str | None = None
    doctor: str | None = None
    unknown_doctor: str | None = None
    specialty: str | None = None
    appointment_id: str | None = None
    invoice_id: str | None = None
    payment_id: str | None = None
    amount: float | None = None


def extract(text: str, *, today: date, doctors: Sequence[str] = ()) -> Slots:
    """All slots of `text`; `doctors` are the clinic's doctors' names ("Priya Patel")."""
    low = text.lower()
    appointment_id, invoice_id = find_appointment_id(low), find_invoice_id(low)
    payment_id, amount = find_payment_id(low), parse_amount(low)
    # Ids and amounts are numbers too: hide them before reading dates and times.
    masked = _mask(low, _APPOINTMENT_ID, _INVOICE_ID, _PAYMENT_ID, _AMOUNT)
    doctor = match_doctor(masked, doctors)
    return Slots(
        day=parse_date(masked, today),
        at=parse_time(masked),
        part_of_day=parse_part_of_day(masked),
        doctor=doctor,
        unknown_doctor=None if doctor else titled_name(masked),
        specialty=match_specialty(masked),
        appointment_id=appointment_id,
        invoice_id=invoice_id,
        payment_id=payment_id,
        amount=amount,
    )


def _mask(text: str, *patterns: re.Pattern[str]) -> str:
    for pattern in patterns:
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _close(word: str, choices: Iterable[str], cutoff: float) -> str | None:
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return found[0] if found else None


def mentions(text: str, *keywords: str, cutoff: float = 0.8) -> bool:
    """Whether `text` contains any keyword: phrases literally, single words also with a typo
    (keywords of five letters or more, by `difflib` similarity, against words of about the same
    length and the same first letter: "cancle" is "cancel", "with" is not "switch")."""
    low = text.lower()
    words = _words(low)
    for keyword in keywords:
        if " " in keyword or not keyword.isalpha():
            if keyword in low:
                return True
            continue
        if keyword in words:
            return True
        if len(keyword) >= 5:
            similar = [w for w in words if w[0] == keyword[0] and abs(len(w) - len(keyword)) <= 2]
            if _close(keyword, similar, cutoff):
                return True
    return False


# --- dates -----------------------------------------------------------------------------------


def parse_date(text: str, today: date) -> date | None:
    """The date `text` refers to, relative to `today`; None when it names none."""
    low = text.lower()
    for parse in (_explicit_date, _relative_date, _weekday_date, _ordinal_date):
        found = parse(low, today)
        if found is not None:
            return found
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _upcoming(month: int, day: int, year: int | None, today: date) -> date | None:
    if year is not None:
        return _safe_date(year if year >= 100 else 2000 + year, month, day)
    found = _safe_date(today.year, month, day)
    if found is not None and found < today:
        found = _safe_date(today.year + 1, month, day)
    return found


def month_number(word: str) -> int | None:
    """1–12 for a month's name, abbreviation or a near miss ("Febuary"); else None."""
    word = word.lower().rstrip(".")
    if word in _MONTHS:
        return _MONTHS.index(word) + 1
    if word in _MONTH_ABBREVIATIONS:
        return _MONTH_ABBREVIATIONS[word]
    if len(word) >= 4:
        close = _close(word, _MONTHS, 0.8)
        return _MONTHS.index(close) + 1 if close else None
    return None


def _explicit_date(low: str, today: date) -> date | None:
    if m := _ISO_DATE.search(low):
        return _safe_date(int(m[1]), int(m[2]), int(m[3]))
    if m := _NUMERIC_DATE.search(low):
        return _upcoming(int(m[1]), int(m[2]), int(m[3]) if m[3] else None, today)
    for m in _MONTH_DAY.finditer(low):
        if (month := month_number(m[1])) is not None:
            return _upcoming(month, int(m[2]), int(m[3]) if m[3] else None, today)
    for m in _DAY_MONTH.finditer(low):
        if (month := month_number(m[2])) is not None:
            return _upcoming(month, int(m[1]), int(m[3]) if m[3] else None, today)
    return None


def _relative_date(low: str, today: date) -> date | None:
    words = _words(low)
    if "day after tomorrow" in low:
        return today + timedelta(days=2)
    if m := _IN_N.search(low):
        count = int(m[1]) if m[1].isdigit() else _NUMBER_WORDS.get(m[1])
        if count is not None:
            unit = m[2][0]
            if unit == "m":
                month = today.month - 1 + count
                year, month = today.year + month // 12, month % 12 + 1
                day = min(today.day, calendar.monthrange(year, month)[1])
                return date(year, month, day)
            return today + timedelta(days=count * (7 if unit == "w" else 1))
    if "next week" in low:
        return today + timedelta(days=7 - today.weekday())
    if "next month" in low:
        return date(today.year + today.month // 12, today.month % 12 + 1, 1)
    tomorrow = ("tomorrow", "tmrw", "tmr", "tmw", "tomorow", "tommorow", "tommorrow", "2morrow")
    if any(w in tomorrow for w in words) or any(
        len(w) >= 6 and _close(w, ["tomorrow"], 0.75) for w in words
    ):
        return today + timedelta(days=1)
    if any(w in ("today", "tonight", "tonite") for w in words) or re.search(
        r"\bthis\s+(morning|afternoon|evening)\b", low
    ):
        return today
    return None


def weekday_number(word: str) -> int | None:
    """0 (Monday) – 6 (Sunday) for a weekday's name, abbreviation or a near miss."""
    word = word.lower()
    if word.endswith("s") and word[:-1] in _WEEKDAYS:  # "Tuesdays"
        word = word[:-1]
    if word in _WEEKDAYS:
        return _WEEKDAYS.index(word)
    if word in _WEEKDAY_ABBREVIATIONS:
        return _WEEKDAY_ABBREVIATIONS[word]
    if len(word) >= 5:
        close = _close(word, _WEEKDAYS, 0.75)
        return _WEEKDAYS.index(close) if close else None
    return None


def _weekday_date(low: str, today: date) -> date | None:
    words = _words(low)
    for index, word in enumerate(words):
        weekday = weekday_number(word)
        if weekday is None:
            continue
        ahead = (weekday - today.weekday()) % 7 or 7
        found = today + timedelta(days=ahead)
        next_monday = today + timedelta(days=7 - today.weekday())
        if index > 0 and words[index - 1] == "next" and found < next_monday:
            found += timedelta(days=7)
        return found
    return None


def _ordinal_date(low: str, today: date) -> date | None:
    if m := _ORDINAL_DAY.search(low):
        day = int(m[1])
        for offset in range(13):
            month = today.month - 1 + offset
            found = _safe_date(today.year + month // 12, month % 12 + 1, day)
            if found is not None and found >= today:
                return found
    return None


# --- times -----------------------------------------------------------------------------------


def _hour(hour: int, meridiem: str | None) -> int | None:
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        pm = meridiem.startswith("p")
        return (hour % 12) + (12 if pm else 0)
    if 1 <= hour <= 7:  # "at 3": the clinic has no 3 AM appointments
        return hour + 12
    return hour if 0 <= hour <= 23 else None


def parse_time(text: str) -> time | None:
    """The clock time in `text` ("at 3pm", "10:30", "3.30 p.m.", "noon"); None when none."""
    low = _mask(text.lower(), _ISO_DATE, _NUMERIC_DATE)
    for pattern in (_CLOCK, _HOUR_AMPM, _AT_HOUR):
        m = pattern.search(low)
        if m is None:
            continue
        minute = int(m[2]) if pattern is _CLOCK else 0
        meridiem = (m[3] if pattern is _CLOCK else m[2] if pattern is _HOUR_AMPM else None) or None
        hour = _hour(int(m[1]), meridiem.replace(".", "") if meridiem else None)
        if hour is not None and 0 <= minute <= 59:
            return time(hour, minute)
    if re.search(r"\b(noon|midday)\b", low):
        return time(12, 0)
    return None


def parse_part_of_day(text: str) -> str | None:
    """ "morning", "afternoon" or "evening" when `text` names a part of the day (typos too)."""
    low = text.lower()
    for word in _words(low):
        if word in _PART_OF_DAY_WORDS:
            return _PART_OF_DAY_WORDS[word]
        if len(word) >= 6 and (close := _close(word, list(PARTS_OF_DAY), 0.8)):
            return close
    if "first thing" in low or "early" in _words(low):
        return "morning"
    if "after work" in low or "after school" in low:
        return "evening"
    return None


# --- doctors, ids, money ---------------------------------------------------------------------


def match_doctor(text: str, doctors: Sequence[str]) -> str | None:
    """The doctor `text` names, from `doctors` ("Priya Patel", …): by last or first name, after
    "Dr" with typos forgiven ("Dr Patle"), elsewhere only near-exact for longer names."""
    aliases: dict[str, str] = {}
    for name in doctors:
        parts = name.lower().replace("dr. ", "").split()
        aliases[parts[-1]] = name
        aliases.setdefault(parts[0], name)
    last_names = [name.lower().split()[-1] for name in doctors]
    words = _words(text)
    for index, word in enumerate(words[:-1]):
        if word in _TITLES:
            following = words[index + 1]
            close = following if following in aliases else _close(following, aliases, 0.6)
            if close:
                return aliases[close]
    for word in words:
        if word in aliases:
            return aliases[word]
    for word in words:
        if len(word) >= 5 and (close := _close(word, last_names, 0.8)):
            return aliases[close]
    return None


def titled_name(text: str) -> str | None:
    """The word after "Dr" (capitalised), whoever it names: for "we have no Dr. Smith"."""
    words = _words(text)
    for index, word in enumerate(words[:-1]):
        if word in _TITLES and words[index + 1] not in ("appointment", "visit", "office"):
            return words[index + 1].capitalize()
    return None


def match_specialty(text: str) -> str | None:
    """The clinic specialty `text` asks for ("a skin doctor" → Dermatology), if any."""
    low = f" {text.lower()} "
    for specialty, words in SPECIALTIES.items():
        if any(re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", low) for w in words):
            return specialty
    return None


def find_appointment_id(text: str) -> str | None:
    """An appointment id ("A-123", "a123", "appointment #123") as "A-123"."""
    m = _APPOINTMENT_ID.search(text.lower())
    return f"A-{m[1] or m[2]}" if m else None


def find_invoice_id(text: str) -> str | None:
    """An invoice id ("INV-2001", "invoice 2001") as "INV-2001"."""
    m = _INVOICE_ID.search(text.lower())
    return f"INV-{m[1]}" if m else None


def find_payment_id(text: str) -> str | None:
    """A payment id ("PAY-3002", "payment #3002") as "PAY-3002"."""
    m = _PAYMENT_ID.search(text.lower())
    return f"PAY-{m[1] or m[2]}" if m else None


def parse_amount(text: str) -> float | None:
    """A dollar amount ("$450", "$1,200.50", "300 dollars")."""
    m = _AMOUNT.search(text.lower())
    return float((m[1] or m[2]).replace(",", "")) if m else None


def parse_start(text: str, today: date) -> datetime | None:
    """An appointment start from an ISO datetime ("2026-03-12T10:00") or words ("tomorrow at
    10"); None unless both a day and a time are there."""
    try:
        return datetime.fromisoformat(text.strip()).replace(second=0, microsecond=0, tzinfo=None)
    except ValueError:
        pass
    day, at = parse_date(text, today), parse_time(text)
    return datetime.combine(day, at) if day and at else None


def format_day(day: date) -> str:
    """ "Thursday, March 12"."""
    return f"{day:%A, %B} {day.day}"


def format_time(at: time) -> str:
    """ "9:30 AM"."""
    return f"{at.hour % 12 or 12}:{at.minute:02d} {'AM' if at.hour < 12 else 'PM'}"


def format_when(start: datetime) -> str:
    """ "Thursday, March 12 at 9:30 AM"."""
    return f"{format_day(start.date())} at {format_time(start.time())}"


def format_money(amount: float) -> str:
    """ "$1,450.00"."""
    return f"-${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"
