"""Temperature scaling, ECE and threshold choice, checked on data with known answers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.stats import binom, norm

from frontdesk.routing.calibration import (
    choose_threshold,
    expected_calibration_error,
    fit_temperature,
    recall_lower_bound,
    softmax,
)


def test_fit_temperature_recovers_the_temperature_that_generated_the_labels() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=4.0, size=(4000, 5))
    true_probs = softmax(logits, 2.5)  # labels drawn as if the right temperature were 2.5
    targets = np.asarray([rng.choice(5, p=p) for p in true_probs], dtype=np.int64)
    assert abs(fit_temperature(logits, targets) - 2.5) < 0.25


def test_ece_is_zero_when_confidence_matches_accuracy_and_large_when_it_does_not() -> None:
    rng = np.random.default_rng(1)
    confidence = rng.uniform(0.05, 1.0, 20000)
    correct = rng.uniform(size=confidence.size) < confidence
    assert expected_calibration_error(confidence, correct) < 0.02
    assert expected_calibration_error(np.full(1000, 0.95), np.zeros(1000, bool)) > 0.9


def test_threshold_meets_the_out_of_scope_floor_and_keeps_accuracy() -> None:
    top = ["a", "a", "b", "a", "b", "oos", "a"]
    conf = np.asarray([0.9, 0.8, 0.95, 0.3, 0.35, 0.6, 0.4])
    gap = conf.copy()  # top-1 minus top-2: no second class here
    truth = ["a", "a", "b", "oos", "oos", "oos", "a"]
    point = choose_threshold(top, conf, gap, truth, oos_recall_floor=1.0)
    assert point.oos_recall == 1.0
    assert point.threshold == 0.4
    assert point.in_scope_accuracy == 1.0


def test_the_recall_bound_is_clopper_pearson() -> None:
    # 177 of 200: the exact one-sided 90 % lower bound (scipy's beta quantile, checked by hand
    # against the binomial tail: P(X >= 177 | p = bound) = 0.10)
    bound = recall_lower_bound(177, 200, 0.9)
    assert abs(binom.sf(176, 200, bound) - 0.10) < 1e-6
    assert 0.85 < bound < 177 / 200
    assert recall_lower_bound(0, 200, 0.9) == 0.0
    assert recall_lower_bound(10, 10, 0.9) == pytest.approx(0.1 ** (1 / 10))


def _scored(rng: np.random.Generator, n_in: int, n_oos: int) -> tuple[list[str], Any, list[str]]:
    """In-scope messages score N(2, 1) and are right; out-of-scope ones score N(0, 1)."""
    conf = np.concatenate([rng.normal(2.0, 1.0, n_in), rng.normal(0.0, 1.0, n_oos)])
    truth = ["a"] * n_in + ["oos"] * n_oos
    return ["a"] * (n_in + n_oos), conf, truth


def test_a_floor_chosen_with_confidence_holds_on_new_data_that_often() -> None:
    rng = np.random.default_rng(7)
    # the true recall of a cut t is P(N(0, 1) < t) = Phi(t)
    plain, bounded = [], []
    for _ in range(400):
        top, conf, truth = _scored(rng, 300, 200)
        for floor_confidence, held in ((None, plain), (0.9, bounded)):
            point = choose_threshold(
                top, conf, conf, truth, oos_recall_floor=0.85, floor_confidence=floor_confidence
            )
            held.append(norm.cdf(point.threshold) >= 0.85)
    # the observed floor holds on new data about half the time; the 90 % bound at least 90 %
    assert 0.35 < np.mean(plain) < 0.7
    assert np.mean(bounded) >= 0.88


def test_too_few_out_of_scope_examples_fall_back_to_the_observed_floor_and_say_so() -> None:
    # 5 out-of-scope examples can never show 85 % recall with 90 % confidence (0.1^(1/5) = 0.63)
    top, conf, truth = _scored(np.random.default_rng(0), 50, 5)
    point = choose_threshold(top, conf, conf, truth, oos_recall_floor=0.85, floor_confidence=0.9)
    observed = choose_threshold(top, conf, conf, truth, oos_recall_floor=0.85)
    assert not point.floor_met
    assert (point.threshold, point.oos_recall) == (observed.threshold, observed.oos_recall)
    assert point.oos_recall_bound is not None
    assert point.oos_recall_bound <= 0.1 ** (1 / 5)
    met = choose_threshold(top, conf, conf, truth, oos_recall_floor=0.6, floor_confidence=0.9)
    assert met.floor_met
    assert met.oos_recall == 1.0
    assert met.oos_recall_bound == pytest.approx(0.1 ** (1 / 5))
    with pytest.raises(ValueError, match="floor_confidence"):
        choose_threshold(top, conf, conf, truth, floor_confidence=1.5)


def test_a_floor_no_cut_reaches_gives_the_best_recall_and_says_so() -> None:
    top = ["a", "oos", "a", "a"]
    conf = np.asarray([0.9, 0.9, 0.9, 0.9])  # an out-of-scope message as sure as the rest
    truth = ["a", "oos", "oos", "a"]
    point = choose_threshold(top, conf, conf, truth, oos_recall_floor=1.0, margins=(0.0,))
    assert not point.floor_met
    assert point.oos_recall == 0.5  # the best any cut does: the one predicted out of scope
