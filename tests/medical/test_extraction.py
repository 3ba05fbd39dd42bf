"""The offline extractor (`extract`) and the model path (`extract_with_model`)."""

from __future__ import annotations

import csv
import json
import re
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import pytest

from frontdesk.errors import InvalidInput, ModelError
from frontdesk.medical.entities import Diagnosis, Extraction, Lab, Medication
from frontdesk.medical.extraction import MAX_TEXT_CHARS, extract, extract_with_model
from frontdesk.messages import AssistantMessage, Message, SystemMessage, UserMessage
from frontdesk.models.base import ModelResponse, ToolDefinition
from frontdesk.models.testing import FunctionModel, ScriptedModel, text_response

REPORTS = Path(__file__).parent / "reports"


def labs_of(x: Extraction) -> list[tuple[str, float, str]]:
    return [(lab.name, lab.value, lab.unit) for lab in x.labs]


def med(x: Extraction, name: str) -> Medication:
    found = [m for m in x.medications if m.name == name]
    assert found, f"{name} not in {[m.name for m in x.medications]}"
    return found[0]


def dx(x: Extraction, text: str) -> Diagnosis:
    found = [d for d in x.diagnoses if d.text.lower() == text.lower()]
    assert found, f"{text!r} not in {[d.text for d in x.diagnoses]}"
    return found[0]


# --- offsets and sections ------------------------------------------------------------------


