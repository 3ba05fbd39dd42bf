"""Riverside Clinic guardrails: medical output safety and prompt-injection screening.

- `no_personal_dosing` (output): blocks an answer that tells the reader how much of a medicine to
  take or how to change a dose ("take 800 mg", "double your dose", "increase your insulin to 30
  units"), unless that very sentence appears in the knowledge-base passages the answer was
  grounded on (`GuardrailContext.knowledge`). Reason: `personal_dosing`.
- `not_a_diagnosis` (output): appends a one-line "general information, not a diagnosis"
  disclaimer when the answer lacks one (placed before the offline-mode note, if any).
- `prompt_injection` (input; used by the medical and general specialists): blocks attempts to
  override the assistant's instructions or extract its system prompt. Reason: `prompt_injection`.

The dosing check is pattern-based and deliberately leans towards blocking: a blocked answer
falls back to the specialist's safe reply (and, for `medical_query`, escalates to staff), while a
wrong dose can hurt.
Negated or delegated wording in the same clause ("do not double your dose", "your prescriber
may lower your dose") is not treated as an instruction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence

from frontdesk.guardrails import Guardrail, GuardrailContext, GuardrailResult, guardrail
from frontdesk.offline import OFFLINE_NOTE

DISCLAIMER = (
    "This is general information, not a diagnosis: please talk with a clinician about your own "
    "situation, and call 911 in an emergency."
)

_FLAGS = re.IGNORECASE

_NUMBER = (
    r"(?:\d+(?:[.,]\d+)*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|half(?:\s+an?)?|a\s+half|another|an\s+extra|an\s+additional|a\s+second|a\s+double)"
)
_UNIT = (
    r"(?:mg|milligrams?|mcg|micrograms?|µg|g|grams?|ml|milliliters?|millilitres?|cc|units?|iu"
    r"|tablets?|tabs?|pills?|capsules?|caps|caplets?|gel\s*caps?|softgels?|puffs?|drops?"
    r"|teaspoons?|tsps?|tablespoons?|tbsps?|doses?|sprays?|patch(?:es)?|gummies|chewables?)"
)
_AMOUNT = rf"{_NUMBER}(?:\s*(?:-|–|to|or)\s*{_NUMBER})?(?:\s+{_NUMBER})?\s*{_UNIT}\b"
_MEDICINE = (
    r"(?:dose|doses|dosage|dosing|insulin|medication|medications|medicine|medicines|meds"
    r"|prescription|pills?|tablets?|units?)"
)

# Earlier in the same clause, a negation turns any dosing phrase into a caution ("do not take 2
# doses"); a referral only softens a dose *change* ("ask your prescriber whether to lower your
# dose"), never an amount ("your doctor wants you to take 800 mg" still names a dose).
_NEGATION = re.compile(r"\b(?:not|don'?t|do\s+not|never|avoid)\b", _FLAGS)
_REFERRAL = re.compile(
    r"\b(?:not|don'?t|do\s+not|never|avoid|without|unless|whether|ask|talk|check|clinician"
    r"|doctor|prescriber|pharmacist|provider|care\s+team)\b",
    _FLAGS,
)
_AMOUNT_PATTERNS = (
    # "take 800 mg", "give your child 5 ml", "you can take up to 2 tablets"
    rf"\b(?:take|takes|taking|use|using|give|giving|inject|injecting|apply|swallow|chew"
    rf"|administer|try|start\s+(?:with|on)|go\s+(?:up|down)\s+to|stick\s+to)\s+"
    rf"(?:(?:him|her|them|your\s+\w+)\s+)?"
    rf"(?:(?:up\s+to|about|around|roughly|approximately|only|just|exactly|at\s+least)\s+)?"
    rf"(?:an?\s+)?{_AMOUNT}",
    # "take it every 4 hours", "use the inhaler twice a day"
    rf"\b(?:take|use|give|inject|apply)\b[^.!?\n]{{0,40}}?\b(?:every\s+{_NUMBER}"
    rf"(?:\s*(?:-|–|to)\s*{_NUMBER})?\s*(?:hours?|hrs?)\b|(?:once|twice|three\s+times"
    rf"|four\s+times|\d+\s+times)\s+(?:a|per|each)\s+day\b)",
    # "your dose should be 20 units"
    rf"\byour\s+(?:\w+\s+)?(?:dose|dosage)\s+(?:should|would|could|will|is|can)\s+"
    rf"(?:be\s+)?(?:about\s+|around\s+)?{_AMOUNT}",
    # "500 mg is fine for you"
    rf"{_AMOUNT}\s+(?:is|are|would\s+be|should\s+be)\s+(?:right|fine|safe|ok|okay|enough"
    rf"|appropriate)\s+for\s+(?:you|your|him|her|them)\b",
)
_CHANGE_PATTERNS = (
    # "double your dose", "increase your insulin", "cut your pills in half"
    rf"\b(?:double|triple|halve|increase|decrease|raise|lower|reduce|cut|bump|up)\s+"
    rf"(?:up\s+|down\s+|back\s+)?(?:your|his|her|the)\s+(?:\w+\s+){{0,2}}?{_MEDICINE}\b",
)
_DOSING_PATTERNS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    *((re.compile(p, _FLAGS), _NEGATION) for p in _AMOUNT_PATTERNS),
    *((re.compile(p, _FLAGS), _REFERRAL) for p in _CHANGE_PATTERNS),
)
"""Each dosing pattern with the hedge that, earlier in its clause, cancels it."""

_CLAUSE_BREAK = re.compile(r"[,;:()]|\s(?:but|and|then|so)\s|\s[-–—]\s", _FLAGS)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def _normalise(text: str) -> str:
    text = text.lower().replace("’", "'").replace("“", '"').replace("”", '"')
    text = re.sub(r"^[\s>*•\-–—#]+", "", text)
    return re.sub(r"\s+", " ", text).strip().rstrip(".!?;:").strip()


def _passages(knowledge: Iterable[str]) -> str:
    """The knowledge texts as one normalised string (tool results are JSON lists of passages)."""
    texts: list[str] = []
    for item in knowledge:
        try:
            data = json.loads(item)
        except (json.JSONDecodeError, TypeError):
            texts.append(item)
            continue
        entries = data if isinstance(data, list) else [data]
        for entry in entries:
            if isinstance(entry, dict):
                texts.extend(str(entry.get(key, "")) for key in ("title", "text"))
            else:
                texts.append(str(entry))
    return " \n ".join(_normalise(t) for t in texts)


def _instructs(sentence: str) -> bool:
    """Whether a sentence holds a dosing phrase that is not negated (or, for a dose change,
    referred to a clinician)."""
    for pattern, hedge in _DOSING_PATTERNS:
        for match in pattern.finditer(sentence):
            clause = _CLAUSE_BREAK.split(sentence[: match.start()])[-1][-60:]
            if not hedge.search(clause):
                return True
    return False


def find_personal_dosing(text: str, knowledge: Sequence[str] = ()) -> list[str]:
    """The sentences of `text` that give dosing instructions not found verbatim (up to case,
    spacing and end punctuation) in the `knowledge` passages."""
    grounded = _passages(knowledge)
    offending: list[str] = []
    for sentence in _SENTENCE.split(text):
        if sentence.strip() and _instructs(sentence):
            normalised = _normalise(sentence)
            if not normalised or normalised not in grounded:
                offending.append(sentence.strip())
    return offending


def _check_personal_dosing(text: str, ctx: GuardrailContext) -> GuardrailResult:
    if find_personal_dosing(text, ctx.knowledge):
        return GuardrailResult.block("personal_dosing")
    return GuardrailResult.ok()


def _check_disclaimer(text: str, ctx: GuardrailContext) -> GuardrailResult:
    if not text.strip() or "not a diagnosis" in text.lower():
        return GuardrailResult.ok()
    body = text.rstrip()
    if body.endswith(OFFLINE_NOTE):
        body = body[: -len(OFFLINE_NOTE)].rstrip()
        return GuardrailResult.rewrite(
            f"{body}\n\n{DISCLAIMER}\n\n{OFFLINE_NOTE}", reason="disclaimer_added"
        )
    return GuardrailResult.rewrite(f"{body}\n\n{DISCLAIMER}", reason="disclaimer_added")


_TARGET = (
    r"(?:instructions?|rules|prompts?|guidelines|directions|directives|guardrails|programming"
    r"|polic(?:y|ies)|restrictions|training|constraints)"
)
_INJECTION_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, _FLAGS | re.MULTILINE)
    for p in (
        # "ignore all previous instructions", "disregard the above rules"
        rf"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+|every\s+)?(?:of\s+)?"
        rf"(?:the\s+|your\s+|these\s+|those\s+|my\s+)?(?:previous|prior|above|earlier|preceding"
        rf"|original|initial|system|safety|existing|developer|hidden)\s+(?:\w+\s+)?{_TARGET}",
        # "ignore your rules", "bypass your safety guidelines"
        rf"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+)?(?:of\s+)?your\s+"
        rf"(?:\w+\s+)?{_TARGET}",
        # "forget everything you were told"
        r"\b(?:ignore|disregard|forget)\s+(?:everything|all)\s+(?:you\s+(?:were|have\s+been|'ve"
        r"\s+been)\s+told|above|before|previously|so\s+far)",
        # "reveal your system prompt", "print the hidden instructions"
        r"\b(?:reveal|show|print|repeat|display|output|leak|dump|expose|tell\s+me|give\s+me|share"
        r"|paste|copy|what\s+(?:is|are|was|were))\b[^.?!\n]{0,30}?\b(?:system|hidden|secret"
        r"|internal|developer|confidential)\s+(?:prompt|instructions?|rules|message|config"
        r"\w*|guidelines)",
        r"\b(?:system|your)\s+prompt\b",
        r"\byour\s+(?:original|initial|first|real|actual|underlying|hidden)\s+"
        r"(?:instructions?|prompt|rules|programming)\b",
        # role hijacks
        r"\b(?:you\s+are\s+now|from\s+now\s+on,?\s+you\s+are|act\s+as|pretend\s+(?:to\s+be|you"
        r"\s+are)|roleplay\s+as)\b[^.?!\n]{0,40}?\b(?:dan|unrestricted|unfiltered|uncensored"
        r"|jailbroken|evil|without\s+(?:any\s+)?(?:rules|restrictions|limits|filters)|no\s+"
        r"(?:rules|restrictions|limits|filters))\b",
        r"\bjailbr[eo]\w*|\bdeveloper\s+mode\b|\bdan\s+mode\b|\bdo\s+anything\s+now\b",
        # fake system or instruction markers
        r"<\s*/?\s*(?:system|sys|instructions?)\s*>|\[\s*/?\s*(?:system|inst)\s*\]",
        r"^\s*#*\s*system\s*(?:message|prompt)?\s*:",
        r"\bnew\s+(?:system\s+)?instructions?\s*:",
    )
)


def looks_like_injection(text: str) -> bool:
    """Whether `text` tries to override the assistant's instructions or extract its prompt."""
    return any(p.search(text) for p in _INJECTION_PATTERNS)


def _check_injection(text: str, ctx: GuardrailContext) -> GuardrailResult:
    if looks_like_injection(text):
        return GuardrailResult.block("prompt_injection")
    return GuardrailResult.ok()


no_personal_dosing: Guardrail = guardrail(_check_personal_dosing, name="no_personal_dosing")
not_a_diagnosis: Guardrail = guardrail(_check_disclaimer, name="not_a_diagnosis")
prompt_injection: Guardrail = guardrail(_check_injection, name="prompt_injection")

MEDICAL_OUTPUT_GUARDRAILS: tuple[Guardrail, ...] = (no_personal_dosing, not_a_diagnosis)
"""The medical specialist's output checks, in order: block personal dosing, then add the
disclaimer."""

__all__ = [
    "DISCLAIMER",
    "MEDICAL_OUTPUT_GUARDRAILS",
    "find_personal_dosing",
    "looks_like_injection",
    "no_personal_dosing",
    "not_a_diagnosis",
    "prompt_injection",
]
