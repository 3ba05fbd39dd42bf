"""Where a mention sits and what the words around it say about it: sections and traits.

Sections come from headings ("PAST MEDICAL HISTORY", "Meds:", "A/P:"), mapped to a few canonical
names. Traits follow the ConText algorithm (Harkema et al. 2009, the one medspaCy implements):
trigger phrases before a mention ("denies", "mother with", "history of") or after it ("ruled
out", "unlikely", "is negative") modify it when no clause boundary or terminating word ("but",
"however", "due to"...) stands between them. Pseudo-triggers ("not at goal", "gram-negative")
are masked first so their words trigger nothing.

The rules are ours rather than medspaCy's pipeline: the same algorithm in ~250 lines, with the
clause splitting clinical notes need (wrapped prose vs. one item a line, "E. coli" is not a
sentence end), no 4 s model load and no logging noise. Measured with the same dictionary
matches on `tests/medical/reports` (diagnosis F1, conditions wrongly asserted): medspaCy 1.3.1's
default ConText 0.89 / 9 on the development set and 0.82 / 2 on the held-out set; these rules
0.97 / 0 and 0.88 / 0.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

Trait = str
"""NEGATION, FAMILY, HISTORY or HYPOTHETICAL (a condition only considered or watched for)."""

_SECTION_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("family", "family_history"),
    ("fhx", "family_history"),
    ("fh", "family_history"),
    ("social", "social_history"),
    ("past medical", "past_history"),
    ("past history", "past_history"),
    ("medical history", "past_history"),
    ("pmh", "past_history"),
    ("pmhx", "past_history"),
    ("problem list", "past_history"),
    ("allerg", "allergies"),
    ("medication", "medications"),
    ("meds", "medications"),
    ("medicines", "medications"),
    ("prescriptions", "medications"),
    ("review of systems", "review_of_systems"),
    ("ros", "review_of_systems"),
    ("diagnos", "diagnoses"),
    ("impression", "assessment"),
    ("assessment", "assessment"),
    ("a/p", "assessment"),
    ("a", "assessment"),
    ("plan", "plan"),
    ("recommendation", "plan"),
    ("disposition", "plan"),
    ("follow-up", "plan"),
    ("follow up", "plan"),
    ("instructions", "plan"),
    ("p", "plan"),
    ("present illness", "history_of_present_illness"),
    ("hpi", "history_of_present_illness"),
    ("interval history", "history_of_present_illness"),
    ("subjective", "history_of_present_illness"),
    ("s", "history_of_present_illness"),
    ("chief complaint", "chief_complaint"),
    ("cc", "chief_complaint"),
    ("reason for", "chief_complaint"),
    ("indication", "chief_complaint"),
    ("referral question", "chief_complaint"),
    ("exam", "exam"),
    ("physical", "exam"),
    ("objective", "exam"),
    ("vitals", "exam"),
    ("o", "exam"),
    ("lab", "labs"),
    ("labs", "labs"),
    ("results", "labs"),
    ("chemistry", "labs"),
    ("blood count", "labs"),
    ("metabolic panel", "labs"),
    ("iron studies", "labs"),
    ("lipid", "labs"),
    ("cbc", "labs"),
    ("bmp", "labs"),
    ("cmp", "labs"),
    ("abg", "labs"),
    ("imaging", "imaging"),
    ("radiology", "imaging"),
    ("hospital course", "hospital_course"),
    ("course", "hospital_course"),
)

_COLON_HEADING = re.compile(r"^[ \t]*[#=*\-]*[ \t]*([A-Za-z][A-Za-z0-9 /&'()\-]{0,50}?)[ \t]*:")
_LINE_HEADING = re.compile(r"^[ \t]*([A-Za-z][A-Za-z0-9 /&'(),\-]{1,40})[ \t]*$")
_CAPS_HEADING = re.compile(r"^[ \t=#*\-]*([A-Z][A-Z0-9 /&'(),\-—]{2,70}?)[ \t=#*:\-]*$")


def section_name(heading: str) -> str | None:
    """The canonical section of a heading, or None when it is not one we know."""
    words = re.sub(r"[^a-z/ -]+", " ", heading.lower()).strip()
    padded = f" {words} "
    for keyword, name in _SECTION_KEYWORDS:
        if len(keyword) <= 3:
            if words == keyword or f" {keyword} " in padded:
                return name
        elif keyword in words:
            return name
    return None


@dataclass(kw_only=True, slots=True, frozen=True)
class Section:
    begin: int
    """Where its content starts (after the heading's colon, or the line after the heading)."""
    heading_begin: int
    name: str
    end: int | None = None
    """Where an inline heading's paragraph ends ("Allergies: penicillin." covers its paragraph
    only); None for a heading on its own line, which runs to the next heading."""


def sections(text: str) -> list[Section]:
    """Every recognised heading, in order."""
    found: list[Section] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        colon = _COLON_HEADING.match(line)
        caps = _CAPS_HEADING.match(line.rstrip("\r\n"))
        name: str | None = None
        begin = offset + len(line)
        end: int | None = None
        if colon and (name := section_name(colon.group(1))):
            begin = offset + colon.end()
            if name == "allergies":
                end = offset + len(line.rstrip("\r\n"))  # "Allergies: NKDA" is one line
            elif line[colon.end() :].strip():
                blank = re.search(r"\n[ \t]*\n", text[begin:])
                end = begin + blank.start() if blank else len(text)
        elif caps and sum(c.isalpha() for c in caps.group(1)) >= 3:
            name = section_name(caps.group(1))
        elif line_heading := _LINE_HEADING.match(line.rstrip("\r\n")):
            name = section_name(line_heading.group(1))
        if name:
            found.append(Section(begin=begin, heading_begin=offset, name=name, end=end))
        offset += len(line)
    return found


def section_at(found: list[Section], position: int) -> str | None:
    starts = [s.begin for s in found]
    i = bisect.bisect_right(starts, position) - 1
    while i >= 0:
        end = found[i].end
        if end is None or position < end:
            return found[i].name
        i -= 1
    return None


# --- clauses -------------------------------------------------------------------------------

_LIST_ITEM = re.compile(r"[ \t]*(?:[-*•#]|\d{1,2}[.)](?=\s)|\(\d{1,2}\)|[A-Za-z][A-Za-z /]{0,30}:)")
_ABBREVIATION_BEFORE_DOT = re.compile(
    r"(?:\b[A-Za-z]|\b(?:Dr|Mr|Mrs|Ms|vs|St|approx|Pt|pt|No|e\.g|i\.e|etc))$"
)


def clause_bounds(text: str, headings: Iterable[Section] = ()) -> list[int]:
    """Sorted offsets where a clause ends: sentence ends, semicolons, headings and the line
    breaks that separate items (not those that wrap prose)."""
    bounds = {0, len(text)}
    for m in re.finditer(r"[.!?](?=\s)", text):
        if m.group() == "." and _ABBREVIATION_BEFORE_DOT.search(
            text, max(0, m.start() - 8), m.start()
        ):
            continue
        bounds.add(m.end())
    for m in re.finditer(r";(?=\s)|\|", text):
        bounds.add(m.end())
    lines = text.split("\n")
    offset = 0
    for i, line in enumerate(lines):
        end = offset + len(line)
        following = lines[i + 1] if i + 1 < len(lines) else ""
        wraps = (
            len(line.rstrip()) >= 60 and following.strip() != "" and not _LIST_ITEM.match(following)
        )
        if not wraps:
            bounds.add(end)
        offset = end + 1
    for section in headings:
        bounds.add(section.heading_begin)
        bounds.add(section.begin)
    return sorted(bounds)


# --- triggers ------------------------------------------------------------------------------


def _phrases(*items: str) -> re.Pattern[str]:
    ordered = sorted(items, key=len, reverse=True)
    body = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in ordered)
    return re.compile(rf"(?<![\w/-])(?:{body})(?![\w/])", re.IGNORECASE)


