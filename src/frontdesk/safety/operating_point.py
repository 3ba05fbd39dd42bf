"""Choosing a detector's threshold for recall first, with a stated guarantee.

A safety detector must not miss: its threshold is set so that its recall on *new* messages is at
least `floor` with probability `confidence`. Recall measured on n calibration emergencies is a
binomial estimate, so the rule uses its one-sided Clopper–Pearson lower bound: the highest
threshold whose bound still reaches the floor. For a cut on a continuous score this is exact and
distribution-free (a cut at the k-th lowest positive score has recall distributed Beta(n + 1 −
k, k)), the same argument as the router's out-of-scope floor (`routing.calibration`).

With every calibration emergency caught, the bound is (1 − confidence)^(1/n): 230 emergencies
show 99 % at 90 % confidence, 300 show 99.2 %. Fewer can never show the floor; the point then
reports `floor_met=False` and the threshold catches every calibration emergency.

An `OperatingPoint` is what gets recorded with a detector's version: its threshold, the
calibration recall and bound, the false-alarm rate on the calibration near misses, and how many
of each it was measured on. `frontdesk eval gate` shows it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.stats import beta

from frontdesk.errors import InvalidInput


@dataclass(kw_only=True, slots=True, frozen=True)
class OperatingPoint:
    """A recall-first threshold and what it achieved on the data it was chosen on."""

    risk_class: str
    threshold: float
    floor: float
    confidence: float
    recall: float
    recall_bound: float
    """The one-sided Clopper–Pearson lower bound of `recall` at `confidence`."""
    false_alarm_rate: float
    n_positive: int
    n_negative: int
    floor_met: bool
    version: str = ""
    data: str = ""
    """Which calibration data (file names and a digest) it was chosen on."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OperatingPoint:
        try:
            return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
        except TypeError as exc:
            raise InvalidInput(f"not an operating point: {exc}") from exc

    def describe(self) -> str:
        met = "" if self.floor_met else " (floor NOT shown: too few or missed emergencies)"
        return (
            f"{self.risk_class}: threshold {self.threshold:.4f}; calibration recall "
            f"{self.recall:.1%} of {self.n_positive} (lower bound {self.recall_bound:.2%} at "
            f"{self.confidence:.0%} confidence, floor {self.floor:.0%}){met}; false alarms "
            f"{self.false_alarm_rate:.1%} of {self.n_negative} near misses"
        )


def recall_lower_bound(caught: int, total: int, confidence: float) -> float:
    """The one-sided Clopper–Pearson lower bound on a recall seen as `caught` of `total`."""
    if total == 0 or caught == 0:
        return 0.0
    return float(beta.ppf(1.0 - confidence, caught, total - caught + 1))


def choose_recall_threshold(
    positive: Sequence[float],
    negative: Sequence[float],
    *,
    risk_class: str,
    floor: float = 0.99,
    confidence: float = 0.9,
    version: str = "",
    data: str = "",
    already: Sequence[bool] | None = None,
    misses: int | None = None,
) -> OperatingPoint:
    """The highest threshold whose recall bound on `positive` scores reaches `floor` at
    `confidence` (or, when no threshold can show it, the one that catches every positive).
    A message fires at `score >= threshold`. `misses` caps how many positives the threshold
    may leave below it (None: as many as the floor allows; 0: it catches every one).

    `already` marks the positives another detector of the gate catches anyway (the gate fires
    when any detector does): recall then counts them as caught, so this detector's threshold
    only has to catch the rest (a deliberate overdose the medical detector flags need not be
    caught again by the self-harm one)."""
    if not 0.0 < confidence < 1.0 or not 0.0 < floor <= 1.0:
        raise InvalidInput(f"need 0 < confidence < 1 and 0 < floor <= 1, got {confidence}, {floor}")
    pos_all = np.asarray(positive, dtype=np.float64)
    neg = np.asarray(negative, dtype=np.float64)
    n = len(pos_all)
    if n == 0:
        raise InvalidInput(f"no positive (emergency) examples of {risk_class} to calibrate on")
    covered = np.zeros(n, dtype=bool) if already is None else np.asarray(already, dtype=bool)
    rest = np.sort(pos_all[~covered])
    head = int(covered.sum())
    # a cut just at rest[k] catches the len(rest) - k remaining positives from index k up
    chosen, met = (float(rest[0]) if len(rest) else 1.0), False
    allowed = len(rest) if misses is None else min(max(misses, 0), len(rest))
    for k in range(allowed, -1, -1):
        if recall_lower_bound(head + len(rest) - k, n, confidence) >= floor:
            chosen = float(rest[k]) if k < len(rest) else float(np.nextafter(1.0, 2.0))
            met = True
            break
    threshold = chosen
    caught = int((covered | (pos_all >= threshold)).sum())
    return OperatingPoint(
        risk_class=risk_class,
        threshold=threshold,
        floor=floor,
        confidence=confidence,
        recall=caught / n,
        recall_bound=recall_lower_bound(caught, n, confidence),
        false_alarm_rate=float((neg >= threshold).mean()) if len(neg) else 0.0,
        n_positive=n,
        n_negative=len(neg),
        floor_met=met,
        version=version,
        data=data,
    )


def curve(
    positive: Sequence[float], negative: Sequence[float], confidence: float = 0.9
) -> list[tuple[float, float, float, float]]:
    """(threshold, recall, recall lower bound, false-alarm rate) at every distinct score: the
    recall / false-alarm trade-off `eval gate` plots."""
    pos = np.asarray(positive, dtype=np.float64)
    neg = np.asarray(negative, dtype=np.float64)
    rows = []
    for threshold in np.unique(np.concatenate([pos, neg])):
        caught = int((pos >= threshold).sum())
        rows.append((
            float(threshold), caught / max(len(pos), 1),
            recall_lower_bound(caught, len(pos), confidence),
            float((neg >= threshold).mean()) if len(neg) else 0.0,
        ))  # fmt: skip
    return rows
