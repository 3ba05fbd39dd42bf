"""The clinic's safety gate: medical emergencies and self-harm, checked before routing.

Two risk classes, each a detector that combines the fine-tuned classifier
(`data/safety_classifier.npz`) with the red-flag rules (`data/red_flags.toml`). Their thresholds
and what they achieved on the calibration split of our triage corpus are recorded in
`data/safety_gate.json` with the classifier's and the rules' versions; `frontdesk eval gate`
shows them. `bench/train_safety_gate.py` retrains and recalibrates all three files from
`tests/data/triage/` (see docs/safety.md).

When it fires, the user gets the reply of its class at once (emergency services first; 988
first for a crisis, with 911), and the conversation goes to staff as a P0 ticket with the
evidence.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from frontdesk.errors import ConfigError
from frontdesk.safety import OperatingPoint, SafetyGate
from frontdesk.safety.classifier import AdapterClassifier
from frontdesk.safety.detectors import ClassifierRuleDetector, MessageScorer
from frontdesk.safety.rules import RuleSet

DATA_DIR = Path(__file__).parent / "data"
RULES_FILE = DATA_DIR / "red_flags.toml"
CLASSIFIER_FILE = DATA_DIR / "safety_classifier.npz"
GATE_FILE = DATA_DIR / "safety_gate.json"

RISK_CLASSES = ("medical_emergency", "self_harm")

MEDICAL_EMERGENCY_REPLY = (
    "This could be an emergency. Call 911 now (or your local emergency number), or go to the "
    "nearest emergency department; don't drive yourself. Please don't wait for a reply here. "
    "If you are thinking about harming yourself, call or text 988 (Suicide & Crisis Lifeline)."
)
CRISIS_REPLY = (
    "I'm really glad you reached out. If you are thinking about suicide or about hurting "
    "yourself, please call or text 988 now (Suicide & Crisis Lifeline, any time, free). If you "
    "or someone else is in immediate danger, call 911. You don't have to go through this alone."
)


@functools.lru_cache(maxsize=1)
def clinic_red_flags() -> RuleSet:
    """The clinic's red-flag rules (loaded once per process)."""
    return RuleSet.load(RULES_FILE)


def operating_points(path: Path = GATE_FILE) -> dict[str, OperatingPoint]:
    """The recorded operating point of each risk class."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(
            f"cannot read the safety gate's operating points from {path}: {exc}"
        ) from exc
    return {c: OperatingPoint.from_json(p) for c, p in data["operating_points"].items()}


def clinic_gate(
    *,
    classifier: Path = CLASSIFIER_FILE,
    points: Path = GATE_FILE,
    rules: Path | None = None,
) -> SafetyGate:
    """The clinic's gate, as shipped (or from other artefacts: `eval gate --out` writes them)."""
    recorded = operating_points(points)
    missing = [c for c in RISK_CLASSES if c not in recorded]
    if missing:
        raise ConfigError(f"{points} has no operating point for {', '.join(missing)}")
    scorer = MessageScorer(AdapterClassifier.load(classifier))
    rule_set = RuleSet.load(rules) if rules is not None else clinic_red_flags()
    detectors = [
        ClassifierRuleDetector(
            risk_class=risk_class,
            scorer=scorer,
            rules=rule_set,
            threshold=recorded[risk_class].threshold,
            settles=risk_class != "self_harm",
        )
        for risk_class in RISK_CLASSES
    ]
    return SafetyGate(
        detectors=detectors,
        replies={"medical_emergency": MEDICAL_EMERGENCY_REPLY, "self_harm": CRISIS_REPLY},
        category="emergency",
        priority=0,
        follow_up="Once you are safe, write to us again about {topic} and we'll help.",
        recorded=recorded,
    )


__all__ = [
    "CRISIS_REPLY",
    "MEDICAL_EMERGENCY_REPLY",
    "RISK_CLASSES",
    "clinic_gate",
    "clinic_red_flags",
    "operating_points",
]