_PSEUDO = _phrases(
    "not at goal", "not to goal", "not well controlled", "not controlled", "not met",
    "no change", "no significant change", "no increase", "not only", "not needed", "not used",
    "not certain", "not improved", "gram negative", "gram-negative", "no further",
    "history of present illness", "family history:", "social history", "medical history",
    "surgical history", "not necessarily", "without difficulty",
)  # fmt: skip
_NEGATION_BEFORE = _phrases(
    "no", "not", "denies", "denied", "deny", "denying", "without", "negative for",
    "no evidence of", "no signs of", "no sign of", "free of", "absence of", "never had",
    "not consistent with", "ruled out for", "rules out", "neither", "nor", "never",
)  # fmt: skip
_NEGATION_AFTER = _phrases(
    "ruled out", "was ruled out", "is ruled out", "has been ruled out", "unlikely",
    "is unlikely", "negative", "is negative", "was negative", "not suspected",
    "is not suspected", "excluded", "was excluded", "absent", "not present", "not seen",
)  # fmt: skip
_FAMILY_BEFORE = _phrases(
    "family history of", "family history", "fhx", "fh of", "mother", "father", "sister",
    "brother", "sibling", "siblings", "son", "daughter", "aunt", "uncle", "grandmother",
    "grandfather", "grandparent", "grandparents", "cousin", "parent", "parents", "maternal",
    "paternal", "relative", "relatives", "mom", "dad",
)  # fmt: skip
_FAMILY_AFTER = _phrases(
    "in her mother", "in his mother", "in her father", "in his father", "in a sibling",
    "runs in the family", "in the family",
)  # fmt: skip
_HISTORY_BEFORE = _phrases(
    "history of", "hx of", "h/o", "s/p", "status post", "prior", "previous", "previously",
    "past", "remote", "pmh", "pmhx",
)  # fmt: skip
_HISTORY_AFTER = _phrases("resolved", "in remission", "in the past")
_DATED_EVENT_AFTER = re.compile(r"^[ \t]*(?:in|during)[ \t]+(?:\d{1,2}/)?(?:19|20)\d\d\b")
"""A condition dated to a past year right after its name ("a TIA in 2021") is history; "since
2019" (still going) is not."""
_HYPOTHETICAL_BEFORE = _phrases(
    "rule out", "r/o", "to rule out", "evaluate for", "evaluation for", "eval for",
    "screen for", "screening for", "risk of", "risk for", "at risk", "prophylaxis for",
    "prophylaxis of", "prn", "as needed for", "if", "return if", "call if", "call for",
    "monitor for", "watch for", "in case of", "consider", "sooner for", "sooner if",
    "earlier for", "earlier if", "return for", "seek care for", "warning signs", "warning signs of",
    "red flags", "red flag symptoms",
)  # fmt: skip
_HYPOTHETICAL_AFTER = _phrases(
    "prophylaxis", "precautions", "goal", "goals", "workup", "work-up", "work up"
)  # fmt: skip
_TERMINATE = _phrases(
    "but", "however", "although", "though", "except", "aside from", "apart from", "which",
    "who", "secondary to", "due to", "likely", "presents with", "presented with",
    "complicated by", "with relief", "concerning for", "now",
)  # fmt: skip
_MAX_WORDS_BEFORE = 12


