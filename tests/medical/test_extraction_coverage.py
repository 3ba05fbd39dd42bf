"""The broader dictionaries and the medication rules added for recall: ICD-10-CM's own
wording, plan verbs between a drug and its dose, combination products, dose changes, and names
that are not a drug where they stand. Each test pairs what a mechanism catches with a near miss
it must leave alone."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

from frontdesk.medical._icd_terms import OUT_FILE, build_rows
from frontdesk.medical.entities import Extraction
from frontdesk.medical.extraction import extract


def meds(x: Extraction) -> list[tuple[str, str | None]]:
    return [(m.name, m.dose) for m in x.medications]


def codes(x: Extraction) -> list[tuple[str | None, bool]]:
    return [(d.icd10, d.negated) for d in x.diagnoses]


# --- conditions from ICD-10-CM descriptions ------------------------------------------------


def test_conditions_outside_the_curated_table_come_from_icd10cm_descriptions() -> None:
    x = extract("Thrombocytopenia related to hypersplenism. Hx of achalasia.")
    assert ("D73.1", False) in codes(x)
    assert any(d.icd10 == "K22.0" for d in x.diagnoses)


def test_everyday_words_in_icd10cm_descriptions_are_not_diagnoses() -> None:
    # "Illness" and "Falling" are ICD-10-CM descriptions/inclusion terms (R69, R29.6)
    x = extract("HISTORY OF PRESENT ILLNESS:\nFalling hemoglobin after the procedure.")
    assert x.diagnoses == []


def test_the_curated_table_wins_over_icd10cm_wording() -> None:
    # ICD-10-CM's "Cirrhosis" alone is K74.60 too, but "alcohol-related cirrhosis" is curated
    x = extract("Chronic liver disease – alcohol-related cirrhosis, Child-Pugh A.")
    assert "K70.30" in [d.icd10 for d in x.diagnoses]
    assert "K74.60" not in [d.icd10 for d in x.diagnoses]


def test_the_icd10cm_terms_table_is_billable_and_up_to_date() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as icd  # type: ignore[import-untyped]

    with Path(OUT_FILE).open(encoding="utf-8", newline="") as f:
        rows = [(row["term"], row["icd10"]) for row in csv.DictReader(f)]
    assert len(rows) > 5000
    assert all(icd.is_leaf(code) for _, code in rows)
    assert rows == build_rows()  # regenerate with `python -m frontdesk.medical._icd_terms`


# --- common symptoms and abbreviations -------------------------------------------------------


def test_common_symptom_spellings_and_history_codes() -> None:
    x = extract("He feels lightheaded on standing. Snores loudly. Previous DKA in 2022.")
    assert [d.icd10 for d in x.diagnoses] == ["R42", "R06.83", "Z86.39"]


def test_repeated_falls_and_a_history_of_falls_are_coded_apart() -> None:
    assert [d.icd10 for d in extract("Recurrent falls at home.").diagnoses] == ["R29.6"]
    assert [d.icd10 for d in extract("History of falls.").diagnoses] == ["Z91.81"]


# --- doses written away from the name --------------------------------------------------------


def test_a_dose_after_a_plan_verb_belongs_to_the_drug() -> None:
    x = extract("Metformin, increase to 1000 mg BID. Norepinephrine weaned from 12 to 6 mcg/min.")
    assert meds(x) == [("metformin", "1000 mg"), ("norepinephrine", "6 mcg/min")]
    assert x.medications[0].frequency == "BID"


def test_a_dose_after_other_words_is_not_taken() -> None:
    x = extract("Metformin held for contrast; creatinine 1.9 mg/dL.\nLisinopril held, BP 90/60.")
    assert meds(x) == [("metformin", None), ("lisinopril", None)]


def test_a_share_of_the_usual_dose_is_not_the_dose() -> None:
    x = extract("Lantus: give 80% dose (14 units) the night before.")
    assert meds(x) == [("insulin glargine", "14 units")]
    assert meds(extract("Lidocaine 5% patch daily.")) == [("lidocaine", "5 %")]


def test_a_changed_dose_in_the_same_clause_is_a_second_record() -> None:
    x = extract("Insulin glargine 30 units SC nightly continued at 24 units while inpatient.")
    assert meds(x) == [("insulin glargine", "30 units"), ("insulin glargine", "24 units")]
    assert meds(extract("Metoprolol 25 mg BID, continued.")) == [("metoprolol", "25 mg")]


# --- combination products --------------------------------------------------------------------


def test_two_ingredients_with_a_two_part_dose_are_one_product() -> None:
    x = extract(
        "| Calcium + vitamin D | 600 mg/400 IU | PO | BID |\nLosartan-HCTZ 50-12.5 mg daily"
    )
    assert meds(x) == [
        ("calcium carbonate/cholecalciferol", "600 mg/400 units"),
        ("losartan/hydrochlorothiazide", "50-12.5 mg"),
    ]
    # a pair not in the dictionary as a product
    assert meds(extract("Amlodipine-atorvastatin 5-10 mg daily")) == [
        ("amlodipine/atorvastatin", "5-10 mg")
    ]


def test_two_drugs_named_together_without_a_product_dose_stay_two() -> None:
    x = extract("GI bleed on aspirin + clopidogrel. Continue calcium and vitamin D.")
    assert meds(x) == [
        ("aspirin", None),
        ("clopidogrel", None),
        ("calcium carbonate", None),
        ("cholecalciferol", None),
    ]


# --- names that are not a drug where they stand ----------------------------------------------


def test_a_drug_name_used_for_a_device_a_kind_or_a_result_is_not_a_medication() -> None:
    text = (
        "Insulin-treated diabetes, on insulin pump. Not on a calcium channel blocker.\n"
        "B12 and folate were normal. Recheck vitamin D next visit. Calcium 9.6 mg/dL."
    )
    x = extract(text)
    assert x.medications == []
    assert [lab.name for lab in x.labs] == ["Calcium"]


def test_the_same_names_as_medications_are_still_medications() -> None:
    x = extract(
        "Insulin aspart via pump (basal 0.9 units/h). Folic acid 1 mg daily. Calcium daily."
    )
    assert meds(x) == [
        ("insulin aspart", "0.9 units/h"),
        ("folic acid", "1 mg"),
        ("calcium carbonate", None),
    ]


def test_common_brands_map_to_their_generics() -> None:
    x = extract("Hyzaar 100-25 mg daily. Xifaxan 550 mg BID. Melatonin 3 mg at bedtime.")
    assert meds(x) == [
        ("losartan/hydrochlorothiazide", "100-25 mg"),
        ("rifaximin", "550 mg"),
        ("melatonin", "3 mg"),
    ]
    assert [m.brand for m in x.medications] == ["Hyzaar", "Xifaxan", None]
