"""Analysis: flag each lab against its reference range, then find patterns across results.

`analyze(extraction, sex=...)` sets every lab's `flag` (low | normal | high | critical) and
`reference_range` ("0.7-1.3 mg/dL") in place, and returns an `Analysis` with the findings of the
rule table below and notes on what it could not do (no range for a lab or unit, a unit that is
not the lab's, the sex unknown for a sex-specific range). A lab with no usable range keeps
`flag=None`. Nothing is converted between units.

The rule table (`RULES`; each rule reads the flagged labs and returns zero or more findings;
docs/medical.md has it as a table). "urgent*" means urgent when the lab is critical.

    renal        creatinine high + BUN high -> renal impairment; creatinine high alone ->
                 raised creatinine. attention, R94.4
    egfr         eGFR < 60 -> eGFR in the CKD stage 3a/3b/4/5 range. attention (stage 5:
                 urgent), N18.31/N18.32/N18.4/N18.5
    anaemia      Hgb low -> anaemia (D64.9); + MCV low -> microcytic; + ferritin low -> iron
                 deficiency pattern (D50.9); MCV high -> macrocytic. attention/urgent*
    glycaemia    HbA1c >= 6.5 % (48 mmol/mol) or glucose >= 200 mg/dL (11.1 mmol/L) ->
                 diabetes range, attention; HbA1c 5.7-6.4 % -> prediabetes range, info, R73.03
    potassium    K+ high -> hyperkalaemia (E87.5); low -> hypokalaemia (E87.6). attention/urgent*
    sodium       Na+ low -> hyponatraemia (E87.1); high -> hypernatraemia (E87.0). attention/urgent*
    troponin     any troponin high -> myocardial injury. urgent
    thyroid      TSH high -> hypothyroid pattern (E03.9; attention when free T4 low, else info);
                 TSH low -> hyperthyroid pattern (E05.90 when free T4 high, attention; else info)
    liver        ALT and AST high -> hepatocellular injury (R74.01); ALP and bilirubin high ->
                 cholestatic pattern. attention
    platelets    low -> thrombocytopenia (D69.6), attention/urgent*; high -> thrombocytosis
                 (D75.839), info/urgent*
    wbc          high -> leukocytosis (D72.829), info; low -> leukopenia (D72.819), attention
    lipids       LDL high -> raised LDL cholesterol. info, E78.5
    natriuretic  BNP or NT-proBNP high -> raised natriuretic peptide. attention
    inr          INR high -> raised INR. attention/urgent*, R79.1
    albuminuria  urine albumin/creatinine high -> albuminuria. info, R80.9
    acid_base    pH low and bicarbonate low -> metabolic acidosis. attention/urgent*, E87.20
    ketoacidosis beta-hydroxybutyrate >= 3.0 mmol/L, glucose >= 250 mg/dL (13.9 mmol/L) and
                 low bicarbonate or pH -> diabetic ketoacidosis pattern. urgent
    (critical)   any other critical lab -> "Critical value: <lab>". urgent

A finding that an asserted diagnosis agrees with (a table of related codes per finding, e.g. the
diabetes range with E08-E13, renal impairment with N17-N19 / E11.2x / I12-I13) gets the evidence
"consistent with documented ...". Findings are returned urgent first, then attention, then info.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from frontdesk.errors import InvalidInput
from frontdesk.medical import confidence
from frontdesk.medical.entities import Analysis, Extraction, Finding, Lab
from frontdesk.medical.ranges import LabCatalog, Sex, canonical_unit, classify, lab_catalog

__all__ = ["RULES", "Rule", "analyze"]

Severity = Literal["info", "attention", "urgent"]
_SEVERITY_ORDER = {"urgent": 0, "attention": 1, "info": 2}

# Concepts the rules speak of -> the LOINC codes that measure them.
CONCEPTS: dict[str, frozenset[str]] = {
    "creatinine": frozenset({"2160-0", "14682-9"}),
    "bun": frozenset({"3094-0"}),
    "egfr": frozenset({"98979-8", "62238-1", "33914-3", "48642-3", "48643-1"}),
    "hemoglobin": frozenset({"718-7"}),
    "mcv": frozenset({"787-2"}),
    "ferritin": frozenset({"2276-4"}),
    "glucose": frozenset({"2345-7", "2339-0", "1558-6"}),
    "hba1c": frozenset({"4548-4", "17856-6"}),
    "potassium": frozenset({"2823-3", "6298-4"}),
    "sodium": frozenset({"2951-2", "2947-0"}),
    "troponin": frozenset({"10839-9", "89579-7", "6598-7", "67151-1", "49563-0"}),
    "tsh": frozenset({"3016-3"}),
    "ft4": frozenset({"3024-7"}),
    "alt": frozenset({"1742-6"}),
    "ast": frozenset({"1920-8"}),
    "alp": frozenset({"6768-6"}),
    "bilirubin": frozenset({"1975-2"}),
    "platelets": frozenset({"777-3"}),
    "wbc": frozenset({"6690-2"}),
    "ldl": frozenset({"13457-7", "2089-1"}),
    "bnp": frozenset({"30934-4", "33762-6"}),
    "inr": frozenset({"6301-6"}),
    "uacr": frozenset({"9318-7"}),
    "ph": frozenset({"2744-1", "11558-4"}),
    "bicarbonate": frozenset({"2028-9", "1963-8", "1959-6"}),
    "bhb": frozenset({"53060-9"}),
}


Direction = Literal["high", "low", "normal"]


@dataclass(kw_only=True, slots=True)
class Results:
    """The extraction's labs, resolved to LOINC codes, as the rules see them."""

    labs: list[tuple[str | None, Lab]]
    directions: dict[int, Direction]
    """id(lab) -> which side of its range the value is on (also for a critical value)."""

    def all(self, concept: str) -> list[Lab]:
        codes = CONCEPTS[concept]
        return [lab for loinc, lab in self.labs if loinc in codes]

    def get(self, concept: str) -> Lab | None:
        """The concept's most abnormal lab (critical, then high/low), else its first."""
        labs = self.all(concept)
        if not labs:
            return None
        rank = {"critical": 0, "high": 1, "low": 1, "normal": 2, None: 3}
        return min(labs, key=lambda lab: rank[lab.flag])

    def direction(self, lab: Lab) -> Direction | None:
        return self.directions.get(id(lab))

    def is_high(self, concept: str) -> bool:
        lab = self.get(concept)
        return lab is not None and self.direction(lab) == "high"

    def is_low(self, concept: str) -> bool:
        lab = self.get(concept)
        return lab is not None and self.direction(lab) == "low"


