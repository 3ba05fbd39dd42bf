"""The recognisers behind `Redactor`: one regular expression per identifier format.

The recognisers cover the HIPAA Safe Harbor identifiers that free text can carry, tuned for
recall (a redacted non-identifier costs little; a leaked identifier is a breach), with a few
guards for clinical content (drug names, doses, lab values and reference ranges, codes):

- NAME: after a title ("Mr./Ms./Dr./Nurse"), any capitalised words ("Dr. K. Osei"); after
  another context word ("Patient:", "my name is", "this is", "it's", "attention", "on behalf
  of", "signed", family roles, a greeting) and before "here" or "called", capitalised words
  that are not ordinary, clinical or calendar words (`NOT_NAME`: "for Internal Medicine",
  "It's Monday" are kept); two or more such words after "for", "from", "with"; lower-case
  names after "my name is", family roles, "this is", "it's", "i'm" ("its tom again", not
  "it's swollen"); "Surname, Given"; a signature at the end of a message ("thanks - tom");
  and a first name from a bundled list of common US given names followed by capitalised
  words. Name words may be hyphenated, carry an apostrophe or a prefix (O'Brien, Jean-Luc,
  al-Rashid) and particles (de la Cruz, van der Berg); a name never runs across a line break.
  A name with no context and a given name not on the list is missed: that is the main limit
  (no statistical NER runs here).
- DATE: numeric and written dates (03/14/1985, 1985-03-14, March 14, 1985, 14 Mar 1985, "the
  4th of June 2024", "June fourth", "March 2025", "DOB ..."), a month/day or a day after a
  weekday or a date word ("Thu 12/5", "Thursday the 5th", "Date of visit: 10/14", "on 3/2").
  Every full date is redacted, not only birth dates; a year alone is kept, and so are a weekday
  or month name alone.
- PHONE / FAX (US with extensions, international with "+", seven digits after "call", "fax"...),
  EMAIL, URL, IP (v4 and v6).
- SSN: full numbers, masked ones (xxx-xx-1234) and the last four digits after "SSN" or "social"
  ("SSN ends in 4412", "last four of my social 1234").
- MRN: "MRN", "medical record (number)", "chart", "patient id" followed by an id; and ids shaped
  like our MRNs (e.g. `MRN-00482913`).
- ID: account, member, policy, group, claim, invoice, license, plate, serial, device, card,
  authorization, confirmation and reference numbers after their context word (ids may contain
  spaces: "member ZGP 4471 2290"); and any token with six or more digits (card and account
  numbers without context), except reference ranges ("150-400"), LOINC codes ("13457-7") and
  codes after their system's name ("SNOMED 44054006").
- ADDRESS: a house number, street name (words, ordinals, directions: "300 West 57th Street")
  and street suffix, with an apartment or unit; an apartment, suite or unit alone ("Apt 4B");
  PO boxes; "City, ST"; a ZIP code after a state code or name (with the city before it) or
  "zip".

presidio-analyzer's recognisers were measured and not used on this path: importing it takes
about 14 s (it loads its NLP stack), its e-mail and URL recognisers try to download the public
suffix list at first use, and its SSN recogniser drops "invalid" numbers such as 123-45-6789 on
purpose (precision over recall). These recognisers are plain regular expressions: fast,
offline and deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from frontdesk.telemetry._names import FIRST_NAMES, MONTHS, NOT_NAME, STATE_NAME, STATES


@dataclass(kw_only=True, slots=True, frozen=True)
class Finding:
    """One identifier found in a text: its `kind` and where it is."""

    kind: str
    start: int
    end: int


@dataclass(kw_only=True, slots=True, frozen=True)
class Recognizer:
    """A regular expression for one kind of identifier; the span of `group` is redacted.

    `refine`, when set, vets each candidate (the text of `group`): it returns the part to
    redact as offsets into the candidate, or None to drop it. It keeps word lists out of the
    expressions."""

    kind: str
    pattern: re.Pattern[str]
    group: int | str = 0
    refine: Callable[[str], tuple[int, int] | None] | None = None

    def find(self, text: str) -> Iterable[Finding]:
        for match in self.pattern.finditer(text):
            start, end = match.span(self.group)
            if start < end and self.refine is not None:
                kept = self.refine(text[start:end])
                if kept is None:
                    continue
                start, end = start + kept[0], start + kept[1]
            if start < end:
                yield Finding(kind=self.kind, start=start, end=end)


_I = re.IGNORECASE
_WORD_START = r"(?=[A-Za-z])\b"
"""A word boundary before a letter. Expressions that start with a case-insensitive list of
words start with this: `re` then skips the other characters fast (2-4x faster)."""
_UPPER = r"[A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017f]"
"""A capital letter, with the accented ones of Latin-1 and Latin Extended-A (Ó, Ś, Ł; the
latter block mixes in its lower-case letters, which rarely start an English word)."""
_LETTERS = r"(?:[^\W\d_]|['\u2019])*"
_CAP_PLAIN = rf"{_UPPER}{_LETTERS}(?:-{_UPPER}{_LETTERS})?\b"
_CAP = rf"(?:(?:al|el|ibn|bin|ben|abu|d|da|de|di|du|la|le)['\u2019\-])?{_CAP_PLAIN}"
"""A capitalised name word: Smith, O'Brien, McDonald, Smith-Jones, Jean-Luc, al-Rashid."""
_CAP_WORD = rf"(?:[A-Z]\.|{_CAP})"
_PARTICLE = r"(?:de|del|della|der|den|di|da|dos|das|du|la|le|van|von|ter|ten|bin|ibn|al|el)"
_NAME = rf"{_CAP_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}{_CAP_WORD}){{0,3}}"
"""One to four capitalised name words on one line, with particles: "Maria de la Cruz"."""
_NAME_2 = rf"{_CAP_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}{_CAP_WORD}){{1,3}}"
"""The same with at least two words, for weak context ("for Abdi Warsame")."""
_LOWER = r"[a-z](?:[^\W\d_]|['\u2019\-])+"
_ANY_WORD = r"[^\W\d_](?:[^\W\d_]|['\u2019\-])+"
_TITLE = r"(?:mr|mrs|ms|miss|mx|dr|doctor|prof|professor|nurse)"
_TITLE_WORD = r"(?:[Mm]rs?|MRS?|[Mm]s|Mx|Miss|[Dd]r|DR|[Dd]octor|[Pp]rof(?:essor)?|[Nn]urse)"
"""A title before any capitalised words, in the cases a title is written in: not "MS" (multiple
sclerosis) or "miss" ("I don't want to miss Cardiology")."""
_FAMILY = (
    r"(?:son|daughter|wife|husband|mother|father|mom|mum|dad|partner|child|brother|sister|"
    r"grandmother|grandfather|grandma|grandpa|granddaughter|grandson|aunt|uncle|niece|nephew|"
    r"fianc[eé]e?|boyfriend|girlfriend|stepson|stepdaughter|friend|neighbou?r)"
)
_NAME_CONTEXT = (
    rf"(?:patient(?:\s+name)?|pt|name|full\s+name|"
    r"signed|sincerely|regards|attending|physician|provider|referred\s+by|(?-i:cc)|"
    r"my\s+name\s+is|i\s+am|i'm|i\u2019m|this\s+is|it['\u2019]s|called|named|"
    r"attention|attn|on\s+behalf\s+of|"
    rf"my\s+{_FAMILY}|{_FAMILY}|guardian|caregiver|spouse)"
)
_STRONG_CONTEXT = (
    r"my\s+name\s+is|name\s+is|patient\s+name:?|full\s+name:?|name:|"
    rf"my\s+{_FAMILY}"
)
"""Context after which even a lower-case word is taken for a name ("my wife anna kowalski")."""
_SELF_INTRODUCTION = r"(?:this\s+is|it['\u2019]s|i['\u2019]m)"
"""Context after which a lower-case word before a pause may be a name ("this is tom, ..."),
if it does not read as an ordinary word ("it's swollen, ...")."""
_CALLER_WORD = r"(?:again|here|calling|speaking|texting|writing)\b"
"""A word after a lower-case name that marks it as the caller's ("its tom again"): after "its"
or "it is", which are mostly the possessive or a statement ("its value", "it is set")."""
_NOT_STOPWORD = (
    r"(?!(?:and|or|but|the|a|an|is|was|are|has|have|had|will|would|can|could|to|of|in|on|at|"
    r"for|with|from|by|i|my|me|he|she|it|we|they|you|who|needs|wants|called|said|about|"
    r"again|today|yesterday|tomorrow|here|there|please|thanks|calling|speaking|writing|"
    r"texting|back|too|ok|okay|thx)\b)"
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|rsday|urday|sday)?\.?"
_ORDINAL_WORD = (
    r"(?:(?:twenty|thirty)[\s\-]?)?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|"
    r"ninth)|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|"
    r"eighteenth|nineteenth|twentieth|thirtieth"
)
_MONTH_DAY = r"(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])"
"""A month and day without a year (12/5); taken for a date only after a weekday or date word."""
_STREET_SUFFIX = (
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|"
    r"terrace|ter|circle|cir|parkway|pkwy|highway|hwy|square|sq|trail|trl|loop|row|alley|"
    r"plaza|crescent|pike|expressway|expy|freeway|fwy|broadway)\b\.?"
)
_UNIT = r"(?:apt|apartment|unit|suite|ste|room|rm|floor|fl|bldg|building)"
_DOSE_UNIT = r"(?:mg|mcg|g|kg|ml|l|units?|iu|%|mmol|meq|tabs?|tablets?|caps?|capsules?|puffs?)"