@dataclass(kw_only=True, slots=True)
class Scope:
    """The text a mention's clause spans before and after it, with pseudo-triggers masked."""

    before: str
    after: str


def scope(text: str, bounds: list[int], begin: int, end: int) -> Scope:
    i = bisect.bisect_right(bounds, begin) - 1
    start = bounds[max(i, 0)]
    j = bisect.bisect_left(bounds, end)
    stop = bounds[min(j, len(bounds) - 1)]
    before = _mask(text[start:begin])
    after = _mask(text[end:stop])
    cut = list(_TERMINATE.finditer(before))
    if cut:
        before = before[cut[-1].end() :]
    first = _TERMINATE.search(after)
    if first:
        after = after[: first.start()]
    return Scope(before=before, after=after)


def _mask(span: str) -> str:
    return _PSEUDO.sub(lambda m: " " * len(m.group()), span)


def _before(pattern: re.Pattern[str], span: str) -> bool:
    hits = list(pattern.finditer(span))
    if not hits:
        return False
    words_between = len(re.findall(r"[A-Za-z0-9]+", span[hits[-1].end() :]))
    return words_between <= _MAX_WORDS_BEFORE


def traits(around: Scope, section: str | None) -> list[Trait]:
    """The ConText traits of a condition mention."""
    found: list[Trait] = []
    if _before(_NEGATION_BEFORE, around.before) or _NEGATION_AFTER.search(around.after):
        found.append("NEGATION")
    if (
        section == "family_history"
        or _before(_FAMILY_BEFORE, around.before)
        or _FAMILY_AFTER.search(around.after)
    ):
        found.append("FAMILY")
    if (
        section == "past_history"
        or _before(_HISTORY_BEFORE, around.before)
        or _HISTORY_AFTER.search(around.after)
        or _DATED_EVENT_AFTER.match(around.after)
    ):
        found.append("HISTORY")
    if _before(_HYPOTHETICAL_BEFORE, around.before) or _HYPOTHETICAL_AFTER.search(around.after):
        found.append("HYPOTHETICAL")
    return found
