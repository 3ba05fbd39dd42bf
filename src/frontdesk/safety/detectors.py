"""Detectors that combine a fine-tuned classifier with red-flag rules.

A message's score for a risk class is the larger of
- the classifier's probability for that class (`classifier.AdapterClassifier`) on the whole
  message (scoring windows of a long message as well was measured and raised false alarms more
  than it caught buried emergencies: bench/notes/safety-gate.md); and
- 1.0 when a red-flag rule of that class fires (`rules.RuleSet`): what guidance says and a
  classifier cannot count or weigh (a temperature under 3 months, a blood thinner with a head
  knock, stroke signs that passed).

A message that is *settled* (the emergency already assessed or explained, the person well now,
nothing back since: `context.settled`) or only complains about the service (no symptom, body
part or medical event: `context.about_the_service`) scores 0 from the classifier when the
detector `settles` (the rules decide for themselves, with `keeps = ["settled"]`). The clinic's
self-harm detector does not settle: after a crisis, the crisis line is still the answer, and a
crisis may be written as a complaint.

The evidence is the rule and the words it matched, and, when the classifier fired, the sentence
it scores highest.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import numpy as np

from frontdesk.safety.classifier import AdapterClassifier
from frontdesk.safety.context import about_the_service, settled
from frontdesk.safety.gate import RiskDetector, RiskScore
from frontdesk.safety.rules import RuleSet


class FunctionDetector(RiskDetector):
    """A detector from one function of the text (a score in [0, 1], or a `RiskScore` with its
    evidence): for tests, or to put any scorer behind the gate."""

    def __init__(
        self,
        risk_class: str,
        function: Callable[[str], float | RiskScore],
        *,
        threshold: float = 0.5,
        version: str = "function",
    ) -> None:
        self.risk_class = risk_class
        self.function = function
        self.threshold = threshold
        self.version = version

    def score(self, text: str) -> RiskScore:
        result = self.function(text)
        if isinstance(result, RiskScore):
            return result
        return RiskScore(score=float(result), evidence=(f"{self.version} {float(result):.2f}",))


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


class MessageScorer:
    """The classifier's probabilities for a message, cached for the few messages a gate is
    checking (its detectors share one forward pass)."""

    def __init__(self, classifier: AdapterClassifier) -> None:
        self.classifier = classifier
        self._cached = functools.lru_cache(maxsize=64)(self._score)

    def scores(self, text: str) -> np.ndarray:
        """One probability per label."""
        return self._cached(text)

    def _score(self, text: str) -> np.ndarray:
        probabilities: np.ndarray = self.classifier.predict([text])[0]
        return probabilities

    def warm_up(self) -> None:
        self.classifier.predict(["warm up"])


class ClassifierRuleDetector(RiskDetector):
    """One risk class scored by a shared classifier and the class's red-flag rules."""

    def __init__(
        self,
        *,
        risk_class: str,
        scorer: MessageScorer,
        rules: RuleSet | None,
        threshold: float,
        version: str = "",
        settles: bool = True,
    ) -> None:
        if risk_class not in scorer.classifier.labels:
            raise ValueError(
                f"the classifier has no {risk_class!r} output (it has "
                f"{', '.join(scorer.classifier.labels)})"
            )
        self.risk_class = risk_class
        self.scorer = scorer
        self.rules = rules
        self.threshold = threshold
        self.settles = settles
        self._column = scorer.classifier.labels.index(risk_class)
        parts = [scorer.classifier.version]
        if rules is not None:
            parts.append(f"rules-{rules.version}")
        self.version = version or "+".join(parts)

    def warm_up(self) -> None:
        self.scorer.warm_up()

    def _probability(self, text: str) -> float:
        if self.settles and (settled(text) or about_the_service(text)):
            return 0.0
        return float(self.scorer.scores(text)[self._column])

    def score(self, text: str) -> RiskScore:
        probability = self._probability(text)
        hits = self.rules.hits(text, self.risk_class) if self.rules is not None else []
        evidence = [f'"{hit.words}" (rule {hit.rule.id})' for hit in hits]
        if probability >= self.threshold:
            evidence.append(f'"{_shorten(self._telling_sentence(text))}" '
                            f"(classifier {probability:.2f})")  # fmt: skip
        return RiskScore(score=1.0 if hits else probability, evidence=tuple(evidence))

    def _telling_sentence(self, text: str) -> str:
        """The sentence the classifier scores highest (the evidence; only for a message that
        fired, so the extra forward passes are rare)."""
        parts = sentences(text)
        if len(parts) <= 1:
            return text
        scored = self.scorer.classifier.predict(parts)[:, self._column]
        return parts[int(np.argmax(scored))]


def _shorten(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
