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
"""NEGATION (absent), POSSIBLE (uncertain: "possible", "rule out", "concerning for"), FAMILY
(someone else's: a relative, a partner, a contact), HISTORY (ConText's "historical": began
more than about two weeks before, or told as past history), HYPOTHETICAL (might happen or to
watch for: "return if", "risk of", "prophylaxis"), RESOLVED (said to be over: "resolved", "in
remission") and TREATED ("s/p", "treated", "years ago": over for an episode, not for a chronic
condition). The last two are not ConText traits: they decide whether a past condition is still
a current problem."""

_SECTION_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("family", "family_history"),
    ("fhx", "family_history"),
    ("fh", "family_history"),
    ("social", "social_history"),
    ("resolved", "resolved_history"),
    ("historical", "resolved_history"),
    ("inactive", "resolved_history"),
    ("past problems", "resolved_history"),
    ("rule-outs", "rule_outs"),
    ("rule outs", "rule_outs"),
    ("differential", "rule_outs"),
    ("surgical", "surgical_history"),
    ("psh", "surgical_history"),
    ("pshx", "surgical_history"),
    ("procedures", "surgical_history"),
    ("operations", "surgical_history"),
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


_NOT_A_HEADING = re.compile(
    r"\b(?:medicine|associates|clinic|clinics|hospital|cent(?:er|re)|practice|group|department|"
    r"dept|health|healthcare|services|partners|university|institute|llc|inc|pc|md|do|dr|"
    r"physicians?|specialists?)\b",
    re.IGNORECASE,
)
"""A line without a colon that names a practice ("Riverside Family Medicine", "LAKESIDE
PEDIATRIC ASSOCIATES") is a letterhead or an address, not a section heading."""


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


def _heading_name(line: str) -> str | None:
    """The section a colon-less heading line names, or None for a letterhead."""
    return None if _NOT_A_HEADING.search(line) else section_name(line)


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
            if name == "allergies" and line[colon.end() :].strip():
                end = offset + len(line.rstrip("\r\n"))  # "Allergies: NKDA" is one line
            elif line[colon.end() :].strip():
                blank = re.search(r"\n[ \t]*\n", text[begin:])
                end = begin + blank.start() if blank else len(text)
        elif caps and sum(c.isalpha() for c in caps.group(1)) >= 3:
            name = _heading_name(caps.group(1))
        elif line_heading := _LINE_HEADING.match(line.rstrip("\r\n")):
            name = _heading_name(line_heading.group(1))
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


# --- layout --------------------------------------------------------------------------------

_FLATTENED = re.compile(
    r"(?<=[.:;])[ \t]*,(?=[ \t]*\S)"  # ".,PAST MEDICAL HISTORY:," / "stable.,  2. COPD"
    r"|,(?=[ \t]*(?:[A-Z][A-Z0-9 /&'()\-]{2,60}:|\d{1,2}[.)][ \t]|#[ \t]*\w))",
)
"""(A comma before "- item" stays: "+ leg swelling, - chest pain" is one line of findings.)"""


def layout(text: str) -> str:
    """`text` with the line breaks an EHR export flattened into commas put back, same length
    (so offsets still hold): ".,", ":," and a comma before a CAPITALISED HEADING:, a numbered
    item or a bullet become line breaks. "…intolerance.,PAST MEDICAL HISTORY:,  COPD" reads
    as three lines; ordinary commas stay."""
    return _FLATTENED.sub("\n", text)


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


def _patterns(*items: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{i})" for i in items), re.IGNORECASE)