@pytest.mark.parametrize("report", sorted(REPORTS.glob("*.txt")), ids=lambda p: p.stem)
def test_every_offset_points_at_its_text(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    x = extract(text)
    assert (x.entities and x.labs) or x.medications
    for e in x.entities:
        assert e.text == text[e.begin_offset : e.end_offset]
        for a in e.attributes:
            assert a.text == text[a.begin_offset : a.end_offset]
    records: list[Lab | Medication | Diagnosis] = [*x.labs, *x.medications, *x.diagnoses]
    for record in records:
        assert record.text == text[record.begin_offset : record.end_offset]


def test_sections_are_named_from_headings() -> None:
    text = (
        "PAST MEDICAL HISTORY:\n- Hypertension\n\nMedications:\nMetformin 500 mg BID\n\n"
        "Labs\nCreatinine 1.2 mg/dL\n\nAssessment: COPD\n"
    )
    x = extract(text)
    sections = {e.text: e.section for e in x.entities}
    assert sections == {
        "Hypertension": "past_history",
        "Metformin": "medications",
        "Creatinine": "labs",
        "COPD": "assessment",
    }


# --- labs ----------------------------------------------------------------------------------


def test_lab_formats() -> None:
    text = (
        "Hemoglobin 10.2 g/dL (L)\n"
        "Na: 138 mmol/L\n"
        "WBC ........ 18.9 K/uL (H)\n"
        "Glucose, fasting     172       mg/dL      70-99        H\n"
        "BNP 1,840 pg/mL\n"
        "A1c 8.6%\n"
    )
    assert labs_of(extract(text)) == [
        ("Hemoglobin", 10.2, "g/dL"),
        ("Sodium", 138.0, "mmol/L"),
        ("White blood cell count", 18.9, "K/uL"),
        ("Glucose", 172.0, "mg/dL"),
        ("BNP", 1840.0, "pg/mL"),
        ("Hemoglobin A1c", 8.6, "%"),
    ]


def test_lab_loinc_and_abbreviations() -> None:
    x = extract("BMP: Na 134, K 5.6, Cl 101, CO2 22, BUN 38, Cr 2.1, glucose 212.")
    assert [(lab.loinc, lab.value) for lab in x.labs] == [
        ("2951-2", 134.0),
        ("2823-3", 5.6),
        ("2075-0", 101.0),
        ("2028-9", 22.0),
        ("3094-0", 38.0),
        ("2160-0", 2.1),
        ("2345-7", 212.0),
    ]
    # no unit written: the lab's usual unit, and a note saying so
    assert [lab.unit for lab in x.labs][:2] == ["mmol/L", "mmol/L"]
    assert any("no unit written" in n for n in x.notes)


def test_serial_and_prior_values() -> None:
    x = extract(
        "hs-TnI 6 ng/L at 0 h, 7 ng/L at 2 h.\n"
        "Troponin T 0.01 ng/mL -> 0.02 ng/mL\n"
        "Lactate 2.8 mmol/L (H)   (was 4.6 on admission)\n"
        "creatinine 1.7 mg/dL (baseline 1.5), glucose 221 mg/dL\n"
    )
    assert [(lab.name, lab.value) for lab in x.labs] == [
        ("High-sensitivity troponin I", 6.0),
        ("High-sensitivity troponin I", 7.0),
        ("Troponin T", 0.01),
        ("Troponin T", 0.02),
        ("Lactate", 2.8),
        ("Lactate", 4.6),
        ("Creatinine", 1.7),
        ("Creatinine", 1.5),
        ("Glucose", 221.0),
    ]


def test_ranges_thresholds_and_other_numbers_are_not_results() -> None:
    x = extract(
        "Glucose 140-210 in hospital. Reassess if Plt < 50. Recheck TSH in 6 weeks.\n"
        "DAS28-CRP today 2.9. Lowercase k 5 and cr 2 in prose are not labs.\n"
    )
    assert x.labs == []


def test_a_wrapped_line_keeps_name_and_value_together() -> None:
    text = (
        "History: 67-year-old woman referred for a rising creatinine over the past months. "
        "Baseline creatinine\n1.6 mg/dL a year ago."
    )
    assert labs_of(extract(text)) == [("Creatinine", 1.6, "mg/dL")]


# --- medications ---------------------------------------------------------------------------


def test_dose_route_and_frequency() -> None:
    x = extract(
        "Metformin 500 mg PO BID\n"
        "Furosemide 40 mg IV twice daily\n"
        "Lantus 24 units subcutaneously at bedtime\n"
        "Albuterol 90 mcg 2 puffs q4h PRN\n"
        "Tylenol 650 mg every 8 hours as needed for knee pain\n"
        "Symbicort 160/4.5 mcg 2 puffs inhaled BID\n"
        "Nitrostat 0.4 mg SL q5min PRN chest pain\n"
        "Vitamin D3 2000 IU daily\n"
    )
    got = [(m.name, m.dose, m.route, m.frequency, m.brand) for m in x.medications]
    assert got == [
        ("metformin", "500 mg", "oral", "BID", None),
        ("furosemide", "40 mg", "IV", "BID", None),
        ("insulin glargine", "24 units", "subcutaneous", "at bedtime", "Lantus"),
        ("albuterol", "90 mcg", None, "q4h PRN", None),
        ("acetaminophen", "650 mg", None, "q8h PRN", "Tylenol"),
        ("budesonide/formoterol", "160/4.5 mcg", "inhaled", "BID", "Symbicort"),
        ("nitroglycerin", "0.4 mg", "sublingual", "q5min PRN", "Nitrostat"),
        ("cholecalciferol", "2000 units", None, "daily", None),
    ]
    # a condition named only as a PRN indication is not asserted
    assert "chest pain" not in [d.text for d in x.diagnoses if d.asserted]  # PRN: to treat if


def test_brand_in_parentheses_is_one_medication() -> None:
    x = extract("empagliflozin (Jardiance) 10 mg tablet — 1 tab by mouth daily\n")
    assert len(x.medications) == 1
    m = x.medications[0]
    assert (m.name, m.dose, m.route, m.frequency, m.brand) == (
        "empagliflozin",
        "10 mg",
        "oral",
        "daily",
        "Jardiance",
    )


def test_dose_before_name_and_after_filler() -> None:
    x = extract("Took 325 mg aspirin at home. Increase losartan to 100 mg daily.")
    assert [(m.name, m.dose) for m in x.medications] == [
        ("aspirin", "325 mg"),
        ("losartan", "100 mg"),
    ]


def test_only_considered_drugs_and_allergies_are_not_medications() -> None:
    x = extract(
        "Allergies: penicillin, Bactrim.\n"
        "Consider semaglutide 0.25 mg weekly if weight goal not met.\n"
        "Spironolactone was considered but deferred.\n"
        "Start lisinopril 10 mg daily.\n"
    )
    assert [m.name for m in x.medications] == ["lisinopril"]


def test_vitamin_d_is_a_lab_or_a_drug_by_its_unit() -> None:
    x = extract("Vitamin D 1000 units daily\n25-OH vitamin D 22 ng/mL\n")
    assert [(m.name, m.dose) for m in x.medications] == [("cholecalciferol", "1000 units")]
    assert labs_of(x) == [("25-hydroxyvitamin D", 22.0, "ng/mL")]


# --- diagnoses -----------------------------------------------------------------------------


def test_abbreviations_and_codes() -> None:
    x = extract("PMH: HTN, T2DM, CKD stage 3b, CHF, COPD, AFib, OSA.")
    assert [(d.text, d.icd10) for d in x.diagnoses] == [
        ("HTN", "I10"),
        ("T2DM", "E11.9"),
        ("CKD stage 3b", "N18.32"),
        ("CHF", "I50.9"),
        ("COPD", "J44.9"),
        ("AFib", "I48.91"),
        ("OSA", "G47.33"),
    ]
    assert all(d.history and d.asserted for d in x.diagnoses)


@pytest.mark.parametrize(
    ("sentence", "condition"),
    [
        ("He denies chest pain, fever or cough.", "cough"),
        ("No evidence of pneumonia.", "pneumonia"),
        ("Acute MI ruled out.", "acute MI"),
        ("Negative for hepatitis B and hepatitis C.", "hepatitis C"),
        ("Hepatitis C antibody: negative.", "Hepatitis C"),
        ("Pulmonary embolism unlikely given negative D-dimer.", "Pulmonary embolism"),
        ("Not consistent with thyroid cancer.", "thyroid cancer"),
        ("AKI on no known CKD.", "CKD"),
        (
            "She has had regular follow-up since. No history of kidney stones\n"
            "or urinary tract infection.",
            "urinary tract infection",
        ),
    ],
)
def test_negation(sentence: str, condition: str) -> None:
    d = dx(extract(sentence), condition)
    assert d.negated
    assert not d.asserted


def test_negation_stops_at_clause_boundaries() -> None:
    x = extract("Denies chest pain but reports palpitations. No fever; has cough.")
    assert dx(x, "chest pain").negated
    assert dx(x, "fever").negated
    assert dx(x, "palpitations").asserted
    assert dx(x, "cough").asserted


def test_pseudo_negation_does_not_negate() -> None:
    x = extract(
        "Type 2 diabetes mellitus, not at goal (A1c 8.6%) with early diabetic peripheral "
        "neuropathy."
    )
    assert dx(x, "diabetic peripheral neuropathy").asserted


@pytest.mark.parametrize(
    ("sentence", "condition"),
    [
        ("Family history: mother with type 2 diabetes and breast cancer.", "breast cancer"),
        ("FHx: father with coronary artery disease (CABG at 55).", "coronary artery disease"),
        ("Her sister is on dialysis for polycystic kidney disease.", "polycystic kidney disease"),
        ("Outpatient colonoscopy (last one 2014; father had colon cancer).", "colon cancer"),
    ],
)
def test_family_history_is_not_the_patient(sentence: str, condition: str) -> None:
    d = dx(extract(sentence), condition)
    assert d.subject == "family"
    assert not d.asserted


def test_negated_family_history() -> None:
    d = dx(extract("No family history of liver disease or hemochromatosis."), "hemochromatosis")
    assert d.negated
    assert d.subject == "family"


def test_history_traits_and_history_codes() -> None:
    x = extract(
        "History of MI in 2015. s/p stroke 2019. History of breast cancer s/p lumpectomy. "
        "Prior pneumonia 2021. Hyperkalemia, resolved."
    )
    assert [(d.text, d.icd10, d.status) for d in x.diagnoses] == [
        ("MI", "I25.2", "historical"),
        ("stroke", "Z86.73", "historical"),
        ("breast cancer", "Z85.3", "historical"),
        ("pneumonia", "Z87.01", "historical"),
        ("Hyperkalemia", "E87.5", "historical"),
    ]
    # a past condition under a personal-history code is part of the patient's record
    assert [d.asserted for d in x.diagnoses] == [True, True, True, True, False]


def test_conditions_only_watched_for_are_listed_as_hypothetical_never_asserted() -> None:
    x = extract("Heparin 5000 units SC q8h for DVT prophylaxis. Return if chest pain recurs.")
    assert [(d.text, d.status, d.asserted) for d in x.diagnoses] == [
        ("DVT", "hypothetical", False), ("chest pain", "hypothetical", False),
    ]  # fmt: skip
    hypothetical = [e.text for e in x.entities if "HYPOTHETICAL" in e.traits]
    assert hypothetical == ["DVT", "chest pain"]


def test_longest_term_wins_and_wrapped_terms_match() -> None:
    text = (
        "67-year-old woman with chronic kidney disease stage 3b attributed to diabetic\n"
        "nephropathy and anemia of CKD."
    )
    x = extract(text)
    assert [(d.text, d.icd10) for d in x.diagnoses] == [
        ("chronic kidney disease stage 3b", "N18.32"),
        ("diabetic\nnephropathy", "E11.21"),
        ("anemia of CKD", "D63.1"),
    ]


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        (b"Hemoglobin 10 g/dL", "bytes"),
        (42, "not int"),
        (None, "not NoneType"),
        ("%PDF-1.7\x00\x01\x02\x03 binary", "binary"),
        ("x" * (MAX_TEXT_CHARS + 1), "more than"),
    ],
)
def test_bad_input_gets_a_clear_error(bad: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        extract(bad)  # type: ignore[arg-type]


def test_a_long_report_is_fast() -> None:
    text = (REPORTS / "12-long-discharge-summary.txt").read_text(encoding="utf-8")
    extract(text)  # warm the dictionaries
    start = time.perf_counter()
    for _ in range(5):
        extract(text)
    assert (time.perf_counter() - start) / 5 < 0.5


def test_the_largest_accepted_report_is_processed_in_linear_time() -> None:
    text = (REPORTS / "12-long-discharge-summary.txt").read_text(encoding="utf-8")
    big = (text * (MAX_TEXT_CHARS // len(text) + 1))[:MAX_TEXT_CHARS]
    start = time.perf_counter()
    x = extract(big)
    assert time.perf_counter() - start < 10  # ~1 s; a quadratic step would take minutes
    assert len(x.entities) > 20 * len(extract(text).entities)


def test_text_without_findings_gives_an_empty_extraction() -> None:
    x = extract("Patient seen and examined. Plan discussed with family.")
    assert (x.labs, x.medications, x.diagnoses) == ([], [], [])


# --- the model path ------------------------------------------------------------------------

REPORT = "Creatinine 1.9 mg/dL. Metformin 500 mg BID. Denies chest pain. HTN."
GOOD = {
    "labs": [{"name": "Creatinine", "value": 1.9, "unit": "mg/dL", "text": "Creatinine"}],
    "medications": [{"name": "Metformin", "dose": "500 mg", "frequency": "BID"}],
    "diagnoses": [
        {"text": "chest pain", "icd10": "R07.9", "negated": True},
        {"text": "HTN", "icd10": "I10"},
    ],
}


async def test_model_answer_is_validated_and_located() -> None:
    model = ScriptedModel(steps=[text_response("```json\n" + json.dumps(GOOD) + "\n```")])
    x = await extract_with_model(REPORT, model)
    model.assert_complete()
    assert x.labs == [
        Lab(
            name="Creatinine",
            value=1.9,
            unit="mg/dL",
            text="Creatinine",
            begin_offset=0,
            end_offset=10,
        )
    ]
    assert [(m.name, m.dose, m.frequency) for m in x.medications] == [
        ("metformin", "500 mg", "BID")
    ]
    assert [(d.text, d.negated, d.asserted) for d in x.diagnoses] == [
        ("chest pain", True, False),
        ("HTN", False, True),
    ]
    for e in x.entities:
        assert e.text == REPORT[e.begin_offset : e.end_offset]
    system, user = model.calls[0].messages
    assert isinstance(system, SystemMessage)
    assert isinstance(user, UserMessage)
    assert REPORT in user.text
    assert '"labs"' in system.text  # the schema is given


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ("Sure! Here are the results.", "no JSON object"),
        ('{"labs": [{"name": "Creatinine", "value": "high"}]}', "labs.0.value"),
        ('{"labs": [], "diagnoses": [{"text": "HTN", "subject": "cousin"}]}', "subject"),
        ('{"labs": [ {"name": "Creatinine", "value": 1.9,, } ]}', "Invalid JSON"),
    ],
)
async def test_invalid_answers_are_re_asked_with_the_error(bad: str, problem: str) -> None:
    model = ScriptedModel(steps=[text_response(bad), text_response(json.dumps(GOOD))])
    x = await extract_with_model(REPORT, model)
    model.assert_complete()
    assert len(x.diagnoses) == 2
    retry = model.calls[1].messages
    answer = retry[-2]  # its own answer, then the error
    assert isinstance(answer, AssistantMessage)
    assert answer.text == bad
    last = retry[-1]
    assert isinstance(last, UserMessage)
    assert problem in last.text


async def test_gives_up_after_max_attempts_with_a_clear_error() -> None:
    model = ScriptedModel(steps=[text_response("not json")], repeat_last=True)
    with pytest.raises(ModelError, match=r"no valid extraction in 2 attempt\(s\).*no JSON"):
        await extract_with_model(REPORT, model, max_attempts=2)
    assert len(model.calls) == 2


async def test_model_path_checks_its_input() -> None:
    model = ScriptedModel(steps=[])
    with pytest.raises(InvalidInput, match="empty"):
        await extract_with_model("  ", model)
    with pytest.raises(InvalidInput, match="max_attempts"):
        await extract_with_model(REPORT, model, max_attempts=0)
    assert model.calls == []


async def test_function_model_sees_the_report_and_unfound_mentions_are_noted() -> None:
    def answer(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
        last = messages[-1]
        assert isinstance(last, UserMessage)
        report = last.text
        found = {"diagnoses": [{"text": "HTN"}, {"text": "gout"}]} if "HTN" in report else {}
        return text_response(json.dumps(found))

    x = await extract_with_model(REPORT, FunctionModel(answer))
    assert [d.text for d in x.diagnoses] == ["HTN", "gout"]
    assert [e.text for e in x.entities] == ["HTN"]
    assert x.notes == ["the model named mentions not found in the report: 'gout'"]


# --- the dictionaries ----------------------------------------------------------------------

DATA = Path(__file__).parents[2] / "src" / "frontdesk" / "medical" / "data"


def _table(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_condition_code_is_a_billable_icd10cm_code() -> None:
    with warnings.catch_warnings():  # the package uses a deprecated importlib API
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as icd  # type: ignore[import-untyped]

    rows = _table("conditions.csv")
    assert len(rows) >= 200
    for row in rows:
        for code in filter(None, (row["icd10"], row["history_icd10"])):
            assert icd.is_valid_item(code), code
            assert icd.is_leaf(code), f"{code} is a category, not a billable code"


def test_labs_are_keyed_by_unique_loinc_codes() -> None:
    rows = _table("labs.csv")
    assert len(rows) >= 40
    codes = [row["loinc"] for row in rows]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"\d{1,6}-\d", code) for code in codes)


def test_medications_are_unique_lower_case_generics_with_brands() -> None:
    rows = _table("medications.csv")
    names = [row["name"] for row in rows]
    assert len(rows) >= 100
    assert len(set(names)) == len(names)
    assert all(name == name.lower() for name in names)
    assert sum(1 for row in rows if row["brands"]) >= 100
