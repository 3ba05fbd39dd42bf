"""Lab flags, reference ranges and the findings rule table (`frontdesk.medical.analysis`)."""

from __future__ import annotations

import pytest

from frontdesk.errors import InvalidInput
from frontdesk.medical.analysis import RULES, analyze
from frontdesk.medical.entities import Diagnosis, Extraction, Lab
from frontdesk.medical.ranges import canonical_unit, lab_catalog, load_ranges

# (lab name as a report writes it, LOINC) — the shapes the extractor produces.
LOINC = {
    "Creatinine": "2160-0",
    "BUN": "3094-0",
    "eGFR": "98979-8",
    "Hemoglobin": "718-7",
    "MCV": "787-2",
    "Ferritin": "2276-4",
    "Glucose": "2345-7",
    "HbA1c": "4548-4",
    "Potassium": "2823-3",
    "Sodium": "2951-2",
    "Troponin I": "10839-9",
    "TSH": "3016-3",
    "Free T4": "3024-7",
    "ALT": "1742-6",
    "AST": "1920-8",
    "ALP": "6768-6",
    "Total bilirubin": "1975-2",
    "Platelets": "777-3",
    "WBC": "6690-2",
    "LDL": "13457-7",
    "BNP": "30934-4",
    "INR": "6301-6",
    "UACR": "9318-7",
    "Calcium": "17861-6",
    "pH": "2744-1",
    "Bicarbonate": "2028-9",
    "BHB": "53060-9",
}


def lab(name: str, value: float, unit: str) -> Lab:
    return Lab(name=name, value=value, unit=unit, loinc=LOINC.get(name))


def test_flags_and_reference_ranges_are_set_on_the_labs() -> None:
    labs = [
        lab("Creatinine", 2.1, "mg/dL"),
        lab("Potassium", 6.8, "mmol/L"),
        lab("Sodium", 138, "mEq/L"),
        lab("Hemoglobin", 10.2, "g/dL"),
        lab("LDL", 160, "mg/dL"),
        lab("eGFR", 75, "mL/min/1.73m2"),
    ]
    analyze(Extraction(labs=labs), sex="male")
    assert [(x.flag, x.reference_range) for x in labs] == [
        ("high", "0.7-1.3 mg/dL"),
        ("critical", "3.5-5.0 mmol/L"),
        ("normal", "136-145 mEq/L"),  # the row's equivalent spelling, as the lab wrote it
        ("low", "13.2-16.6 g/dL"),
        ("high", "<100 mg/dL"),
        ("normal", ">=60 mL/min/1.73m2"),
    ]


def test_sex_specific_ranges() -> None:
    female = [lab("Hemoglobin", 12.5, "g/dL")]
    male = [lab("Hemoglobin", 12.5, "g/dL")]
    analyze(Extraction(labs=female), sex="female")
    analyze(Extraction(labs=male), sex="male")
    assert (female[0].flag, female[0].reference_range) == ("normal", "11.6-15.0 g/dL")
    assert (male[0].flag, male[0].reference_range) == ("low", "13.2-16.6 g/dL")


def test_unknown_sex_uses_the_wider_range_and_says_so() -> None:
    labs = [lab("Creatinine", 1.2, "mg/dL"), lab("Sodium", 150, "mmol/L")]
    result = analyze(Extraction(labs=labs))
    assert (labs[0].flag, labs[0].reference_range) == ("normal", "0.5-1.3 mg/dL")
    assert labs[1].flag == "high"  # not sex-specific: no note
    assert result.notes == [
        "Creatinine: sex not given; used the wider range 0.5-1.3 mg/dL covering female and "
        "male limits"
    ]


def test_values_are_compared_in_their_own_unit_only() -> None:
    labs = [
        lab("Creatinine", 180, "umol/L"),  # SI row of the same LOINC
        lab("Glucose", 9.0, "mmol/L"),
        lab("Glucose", 1.1, "g/L"),  # no range in g/L: not converted, not flagged
        Lab(name="Creatinine", value=14, unit="mg/L", loinc="2160-0", unit_ok=False),
        Lab(name="Zonulin", value=3, unit="ng/mL"),
    ]
    result = analyze(Extraction(labs=labs), sex="male")
    assert [(x.flag, x.reference_range) for x in labs] == [
        ("high", "62-115 umol/L"),
        ("high", "3.9-5.5 mmol/L"),
        (None, None),
        (None, None),
        (None, None),
    ]
    notes = "\n".join(result.notes)
    assert "Glucose: no reference range in 'g/L' (we have ranges in mg/dL, mmol/L)" in notes
    assert "mg/L" not in notes  # a unit validation rejected was noted there, not twice
    assert "'Zonulin': not a lab we have reference ranges for" in notes