def evidence(lab: Lab) -> str:
    """ "Creatinine 2.1 mg/dL (high; ref 0.7-1.3 mg/dL)"."""
    unit = f" {lab.unit}" if lab.unit else ""
    detail: str = lab.flag or "no range"
    if lab.reference_range:
        detail += f"; ref {lab.reference_range}"
    return f"{lab.name} {lab.value:g}{unit} ({detail})"


def _at_least(lab: Lab, thresholds: dict[str, float]) -> bool:
    """The value is at or above the threshold given for its unit (False for other units)."""
    limit = thresholds.get(canonical_unit(lab.unit))
    return limit is not None and lab.value >= limit


def _finding(
    name: str, severity: Severity, labs: list[Lab | None], icd10: str | None = None
) -> Finding:
    return Finding(
        name=name,
        severity=severity,
        evidence=[evidence(lab) for lab in labs if lab is not None],
        icd10=icd10,
    )


def _sev(lab: Lab | None, base: Severity) -> Severity:
    return "urgent" if lab is not None and lab.flag == "critical" else base


# ---- the rules ---------------------------------------------------------------------------------


def _renal(r: Results) -> list[Finding]:
    if not r.is_high("creatinine"):
        return []
    creat, bun = r.get("creatinine"), r.get("bun")
    if r.is_high("bun"):
        return [
            _finding(
                "Renal impairment (raised creatinine and BUN)", "attention", [creat, bun], "R94.4"
            )
        ]
    return [
        _finding("Raised creatinine (possible renal impairment)", "attention", [creat], "R94.4")
    ]


