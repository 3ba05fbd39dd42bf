"""Making router confidence mean something: temperature scaling fitted on held-out data, the
expected calibration error (ECE), and thresholds chosen on validation data for a stated target.

A router's confidence is its calibrated top-class probability. `fit_temperature` finds the T that
minimises the negative log-likelihood of softmax(logits / T) on validation data (Guo et al. 2017);
`choose_threshold` then picks the lowest confidence cut that still rejects enough out-of-scope
messages, which maximises in-scope accuracy subject to an out-of-scope recall floor.

A floor met on a few hundred validation messages is not met on new ones half the time: the recall
measured on n out-of-scope examples is a binomial estimate. With `floor_confidence`, the cut must
make the floor hold with that probability: the Clopper–Pearson lower bound of the recall, at that
confidence, must reach the floor. For a threshold on a continuous score this is exact and
distribution-free: the recall of a cut at the k-th lowest out-of-scope score is Beta(k, n + 1 − k)
distributed (the order-statistic argument behind conformal prediction).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize_scalar
from scipy.stats import beta

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
    oos_recall_bound: float | None = None
    """With a `floor_confidence`: the recall's lower confidence bound (else None)."""
    floor_met: bool = True
    """False when the cut does not reach the floor as asked: no cut reached it (the point is the
    best recall found), or its bound could not with so few out-of-scope examples."""


def recall_lower_bound(rejected: int, total: int, confidence: float) -> float:
    """The one-sided Clopper–Pearson lower bound on a recall seen as `rejected` of `total`: the
    true recall is at least this with probability `confidence`."""
    if total == 0 or rejected == 0:
        return 0.0
    return float(beta.ppf(1.0 - confidence, rejected, total - rejected + 1))


def choose_threshold(
    top_label: Sequence[str],
    top_confidence: Floats,
    top_gap: Floats,
    true_label: Sequence[str],
    *,
    oos_recall_floor: float = 0.85,
    not_routed: frozenset[str] = frozenset({"oos"}),
    margins: Sequence[float] = (0.0,),
    floor_confidence: float | None = None,
) -> OperatingPoint:
    """The (threshold, margin) that maximises in-scope accuracy while rejecting at least
    `oos_recall_floor` of the out-of-scope examples — or, with `floor_confidence` (e.g. 0.9),
    while the recall's lower confidence bound reaches the floor, so that the floor holds on new
    messages with that probability. Too few out-of-scope examples can never show the floor at
    that confidence (5 examples, all rejected, show 63 % at 90 %): the floor then applies to the
    observed recall, with `floor_met` False. If no cut reaches the floor, the one with the
    highest recall, with `floor_met` False. The threshold applies to `top_confidence`, the
    margin to `top_gap` (top-1 minus top-2 class probability)."""
    if floor_confidence is not None and not 0.0 < floor_confidence < 1.0:
        raise ValueError(f"floor_confidence must be between 0 and 1, got {floor_confidence}")
    top = np.asarray(top_label)
    truth = np.asarray(true_label)
    is_oos = np.isin(truth, list(not_routed))
    n_oos = int(is_oos.sum())
    predicted_oos = np.isin(top, list(not_routed))
    bounds = None  # the bound for each possible count of rejected out-of-scope examples
    if floor_confidence is not None and n_oos:
        counts = np.arange(n_oos + 1)
        bounds = np.where(
            counts > 0, beta.ppf(1.0 - floor_confidence, np.maximum(counts, 1), n_oos - counts + 1),
            0.0,
        )  # fmt: skip
    provable = bounds is None or bounds[-1] >= oos_recall_floor
    candidates = np.unique(np.concatenate([[0.0], np.round(top_confidence, 4)]))
    best: OperatingPoint | None = None
    fallback: OperatingPoint | None = None
    for margin in margins:
        small_margin = top_gap < margin
        for threshold in candidates:
            rejected = predicted_oos | (top_confidence < threshold) | small_margin
            recall = float(rejected[is_oos].mean()) if is_oos.any() else 1.0
            bound = None if bounds is None else float(bounds[int(rejected[is_oos].sum())])
            hits = (~rejected) & (top == truth)
            accuracy = float(hits[~is_oos].mean()) if (~is_oos).any() else 0.0
            point = OperatingPoint(
                threshold=float(threshold), margin=margin, in_scope_accuracy=accuracy,
                oos_recall=recall, oos_recall_bound=bound,
            )  # fmt: skip
            reaches = (bound if bound is not None and provable else recall) >= oos_recall_floor
            if reaches and (best is None or accuracy > best.in_scope_accuracy):
                best = point
            if fallback is None or (recall, accuracy) > (
                fallback.oos_recall,
                fallback.in_scope_accuracy,
            ):
                fallback = point  # fmt: skip
    assert fallback is not None
    if best is None:
        return replace(fallback, floor_met=False)
    return best if provable else replace(best, floor_met=False)