_NOT_NAME_SUFFIX = re.compile(
    r"(?:itis|osis|emia|aemia|pathy|ectomy|otomy|ostomy|plasty|scopy|graphy|ology|ologist|"
    r"iatry|iatrist|algia|uria|pnea|pnoea|plegia|trophy|pril|sartan|olol|statin|formin|"
    r"prazole|azole|cillin|mycin|cycline|floxacin|tidine|gliflozin|gliptin|glutide|mab|tinib|"
    r"parin|xaban|gatran|dipine|triptan|zepam|oxetine|semide|thiazide|olone|lukast|terol|"
    r"tropium|caine|profen|fenac|coxib|dronate|ation|ition|ension|ism|ness|ment|ure)$",
    _I,
)
"""Endings of clinical words (conditions, procedures, specialties, generic drug names)."""
_ADJECTIVE_SUFFIX = re.compile(
    r"(?<=\w{3})(?:ed|ing|ly|ful|ous|ive|ic|al|able|ible|en|less|ish|ant|ent)$"
)
"""Endings of the lower-case words that follow "it's" or "i'm" and are not names."""
_WORD = re.compile(r"[^\s,]+")
_PARTICLE_WORD = re.compile(_PARTICLE)
_LOINC = re.compile(r"\d{3,5}-\d")
_RANGE = re.compile(r"(?:\d{1,4}\s)?(\d{2,3})-(\d{2,3})")
_STATE_CODE = re.compile(r"\b[A-Z]{2}\b")
_ACRONYM = re.compile(r"[A-Z]{2,4}\.?")