def _egfr(r: Results) -> list[Finding]:
    lab = r.get("egfr")
    if lab is None or not r.is_low("egfr"):
        return []
    stages = ((45, "3a", "N18.31"), (30, "3b", "N18.32"), (15, "4", "N18.4"), (0, "5", "N18.5"))
    _, stage, code = next(s for s in stages if lab.value >= s[0])
    severity: Severity = "urgent" if stage == "5" else "attention"
    found = _finding(f"eGFR in the CKD stage {stage} range", severity, [lab], code)
    found.evidence.append("CKD needs the reduction to persist for 3 months or more")
    return [found]


def _anaemia(r: Results) -> list[Finding]:
    if not r.is_low("hemoglobin"):
        return []
    hgb, mcv, ferritin = r.get("hemoglobin"), r.get("mcv"), r.get("ferritin")
    severity = _sev(hgb, "attention")
    if r.is_low("mcv"):
        if r.is_low("ferritin"):
            return [
                _finding(
                    "Iron deficiency anaemia pattern (low Hgb, MCV and ferritin)",
                    severity,
                    [hgb, mcv, ferritin],
                    "D50.9",
                )
            ]
        return [_finding("Microcytic anaemia (low Hgb and MCV)", severity, [hgb, mcv], "D64.9")]
    if r.is_high("mcv"):
        return [_finding("Macrocytic anaemia (low Hgb, high MCV)", severity, [hgb, mcv], "D64.9")]
    return [_finding("Anaemia (low haemoglobin)", severity, [hgb, mcv], "D64.9")]


def _glycaemia(r: Results) -> list[Finding]:
    a1c, glucose = r.get("hba1c"), r.get("glucose")
    diabetic = [
        lab
        for lab, limits in (
            (a1c, {"%": 6.5, "mmol/mol": 48}),
            (glucose, {"mg/dl": 200, "mmol/l": 11.1}),
        )
        if lab is not None and _at_least(lab, limits)
    ]
    if diabetic:
        return [_finding("Glycaemia in the diabetes range", "attention", list(diabetic))]
    if a1c is not None and _at_least(a1c, {"%": 5.7, "mmol/mol": 39}):
        return [_finding("HbA1c in the prediabetes range (5.7-6.4 %)", "info", [a1c], "R73.03")]
    return []


def _potassium(r: Results) -> list[Finding]:
    lab = r.get("potassium")
    if r.is_high("potassium"):
        name = "Severe hyperkalaemia" if lab and lab.flag == "critical" else "Hyperkalaemia"
        return [_finding(name, _sev(lab, "attention"), [lab], "E87.5")]
    if r.is_low("potassium"):
        name = "Severe hypokalaemia" if lab and lab.flag == "critical" else "Hypokalaemia"
        return [_finding(name, _sev(lab, "attention"), [lab], "E87.6")]
    return []


def _sodium(r: Results) -> list[Finding]:
    lab = r.get("sodium")
    if r.is_low("sodium"):
        return [_finding("Hyponatraemia", _sev(lab, "attention"), [lab], "E87.1")]
    if r.is_high("sodium"):
        return [_finding("Hypernatraemia", _sev(lab, "attention"), [lab], "E87.0")]
    return []


def _troponin(r: Results) -> list[Finding]:
    raised = [lab for lab in r.all("troponin") if r.direction(lab) == "high"]
    if not raised:
        return []
    return [
        _finding(
            "Myocardial injury (raised troponin): assess for acute coronary syndrome",
            "urgent",
            list(raised),
        )
    ]


