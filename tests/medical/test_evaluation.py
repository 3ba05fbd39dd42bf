"""Scoring extraction on the annotated corpus (`frontdesk.medical.evaluation`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from frontdesk.errors import InvalidInput
from frontdesk.medical.entities import Diagnosis, Extraction, Lab, Medication
from frontdesk.medical.evaluation import (
    TARGETS,
    EvaluationResult,
    Split,
    corpus,
    evaluate,
    main,
    normalise_dose,
    score_report,
)
from frontdesk.medical.extraction import extract

REPORTS = Path(__file__).parent / "reports"


SEEN = ("dev", "heldout")
"""The splits the suite scores. The blind set (`NN-blind-*`) is scored only on purpose, by
hand, so that nobody tunes the extractor against it."""


@pytest.fixture(scope="module", params=SEEN)
def scored(request: pytest.FixtureRequest) -> EvaluationResult:
    """extract() + validate() over one seen split, once."""
    split: Split = request.param
    return evaluate(REPORTS, split=split)


def test_the_corpus_is_big_enough_and_split() -> None:
    assert len(corpus(REPORTS, "dev")) >= 12
    assert len(corpus(REPORTS, "heldout")) >= 3
    assert len(corpus(REPORTS, "dev3")) >= 30
    assert len(corpus(REPORTS, "blind3")) >= 15
    assert len(corpus(REPORTS)) == sum(
        len(corpus(REPORTS, split))
        for split in ("dev", "heldout", "blind", "blind2", "dev3", "blind3")
    )
    for report in corpus(REPORTS, "dev") + corpus(REPORTS, "heldout"):
        gold = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))
        assert set(gold) == {"labs", "medications", "diagnoses"}
        # every report has negated or family-history mentions the pipeline must not assert
        assert any(d["negated"] or d["subject"] == "family" for d in gold["diagnoses"])


def test_extraction_meets_the_targets_on_the_corpus(scored: EvaluationResult) -> None:
    figures = scored.to_json()
    assert scored.wrongly_asserted == 0, scored.to_json(details=True)
    for kind, target in TARGETS.items():
        assert figures[kind]["f1"] >= target, figures
    assert scored.meets_targets()


def test_the_development_set_meets_the_targets() -> None:
    result = evaluate(REPORTS, split="dev")
    assert result.meets_targets(), result.to_json(details=True)


def test_the_held_out_set_is_scored_and_asserts_nothing_negated() -> None:
    result = evaluate(REPORTS, split="heldout")
    assert len(result.reports) >= 3
    assert result.wrongly_asserted == 0
    assert result.labs.f1 >= TARGETS["labs"]


# --- scoring one report --------------------------------------------------------------------

GOLD: dict[str, list[dict[str, Any]]] = {
    "labs": [
        {"name": "Creatinine", "loinc": "2160-0", "value": 1.9, "unit": "mg/dL"},
        {"name": "Lp(a)", "loinc": None, "value": 148, "unit": "nmol/L"},
    ],
    "medications": [
        {"name": "metformin", "dose": "500 mg", "frequency": "BID", "route": "oral"},
        {"name": "sacubitril/valsartan", "dose": "24/26 mg", "frequency": None, "route": None},
    ],
    "diagnoses": [
        {"text": "HTN", "icd10": "I10", "negated": False, "subject": "patient"},
        {"text": "T2DM", "icd10": "E11.9", "negated": False, "subject": "patient"},
        {"text": "chest pain", "icd10": "R07.9", "negated": True, "subject": "patient"},
        {"text": "stroke", "icd10": "I63.9", "negated": False, "subject": "family"},
        {"text": "diabetes", "icd10": "E11.9", "negated": False, "subject": "family"},
    ],
}


def test_score_report_counts_matches_by_key() -> None:
    predicted = Extraction(
        labs=[
            Lab(name="Creatinine", value=1.9, unit="mg/dL", loinc="2160-0"),
            Lab(name="Creatinine", value=1.9, unit="mg/dL", loinc="2160-0"),  # repeated: once
            Lab(name="Lp(a)", value=148, unit="nmol/L"),  # by name when no LOINC
            Lab(name="Potassium", value=5.6, unit="mmol/L", loinc="2823-3"),
        ],
        medications=[
            Medication(name="metformin", dose="500mg"),
            Medication(name="sacubitril-valsartan", dose="24 / 26 mg"),
            Medication(name="aspirin", dose="81 mg"),
        ],
        diagnoses=[
            Diagnosis(text="HTN", icd10="I10"),
            Diagnosis(text="T2DM", icd10="E11.65"),  # same category E11
            Diagnosis(text="chest pain", icd10="R07.9", status="absent"),
            Diagnosis(text="stroke", icd10="I63.9", subject="family"),
            Diagnosis(text="gout", icd10="M10.9"),
        ],
    )
    report = score_report("example", predicted, GOLD)
    assert (report.labs.tp, report.labs.fp, report.labs.fn) == (2, 1, 0)
    assert (report.medications.tp, report.medications.fp, report.medications.fn) == (2, 1, 0)
    assert (report.diagnoses.tp, report.diagnoses.fp, report.diagnoses.fn) == (2, 1, 0)
    assert report.wrongly_asserted == []
    assert report.extra == [
        "lab ('2823-3', 5.6)",
        "medication ('aspirin', '81mg')",
        "diagnosis M10",
    ]
    assert report.diagnoses.precision == pytest.approx(2 / 3)
    assert report.diagnoses.f1 == pytest.approx(0.8)


def test_asserting_a_negated_or_family_condition_is_counted() -> None:
    predicted = Extraction(
        diagnoses=[
            Diagnosis(text="chest pain", icd10="R07.9"),  # negated in the gold
            Diagnosis(text="stroke", icd10="I63.9"),  # the father's in the gold
            Diagnosis(text="diabetes", icd10="E11.9"),  # also the patient's: not an error
        ]
    )
    report = score_report("example", predicted, GOLD)
    assert report.wrongly_asserted == ["I63", "R07"]


@pytest.mark.parametrize(
    ("dose", "normal"),
    [
        ("500 mg", "500mg"),
        ("500mg", "500mg"),
        (".5 mg", "0.5mg"),
        ("2000 IU", "2000units"),
        ("10 U", "10units"),
        ("100 µg", "100mcg"),
        ("24/26 mg", "24/26mg"),
        ("1,000 mg", "1000mg"),
        (None, None),
        ("", None),
    ],
)
def test_normalise_dose(dose: str | None, normal: str | None) -> None:
    assert normalise_dose(dose) == normal


# --- corpus and command line ---------------------------------------------------------------


def _tiny_corpus(root: Path) -> Path:
    root.mkdir()
    (root / "01-a.txt").write_text("Creatinine 1.9 mg/dL. Denies chest pain. HTN.\n")
    (root / "01-a.json").write_text(json.dumps(GOLD))
    (root / "02-heldout-b.txt").write_text("Metformin 500 mg PO BID\n")
    (root / "02-heldout-b.json").write_text(
        json.dumps({"labs": [], "medications": GOLD["medications"][:1], "diagnoses": []})
    )
    (root / "03-no-gold.txt").write_text("ignored: no gold file\n")
    return root


def test_evaluate_with_any_pipeline(tmp_path: Path) -> None:
    root = _tiny_corpus(tmp_path / "corpus")
    nothing = evaluate(root, pipeline=lambda text: Extraction())
    assert [r.name for r in nothing.reports] == ["01-a", "02-heldout-b"]
    assert nothing.labs.recall == 0.0
    assert nothing.labs.f1 == 0.0
    found = evaluate(root, pipeline=extract, split="heldout")
    assert [r.name for r in found.reports] == ["02-heldout-b"]
    assert found.medications.f1 == 1.0


def test_bad_corpus_directories(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not a directory"):
        corpus(tmp_path / "missing")
    with pytest.raises(InvalidInput, match="no annotated reports"):
        corpus(tmp_path)


def test_command_line_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _tiny_corpus(tmp_path / "corpus")
    assert main([str(root), "--json", "--details"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["reports"] == 2
    assert set(out) >= {"labs", "medications", "diagnoses", "wrongly_asserted", "meets_targets"}
    assert [r["name"] for r in out["per_report"]] == ["01-a", "02-heldout-b"]


def test_command_line_text_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _tiny_corpus(tmp_path / "corpus")
    assert main([str(root), "--split", "dev", "--details"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("dev: 1 reports")
    assert "wrongly asserted conditions: 0" in out
    assert main([str(tmp_path / "missing")]) == 2
    assert "not a directory" in capsys.readouterr().err
