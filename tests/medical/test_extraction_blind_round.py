"""Rules added after reading the misses of the first blind set (18-22): return precautions and
warning signs are watched for, a condition dated to a past year is history, a qualifier that
makes another condition ("gestational diabetes") is its own entry. Each test pairs what a rule
catches with a near miss it must leave alone."""

from __future__ import annotations

from frontdesk.medical.entities import Extraction
from frontdesk.medical.extraction import extract


def asserted(x: Extraction) -> list[str | None]:
    """Codes of the conditions asserted for the patient."""
    return [d.icd10 for d in x.diagnoses if not d.negated and d.subject == "patient"]


# --- what the patient is told to watch for is not what she has -----------------------------


def test_return_precautions_are_watched_for() -> None:
    x = extract("Return in 6 weeks, sooner for weight gain over 2 kg. Call sooner if chest pain.")
    assert asserted(x) == []
    assert any("HYPOTHETICAL" in e.traits for e in x.entities if e.text == "weight gain")


def test_warning_signs_reviewed_are_watched_for() -> None:
    x = extract(
        "Reviewed warning signs: severe headache, visual changes, decreased fetal movement."
    )
    assert "R51.9" not in asserted(x)


def test_near_miss_a_symptom_after_the_precautions_sentence_is_asserted() -> None:
    x = extract("Reviewed warning signs. She has a severe headache today. Weight gain of 3 kg.")
    assert "R51.9" in asserted(x)
    assert "R63.5" in asserted(x)


# --- a condition dated to a past year is history -------------------------------------------


def test_a_condition_in_a_past_year_is_history() -> None:
    x = extract("He had a TIA in 2021 without residual deficit.")
    assert [(d.icd10, d.history) for d in x.diagnoses] == [("Z86.73", True)]


def test_near_miss_a_condition_since_a_year_is_current() -> None:
    x = extract(
        "Recurrent TIA since 2021, on apixaban. Hypothyroidism since 2019, on levothyroxine."
    )
    # begun years ago (ConText's "historical"), but still current: asserted, own codes
    assert all(d.status == "present" for d in x.diagnoses)
    assert "G45.9" in asserted(x)


# --- a qualifier that names another condition ------------------------------------------------


def test_gestational_diabetes_is_not_type_2_diabetes() -> None:
    x = extract("Problem list:\n- Gestational diabetes, dx 26 weeks\nGDM, now A2.")
    codes = asserted(x)
    assert "O24.419" in codes
    assert not any(c and c.startswith("E11") for c in codes)


def test_near_miss_plain_diabetes_is_still_diabetes() -> None:
    x = extract("Assessment: diabetes, on metformin.")
    assert any(c and c.startswith("E11") for c in asserted(x))


# --- an earlier result in parentheses, labelled by when it was taken -------------------------


def labs(x: Extraction) -> list[tuple[str, float]]:
    return [(lab.name, lab.value) for lab in x.labs]


def test_an_earlier_result_labelled_by_its_date_or_occasion_is_a_result() -> None:
    x = extract(
        "Hemoglobin 10.9 g/dL (August: 10.2 g/dL)\n"
        "Potassium 5.6 mmol/L (repeat 02/28: 4.9)\n"
        "ANC 1.6 K/uL (C6D1: 2.4)\n"
        "TSH 3.4 mIU/L (first trimester 1.8 mIU/L)\n"
        "CEA 2.1 ng/mL (pre-operative 14.6 ng/mL)\n"
    )
    assert labs(x) == [
        ("Hemoglobin", 10.9), ("Hemoglobin", 10.2), ("Potassium", 5.6), ("Potassium", 4.9),
        ("Absolute neutrophil count", 1.6), ("Absolute neutrophil count", 2.4),
        ("Thyroid stimulating hormone", 3.4), ("Thyroid stimulating hormone", 1.8),
        ("Carcinoembryonic antigen", 2.1), ("Carcinoembryonic antigen", 14.6),
    ]  # fmt: skip


def test_near_miss_parentheses_without_an_occasion_or_in_another_unit_are_not_results() -> None:
    x = extract(
        "Hgb 10.8 g/dL (Plt 96)\n"
        "CD4 count 612 cells/uL (28 %)\n"
        "Sodium 137 mmol/L (ref 135-145)\n"
        "Hemoglobin 9.8 g/dL (12 weeks: 11.6 %)\n"
        "Potassium 4.1 mmol/L (August 3.5-5.0)\n"
        "Glucose 180 mg/dL (prednisone 10 mg)\n"
    )
    assert labs(x) == [
        ("Hemoglobin", 10.8), ("Platelet count", 96.0), ("CD4 count", 612.0), ("Sodium", 137.0),
        ("Hemoglobin", 9.8), ("Potassium", 4.1), ("Glucose", 180.0),
    ]  # fmt: skip


def test_common_tests_outside_the_basic_panels() -> None:
    x = extract(
        "Total IgE 412 IU/mL\nAbsolute eosinophil count 0.6 K/uL\nHCV RNA 2,450,000 IU/mL\n"
        "Urine protein/creatinine ratio 0.12 mg/mg\n"
    )
    assert [(lab.loinc, lab.value, lab.unit) for lab in x.labs] == [
        ("19113-0", 412.0, "IU/mL"), ("711-2", 0.6, "K/uL"), ("11011-4", 2450000.0, "IU/mL"),
        ("2890-2", 0.12, "mg/mg"),
    ]  # fmt: skip


# --- a condition to be worked up is not asserted --------------------------------------------


def test_a_condition_named_for_a_workup_is_only_considered() -> None:
    x = extract("Refer to gynecology; bleeding disorder workup if no improvement.")
    assert asserted(x) == []


def test_near_miss_the_same_condition_stated_is_asserted() -> None:
    x = extract("Known bleeding disorder, on follow-up with hematology.")
    assert asserted(x) == ["D68.9"]


# --- common names and abbreviations the tables lacked ----------------------------------------


def test_common_names_and_abbreviations_of_conditions() -> None:
    x = extract(
        "Heavy menstrual bleeding for 6 months. Hashimoto's hypothyroidism. OUD on "
        "buprenorphine. Neuropathic pain in both feet."
    )
    assert asserted(x) == ["N92.0", "E06.3", "F11.20", "M79.2"]
    assert "R58" not in asserted(x)  # the bleeding is the menstrual bleeding


def test_near_miss_lower_case_oud_in_a_word_is_not_the_abbreviation() -> None:
    x = extract("Loud snoring at night, no witnessed apneas.")
    assert not any(c == "F11.20" for c in asserted(x))


# --- doses by body surface area --------------------------------------------------------------


def meds(x: Extraction) -> list[tuple[str, str | None]]:
    return [(m.name, m.dose) for m in x.medications]


def test_a_dose_per_square_metre_is_a_dose() -> None:
    x = extract("Oxaliplatin 65 mg/m2 IV. Leucovorin 400 mg/m² IV.")
    assert meds(x) == [("oxaliplatin", "65 mg/m2"), ("leucovorin", "400 mg/m2")]


def test_near_miss_a_body_surface_area_is_not_a_dose() -> None:
    x = extract("BSA 1.9 m2. Oxaliplatin today.")
    assert meds(x) == [("oxaliplatin", None)]


def test_brands_of_combination_antivirals_and_pediatric_steroids() -> None:
    x = extract("Switched to Biktarvy. Start Mavyret 300/120 mg PO daily. Orapred 40 mg daily.")
    assert [m.name for m in x.medications] == [
        "bictegravir/emtricitabine/tenofovir alafenamide",
        "glecaprevir/pibrentasvir",
        "prednisolone",
    ]
