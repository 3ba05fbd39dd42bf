"""Extraction by a model: structured JSON, validated with pydantic at this edge, re-asked with
the validation error when invalid (`extract_with_model`, re-exported by `extraction`)."""

from __future__ import annotations

import json
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from frontdesk.errors import InvalidInput, ModelError
from frontdesk.medical._input import check_text
from frontdesk.medical.entities import (
    Allergy,
    Diagnosis,
    Entity,
    Extraction,
    Lab,
    Medication,
)
from frontdesk.messages import AssistantMessage, Message, SystemMessage, TextPart, UserMessage
from frontdesk.models.base import Model, ModelSettings


class _Item(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class LabOut(_Item):
    name: str = Field(min_length=1, description="The lab's usual name, e.g. 'Creatinine'.")
    value: float
    unit: str = ""
    loinc: str | None = None
    text: str | None = Field(None, description="The name exactly as written in the report.")


class MedicationOut(_Item):
    name: str = Field(min_length=1, description="Generic name, lower case.")
    dose: str | None = Field(None, description="Amount with its unit, e.g. '500 mg'.")
    frequency: str | None = None
    route: str | None = None
    brand: str | None = None
    text: str | None = Field(None, description="The drug name exactly as written.")


class DiagnosisOut(_Item):
    text: str = Field(min_length=1, description="The condition exactly as written.")
    icd10: str | None = None
    negated: bool = False
    status: Literal["present", "historical", "absent", "possible", "hypothetical"] | None = None
    subject: Literal["patient", "family"] = "patient"
    history: bool = False


class AllergyOut(_Item):
    name: str = Field(min_length=1, description="The substance (generic drug name or class).")
    reaction: str | None = None


class ExtractionOut(_Item):
    """The wire format a model must answer with."""

    labs: list[LabOut] = Field(default_factory=list)
    medications: list[MedicationOut] = Field(default_factory=list)
    diagnoses: list[DiagnosisOut] = Field(default_factory=list)
    allergies: list[AllergyOut] = Field(default_factory=list)


INSTRUCTIONS = (
    "You extract structured data from a clinical report. Answer with ONE JSON object and "
    "nothing else, matching this JSON schema:\n{schema}\n"
    "Rules: every lab result with its numeric value and unit; every medication the patient "
    "takes by its generic name with dose (amount and unit), frequency and route when written; "
    "every allergy (substance and reaction) in `allergies`, never in medications; every "
    "condition with its status: present (has it now), historical (past and over), absent "
    "(denied, ruled out, negative for), possible (rule out, concerning for, versus) or "
    "hypothetical (return if, risk of, prophylaxis), and subject='family' for a relative's "
    "condition. Copy `text` exactly as it appears in the report."
)


async def extract_with_model(text: str, model: Model, *, max_attempts: int = 3) -> Extraction:
    """The report's labs, medications and diagnoses as `model` reads them.

    The answer must be a JSON object of `ExtractionOut`'s schema; an answer that is not JSON or
    fails validation is sent back with the error, up to `max_attempts` calls in all, after
    which `ModelError` says what the last answer got wrong."""
    text = check_text(text)
    if max_attempts < 1:
        raise InvalidInput(f"max_attempts must be at least 1, not {max_attempts}")
    schema = json.dumps(ExtractionOut.model_json_schema(), separators=(",", ":"))
    messages: list[Message] = [
        SystemMessage(text=INSTRUCTIONS.format(schema=schema)),
        UserMessage(text=f"Report:\n<<<\n{text}\n>>>"),
    ]
    problem = ""
    for _ in range(max_attempts):
        response = await model.request(messages, settings=ModelSettings(max_output_tokens=4096))
        answer = response.text
        try:
            parsed = ExtractionOut.model_validate_json(_json_object(answer))
        except (ValueError, ValidationError) as exc:
            problem = _describe(exc)
            messages += [
                AssistantMessage(parts=[TextPart(text=answer)]),
                UserMessage(
                    text=f"Your answer was not valid: {problem}\nAnswer again with only the "
                    f"corrected JSON object."
                ),
            ]
            continue
        return _to_extraction(text, parsed)
    raise ModelError(
        f"the model gave no valid extraction in {max_attempts} attempt(s); last problem: {problem}",
        model=model.id,
    )


def _json_object(answer: str) -> str:
    """The JSON object in an answer, without a Markdown code fence around it."""
    fenced = re.search(r"```(?:json)?\s*(.*?)```", answer, re.DOTALL)
    body = fenced.group(1) if fenced else answer
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        raise ValueError("the answer holds no JSON object")
    return body[start : end + 1]


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        errors = exc.errors(include_url=False)
        shown = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in errors[:8]
        )
        more = f" (and {len(errors) - 8} more)" if len(errors) > 8 else ""
        return f"{shown}{more}"
    return str(exc)