_PSEUDO = _phrases(
    "not at goal", "not to goal", "not well controlled", "not controlled", "not met",
    "no change", "no significant change", "no increase", "not only", "not needed", "not used",
    "not improved", "gram negative", "gram-negative", "no further", "not indicated",
    "history of present illness", "family history:", "social history", "medical history",
    "surgical history", "not necessarily", "without difficulty", "no new", "not yet",
)  # fmt: skip
_PSEUDO_EXPERIENCER = _patterns(
    r"\b(?:mother|mom|mum|father|dad|parents?|wife|husband|spouse|partner|daughter|son|family|"
    r"caregiver|sister|brother|friend|roommate|grandmother|grandfather)\s+(?:states?|says|said|"
    r"reports?|reported|notes?|noted|noticed|denies|deny|denied|endorses?|is\s+worried|worries|"
    r"was\s+worried|feels|felt|thinks|thought|believes|brought\s+(?:him|her)|is\s+concerned|"
    r"concerned|describes|observed|witnessed|found\s+(?:him|her))\b",
    r"\bper\s+(?:his|her|the)\s+(?:mother|mom|father|dad|parents?|wife|husband|family|daughter|son)\b",
    r"\b(?:brought\s+in\s+by|accompanied\s+by)\s+(?:his|her|the)?\s*\w+",
    r"\b(?:caller|informant|historian)\b(?:\s*\(\s*\w+\s*\))?",
    r"\((?:wife|husband|mother|mom|father|dad|daughter|son|partner|caregiver)\)\s*(?:states?|says|"
    r"reports?|notes?)\b",
    r"\b(?:mother|father|parents?)\s+of\s+(?:the\s+)?(?:baby|patient|infant|child)\b",
    r"\bborn\s+to\s+(?:a|an|the)?\s*(?:[\w-]+\s+){0,4}?(?:mother|mom|mum|parents?)\b",
    # the one a plan is explained to: "return precautions reviewed with mother"
    r"\b(?:reviewed|discussed|explained|counsell?ed|went\s+over|gone\s+over|given|provided|"
    r"instructed|educated|taught|spoke|talked|agreed)\s+(?:\w+\s+){0,2}?(?:with|to)\s+(?:the\s+)?"
    r"(?:patient'?s?\s+|pt'?s?\s+)?(?:and\s+)?(?:mother|mom|mum|father|dad|parents?|family|wife|"
    r"husband|spouse|partner|caregiver|daughter|son|guardian)\b",
    r"\b(?:mother|mom|mum|father|dad|parents?|family|wife|husband|spouse|partner|caregiver|"
    r"daughter|son|guardian)\s+(?:verbali[sz]ed|voiced|expressed|understands|agrees|agreed|"
    r"(?:is|was)\s+(?:at\s+(?:the\s+)?bedside|in\s+agreement|comfortable))\b",
)
"""Someone telling about the patient ("Mother says his headaches are worse"): an informant,
not whose condition it is."""
_NEGATION_BEFORE = _phrases(
    "no", "not", "denies", "denied", "deny", "denying", "without", "negative for", "neg for",
    "neg", "no evidence of", "no signs of", "no sign of", "free of", "absence of", "never had",
    "not consistent with", "ruled out for", "rules out", "neither", "nor", "never", "none",
    "no history of", "no known", "no hx of", "resolution of", "absent", "negative",
)  # fmt: skip
_NEGATION_AFTER = _phrases(
    "ruled out", "was ruled out", "is ruled out", "has been ruled out", "were ruled out",
    "unlikely", "is unlikely", "negative", "is negative", "was negative", "were negative",
    "not suspected", "is not suspected", "excluded", "was excluded", "absent", "is absent",
    "not present", "is not present", "not seen", "not identified", "not appreciated",
    "not found", "not detected", "resolved completely", "denied",
)  # fmt: skip
_POSSIBLE_BEFORE = _phrases(
    "possible", "possibly", "probable", "probably", "likely", "most likely", "suspected",
    "suspect", "suspicious for", "suspicion for", "suspicion of", "concerning for",
    "concern for", "worrisome for", "worrying for", "may represent", "may have", "might have",
    "could have", "could be", "may be", "questionable", "question of", "query", "?",
    "rule out", "r/o", "to rule out", "rule-out", "evaluate for", "evaluation for", "eval for",
    "workup for", "work up for", "cannot exclude", "cannot rule out", "can't rule out",
    "can not exclude", "unable to exclude", "differential includes", "differential diagnosis",
    "ddx", "differential", "versus", "vs", "vs.", "presumed", "presumptive", "suggestive of",
    "suggesting", "suggests", "low suspicion for", "low suspicion of", "to confirm",
    "not certain whether", "not sure whether", "not sure if", "uncertain", "equivocal",
    "borderline for", "consider", "considering", "to assess for", "to evaluate for",
    "testing for", "tested for", "compatible with", "raises the possibility of",
    "may reflect", "could reflect", "might reflect", "may indicate", "could indicate",
    "may be due to", "may be related to",
)  # fmt: skip
_POSSIBLE_AFTER = _phrases(
    "not excluded", "not ruled out", "cannot be excluded", "cannot be ruled out",
    "can't be excluded", "can't be ruled out", "could not be excluded", "to be ruled out",
    "must be ruled out", "needs to be ruled out", "not entirely excluded",
    "not completely excluded", "is likely", "likely", "is suspected", "suspected",
    "is possible", "possible", "vs", "versus", "is questionable", "?", "not confirmed",
    "never confirmed", "to be confirmed", "is in the differential", "in the differential",
    "is favored", "is a consideration", "less likely", "workup", "work-up", "work up",
    "evaluation", "panel pending", "pcr pending", "testing pending",
)  # fmt: skip
_FAMILY_BEFORE = _phrases(
    "family history of", "family history", "fhx", "fh of", "fh", "mother", "father", "sister",
    "brother", "sibling", "siblings", "son", "daughter", "aunt", "uncle", "grandmother",
    "grandfather", "grandparent", "grandparents", "cousin", "parent", "parents", "maternal",
    "paternal", "relative", "relatives", "mom", "mum", "dad", "husband", "wife", "spouse",
    "partner", "boyfriend", "girlfriend", "fiance", "fiancee", "roommate", "coworker",
    "co-worker", "colleague", "friend", "classmate", "classmates", "contacts", "contact",
    "children", "kids", "twin", "nephew", "niece", "granddaughter", "grandson", "fob",
    "no one else in the family", "household", "in-laws", "sick contacts",
)  # fmt: skip
_FAMILY_AFTER = _phrases(
    "in her mother", "in his mother", "in her father", "in his father", "in a sibling",
    "runs in the family", "in the family", "in family", "in relatives",
)  # fmt: skip
_HISTORY_BEFORE = _phrases(
    "history of", "hx of", "hx", "h/o", "s/p", "status post", "prior", "previous", "previously",
    "past", "remote", "pmh", "pmhx", "known", "longstanding", "long-standing", "long standing",
    "baseline", "childhood", "old", "recurrent", "years of", "chronic",
)  # fmt: skip
_HISTORY_TIME = _patterns(
    r"\b(?:in|since|from|of)\s+(?:\d{1,2}/)?(?:19|20)\d\d\b",
    r"\b(?:diagnosed|dx'?d|dx|treated|hospitali[sz]ed|hospitali[sz]ation|admission|admitted|told|"
    r"found|episode)\b[^.;\n]{0,40}"
    r"\b(?:(?:19|20)\d\d|years?|age|ago|childhood|as\s+a\s+(?:child|teen|teenager|baby|infant)"
    r"|in\s+(?:his|her|their)\s+\d0s)\b",
    r"\b(?:0?[1-9]|1[0-2])/(?:19|20)\d\d\b",
    r"\b(?:years?|decades?|months?)\s+ago\b",
    r"\b(?:years?|yrs)\s+(?:back|earlier)\b",
    r"\b(?:as|when)\s+(?:a|an)\s+(?:child|kid|teen|teenager|baby|infant|toddler|adolescent|"
    r"young\s+(?:man|woman|adult))\b",
    r"\bsince\s+(?:age|childhood|birth|infancy|adolescence)\b",
    r"\b(?:at|by)\s+(?:age\s+)?\d{1,2}\b(?!\s*(?:weeks?|days?|hours?|mg|%|am|pm|/))",
    r"\bin\s+(?:his|her|their)\s+(?:\d0s|twenties|thirties|forties|fifties|sixties|"
    r"seventies|eighties)\b",
    r"\b(?:for|over|x|×)\s+(?:the\s+)?(?:past|last)?\s*(?:\d+|a\s+few|several|many|two|three|"
    r"four|five|six|seven|eight|nine|ten|a\s+couple\s+of)\s+(?:months?|years?|decades?)\b",
    r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|many)[\s-]+"
    r"(?:months?|years?)\s+(?:of|history)\b",
    r"\b(?:for|over|x|×)\s+(?:the\s+)?(?:past|last)?\s*(?:[3-9]|[1-9]\d|three|four|five|six|"
    r"seven|eight|nine|ten|several)\s+weeks?\b",
    r"\b(?:[3-9]|[1-9]\d|three|four|five|six|seven|eight|nine|ten|several)\s+weeks?\s+(?:of|ago)\b",
    r"\b(?:last|this\s+past)\s+(?:year|month|spring|summer|fall|autumn|winter)\b",
    r"\b(?:died|deceased|passed\s+away|passed)\b",
)
"""Time written beside a condition that places its start more than about two weeks back."""
_PSEUDO_HISTORY = _patterns(
    r"\b(?:in\s+)?the\s+past\s+(?:\d+|few|several|couple\s+of|two|three)?\s*(?:days?|hours?|"
    r"nights?|24|48|72|week)\b",
    r"\bhistory\s+of\s+present\s+illness\b",
    r"\bpast\s+(?:week|day|24|48|few\s+days)\b",
    r"\bprior\s+to\s+(?:arrival|admission|presentation|the\s+visit)\b",
    r"\b(?:\d+|two|three)\s+(?:hours?|days?)\s+prior\b",
)
_HISTORY_AFTER = _phrases("in the past", "as a child", "as a teenager", "in childhood")
_DATED_EVENT_AFTER = re.compile(r"^[ \t]*(?:in|during)[ \t]+(?:\d{1,2}/)?(?:19|20)\d\d\b")
"""A condition dated to a past year right after its name ("a TIA in 2021") is history; "since
2019" (still going) is not."""
_RESOLVED = _phrases(
    "resolved", "in remission", "outgrown", "cured", "no longer", "has since resolved",
    "eradicated", "healed", "no recurrence", "no evidence of recurrence", "recovered",
    "fully recovered", "cleared", "no symptoms since", "asymptomatic since", "symptom-free since",
    "no episodes since", "no attacks since",
)  # fmt: skip
"""Said to be over, whatever the condition."""
_TREATED = _phrases(
    "treated", "removed", "repaired", "excised", "resected", "s/p", "status post",
    "years ago", "many years ago", "remote", "quit", "completed", "underwent", "mohs",
    "lumpectomy", "mastectomy", "excision", "chemoradiation", "radiation", "surgery",
    "appendectomy", "cholecystectomy", "hysterectomy", "colectomy", "thyroidectomy",
    "nephrectomy", "prostatectomy", "ablation", "thyroid ablation", "repair", "replacement",
    "stent", "bypass", "transplant", "amputation", "resection",
)  # fmt: skip
"""Treated or long ago: over for an episode (a past MI, a fracture), not for a chronic
condition ("CAD s/p CABG" still has CAD)."""
_HYPOTHETICAL_BEFORE = _phrases(
    "if", "should he", "should she", "should you", "should the patient", "should they",
    "in case of", "in the event of", "return if", "call if", "call for", "return for",
    "seek care for", "seek care if", "monitor for", "monitored for", "monitoring for",
    "watch for", "watching for", "warning signs", "warning signs of", "red flags",
    "red flag symptoms", "risk of", "risk for", "at risk", "at risk for", "prophylaxis for",
    "prophylaxis of", "prophylactic", "to prevent", "prevent", "prevention of", "reduce",
    "to reduce", "lower the risk of", "may experience", "may develop", "might develop",
    "could develop", "can develop", "will develop", "any symptoms of", "symptoms of",
    "for any", "sooner for", "sooner if", "earlier for", "earlier if", "anticipatory guidance",
    "what to do if", "prn", "as needed for", "screen for", "screening for",
    "precautions for", "counseled on", "counselled on", "educated on", "reviewed signs of",
    "avoid", "unless", "risks", "risks including", "risks of", "risks and benefits",
    "go to ed for", "go to the ed for", "go to er for", "go to the er for",
    "to the ed for", "to the er for", "go to the emergency department for",
    "go to the emergency room for", "return precautions", "precautions", "call 911 for",
    "call 911 if", "seek care", "seek medical attention for", "seek immediate care for",
    "report any", "notify", "come back for", "come back if", "return to the ed for",
    "return to ed for", "return to the er for", "instructed to call", "to call for",
    "watch closely for",
)  # fmt: skip
_HYPOTHETICAL_AFTER = _phrases(
    "prophylaxis", "precautions", "prevention", "risk", "goal", "goals", "can occur",
    "surveillance",
    "may occur", "could occur", "might occur", "develops", "occurs", "recurs", "returns",
    "worsens", "persists", "screening",
)  # fmt: skip
_TERMINATE = _phrases(
    "but", "however", "although", "though", "except", "aside from", "apart from", "which",
    "who", "secondary to", "due to", "presents with", "presented with", "presenting with",
    "complicated by", "with relief", "whereas", "yet", "nevertheless", "given", "because",
    "because of", "in view of", "in light of",
)  # fmt: skip
"""Words that end every trait's reach; "given" and "because" bring the reason ("CT not done
given contrast allergy": the allergy is not negated)."""
_TERMINATE_NEGATION = _phrases(
    "now", "endorses", "reports", "notes", "admits to", "complains of", "c/o",
    "on further questioning", "positive for", "pos for", "+", "has had",
)  # fmt: skip
"""Words that end a negation's reach but not a relative's ("denies fever, endorses cough")."""
_TERMINATE_HISTORY = _phrases(
    "now", "today", "currently", "this morning", "this admission", "on exam",
    "on today's exam", "still", "still has", "at present",
)  # fmt: skip
_RECENT = _patterns(
    r"\b(?:recently|just|this\s+(?:week|morning|afternoon|evening)|yesterday|today|tonight|"
    r"last\s+(?:night|friday|monday|tuesday|wednesday|thursday|saturday|sunday|weekend)|"
    r"currently|acute|new|new-onset|since\s+(?:yesterday|monday|tuesday|wednesday|thursday|"
    r"friday|saturday|sunday|this|last\s+night)|(?:for|x)\s+(?:\d+|two|three|four|five|a\s+few|"
    r"several)\s+days|(?:\d+|two|three|four|five|a\s+few)\s+days\s+ago|this\s+week)\b",
)
"""Words that keep a condition in the present (a relative's illness this week is recent)."""
_MAX_WORDS_BEFORE = 12
_MAX_WORDS_IN_LIST = 45
"""A trigger reaches past this many words only along a list ("Neg for: fever, chills, …")."""


