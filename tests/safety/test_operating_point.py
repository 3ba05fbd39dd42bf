"""Recall-first thresholds with a Clopper–Pearson guarantee."""

from __future__ import annotations

import numpy as np
import pytest

from frontdesk.errors import InvalidInput
from frontdesk.safety import OperatingPoint, choose_recall_threshold
from frontdesk.safety.operating_point import curve, recall_lower_bound


def test_all_caught_bound_is_the_closed_form() -> None:
    # with every one of n caught, the one-sided bound is (1 - confidence) ** (1 / n)
    for n in (50, 230, 300):
        assert recall_lower_bound(n, n, 0.9) == pytest.approx(0.1 ** (1 / n))
    assert recall_lower_bound(229, 229, 0.9) < 0.99 <= recall_lower_bound(230, 230, 0.9)


def test_with_no_misses_the_threshold_catches_every_calibration_emergency() -> None:
    rng = np.random.default_rng(0)
    positive = rng.uniform(0.2, 1.0, 2000)
    negative = rng.uniform(0.0, 0.5, 500)
    point = choose_recall_threshold(positive, negative, risk_class="x", floor=0.99, misses=0)
    assert point.threshold == positive.min()
    assert point.recall == 1.0
    assert point.recall_bound == pytest.approx(0.1 ** (1 / 2000))
    assert point.floor_met
    # allowing one miss moves the cut only to the second-lowest emergency
    one = choose_recall_threshold(positive, negative, risk_class="x", floor=0.99, misses=1)
    assert one.threshold == np.sort(positive)[1]


def test_with_enough_positives_the_threshold_may_let_a_few_go() -> None:
    rng = np.random.default_rng(0)
    positive = rng.uniform(0.2, 1.0, 2000)
    negative = rng.uniform(0.0, 0.5, 500)
    point = choose_recall_threshold(positive, negative, risk_class="x", floor=0.99, misses=None)
    assert point.floor_met
    assert point.recall_bound >= 0.99
    assert point.recall < 1.0  # 2,000 positives can show 99 % while missing a few
    assert point.threshold > positive.min()
    # the next higher cut would break the bound
    caught = int((positive >= point.threshold).sum())
    assert recall_lower_bound(caught - 1, len(positive), 0.9) < 0.99


def test_too_few_positives_catch_all_and_say_the_floor_is_not_shown() -> None:
    point = choose_recall_threshold([0.9, 0.3, 0.8], [0.1, 0.35, 0.5], risk_class="x")
    assert not point.floor_met
    assert point.threshold == 0.3
    assert point.recall == 1.0
    assert point.false_alarm_rate == pytest.approx(2 / 3)
    assert "NOT shown" in point.describe()


def test_an_operating_point_round_trips_and_rejects_garbage() -> None:
    point = choose_recall_threshold([0.9] * 300, [0.1] * 10, risk_class="x", version="v1")
    assert OperatingPoint.from_json(point.to_json()) == point
    with pytest.raises(InvalidInput, match="not an operating point"):
        OperatingPoint.from_json({"threshold": 0.5})
    with pytest.raises(InvalidInput, match="no positive"):
        choose_recall_threshold([], [0.1], risk_class="x")
    with pytest.raises(InvalidInput):
        choose_recall_threshold([0.5], [0.1], risk_class="x", confidence=1.0)


def test_the_curve_trades_recall_for_false_alarms() -> None:
    rows = curve([0.9, 0.6, 0.4], [0.5, 0.2], 0.9)
    thresholds = [r[0] for r in rows]
    assert thresholds == sorted(thresholds)
    recalls, alarms = [r[1] for r in rows], [r[3] for r in rows]
    assert recalls == sorted(recalls, reverse=True)
    assert alarms == sorted(alarms, reverse=True)


def test_emergencies_another_detector_catches_do_not_drag_the_threshold_down() -> None:
    # 300 emergencies: 290 score high; 10 score near zero but the other detector catches them
    positive = [0.9] * 290 + [0.001] * 10
    already = [False] * 290 + [True] * 10
    negative = [0.01] * 100
    alone = choose_recall_threshold(positive, negative, risk_class="x")
    joint = choose_recall_threshold(positive, negative, risk_class="x", already=already)
    assert alone.threshold == 0.001
    assert alone.false_alarm_rate == 1.0
    assert joint.threshold == 0.9
    assert joint.false_alarm_rate == 0.0
    assert joint.recall == 1.0
    assert joint.floor_met
