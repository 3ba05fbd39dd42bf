"""An offline differential for the debate demonstrator: a small rule table from abnormal results
(plus the report's documented diagnoses and medications) to candidate conditions with
ICD-10-CM codes, read through three stances.

**A demonstrator, not clinical advice.** The rules are a short, hand-written illustration of
how analysts with different habits rank the same findings; they are not validated, not
complete, and must not be used to diagnose anyone.

How it works:

1. `facts(extraction, analysis)` turns the analysed report into facts: `creatinine:high`,
   `egfr:low` (eGFR < 60), `hba1c:diabetic` (>= 6.5 %), `dx:N18` (an asserted diagnosis in
   ICD-10-CM category N18), `med:statin`... each with the text that shows it.
2. Every `Rule` explains at least one abnormal result. It lists weighted evidence (a negative
   weight counts against it), the groups of facts it `requires` (one of each group), and the
   candidates it `absorbs` (a combination code such as I12.9 hypertensive CKD absorbs N18.9).
   A rule's score is the sum of the weights of the facts present; when the report documents a
   more specific code under the rule's `refine` prefix (N18.32 for N18.9), the candidate takes
   that code.
3. A `Stance` decides what makes the list:
   - **conservative**: only well-supported candidates (score >= 0.6 and two or more pieces
     of evidence), at most 3;
   - **broad**: anything with some support (score >= 0.25), speculative alternatives included
     (acute kidney injury, dehydration, hyperglycaemia without a diagnosis), at most 6;
   - **specialist** (nephrology and cardiology focus): +0.15 for candidates of its focus, and it
     prefers combination codes: a combination that applies absorbs its components' scores.
   The stances agree on clear cases (one well-supported explanation) and disagree on ambiguous
   ones (several partial explanations), which is what the debate's agreement score measures.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from frontdesk.medical.entities import Analysis, Extraction, Lab
from frontdesk.patterns.debate import Analyst, Candidate
from frontdesk.patterns.steps import StepContext

Specialty = Literal[
    "nephrology", "cardiology", "endocrinology", "hematology", "hepatology", "general"
]

DISCLAIMER = "Demonstrator rule table, not clinical advice: a clinician must review."

# canonical lab name (lower case) → the short key facts use
_LAB_KEYS = {
    "hemoglobin": "hemoglobin",
    "hematocrit": "hematocrit",
    "white blood cell count": "wbc",
    "platelet count": "platelets",
    "mean corpuscular volume": "mcv",
    "sodium": "sodium",
    "potassium": "potassium",
    "blood urea nitrogen": "bun",
    "creatinine": "creatinine",
    "egfr": "egfr",
    "glucose": "glucose",
    "hemoglobin a1c": "hba1c",
    "total cholesterol": "cholesterol",
    "ldl cholesterol": "ldl",
    "triglycerides": "triglycerides",
    "thyroid stimulating hormone": "tsh",
    "free thyroxine": "ft4",
    "troponin i": "troponin",
    "high-sensitivity troponin i": "troponin",
    "troponin t": "troponin",
    "bnp": "bnp",
    "nt-probnp": "bnp",
    "ferritin": "ferritin",
    "iron": "iron",
    "alanine aminotransferase": "alt",
    "aspartate aminotransferase": "ast",
    "c-reactive protein": "crp",
    "high-sensitivity crp": "crp",
    "urine albumin/creatinine ratio": "uacr",
    "vitamin b12": "b12",
    "25-hydroxyvitamin d": "vitamin_d",
    "uric acid": "uric_acid",
}

# generic medication → the class facts use
_MED_CLASSES = {
    **dict.fromkeys(
        (
            "metformin",
            "insulin glargine",
            "insulin lispro",
            "insulin aspart",
            "insulin",
            "glipizide",
            "glimepiride",
            "glyburide",
            "sitagliptin",
            "linagliptin",
            "empagliflozin",
            "dapagliflozin",
            "canagliflozin",
            "semaglutide",
            "liraglutide",
            "dulaglutide",
            "pioglitazone",
        ),
        "diabetes",
    ),
    **dict.fromkeys(
        ("atorvastatin", "rosuvastatin", "simvastatin", "pravastatin", "lovastatin"), "statin"
    ),
    **dict.fromkeys(("furosemide", "bumetanide", "torsemide"), "loop_diuretic"),
    **dict.fromkeys(("levothyroxine",), "thyroid_hormone"),
    **dict.fromkeys(("ferrous sulfate", "ferrous gluconate", "iron sucrose"), "iron"),
}


@dataclass(kw_only=True, frozen=True, slots=True)
class Rule:
    """One candidate condition and what supports it (see the module docstring)."""

    code: str
    label: str
    specialty: Specialty
    evidence: dict[str, float]
    requires: tuple[frozenset[str], ...] = ()
    absorbs: tuple[str, ...] = ()
    speculative: bool = False
    refine: str | None = None
    """A code prefix: a documented code under it, more specific than `code`, replaces it
    (N18.9 becomes the report's N18.32). None: the rule's code stands."""


def _any(*facts: str) -> frozenset[str]:
    return frozenset(facts)


RULES: tuple[Rule, ...] = (
    # kidney
    Rule(code="N18.9", refine="N18",
         label="Chronic kidney disease, unspecified", specialty="nephrology",
         evidence={"egfr:low": 0.45, "creatinine:high": 0.3, "dx:N18": 0.6, "uacr:high": 0.25,
                   "bun:high": 0.1},
         requires=(_any("egfr:low", "creatinine:high", "uacr:high"),)),
    Rule(code="N17.9", refine="N17",
         label="Acute kidney failure, unspecified", specialty="nephrology",
         evidence={"creatinine:high": 0.35, "bun:high": 0.15, "potassium:high": 0.1,
                   "dx:N18": -0.3},
         requires=(_any("creatinine:high"),), speculative=True),
    Rule(code="I12.9", label="Hypertensive chronic kidney disease", specialty="nephrology",
         evidence={"dx:I10": 0.3, "dx:I12": 0.6, "egfr:low": 0.25, "dx:N18": 0.3,
                   "uacr:high": 0.15},
         requires=(_any("dx:I10", "dx:I12"), _any("egfr:low", "uacr:high")),
         absorbs=("N18.9",)),
    Rule(code="E11.22", label="Type 2 diabetes mellitus with diabetic chronic kidney disease",
         specialty="nephrology",
         evidence={"dx:E11": 0.3, "hba1c:diabetic": 0.15, "egfr:low": 0.25, "dx:N18": 0.25,
                   "uacr:high": 0.25},
         requires=(_any("dx:E11", "hba1c:diabetic"), _any("egfr:low", "uacr:high")),
         absorbs=("N18.9", "E11.9")),
    # electrolytes and fluids
    Rule(code="E87.5", label="Hyperkalemia", specialty="nephrology",
         evidence={"potassium:high": 0.7}, requires=(_any("potassium:high"),)),
    Rule(code="E87.6", label="Hypokalemia", specialty="general",
         evidence={"potassium:low": 0.7, "med:loop_diuretic": 0.15},
         requires=(_any("potassium:low"),)),
    Rule(code="E87.1", label="Hypo-osmolality and hyponatremia", specialty="general",
         evidence={"sodium:low": 0.7}, requires=(_any("sodium:low"),)),
    Rule(code="E86.0", label="Dehydration", specialty="general",
         evidence={"bun:high": 0.25, "sodium:high": 0.25, "creatinine:high": 0.1},
         requires=(_any("bun:high", "sodium:high"),), speculative=True),
    # blood
    Rule(code="D63.1", label="Anemia in chronic kidney disease", specialty="nephrology",
         evidence={"hemoglobin:low": 0.35, "egfr:low": 0.25, "dx:N18": 0.3},
         requires=(_any("hemoglobin:low"), _any("egfr:low", "dx:N18")),
         absorbs=("D64.9",)),
    Rule(code="D50.9", refine="D50",
         label="Iron deficiency anemia, unspecified", specialty="hematology",
         evidence={"hemoglobin:low": 0.3, "ferritin:low": 0.4, "mcv:low": 0.25, "iron:low": 0.15,
                   "med:iron": 0.1},
         requires=(_any("hemoglobin:low"), _any("ferritin:low", "mcv:low", "iron:low"))),
    Rule(code="D64.9", refine="D64",
         label="Anemia, unspecified", specialty="hematology",
         evidence={"hemoglobin:low": 0.5, "hematocrit:low": 0.15},
         requires=(_any("hemoglobin:low"),)),
    Rule(code="D69.6", refine="D69",
         label="Thrombocytopenia, unspecified", specialty="hematology",
         evidence={"platelets:low": 0.6}, requires=(_any("platelets:low"),)),
    Rule(code="D72.829", label="Elevated white blood cell count, unspecified",
         specialty="general", evidence={"wbc:high": 0.45, "crp:high": 0.15},
         requires=(_any("wbc:high"),)),
    # metabolic
    Rule(code="E11.9", refine="E11",
         label="Type 2 diabetes mellitus without complications",
         specialty="endocrinology",
         evidence={"dx:E11": 0.6, "hba1c:diabetic": 0.4, "glucose:high": 0.15,
                   "med:diabetes": 0.2},
         requires=(_any("hba1c:diabetic", "glucose:high"),
                   _any("dx:E11", "hba1c:diabetic", "med:diabetes"))),
    Rule(code="R73.03", label="Prediabetes", specialty="endocrinology",
         evidence={"hba1c:prediabetic": 0.6, "glucose:high": 0.15, "dx:E11": -1.0},
         requires=(_any("hba1c:prediabetic"),)),
    Rule(code="R73.9", label="Hyperglycemia, unspecified", specialty="endocrinology",
         evidence={"glucose:high": 0.4, "dx:E11": -0.5, "med:diabetes": -0.3},
         requires=(_any("glucose:high"),), speculative=True),
    Rule(code="E78.5", refine="E78",
         label="Hyperlipidemia, unspecified", specialty="cardiology",
         evidence={"ldl:high": 0.45, "cholesterol:high": 0.25, "triglycerides:high": 0.2,
                   "dx:E78": 0.5, "med:statin": 0.2},
         requires=(_any("ldl:high", "cholesterol:high", "triglycerides:high"),)),
    Rule(code="E03.9", refine="E03",
         label="Hypothyroidism, unspecified", specialty="endocrinology",
         evidence={"tsh:high": 0.5, "ft4:low": 0.3, "dx:E03": 0.5, "med:thyroid_hormone": 0.2},
         requires=(_any("tsh:high", "ft4:low"),)),
    Rule(code="E05.90", refine="E05",
         label="Thyrotoxicosis, unspecified", specialty="endocrinology",
         evidence={"tsh:low": 0.5, "ft4:high": 0.3, "dx:E05": 0.5},
         requires=(_any("tsh:low", "ft4:high"),)),
    Rule(code="E55.9", refine="E55",
         label="Vitamin D deficiency, unspecified", specialty="general",
         evidence={"vitamin_d:low": 0.6}, requires=(_any("vitamin_d:low"),)),
    Rule(code="D51.9", refine="D51",
         label="Vitamin B12 deficiency anemia, unspecified",
         specialty="hematology", evidence={"b12:low": 0.45, "hemoglobin:low": 0.15,
                                           "mcv:high": 0.2},
         requires=(_any("b12:low"),)),
    Rule(code="E79.0", label="Hyperuricemia without signs of inflammatory arthritis",
         specialty="general", evidence={"uric_acid:high": 0.5},
         requires=(_any("uric_acid:high"),)),
    # heart and liver
    Rule(code="I50.9", refine="I50",
         label="Heart failure, unspecified", specialty="cardiology",
         evidence={"bnp:high": 0.5, "dx:I50": 0.5, "med:loop_diuretic": 0.15},
         requires=(_any("bnp:high"),)),
    Rule(code="I21.9", refine="I21",
         label="Acute myocardial infarction, unspecified", specialty="cardiology",
         evidence={"troponin:high": 0.6, "dx:I21": 0.4}, requires=(_any("troponin:high"),)),
    Rule(code="R74.01", label="Elevation of liver transaminase levels", specialty="hepatology",
         evidence={"alt:high": 0.35, "ast:high": 0.3}, requires=(_any("alt:high", "ast:high"),)),
)  # fmt: skip


@dataclass(kw_only=True, frozen=True, slots=True)
class Stance:
    """How an analyst reads the rule table (module docstring)."""

    name: str
    description: str
    min_score: float
    min_evidence: int
    max_candidates: int
    speculative: bool = False
    focus: frozenset[Specialty] = frozenset()
    focus_bonus: float = 0.0
    combine: bool = False


CONSERVATIVE = Stance(
    name="conservative",
    description="only well-supported conditions (two or more pieces of evidence)",
    min_score=0.6, min_evidence=2, max_candidates=3,
)  # fmt: skip
BROAD = Stance(
    name="broad",
    description="a wide differential, speculative alternatives included",
    min_score=0.25, min_evidence=1, max_candidates=6, speculative=True,
)  # fmt: skip
SPECIALIST = Stance(
    name="specialist",
    description="nephrology and cardiology focus; prefers combination codes",
    min_score=0.35, min_evidence=1, max_candidates=4,
    focus=frozenset({"nephrology", "cardiology"}), focus_bonus=0.15, combine=True,
)  # fmt: skip
STANCES = (CONSERVATIVE, BROAD, SPECIALIST)


@dataclass(kw_only=True, slots=True)
class Case:
    """What the analysts read: the validated extraction and its analysis."""

    extraction: Extraction
    analysis: Analysis = field(default_factory=Analysis)


def facts(extraction: Extraction, analysis: Analysis | None = None) -> dict[str, str]:
    """The facts the rules use, each with the text that shows it (for the reasoning)."""
    found: dict[str, str] = {}
    for lab in extraction.labs:
        key = _LAB_KEYS.get(lab.name.strip().lower())
        if key is None:
            continue
        shown = f"{lab.name} {lab.value:g} {lab.unit}".rstrip()
        if key == "egfr":  # KDIGO: below 60 for 3 months is CKD G3-G5, whatever the lab's flag
            if lab.value < 60:
                found["egfr:low"] = f"{shown} (< 60)"
            continue
        if key == "hba1c" and lab.unit.strip() in ("%", ""):  # ADA: 6.5 % diabetes, 5.7 % pre-
            if lab.value >= 6.5:
                found["hba1c:diabetic"] = f"{shown} (>= 6.5 %)"
            elif lab.value >= 5.7:
                found["hba1c:prediabetic"] = f"{shown} (5.7-6.4 %)"
            continue
        direction = _direction(lab)
        if direction is not None:
            found.setdefault(f"{key}:{direction}", f"{shown} ({lab.flag})")
    for dx in extraction.diagnoses:
        if dx.asserted and dx.icd10:
            found.setdefault(f"dx:{dx.icd10[:3].upper()}", f"documented: {dx.text}")
    for med in extraction.medications:
        kind = _MED_CLASSES.get(med.name.strip().lower())
        if kind is not None:
            found.setdefault(f"med:{kind}", f"takes {med.name}")
    for finding in analysis.findings if analysis is not None else ():
        if finding.icd10:
            found.setdefault(f"finding:{finding.icd10[:3].upper()}", finding.name)
    return found


def _direction(lab: Lab) -> Literal["high", "low"] | None:
    """high / low for a flagged lab; a critical one by where its value is against its range."""
    if lab.flag in ("high", "low"):
        return lab.flag
    if lab.flag != "critical" or not lab.reference_range:
        return None
    text = lab.reference_range.replace(" ", "")
    number = r"(\d+(?:\.\d+)?)"
    if match := re.match(rf"{number}-{number}", text):
        low, high = float(match.group(1)), float(match.group(2))
        return "high" if lab.value > high else "low" if lab.value < low else None
    if match := re.match(rf"<=?{number}", text):
        return "high" if lab.value > float(match.group(1)) else None
    if match := re.match(rf">=?{number}", text):
        return "low" if lab.value < float(match.group(1)) else None
    return None


@dataclass(kw_only=True, slots=True)
class _Scored:
    rule: Rule
    code: str
    label: str
    score: float
    support: list[str]
    against: list[str]


def differential(case: Case, stance: Stance, *, rules: Sequence[Rule] = RULES) -> list[Candidate]:
    """The ranked differential `stance` gives for `case` (best first)."""
    seen = facts(case.extraction, case.analysis)
    documented = {
        dx.icd10.upper(): dx
        for dx in case.extraction.diagnoses
        if dx.asserted and dx.icd10
    }  # fmt: skip
    scored: dict[str, _Scored] = {}
    for rule in rules:
        if rule.speculative and not stance.speculative:
            continue
        if not all(group & seen.keys() for group in rule.requires):
            continue
        support = [seen[f] for f, w in rule.evidence.items() if f in seen and w > 0]
        against = [seen[f] for f, w in rule.evidence.items() if f in seen and w < 0]
        if len(support) < stance.min_evidence:
            continue
        score = sum(w for f, w in rule.evidence.items() if f in seen)
        if rule.specialty in stance.focus:
            score += stance.focus_bonus
        code, label = rule.code, rule.label
        for known, dx in documented.items():  # the report's own, more specific code
            if rule.refine and known.startswith(rule.refine) and len(known) > len(code):
                code, label = known, dx.description or label
        scored[rule.code] = _Scored(
            rule=rule, code=code, label=label, score=score, support=support, against=against
        )
    if stance.combine:
        for item in sorted(scored.values(), key=lambda s: -s.score):
            if scored.get(item.rule.code) is not item:
                continue  # absorbed itself already
            for absorbed in item.rule.absorbs:
                part = scored.pop(absorbed, None)
                if part is not None:
                    item.score += part.score
                    item.support.append(f"absorbs {part.code} {part.label}")
    kept = [s for s in scored.values() if s.score >= stance.min_score]
    kept.sort(key=lambda s: (-s.score, -len(s.support), s.code))
    return [
        Candidate(
            label=s.label,
            code=s.code,
            score=min(1.0, round(s.score, 4)),
            reasoning=_reasoning(stance, s),
        )
        for s in kept[: stance.max_candidates]
    ]


def _reasoning(stance: Stance, item: _Scored) -> str:
    text = f"{stance.name}: supported by " + "; ".join(item.support)
    if item.against:
        text += ". Against: " + "; ".join(item.against)
    return text + "."


def stance_analyst(stance: Stance) -> Analyst[Case]:
    """An offline analyst reading the rule table through `stance`."""

    def run(case: Case, ctx: StepContext) -> list[Candidate]:
        return differential(case, stance)

    return Analyst(name=stance.name, run=run, description=stance.description)