@dataclass(kw_only=True, slots=True)
class Scope:
    """The text a mention's clause spans before and after it, with pseudo-triggers masked."""

    before: str
    after: str
    inline: bool = False
    clause_after: str = ""
    """The rest of the clause, past any terminating word ("…illness, which resolved")."""
    """The clause starts inside a line (after ". " or "; "), not at a line's start."""


def scope(text: str, bounds: list[int], begin: int, end: int) -> Scope:
    i = bisect.bisect_right(bounds, begin) - 1
    start = bounds[max(i, 0)]
    j = bisect.bisect_left(bounds, end)
    stop = bounds[min(j, len(bounds) - 1)]
    before = _mask(text[start:begin])
    after = _mask(text[end:stop])
    clause_after = after
    cut = list(_TERMINATE.finditer(_blank(_PARENTHESES, before)))
    if cut:
        before = before[cut[-1].end() :]
    first = _TERMINATE.search(_blank(_PARENTHESES, after))
    if first:
        after = after[: first.start()]
    inline = start > 0 and text[start - 1] != "\n"
    return Scope(before=before, after=after, inline=inline, clause_after=clause_after)


def _mask(span: str) -> str:
    return _PSEUDO.sub(lambda m: " " * len(m.group()), span)


def _blank(pattern: re.Pattern[str], span: str) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), span)


