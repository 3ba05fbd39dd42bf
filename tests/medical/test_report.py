"""The clinical summary (`frontdesk.medical.report`): markdown and the `analyze --json` object.

The snapshot files under `snapshots/` are the exact output for one fixed extraction; after an
intended change, regenerate them with `FRONTDESK_UPDATE_SNAPSHOTS=1 pytest tests/medical` and
review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from frontdesk.medical.analysis import analyze
from frontdesk.medical.entities import Analysis, Diagnosis, Extraction, Lab, Medication
from frontdesk.medical.ontology import validate
from frontdesk.medical.report import ClinicalReport, render_report

SNAPSHOTS = Path(__file__).parent / "snapshots"


def fixed_extraction() -> Extraction:
    """A discharge summary of a 68-year-old man, as an extractor would hand it over."""
    return Extraction(
        labs=[
            Lab(name="Sodium", value=134, unit="mmol/L", loinc="2951-2"),
            Lab(name="Potassium", value=6.4, unit="mmol/L", loinc="2823-3"),
            Lab(name="Creatinine", value=2.3, unit="mg/dL", loinc="2160-0"),
            Lab(name="BUN", value=48, unit="mg/dL", loinc="3094-0"),
            Lab(name="Hemoglobin", value=10.1, unit="g/dL", loinc="718-7"),
            Lab(name="MCV", value=74, unit="fL", loinc="787-2"),
            Lab(name="HbA1c", value=8.2, unit="%", loinc="4548-4"),
            Lab(name="Glucose", value=96, unit="mg/dL", loinc="2345-7"),
            Lab(name="Troponin I", value=0.02, unit="ng/mL", loinc="10839-9"),
            Lab(name="Albumin", value=3.1, unit="mg/L", loinc="1751-7"),
        ],
        medications=[
            Medication(name="Glucophage", dose="500 mg", frequency="twice daily", route="PO"),
            Medication(name="Lisinopril", dose="20 mg", frequency="daily", route="PO"),
            Medication(name="Lasix", dose="40 mg", frequency="daily", route="PO"),
            Medication(name="aspirin", dose="81 mg", frequency="daily"),
        ],
        diagnoses=[
            Diagnosis(text="T2DM"),
            Diagnosis(text="HTN"),
            Diagnosis(text="CKD stage 3"),
            Diagnosis(text="myocardial infarction", history=True, status="historical"),
            Diagnosis(text="pneumonia", status="absent"),
            Diagnosis(text="breast cancer", subject="family"),
        ],
        notes=["medication 'Lasix': frequency read from a later line"],
    )


def rendered(debate: dict[str, Any] | None = None) -> ClinicalReport:
    extraction = validate(fixed_extraction())
    analysis = analyze(extraction, sex="male")
    return render_report(extraction, analysis, debate=debate)


def check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("FRONTDESK_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {path}: run with FRONTDESK_UPDATE_SNAPSHOTS=1"
    assert text == path.read_text(encoding="utf-8")


def test_markdown_snapshot() -> None:
    check_snapshot("report.md", rendered().markdown)


def test_json_snapshot() -> None:
    data = rendered().to_json()
    check_snapshot("report.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def test_json_follows_the_analyze_contract() -> None:
    data = rendered().to_json()
    assert {"labs", "medications", "diagnoses", "findings", "summary_markdown"} <= data.keys()
    assert "debate" not in data
    for lab in data["labs"]:
        assert {"name", "value", "unit", "flag", "reference_range"} <= lab.keys()
        assert isinstance(lab["value"], int | float)
        assert lab["flag"] in ("low", "normal", "high", "critical", None)
    for med in data["medications"]:
        assert {"name", "dose", "frequency", "route"} <= med.keys()
        assert med["name"] == med["name"].lower()
    for dx in data["diagnoses"]:
        assert {"text", "icd10", "description", "negated", "subject"} <= dx.keys()
    assert data["summary_markdown"] == rendered().markdown
    json.dumps(data)  # serialisable as is


def test_the_summary_puts_what_matters_first() -> None:
    md = rendered().markdown
    # problems: asserted, coded; negated and family mentions apart, never in the table
    table, not_asserted = md.split("Not asserted", 1)
    assert "| T2DM | E11.9 | Type 2 diabetes mellitus without complications |" in table
    assert "| CKD stage 3 | N18.30 |" in table
    assert "| myocardial infarction (history) | I25.2 |" in table
    assert "pneumonia" not in table
    assert "breast cancer" not in table
    assert "- pneumonia (J18.9): denied or ruled out" in not_asserted
    assert "- breast cancer (C50.919): family history" in not_asserted
    # labs: critical first, then high/low, unflagged, and normal results in one line
    rows = [line for line in md.splitlines() if line.startswith("| ") and "ref" not in line]
    lab_rows = [r.split(" | ")[0][2:] for r in rows if " | " in r and r.count("|") == 5]
    lab_rows = [r for r in lab_rows if r not in ("Lab", "Problem")]
    assert lab_rows[0] == "Potassium"
    assert lab_rows[-1] == "Albumin"  # its unit is not albumin's: not flagged
    assert "Within range: Glucose 96 mg/dL, Troponin I 0.02 ng/mL" in md
    # flags: urgent on top
    flags = md.split("## Flags needing attention", 1)[1]
    assert flags.lstrip().startswith("- **URGENT** Severe hyperkalaemia — E87.5")
    # medications by generic name, with the brand written
    assert "- metformin 500 mg PO twice daily (as Glucophage)" in md
    assert "## Unsure" in md
    assert "Albumin: unit 'mg/L' is not one it is reported in" in md
    assert md.rstrip().endswith("before acting on it._")


def test_a_debate_is_included_when_given() -> None:
    debate = {
        "analyses": [{"analyst": "a"}, {"analyst": "b"}, {"analyst": "c"}],
        "agreement": 0.42,
        "requires_human_review": True,
    }
    report = rendered(debate=debate)
    assert report.to_json()["debate"] == debate
    assert "- Agreement between analysts: 0.42" in report.markdown
    assert "**Requires human review**" in report.markdown


def test_an_empty_extraction_renders() -> None:
    report = render_report(Extraction(), Analysis())
    assert "**No abnormal results or findings.**" in report.markdown
    assert "None documented." in report.markdown
    assert report.to_json()["labs"] == []


@pytest.mark.parametrize("text", ["a|b", "line\nbreak"])
def test_table_cells_are_escaped(text: str) -> None:
    extraction = Extraction(diagnoses=[Diagnosis(text=text, icd10="I10", description="x")])
    md = render_report(extraction, Analysis()).markdown
    row = next(line for line in md.splitlines() if "I10" in line)
    assert row.count(" | ") == 2