def test_labs_without_loinc_are_resolved_by_name_or_synonym() -> None:
    labs = [Lab(name="Hgb", value=9.0, unit="g/dL"), Lab(name="K+", value=3.1, unit="mEq/L")]
    analyze(Extraction(labs=labs), sex="female")
    assert [x.flag for x in labs] == ["low", "low"]


def test_an_invalid_sex_is_refused() -> None:
    with pytest.raises(InvalidInput, match="sex must be 'female', 'male' or None"):
        analyze(Extraction(), sex="other")  # type: ignore[arg-type]


# One case per rule of the table: the labs, then the finding that must come out.
RULE_CASES = [
    ("renal", [lab("Creatinine", 2.4, "mg/dL"), lab("BUN", 42, "mg/dL")],
     "Renal impairment (raised creatinine and BUN)", "attention", "R94.4"),
    ("renal", [lab("Creatinine", 1.6, "mg/dL"), lab("BUN", 15, "mg/dL")],
     "Raised creatinine (possible renal impairment)", "attention", "R94.4"),
    ("egfr", [lab("eGFR", 38, "mL/min/1.73m2")], "eGFR in the CKD stage 3b range", "attention",
     "N18.32"),
    ("egfr", [lab("eGFR", 11, "mL/min/1.73m2")], "eGFR in the CKD stage 5 range", "urgent",
     "N18.5"),
    ("anaemia", [lab("Hemoglobin", 9.8, "g/dL"), lab("MCV", 71, "fL")],
     "Microcytic anaemia (low Hgb and MCV)", "attention", "D64.9"),
    ("anaemia", [lab("Hemoglobin", 9.8, "g/dL"), lab("MCV", 71, "fL"), lab("Ferritin", 6, "ng/mL")],
     "Iron deficiency anaemia pattern (low Hgb, MCV and ferritin)", "attention", "D50.9"),
    ("anaemia", [lab("Hemoglobin", 9.8, "g/dL"), lab("MCV", 108, "fL")],
     "Macrocytic anaemia (low Hgb, high MCV)", "attention", "D64.9"),
    ("anaemia", [lab("Hemoglobin", 5.9, "g/dL")], "Anaemia (low haemoglobin)", "urgent", "D64.9"),
    ("glycaemia", [lab("HbA1c", 7.4, "%")], "Glycaemia in the diabetes range", "attention", None),
    ("glycaemia", [lab("Glucose", 14.2, "mmol/L")], "Glycaemia in the diabetes range",
     "attention", None),
    ("glycaemia", [lab("HbA1c", 6.0, "%")], "HbA1c in the prediabetes range (5.7-6.4 %)", "info",
     "R73.03"),
    ("potassium", [lab("Potassium", 5.6, "mmol/L")], "Hyperkalaemia", "attention", "E87.5"),
    ("potassium", [lab("Potassium", 6.9, "mmol/L")], "Severe hyperkalaemia", "urgent", "E87.5"),
    ("potassium", [lab("Potassium", 3.1, "mmol/L")], "Hypokalaemia", "attention", "E87.6"),
    ("sodium", [lab("Sodium", 118, "mmol/L")], "Hyponatraemia", "urgent", "E87.1"),
    ("sodium", [lab("Sodium", 151, "mmol/L")], "Hypernatraemia", "attention", "E87.0"),
    ("troponin", [lab("Troponin I", 0.9, "ng/mL")],
     "Myocardial injury (raised troponin): assess for acute coronary syndrome", "urgent", None),
    ("thyroid", [lab("TSH", 11.2, "mIU/L"), lab("Free T4", 0.5, "ng/dL")],
     "Primary hypothyroidism pattern (high TSH, low free T4)", "attention", "E03.9"),
    ("thyroid", [lab("TSH", 7.1, "uIU/mL"), lab("Free T4", 1.1, "ng/dL")],
     "Hypothyroid pattern (high TSH; subclinical if free T4 is normal)", "info", "E03.9"),
    ("thyroid", [lab("TSH", 0.01, "mIU/L"), lab("Free T4", 3.2, "ng/dL")],
     "Hyperthyroidism pattern (low TSH, high free T4)", "attention", "E05.90"),
    ("liver", [lab("ALT", 240, "U/L"), lab("AST", 180, "IU/L")],
     "Hepatocellular injury pattern (raised ALT and AST)", "attention", "R74.01"),
    ("liver", [lab("ALP", 410, "U/L"), lab("Total bilirubin", 3.4, "mg/dL")],
     "Cholestatic pattern (raised ALP and bilirubin)", "attention", None),
    ("platelets", [lab("Platelets", 88, "10^3/uL")], "Thrombocytopenia", "attention", "D69.6"),
    ("platelets", [lab("Platelets", 15, "K/uL")], "Thrombocytopenia", "urgent", "D69.6"),
    ("platelets", [lab("Platelets", 620, "x10^9/L")], "Thrombocytosis", "info", "D75.839"),
    ("wbc", [lab("WBC", 16.4, "K/uL")], "Leukocytosis", "info", "D72.829"),
    ("wbc", [lab("WBC", 2.8, "K/uL")], "Leukopenia", "attention", "D72.819"),
    ("lipids", [lab("LDL", 172, "mg/dL")], "Raised LDL cholesterol", "info", "E78.5"),
    ("natriuretic", [lab("BNP", 850, "pg/mL")],
     "Raised natriuretic peptide (heart failure possible)", "attention", None),
    ("inr", [lab("INR", 3.2, "")], "Raised INR (anticoagulation or coagulopathy)", "attention",
     "R79.1"),
    ("inr", [lab("INR", 7.5, "")], "Raised INR (anticoagulation or coagulopathy)", "urgent",
     "R79.1"),
    ("albuminuria", [lab("UACR", 140, "mg/g")], "Albuminuria", "info", "R80.9"),
    ("acid_base", [lab("pH", 7.29, ""), lab("Bicarbonate", 15, "mmol/L")],
     "Metabolic acidosis (low pH and bicarbonate)", "attention", "E87.20"),
    ("ketoacidosis", [lab("BHB", 5.1, "mmol/L"), lab("Glucose", 486, "mg/dL"),
                      lab("Bicarbonate", 9, "mmol/L"), lab("pH", 7.12, "")],
     "Diabetic ketoacidosis pattern (ketones, glucose, acidosis)", "urgent", None),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "labs", "name", "severity", "icd10"), RULE_CASES)
