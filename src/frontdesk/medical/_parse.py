"""Values next to a name: a lab's result and unit, a drug's dose, route and frequency.

Each parser looks at the text right after a matched name, on the same line, and accepts only
light filler in between ("Glucose, fasting 172", "Na: 138", "WBC ........ 18.9"), so a number
that belongs to something else is never taken. Reference ranges, thresholds ("Plt < 50") and
ranges of values ("glucose 140-210") are not results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"

# Lab units as written -> one spelling each (the spellings `labs.csv` uses).
_LAB_UNITS = {
    "mg/dl": "mg/dL", "mmol/l": "mmol/L", "meq/l": "mEq/L", "g/dl": "g/dL", "g/l": "g/L",
    "u/l": "U/L", "iu/l": "IU/L", "iu/ml": "IU/mL", "ng/ml": "ng/mL", "ng/l": "ng/L",
    "ng/dl": "ng/dL", "pg/ml": "pg/mL", "pg": "pg", "fl": "fL", "%": "%", "mg/l": "mg/L",
    "mg/g": "mg/g", "ug/dl": "ug/dL", "µg/dl": "ug/dL", "mcg/dl": "ug/dL", "ug/l": "ug/L",
    "umol/l": "umol/L", "µmol/l": "umol/L", "nmol/l": "nmol/L", "pmol/l": "pmol/L",
    "mmol/mol": "mmol/mol", "miu/l": "mIU/L", "uiu/ml": "uIU/mL", "µiu/ml": "uIU/mL",
    "miu/ml": "mIU/mL", "x10^9/l": "x10^9/L", "x 10^9/l": "x10^9/L", "×10^9/l": "x10^9/L",
    "10^9/l": "x10^9/L", "x10^12/l": "x10^12/L", "x 10^12/l": "x10^12/L",
    "10^12/l": "x10^12/L", "k/ul": "K/uL", "k/µl": "K/uL", "10^3/ul": "10^3/uL",
    "x10^3/ul": "10^3/uL", "10*3/ul": "10*3/uL", "thou/ul": "K/uL", "m/ul": "M/uL",
    "10^6/ul": "10^6/uL", "10*6/ul": "10*6/uL", "ml/min/1.73m2": "mL/min/1.73m2",
    "ml/min/1.73 m2": "mL/min/1.73m2", "ml/min/1.73m²": "mL/min/1.73m2",
    "ml/min/1.73 m²": "mL/min/1.73m2", "ml/min": "mL/min", "mm/h": "mm/h", "mm/hr": "mm/h",
    "mmhg": "mmHg", "mm hg": "mmHg", "sec": "s", "seconds": "s", "s": "s",
    "ng/ml feu": "ng/mL FEU", "ug/ml feu": "ug/mL FEU", "mg/l feu": "mg/L FEU",
    "cells/ul": "cells/uL", "/ul": "/uL", "copies/ml": "copies/mL", "mg/mg": "mg/mg",
    "g/g": "g/g",
}  # fmt: skip
_LAB_UNIT = re.compile(
    r"[ \t]*(?P<unit>"
    + "|".join(re.escape(u) for u in sorted(_LAB_UNITS, key=len, reverse=True))
    + r")(?![A-Za-z0-9µ²])",
    re.IGNORECASE,
)
_LAB_FILLER = re.compile(
    r"(?:[ \t:=|.,\-–—()]|(?<=[A-Za-z0-9)])[ \t]*\n[ \t]*(?=\d)|"
    r"\b(?:of|was|is|are|level|levels|value|result|serum|plasma|blood|fasting|random|total|today|now|measured|at|calculated|calc)\b)*",
    re.IGNORECASE,
)
_LAB_VALUE = re.compile(rf"(?P<cmp>[<>≤≥]=?[ \t]*)?(?P<num>{NUMBER})(?P<range>[ \t]*[-–][ \t]*\d)?")
_FLAG = re.compile(r"[ \t]*(?:\((?:H|L|HH|LL|high|low|critical|abnormal)\)|\b(?:H|L|HIGH|LOW)\b)")
_SERIAL = re.compile(
    rf"[ \t]*(?:(?:at|on)[ \t]+[^,;\n]{{1,15}}?)?[ \t]*(?P<sep>->|-->|→|,[ \t]*then|then|,)"
    rf"[ \t]*(?P<num>{NUMBER})"
)
_PRIOR = re.compile(
    rf"[ \t]*\((?:was|baseline|prior|previous(?:ly)?|from|up from|down from)[ \t]*:?[ \t]*"
    rf"(?P<num>{NUMBER})"
)
_MONTH = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_OCCASION = (
    rf"{_MONTH}|weeks?|wks?|days?|months?|years?|trimester|(?:pre|post)-\w+|repeat|recheck"
    r"|(?:pre|post)(?:op|operative|treatment|transfusion|dialysis|partum|prandial)"
    r"|admission|admit|discharge|last|initial|earlier|ago|yesterday|visit|nadir|peak|c\d+d\d+"
    r"|\d{1,2}/\d{1,2}(?:/\d{2,4})?"
)
_DATED_PRIOR = re.compile(
    rf"[ \t]*\((?P<label>(?:[A-Za-z0-9/\-]+[ \t]+){{0,3}}?(?:{_OCCASION})\b(?:[ \t]+[A-Za-z]+)?)"
    rf"[ \t]*:?[ \t]*(?P<num>{NUMBER})(?=[ \t]*[^\s\d/:.,;)][^),;]{{0,15}}[),;]|[ \t]*[),;])",
    re.IGNORECASE,
)
"""An earlier result in parentheses, labelled by when it was taken: "(August: 10.2 g/dL)",
"(C6D1: 2.4)", "(12 weeks: 11.6 g/dL)", "(repeat 02/28: 4.9)", "(pre-operative 14.6 ng/mL)".
The label must name an occasion, so "(Plt 96)" or "(ref 40)" is not one."""


@dataclass(kw_only=True, slots=True, frozen=True)
class Span:
    text: str
    begin: int
    end: int


@dataclass(kw_only=True, slots=True, frozen=True)
class LabValue:
    value: float
    value_span: Span
    unit: str | None
    """Canonical spelling, None when the report gives none."""
    unit_span: Span | None


def number(text: str) -> float:
    """A number as written ("1,850", ".5")."""
    return _number(text)


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _span(m: re.Match[str], group: str) -> Span:
    return Span(text=m.group(group), begin=m.start(group), end=m.end(group))


def _line_end(text: str, pos: int, limit: int) -> int:
    newline = text.find("\n", pos)
    return min(newline if newline >= 0 else len(text), pos + limit)


_NEXT_LINE_ITEM = re.compile(r"\n(?:[ \t]{2,}|[ \t]*(?:[-*•#]|\d{1,2}[.)](?=\s)))")


def prose_end(text: str, pos: int, limit: int) -> int:
    """Like the end of `pos`'s line, but a line of wrapped prose (60+ characters, the next
    line neither indented nor a list item) runs on into the next line."""
    end = _line_end(text, pos, limit)
    if end >= len(text) or text[end] != "\n" or end - pos >= limit:
        return end
    line_start = text.rfind("\n", 0, pos) + 1
    if end - line_start < 60 or _NEXT_LINE_ITEM.match(text, end) or text[end + 1 : end + 2] == "\n":
        return end
    return _line_end(text, end + 1, limit - (end + 1 - pos))


def lab_values(text: str, end: int) -> list[LabValue]:
    """The result(s) written after a lab name ending at `end`: the first value and any serial
    or prior values in the same unit ("22 ng/L -> 24 ng/L", "2.8 mmol/L (was 4.6)")."""
    stop = _line_end(text, end, 120)
    if text[end:stop].strip() == "":
        stop = prose_end(text, end, 120)  # "Baseline creatinine\n1.6 mg/dL" in wrapped prose
    filler = _LAB_FILLER.match(text, end, stop)
    pos = filler.end() if filler else end
    if pos - end > 40:
        return []
    first = _LAB_VALUE.match(text, pos, stop)
    if first is None or first.group("cmp") or first.group("range"):
        return []
    if re.match(r"[A-Za-z]", text[first.end() : first.end() + 1]):
        return []  # "3 months", "2nd"
    found = [_lab_value(text, first, stop)]
    pos = (found[0].unit_span or found[0].value_span).end
    while True:
        flag = _FLAG.match(text, pos, stop)
        if flag:
            pos = flag.end()
        serial = _SERIAL.match(text, pos, stop)
        prior = _PRIOR.match(text, pos, stop) or _dated_prior(text, pos, stop, found[0].unit)
        if prior:
            found.append(_lab_value(text, prior, stop))
            pos = text.find(")", prior.end(), stop)
            pos = prior.end() if pos < 0 else pos + 1
            continue
        if serial:
            value = _lab_value(text, serial, stop)
            same_unit = value.unit is not None and value.unit == found[0].unit
            if serial.group("sep") == "," and not same_unit:
                break
            if serial.group("sep") != "," and value.unit not in (None, found[0].unit):
                break
            found.append(value)
            pos = (value.unit_span or value.value_span).end
            continue
        break
    return found


def _dated_prior(text: str, pos: int, stop: int, unit: str | None) -> re.Match[str] | None:
    m = _DATED_PRIOR.match(text, pos, stop)
    if m is None or re.match(r"[ \t]*[-–]", text[m.end() : stop]):
        return None  # a range, not a value
    after = _LAB_UNIT.match(text, m.end(), stop)
    if after and _LAB_UNITS[after.group("unit").lower()] != unit:
        return None  # another quantity ("(28 %)" after a count)
    if not re.match(r"[ \t]*[),;]", text[(after or m).end() : stop]):
        return None
    return m


def _lab_value(text: str, m: re.Match[str], stop: int) -> LabValue:
    unit = _LAB_UNIT.match(text, m.end("num"), stop)
    unit_span = None
    canonical = None
    if unit:
        canonical = _LAB_UNITS[unit.group("unit").lower()]
        unit_span = _span(unit, "unit")
    return LabValue(
        value=_number(m.group("num")),
        value_span=_span(m, "num"),
        unit=canonical,
        unit_span=unit_span,
    )


# --- medications ---------------------------------------------------------------------------

_DOSE_UNITS = {
    "units/kg/hr": "units/kg/h", "units/kg/h": "units/kg/h", "units/kg": "units/kg",
    "mg/kg/min": "mg/kg/min", "mcg/kg/min": "mcg/kg/min", "mcg/min": "mcg/min",
    "mg/min": "mg/min", "mg/hr": "mg/h", "mg/h": "mg/h", "units/hr": "units/h",
    "units/h": "units/h", "mg/kg": "mg/kg", "mcg/kg": "mcg/kg", "mg/ml": "mg/mL", "mg": "mg",
    "milligrams": "mg", "mcg": "mcg", "µg": "mcg", "ug": "mcg", "micrograms": "mcg", "g": "g",
    "gm": "g", "grams": "g", "gram": "g", "units": "units", "unit": "units", "u": "units",
    "iu": "units", "meq": "mEq", "ml": "mL", "mmol": "mmol", "puffs": "puffs", "puff": "puffs",
    "%": "%", "drops": "drops", "sprays": "sprays", "l": "L", "liters": "L", "litres": "L",
    "mg/m2": "mg/m2", "mg/m²": "mg/m2", "mcg/m2": "mcg/m2", "g/m2": "g/m2", "units/m2": "units/m2",
}  # fmt: skip
DOSE = re.compile(
    rf"(?P<amount>(?:{NUMBER})(?:[ \t]*[-/][ \t]*(?:{NUMBER}))*)[ \t]*(?P<unit>"
    + "|".join(re.escape(u) for u in sorted(_DOSE_UNITS, key=len, reverse=True))
    + r")(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_DOSE_FILLER_WORDS = frozenset(
    "er xr xl sr dr cr la cd hcl hfa succinate tartrate besylate sodium potassium tablet "
    "tablets tab tabs capsule capsules cap caps to at of dose dosed increased decreased "
    "reduced from inhaler injection solution oral extended release delayed patch pen "
    "flexpen kwikpen by infusion drip bolus".split()
    # A dose written after a plan verb, away from the name ("metformin, increase to 1000 mg",
    # "norepinephrine weaned from 12 to 6 mcg/min", "aspart via pump (basal 0.9 units/h)").
    + "increase increasing decrease decreasing reduce reducing titrate titrated titrating "
    "uptitrate uptitrated wean weaned weaning taper tapered continue continued resume resumed "
    "restart restarted start started give given take takes taking change changed adjust "
    "adjusted via pump basal rate then now home current currently usual new total".split()
)  # fmt: skip
# "give 80% dose (14 units)": a share of the usual dose, not a dose.
_SHARE_OF_DOSE = re.compile(
    r"[ \t]*(?:of[ \t]+(?:the[ \t]+|her[ \t]+|his[ \t]+)?)?(?:usual[ \t]+|home[ \t]+)?dose\b", re.I
)
_ROUTES: tuple[tuple[str, str], ...] = (
    (r"p\.?o\.?|by mouth|orally|oral", "oral"),
    (r"i\.?v\.?|ivpb|iv push|intravenous(?:ly)?", "IV"),
    (r"s\.?c\.?|s\.?q\.?|subcut(?:aneous(?:ly)?)?|sub-?q", "subcutaneous"),
    (r"i\.?m\.?|intramuscular(?:ly)?", "IM"),
    (r"inhaled|inhalation|inh|via inhaler", "inhaled"),
    (r"nebs?|nebulized|nebulizer|via nebulizer", "nebulized"),
    (r"s\.?l\.?|sublingual(?:ly)?", "sublingual"),
    (r"p\.?r\.?|rectal(?:ly)?", "rectal"),
    (r"topical(?:ly)?", "topical"),
    (r"transdermal(?:ly)?", "transdermal"),
    (r"intranasal(?:ly)?|nasal", "nasal"),
)
_FREQUENCIES: tuple[tuple[str, str], ...] = (
    (r"q\.?\s?(\d+)\s?h(?:rs?|ours?)?|every\s(\d+)\s(?:hours|hrs|h)", "q{}h"),
    (r"q\.?\s?(\d+)\s?min|every\s(\d+)\s(?:minutes|min)", "q{}min"),
    (r"b\.?i\.?d\.?|twice\s(?:a\s)?dail?y|twice\sa\sday|two\stimes\s(?:a\s)?day", "BID"),
    (r"t\.?i\.?d\.?|three\stimes\s(?:a\s)?dail?y|three\stimes\sa\sday", "TID"),
    (r"q\.?i\.?d\.?|four\stimes\s(?:a\s)?dail?y|four\stimes\sa\sday", "QID"),
    (r"q\.?h\.?s\.?|at\sbedtime|nightly|every\snight|at\snight", "at bedtime"),
    (r"q\.?\s?am|every\smorning|in\sthe\smorning", "every morning"),
    (r"q\.?\s?pm|every\sevening|in\sthe\sevening", "every evening"),
    (r"once\sweekly|weekly|once\sa\sweek|every\sweek|q\.?\s?week", "weekly"),
    (r"monthly|once\sa\smonth|every\smonth", "monthly"),
    (r"every\sother\sday|q\.?o\.?d\.?", "every other day"),
    (r"once\s(?:a\s)?dail?y|once\sa\sday|q\.?d\.?|daily|every\sday|per\sday|a\sday", "daily"),
    (r"with\smeals|before\smeals|a\.?c\.?", "with meals"),
    (r"sliding\sscale|correction\sscale", "sliding scale"),
    (r"once|x\s?1|one\stime|single\sdose", "once"),
)
_PRN = re.compile(r"(?<![A-Za-z])(?:p\.?r\.?n\.?|as\sneeded)(?![A-Za-z])", re.IGNORECASE)
_ROUTE_RES = [
    (re.compile(rf"(?<![A-Za-z])(?:{p})(?![A-Za-z])", re.IGNORECASE), n) for p, n in _ROUTES
]
_FREQUENCY_RES = [
    (re.compile(rf"(?<![A-Za-z])(?:{p})(?![A-Za-z])", re.IGNORECASE), n) for p, n in _FREQUENCIES
]


@dataclass(kw_only=True, slots=True, frozen=True)
class Dose:
    text: str
    """Normalised: amount, one space, unit ("500 mg", "24/26 mg", "4-6 units")."""
    span: Span


def normalise_dose(amount: str, unit: str) -> str:
    amount = re.sub(r"\s+", "", amount).replace(",", "")
    amount = re.sub(r"(?<![\d])\.(\d)", r"0.\1", amount)
    return f"{amount} {_DOSE_UNITS[unit.lower()]}"


def dose_after(text: str, begin: int, stop: int, skip: list[tuple[int, int]]) -> Dose | None:
    """The first dose in text[begin:stop] reached over filler words only; `skip` lists spans
    to step over (a parenthesised brand of the same drug)."""
    m = DOSE.search(text, begin, stop)
    while m is not None and m.group("unit") == "%" and _SHARE_OF_DOSE.match(text, m.end()):
        m = DOSE.search(text, m.end(), stop)
    if m is None:
        return None
    gap = text[begin : m.start()]
    for b, e in skip:
        if begin <= b and e <= m.start():
            gap = gap.replace(text[b:e], " ")
    words = re.findall(r"[A-Za-z]+", gap)
    if any(w.lower() not in _DOSE_FILLER_WORDS for w in words) or len(gap) > 40:
        return None
    return Dose(
        text=normalise_dose(m.group("amount"), m.group("unit")),
        span=Span(text=m.group(), begin=m.start(), end=m.end()),
    )


def dose_before(text: str, begin: int) -> Dose | None:
    """A dose written just before the drug name ("took 325 mg aspirin")."""
    line_start = text.rfind("\n", 0, begin) + 1
    head = text[max(line_start, begin - 30) : begin]
    m = re.search(DOSE.pattern + r"[ \t]+(?:of[ \t]+)?$", head, re.IGNORECASE)
    if m is None:
        return None
    offset = begin - len(head)
    return Dose(
        text=normalise_dose(m.group("amount"), m.group("unit")),
        span=Span(text=text[offset + m.start() : offset + m.end("unit")], begin=offset + m.start(),
                  end=offset + m.end("unit")),
    )  # fmt: skip


def route_in(text: str, begin: int, stop: int) -> tuple[str, Span] | None:
    best: tuple[str, Span] | None = None
    for pattern, name in _ROUTE_RES:
        m = pattern.search(text, begin, stop)
        if m and (best is None or m.start() < best[1].begin):
            best = (name, Span(text=m.group(), begin=m.start(), end=m.end()))
    return best


def frequency_in(text: str, begin: int, stop: int) -> tuple[str, Span] | None:
    best: tuple[str, Span] | None = None
    for pattern, template in _FREQUENCY_RES:
        m = pattern.search(text, begin, stop)
        if m and (best is None or m.start() < best[1].begin):
            number = next((g for g in m.groups() if g), "")
            best = (template.format(number), Span(text=m.group(), begin=m.start(), end=m.end()))
    prn = _PRN.search(text, begin, stop)
    if prn is None:
        return best
    if best is None:
        return "PRN", Span(text=prn.group(), begin=prn.start(), end=prn.end())
    start, end = min(best[1].begin, prn.start()), max(best[1].end, prn.end())
    return f"{best[0]} PRN", Span(text=text[start:end], begin=start, end=end)


_SECOND_PART = re.compile(
    rf"[ \t]*/[ \t]*(?P<amount>{NUMBER})[ \t]*(?P<unit>"
    + "|".join(re.escape(u) for u in sorted(_DOSE_UNITS, key=len, reverse=True))
    + r")(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def combination_dose(text: str, dose: Dose) -> Dose | None:
    """The dose of a two-ingredient product, or None when `dose` has one part: "50-12.5 mg"
    and "49/51 mg" as they are, "600 mg/400 IU" as "600 mg/400 units"."""
    m = DOSE.match(text, dose.span.begin)
    if m is None:
        return None
    if re.search(r"\d[ \t]*[-/][ \t]*[\d.]", m.group("amount")):
        return dose
    second = _SECOND_PART.match(text, m.end())
    if second is None:
        return None
    first = normalise_dose(m.group("amount"), m.group("unit"))
    other = normalise_dose(second.group("amount"), second.group("unit"))
    return Dose(
        text=f"{first}/{other}",
        span=Span(text=text[m.start() : second.end()], begin=m.start(), end=second.end()),
    )


_DOSE_CHANGE = re.compile(
    r"\b(?:continued|reduced|decreased|increased|titrated|uptitrated|changed|weaned|tapered|"
    r"resumed|restarted)\b[ \t\n]+(?:(?:back|down|up)[ \t\n]+)?(?:to|at)[ \t\n]+",
    re.IGNORECASE,
)


def changed_dose(text: str, begin: int, stop: int) -> Dose | None:
    """A new dose for the same drug later in its clause ("glargine 30 units nightly, continued
    at 24 units", "metoprolol 25 mg BID increased to 50 mg BID")."""
    change = _DOSE_CHANGE.search(text, begin, stop)
    if change is None:
        return None
    m = DOSE.match(text, change.end(), stop)
    if m is None:
        return None
    return Dose(
        text=normalise_dose(m.group("amount"), m.group("unit")),
        span=Span(text=m.group(), begin=m.start(), end=m.end()),
    )