def _thyroid(r: Results) -> list[Finding]:
    tsh, ft4 = r.get("tsh"), r.get("ft4")
    if r.is_high("tsh"):
        if r.is_low("ft4"):
            return [
                _finding(
                    "Primary hypothyroidism pattern (high TSH, low free T4)",
                    "attention",
                    [tsh, ft4],
                    "E03.9",
                )
            ]
        return [
            _finding(
                "Hypothyroid pattern (high TSH; subclinical if free T4 is normal)",
                "info",
                [tsh, ft4],
                "E03.9",
            )
        ]
    if r.is_low("tsh"):
        if r.is_high("ft4"):
            return [
                _finding(
                    "Hyperthyroidism pattern (low TSH, high free T4)",
                    "attention",
                    [tsh, ft4],
                    "E05.90",
                )
            ]
        return [
            _finding("Low TSH (hyperthyroid pattern if free T4 is high)", "info", [tsh, ft4], None)
        ]
    return []


def _liver(r: Results) -> list[Finding]:
    out: list[Finding] = []
    if r.is_high("alt") and r.is_high("ast"):
        out.append(
            _finding(
                "Hepatocellular injury pattern (raised ALT and AST)",
                "attention",
                [r.get("alt"), r.get("ast")],
                "R74.01",
            )
        )
    if r.is_high("alp") and r.is_high("bilirubin"):
        out.append(
            _finding(
                "Cholestatic pattern (raised ALP and bilirubin)",
                "attention",
                [r.get("alp"), r.get("bilirubin")],
            )
        )
    return out


def _platelets(r: Results) -> list[Finding]:
    lab = r.get("platelets")
    if r.is_low("platelets"):
        return [_finding("Thrombocytopenia", _sev(lab, "attention"), [lab], "D69.6")]
    if r.is_high("platelets"):
        return [_finding("Thrombocytosis", _sev(lab, "info"), [lab], "D75.839")]
    return []


def _wbc(r: Results) -> list[Finding]:
    lab = r.get("wbc")
    if r.is_high("wbc"):
        return [_finding("Leukocytosis", _sev(lab, "info"), [lab], "D72.829")]
    if r.is_low("wbc"):
        return [_finding("Leukopenia", _sev(lab, "attention"), [lab], "D72.819")]
    return []


def _lipids(r: Results) -> list[Finding]:
    if r.is_high("ldl"):
        return [_finding("Raised LDL cholesterol", "info", [r.get("ldl")], "E78.5")]
    return []


def _natriuretic(r: Results) -> list[Finding]:
    raised = [lab for lab in r.all("bnp") if r.direction(lab) == "high"]
    if not raised:
        return []
    return [
        _finding("Raised natriuretic peptide (heart failure possible)", "attention", list(raised))
    ]


def _inr(r: Results) -> list[Finding]:
    lab = r.get("inr")
    if not r.is_high("inr"):
        return []
    return [
        _finding(
            "Raised INR (anticoagulation or coagulopathy)", _sev(lab, "attention"), [lab], "R79.1"
        )
    ]


def _acid_base(r: Results) -> list[Finding]:
    ph, bicarbonate = r.get("ph"), r.get("bicarbonate")
    if not (r.is_low("ph") and r.is_low("bicarbonate")):
        return []
    return [
        _finding(
            "Metabolic acidosis (low pH and bicarbonate)",
            _sev(ph, "attention"),
            [ph, bicarbonate],
            "E87.20",
        )
    ]


def _ketoacidosis(r: Results) -> list[Finding]:
    bhb, glucose = r.get("bhb"), r.get("glucose")
    if bhb is None or glucose is None or not _at_least(bhb, {"mmol/l": 3.0}):
        return []
    if not _at_least(glucose, {"mg/dl": 250, "mmol/l": 13.9}):
        return []
    if not (r.is_low("bicarbonate") or r.is_low("ph")):
        return []
    evidence = [bhb, glucose, r.get("bicarbonate"), r.get("ph")]
    return [
        _finding("Diabetic ketoacidosis pattern (ketones, glucose, acidosis)", "urgent", evidence)
    ]


def _albuminuria(r: Results) -> list[Finding]:
    if r.is_high("uacr"):
        return [_finding("Albuminuria", "info", [r.get("uacr")], "R80.9")]
    return []


@dataclass(kw_only=True, slots=True, frozen=True)
class Rule:
    name: str
    apply: Callable[[Results], list[Finding]]