def test_rule_table(
    rule: str, labs: list[Lab], name: str, severity: str, icd10: str | None
) -> None:
    result = analyze(Extraction(labs=labs), sex="female")
    found = [(f.name, f.severity, f.icd10) for f in result.findings]
    assert (name, severity, icd10) in found
    finding = next(f for f in result.findings if f.name == name)
    # the evidence names every abnormal lab the rule used, with value, flag and range
    for x in labs:
        if x.flag not in ("normal", None):
            assert any(e.startswith(f"{x.name} {x.value:g}") for e in finding.evidence)


def test_every_rule_has_a_case() -> None:
    assert {r.name for r in RULES} == {case[0] for case in RULE_CASES}


def test_normal_results_give_no_findings() -> None:
    labs = [
        lab("Creatinine", 0.9, "mg/dL"),
        lab("Potassium", 4.2, "mmol/L"),
        lab("Hemoglobin", 13.5, "g/dL"),
        lab("HbA1c", 5.2, "%"),
        lab("TSH", 2.1, "mIU/L"),
    ]
    result = analyze(Extraction(labs=labs), sex="female")
    assert result.findings == []
    assert result.notes == []


def test_critical_values_come_first_and_none_is_left_unreported() -> None:
    labs = [
        lab("LDL", 190, "mg/dL"),
        lab("Calcium", 14.1, "mg/dL"),  # no rule for calcium: a "critical value" finding
        lab("Potassium", 6.9, "mmol/L"),
        lab("Creatinine", 1.6, "mg/dL"),
    ]
    result = analyze(Extraction(labs=labs), sex="male")
    assert [(f.name, f.severity) for f in result.findings] == [
        ("Severe hyperkalaemia", "urgent"),
        ("Critical value: Calcium", "urgent"),
        ("Raised creatinine (possible renal impairment)", "attention"),
        ("Raised LDL cholesterol", "info"),
    ]
    assert result.findings[1].evidence == ["Calcium 14.1 mg/dL (critical; ref 8.6-10.2 mg/dL)"]


