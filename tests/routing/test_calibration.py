"""Temperature scaling, ECE and threshold choice, checked on data with known answers."""

from __future__ import annotations

import numpy as np

from frontdesk.routing.calibration import (
    choose_threshold,
    expected_calibration_error,
    fit_temperature,
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