_PARENTHESES = re.compile(r"\([^()\n]{0,80}\)")


def _within(terminator: re.Pattern[str], before: str, after: str) -> tuple[str, str]:
    """`before` from its last `terminator` on, `after` up to its first: the part of the clause
    a trigger of that kind can reach."""
    cut = list(terminator.finditer(before))
    if cut:
        before = before[cut[-1].end() :]
    stop = terminator.search(after)
    if stop:
        after = after[: stop.start()]
    return before, after


def _before(pattern: re.Pattern[str], span: str) -> bool:
    hits = list(pattern.finditer(span))
    if not hits:
        return False
    between = span[hits[-1].end() :]
    words_between = len(re.findall(r"[A-Za-z0-9]+", between))
    if words_between <= _MAX_WORDS_BEFORE:
        return True
    # along a list the scope reaches further: items split by commas, "and", "or", slashes
    return words_between <= _MAX_WORDS_IN_LIST and between.count(",") >= 2


def _near_after(pattern: re.Pattern[str], after: str) -> bool:
    """A trigger right after the mention, in its own item ("DVT was ruled out", "effusion
    absent"), not one that belongs to the next item of a list ("…, negative Lachman")."""
    pieces = re.split(r"[,;]", after, maxsplit=1)
    if pattern.search(pieces[0][:40]):
        return True
    # "pneumonia, cannot be excluded": the trigger opens the next piece and has no object
    return len(pieces) > 1 and bool(_starts_with(pattern, pieces[1]))