RULES: tuple[Rule, ...] = (
    Rule(name="renal", apply=_renal),
    Rule(name="egfr", apply=_egfr),
    Rule(name="anaemia", apply=_anaemia),
    Rule(name="glycaemia", apply=_glycaemia),
    Rule(name="potassium", apply=_potassium),
    Rule(name="sodium", apply=_sodium),
    Rule(name="troponin", apply=_troponin),
    Rule(name="thyroid", apply=_thyroid),
    Rule(name="liver", apply=_liver),
    Rule(name="platelets", apply=_platelets),
    Rule(name="wbc", apply=_wbc),
    Rule(name="lipids", apply=_lipids),
    Rule(name="natriuretic", apply=_natriuretic),
    Rule(name="inr", apply=_inr),
    Rule(name="albuminuria", apply=_albuminuria),
    Rule(name="acid_base", apply=_acid_base),
    Rule(name="ketoacidosis", apply=_ketoacidosis),
)


# ---- analyze -----------------------------------------------------------------------------------


def analyze(extraction: Extraction, *, sex: Sex | None = None) -> Analysis:
    """Flag the extraction's labs in place and find patterns across them (see the module doc)."""
    if sex not in (None, "female", "male"):
        raise InvalidInput(f"sex must be 'female', 'male' or None (unknown), not {sex!r}")
    catalog = lab_catalog()
    notes: list[str] = []
    resolved: list[tuple[str | None, Lab]] = []
    directions: dict[int, Direction] = {}
    drugs = {m.name.lower() for m in extraction.medications}
    for lab in extraction.labs:
        loinc = lab.loinc or catalog.resolve(lab.name)
        direction = _flag_lab(lab, loinc, sex, catalog, notes)
        _therapeutic(lab, loinc, drugs, notes)
        if direction is not None:
            directions[id(lab)] = direction
        resolved.append((loinc, lab))
    results = Results(labs=resolved, directions=directions)
    findings = [f for rule in RULES for f in rule.apply(results)]
    findings += _critical_leftovers(results, findings)
    _cross_check(findings, extraction)
    findings.sort(key=lambda f: _SEVERITY_ORDER[f.severity])
    confidence.score(extraction)  # what a clinician should check first
    return Analysis(findings=findings, notes=list(dict.fromkeys(notes)))


_THERAPEUTIC: dict[str, tuple[frozenset[str], dict[str, float], str]] = {
    # loinc: (drugs it monitors, upper limit of their therapeutic range by unit, source)
    "19123-9": (
        frozenset({"magnesium sulfate"}),
        {"mg/dL": 8.4, "mmol/L": 3.5, "mEq/L": 7.0},
        "ACOG: 4.8-8.4 mg/dL on a magnesium sulfate infusion",
    ),
}


def _therapeutic(lab: Lab, loinc: str | None, drugs: set[str], notes: list[str]) -> None:
    """A level kept high on purpose (magnesium on a magnesium sulfate infusion) is judged
    against the drug's therapeutic range: inside it, "high", never "critical"."""
    monitored = _THERAPEUTIC.get(loinc or "")
    if lab.flag != "critical" or monitored is None or not monitored[0] & drugs:
        return
    upper = monitored[1].get(lab.unit or "")
    if upper is not None and lab.value <= upper:
        lab.flag = "high"
        notes.append(
            f"lab {lab.name} {lab.value:g} {lab.unit}: within the therapeutic range of "
            f"{sorted(monitored[0] & drugs)[0]} ({monitored[2]}); high, not critical"
        )