def _is_abbreviation(word: str) -> bool:
    """An initial or a clinical abbreviation: "R", "HTN", "QTc", "IgE" (not "Ana")."""
    word = word.rstrip(".,")
    return len(word) <= 4 and (word.isupper() or sum(c.isupper() for c in word) >= 2)


def _is_ordinary(word: str) -> bool:
    lowered = word.lower().strip(".'\u2019")
    return lowered in NOT_NAME or bool(_NOT_NAME_SUFFIX.search(lowered))


def _is_lower_name(word: str) -> bool:
    """A lower-case word that may be a name: a listed given name, or a word that is neither
    ordinary nor shaped like an adjective or participle ("tom", not "swollen" or "fine")."""
    return word.capitalize() in FIRST_NAMES or (
        len(word) > 2 and not _is_ordinary(word) and not _ADJECTIVE_SUFFIX.search(word)
    )


def _name_part(min_words: int) -> Callable[[str], tuple[int, int] | None]:
    """The check of a name candidate found by weak context. Ordinary, clinical and calendar
    words are not names: those before the name are dropped ("Yesterday Jean-Luc Moreau
    called"), and the name ends before the next one ("Okafor, Internal Medicine"). What
    remains is rejected if it has fewer than `min_words` words ("for Internal Medicine", "This
    is Urgent"), is a month alone ("for March") or only clinical abbreviations ("PMH: HTN,
    BPH"); lower-case words must pass `_is_lower_name` ("its tom again", not "it's swollen")."""

    def refine(candidate: str) -> tuple[int, int] | None:
        words = list(_WORD.finditer(candidate))
        while words and _is_ordinary(words[0][0]):
            words.pop(0)
        for n, word in enumerate(words):
            text = word[0]
            lower = text[0].islower() and not _PARTICLE_WORD.fullmatch(text)
            if lower and not _is_lower_name(text):
                # lower-case words cut short are a name only if listed ("lucas coughs", not
                # "see you")
                if n == 0 or words[0][0].capitalize() not in FIRST_NAMES:
                    return None
                del words[n:]
                break
            if not lower and _is_ordinary(text):
                del words[n:]
                break
        while words and _PARTICLE_WORD.fullmatch(words[-1][0]):
            words.pop()
        if len(words) < min_words:
            return None
        # a trailing acronym is a drug strength or a finding ("Bactrim DS", "Rising PSA"), unless
        # the name starts with a listed given name ("Maria LOPEZ")
        if words and words[0][0].capitalize() not in FIRST_NAMES:
            while len(words) > 1 and _ACRONYM.fullmatch(words[-1][0]):
                words.pop()
        if len(words) < min_words:
            return None
        texts = [w[0] for w in words]
        if len(texts) == 1 and texts[0].lower().rstrip(".") in MONTHS:
            return None
        if all(_is_abbreviation(t) for t in texts):
            return None  # initials and abbreviations only ("HTN, BPH", "R AOM")
        return words[0].start(), words[-1].end()

    return refine