def _starts_with(pattern: re.Pattern[str], piece: str) -> bool:
    match = pattern.search(piece[:40])
    return (
        match is not None
        and not piece[: match.start()].strip()
        and not re.match(r"\s*[A-Za-z]", piece[match.end() :])
    )


_POSSIBLE_WITH_NEGATION = _phrases(
    "not excluded", "not ruled out", "cannot be excluded", "cannot be ruled out",
    "can't be excluded", "can't be ruled out", "could not be excluded", "to be ruled out",
    "must be ruled out", "needs to be ruled out", "not entirely excluded",
    "not completely excluded", "not certain whether", "not sure whether", "not sure if",
    "cannot exclude", "cannot rule out", "can't rule out", "can not exclude",
    "unable to exclude", "not confirmed", "never confirmed", "unclear whether", "unclear if",
    "it is unclear whether",
)  # fmt: skip
"""Doubt phrased with a negation word: possible, not negated."""


_MINUS_ITEM = re.compile(r"[,;:.(][ \t]*[-−–][ \t]*(?:\w+[ \t]+){0,3}$")
"""A finding written "- chest pain" inside a list ("+ leg swelling, - chest pain"): absent.
(A bullet at the start of a line is not one.)"""
_MINUS_START = re.compile(r"^[ \t]*[-−–][ \t]*(?:\w+[ \t]+){0,3}$")
_HYPOTHETICAL_CALL = re.compile(
    r"\b(?:return|come\s+back|go|call|page|alert|notify|contact|report|seek)\b"
    r"(?:[^.;\n]|\.(?=\d)){0,45}?\b(?:for|if|with)\b(?:\s+any)?(?:[^.;\n]|\.(?=\d))*$",
    re.IGNORECASE,
)
"""Instructions for what would bring the patient back: "Return to L&D triage for severe
headache, …", "Please page the neurology resident with any new dysphagia"."""


