"""A safety gate measured on labelled messages, and its operating points chosen on them.

A labelled file is JSON lines: `{"text": ..., "label": "emergency" | "near_miss", "class":
<risk class of an emergency>, "kind": <what kind of emergency or near miss>}` (`class` and
`kind` optional; a negative may also be labelled `safe`). `load_labelled` reads one and says
which line is wrong and why.

`calibrate` scores a calibration file with each detector and picks each one's recall-first
threshold (`operating_point.choose_recall_threshold`): recall is measured on that class's
emergencies, false alarms on every near miss. `evaluate` reports the gate as it stands on a
test file: overall recall with its Clopper–Pearson lower bound, the false-alarm rate, a table
per kind, the added latency per message, and the recall / false-alarm curve of each detector.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from frontdesk.errors import InvalidInput
from frontdesk.safety.gate import RiskDetector, SafetyGate
from frontdesk.safety.operating_point import (
    OperatingPoint,
    choose_recall_threshold,
    curve,
    recall_lower_bound,
)

POSITIVE = "emergency"
NEGATIVES = frozenset({"near_miss", "safe"})
Progress = Callable[[int, int], None]


@dataclass(kw_only=True, slots=True, frozen=True)
class Labelled:
    text: str
    positive: bool
    risk_class: str | None = None
    kind: str = ""
    id: str = ""


def load_labelled(path: Path) -> list[Labelled]:
    """The labelled messages of a JSONL file (see the module docstring)."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    rows: list[Labelled] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path}:{number}: not JSON ({exc.msg})") from exc
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise InvalidInput(f'{path}:{number}: expected an object with a "text" string')
        label = item.get("label")
        if label != POSITIVE and label not in NEGATIVES:
            raise InvalidInput(
                f'{path}:{number}: "label" must be "emergency" or "near_miss", got {label!r}'
            )
        rows.append(
            Labelled(
                text=item["text"],
                positive=label == POSITIVE,
                risk_class=item.get("class") if label == POSITIVE else None,
                kind=str(item.get("kind") or ""),
                id=str(item.get("id") or f"{path.name}:{number}"),
            )
        )
    if not rows:
        raise InvalidInput(f"{path}: no labelled messages")
    return rows


def digest(paths: Sequence[Path]) -> str:
    """Which data an operating point was chosen on: the file names and a content hash."""
    hasher = hashlib.sha256()
    for path in paths:
        hasher.update(path.read_bytes())
    return f"{'+'.join(p.name for p in paths)}@{hasher.hexdigest()[:12]}"


def scores(
    detector: RiskDetector, rows: Sequence[Labelled], progress: Progress | None = None
) -> np.ndarray:
    out = np.zeros(len(rows))
    for i, row in enumerate(rows):
        out[i] = detector.score(row.text).score
        if progress is not None:
            progress(i + 1, len(rows))
    return out


def calibrate(
    gate: SafetyGate,
    rows: Sequence[Labelled],
    *,
    floor: float = 0.99,
    confidence: float = 0.9,
    data: str = "",
    progress: Progress | None = None,
    misses: int | None = 0,
) -> dict[str, OperatingPoint]:
    """Each detector's recall-first operating point on `rows` (its threshold is set to it),
    in the gate's order: a detector's recall counts the emergencies of its class that the
    detectors before it already catch (the gate fires when any does).

    Recall-first, a threshold catches every calibration emergency of its class by default
    (`misses=0`): the floor is then a check on the bound that shows (99.45 % for 414
    emergencies at 90 %). Letting it rise as far as the floor allows (`misses=None`) lets the
    one hardest message set it, and a rule that catches that message moves it a long way
    (bench/notes/safety-gate.md)."""
    points: dict[str, OperatingPoint] = {}
    negatives = [r for r in rows if not r.positive]
    positives_all = [r for r in rows if r.positive]
    fired = np.zeros(len(positives_all), dtype=bool)
    for detector in gate.detectors:
        mine = np.array([r.risk_class == detector.risk_class for r in positives_all])
        if not mine.any():
            raise InvalidInput(
                f"the calibration data has no emergencies of class {detector.risk_class!r}"
            )
        scored = scores(detector, [*positives_all, *negatives], progress)
        positive_scores, negative_scores = (
            scored[: len(positives_all)],
            scored[len(positives_all) :],
        )
        point = choose_recall_threshold(
            positive_scores[mine].tolist(), negative_scores.tolist(),
            risk_class=detector.risk_class,
            floor=floor, confidence=confidence, version=detector.version, data=data,
            already=fired[mine], misses=misses,
        )  # fmt: skip
        detector.threshold = point.threshold
        points[detector.risk_class] = point
        fired |= positive_scores >= point.threshold
    return points


@dataclass(kw_only=True, slots=True)
class KindRow:
    kind: str
    positive: bool
    n: int
    fired: int

    @property
    def rate(self) -> float:
        return self.fired / self.n if self.n else 0.0