_ANY_NAME = _name_part(min_words=1)
_TWO_WORD_NAME = _name_part(min_words=2)


def _with_state(candidate: str) -> tuple[int, int] | None:
    """Keeps a "City, ST" or "ST 12345" candidate only if ST is a US state code."""
    code = _STATE_CODE.search(candidate)
    return (0, len(candidate)) if code is not None and code[0] in STATES else None


def _not_a_range(candidate: str) -> tuple[int, int] | None:
    """Drops a reference range (150-400), a value with its range (301 150-450) and a LOINC
    code (13457-7)."""
    if _LOINC.fullmatch(candidate):
        return None
    match = _RANGE.fullmatch(candidate)
    if match is not None and int(match[1]) < int(match[2]):
        return None
    return 0, len(candidate)


_BEFORE_NAME = r"for|from|with|regarding|tell|ask|remind|notify|contact|call|email|text|message"
"""Words after which two or more capitalised words are taken for a name ("for Abdi Warsame",
"tell Yusuf Demir"), unless they are ordinary, clinical or calendar words ("call Internal
Medicine")."""
_AFTER_NAME = (
    r"called|calls|calling|phoned|rang|wrote|emailed|texted|messaged|left\s+a\s+(?:message|"
    r"voicemail)|stopped\s+by|came\s+in|wants|needs|would\s+like|asked|asks|says|said|missed|"
    r"cancell?ed|was\s+seen|is\s+due|is\s+scheduled"
)
"""Words before which two or more capitalised words are taken for a name ("Jean-Luc Moreau
called", "Gwen Stefani-Okoro wants to cancel")."""
_SIGN_OFF = (
    r"(?:thanks|thank\s+you|thx|ty|cheers|best|regards|love|warmly|yours|sincerely|"
    r"respectfully)"
)
_SIGNATURE = rf"(?:(?i:{_TITLE})\.?[ \t]+)?{_NAME}|{_LOWER}(?:[ \t]+{_LOWER})?"
"""A name at the end of a message: capitalised words, or one or two lower-case words."""

