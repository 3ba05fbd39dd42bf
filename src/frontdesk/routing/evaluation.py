"""Evaluating a trained router on labelled data: accuracy, in-scope accuracy, out-of-scope
recall, macro-F1, expected calibration error, single-message latency, and two pictures (a
confusion matrix and a reliability diagram).

Definitions (label `oos` = out of scope):
- a message is *rejected* when the top class is `oos`/`unclear`, its confidence is under the
  threshold, or the top-1 minus top-2 margin is under the margin; a rejected message's
  prediction is `oos`;
- in-scope accuracy: in-scope messages predicted as their label and not rejected;
- out-of-scope recall: `oos` messages rejected;
- accuracy: all messages whose prediction equals their label;
- ECE: 15 equal-width bins of the calibrated confidence (the probability that the top class is
  right) against whether the top class is the true label.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score

from frontdesk.embeddings import Vectors
from frontdesk.routing.calibration import expected_calibration_error, reliability
from frontdesk.routing.dataset import Labelled
from frontdesk.routing.embedding import NOT_ROUTED, OUT_OF_SCOPE, EmbeddingRouter

Progress = Callable[[int], None]


@dataclass(kw_only=True, slots=True)
class RouterReport:
    """The figures `frontdesk eval router` prints."""

    accuracy: float
    in_scope_accuracy: float
    oos_recall: float
    macro_f1: float
    ece: float
    p50_ms: float
    p99_ms: float
    n_test: int
    n_train: int = 0
    train_s: float = 0.0
    threshold: float = 0.0
    margin: float = 0.0
    temperature: float = 1.0
    router_version: str = ""
    oos_recall_floor: float | None = None
    """The out-of-scope recall the threshold was chosen for, on the validation data."""
    floor_confidence: float | None = None
    """With it, the probability asked for that the floor holds on new messages."""
    val_oos_recall: float | None = None
    val_oos_recall_bound: float | None = None
    """The lower confidence bound of the validation recall (with `floor_confidence`)."""
    floor_met: bool = True
    """False when the threshold does not reach the floor as asked (see `choose_threshold`)."""
    files: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in data.items()}


def embed_with_progress(
    router: EmbeddingRouter, texts: Sequence[str], progress: Progress | None, *, chunk: int = 256
) -> Vectors:
    """Embed in chunks, reporting how many texts are done."""
    encoder = router.embedder
    assert encoder is not None
    parts = []
    for start in range(0, len(texts), chunk):
        parts.append(encoder.embed(list(texts[start : start + chunk])))
        if progress is not None:
            progress(min(start + chunk, len(texts)))
    return np.concatenate(parts) if parts else np.zeros((0, encoder.dimensions), np.float32)


def evaluate(
    router: EmbeddingRouter,
    test: Sequence[Labelled],
    *,
    vectors: Vectors | None = None,
    latency_sample: int = 300,
    out_dir: Path | None = None,
) -> RouterReport:
    """Score `router` on `test` (embedded once, in batch), and time `latency_sample` single
    messages through the router's decision path as a user request would."""
    texts = [t.text for t in test]
    truth = np.asarray([t.label for t in test])
    if vectors is None:
        vectors = embed_with_progress(router, texts, None)
    scores = router.score(texts, vectors)
    top = np.asarray(scores.top_labels)
    confidence = scores.confidence
    rejected = np.isin(top, list(NOT_ROUTED)) | (confidence < router.threshold)
    rejected |= (scores.top_p - scores.second_p) < router.margin
    predicted = np.where(rejected, OUT_OF_SCOPE, top)
    truth_norm = np.where(np.isin(truth, list(NOT_ROUTED)), OUT_OF_SCOPE, truth)
    is_oos = truth_norm == OUT_OF_SCOPE
    report = RouterReport(
        accuracy=float((predicted == truth_norm).mean()),
        in_scope_accuracy=float((predicted == truth_norm)[~is_oos].mean()) if (~is_oos).any()
        else 0.0,
        oos_recall=float(rejected[is_oos].mean()) if is_oos.any() else 0.0,
        macro_f1=float(f1_score(truth_norm, predicted, average="macro", zero_division=0)),
        ece=expected_calibration_error(confidence, top == truth_norm),
        p50_ms=0.0,
        p99_ms=0.0,
        n_test=len(test),
        threshold=router.threshold,
        margin=router.margin,
        temperature=router.temperature,
        router_version=router.version,
    )  # fmt: skip
    report.p50_ms, report.p99_ms = single_message_latency(router, texts, latency_sample)
    if out_dir is not None:
        report.files = plot(truth_norm, predicted, confidence, top == truth_norm, out_dir)
    return report


def single_message_latency(
    router: EmbeddingRouter, texts: Sequence[str], sample: int
) -> tuple[float, float]:
    """p50 and p99 milliseconds of routing one message at a time (after one warm-up)."""
    picked = list(texts[: max(sample, 1)])
    router.decide(picked[0])
    times = []
    for text in picked:
        started = time.perf_counter()
        router.decide(text)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), float(np.percentile(times, 99))


def plot(
    truth: np.ndarray[Any, Any],
    predicted: np.ndarray[Any, Any],
    confidence: np.ndarray[Any, Any],
    correct: np.ndarray[Any, Any],
    out_dir: Path,
) -> dict[str, str]:
    """Write confusion.png and reliability.png into `out_dir`; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    labels = sorted(set(truth) | set(predicted))
    matrix = confusion_matrix(truth, predicted, labels=labels, normalize="true")
    size = min(4 + 0.12 * len(labels), 22)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1)
    if len(labels) <= 40:
        ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"Confusion matrix (row-normalised, {len(labels)} labels)")
    fig.tight_layout()
    confusion_path = out_dir / "confusion.png"
    fig.savefig(confusion_path, dpi=110)
    plt.close(fig)

    bins = reliability(confidence, correct)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfectly calibrated")
    if bins:
        centres, means, accuracies, _ = zip(*bins, strict=True)
        ax.bar(centres, accuracies, width=1 / 15, alpha=0.7, edgecolor="black",
               label="accuracy in bin")  # fmt: skip
        ax.plot(means, accuracies, "o", color="crimson", markersize=3,
                label="mean confidence in bin")  # fmt: skip
        for centre, _, accuracy, count in bins:
            ax.annotate(str(count), (centre, accuracy), ha="center", va="bottom", fontsize=6)
    ece = expected_calibration_error(confidence, correct)
    ax.set_title(f"Reliability diagram (ECE {ece:.3f})")
    ax.set_xlabel("confidence (calibrated top-1 probability)")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left")
    fig.tight_layout()
    reliability_path = out_dir / "reliability.png"
    fig.savefig(reliability_path, dpi=110)
    plt.close(fig)
    return {"confusion_matrix": str(confusion_path), "reliability_diagram": str(reliability_path)}
