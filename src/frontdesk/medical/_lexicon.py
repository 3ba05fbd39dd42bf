"""The dictionaries the offline extractor matches, and the matcher.

Four tables ship in `medical/data/`:

- `labs.csv` (loinc, name, synonyms, units): ~70 common adult labs keyed by LOINC, synonyms and
  units separated by `|`, the first unit being the one a bare value is assumed to be in;
- `medications.csv` (name, brands, synonyms): ~780 generics, lower case, with brand names and
  abbreviations ("HCTZ"), and the common combination products ("losartan/hydrochlorothiazide");
- `conditions.csv` (icd10, name, synonyms, history_icd10): ~1,370 conditions and symptoms with the
  ICD-10-CM code of a mention, and the code of a past occurrence when coders use another one
  ("history of MI" is I25.2, not I21.9);
- `icd10_terms.csv` (term, icd10): ~8,700 short ICD-10-CM descriptions and inclusion terms
  ("Hypersplenism"), built by `_icd_terms`; a term the curated table also has keeps the
  curated code.

Matching is by tokens (runs of letters and digits), so "T. bili", "T bili" and "Tbili" are
different spellings but "hs-TnI" and "hs TnI" are the same. Short abbreviations with a capital
("K", "Cr", "HTN", "AFib") match only as written or in full capitals, so "k" or "cr" in prose
never does. At each position the longest term wins.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

TermKind = Literal["lab", "medication", "condition"]

_TOKEN = re.compile(r"[A-Za-z0-9µ]+")
# What may separate the tokens of one term: spaces and light punctuation on one line, or a
# hyphen at a line break ("piperacillin-\n tazobactam").
_GAP = re.compile(r"[ \t\-/.'’,()&+]{0,4}|-\n[ \t]*")
_WRAP = re.compile(r"[ \t]*\n[ \t]*")
_LIST_START = re.compile(r"\d{1,2}[.)]\s")
_MAX_TERM_TOKENS = 9
DATA_DIR = Path(__file__).parent / "data"


@dataclass(kw_only=True, slots=True, frozen=True)
class LabDef:
    loinc: str
    name: str
    units: tuple[str, ...]


@dataclass(kw_only=True, slots=True, frozen=True)
class DrugDef:
    name: str
    """Generic, lower case."""


@dataclass(kw_only=True, slots=True, frozen=True)
class ConditionDef:
    icd10: str
    name: str
    history_icd10: str | None


Definition = LabDef | DrugDef | ConditionDef


@dataclass(kw_only=True, slots=True, frozen=True)
class Term:
    """One spelling of a definition."""

    text: str
    definition: Definition
    brand: bool = False
    case_sensitive: bool = False

    @property
    def kind(self) -> TermKind:
        match self.definition:
            case LabDef():
                return "lab"
            case DrugDef():
                return "medication"
            case ConditionDef():
                return "condition"


@dataclass(kw_only=True, slots=True, frozen=True)
class Match:
    """A run of tokens that spells one or more terms (a lab and a drug may share a name)."""

    begin: int
    end: int
    terms: tuple[Term, ...]

    def of_kind(self, kind: TermKind) -> Term | None:
        return next((t for t in self.terms if t.kind == kind), None)


def _rows(file: str) -> list[dict[str, str]]:
    with (DATA_DIR / file).open(encoding="utf-8", newline="") as f:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split("|") if part.strip()]


def _is_abbreviation(text: str) -> bool:
    """Short and capitalised inside ("HTN", "AFib", "Hgb", "K"), not a capitalised word
    ("Iron")."""
    if len(text) > 5 or not any(c.isupper() for c in text):
        return False
    return len(text) <= 3 or any(c.isupper() for c in text[1:])


@functools.cache
def labs() -> dict[str, LabDef]:
    """LOINC -> lab, from `labs.csv`."""
    return {
        row["loinc"]: LabDef(
            loinc=row["loinc"], name=row["name"], units=tuple(_split(row["units"]))
        )
        for row in _rows("labs.csv")
    }


@functools.cache
def lexicon() -> Lexicon:
    """Every term of the three tables, indexed once per process."""
    terms: list[Term] = []
    for row in _rows("labs.csv"):
        lab = labs()[row["loinc"]]
        for text in [row["name"], *_split(row["synonyms"])]:
            terms.append(Term(text=text, definition=lab, case_sensitive=_is_abbreviation(text)))
    for row in _rows("medications.csv"):
        drug = DrugDef(name=row["name"].lower())
        for text in [row["name"], *_split(row["synonyms"])]:
            terms.append(Term(text=text, definition=drug, case_sensitive=_is_abbreviation(text)))
        for text in _split(row["brands"]):
            terms.append(Term(text=text, definition=drug, brand=True))
    for row in _rows("conditions.csv"):
        condition = ConditionDef(
            icd10=row["icd10"], name=row["name"], history_icd10=row["history_icd10"] or None
        )
        for text in [row["name"], *_split(row["synonyms"])]:
            terms.append(
                Term(text=text, definition=condition, case_sensitive=_is_abbreviation(text))
            )
    # ICD-10-CM's own wording for everything else; a curated spelling keeps its code.
    curated = {_key(t.text) for t in terms if t.kind == "condition"}
    for row in _rows("icd10_terms.csv"):
        if _key(row["term"]) in curated:
            continue
        condition = ConditionDef(icd10=row["icd10"], name=row["term"], history_icd10=None)
        terms.append(Term(text=row["term"], definition=condition))
    return Lexicon(terms)


def _key(text: str) -> tuple[str, ...]:
    return tuple(t.lower() for t in _TOKEN.findall(text))


class Lexicon:
    """Terms indexed by their lower-cased token sequence."""

    def __init__(self, terms: list[Term]) -> None:
        self._index: dict[tuple[str, ...], list[Term]] = {}
        self._longest: dict[str, int] = {}
        """First token -> the most tokens a term starting with it has (most tokens start none)."""
        for term in terms:
            key = _key(term.text)
            if not key or len(key) > _MAX_TERM_TOKENS:
                continue
            bucket = self._index.setdefault(key, [])
            if term not in bucket:
                bucket.append(term)
            self._longest[key[0]] = max(self._longest.get(key[0], 0), len(key))

    def matches(self, text: str) -> Iterator[Match]:
        """The longest terms in `text`, left to right, never overlapping."""
        tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
        lowered = [text[b:e].lower() for b, e in tokens]
        i = 0
        while i < len(tokens):
            found = self._longest_at(text, tokens, lowered, i)
            if found is None:
                i += 1
                continue
            n, terms = found
            yield Match(begin=tokens[i][0], end=tokens[i + n - 1][1], terms=terms)
            i += n

    def _longest_at(
        self, text: str, tokens: list[tuple[int, int]], lowered: list[str], i: int
    ) -> tuple[int, tuple[Term, ...]] | None:
        # A term never starts or ends inside a word ("K" in "K9" is one token anyway).
        limit = min(self._longest.get(lowered[i], 0), len(tokens) - i)
        for n in range(limit, 0, -1):
            key = tuple(lowered[i : i + n])
            bucket = self._index.get(key)
            if not bucket:
                continue
            if not all(_joins(text, tokens[j][1], tokens[j + 1][0]) for j in range(i, i + n - 1)):
                continue
            surface = text[tokens[i][0] : tokens[i + n - 1][1]]
            terms = tuple(t for t in bucket if _spelled(t, surface))
            if terms:
                return n, terms
        return None


def _joins(text: str, end: int, begin: int) -> bool:
    """Whether the gap between two tokens may sit inside a term: light punctuation on one line,
    or a line break in wrapped prose (a line of 60+ characters, not a list item after it)."""
    gap = text[end:begin]
    if _GAP.fullmatch(gap):
        return True
    if not _WRAP.fullmatch(gap):
        return False
    line_start = text.rfind("\n", 0, end) + 1
    return end - line_start >= 60 and not _LIST_START.match(text, begin)


def _spelled(term: Term, surface: str) -> bool:
    if not term.case_sensitive:
        return True
    words = _TOKEN.findall(surface)
    own = _TOKEN.findall(term.text)
    if words == own:
        return True
    # Full capitals are accepted for abbreviations of three letters or more ("HGB" for "Hgb").
    return len("".join(own)) >= 3 and words == [w.upper() for w in own]
