"""The safety gate: a recall-first check of every user message, before routing.

    message ─► SafetyGate.check ─► fired? ─► yes: emergency reply + P0 escalation (any category)
                  │                          no:  the router decides as usual
                  ├── one RiskDetector per risk class (medical emergency, self-harm, ...)
                  └── optional second opinion from a model, only in the band just below a
                      detector's threshold, and only to add an alarm

A detector scores a message in [0, 1] and fires at or above its threshold. The threshold is
chosen for recall, not accuracy (`frontdesk.safety.operating_point`): the lowest score of the
emergencies in a calibration set sets it, so that recall on new messages holds with a stated
confidence. The gate runs independently of the router's category argmax: a message that is
both an emergency and a billing question is an emergency first.

Offline the gate stands on its own. With a model, a message scoring within `band` below a
threshold is shown to the model; a "yes" raises the alarm, a "no" changes nothing, and a
failed call changes nothing (the local verdict stands).
"""

from __future__ import annotations

import json
import math
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from frontdesk.errors import ConfigError, LimitExceeded, ModelError
from frontdesk.messages import SystemMessage, UserMessage
from frontdesk.models.base import Model, ModelSettings
from frontdesk.safety.operating_point import OperatingPoint


@dataclass(kw_only=True, slots=True, frozen=True)
class RiskScore:
    """A detector's score for one message: `score` in [0, 1] (higher = more likely at risk) and
    the `evidence` behind it (the words that matched, the rule or model that scored them)."""

    score: float
    evidence: tuple[str, ...] = ()


class RiskDetector(ABC):
    """Scores messages for one risk class. `threshold` is where it fires (chosen on calibration
    data, see `operating_point`); `version` names the rules and weights that produce the score,
    so a recorded operating point can be matched to the detector it was measured on."""

    risk_class: str
    threshold: float
    version: str = "unversioned"

    @abstractmethod
    def score(self, text: str) -> RiskScore:
        """The risk score of `text` (pure CPU work, no I/O)."""

    def warm_up(self) -> None:  # noqa: B027 (optional hook, deliberately not abstract)
        """Load weights before the first message (a no-op unless the detector has some)."""


