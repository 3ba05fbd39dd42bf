"""Labelled files, calibration and the gate's report (with detector doubles)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from frontdesk.errors import InvalidInput
from frontdesk.safety import FunctionDetector, SafetyGate
from frontdesk.safety.evaluation import calibrate, digest, evaluate, load_labelled, plot


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not JSON"),
        ('{"label": "emergency"}', 'a "text" string'),
        ('{"text": "x", "label": "urgent"}', '"label" must be'),
    ],
)
def test_a_bad_line_is_named_with_its_number(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine", "label": "near_miss"}\n' + line + "\n")
    with pytest.raises(InvalidInput, match=rf"bad\.jsonl:2: .*{message}"):
        load_labelled(path)


def test_missing_and_empty_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        load_labelled(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(InvalidInput, match="no labelled messages"):
        load_labelled(tmp_path / "empty.jsonl")


def _data(tmp_path: Path) -> Path:
    rows: list[dict[str, object]] = []
    for i in range(300):
        rows.append({"text": f"E {0.5 + i / 1000:.3f}", "label": "emergency",
                     "class": "medical_emergency", "kind": "stroke_befast"})  # fmt: skip
    for i in range(100):
        rows.append({"text": f"N {i / 200:.3f}", "label": "near_miss", "kind": "negated"})
    return _write(tmp_path / "cal.jsonl", rows)


def _score(text: str) -> float:
    return float(text.split()[1])


def test_calibrate_catches_every_calibration_emergency_when_n_is_300(tmp_path: Path) -> None:
    gate = SafetyGate(detectors=[FunctionDetector("medical_emergency", _score, threshold=0.9)])
    rows = load_labelled(_data(tmp_path))
    points = calibrate(gate, rows, data=digest([tmp_path / "cal.jsonl"]))
    point = points["medical_emergency"]
    # 300 emergencies all caught show 99.2 % at 90 %; 299 of 300 would not show 99 %
    assert point.threshold == 0.5
    assert point.recall == 1.0
    assert point.floor_met
    assert gate.detectors[0].threshold == 0.5
    assert point.false_alarm_rate == pytest.approx(0.0)
    assert point.data.startswith("cal.jsonl@")


def test_calibrate_needs_emergencies_of_each_class(tmp_path: Path) -> None:
    gate = SafetyGate(detectors=[FunctionDetector("self_harm", _score)])
    with pytest.raises(InvalidInput, match="no emergencies of class 'self_harm'"):
        calibrate(gate, load_labelled(_data(tmp_path)))


def test_evaluate_reports_recall_bound_false_alarms_kinds_and_misses(tmp_path: Path) -> None:
    gate = SafetyGate(detectors=[FunctionDetector("medical_emergency", _score, threshold=0.6)])
    report = evaluate(gate, load_labelled(_data(tmp_path)))
    assert report.n_positive == 300
    assert report.n_negative == 100
    assert report.caught == 200  # 0.600 ... 0.799
    assert len(report.missed) == 100
    assert report.false_alarms == 0
    assert 0.6 < report.recall_bound < report.recall
    kinds = {(k.kind, k.positive): (k.n, k.fired) for k in report.kinds}
    assert kinds == {("stroke_befast", True): (300, 200), ("negated", False): (100, 0)}
    assert report.by_class["medical_emergency"]["caught"] == 200
    out = report.to_json()
    assert out["recall"] == pytest.approx(200 / 300, abs=1e-4)
    assert out["latency_ms"]["p99"] >= out["latency_ms"]["p50"] >= 0
    plot(report, {}, tmp_path / "curve.png")
    assert (tmp_path / "curve.png").read_bytes()[:4] == b"\x89PNG"
