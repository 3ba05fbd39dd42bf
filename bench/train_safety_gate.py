"""Train the clinic's safety classifier and choose the gate's operating points.

    python bench/train_safety_gate.py                      # writes src/frontdesk/apps/clinic/data/
    python bench/train_safety_gate.py --out /tmp/gate      # somewhere else
    python bench/train_safety_gate.py --calibrate-only     # rules changed: new thresholds only

1. Trains the low-rank adapters and head (`frontdesk.safety.classifier`) on
   `tests/data/triage/train.jsonl`: one output per risk class (medical_emergency, self_harm).
2. Scores `tests/data/triage/calibration.jsonl` (other writers than the training split) with
   the classifier and the red-flag rules, and picks each class's recall-first threshold: the
   90 % Clopper–Pearson lower bound of its recall must reach 99 %.
3. Writes `safety_classifier.npz` and `safety_gate.json` (the operating points, with the
   classifier's and the rules' versions and a digest of the calibration file).

The blind split is never read here. About 10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from frontdesk.apps.clinic.safety import RISK_CLASSES, RULES_FILE, clinic_gate
from frontdesk.safety.classifier import AdapterClassifier, ClassifierTraining
from frontdesk.safety.evaluation import calibrate, digest, load_labelled

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "triage"
CLINIC_DATA = ROOT / "src" / "frontdesk" / "apps" / "clinic" / "data"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, default=DATA / "train.jsonl")
    parser.add_argument("--calibration", type=Path, default=DATA / "calibration.jsonl")
    parser.add_argument("--out", type=Path, default=CLINIC_DATA)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--floor", type=float, default=0.99)
    parser.add_argument("--confidence", type=float, default=0.9)
    parser.add_argument(
        "--calibrate-only",
        action="store_true",
        help="keep the classifier in --out; choose the thresholds again",
    )
    args = parser.parse_args()

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/"
               "{task.total}"), TimeRemainingColumn())  # fmt: skip
    classifier_path = args.out / "safety_classifier.npz"
    if args.calibrate_only:
        classifier = AdapterClassifier.load(classifier_path)
        previous = json.loads((args.out / "safety_gate.json").read_text())
        trained_s = previous.get("train_seconds", 0.0)
    else:
        train = load_labelled(args.train)
        targets = np.array(
            [[r.positive and r.risk_class == c for c in RISK_CLASSES] for r in train], dtype=float
        )
        settings = ClassifierTraining(
            epochs=args.epochs, learning_rate=args.learning_rate, seed=args.seed
        )
        with Progress(*columns) as progress:
            task = progress.add_task("training the classifier", total=None)

            def step(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            started = time.perf_counter()
            classifier = AdapterClassifier.train(
                [r.text for r in train], targets, RISK_CLASSES, settings=settings, progress=step
            )
            trained_s = time.perf_counter() - started
        args.out.mkdir(parents=True, exist_ok=True)
        classifier.save(classifier_path)

    placeholder = args.out / "safety_gate.json"
    placeholder.write_text(json.dumps({"operating_points": {
        c: {"risk_class": c, "threshold": 0.5, "floor": args.floor,
            "confidence": args.confidence, "recall": 0.0, "recall_bound": 0.0,
            "false_alarm_rate": 0.0, "n_positive": 0, "n_negative": 0, "floor_met": False}
        for c in RISK_CLASSES}}))  # fmt: skip
    gate = clinic_gate(classifier=classifier_path, points=placeholder, rules=RULES_FILE)
    calibration = load_labelled(args.calibration)
    with Progress(*columns) as progress:
        task = progress.add_task("calibrating", total=None)
        points = calibrate(
            gate, calibration, floor=args.floor, confidence=args.confidence,
            data=digest([args.calibration]),
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )  # fmt: skip
    record = {
        "version": f"{classifier.version}+rules-{gate.detectors[0].version.split('rules-')[-1]}",
        "classifier": {k: v for k, v in classifier.meta.items()},
        "train_data": digest([args.train]),
        "train_seconds": round(trained_s, 1),
        "operating_points": {c: p.to_json() for c, p in points.items()},
    }
    placeholder.write_text(json.dumps(record, indent=1) + "\n")
    for point in points.values():
        print(point.describe())
    print(f"wrote {classifier_path} ({classifier_path.stat().st_size / 1024:.0f} KiB) and "
          f"{placeholder}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
