"""What the report pipeline extracts and derives, as plain dataclasses.

The shapes follow Amazon Comprehend Medical: every mention is an `Entity` with a type, character
offsets into the report, a score, attributes (dose, unit, value...) and traits (negation, subject,
history). `Lab`, `Medication` and `Diagnosis` are the normalised records built from entities; the
stages fill them in order:

    extraction  -> Extraction(entities, labs, medications, diagnoses)   (text, offsets, traits)
    validation  -> the same records with icd10 / description / generic names / unit checks
    analysis    -> Analysis(flags on labs, findings across them)
    report      -> ClinicalReport (markdown + the `analyze --json` object of DESIGN.md)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

EntityType = Literal["lab", "medication", "diagnosis"]
Subject = Literal["patient", "family"]
Flag = Literal["low", "normal", "high", "critical"]
Status = Literal["present", "historical", "absent", "possible", "hypothetical"]
"""What a report says of a condition: the patient has it now (`present`, chronic conditions
under past history included); had it and it is over (`historical`: a past episode, treated or
removed); does not have it (`absent`: denied, ruled out); might have it (`possible`: "rule out",
"concerning for", "versus"); or it is only mentioned as something that could happen or to watch
for (`hypothetical`: "return if", "risk of", "prophylaxis")."""
NOT_HAD: frozenset[str] = frozenset({"absent", "possible", "hypothetical"})


def is_history_code(code: str | None) -> bool:
    """An ICD-10-CM code that states a past condition: personal history (Z85-Z87, Z92), family
    history (Z80-Z84) or an old myocardial infarction (I25.2). Other Z codes state a current
    status (an allergy, home oxygen, non-adherence) and are not history."""
    compact = (code or "").replace(".", "").upper()
    return compact.startswith(("Z80", "Z81", "Z82", "Z83", "Z84", "Z85", "Z86", "Z87", "Z92",
                               "I252"))  # fmt: skip


@dataclass(kw_only=True, slots=True)
class Attribute:
    """A value attached to an entity: a lab's value or unit, a medication's dose or frequency."""

    type: str
    """e.g. VALUE, UNIT, DOSAGE, ROUTE_OR_MODE, FREQUENCY (Comprehend Medical's names)."""
    text: str
    begin_offset: int
    end_offset: int
    score: float = 1.0


@dataclass(kw_only=True, slots=True)
class Entity:
    """One mention in the report text (`text == report[begin_offset:end_offset]`)."""

    type: EntityType
    text: str
    begin_offset: int
    end_offset: int
    score: float = 1.0
    attributes: list[Attribute] = field(default_factory=list)
    traits: list[str] = field(default_factory=list)
    """Among NEGATION, FAMILY (subject is not the patient), HISTORY (past, not current)."""
    section: str | None = None
    """The report section the mention sits in (e.g. "labs", "medications", "assessment")."""


@dataclass(kw_only=True, slots=True)
class Lab:
    name: str
    """Canonical lab name, e.g. "Creatinine"."""
    value: float
    unit: str
    loinc: str | None = None
    text: str = ""
    begin_offset: int = 0
    end_offset: int = 0
    unit_ok: bool | None = None
    """Validation: the unit is one the lab is reported in (None until validated)."""
    flag: Flag | None = None
    reference_range: str | None = None
    """Analysis: e.g. "0.6-1.3 mg/dL" (None until analysed or when no range is known)."""
    specimen: str = "blood"
    """blood, urine, csf, pleural, peritoneal or synovial: only blood values are judged against
    the (blood) reference ranges."""
    confidence: float | None = None
    """How likely the flag is right, calibrated on the annotated corpus (None until scored)."""


@dataclass(kw_only=True, slots=True)
class Medication:
    name: str
    """Generic name, lower case (a brand name in the text is mapped to its generic)."""
    text: str = ""
    dose: str | None = None
    """With its unit, e.g. "500 mg"."""
    frequency: str | None = None
    route: str | None = None
    brand: str | None = None
    begin_offset: int = 0
    end_offset: int = 0


@dataclass(kw_only=True, slots=True)
class Diagnosis:
    text: str
    begin_offset: int = 0
    end_offset: int = 0
    status: Status = "present"
    subject: Subject = "patient"
    history: bool = False
    """ConText's "historical": told as past history or begun long ago (a chronic condition in
    the past history is historical *and* present)."""
    icd10: str | None = None
    description: str | None = None
    billable: bool | None = None
    confidence: float | None = None
    """How likely the asserted reading (code and status) is right, calibrated on the annotated
    corpus (`medical.confidence`); None until scored."""

    @property
    def negated(self) -> bool:
        """The report does not say the patient has it: denied, only possible, or only
        hypothetical (the first corpus's meaning of `negated`)."""
        return self.status in NOT_HAD

    @property
    def asserted(self) -> bool:
        """A condition the patient has: present now, or past and coded as such (a personal
        history or status code: "history of MI" -> I25.2). A past illness under its own code
        is listed, not asserted (that would date it to now)."""
        if self.subject != "patient":
            return False
        return self.status == "present" or (
            self.status == "historical" and is_history_code(self.icd10)
        )


@dataclass(kw_only=True, slots=True)
class Allergy:
    """A substance the patient is allergic or intolerant to (never also a medication)."""

    name: str
    """The generic drug name, drug class ("sulfa") or substance ("latex", "peanuts")."""
    reaction: str | None = None
    text: str = ""
    begin_offset: int = 0
    end_offset: int = 0


@dataclass(kw_only=True, slots=True)
class Extraction:
    entities: list[Entity] = field(default_factory=list)
    labs: list[Lab] = field(default_factory=list)
    medications: list[Medication] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    allergies: list[Allergy] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What a stage was unsure about or could not do (shown in the report)."""


@dataclass(kw_only=True, slots=True)
class Finding:
    """A pattern across results, e.g. renal impairment from creatinine and BUN."""

    name: str
    severity: Literal["info", "attention", "urgent"]
    evidence: list[str] = field(default_factory=list)
    icd10: str | None = None


@dataclass(kw_only=True, slots=True)
class Analysis:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
