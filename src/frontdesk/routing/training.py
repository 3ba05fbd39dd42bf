"""Train, calibrate, evaluate and save an embedding router from labelled files — the work
behind `frontdesk eval router`, usable from Python.

Train on the training file; fit the temperature and choose the operating point on the
validation file (or, without one, on a stratified 10 % of the training data, held out from
fitting); report on the test file only.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sklearn.model_selection import train_test_split

from frontdesk.embeddings import (
    Embedder,
    MiniLMEmbedder,
    SentenceTransformerEmbedder,
    Vectors,
    default_embedder,
)
from frontdesk.routing.dataset import Labelled, by_label, check_known_labels, check_training
from frontdesk.routing.embedding import NOT_ROUTED, EmbeddingRouter
from frontdesk.routing.evaluation import RouterReport, embed_with_progress, evaluate
from frontdesk.routing.finetune import FineTuning, fine_tune_encoder

StageProgress = Callable[[str, int], Callable[[int], None]]
"""Given a stage name and its size, returns a callback taking the count done."""


def _steps(progress: StageProgress | None, name: str) -> Callable[[int, int], None] | None:
    """Adapts a stage progress to a (done, total) callback, opening the stage on first use."""
    if progress is None:
        return None
    opened: list[Callable[[int], None]] = []

    def update(done: int, total: int) -> None:
        if not opened:
            opened.append(progress(name, total))
        opened[0](done)

    return update


def split_validation(
    items: Sequence[Labelled], share: float = 0.1
) -> tuple[list[Labelled], list[Labelled]]:
    """A stratified (train, validation) split; labels with one example stay in training."""
    labels = [i.label for i in items]
    counts = {label: labels.count(label) for label in set(labels)}
    splittable = [i for i in items if counts[i.label] >= 2]
    single = [i for i in items if counts[i.label] < 2]
    train, val = train_test_split(
        splittable, test_size=share, random_state=0, stratify=[i.label for i in splittable]
    )
    return [*train, *single], list(val)


def train_and_evaluate(
    train: Sequence[Labelled],
    test: Sequence[Labelled],
    *,
    val: Sequence[Labelled] | None = None,
    out_dir: Path | None = None,
    oos_recall_floor: float = 0.85,
    floor_confidence: float | None = None,
    embedder: Embedder | None = None,
    progress: StageProgress | None = None,
    latency_sample: int = 300,
    fine_tune: FineTuning | None = None,
    neighbour_weight: float = 0.0,
    ngram_weight: float = 1.0,
    int8: bool = False,
    oos_for_calibration: bool = False,
) -> tuple[EmbeddingRouter, RouterReport]:
    """Train a router on `train`, calibrate it on `val`, score it on `test`. With `fine_tune`,
    the encoder is first fine-tuned on `train` (saved under `out_dir/encoder`, else a
    temporary directory) and the router routes with it. With `int8`, the encoder (bundled or
    fine-tuned) runs with 8-bit linear layers, for training and routing alike.

    With `oos_for_calibration`, the out-of-scope examples of `train` are not trained on (no
    `oos` class, no negatives when fine-tuning) but added to the calibration set: the
    threshold is then chosen on out-of-scope messages the router has never seen, like the
    ones it will meet, so the out-of-scope recall it targets holds on new data. Trained on, they
    make the calibration set's out-of-scope messages look easier than new ones (docs/routing.md).

    With `floor_confidence` (e.g. 0.9), the threshold makes the recall floor hold on new messages
    with that probability, not just on the validation data (`calibration.choose_threshold`)."""
    check_training(train)
    if val is None:
        train, val = split_validation(train)
    if oos_for_calibration:
        held = [i for i in train if i.label in NOT_ROUTED]
        train = [i for i in train if i.label not in NOT_ROUTED]
        val = [*val, *held]
        check_training(train)
    known = {i.label for i in train}
    check_known_labels(val, known, name="validation data")
    check_known_labels(test, known, name="test data")
    started = time.perf_counter()
    encoder = embedder or (MiniLMEmbedder(int8=True) if int8 else default_embedder())
    if fine_tune is not None:
        examples = by_label(train)
        negatives = [t for label in NOT_ROUTED for t in examples.pop(label, [])]
        target = out_dir / "encoder" if out_dir else Path(tempfile.mkdtemp(prefix="fd-encoder-"))
        encoder = fine_tune_encoder(
            examples, target, settings=fine_tune, negatives=negatives,
            progress=_steps(progress, "fine-tuning the encoder"),
        )  # fmt: skip
        if int8:
            encoder = SentenceTransformerEmbedder(encoder.path, int8=True)
    router = EmbeddingRouter(
        examples=by_label(train), embedder=encoder, neighbour_weight=neighbour_weight,
        ngram_weight=ngram_weight,
    )  # fmt: skip

    def embed(name: str, items: Sequence[Labelled]) -> Vectors:
        callback = progress(name, len(items)) if progress else None
        return embed_with_progress(router, [i.text for i in items], callback)

    train_vectors = embed("embedding training data", train)
    router.fit([i.text for i in train], train_vectors, [i.label for i in train])
    train_s = time.perf_counter() - started
    val_vectors = embed("embedding validation data", val)
    router.calibrate(
        [i.text for i in val], [i.label for i in val], vectors=val_vectors,
        oos_recall_floor=oos_recall_floor, floor_confidence=floor_confidence,
    )  # fmt: skip
    test_vectors = embed("embedding test data", test)
    report = evaluate(
        router, test, vectors=test_vectors, out_dir=out_dir, latency_sample=latency_sample
    )
    report.n_train = len(train)
    report.train_s = train_s
    point = router.operating_point
    assert point is not None
    report.oos_recall_floor, report.floor_confidence = oos_recall_floor, floor_confidence
    report.val_oos_recall, report.val_oos_recall_bound = point.oos_recall, point.oos_recall_bound
    report.floor_met = point.floor_met
    router.metrics = {k: v for k, v in report.to_json().items() if isinstance(v, int | float)}
    if out_dir is not None:
        path = out_dir / "router.pkl"
        router.save(path)
        report.files["router"] = str(path)
    return router, report
