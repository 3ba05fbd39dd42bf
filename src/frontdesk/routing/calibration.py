"""Making router confidence mean something: temperature scaling fitted on held-out data, the
expected calibration error (ECE), and thresholds chosen on validation data for a stated target.

A router's confidence is its calibrated top-class probability. `fit_temperature` finds the T that
minimises the negative log-likelihood of softmax(logits / T) on validation data (Guo et al. 2017);
`choose_threshold` then picks the lowest confidence cut that still rejects enough out-of-scope
messages, which maximises in-scope accuracy subject to an out-of-scope recall floor.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize_scalar

Floats = npt.NDArray[np.float64]


def softmax(logits: Floats, temperature: float = 1.0) -> Floats:
    scaled = logits / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    result: Floats = exp / exp.sum(axis=1, keepdims=True)
    return result


def fit_temperature(logits: Floats, targets: npt.NDArray[np.int64]) -> float:
    """The temperature minimising validation NLL (searched over log T in [-3, 3])."""

    def nll(log_t: float) -> float:
        probs = softmax(logits, float(np.exp(log_t)))
        return float(-np.mean(np.log(probs[np.arange(len(targets)), targets] + 1e-12)))

    found = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded")
    return float(np.exp(found.x))


def expected_calibration_error(
    confidence: Floats, correct: npt.NDArray[np.bool_], *, bins: int = 15
) -> float:
    """ECE: the bin-weighted mean |accuracy − confidence| over equal-width confidence bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for low, high in itertools.pairwise(edges):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            gap = abs(float(correct[inside].mean()) - float(confidence[inside].mean()))
            total += gap * float(inside.mean())
    return total


def reliability(
    confidence: Floats, correct: npt.NDArray[np.bool_], *, bins: int = 15
) -> list[tuple[float, float, float, int]]:
    """Per non-empty bin: (bin centre, mean confidence, accuracy, count)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    rows = []
    for low, high in itertools.pairwise(edges):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            rows.append((
                float((low + high) / 2), float(confidence[inside].mean()),
                float(correct[inside].mean()), int(inside.sum()),
            ))  # fmt: skip
    return rows


@dataclass(kw_only=True, slots=True, frozen=True)
class OperatingPoint:
    """A rejection rule and what it achieved on the data it was chosen on."""

    threshold: float
    margin: float
    in_scope_accuracy: float
    oos_recall: float


def choose_threshold(
    top_label: Sequence[str],
    top_confidence: Floats,
    top_gap: Floats,
    true_label: Sequence[str],
    *,
    oos_recall_floor: float = 0.85,
    not_routed: frozenset[str] = frozenset({"oos"}),
    margins: Sequence[float] = (0.0,),
) -> OperatingPoint:
    """The (threshold, margin) that maximises in-scope accuracy while rejecting at least
    `oos_recall_floor` of the out-of-scope examples; if no cut reaches the floor, the one with
    the highest out-of-scope recall. The threshold applies to `top_confidence`, the margin to
    `top_gap` (top-1 minus top-2 class probability)."""
    top = np.asarray(top_label)
    truth = np.asarray(true_label)
    is_oos = np.isin(truth, list(not_routed))
    predicted_oos = np.isin(top, list(not_routed))
    candidates = np.unique(np.concatenate([[0.0], np.round(top_confidence, 4)]))
    best: OperatingPoint | None = None
    fallback: OperatingPoint | None = None
    for margin in margins:
        small_margin = top_gap < margin
        for threshold in candidates:
            rejected = predicted_oos | (top_confidence < threshold) | small_margin
            recall = float(rejected[is_oos].mean()) if is_oos.any() else 1.0
            hits = (~rejected) & (top == truth)
            accuracy = float(hits[~is_oos].mean()) if (~is_oos).any() else 0.0
            point = OperatingPoint(
                threshold=float(threshold), margin=margin, in_scope_accuracy=accuracy,
                oos_recall=recall,
            )  # fmt: skip
            if recall >= oos_recall_floor and (best is None or accuracy > best.in_scope_accuracy):
                best = point
            if fallback is None or (recall, accuracy) > (
                fallback.oos_recall,
                fallback.in_scope_accuracy,
            ):
                fallback = point  # fmt: skip
    assert fallback is not None
    return best or fallback
