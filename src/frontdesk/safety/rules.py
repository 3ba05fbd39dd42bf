"""Red-flag rules from published guidance, read with the message's context.

A rule names a kind of emergency and the patterns that show it. `all` lists the parts that must
each appear somewhere in the message (an infant under 3 months *and* a fever; a head knock
*and* a blood thinner); the first part is the anchor, whose clause is read for context. A rule
fires unless the anchor is negated, past, hypothetical, administrative, someone else's history
or long-standing, or the whole message is settled (already assessed or explained, well now:
`frontdesk.safety.context`), except for the modifiers the rule `keeps`: stroke signs that went
away are still a stroke warning (`keeps = ["resolved"]`).

Rules live in a TOML file an app ships (the clinic's is `apps/clinic/data/red_flags.toml`):

    [[rule]]
    id = "infant_fever"
    class = "medical"
    all = ["@infant_under_3_months", "@fever"]
    why = "AAP: a fever of 100.4 F / 38 C or more under 3 months old is an emergency"

A pattern is a case-insensitive regular expression, or `@name` for a built-in check that a
regular expression cannot make (a temperature of at least 38 C / 100.4 F, an age under 3
months). Rules favour precision: the classifier beside them (`detectors.py`) carries recall,
and a rule is there for what guidance says and a classifier cannot count or weigh.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from frontdesk.errors import ConfigError
from frontdesk.safety.context import (
    MODIFIERS,
    Clause,
    acute,
    clause_at,
    clauses,
    mask_idioms,
    modifiers,
    settled,
)

Span = tuple[int, int]

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a": 1, "an": 1,
}  # fmt: skip


def _number(word: str) -> float | None:
    word = word.lower()
    if word in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[word])
    try:
        return float(word.replace(",", "."))
    except ValueError:
        return None


_AGE = re.compile(
    r"(?<![\d.,])\b(\d{1,2}(?:[.,]\d)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve)\s*-?\s*"
    r"(days?|weeks?|wks?|wk|w|months?|mos?|mths?)\b\s*-?\s*(?:old|\b)"
    r"|\b(?:a|an)\s+(day|week|month)[\s-]+old\b",
    re.IGNORECASE,
)
_NEWBORN = re.compile(r"\bnew[\s-]?born\b|\bneonate\b|\bjust\s+born\b", re.IGNORECASE)
_TEMPERATURE = re.compile(
    r"(?<![\d.])(\d{2,3}(?:[.,]\d{1,2})?)\s*(?:°|º|deg(?:rees?)?|degree)?\s*"
    r"(f|c|fahrenheit|celsius|centigrade)?\b(?!\s*(?:kg|kgs|kilos?|lbs?|pounds?|%|mg|mls?|mmol|mm|cm|"
    r"in\b|bpm|/|mins?\b|minutes|hours?|hrs?|weeks?|wks?|days?|years?|yrs?|months?|mos?|units?))",
    re.IGNORECASE,
)
_TEMPERATURE_CUE = re.compile(
    r"\b(?:temp\w*|fever\w*|thermometer|read(?:ing|s)?|reads|was|of|at|hit|spiked|running|"
    r"measured|registering|showed|shows|says|forehead|rectal\w*|armpit|ear|checked|check|"
    r"took|taken|under\s+(?:the|his|her)\s+arm|axillary|oral|hot|warm)\b[^.!?\n]{0,25}$",
    re.IGNORECASE,
)
_DECIMAL_TEMPERATURE = re.compile(r"^(?:3[89]|4[0-2])[.,]\d$|^1(?:0[0-6])[.,]\d$")
"""A number like 38.6 or 100.9 is a body temperature even with no unit or cue word."""
_FEVER_WORDS = re.compile(
    r"\b(?:fevers?|feverish|febrile|pyrexi\w*|burning\s+up|high\s+temp\w*|temperature|"
    r"hot\s+to\s+(?:the\s+)?touch|spiking|rigou?rs|chills|feels?\s+(?:very\s+|really\s+|so\s+)?"
    r"hot|burning\s+hot)\b",
    re.IGNORECASE,
)


def _fever(text: str) -> Iterator[Span]:
    """Fever words, or a temperature of at least 38 C / 100.4 F (not below 45, so a pulse or
    a weight is not read as Celsius)."""
    for match in _FEVER_WORDS.finditer(text):
        yield match.span()
    for match in _TEMPERATURE.finditer(text):
        value = float(match.group(1).replace(",", "."))
        unit = (match.group(2) or "").lower()[:1]
        cued = (
            unit
            or _DECIMAL_TEMPERATURE.match(match.group(1))
            or _TEMPERATURE_CUE.search(text, max(0, match.start() - 40), match.start())
        )
        if not cued:
            continue
        celsius = unit == "c" or (not unit and value < 45)
        fahrenheit = unit == "f" or (not unit and value >= 95)
        if (celsius and 38.0 <= value < 45) or (fahrenheit and 100.4 <= value < 113):
            yield match.span()


def _infant_under_3_months(text: str) -> Iterator[Span]:
    for match in _AGE.finditer(text):
        amount = _number(match.group(1) or "a")
        unit = (match.group(2) or match.group(3)).lower()
        if amount is None:
            continue
        days = amount * (1 if unit.startswith("d") else 7 if unit.startswith("w") else 30.4)
        if days < 91:
            yield match.span()
    for match in _NEWBORN.finditer(text):
        yield match.span()


_BUILTINS: dict[str, Callable[[str], Iterator[Span]]] = {
    "fever": _fever,
    "infant_under_3_months": _infant_under_3_months,
}


@dataclass(kw_only=True, slots=True, frozen=True)
class Part:
    """One thing a rule needs in the message: a regular expression or a built-in check."""

    source: str
    regex: re.Pattern[str] | None = None
    builtin: Callable[[str], Iterator[Span]] | None = None

    def spans(self, text: str) -> list[Span]:
        if self.builtin is not None:
            return list(self.builtin(text))
        assert self.regex is not None
        return [m.span() for m in self.regex.finditer(text)]

    @classmethod
    def parse(cls, source: str, rule: str) -> Part:
        if source.startswith("@"):
            name = source[1:]
            if name not in _BUILTINS:
                raise ConfigError(
                    f"red-flag rule {rule!r}: unknown built-in {source!r} (known: "
                    f"{', '.join('@' + b for b in sorted(_BUILTINS))})"
                )
            return cls(source=source, builtin=_BUILTINS[name])
        try:
            return cls(source=source, regex=re.compile(source, re.IGNORECASE))
        except re.error as exc:
            raise ConfigError(f"red-flag rule {rule!r}: bad pattern {source!r}: {exc}") from exc


@dataclass(kw_only=True, slots=True, frozen=True)
class RedFlagRule:
    """One kind of emergency: all its parts in the message, the anchor not ruled out by its
    context (except what it `keeps`)."""

    id: str
    risk_class: str
    parts: tuple[Part, ...]
    keeps: frozenset[str] = frozenset()
    why: str = ""


@dataclass(kw_only=True, slots=True, frozen=True)
class RuleHit:
    rule: RedFlagRule
    words: str
    """The anchor's words as written (the evidence)."""


