"""PHI redaction for everything telemetry may carry: span attributes and events, and logs.

Content (prompts, completions, tool arguments and results) stays out of telemetry unless
content capture is on; when it is, every text passes through `Redactor.redact` first, which
replaces what looks like an identifier with its kind in brackets (`[NAME]`, `[PHONE]`, ...).
`RedactingFilter` does the same to log records.

The recognisers cover the HIPAA Safe Harbor identifiers that free text can carry, tuned for
recall (a redacted non-identifier costs little; a leaked identifier is a breach):

- NAME: after a context word ("Patient:", "Mr./Ms./Dr.", "my name is", "signed", family roles),
  "Surname, Given" after such a word, and a first name from a bundled list of common US given
  names followed by capitalised words. A name with no context and a given name not on the list
  is missed: that is the main limit (no statistical NER runs here).
- DATE: numeric and written dates (03/14/1985, 1985-03-14, March 14, 1985, 14 Mar 1985,
  "DOB ..."). Every full date is redacted, not only birth dates; a year alone is kept.
- PHONE / FAX, EMAIL, SSN, URL, IP (v4 and v6).
- MRN: "MRN", "medical record (number)", "chart", "patient id" followed by an id; and ids shaped
  like our MRNs (e.g. `MRN-00482913`).
- ID: account, member, policy, group, claim, invoice, license, plate, serial, device and card
  numbers after their context word; and any token with six or more digits (card and account
  numbers without context).
- ADDRESS: a house number, street name and street suffix (with an apartment or unit), PO boxes,
  and a ZIP code after a state code or the word "zip".

presidio-analyzer's recognisers were measured and not used on this path: importing it takes
about 14 s (it loads its NLP stack), its e-mail and URL recognisers try to download the public
suffix list at first use, and its SSN recogniser drops "invalid" numbers such as 123-45-6789 on
purpose (precision over recall). These recognisers are plain regular expressions: fast,
offline and deterministic.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from frontdesk.telemetry._names import FIRST_NAMES


@dataclass(kw_only=True, slots=True, frozen=True)
class Finding:
    """One identifier found in a text: its `kind` and where it is."""

    kind: str
    start: int
    end: int


@dataclass(kw_only=True, slots=True, frozen=True)
class Recognizer:
    """A regular expression for one kind of identifier; the span of `group` is redacted."""

    kind: str
    pattern: re.Pattern[str]
    group: int | str = 0

    def find(self, text: str) -> Iterable[Finding]:
        for match in self.pattern.finditer(text):
            start, end = match.span(self.group)
            if start < end:
                yield Finding(kind=self.kind, start=start, end=end)


_I = re.IGNORECASE
_CAP = r"[A-Z][a-zA-Z'\u2019]*(?:-[A-Z][a-zA-Z'\u2019]*)?"
"""A capitalised name word: Smith, O'Brien, McDonald, Smith-Jones."""
_CAP_WORD = rf"(?:{_CAP}|[A-Z]\.)"
_NAME_CONTEXT = (
    r"(?:patient(?:\s+name)?|pt|name|full\s+name|mr|mrs|ms|miss|mx|dr|doctor|prof|nurse|"
    r"signed|sincerely|regards|attending|physician|provider|referred\s+by|cc|"
    r"my\s+name\s+is|i\s+am|i'm|this\s+is|called|named|"
    r"my\s+(?:son|daughter|wife|husband|mother|father|mom|dad|partner|child|brother|sister)|"
    r"son|daughter|wife|husband|mother|father|guardian|caregiver|spouse)"
)
_STRONG_CONTEXT = (
    r"my\s+name\s+is|name\s+is|patient\s+name:?|full\s+name:?|name:|"
    r"my\s+(?:son|daughter|wife|husband|mother|father|mom|dad|partner|child|brother|sister)"
)
"""Context after which even a lower-case word is taken for a name ("my wife anna kowalski")."""
_NOT_STOPWORD = (
    r"(?!(?:and|or|but|the|a|an|is|was|are|has|have|had|will|would|can|could|to|of|in|on|at|"
    r"for|with|from|by|i|my|me|he|she|it|we|they|you|who|needs|wants|called|said|about|"
    r"again|today|yesterday|tomorrow|here|there|please|thanks)\b)"
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_STREET_SUFFIX = (
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|"
    r"terrace|ter|circle|cir|parkway|pkwy|highway|hwy|square|sq|trail|trl|loop|row|alley)\b\.?"
)
_STATES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
).split()