class _Locator:
    """Finds each mention in the report, left to right, so repeated words get their own
    offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.used: set[tuple[int, int]] = set()

    def find(self, needle: str | None) -> tuple[int, int] | None:
        if not needle:
            return None
        for m in re.finditer(re.escape(needle), self.text, re.IGNORECASE):
            span = (m.start(), m.end())
            if span not in self.used:
                self.used.add(span)
                return span
        return None


def _to_extraction(text: str, parsed: ExtractionOut) -> Extraction:
    locate = _Locator(text)
    result = Extraction()
    missing: list[str] = []

    def entity(
        kind: Literal["lab", "medication", "diagnosis"], mention: str | None
    ) -> Entity | None:
        span = locate.find(mention)
        if span is None:
            if mention:
                missing.append(mention)
            return None
        found = Entity(
            type=kind, text=text[span[0] : span[1]], begin_offset=span[0], end_offset=span[1]
        )
        result.entities.append(found)
        return found

    for lab in parsed.labs:
        e = entity("lab", lab.text or lab.name)
        result.labs.append(
            Lab(
                name=lab.name,
                value=lab.value,
                unit=lab.unit,
                loinc=lab.loinc,
                text=e.text if e else lab.text or lab.name,
                begin_offset=e.begin_offset if e else 0,
                end_offset=e.end_offset if e else 0,
            )
        )
    for med in parsed.medications:
        e = entity("medication", med.text or med.brand or med.name)
        result.medications.append(
            Medication(
                name=med.name.lower(),
                text=e.text if e else med.text or med.name,
                dose=med.dose,
                frequency=med.frequency,
                route=med.route,
                brand=med.brand,
                begin_offset=e.begin_offset if e else 0,
                end_offset=e.end_offset if e else 0,
            )
        )
    for dx in parsed.diagnoses:
        e = entity("diagnosis", dx.text)
        if e is not None:
            e.traits = [
                t
                for t, on in (
                    ("NEGATION", dx.negated or dx.status == "absent"),
                    ("POSSIBLE", dx.status == "possible"),
                    ("HYPOTHETICAL", dx.status == "hypothetical"),
                    ("FAMILY", dx.subject == "family"),
                    ("HISTORY", dx.history),
                )
                if on
            ]
        result.diagnoses.append(
            Diagnosis(
                text=dx.text,
                begin_offset=e.begin_offset if e else 0,
                end_offset=e.end_offset if e else 0,
                status=dx.status or ("absent" if dx.negated else "present"),
                subject=dx.subject,
                history=dx.history or dx.status == "historical",
                icd10=dx.icd10,
            )
        )
    result.allergies = [Allergy(name=a.name.lower(), reaction=a.reaction) for a in parsed.allergies]
    if missing:
        shown = ", ".join(repr(m) for m in dict.fromkeys(missing))
        result.notes.append(f"the model named mentions not found in the report: {shown}")
    result.entities.sort(key=lambda e: (e.begin_offset, e.end_offset))
    return result