def test_findings_are_cross_checked_with_documented_diagnoses() -> None:
    extraction = Extraction(
        labs=[lab("HbA1c", 8.1, "%"), lab("Potassium", 5.7, "mmol/L")],
        diagnoses=[
            Diagnosis(text="T2DM", icd10="E11.9"),
            Diagnosis(text="hyperkalemia", icd10="E87.5", status="absent"),
        ],
    )
    result = analyze(extraction, sex="female")
    by_name = {f.name: f for f in result.findings}
    assert by_name["Glycaemia in the diabetes range"].evidence[-1] == (
        "consistent with documented T2DM (E11.9)"
    )
    # a negated diagnosis confirms nothing
    assert not any("documented" in e for e in by_name["Hyperkalaemia"].evidence)


def test_the_ranges_table_is_well_formed() -> None:
    rows = load_ranges()
    catalog = lab_catalog()
    assert len(rows) >= 80
    for row in rows:
        assert row.source, row
        assert row.low is not None or row.high is not None, row
        if row.low is not None and row.high is not None:
            assert row.low < row.high, row
        if row.critical_low is not None:
            assert row.low is not None
            assert row.critical_low < row.low, row
        if row.critical_high is not None:
            assert row.high is not None
            assert row.critical_high > row.high, row
        # every range is in a unit its lab is reported in
        assert any(
            canonical_unit(u) == canonical_unit(a)
            for u in row.units
            for a in catalog.units(row.loinc)
        )
    sexed = {r.name for r in rows if r.sex is not None}
    assert {"Hemoglobin", "Hematocrit", "Creatinine", "Ferritin"} <= sexed


def test_a_sex_without_its_own_row_falls_back_and_says_so() -> None:
    psa = [Lab(name="PSA", value=5.2, unit="ng/mL", loinc="2857-1")]
    result = analyze(Extraction(labs=psa), sex="female")
    assert (psa[0].flag, psa[0].reference_range) == ("high", "<4.0 ng/mL")
    assert result.notes == [
        "Prostate specific antigen: no range for female patients; used the male range"
    ]
    # a lab with one row for either sex needs no note whatever the sex
    sodium = [lab("Sodium", 140, "mmol/L")]
    assert analyze(Extraction(labs=sodium), sex="male").notes == []


def test_a_one_sided_range_with_sex_rows_and_an_overall_row() -> None:
    hs_tni = [Lab(name="hs-TnI", value=20, unit="ng/L", loinc="89579-7")]
    analyze(Extraction(labs=hs_tni), sex="female")
    assert (hs_tni[0].flag, hs_tni[0].reference_range) == ("high", "<16 ng/L")
    analyze(Extraction(labs=hs_tni))  # unknown sex: the overall 99th percentile
    assert (hs_tni[0].flag, hs_tni[0].reference_range) == ("normal", "<26 ng/L")


def test_a_shared_category_alone_is_no_agreement() -> None:
    extraction = Extraction(
        labs=[lab("pH", 7.28, ""), lab("Bicarbonate", 16, "mmol/L"), lab("eGFR", 41, "mL/min")],
        diagnoses=[
            Diagnosis(text="hyperkalemia", icd10="E87.5"),
            Diagnosis(text="CKD stage 3", icd10="N18.30"),
        ],
    )
    by_name = {f.name: f for f in analyze(extraction).findings}
    acidosis = by_name["Metabolic acidosis (low pH and bicarbonate)"]
    assert not any("documented" in e for e in acidosis.evidence)
    assert by_name["eGFR in the CKD stage 3b range"].evidence[-1] == (
        "consistent with documented CKD stage 3 (N18.30)"
    )