RECOGNIZERS: tuple[Recognizer, ...] = (
    Recognizer(kind="EMAIL", pattern=re.compile(
        r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")),
    Recognizer(kind="URL", pattern=re.compile(
        r"\b(?:https?://|www\.)[^\s<>\"')\]]+|"
        r"\b[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.(?:com|org|net|edu|gov|io|health|us|info|biz|co)"
        r"\b(?:/[^\s<>\"')\]]*)?", _I)),
    Recognizer(kind="IP", pattern=re.compile(
        r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b|"
        r"\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b|\b(?:[0-9a-f]{1,4}:){1,6}:[0-9a-f]{0,4}\b", _I)),
    Recognizer(kind="SSN", pattern=re.compile(
        r"\b\d{3}[- ]\d{2}[- ]\d{4}\b|(?<=\bssn)[\s:#]*\d{9}\b|"
        r"(?:social\s+security(?:\s+(?:number|no\.?|#))?)[\s:#]*\d{3}[- ]?\d{2}[- ]?\d{4}", _I)),
    Recognizer(kind="PHONE", pattern=re.compile(
        r"(?<![\w-])(?:\+?1[\s.\-]?)?(?:\(\d{3}\)|\d{3})[\s.\-]?\d{3}[\s.\-]?\d{4}"
        r"(?:\s*(?:x|ext\.?|extension)\s*\d{1,5})?(?![\w-])", _I)),
    Recognizer(kind="DATE", pattern=re.compile(
        r"\b\d{1,2}[/\-.]\d{1,2}[/\-.](?:\d{4}|\d{2})\b|"
        r"\b\d{4}[/\-.]\d{1,2}[/\-.]\d{1,2}\b|"
        rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b|"
        rf"\b\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+{_MONTH}(?:,?\s+\d{{4}})?\b|"
        r"(?<=\bdob)[\s:]*[^\n,;]{4,20}?\d{4}\b|"
        r"(?<=date of birth)[\s:]*[^\n,;]{4,20}?\d{4}\b", _I)),
    Recognizer(kind="MRN", pattern=re.compile(
        r"\bMRN[-\s:#]*[A-Z]{0,3}[-\s]?\d[\dA-Z\-]{3,}|"
        r"(?:medical\s+record(?:\s+(?:number|no\.?|#))?|record\s+(?:number|no\.?|#)|chart"
        r"(?:\s+(?:number|no\.?|#))?|patient\s+(?:id|number|no\.?|#))[\s:#]*(?:is\s+)?"
        r"[A-Z]{0,4}[-\s]?\d[\dA-Z\-]{3,}", _I)),
    Recognizer(kind="ID", pattern=re.compile(
        r"(?:account|acct|member(?:ship)?|subscriber|policy|group|claim|invoice|insurance|"
        r"license|licence|plate|serial|device|card|certificate|beneficiary|medicare|medicaid|"
        r"passport|npi|dea|ein|tax\s+id|accession|pharmacy)"
        r"(?:\s+(?:id|number|no\.?|#|num))?[\s:#]*(?:is\s+)?([A-Z]{0,4}-?\d[\dA-Z\-]{2,})",
        _I), group=1),
    Recognizer(kind="ID", pattern=re.compile(
        r"(?<![\w.])[A-Z]{0,4}-?\d(?:[\d\-\s]?\d){5,}[A-Z]{0,2}(?![\w])", _I)),
    Recognizer(kind="ADDRESS", pattern=re.compile(
        rf"\b\d{{1,6}}[A-Z]?\s+(?:[NSEW]\.?\s+)?(?:{_CAP}\s+){{0,3}}{_STREET_SUFFIX}"
        r"(?:,?\s*(?:apt|apartment|unit|suite|ste|#)\.?\s*[\w\-]+)?", re.IGNORECASE)),
    Recognizer(kind="ADDRESS", pattern=re.compile(
        r"\bP\.?\s*O\.?\s+Box\s+\d+", _I)),
    Recognizer(kind="ADDRESS", pattern=re.compile(
        rf"\b(?:[A-Z][a-z]+\s){{0,2}}[A-Z][a-z]+,\s+(?:{'|'.join(_STATES)})\b")),
    Recognizer(kind="ADDRESS", pattern=re.compile(
        rf"\b(?:{'|'.join(_STATES)})\.?,?\s+\d{{5}}(?:-\d{{4}})?\b|"
        r"(?i:\bzip(?:\s*code)?)[\s:#]*\d{5}(?:-\d{4})?\b")),
    Recognizer(kind="NAME", pattern=re.compile(
        rf"\b(?i:{_NAME_CONTEXT})\b\.?[:,]?\s+((?:{_CAP}),\s+{_CAP_WORD}(?:\s+{_CAP_WORD})?)"),
        group=1),
    Recognizer(kind="NAME", pattern=re.compile(
        rf"\b(?i:{_NAME_CONTEXT})\b\.?[:,]?\s+(?:(?i:dr|mr|mrs|ms|miss|mx|prof)\.?\s+)?"
        rf"((?:{_CAP_WORD})(?:\s+{_CAP_WORD}){{0,3}})"),
        group=1),
    Recognizer(kind="NAME", pattern=re.compile(
        rf"(?<=:\s)({_CAP}),\s+{_CAP}(?:\s+[A-Z]\.)?")),
    Recognizer(kind="NAME", pattern=re.compile(
        rf"\b(?:{_STRONG_CONTEXT})\s+([a-z][a-z'\-]+(?:\s+{_NOT_STOPWORD}[a-z][a-z'\-]+)?)",
        _I), group=1),
)  # fmt: skip


def _first_name_recognizer() -> Recognizer:
    names = "|".join(sorted(FIRST_NAMES, key=len, reverse=True))
    return Recognizer(
        kind="NAME",
        pattern=re.compile(rf"(?:\b{_CAP},\s+)?\b(?:{names})\b(?:\s+{_CAP_WORD}){{0,3}}"),
    )


class Redactor:
    """Finds identifiers with `recognizers` and replaces them with `[KIND]`."""

    CACHE_SIZE = 512
    """Texts remembered with their redaction: a conversation's system prompt, history and tool
    results are sent again with every model call, and redacted once."""

    def __init__(self, recognizers: Sequence[Recognizer] | None = None) -> None:
        self.recognizers = (
            tuple(recognizers) if recognizers is not None
            else (*RECOGNIZERS, _first_name_recognizer())
        )  # fmt: skip
        self._cache: dict[str, str] = {}

    def find(self, text: str) -> list[Finding]:
        """Every identifier in `text`, overlaps merged (the earliest start wins, then the
        longest), in order."""
        found = sorted(
            (f for r in self.recognizers for f in r.find(text)),
            key=lambda f: (f.start, -(f.end - f.start)),
        )
        merged: list[Finding] = []
        for finding in found:
            if merged and finding.start < merged[-1].end:
                last = merged[-1]
                if finding.end > last.end:
                    merged[-1] = Finding(kind=last.kind, start=last.start, end=finding.end)
                continue
            merged.append(finding)
        return merged

    def redact(self, text: str) -> str:
        """`text` with every identifier replaced by `[KIND]`."""
        if not text:
            return text
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        if len(self._cache) >= self.CACHE_SIZE:
            self._cache.clear()
        self._cache[text] = redacted = self._redact(text)
        return redacted

    def _redact(self, text: str) -> str:
        out: list[str] = []
        position = 0
        for finding in self.find(text):
            out.append(text[position : finding.start])
            out.append(f"[{finding.kind}]")
            position = finding.end
        out.append(text[position:])
        return "".join(out)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record's message (arguments merged in) and its
    formatted exception. Add it to a handler (`handler.addFilter(RedactingFilter())`) to
    cover every logger that reaches the handler; `install_log_redaction` does so for the
    handlers of a logger (the root logger by default)."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.redactor = redactor or Redactor()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redactor.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor.redact(record.stack_info)
        return True


def install_log_redaction(
    logger: logging.Logger | None = None, redactor: Redactor | None = None
) -> RedactingFilter:
    """Add one `RedactingFilter` to every handler of `logger` (default: the root logger) that
    has none yet; returns the filter."""
    target = logger or logging.getLogger()
    log_filter = RedactingFilter(redactor)
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(log_filter)
    return log_filter