@dataclass(kw_only=True, slots=True)
class RuleSet:
    """The red-flag rules of an app, matched against messages."""

    rules: Sequence[RedFlagRule]
    version: str = "unversioned"
    by_class: dict[str, list[RedFlagRule]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for rule in self.rules:
            self.by_class.setdefault(rule.risk_class, []).append(rule)

    @classmethod
    def load(cls, path: Path) -> RuleSet:
        """The rules of a TOML file (module doc)."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read red-flag rules from {path}: {exc}") from exc
        return cls.from_toml(text, source=str(path))

    @classmethod
    def from_toml(cls, text: str, *, source: str = "rules") -> RuleSet:
        """The rules of a TOML document (module doc)."""
        path = source
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"cannot read red-flag rules from {source}: {exc}") from exc
        rules = []
        for number, item in enumerate(data.get("rule", []), start=1):
            name = str(item.get("id") or f"rule {number}")
            parts = item.get("all") or ([item["any"]] if "any" in item else None)
            if not parts or "class" not in item:
                raise ConfigError(f"{path}: red-flag rule {name!r} needs `class` and `all`")
            keeps = frozenset(item.get("keeps", ()))
            unknown = keeps - set(MODIFIERS)
            if unknown:
                raise ConfigError(f"{path}: rule {name!r} keeps unknown modifiers {unknown}")
            rules.append(
                RedFlagRule(
                    id=name,
                    risk_class=str(item["class"]),
                    parts=tuple(Part.parse(_join(p), name) for p in parts),
                    keeps=keeps,
                    why=str(item.get("why", "")),
                )
            )
        return cls(rules=rules, version=str(data.get("version", "unversioned")))

    def hits(self, text: str, risk_class: str | None = None) -> list[RuleHit]:
        """The rules that fire on `text` (of one class, or all)."""
        masked = mask_idioms(text)
        found_clauses: list[Clause] | None = None
        is_settled = False
        hits: list[RuleHit] = []
        rules = self.rules if risk_class is None else self.by_class.get(risk_class, [])
        for rule in rules:
            anchors = rule.parts[0].spans(masked)
            if not anchors or any(not part.spans(masked) for part in rule.parts[1:]):
                continue
            if found_clauses is None:
                found_clauses = clauses(masked)
                is_settled = settled(masked)
            if is_settled and "settled" not in rule.keeps:
                continue
            # every part needs an occurrence its context does not rule out ("not on warfarin"
            # rules out the blood thinner a head knock needs)
            found: list[Span] = []
            for index, part in enumerate(rule.parts):
                spans = anchors if index == 0 else part.spans(masked)
                kept = next(
                    (span for span in spans if self._stands(rule, found_clauses, masked, span)),
                    None,
                )
                if kept is None:
                    break
                found.append(kept)
            else:
                begin, end = found[0]
                hits.append(RuleHit(rule=rule, words=text[begin:end]))
        return hits

    @staticmethod
    def _stands(rule: RedFlagRule, found: list[Clause], text: str, span: Span) -> bool:
        clause = clause_at(found, span[0])
        if clause is None:
            return False
        ruled_out = modifiers(clause, span[0], span[1]) - rule.keeps
        if "chronic" in ruled_out and acute(text):
            ruled_out.discard("chronic")
        return not ruled_out


def _join(part: str | list[str]) -> str:
    """A part written as a list of alternatives is one alternation."""
    if isinstance(part, list):
        return "|".join(f"(?:{p})" for p in part)
    return part