def _evidence_cut(before: str) -> str:
    """`before` from the last open parenthesis or "with": "rule out OSA (snoring, …)" and
    "likely pyelonephritis with mild dehydration" give the doubt's evidence, not its object."""
    return re.split(r"\(|\bwith\b", before)[-1]


_PRE_ONLY = frozenset({"possible", "likely", "suspected", "is possible", "is likely",
                       "is suspected", "?"})  # fmt: skip


def _possible_after(after: str) -> bool:
    """Doubt written after the mention, in its own item ("pneumonia is suspected"). A dash
    starts the interpretation ("snoring + tonsillar hypertrophy - possible OSA"), and
    "possible" or "likely" followed by a word is that word's doubt, not this mention's."""
    pieces = re.split(r"[,;(]|\s[-–—]\s", after, maxsplit=1)
    if len(pieces) > 1 and _starts_with(_POSSIBLE_AFTER, pieces[1]):
        return True
    local = pieces[0][:40]
    for match in _POSSIBLE_AFTER.finditer(local):
        if match.group().lower() in _PRE_ONLY and re.match(r"\s*[A-Za-z]", local[match.end() :]):
            continue
        return True
    return False


def _own_item(before: str) -> str:
    """The part of `before` in the mention's own item: after the last comma, "and" or "with"
    ("CAD s/p CABG and persistent AF": "s/p" is CAD's)."""
    return re.split(r",|;|\band\b|\bwith\b", before)[-1]