@dataclass(kw_only=True, slots=True)
class SafetyVerdict:
    """What the gate decided about one message.

    `fired` with `risk_class` when any detector reached its threshold (or the second opinion
    raised an alarm); otherwise `risk_class` names the highest-scoring class and `score` its
    score. `evidence` is empty unless it fired. `second_opinion` is `raised`, `declined` or
    `failed` when a model was asked, else None.
    """

    fired: bool
    risk_class: str | None = None
    score: float = 0.0
    evidence: list[str] = field(default_factory=list)
    threshold: float | None = None
    version: str = ""
    second_opinion: str | None = None
    latency_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The contract's `safety` object (`route --jsonl`, the decision log), plus details."""
        return {
            "fired": self.fired,
            "class": self.risk_class,
            "score": round(self.score, 4),
            "evidence": list(self.evidence),
            "threshold": None if self.threshold is None else round(self.threshold, 4),
            "version": self.version,
            "second_opinion": self.second_opinion,
            "latency_ms": round(self.latency_ms, 3),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SafetyVerdict:
        threshold = data.get("threshold")
        return cls(
            fired=bool(data["fired"]),
            risk_class=data.get("class"),
            score=float(data.get("score", 0.0)),
            evidence=[str(e) for e in data.get("evidence", [])],
            threshold=None if threshold is None else float(threshold),
            version=str(data.get("version", "")),
            second_opinion=data.get("second_opinion"),
            latency_ms=float(data.get("latency_ms", 0.0)),
        )

    def describe(self) -> str:
        """One sentence for an operator: what fired and on what evidence."""
        if not self.fired:
            return "the safety gate did not fire"
        words = "; ".join(self.evidence[:4]) or "no evidence recorded"
        how = " (raised by the model's second opinion)" if self.second_opinion == "raised" else ""
        return (
            f"the safety gate fired for {self.risk_class} (score {self.score:.2f}, threshold "
            f"{(self.threshold or 0.0):.2f}){how}: {words}"
        )


SECOND_OPINION_PROMPT = """\
You check messages sent to a clinic's chat assistant for emergencies. Decide whether the message
describes someone who needs emergency help now according to published guidance (call emergency
services or go to the emergency department now; or a suicide or self-harm crisis: call or text
988). A past event, a denied symptom, a general question or paperwork is not an emergency.
Answer with JSON only: {"emergency": true or false, "class": one of %s, "evidence": "the words
that decide it"}.
"""


@dataclass(kw_only=True)
class SafetyGate:
    """Declaration of the gate: its detectors, what it answers and how it escalates.

    `replies` maps a risk class to the immediate reply given when it fires (emergency services
    first; 988 for a crisis); `category` is the routing category a fired message takes (the
    contract says `emergency`); `priority` the escalation ticket's priority (0 = most urgent).
    `band` is how far below a detector's threshold, in log-odds, a model's second opinion is
    sought (1.0: a score up to e ≈ 2.7 times less likely than the threshold; thresholds of
    recall-first detectors can be tiny, so an absolute band would ask about every message).
    """

    detectors: Sequence[RiskDetector]
    replies: Mapping[str, str] = field(default_factory=dict)
    category: str = "emergency"
    priority: int = 0
    band: float = 1.0
    name: str = "safety"
    follow_up: str | None = "When you are ready, write to us again about {topic} and we'll help."
    """Added to the reply when the message also asked about something a specialist handles
    (`{topic}` is its label); None to say nothing."""
    recorded: Mapping[str, OperatingPoint] = field(default_factory=dict)
    """The operating point each detector's threshold was chosen at (risk class → point), as
    shipped with the gate; `frontdesk eval gate` shows them."""

    def __post_init__(self) -> None:
        if not self.detectors:
            raise ConfigError("SafetyGate needs at least one RiskDetector")
        classes = [d.risk_class for d in self.detectors]
        if len(set(classes)) != len(classes):
            raise ConfigError(f"one detector per risk class, got {classes}")
        if not 0.0 <= self.band <= 10.0:
            raise ConfigError(f"SafetyGate.band must be in [0, 10] (log-odds), got {self.band}")

    @property
    def version(self) -> str:
        return "+".join(f"{d.risk_class}@{d.version}" for d in self.detectors)

    def warm_up(self) -> None:
        """Load what the detectors need (weights, compiled rules) before the first message."""
        for detector in self.detectors:
            detector.warm_up()

    def reply(self, risk_class: str | None) -> str | None:
        if risk_class is not None and risk_class in self.replies:
            return self.replies[risk_class]
        return next(iter(self.replies.values()), None)

    def screen(self, text: str) -> SafetyVerdict:
        """The local verdict (no model): every detector scores `text`."""
        started = time.perf_counter()
        best: tuple[float, RiskDetector, RiskScore] | None = None
        fired: list[tuple[float, RiskDetector, RiskScore]] = []
        for detector in self.detectors:
            result = detector.score(text)
            # how far past (or short of) its own threshold, so classes with different
            # thresholds compare fairly
            margin = result.score - detector.threshold
            entry = (margin, detector, result)
            if result.score >= detector.threshold:
                fired.append(entry)
            if best is None or margin > best[0]:
                best = entry
        assert best is not None
        _, detector, result = max(fired, key=lambda e: e[0]) if fired else best
        return SafetyVerdict(
            fired=bool(fired),
            risk_class=detector.risk_class,
            score=result.score,
            evidence=list(result.evidence) if fired else [],
            threshold=detector.threshold,
            version=self.version,
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    async def check(self, text: str, *, model: Model | None = None) -> SafetyVerdict:
        """The verdict for `text`; with `model`, a second opinion in the band below a threshold
        (it may raise an alarm, never lower one)."""
        verdict = self.screen(text)
        if verdict.fired or model is None or self.band == 0.0:
            return verdict
        if verdict.threshold is None or not _near(verdict.score, verdict.threshold, self.band):
            return verdict
        started = time.perf_counter()
        opinion = await self._second_opinion(text, model)
        verdict.latency_ms += (time.perf_counter() - started) * 1000
        if opinion is None:
            verdict.second_opinion = "failed"
        elif opinion[0]:
            verdict.fired = True
            verdict.second_opinion = "raised"
            classes = {d.risk_class for d in self.detectors}
            if opinion[1] in classes:
                verdict.risk_class = opinion[1]
            verdict.evidence = [f"model: {opinion[2]}"] if opinion[2] else ["model"]
        else:
            verdict.second_opinion = "declined"
        return verdict

    async def _second_opinion(self, text: str, model: Model) -> tuple[bool, str, str] | None:
        classes = ", ".join(json.dumps(d.risk_class) for d in self.detectors)
        try:
            response = await model.request(
                [SystemMessage(text=SECOND_OPINION_PROMPT % classes), UserMessage(text=text)],
                settings=ModelSettings(max_output_tokens=80, temperature=0.0, timeout_s=10.0),
            )
        except (ModelError, LimitExceeded):
            return None  # the local verdict stands
        return parse_opinion(response.text)


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1.0 - 1e-9)
    return math.log(p / (1.0 - p))


def _near(score: float, threshold: float, band: float) -> bool:
    """A score below `threshold` by at most `band` in log-odds."""
    return score < threshold and _logit(score) >= _logit(threshold) - band


def parse_opinion(text: str) -> tuple[bool, str, str] | None:
    """(emergency, class, evidence) from a model's JSON answer, None when it is unusable."""
    match = re.search(r"\{.*\}", text, flags=re.DOTALL)
    if match is None:
        return None
    try:
        data = json.loads(match.group())
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("emergency"), bool):
        return None
    return data["emergency"], str(data.get("class") or ""), str(data.get("evidence") or "")[:200]
