"""How much to trust each extracted diagnosis and lab flag: a probability calibrated on the
annotated corpus, so a clinician sees what to check first.

A diagnosis's `confidence` is the probability that its reading is right: that the patient has
the condition now when it is asserted, that the patient does not when it is listed as absent,
possible, hypothetical, past or a relative's (scored at the ICD-10-CM category, as the corpus
is). A lab's is the probability that its flag is right (the value read, matched to the report,
and judged as the annotator judged it).

Each is a logistic regression over a few features of the mention (its status and subject, the
kind of code, where in the report it sits, how it was written), fitted on the development
reports of `tests/medical/reports` (`fit`, run by `bench/fit_confidence.py`) and shipped as
`data/confidence.json`. Its calibration is measured on reports it was not fitted on: the
expected calibration error and a reliability plot (docs/extraction.md).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from frontdesk.medical.entities import Diagnosis, Extraction, Lab

DATA_FILE = Path(__file__).parent / "data" / "confidence.json"

_STATUSES = ("present", "historical", "absent", "possible", "hypothetical")
_SECTIONS = {
    "assessment": "assessment", "plan": "assessment", "diagnoses": "assessment",
    "past_history": "history", "surgical_history": "history", "family_history": "history",
    "review_of_systems": "ros", "history_of_present_illness": "hpi",
    "chief_complaint": "hpi", "exam": "exam", "labs": "results", "imaging": "results",
}  # fmt: skip
_SECTION_KINDS = ("assessment", "history", "ros", "hpi", "exam", "results")
_ABBREVIATION = re.compile(r"^[A-Z0-9/&+.-]{2,6}$")

DIAGNOSIS_FEATURES = (
    *(f"status={s}" for s in _STATUSES), "family", "no_code", "unspecified", "symptom_code",
    "z_code", "abbreviation", "words", *(f"section={k}" for k in _SECTION_KINDS),
    "repeated",
)  # fmt: skip
LAB_FEATURES = (
    "flag=critical", "flag=high", "flag=low", "flag=normal", "unit_written", "unit_ok",
    "specimen_other", "distance", "no_range",
)  # fmt: skip


def diagnosis_features(d: Diagnosis, extraction: Extraction) -> list[float]:
    section = _section_of(d, extraction)
    category = (d.icd10 or "")[:3]
    mentions = Counter((x.icd10 or "")[:3] for x in extraction.diagnoses)
    return [
        *(1.0 if d.status == s else 0.0 for s in _STATUSES),
        1.0 if d.subject != "patient" else 0.0,
        1.0 if not d.icd10 else 0.0,
        1.0 if "unspecified" in (d.description or "").lower() else 0.0,
        1.0 if category.startswith("R") else 0.0,
        1.0 if category.startswith("Z") else 0.0,
        1.0 if _ABBREVIATION.match(d.text.strip()) else 0.0,
        min(len(d.text.split()), 5) / 5.0,
        *(1.0 if section == k else 0.0 for k in _SECTION_KINDS),
        math.log1p(mentions[category]) if category else 0.0,
    ]


def lab_features(lab: Lab) -> list[float]:
    distance = 0.0
    low, high = _range(lab.reference_range)
    if low is not None and high is not None and high > low:
        if lab.value > high:
            distance = (lab.value - high) / (high - low)
        elif lab.value < low:
            distance = (low - lab.value) / (high - low)
    return [
        *(1.0 if lab.flag == f else 0.0 for f in ("critical", "high", "low", "normal")),
        1.0 if lab.unit else 0.0,
        1.0 if lab.unit_ok else 0.0,
        1.0 if lab.specimen != "blood" else 0.0,
        min(distance, 5.0) / 5.0,
        1.0 if lab.reference_range is None else 0.0,
    ]


def _range(text: str | None) -> tuple[float | None, float | None]:
    numbers = re.findall(r"-?\d+(?:\.\d+)?", text or "")
    if len(numbers) >= 2:
        return float(numbers[0]), float(numbers[1])
    return None, None


def _section_of(d: Diagnosis, extraction: Extraction) -> str | None:
    for entity in extraction.entities:
        if entity.type == "diagnosis" and entity.begin_offset == d.begin_offset:
            return _SECTIONS.get(entity.section or "")
    return None


@dataclass(kw_only=True, slots=True, frozen=True)
class LogisticModel:
    weights: tuple[float, ...]
    bias: float

    def probability(self, features: Sequence[float]) -> float:
        z = self.bias + math.fsum(w * x for w, x in zip(self.weights, features, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(kw_only=True, slots=True, frozen=True)
class ConfidenceModels:
    diagnoses: LogisticModel
    labs: LogisticModel
    fitted_on: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "fitted_on": self.fitted_on,
            "diagnoses": {"features": list(DIAGNOSIS_FEATURES),
                          "weights": list(self.diagnoses.weights), "bias": self.diagnoses.bias},
            "labs": {"features": list(LAB_FEATURES), "weights": list(self.labs.weights),
                     "bias": self.labs.bias},
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConfidenceModels:
        def model(part: dict[str, Any], names: Sequence[str]) -> LogisticModel:
            if list(part["features"]) != list(names):
                raise ValueError("the confidence model was fitted on other features: refit it")
            return LogisticModel(weights=tuple(part["weights"]), bias=float(part["bias"]))

        return cls(
            diagnoses=model(data["diagnoses"], DIAGNOSIS_FEATURES),
            labs=model(data["labs"], LAB_FEATURES),
            fitted_on=str(data.get("fitted_on", "")),
        )


@functools.lru_cache(maxsize=1)
def shipped() -> ConfidenceModels | None:
    """The shipped models (None when the data file is absent)."""
    if not DATA_FILE.is_file():
        return None
    return ConfidenceModels.from_json(json.loads(DATA_FILE.read_text(encoding="utf-8")))


def score(extraction: Extraction, models: ConfidenceModels | None = None) -> None:
    """Set the confidence of every diagnosis and every flagged lab, in place."""
    models = models or shipped()
    if models is None:
        return
    for d in extraction.diagnoses:
        d.confidence = models.diagnoses.probability(diagnosis_features(d, extraction))
    for lab in extraction.labs:
        if lab.flag is not None:
            lab.confidence = models.labs.probability(lab_features(lab))


def fit_logistic(rows: Sequence[Sequence[float]], labels: Sequence[bool]) -> LogisticModel:
    """An L2-regularised logistic regression (scikit-learn's, C = 1)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, max_iter=2000).fit(list(rows), list(labels))
    return LogisticModel(
        weights=tuple(float(w) for w in model.coef_[0]), bias=float(model.intercept_[0])
    )


def expected_calibration_error(
    probabilities: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> tuple[float, list[tuple[float, float, int]]]:
    """ECE over equal-width bins, and per non-empty bin (mean confidence, accuracy, count)."""
    table: list[tuple[float, float, int]] = []
    total = 0.0
    n = len(probabilities)
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [
            (p, c) for p, c in zip(probabilities, correct, strict=True)
            if (low < p <= high) or (b == 0 and p == 0.0)
        ]  # fmt: skip
        if not inside:
            continue
        mean_p = sum(p for p, _ in inside) / len(inside)
        accuracy = sum(1 for _, c in inside if c) / len(inside)
        total += abs(mean_p - accuracy) * len(inside) / n
        table.append((mean_p, accuracy, len(inside)))
    return total, table
