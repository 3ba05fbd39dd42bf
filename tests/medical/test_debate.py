"""The medical differential debate: three stances over one rule table agree on clear cases and
disagree on ambiguous ones; only asserted diagnoses count as evidence."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from frontdesk import FunctionModel, ModelResponse
from frontdesk.medical.analysts import differential_debate
from frontdesk.medical.differential import (
    BROAD,
    CONSERVATIVE,
    SPECIALIST,
    Case,
    differential,
    facts,
)
from frontdesk.medical.entities import Diagnosis, Extraction, Lab, Medication
from frontdesk.medical.pipeline import analyze_report
from frontdesk.messages import Message, SystemMessage, UserMessage
from frontdesk.models import ToolDefinition
from frontdesk.models.testing import text_response
from frontdesk.patterns.debate import Analyst, Candidate, run_debate
from frontdesk.patterns.steps import StepContext

REPORTS = Path(__file__).parent / "reports"

CLEAR = """\
Labs: HbA1c 8.4 %, fasting glucose 182 mg/dL (H), creatinine 0.9 mg/dL.
Assessment: type 2 diabetes mellitus, poorly controlled. Continue metformin 1000 mg twice daily.
"""
AMBIGUOUS = """\
Labs: creatinine 1.9 mg/dL (H), BUN 31 mg/dL (H), eGFR 36 mL/min/1.73m2, hemoglobin 10.4 g/dL (L).
History: hypertension on amlodipine 10 mg daily. No prior renal function available.
"""
IRON = """\
CBC: Hemoglobin 9.8 g/dL (L), MCV 71 fL (L), ferritin 6 ng/mL (L), platelets 310 K/uL.
"""


async def test_a_clear_case_gets_one_answer_with_high_confidence() -> None:
    data = (await analyze_report(CLEAR, debate=True)).to_json()
    debate = data["debate"]
    firsts = {a["analyst"]: a["differential"][0]["code"] for a in debate["analyses"]}
    assert firsts == {"conservative": "E11.65", "broad": "E11.65", "specialist": "E11.65"}
    assert debate["agreement"] == 1.0
    assert debate["confidence"] == "high"
    assert debate["requires_human_review"] is False
    assert debate["decision"]["code"] == "E11.65"


async def test_an_ambiguous_case_presents_options_for_human_review() -> None:
    data = (await analyze_report(AMBIGUOUS, debate=True)).to_json()
    debate = data["debate"]
    ranked = {a["analyst"]: [c["code"] for c in a["differential"]] for a in debate["analyses"]}
    assert ranked["conservative"][0] == "N18.9"
    assert ranked["specialist"][0] == "I12.9"  # hypertensive CKD absorbs N18.9
    assert "N17.9" in ranked["broad"]  # acute kidney injury: only the broad stance considers it
    assert "N17.9" not in ranked["conservative"] + ranked["specialist"]
    assert debate["agreement"] < 0.7
    assert debate["requires_human_review"] is True
    assert debate["decision"] is None
    options = {o["code"]: o for o in debate["options"]}
    assert {"N18.9", "I12.9", "D63.1"} <= set(options)
    reasons = options["N18.9"]["reasoning"]
    assert set(reasons) == {"conservative", "broad"}
    assert "eGFR 36" in reasons["conservative"]
    assert "Creatinine 1.9" in reasons["conservative"]


async def test_iron_deficiency_is_a_clear_case() -> None:
    data = (await analyze_report(IRON, debate=True)).to_json()
    debate = data["debate"]
    assert {a["differential"][0]["code"] for a in debate["analyses"]} == {"D50.9"}
    assert debate["requires_human_review"] is False


async def test_the_nephrology_consult_is_ambiguous() -> None:
    text = (REPORTS / "05-nephrology-consult.txt").read_text(encoding="utf-8")
    debate = (await analyze_report(text, debate=True)).to_json()["debate"]
    firsts = {a["analyst"]: a["differential"][0]["code"] for a in debate["analyses"]}
    # CKD documented as stage 3b (N18.32): the report's own code replaces N18.9
    assert firsts["conservative"] == "N18.32"
    assert firsts["specialist"] in ("I12.9", "E11.22")  # a combination code
    assert debate["requires_human_review"] is True


def lab(name: str, value: float, unit: str, flag: str | None) -> Lab:
    return Lab(name=name, value=value, unit=unit, flag=flag)  # type: ignore[arg-type]


def test_negated_and_family_diagnoses_are_not_evidence() -> None:
    extraction = Extraction(
        labs=[lab("Glucose", 140, "mg/dL", "high")],
        diagnoses=[
            Diagnosis(text="diabetes", icd10="E11.9", status="absent"),
            Diagnosis(text="CKD", icd10="N18.9", subject="family"),
            Diagnosis(text="hypertension", icd10="I10"),
        ],
        medications=[Medication(name="atorvastatin", dose="20 mg")],
    )
    seen = facts(extraction)
    assert "dx:E11" not in seen
    assert "dx:N18" not in seen
    assert seen["dx:I10"] == "documented: hypertension"
    assert seen["med:statin"] == "takes atorvastatin"
    assert seen["glucose:high"] == "Glucose 140 mg/dL (high)"
    # glucose alone: hyperglycaemia, and only as a speculative candidate
    assert [c.code for c in differential(Case(extraction=extraction), BROAD)] == ["R73.9"]
    assert differential(Case(extraction=extraction), CONSERVATIVE) == []


def test_guideline_thresholds_and_critical_values() -> None:
    extraction = Extraction(
        labs=[
            lab("eGFR", 52, "mL/min/1.73m2", None),  # below 60, whatever the flag
            lab("Hemoglobin A1c", 6.1, "%", "high"),
            lab("Potassium", 6.8, "mmol/L", "critical"),
            lab("Sodium", 118, "mmol/L", "critical"),
        ]
    )
    extraction.labs[2].reference_range = "3.5-5 mmol/L"
    extraction.labs[3].reference_range = "136-145 mmol/L"
    seen = facts(extraction)
    assert {"egfr:low", "hba1c:prediabetic", "potassium:high", "sodium:low"} <= set(seen)
    assert "hba1c:diabetic" not in seen


def test_the_stances_read_the_same_evidence_differently() -> None:
    case = Case(
        extraction=Extraction(
            labs=[
                lab("Creatinine", 1.9, "mg/dL", "high"),
                lab("eGFR", 36, "mL/min/1.73m2", "low"),
                lab("Hemoglobin", 10.4, "g/dL", "low"),
            ],
            diagnoses=[Diagnosis(text="hypertension", icd10="I10")],
        )
    )
    conservative = differential(case, CONSERVATIVE)
    broad = differential(case, BROAD)
    specialist = differential(case, SPECIALIST)
    assert [c.code for c in conservative] == ["N18.9", "D63.1"]
    assert conservative[0].score == pytest.approx(0.75)  # eGFR 0.45 + creatinine 0.3
    assert len(broad) > len(conservative)
    assert [c.code for c in specialist][:2] == ["I12.9", "D63.1"]
    assert "absorbs N18.9" in specialist[0].reasoning
    assert all(c.reasoning.startswith("specialist: supported by") for c in specialist)


async def test_the_medical_debate_survives_a_failed_analyst() -> None:
    def broken(case: Case, ctx: StepContext) -> list[Candidate]:
        raise KeyError("rule table missing")

    base = differential_debate()
    debate = type(base)(
        name=base.name,
        analysts=[*base.analysts[:2], Analyst(name="specialist", run=broken)],
        quorum=2,
    )
    extraction = Extraction(
        labs=[lab("Hemoglobin A1c", 8.4, "%", "high")],
        diagnoses=[Diagnosis(text="T2DM", icd10="E11.9")],
    )
    case = Case(extraction=extraction)
    result = await run_debate(debate, case)
    assert result.stop_reason == "completed"
    assert [f.analyst for f in result.failures] == ["specialist"]
    assert result.decision is not None
    assert result.decision.code == "E11.9"


def stance_model(answers: dict[str, str]) -> tuple[FunctionModel, list[str]]:
    """A model answering each stance's prompt with `answers[stance]`, and the prompts it saw."""
    seen: list[str] = []

    def answer(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
        system, user = messages[0], messages[-1]
        assert isinstance(system, SystemMessage)
        assert isinstance(user, UserMessage)
        seen.append(user.text)
        stance = next(name for name in answers if f"You are the {name} analyst" in system.text)
        return text_response(answers[stance])

    return FunctionModel(answer, model_name="stances"), seen


def differential_json(*items: tuple[str, str]) -> str:
    return json.dumps(
        {"differential": [{"label": label, "code": code, "score": 0.8,
                           "reasoning": f"because of {label}"} for label, code in items]}
    )  # fmt: skip


async def test_model_analysts_read_the_evidence_and_answer_per_stance() -> None:
    model, prompts = stance_model(
        {
            "conservative": differential_json(("CKD", "N18.9")),
            "broad": "```json\n" + differential_json(("CKD", "N18.9"), ("AKI", "N17.9")) + "\n```",
            "specialist": differential_json(("Hypertensive CKD", "I12.9"), ("Nonsense", "ZZ9.9")),
        }
    )
    result = await analyze_report(AMBIGUOUS, debate=True, analyst_model=model)
    data = result.to_json()
    debate = data["debate"]
    ranked = {a["analyst"]: [c["code"] for c in a["differential"]] for a in debate["analyses"]}
    assert ranked == {
        "conservative": ["N18.9"],
        "broad": ["N18.9", "N17.9"],
        "specialist": ["I12.9", None],  # ZZ9.9 is not ICD-10-CM: the label is kept, the code not
    }
    assert all(a["model"] == "function:stances" for a in debate["analyses"])
    assert debate["requires_human_review"] is True
    assert len(prompts) == 3
    assert all("eGFR 36" in prompt for prompt in prompts)
    assert all("documented: hypertension" in prompt for prompt in prompts)
    stages = {s["name"]: s for s in data["stages"]}
    assert stages["extract"]["model"] is None  # the extraction stayed offline


async def test_an_unreadable_model_answer_drops_that_analyst() -> None:
    model, _ = stance_model(
        {
            "conservative": differential_json(("Type 2 diabetes", "E11.9")),
            "broad": differential_json(("Type 2 diabetes", "E11.9")),
            "specialist": "I think it is diabetes.",
        }
    )
    debate = (await analyze_report(CLEAR, debate=True, analyst_model=model)).to_json()["debate"]
    failed = [a for a in debate["analyses"] if a["status"] == "failed"]
    assert [(a["analyst"], a["stop_reason"]) for a in failed] == [("specialist", "stage_failed")]
    assert "no JSON object" in failed[0]["error"]
    assert debate["decision"]["code"] == "E11.9"  # 2 of 3 answered and agree
    assert debate["requires_human_review"] is False