RECOGNIZERS: tuple[Recognizer, ...] = (
    # EMAIL and URL start only where a token starts: a long token (a base64 blob in a log
    # line) would otherwise be rescanned from each of its characters
    Recognizer(kind="EMAIL", pattern=re.compile(
        r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")),
    Recognizer(kind="URL", pattern=re.compile(
        r"\b(?:https?://|www\.)[^\s<>\"')\]]+|"
        r"(?<![a-z0-9\-.])[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\."
        r"(?:com|org|net|edu|gov|io|health|us|info|biz|co)"
        r"\b(?:/[^\s<>\"')\]]*)?", _I)),
    Recognizer(kind="IP", pattern=re.compile(
        r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b|"
        r"\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b|\b(?:[0-9a-f]{1,4}:){1,6}:[0-9a-f]{0,4}\b", _I)),
    # SSN: full, masked (xxx-xx-1234), and the last four digits after "SSN" or "social"
    Recognizer(kind="SSN", pattern=re.compile(
        r"\b\d{3}[- ]\d{2}[- ]\d{4}\b|(?<=\bssn)[\s:#]*\d{9}\b|"
        r"(?:social\s+security(?:\s+(?:number|no\.?|#))?)[\s:#]*\d{3}[- ]?\d{2}[- ]?\d{4}|"
        r"(?<![\w*#])[x*#]{3}[- ]?[x*#]{2}[- ]?\d{4}\b", _I)),
    Recognizer(kind="SSN", pattern=re.compile(
        rf"{_WORD_START}(?:ssn|ss#|social\s+security(?:\s+(?:number|no\.?|#|card))?|"
        r"(?:my|his|her|their|your)\s+social(?!\s+(?:work|media|history|life|services?|"
        r"support|skills|anxiety|network|circle|security\s+(?:office|benefits?|income))))"
        r"\b(?:[^\d\n]|\b4\b){0,30}?(?<![\d\-])(\d{4})\b"
        r"(?![\-\s]?\d)", _I), group=1),
    Recognizer(kind="PHONE", pattern=re.compile(
        r"(?<![\w-])(?:\+?1[\s.\-]?)?(?:\(\d{3}\)|\d{3})[\s.\-]?\d{3}[\s.\-]?\d{4}"
        r"(?:\s*,?\s*(?:x|ext\.?|extension)\s*\d{1,5})?(?![\w-])|"
        r"(?<![\w+])\+[1-9]\d{0,2}(?:[\s.\-]?\(\d{1,4}\))?(?:[\s.\-]?\d{1,5}){2,6}"
        r"(?:\s*,?\s*(?:x|ext\.?|extension)\s*\d{1,5})?(?![\w-])", _I)),
    Recognizer(kind="PHONE", pattern=re.compile(
        rf"{_WORD_START}(?:call|phone|tel|telephone|cell|mobile|fax|text|ph|reach\s+me\s+at|"
        r"number)\b"
        r"[^\d\n]{0,12}?(?<!\d)(\d{3}[\s.\-]\d{4}(?:\s*,?\s*(?:x|ext\.?|extension)\s*\d{1,5})?)"
        r"(?![\w\-.]?\d)", _I), group=1),
    Recognizer(kind="DATE", pattern=re.compile(
        # one alternative per first token (day number, year, month, ordinal, weekday): the
        # expression is tried at every word, so shared prefixes are factored out for speed
        r"(?=\w)\b(?:(?<![\d/.])\d{1,2}(?:(?P<sep>[/\-.])\d{1,2}(?P=sep)(?:\d{4}|\d{2})\b(?![/.]\d)|"
        rf"(?:st|nd|rd|th)?(?:\s+of)?\s+{_MONTH}(?:,?\s+\d{{4}})?\b)|"
        r"\d{4}(?P<iso>[/\-.])\d{1,2}(?P=iso)\d{1,2}(?:\b|(?=T\d))|"
        rf"{_MONTH}(?:\s+(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b(?!\.\d)|"
        r"[\s,]+(?:of\s+)?(?:19|20)\d{2}\b|"
        rf"(?<!(?-i:may))\s+(?:the\s+)?(?:{_ORDINAL_WORD})\b(?:,?\s+\d{{4}}\b)?)|"
        rf"(?:the\s+)?(?:{_ORDINAL_WORD})\s+of\s+{_MONTH}(?:,?\s+\d{{4}})?\b|"
        rf"{_WEEKDAY},?\s+(?:{_MONTH_DAY}(?:/(?:\d{{4}}|\d{{2}}))?\b|"
        r"(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\b))", _I)),
    Recognizer(kind="DATE", pattern=re.compile(
        r"\b(?:dob|date\s+of\s+birth)\b[\s:]*([^\n,;]{4,20}?\d{4})\b", _I), group=1),
    # a month/day without a year after a date word: "Date of visit: 10/14", "drawn 10/10"
    Recognizer(kind="DATE", pattern=re.compile(
        rf"{_WORD_START}(?:on|dated?(?:\s+of\s+\w+)?|drawn|since|until|till|admitted|"
        r"discharged|seen|due|"
        rf"as\s+of|dob)[ \t]*:?[ \t]*({_MONTH_DAY})\b(?![/\-.]?\d)"
        rf"(?![ \t]*(?:{_DOSE_UNIT}|of|days?|times|nights|weeks|scale)\b)", _I), group=1),
    Recognizer(kind="DATE", pattern=re.compile(
        rf"{_WORD_START}on\s+the\s+(?:\d{{1,2}}(?:st|nd|rd|th)|{_ORDINAL_WORD})"
        r"(?=\s*(?:[.,;:!?)]|$|at\b|and\b|or\b))", _I)),
    Recognizer(kind="MRN", pattern=re.compile(
        r"\bMRN[-\s:#]*[A-Z]{0,3}[-\s]?\d[\dA-Z\-]{3,}|"
        r"(?:medical\s+record(?:\s+(?:number|no\.?|#))?|record\s+(?:number|no\.?|#)|chart"
        r"(?:\s+(?:number|no\.?|#))?|patient\s+(?:id|number|no\.?|#))[\s:#]*(?:is\s+)?"
        r"[A-Z]{0,4}[-\s]?\d[\dA-Z\-]{3,}", _I)),
    Recognizer(kind="ID", pattern=re.compile(
        rf"{_WORD_START}(?:account|acct|member(?:ship)?|subscriber|policy|group|claim|invoice|"
        r"insurance|"
        r"license|licence|plate|serial|device|card|certificate|beneficiary|medicare|medicaid|"
        r"passport|npi|dea|ein|tax\s+id|accession|pharmacy|authori[sz]ation|prior\s+auth|"
        r"confirmation|tracking|ticket|rx|prescription)"
        r"(?:\s+(?:id|number|no\.?|#|num|code))?[ \t:#]*(?:is\s+)?"
        r"((?:(?-i:[A-Z]{2,6})[ ]|[A-Z]{0,6}-?)\d[\dA-Z\-]{2,}(?:[ ]\d[\dA-Z\-]{2,}){0,3})"
        rf"(?![ \t]*{_DOSE_UNIT}\b)", _I), group=1),
    Recognizer(kind="ID", pattern=re.compile(
        rf"{_WORD_START}(?:ref(?:erence)?|case|order|visit|encounter|auth|id)"
        r"[ \t]*(?:#|no\.?|number|num|id|:)"
        r"[ \t:#]*([A-Z]{0,6}-?\d[\dA-Z\-]{2,})", _I), group=1),
    # six digits or more; not a code after its coding system's name ("SNOMED 44054006")
    Recognizer(kind="ID", pattern=re.compile(
        r"(?<![\w.\-])(?<!snomed )(?<!snomed: )(?<!snomed ct )(?<!rxnorm )(?<!rxnorm: )"
        r"(?<!rxcui )(?<!rxcui: )(?<!ndc )(?<!ndc: )"
        r"[A-Z]{0,4}-?\d(?:[\d\-\s]?\d){5,}[A-Z]{0,2}(?![\w])"
        rf"(?!\s*{_DOSE_UNIT}\b)", _I),
        refine=_not_a_range),
    Recognizer(kind="ADDRESS", pattern=re.compile(
        r"\b\d{1,6}[A-Z]?\s+(?!(?:mm|cm|mg|mcg|g|kg|ml|x|times|days?|weeks?|months?|years?|"
        r"hours?|hrs?|mins?|minutes?|beats|breaths)\b)"
        r"(?:(?:north|south|east|west|[NS][EW]|[NSEW])\.?\s+)?"
        rf"(?:(?:(?:{_CAP}|\d{{1,3}}(?:st|nd|rd|th))\s+){{1,3}}{_STREET_SUFFIX}|broadway\b)"
        rf"(?:,?\s*(?:{_UNIT}\.?|#)\s*[\w\-]+)?", _I)),
    Recognizer(kind="ADDRESS", pattern=re.compile(
        r"\b(?i:apt|apartment|suite|ste|unit)\.?[ \t]*#?[ \t]*(?:\d{1,5}[A-Z]?|[A-Z]\d{0,4})\b"
        r"(?![ \t]*(?i:mg|units?|ml|of)\b)")),
    Recognizer(kind="ADDRESS", pattern=re.compile(
        r"\b(?:P\.?[ \t]*O\.?|post[ \t]+office)[ \t]*box[ \t]*#?[ \t]*\d+", _I)),
    # "City, ST", and a ZIP code after a state code, with the city before it ("Minneapolis
    # MN 55401"); `_with_state` checks the state code
    Recognizer(kind="ADDRESS", pattern=re.compile(
        r"(?=[A-Z])\b(?:[A-Z][a-z]+\s){0,2}[A-Z][a-z]+"
        r"(?:,\s+[A-Z]{2}\b(?:\.?,?\s+\d{5}(?:-\d{4})?\b)?|"
        r"[ \t]+[A-Z]{2}\.?,?\s+\d{5}(?:-\d{4})?\b)|"
        r"\b[A-Z]{2}\.?,?\s+\d{5}(?:-\d{4})?\b"), refine=_with_state),
    Recognizer(kind="ADDRESS", pattern=re.compile(
        r"\b(?:zip|postal)(?:\s*code)?(?:\s+is)?[\s:#]*(\d{5}(?:-\d{4})?)\b", _I), group=1),
    # a state written out before a ZIP code, with the city before it
    Recognizer(kind="ADDRESS", pattern=re.compile(
        rf"(?=[A-Z])\b(?:(?:[A-Z][a-z]+\s){{0,2}}[A-Z][a-z]+,?[ \t]+)?(?:{STATE_NAME}),?"
        r"[ \t]+\d{5}(?:-\d{4})?\b")),
    # NAME after a title: any capitalised words ("Dr. K. Osei", "Mrs. R")
    Recognizer(kind="NAME", pattern=re.compile(
        rf"{_WORD_START}{_TITLE_WORD}\b\.?[ \t]+({_NAME})"), group=1),
    # after a context word, "Surname, Given" or a name; a line break only after a colon
    # ("Patient:\nJohn Smith")
    Recognizer(kind="NAME", pattern=re.compile(
        rf"{_WORD_START}(?i:{_NAME_CONTEXT})\b(?:[ \t]*[:,][ \t]*\n?[ \t]*|[ \t]+)"
        rf"(?:(?i:{_TITLE})\.?[ \t]+)?({_CAP},[ \t]+{_CAP_WORD}(?:[ \t]+{_CAP_WORD})?|{_NAME})"),
        group=1, refine=_ANY_NAME),
    # two or more capitalised words after "for", "tell"... ("summary for Abdi Warsame")
    Recognizer(kind="NAME", pattern=re.compile(
        rf"{_WORD_START}(?i:{_BEFORE_NAME})[ \t]+(?:(?i:{_TITLE})\.?[ \t]+)?({_NAME_2})"),
        group=1, refine=_TWO_WORD_NAME),
    Recognizer(kind="NAME", pattern=re.compile(
        rf"(?<=:\s)({_CAP}),[ \t]+{_CAP}(?:[ \t]+[A-Z]\.)?"), refine=_ANY_NAME),
    # lower case after strong context ("my wife anna kowalski")
    Recognizer(kind="NAME", pattern=re.compile(
        rf"{_WORD_START}(?:{_STRONG_CONTEXT})\s+"
        rf"({_ANY_WORD}(?:\s+{_NOT_STOPWORD}{_ANY_WORD})?)",
        _I), group=1, refine=_ANY_NAME),
    # lower case after "this is", "it's", "i'm" when the words read as a name; after "its"
    # only before "again", "here"... ("its tom again", not "its value")
    Recognizer(kind="NAME", pattern=re.compile(
        rf"{_WORD_START}(?i:{_SELF_INTRODUCTION})[ \t]+({_LOWER}(?:[ \t]+{_NOT_STOPWORD}{_LOWER})?)"
        rf"(?=[ \t]*(?:[,!?;:\-]|$|(?i:{_CALLER_WORD})))"), group=1, refine=_ANY_NAME),
    Recognizer(kind="NAME", pattern=re.compile(
        rf"{_WORD_START}(?i:its|it\s+is)[ \t]+({_LOWER}|{_NAME})(?=[ \t]+(?i:{_CALLER_WORD}))"),
        group=1, refine=_ANY_NAME),
    # "Oyelaran Adebayo here.", and two or more capitalised words before "called", "wants"...
    Recognizer(kind="NAME", pattern=re.compile(
        rf"(?:^|(?<=[,.!?;:(\n]))[ \t]*({_NAME}|{_LOWER})[ \t]+here\b(?!['\u2019])"
        r"(?=[ \t]*(?:[,.!?;:\-]|$|again\b|calling\b|from\b))"), group=1, refine=_ANY_NAME),
    Recognizer(kind="NAME", pattern=re.compile(
        rf"(?=[A-Z])\b({_NAME_2})[ \t]+(?:{_AFTER_NAME})\b"),
        group=1, refine=_TWO_WORD_NAME),
    # a greeting, and a signature at the end of a message ("thanks - tom", "Cheers, Ann Lee")
    Recognizer(kind="NAME", pattern=re.compile(
        rf"{_WORD_START}(?i:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening))[ \t]*,?[ \t]+"
        rf"({_SIGNATURE})(?=[ \t]*[,!:\n])"), group=1, refine=_ANY_NAME),
    Recognizer(kind="NAME", pattern=re.compile(
        rf"(?:^|\s)(?:-{{1,2}}|\u2013|\u2014)[ \t]*({_SIGNATURE})[ \t]*[.!]*\s*$"),
        group=1, refine=_ANY_NAME),
    Recognizer(kind="NAME", pattern=re.compile(
        rf"{_WORD_START}(?i:{_SIGN_OFF}(?:[ \t]+(?:so|very)[ \t]+much|[ \t]+again|"
        rf"[ \t]+in[ \t]+advance)?)[ \t]*[,!.]?\s+({_SIGNATURE})[ \t]*[.!]*\s*$"),
        group=1, refine=_ANY_NAME),
)  # fmt: skip


def first_name_recognizer() -> Recognizer:
    names = "|".join(sorted(FIRST_NAMES, key=len, reverse=True))
    return Recognizer(
        kind="NAME",
        pattern=re.compile(
            rf"(?=[A-Z])(?:\b{_CAP_PLAIN},[ \t]+)?\b(?:{names})\b(?:-{_CAP})?"
            rf"(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}{_CAP_WORD}){{0,3}}"
        ),
        refine=_ANY_NAME,
    )