def _flag_lab(
    lab: Lab, loinc: str | None, sex: Sex | None, catalog: LabCatalog, notes: list[str]
) -> Direction | None:
    """Set lab.flag and lab.reference_range; return the value's side of the range."""
    lab.flag = None
    lab.reference_range = None
    if loinc is None:
        notes.append(f"lab {lab.name!r}: not a lab we have reference ranges for; not flagged")
        return None
    if lab.unit_ok is False:  # validation said so, and noted it
        return None
    choice = catalog.choose(loinc, lab.unit, sex)
    if choice is None:
        known = sorted({r.unit for r in catalog.ranges.get(loinc, [])})
        have = f" (we have ranges in {', '.join(known)})" if known else ""
        notes.append(
            f"lab {lab.name}: no reference range in {lab.unit or 'no unit'!r}{have}; not flagged"
        )
        return None
    if choice.note:
        notes.append(choice.note)
    rng = choice.range
    lab.flag = classify(lab.value, rng)
    lab.reference_range = rng.text(lab.unit)
    if rng.low is not None and lab.value < rng.low:
        return "low"
    if rng.high is not None and lab.value > rng.high:
        return "high"
    if lab.flag == "critical":  # outside a critical limit, inside the normal one: not possible
        return "high" if rng.critical_high is not None and lab.value > rng.critical_high else "low"
    return "normal"


def _critical_leftovers(results: Results, findings: list[Finding]) -> list[Finding]:
    """A critical value no rule reported as urgent still gets an urgent finding of its own."""
    covered = {e for f in findings if f.severity == "urgent" for e in f.evidence}
    return [
        _finding(f"Critical value: {lab.name}", "urgent", [lab])
        for _, lab in results.labs
        if lab.flag == "critical" and evidence(lab) not in covered
    ]


_ANAEMIAS = tuple(f"D{n}" for n in range(50, 65))
# Documented codes (prefixes) that a finding agrees with: by the finding's code, else by the
# start of its name; a finding with neither agrees with its own code only.
_RELATED_BY_CODE: dict[str, tuple[str, ...]] = {
    "R94.4": ("N17", "N18", "N19", "E10.2", "E11.2", "I12", "I13", "R94.4"),
    "N18.31": ("N18", "E10.22", "E11.22", "I12", "I13"),
    "N18.32": ("N18", "E10.22", "E11.22", "I12", "I13"),
    "N18.4": ("N18", "E10.22", "E11.22", "I12", "I13"),
    "N18.5": ("N18", "E10.22", "E11.22", "I12", "I13"),
    "D64.9": _ANAEMIAS,
    "D50.9": ("D50", "D63", "D64"),
    "R73.03": ("R73",),
    "E03.9": ("E03", "E06.3", "E89.0"),
    "E05.90": ("E05",),
    "R74.01": ("B15", "B16", "B17", "B18", "B19", "K70", "K71", "K72", "K73", "K74", "K75",
               "K76", "R74"),
    "E78.5": ("E78",),
    "R79.1": ("R79.1", "D65", "D68"),
    "R80.9": ("R80", "E10.2", "E11.2"),
}  # fmt: skip
_RELATED_BY_NAME: dict[str, tuple[str, ...]] = {
    "Glycaemia in the diabetes range": ("E08", "E09", "E10", "E11", "E13"),
    "Diabetic ketoacidosis": ("E08.1", "E09.1", "E10.1", "E11.1", "E13.1"),
    "Myocardial injury": ("I21", "I22", "I24", "I25.2", "I5A", "I40", "I51.4"),
    "Raised natriuretic peptide": ("I50", "I11.0", "I13.0", "I13.2"),
    "Cholestatic pattern": ("K80", "K81", "K83", "K74.3", "K74.5", "R17"),
}


def _related(finding: Finding) -> tuple[str, ...]:
    if finding.icd10 in _RELATED_BY_CODE:
        return _RELATED_BY_CODE[finding.icd10]
    for start, prefixes in _RELATED_BY_NAME.items():
        if finding.name.startswith(start):
            return prefixes
    return (finding.icd10,) if finding.icd10 else ()


def _cross_check(findings: list[Finding], extraction: Extraction) -> None:
    """Add "consistent with documented ..." to a finding an asserted diagnosis agrees with."""
    asserted = [d for d in extraction.diagnoses if d.asserted and d.icd10]
    for finding in findings:
        related = _related(finding)
        # the first related code that is documented (in the order the rule lists them)
        for prefix in related:
            dx = next((d for d in asserted if (d.icd10 or "").startswith(prefix)), None)
            if dx is not None:
                finding.evidence.append(f"consistent with documented {dx.text} ({dx.icd10})")
                break
