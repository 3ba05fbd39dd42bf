"""Fine-tuning the encoder on a router's examples, the nearest-example confidence, and a
fine-tuned router saved and loaded with its encoder."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from frontdesk.embeddings import MiniLMEmbedder, SentenceTransformerEmbedder, default_embedder
from frontdesk.errors import InvalidInput
from frontdesk.routing import EmbeddingRouter
from frontdesk.routing.calibration import expected_calibration_error
from frontdesk.routing.dataset import load_jsonl
from frontdesk.routing.embedding import ConfidenceModel
from frontdesk.routing.finetune import FineTuning, fine_tune_encoder
from frontdesk.routing.training import train_and_evaluate

from .data import INTENTS, write_split

QUICK = FineTuning(epochs=2, batch_size=3, max_seq_length=16, learning_rate=5e-5)


def separation(vectors: np.ndarray, labels: list[str]) -> float:
    """Mean cosine within a category minus mean cosine across categories."""
    sims = vectors @ vectors.T
    same = np.equal.outer(labels, labels)
    off_diagonal = ~np.eye(len(labels), dtype=bool)
    return float(sims[same & off_diagonal].mean() - sims[~same].mean())


def test_fine_tuning_pulls_categories_apart(tmp_path: Path) -> None:
    examples = {c: t for c, t in INTENTS.items() if c != "oos"}
    texts = [t for c in examples for t in examples[c]]
    labels = [c for c in examples for _ in examples[c]]
    steps: list[tuple[int, int]] = []
    tuned = fine_tune_encoder(
        examples, tmp_path / "enc", settings=QUICK, negatives=INTENTS["oos"],
        progress=lambda done, total: steps.append((done, total)),
    )  # fmt: skip
    assert steps
    assert steps[-1][0] == steps[-1][1]
    assert tuned.name.startswith("all-MiniLM-L6-v2+ft/")
    assert (tmp_path / "enc" / "frontdesk.json").exists()
    before = separation(default_embedder().embed(texts), labels)
    after = separation(tuned.embed(texts), labels)
    assert after > before + 0.05
    # the same data and settings give the same name; other data another
    again = fine_tune_encoder(examples, tmp_path / "enc2", settings=QUICK, negatives=INTENTS["oos"])
    assert again.name == tuned.name
    fewer = {c: t[:-1] for c, t in examples.items()}
    assert fine_tune_encoder(fewer, tmp_path / "enc3", settings=QUICK).name != tuned.name


def test_fine_tuning_needs_two_categories(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="at least two categories"):
        fine_tune_encoder({"weather": ["rain", "snow"], "music": ["jazz"]}, tmp_path / "enc")


def test_a_directory_without_a_fine_tuned_encoder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no fine-tuned encoder"):
        SentenceTransformerEmbedder(tmp_path)


def test_fine_tuned_router_saves_and_loads_with_its_encoder(tmp_path: Path) -> None:
    train, val, test = (load_jsonl(p) for p in write_split(tmp_path / "data"))
    router, report = train_and_evaluate(
        train, test, val=val, out_dir=tmp_path / "out", latency_sample=10, fine_tune=QUICK,
        neighbour_weight=1.0,
    )  # fmt: skip
    assert report.in_scope_accuracy >= 0.8
    assert isinstance(router.embedder, SentenceTransformerEmbedder)
    # the report directory moves as a whole: the encoder is found relative to router.pkl
    moved = tmp_path / "elsewhere"
    shutil.move(tmp_path / "out", moved)
    loaded = EmbeddingRouter.load(moved / "router.pkl")
    assert isinstance(loaded.embedder, SentenceTransformerEmbedder)
    assert loaded.embedder.name == router.embedder.name
    for text in ("is it windy at the beach today", "turn the music up", "book me a flight"):
        original, again = router.decide(text), loaded.decide(text)
        assert (again.category, again.action) == (original.category, original.action)
        assert again.confidence == pytest.approx(original.confidence, abs=1e-6)
    # loading with a different encoder is refused rather than routing on the wrong vectors
    with pytest.raises(InvalidInput, match="was trained with"):
        EmbeddingRouter.load(moved / "router.pkl", embedder=default_embedder())


def test_confidence_model_is_calibrated_and_uses_both_signals() -> None:
    rng = np.random.default_rng(0)
    n = 20000
    top_p = rng.uniform(0.2, 1.0, n)
    nearest = rng.uniform(0.2, 0.9, n)
    log_p = np.log(top_p)
    evidence = (log_p - log_p.mean()) / log_p.std() + (nearest - nearest.mean()) / nearest.std()
    truth = 1 / (1 + np.exp(-(1.5 * evidence + 0.5)))
    correct = rng.uniform(size=n) < truth
    model = ConfidenceModel.fit(top_p, nearest, correct, 1.0)
    confidence = model(top_p, nearest, 1.0)
    assert expected_calibration_error(confidence, correct) < 0.02
    # it recovers the probability that generated the outcomes, not just a calibrated average
    assert float(np.abs(confidence - truth).mean()) < 0.03
    # far from every training example means less confident, all else equal
    assert (
        model(np.array([0.9]), np.array([0.3]), 1.0)[0]
        < model(np.array([0.9]), np.array([0.85]), 1.0)[0]
    )


def test_an_int8_router_routes_and_reloads_with_the_int8_encoder(tmp_path: Path) -> None:
    train, val, test = (load_jsonl(p) for p in write_split(tmp_path / "data"))
    router, report = train_and_evaluate(
        train, test, val=val, out_dir=tmp_path / "out", latency_sample=10, int8=True
    )
    # 7 of the 9 in-scope test messages (full precision: the same or one more; on CLINC150 val
    # a logistic regression loses 0.1 point: 95.9 % against 96.0 %)
    assert report.in_scope_accuracy >= 0.75
    assert router.embedder is not None
    assert router.embedder.name == "all-MiniLM-L6-v2+int8"
    # 8-bit vectors stay close to the full-precision ones
    texts = [item.text for item in test]
    full, small = default_embedder().embed(texts), router.embedder.embed(texts)
    assert float((full * small).sum(axis=1).mean()) > 0.95
    loaded = EmbeddingRouter.load(tmp_path / "out" / "router.pkl")
    assert loaded.embedder is not None
    assert loaded.embedder.name == "all-MiniLM-L6-v2+int8"
    assert loaded.decide("will it snow tonight").confidence == pytest.approx(
        router.decide("will it snow tonight").confidence, abs=1e-6
    )


def test_an_int8_vector_does_not_depend_on_the_batch_it_was_embedded_in() -> None:
    # dynamic quantisation scales activations by the batch's range: a text embedded with
    # longer neighbours would get another vector than when it is routed alone
    encoder = MiniLMEmbedder(int8=True)
    texts = ["hi", "what is my balance", "please transfer two hundred dollars " * 6, "ok"]
    batch = encoder.embed(texts)
    alone = np.concatenate([encoder.embed([t]) for t in texts])
    assert np.array_equal(batch, alone)