def _item(before: str, after: str) -> str:
    """The list item the mention is in: from the last comma before it to the next after."""
    return re.split(r"[,;]", before)[-1] + " @ " + re.split(r"[,;]", after, maxsplit=1)[0]


def traits(around: Scope, section: str | None) -> list[Trait]:
    """The ConText traits of a condition mention."""
    found: list[Trait] = []
    doubt = _before(_POSSIBLE_WITH_NEGATION, around.before) or _near_after(
        _POSSIBLE_WITH_NEGATION, around.after
    )
    neg_before, neg_after = _within(
        _TERMINATE_NEGATION,
        _POSSIBLE_WITH_NEGATION.sub(lambda m: " " * len(m.group()), around.before),
        around.after,
    )
    if section == "rule_outs" and not _before(_NEGATION_BEFORE, neg_before):
        doubt = True  # under "Rule-outs" / "Differential": under consideration
    if not doubt and (
        _before(_NEGATION_BEFORE, neg_before)
        or _near_after(_NEGATION_AFTER, neg_after)
        or _MINUS_ITEM.search(around.before)
        or (around.inline and _MINUS_START.match(around.before))
    ):
        found.append("NEGATION")
    elif (
        doubt
        or _before(_POSSIBLE_BEFORE, _evidence_cut(around.before))
        or _possible_after(around.after)
    ):
        found.append("POSSIBLE")
    family = (
        section == "family_history"
        or _before(_FAMILY_BEFORE, _blank(_PSEUDO_EXPERIENCER, around.before))
        or _near_after(_FAMILY_AFTER, around.after)
    )
    if family:
        found.append("FAMILY")
    hypothetical = (
        _before(_HYPOTHETICAL_BEFORE, around.before)
        or _near_after(_HYPOTHETICAL_AFTER, around.after)
        or bool(_HYPOTHETICAL_CALL.search(around.before))
    )
    if hypothetical:
        found.append("HYPOTHETICAL")
    hist_before, hist_after = _within(_TERMINATE_HISTORY, around.before, around.after)
    item = _PSEUDO_HISTORY.sub(lambda m: " " * len(m.group()), _item(hist_before, hist_after))
    recent = bool(_RECENT.search(item))
    if not hypothetical and (
        section in ("past_history", "family_history", "surgical_history", "resolved_history")
        or _before(
            _HISTORY_BEFORE, _PSEUDO_HISTORY.sub(lambda m: " " * len(m.group()), hist_before)
        )
        or _HISTORY_AFTER.search(hist_after)
        or _DATED_EVENT_AFTER.match(hist_after)
        or (_HISTORY_TIME.search(item) and not recent)
        or (family and not recent and re.search(r"\b(?:had|has\s+had|with)\b", hist_before))
    ):
        found.append("HISTORY")
    if (
        section == "resolved_history"
        or _RESOLVED.search(around.before[-60:])
        or _RESOLVED.search(around.clause_after[:60])
    ):
        found.append("RESOLVED")
    elif (
        section == "surgical_history"
        or _TREATED.search(_own_item(around.before[-60:]))
        or _TREATED.search(re.split(r";|\band\b|\bwith\b", around.after[:60])[0])
    ):
        found.append("TREATED")
    return found
