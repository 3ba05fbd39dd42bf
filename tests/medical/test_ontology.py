"""ICD-10-CM coding, medication names and unit checks (`frontdesk.medical.ontology`)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from frontdesk.medical import ontology
from frontdesk.medical.entities import Diagnosis, Extraction, Lab, Medication
from frontdesk.medical.ontology import (
    IcdIndex,
    icd_index,
    index_file_name,
    load_index,
    normalise_medication,
    normalise_term,
    save_index,
    validate,
)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> IcdIndex:
    """Built once per test process (the in-process copy then serves every test)."""
    return icd_index(cache_dir=tmp_path_factory.mktemp("icd-cache"))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("type 2 diabetes", "E11.9"),
        ("T2DM", "E11.9"),
        ("Diabetes mellitus type II", "E11.9"),
        ("hypertension", "I10"),
        ("HTN", "I10"),
        ("CKD stage 3", "N18.30"),
        ("CKD stage III", "N18.30"),
        ("chronic kidney disease stage 3b", "N18.32"),
        ("ESRD", "N18.6"),
        ("iron deficiency anaemia", "D50.9"),
        ("history of MI", "I25.2"),
        ("h/o DVT", "Z86.718"),
    ],
)
def test_curated_synonyms_give_the_specific_billable_code(
    index: IcdIndex, text: str, code: str
) -> None:
    match = index.lookup(text)
    assert match is not None
    assert (match.code.code, match.kind, match.code.billable) == (code, "synonym", True)


def test_every_curated_synonym_points_at_a_billable_code(index: IcdIndex) -> None:
    with ontology.SYNONYMS_FILE.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) > 200
    bad = [r for r in rows if (c := index.code(r["code"])) is None or not c.billable]
    assert bad == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # official descriptions and their forms without nonessential modifiers
        ("Essential (primary) hypertension", "I10"),
        ("Chronic systolic heart failure", "I50.22"),
        ("Type 2 diabetes mellitus with diabetic chronic kidney disease", "E11.22"),
        # a category's text resolves to its "unspecified" / "without ..." billable child
        ("Crohn's disease", "K50.90"),
        ("gastro-oesophageal reflux disease", "K21.9"),
        ("ulcerative colitis", "K51.90"),
    ],
)
def test_descriptions_are_indexed(index: IcdIndex, text: str, code: str) -> None:
    match = index.lookup(text)
    assert match is not None
    assert match.kind == "description"
    assert match.code.code == code
    assert match.code.billable


def test_partial_matches_are_marked_and_plurals_folded(index: IcdIndex) -> None:
    match = index.lookup("left bundle branch block")
    assert match is not None
    assert (match.code.code, match.kind) == ("I44.7", "partial")
    plural = index.lookup("pleural effusions")
    assert plural is not None
    assert plural.code.code == "J90"


def test_history_prefers_a_personal_history_code(index: IcdIndex) -> None:
    current = index.lookup("breast cancer")
    past = index.lookup("breast cancer", history=True)
    assert current is not None
    assert past is not None
    assert (current.code.code, past.code.code) == ("C50.919", "Z85.3")


def test_unknown_text_has_no_code(index: IcdIndex) -> None:
    assert index.lookup("xyzzy syndrome of the left elbow") is None
    assert index.lookup("   ") is None


def test_codes_are_checked_with_and_without_dot(index: IcdIndex) -> None:
    e119 = index.code("e119")
    assert e119 is not None
    assert (e119.code, e119.description, e119.billable) == (
        "E11.9",
        "Type 2 diabetes mellitus without complications",
        True,
    )
    category = index.code("E11")
    assert category is not None
    assert not category.billable
    assert index.code("Q99.999") is None


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Anaemia", "anemia"),
        ("Type II DM", "type 2 dm"),
        ("CKD Stage IV", "ckd stage 4"),
        ("Alzheimer’s disease", "alzheimers disease"),
        ("Oedema, leg", "edema leg"),
    ],
)
def test_normalise_term(raw: str, key: str) -> None:
    assert normalise_term(raw) == key


def test_validate_codes_diagnoses_and_notes_what_it_could_not(index: IcdIndex) -> None:
    source = Extraction(
        diagnoses=[
            Diagnosis(text="T2DM"),
            Diagnosis(text="hypertension", icd10="i10"),
            Diagnosis(text="diabetes", icd10="E11"),
            Diagnosis(text="CKD stage 3", icd10="N99.999"),
            Diagnosis(text="left bundle branch block"),
            Diagnosis(text="frobnication disorder"),
            Diagnosis(text="breast cancer", subject="family", history=True),
        ]
    )
    out = validate(source)
    coded = [(d.icd10, d.billable) for d in out.diagnoses]
    assert coded == [
        ("E11.9", True),
        ("I12.9", True),  # hypertension with CKD: ICD-10-CM presumes hypertensive CKD
        ("E11", False),
        ("N18.30", True),
        ("I44.7", True),
        (None, None),
        ("C50.919", True),  # a relative's history is not the patient's Z85.3
    ]
    assert out.diagnoses[0].description == "Type 2 diabetes mellitus without complications"
    notes = "\n".join(out.notes)
    assert "'diabetes': E11 is an ICD-10-CM category, not a billable code" in notes
    assert "'N99.999' is not an ICD-10-CM code" in notes
    assert "'left bundle branch block': coded I44.7" in notes
    assert "partial text match" in notes
    assert "'frobnication disorder': no ICD-10-CM code found" in notes
    # a copy: the input is unchanged
    assert source.diagnoses[0].icd10 is None
    assert source.notes == []


@pytest.mark.parametrize(
    ("written", "generic", "brand"),
    [
        ("Lipitor", "atorvastatin", "Lipitor"),
        ("TOPROL XL", "metoprolol succinate", "TOPROL XL"),
        ("Metformin", "metformin", None),
        ("  Eliquis® ", "apixaban", "Eliquis®"),
        ("Augmentin", "amoxicillin/clavulanate", "Augmentin"),
    ],
)
def test_medications_get_their_generic_name(written: str, generic: str, brand: str | None) -> None:
    assert normalise_medication(written) == (generic, brand)


def test_validate_normalises_medications() -> None:
    out = validate(
        Extraction(
            medications=[
                Medication(name="Glucophage", dose="500 mg", frequency="BID"),
                Medication(name="Lisinopril", dose="10 mg"),
            ]
        )
    )
    assert [(m.name, m.brand, m.dose) for m in out.medications] == [
        ("metformin", "Glucophage", "500 mg"),
        ("lisinopril", None, "10 mg"),
    ]


def test_validate_checks_units_per_lab_without_converting() -> None:
    out = validate(
        Extraction(
            labs=[
                Lab(name="Creatinine", value=1.4, unit="mg/dL", loinc="2160-0"),
                Lab(name="Creatinine", value=14, unit="mg/L", loinc="2160-0"),
                Lab(name="WBC", value=7.1, unit="x10^9/L"),
                Lab(name="Sodium", value=138, unit="mEq/L"),
                Lab(name="Hgb", value=10.2, unit="g/dL"),
                Lab(name="Zonulin", value=3, unit="ng/mL"),
            ]
        )
    )
    assert [(lab.loinc, lab.unit_ok, lab.value) for lab in out.labs] == [
        ("2160-0", True, 1.4),
        ("2160-0", False, 14),
        ("6690-2", True, 7.1),
        ("2951-2", True, 138),
        ("718-7", True, 10.2),
        (None, None, 3),
    ]
    notes = "\n".join(out.notes)
    assert "Creatinine: unit 'mg/L' is not one it is reported in (mg/dL, umol/L" in notes
    assert "'Zonulin': not a lab we know" in notes


def test_the_index_round_trips_through_its_disk_cache(index: IcdIndex, tmp_path: Path) -> None:
    path = tmp_path / index_file_name()
    save_index(index, path)
    loaded = load_index(path)
    assert loaded is not None
    assert loaded.version == index.version
    assert loaded.codes == index.codes
    assert loaded.terms == index.terms
    assert loaded.synonyms == index.synonyms
    assert load_index(tmp_path / "missing.json") is None
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    assert load_index(tmp_path / "broken.json") is None


@pytest.mark.slow
def test_a_second_process_loads_the_cache_without_simple_icd_10_cm(
    index: IcdIndex, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    save_index(index, data_dir / "cache" / index_file_name())
    code = (
        "import json, sys, time\n"
        "from frontdesk.medical.ontology import icd_index\n"
        "t = time.perf_counter(); i = icd_index(); load = time.perf_counter() - t\n"
        "print(json.dumps({'imported': 'simple_icd_10_cm' in sys.modules,\n"
        "                  'code': i.lookup('T2DM').code.code, 'load_s': load}))\n"
    )
    env = {**os.environ, "FRONTDESK_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["imported"] is False
    assert result["code"] == "E11.9"
