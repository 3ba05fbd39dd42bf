"""The clinical summary: what a doctor reads in 30 seconds, as markdown and as JSON.

`render_report(extraction, analysis, debate=...)` returns a `ClinicalReport`. Its markdown, in
order: a one-line headline (urgent items), the patient's problems with their ICD-10-CM codes
(asserted only; negated and family-history mentions listed apart as "not asserted"), the labs
(critical first, then high/low, then those without a range; normal results in one line),
the medications, the flags needing attention (the analysis findings), what the system was
unsure about (notes), and the debate's verdict when there was one. `to_json()` is the
`frontdesk analyze --json` object of DESIGN.md, with a few extra keys (loinc, unit_ok, brand,
history, billable, notes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from frontdesk.medical.entities import (
    Allergy,
    Analysis,
    Diagnosis,
    Extraction,
    Finding,
    Lab,
    Medication,
)

__all__ = ["ClinicalReport", "render_report"]

DISCLAIMER = (
    "_Generated automatically from the report text. Not a medical device: check every item "
    "against the source report before acting on it._"
)
_LAB_ORDER = {"critical": 0, "high": 1, "low": 1, None: 2, "normal": 3}
_SEVERITY_ORDER = {"urgent": 0, "attention": 1, "info": 2}


@dataclass(kw_only=True, slots=True)
class ClinicalReport:
    markdown: str
    data: dict[str, Any] = field(default_factory=dict)
    """The JSON object, `summary_markdown` included."""

    def to_json(self) -> dict[str, Any]:
        """The `analyze --json` object (a fresh copy each call at the top level)."""
        return dict(self.data)


def render_report(
    extraction: Extraction, analysis: Analysis, *, debate: dict[str, Any] | None = None
) -> ClinicalReport:
    notes = list(dict.fromkeys([*extraction.notes, *analysis.notes]))
    findings = sorted(analysis.findings, key=lambda f: _SEVERITY_ORDER[f.severity])
    markdown = "\n".join(
        [
            "# Clinical summary",
            "",
            _headline(extraction, findings),
            "",
            *_problems(extraction.diagnoses),
            *_allergies(extraction.allergies),
            *_labs(extraction.labs),
            *_medications(extraction.medications),
            *_flags(findings),
            *_notes(notes),
            *_debate(debate),
            "---",
            DISCLAIMER,
            "",
        ]
    )
    data: dict[str, Any] = {
        "labs": [_lab_json(lab) for lab in extraction.labs],
        "medications": [_medication_json(m) for m in extraction.medications],
        "diagnoses": [_diagnosis_json(d) for d in extraction.diagnoses],
        "allergies": [{"name": a.name, "reaction": a.reaction} for a in extraction.allergies],
        "findings": [_finding_json(f) for f in findings],
        "summary_markdown": markdown,
        "notes": notes,
    }
    if debate is not None:
        data["debate"] = debate
    return ClinicalReport(markdown=markdown, data=data)


# ---- markdown ----------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _value(lab: Lab) -> str:
    return f"{lab.value:g} {lab.unit}".strip()


def _headline(extraction: Extraction, findings: list[Finding]) -> str:
    critical = sum(1 for lab in extraction.labs if lab.flag == "critical")
    abnormal = sum(1 for lab in extraction.labs if lab.flag in ("high", "low"))
    urgent = sum(1 for f in findings if f.severity == "urgent")
    attention = sum(1 for f in findings if f.severity == "attention")
    if not (critical or abnormal or urgent or attention):
        return "**No abnormal results or findings.**"
    parts = [
        f"{n} {label}"
        for n, label in (
            (urgent, "urgent"),
            (attention, "needing attention"),
            (critical, "critical lab" + ("s" if critical != 1 else "")),
            (abnormal, "abnormal lab" + ("s" if abnormal != 1 else "")),
        )
        if n
    ]
    return "**" + ", ".join(parts) + ".**"


_WHY_NOT = {
    "absent": "denied or ruled out",
    "possible": "possible, not established",
    "hypothetical": "only to watch for",
    "historical": "past, over",
    "present": "not coded",
}


def _problems(diagnoses: list[Diagnosis]) -> list[str]:
    asserted = [d for d in diagnoses if d.asserted]
    other = [d for d in diagnoses if not d.asserted]
    lines = ["## Problems", ""]
    if asserted:
        lines += ["| Problem | ICD-10-CM | Description |", "|---|---|---|"]
        for d in asserted:
            text = d.text + (" (history)" if d.status == "historical" else "")
            code = d.icd10 or "—"
            if d.icd10 and d.billable is False:
                code += " (not billable)"
            lines.append(f"| {_cell(text)} | {code} | {_cell(d.description or 'not coded')} |")
    else:
        lines.append("None documented.")
    if other:
        lines += ["", "Not asserted (not the patient's current problems):"]
        for d in other:
            why = "family history" if d.subject == "family" else _WHY_NOT[d.status]
            code = f" ({d.icd10})" if d.icd10 else ""
            lines.append(f"- {d.text}{code}: {why}")
    return [*lines, ""]


def _allergies(allergies: list[Allergy]) -> list[str]:
    if not allergies:
        return ["## Allergies", "", "None recorded (check the source: an unlisted allergy is "
                "not a known absence).", ""]  # fmt: skip
    lines = ["## Allergies", ""]
    for a in allergies:
        lines.append(f"- {a.name}" + (f" ({a.reaction})" if a.reaction else ""))
    return [*lines, ""]


def _labs(labs: list[Lab]) -> list[str]:
    if not labs:
        return ["## Labs", "", "None reported.", ""]
    listed = sorted((lab for lab in labs if lab.flag != "normal"), key=lambda x: _LAB_ORDER[x.flag])
    normal = [lab for lab in labs if lab.flag == "normal"]
    lines = ["## Labs", ""]
    if listed:
        lines += ["| Lab | Value | Flag | Reference range |", "|---|---|---|---|"]
        for lab in listed:
            flag = lab.flag.upper() if lab.flag else "not flagged"
            if lab.unit_ok is False:
                flag += " (unit?)"
            lines.append(
                f"| {_cell(lab.name)} | {_cell(_value(lab))} | {flag} | "
                f"{_cell(lab.reference_range or '—')} |"
            )
    if normal:
        if listed:
            lines.append("")
        lines.append("Within range: " + ", ".join(f"{lab.name} {_value(lab)}" for lab in normal))
    return [*lines, ""]


def _medications(medications: list[Medication]) -> list[str]:
    lines = ["## Medications", ""]
    if not medications:
        return [*lines, "None listed.", ""]
    for m in medications:
        parts = [m.name, m.dose, m.route, m.frequency]
        text = " ".join(p for p in parts if p)
        if m.brand and m.brand.lower() != m.name:
            text += f" (as {m.brand})"
        lines.append(f"- {text}")
    return [*lines, ""]


def _flags(findings: list[Finding]) -> list[str]:
    lines = ["## Flags needing attention", ""]
    if not findings:
        return [*lines, "None.", ""]
    for f in findings:
        code = f" — {f.icd10}" if f.icd10 else ""
        lines.append(f"- **{f.severity.upper()}** {f.name}{code}")
        lines += [f"  - {e}" for e in f.evidence]
    return [*lines, ""]


def _notes(notes: list[str]) -> list[str]:
    if not notes:
        return []
    return ["## Unsure", "", *[f"- {n}" for n in notes], ""]


def _debate(debate: dict[str, Any] | None) -> list[str]:
    if debate is None:
        return []
    lines = ["## Second opinion (debate)", ""]
    agreement = debate.get("agreement")
    if isinstance(agreement, int | float):
        lines.append(f"- Agreement between analysts: {agreement:.2f}")
    if debate.get("outcome") == "nothing_found":
        lines.append("- **Requires human review**: no analyst found anything to rank.")
    elif debate.get("requires_human_review"):
        lines.append("- **Requires human review**: the analysts disagree.")
    analyses = debate.get("analyses")
    if isinstance(analyses, list):
        lines.append(f"- Analyses: {len(analyses)}")
    return [*lines, ""]


# ---- JSON --------------------------------------------------------------------------------------


def _lab_json(lab: Lab) -> dict[str, Any]:
    return {
        "name": lab.name,
        "value": lab.value,
        "unit": lab.unit,
        "flag": lab.flag,
        "reference_range": lab.reference_range,
        "loinc": lab.loinc,
        "unit_ok": lab.unit_ok,
        "specimen": lab.specimen,
        "confidence": None if lab.confidence is None else round(lab.confidence, 3),
    }


def _medication_json(m: Medication) -> dict[str, Any]:
    return {
        "name": m.name,
        "dose": m.dose,
        "frequency": m.frequency,
        "route": m.route,
        "brand": m.brand,
    }


def _diagnosis_json(d: Diagnosis) -> dict[str, Any]:
    return {
        "text": d.text,
        "icd10": d.icd10,
        "description": d.description,
        "negated": d.negated,
        "status": d.status,
        "asserted": d.asserted,
        "subject": d.subject,
        "history": d.history,
        "billable": d.billable,
        "confidence": None if d.confidence is None else round(d.confidence, 3),
    }


def _finding_json(f: Finding) -> dict[str, Any]:
    return {"name": f.name, "severity": f.severity, "evidence": list(f.evidence), "icd10": f.icd10}
