"""Safety first: a recall-first gate that checks every user message before routing.

- `SafetyGate` (`gate.py`): the declaration a pattern takes (`RouterSpecialist(safety=...)`):
  one `RiskDetector` per risk class, the immediate reply per class, the escalation priority.
- `operating_point.py`: thresholds chosen for recall with a stated guarantee (a Clopper–Pearson
  lower bound), recorded with the detector's version.
- `classifier.py`: the bundled encoder with low-rank adapters, fine-tuned on labelled messages.
- `context.py`: what the words around a red flag say about it in a patient's message (denied,
  over, a question, someone else's history, paperwork, a figure of speech).
- `rules.py`: red-flag rules from published guidance, with those context checks.
- `detectors.py`: detectors that combine the classifier and the rules.
- `evaluation.py`: a gate measured on labelled messages (`frontdesk eval gate`).
"""

from frontdesk.safety.detectors import FunctionDetector
from frontdesk.safety.gate import RiskDetector, RiskScore, SafetyGate, SafetyVerdict
from frontdesk.safety.operating_point import OperatingPoint, choose_recall_threshold

__all__ = [
    "FunctionDetector",
    "OperatingPoint",
    "RiskDetector",
    "RiskScore",
    "SafetyGate",
    "SafetyVerdict",
    "choose_recall_threshold",
]