@dataclass(kw_only=True, slots=True)
class GateReport:
    """How a gate did on one labelled file."""

    n_positive: int
    n_negative: int
    caught: int
    false_alarms: int
    confidence: float
    latency_p50_ms: float
    latency_p99_ms: float
    kinds: list[KindRow] = field(default_factory=list)
    by_class: dict[str, dict[str, float]] = field(default_factory=dict)
    curves: dict[str, list[tuple[float, float, float, float]]] = field(default_factory=dict)
    missed: list[str] = field(default_factory=list)
    """Ids of the emergencies it missed (ids only: the text of a blind set stays unread)."""
    false_alarm_ids: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.caught / self.n_positive if self.n_positive else 0.0

    @property
    def recall_bound(self) -> float:
        return recall_lower_bound(self.caught, self.n_positive, self.confidence)

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.n_negative if self.n_negative else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "n_emergencies": self.n_positive,
            "n_near_misses": self.n_negative,
            "recall": round(self.recall, 4),
            "recall_lower_bound": round(self.recall_bound, 4),
            "confidence": self.confidence,
            "false_alarm_rate": round(self.false_alarm_rate, 4),
            "missed": self.missed,
            "false_alarms": self.false_alarm_ids,
            "latency_ms": {
                "p50": round(self.latency_p50_ms, 3),
                "p99": round(self.latency_p99_ms, 3),
            },
            "by_class": self.by_class,
            "kinds": [
                {
                    "kind": k.kind,
                    "label": POSITIVE if k.positive else "near_miss",
                    "n": k.n,
                    "fired": k.fired,
                }
                for k in self.kinds
            ],
        }


def evaluate(
    gate: SafetyGate,
    rows: Sequence[Labelled],
    *,
    confidence: float = 0.9,
    progress: Progress | None = None,
) -> GateReport:
    """The gate (local verdicts, no model) on `rows`: what fired, per kind, and how fast."""
    fired = np.zeros(len(rows), dtype=bool)
    per_detector = {d.risk_class: np.zeros(len(rows)) for d in gate.detectors}
    latencies = []
    for i, row in enumerate(rows):
        started = time.perf_counter()
        verdict = gate.screen(row.text)
        latencies.append((time.perf_counter() - started) * 1000)
        fired[i] = verdict.fired
        for detector in gate.detectors:
            per_detector[detector.risk_class][i] = detector.score(row.text).score
        if progress is not None:
            progress(i + 1, len(rows))
    positive = np.array([r.positive for r in rows])
    counts: dict[tuple[str, bool], list[int]] = defaultdict(lambda: [0, 0])
    for row, hit in zip(rows, fired, strict=True):
        entry = counts[(row.kind or "-", row.positive)]
        entry[0] += 1
        entry[1] += int(hit)
    by_class: dict[str, dict[str, float]] = {}
    curves = {}
    for detector in gate.detectors:
        mine = np.array([r.positive and r.risk_class == detector.risk_class for r in rows])
        if mine.any():
            caught = int(fired[mine].sum())
            by_class[detector.risk_class] = {
                "n": int(mine.sum()), "caught": caught,
                "recall": round(caught / int(mine.sum()), 4),
                "recall_lower_bound": round(recall_lower_bound(caught, int(mine.sum()),
                                                               confidence), 4),
                "threshold": detector.threshold,
            }  # fmt: skip
            column = per_detector[detector.risk_class]
            curves[detector.risk_class] = curve(column[mine], column[~positive], confidence)
    ordered = sorted(latencies)
    return GateReport(
        n_positive=int(positive.sum()),
        n_negative=int((~positive).sum()),
        caught=int(fired[positive].sum()),
        false_alarms=int(fired[~positive].sum()),
        confidence=confidence,
        latency_p50_ms=float(np.percentile(ordered, 50)),
        latency_p99_ms=float(np.percentile(ordered, 99)),
        kinds=[
            KindRow(kind=kind, positive=pos, n=n, fired=f)
            for (kind, pos), (n, f) in sorted(
                counts.items(), key=lambda kv: (not kv[0][1], kv[0][0])
            )
        ],
        by_class=by_class,
        curves=curves,
        missed=[r.id for r, hit in zip(rows, fired, strict=True) if r.positive and not hit],
        false_alarm_ids=[
            r.id for r, hit in zip(rows, fired, strict=True) if not r.positive and hit
        ],
    )


def plot(report: GateReport, points: dict[str, OperatingPoint], path: Path) -> None:
    """The recall / false-alarm curve of each detector, with its operating point, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6.5, 4.5), dpi=120)
    for risk_class, rows in report.curves.items():
        far = [r[3] for r in rows]
        axis.plot(far, [r[1] for r in rows], label=f"{risk_class}: recall")
        axis.plot(far, [r[2] for r in rows], linestyle=":",
                  label=f"{risk_class}: {report.confidence:.0%} lower bound")  # fmt: skip
        point = points.get(risk_class)
        if point is not None:
            at = min(rows, key=lambda r: abs(r[0] - point.threshold))
            axis.scatter([at[3]], [at[1]], zorder=3, marker="o")
            axis.annotate(f"threshold {point.threshold:.3f}", (at[3], at[1]),
                          textcoords="offset points", xytext=(8, -12), fontsize=8)  # fmt: skip
    axis.set_xscale("symlog", linthresh=0.01)
    axis.set_xlim(0, 1)
    axis.set_ylim(max(0.0, min([r[1] for rows in report.curves.values() for r in rows] + [0.8])
                      - 0.02), 1.005)  # fmt: skip
    axis.set_xlabel("false-alarm rate on near misses")
    axis.set_ylabel("emergency recall")
    axis.set_title("Safety gate: recall against false alarms")
    axis.grid(alpha=0.3)
    if report.curves:
        axis.legend(fontsize=7, loc="lower right")
    else:
        axis.text(0.5, 0.5, "no emergencies and near misses to draw a curve from",
                  ha="center", va="center", transform=axis.transAxes)  # fmt: skip
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
