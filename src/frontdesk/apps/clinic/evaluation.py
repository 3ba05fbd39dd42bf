"""Scoring the clinic router on a labelled set (`{"text", "label"}` lines).

Labels are the clinic's categories plus three outcomes: `human` (an explicit request for a person:
must escalate), `unclear` and `off_topic` (must be clarified). A category label is correct when
the decision names that category with the category's action (`answer` for specialists,
`escalate` for emergency / legal / complaint).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

ESCALATING = frozenset({"emergency", "legal", "complaint"})
CLARIFIED = frozenset({"unclear", "off_topic"})


def is_correct(label: str, decision: Mapping[str, Any]) -> bool:
    """Whether a routing decision (the `route --jsonl` object) is right for `label`."""
    action = decision.get("action")
    if label == "human":
        return action == "escalate"
    if label in CLARIFIED:
        return action == "clarify"
    expected_action = "escalate" if label in ESCALATING else "answer"
    return decision.get("category") == label and action == expected_action


@dataclass(kw_only=True, slots=True)
class ClinicScore:
    """Accuracy overall and per label, emergency recall, and routing latency."""

    n: int
    accuracy: float
    emergency_recall: float
    per_label: dict[str, float]
    p50_ms: float
    p99_ms: float
    errors: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "emergency_recall": round(self.emergency_recall, 4),
            "per_label": {k: round(v, 4) for k, v in sorted(self.per_label.items())},
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "errors": self.errors,
        }


def score(
    items: Iterable[tuple[Mapping[str, str], Mapping[str, Any]]],
) -> ClinicScore:
    """Score `(labelled item, decision)` pairs; decisions may carry `latency_ms`."""
    total: Counter[str] = Counter()
    right: Counter[str] = Counter()
    latencies: list[float] = []
    errors: list[dict[str, Any]] = []
    for item, decision in items:
        label = item["label"]
        total[label] += 1
        if is_correct(label, decision):
            right[label] += 1
        else:
            errors.append({"text": item["text"], "label": label,
                           "category": decision.get("category"),
                           "action": decision.get("action"),
                           "confidence": decision.get("confidence")})  # fmt: skip
        if "latency_ms" in decision:
            latencies.append(float(decision["latency_ms"]))
    n = sum(total.values())
    lat = np.asarray(latencies or [0.0])
    return ClinicScore(
        n=n,
        accuracy=sum(right.values()) / max(n, 1),
        emergency_recall=right["emergency"] / max(total["emergency"], 1),
        per_label={label: right[label] / total[label] for label in total},
        p50_ms=float(np.percentile(lat, 50)),
        p99_ms=float(np.percentile(lat, 99)),
        errors=errors,
    )
