"""The trained embedding router: logistic regression over sentence embeddings and TF-IDF
word and character n-grams.

The embedding carries meaning ("billed two times" ≈ "charged twice"); the n-grams carry the exact
vocabulary of a domain ("MyChart", "subpoena", "copay") and survive typos. Two labels never
route: `oos` (out of scope) and `unclear` (in scope but too vague); both ask for clarification.

Trained from labelled utterances (a specialist's `examples`, plus examples for categories that
have no specialist and for out-of-scope messages). Embeddings of the training set are cached on
disk, keyed by a hash of the data and the encoder, so a restart trains in milliseconds.

Decision rule, in order:
1. a *rule* (regex safety net, e.g. for emergencies) that matches forces its category;
2. a *priority* category whose probability reaches its own lower bar wins (asymmetric cost:
   missing an emergency is worse than over-escalating);
3. the out-of-scope class, or a top probability under `threshold`, or a top-1 minus top-2 margin
   under `margin`, asks for clarification;
4. otherwise the top category.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from frontdesk.embeddings import (
    Embedder,
    MiniLMEmbedder,
    SentenceTransformerEmbedder,
    Vectors,
    default_embedder,
)
from frontdesk.errors import InvalidInput
from frontdesk.routing.base import Alternative, RouteContext, RouteDecision, Router
from frontdesk.routing.calibration import OperatingPoint, choose_threshold, fit_temperature, softmax

OUT_OF_SCOPE = "oos"
UNCLEAR = "unclear"
NOT_ROUTED = frozenset({OUT_OF_SCOPE, UNCLEAR})


@dataclass(kw_only=True, slots=True, frozen=True)
class RouteRule:
    """A regex that forces `category` when it matches (a recall safety net)."""

    category: str
    patterns: Sequence[str]

    def matches(self, text: str) -> bool:
        return any(re.search(p, text, flags=re.IGNORECASE) for p in self.patterns)


@dataclass(kw_only=True, slots=True, frozen=True)
class Scores:
    """A batch of scored texts (row i is text i); `top`/`second` index into `classes`."""

    classes: list[str]
    probabilities: npt.NDArray[np.float64]
    top: npt.NDArray[np.intp]
    second: npt.NDArray[np.intp]
    top_p: npt.NDArray[np.float64]
    second_p: npt.NDArray[np.float64]
    confidence: npt.NDArray[np.float64]
    """Calibrated probability that the top class is right."""

    @property
    def top_labels(self) -> list[str]:
        return [self.classes[j] for j in self.top]


@dataclass(kw_only=True, slots=True, frozen=True)
class ConfidenceModel:
    """Platt scaling over two evidence signals, fitted on held-out data:
    confidence = sigmoid(a · (z(log p_top) + w · z(nearest similarity)) + b), where z standardises
    with the held-out in-scope mean and spread. The result is the probability that the top class
    is right, so one threshold on it trades accuracy against out-of-scope rejection."""

    a: float
    b: float
    log_p_mean: float
    log_p_std: float
    near_mean: float
    near_std: float

    @classmethod
    def fit(
        cls,
        top_p: npt.NDArray[np.float64],
        nearest: npt.NDArray[np.float64],
        correct: npt.NDArray[np.bool_],
        weight: float,
    ) -> ConfidenceModel:
        log_p = np.log(top_p + 1e-12)
        ref = correct if correct.sum() >= 2 else np.ones_like(correct)
        model = cls(
            a=1.0, b=0.0,
            log_p_mean=float(log_p[ref].mean()), log_p_std=float(log_p[ref].std() or 1.0),
            near_mean=float(nearest[ref].mean()), near_std=float(nearest[ref].std() or 1.0),
        )  # fmt: skip
        evidence = model.evidence(top_p, nearest, weight).reshape(-1, 1)
        if correct.all() or not correct.any():
            return model
        platt = LogisticRegression(C=1e4).fit(evidence, correct)
        return replace(model, a=float(platt.coef_[0, 0]), b=float(platt.intercept_[0]))

    def evidence(
        self, top_p: npt.NDArray[np.float64], nearest: npt.NDArray[np.float64], weight: float
    ) -> npt.NDArray[np.float64]:
        log_p = (np.log(top_p + 1e-12) - self.log_p_mean) / self.log_p_std
        near = (nearest - self.near_mean) / self.near_std
        result: npt.NDArray[np.float64] = log_p + weight * near
        return result

    def __call__(
        self, top_p: npt.NDArray[np.float64], nearest: npt.NDArray[np.float64], weight: float
    ) -> npt.NDArray[np.float64]:
        result: npt.NDArray[np.float64] = 1.0 / (
            1.0 + np.exp(-(self.a * self.evidence(top_p, nearest, weight) + self.b))
        )
        return result


@dataclass(kw_only=True)
class EmbeddingRouter(Router):
    """Classifies messages with logistic regression over sentence embeddings."""

    examples: Mapping[str, Sequence[str]]
    """category → example utterances; the key `oos` holds out-of-scope examples."""
    threshold: float = 0.5
    margin: float = 0.0
    rules: Sequence[RouteRule] = ()
    priority: Mapping[str, float] = field(default_factory=dict)
    """category → probability at which it wins even when not the top category."""
    embedder: Embedder | None = None
    cache_dir: Path | None = None
    top_k: int = 3
    regularisation: float = 32.0
    ngram_weight: float = 1.0
    """Weight of the TF-IDF n-gram block relative to the embedding (0 = embeddings only)."""
    temperature: float = 1.0
    """Softmax temperature; `calibrate` fits it on held-out data."""
    neighbour_weight: float = 0.0
    """Weight of the nearest-training-example similarity in the confidence (0 = off). Out-of-scope
    messages land far from every example even when the classifier is sure of a class; `calibrate`
    turns the two signals into one calibrated confidence."""
    operating_point: OperatingPoint | None = None
    metrics: dict[str, float] = field(default_factory=dict)

    _classes: list[str] = field(default_factory=list, init=False, repr=False)
    _classifier: LogisticRegression | None = field(default=None, init=False, repr=False)
    _ngrams: FeatureUnion | None = field(default=None, init=False, repr=False)
    _neighbours: Vectors | None = field(default=None, init=False, repr=False)
    _confidence_model: ConfidenceModel | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        labelled = {c: [t for t in texts if t.strip()] for c, texts in self.examples.items()}
        labelled = {c: texts for c, texts in labelled.items() if texts}
        if len(labelled) < 2:
            raise InvalidInput(
                f"a router needs examples for at least two categories, got {sorted(labelled)}"
            )
        self.examples = labelled
        digest = hashlib.sha256()
        digest.update(self._encoder().name.encode())
        for category in sorted(labelled):
            digest.update(category.encode())
            for text in labelled[category]:
                digest.update(b"\0" + text.encode())
        self.version = f"embedding-lr/{digest.hexdigest()[:12]}"

    def _encoder(self) -> Embedder:
        if self.embedder is None:
            self.embedder = default_embedder()
        return self.embedder

    def warm_up(self) -> None:
        """Load the encoder and run it once (blocking: call it in a worker thread). A router
        loaded from its cache otherwise loads the encoder on its first message."""
        self._encoder().embed(["warm up"])

    @property
    def categories(self) -> list[str]:
        """The categories this router can return (out-of-scope excluded)."""
        return sorted(c for c in self.examples if c not in NOT_ROUTED)

    def train(self) -> None:
        """Embed the examples (or load them from the cache) and fit the classifier."""
        texts: list[str] = []
        labels: list[str] = []
        for category in sorted(self.examples):
            for text in self.examples[category]:
                texts.append(text)
                labels.append(category)
        self.fit(texts, self._cached_embeddings(texts), labels)

    def fit(self, texts: Sequence[str], vectors: Vectors, labels: Sequence[str]) -> None:
        """Fit the head on texts whose embeddings are already computed."""
        if self.ngram_weight > 0:
            self._ngrams = FeatureUnion(
                [
                    ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
                    ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5),
                                              sublinear_tf=True, min_df=2)),
                ]
            )  # fmt: skip
            self._ngrams.fit(list(texts))
        classifier = LogisticRegression(
            C=self.regularisation, max_iter=3000, class_weight="balanced"
        )
        classifier.fit(self._features(texts, vectors), np.asarray(labels))
        self._classifier = classifier
        self._classes = [str(c) for c in classifier.classes_]
        routable = np.asarray([label not in NOT_ROUTED for label in labels])
        self._neighbours = np.asarray(vectors[routable], dtype=np.float32)
        self._confidence_model = None

    def _features(self, texts: Sequence[str], vectors: Vectors) -> sp.csr_matrix | Vectors:
        if self._ngrams is None:
            return vectors
        # each n-gram block is L2-normalised like the embedding; scale the pair of them. The
        # vectorisers are called directly: FeatureUnion.transform's dispatch costs ~2 ms a call,
        # a fifth of routing one message
        scale = self.ngram_weight / np.sqrt(2.0)
        blocks = [v.transform(texts) * scale for _, v in self._ngrams.transformer_list]
        return sp.hstack([sp.csr_matrix(vectors), *blocks], format="csr")

    def _cached_embeddings(self, texts: list[str]) -> Vectors:
        path = None
        if self.cache_dir is not None:
            path = self.cache_dir / f"{self.version.replace('/', '-')}.npy"
            if path.exists():
                cached = np.load(path)
                if cached.shape[0] == len(texts):
                    return np.asarray(cached, dtype=np.float32)
        vectors = self._encoder().embed(texts)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, vectors)
            tmp.replace(path)
        return vectors

    def predict(self, texts: Sequence[str], vectors: Vectors) -> npt.NDArray[np.float64]:
        """Class probabilities (columns in `classes` order) for embedded texts."""
        if self._classifier is None:
            raise RuntimeError("the router is not trained: call train() or fit() first")
        logits: npt.NDArray[np.float64] = self._classifier.decision_function(
            self._features(texts, vectors)
        )
        if logits.ndim == 1:  # two classes: sklearn returns one column
            logits = np.stack([-logits, logits], axis=1) / 2
        return softmax(logits, self.temperature)

    def score(self, texts: Sequence[str], vectors: Vectors) -> Scores:
        """Class probabilities, the top classes and the calibrated confidence, for embedded
        texts: what `decide` and the evaluation read."""
        probs = self.predict(texts, vectors)
        order = np.argsort(-probs, axis=1)
        rows = np.arange(len(texts))
        top_p = probs[rows, order[:, 0]]
        second_p = probs[rows, order[:, 1]] if probs.shape[1] > 1 else np.zeros(len(texts))
        confidence = top_p
        if self._confidence_model is not None:
            model = self._confidence_model
            confidence = model(top_p, self._nearest(vectors), self.neighbour_weight)
            # an out-of-scope or unclear top class keeps its own probability as the confidence
            not_routed = np.isin(np.asarray(self._classes)[order[:, 0]], list(NOT_ROUTED))
            confidence = np.where(not_routed, top_p, confidence)
        return Scores(
            classes=self._classes, probabilities=probs, top=order[:, 0],
            second=order[:, 1] if probs.shape[1] > 1 else order[:, 0],
            top_p=top_p, second_p=second_p, confidence=confidence,
        )  # fmt: skip

    def _nearest(self, vectors: Vectors) -> npt.NDArray[np.float64]:
        """Cosine similarity of each vector to its nearest routable training example."""
        if self._neighbours is None or len(self._neighbours) == 0:
            return np.zeros(len(vectors))
        return np.asarray((vectors @ self._neighbours.T).max(axis=1), dtype=np.float64)

    def calibrate(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        vectors: Vectors | None = None,
        oos_recall_floor: float = 0.85,
        floor_confidence: float | None = None,
        margins: Sequence[float] = (0.0, 0.05, 0.1),
    ) -> OperatingPoint:
        """Fit the temperature on held-out `texts` (never the test set) and, with
        `neighbour_weight`, the confidence model; then choose the threshold and margin that
        maximise in-scope accuracy with out-of-scope recall at least `oos_recall_floor` (when
        the data has out-of-scope examples) — with `floor_confidence`, with that probability on
        new messages (`calibration.choose_threshold`)."""
        if self._classifier is None:
            self.train()
        if vectors is None:
            vectors = self._encoder().embed(list(texts))
        known = {c: i for i, c in enumerate(self._classes)}
        keep = [i for i, label in enumerate(labels) if label in known]
        self.temperature = 1.0
        self._confidence_model = None
        probs = self.predict([texts[i] for i in keep], vectors[keep])
        targets = np.asarray([known[labels[i]] for i in keep], dtype=np.int64)
        self.temperature = fit_temperature(np.log(probs + 1e-12), targets)
        scores = self.score(texts, vectors)
        top_labels = [self._classes[j] for j in scores.top]
        if self.neighbour_weight > 0:
            truth = [OUT_OF_SCOPE if label in NOT_ROUTED else label for label in labels]
            correct = np.asarray([t == y for t, y in zip(top_labels, truth, strict=True)])
            self._confidence_model = ConfidenceModel.fit(
                scores.top_p, self._nearest(vectors), correct, self.neighbour_weight
            )
            scores = self.score(texts, vectors)
        point = choose_threshold(
            top_labels,
            scores.confidence,
            scores.top_p - scores.second_p,
            labels,
            oos_recall_floor=oos_recall_floor,
            not_routed=NOT_ROUTED,
            margins=margins,
            floor_confidence=floor_confidence,
        )
        self.operating_point = point
        self.threshold, self.margin = point.threshold, point.margin
        return point

    def save(self, path: Path) -> None:
        """Persist the trained router (head, n-grams, calibration, version, metrics). The
        encoder is referenced by name. Load only files you wrote: this is a pickle."""
        if self._classifier is None:
            raise RuntimeError("train the router before saving it")
        state = {
            "format": 1, "version": self.version, "encoder": self._encoder().name,
            "classes": self._classes, "classifier": self._classifier, "ngrams": self._ngrams,
            "temperature": self.temperature, "threshold": self.threshold, "margin": self.margin,
            "operating_point": self.operating_point, "metrics": self.metrics,
            "examples": {c: len(t) for c, t in self.examples.items()},
            "regularisation": self.regularisation, "ngram_weight": self.ngram_weight,
            "neighbour_weight": self.neighbour_weight, "neighbours": self._neighbours,
            "confidence_model": self._confidence_model,
        }  # fmt: skip
        encoder = self._encoder()
        if isinstance(encoder, SentenceTransformerEmbedder):
            # a fine-tuned encoder travels with the router: referenced relative to its file
            state["encoder_dir"] = os.path.relpath(encoder.path.resolve(), path.parent.resolve())
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path, *, embedder: Embedder | None = None) -> EmbeddingRouter:
        """A router saved by `save`, ready to route (no retraining)."""
        try:
            state = pickle.loads(path.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError) as exc:
            raise InvalidInput(f"cannot load a router from {path}: {exc}") from None
        if not isinstance(state, dict) or state.get("format") != 1:
            raise InvalidInput(f"{path} is not a frontdesk router file")
        int8 = str(state["encoder"]).endswith("+int8")
        if embedder is None and state.get("encoder_dir"):
            embedder = SentenceTransformerEmbedder(path.parent / state["encoder_dir"], int8=int8)
        elif embedder is None and int8:
            embedder = MiniLMEmbedder(int8=True)
        router = cls(
            examples={c: ["-"] for c in state["classes"]},
            threshold=state["threshold"], margin=state["margin"], embedder=embedder,
            regularisation=state["regularisation"], ngram_weight=state["ngram_weight"],
            temperature=state["temperature"], operating_point=state["operating_point"],
            metrics=state["metrics"],
        )  # fmt: skip
        encoder = router._encoder().name
        if encoder != state["encoder"]:
            raise InvalidInput(f"{path} was trained with {state['encoder']}, not {encoder}")
        router.version = state["version"]
        router._classifier, router._ngrams = state["classifier"], state["ngrams"]
        router._classes = list(state["classes"])
        router.neighbour_weight = state.get("neighbour_weight", 0.0)
        router._neighbours = state.get("neighbours")
        router._confidence_model = state.get("confidence_model")
        return router

    @property
    def trained(self) -> bool:
        """True once `train`, `fit` or `load` has given the router a classifier."""
        return self._classifier is not None

    @property
    def classes(self) -> list[str]:
        """The labels the head was trained on, in column order."""
        return list(self._classes)

    def probabilities(self, text: str) -> dict[str, float]:
        """Class probabilities for one text (trains on first use)."""
        if self._classifier is None:
            self.train()
        assert self._classifier is not None
        row = self.predict([text], self._encoder().embed([text]))[0]
        return {c: float(p) for c, p in zip(self._classes, row, strict=True)}

    async def route(self, text: str, context: RouteContext | None = None) -> RouteDecision:
        return self.decide(text)

    def decide(self, text: str) -> RouteDecision:
        """`route`, synchronously: the work is local and CPU-bound (a few milliseconds)."""
        started = time.perf_counter()
        if not text.strip():
            raise InvalidInput("cannot route an empty message")
        notes: list[str] = []
        encoder = self._encoder()
        if encoder.count_tokens(text) > encoder.max_tokens:
            notes.append(f"truncated to the encoder's {encoder.max_tokens} word pieces")
        if self._classifier is None:
            self.train()
        scores = self.score([text], encoder.embed([text]))
        probs = {c: float(p) for c, p in zip(self._classes, scores.probabilities[0], strict=True)}
        ranked = sorted(probs.items(), key=lambda kv: kv[1], reverse=True)
        alternatives = [
            Alternative(category=c, confidence=p) for c, p in ranked if c not in NOT_ROUTED
        ][: self.top_k]
        top = ranked[0][0]
        top_p, second_p = float(scores.top_p[0]), float(scores.second_p[0])
        confidence = float(scores.confidence[0])

        decision = RouteDecision(
            category=top,
            confidence=confidence,
            alternatives=alternatives,
            action="answer",
            reason="confident",
            router_version=self.version,
            notes=notes,
        )
        forced = next((r for r in self.rules if r.matches(text)), None)
        promoted = next(
            (c for c, bar in self.priority.items() if c != top and probs.get(c, 0.0) >= bar), None
        )
        if forced is not None:
            decision.category = forced.category
            decision.confidence = probs.get(forced.category, 0.0)
            decision.reason = f"rule:{forced.category}"
        elif promoted is not None:
            decision.category = promoted
            decision.confidence = probs[promoted]
            decision.reason = f"priority:{promoted}"
        elif top in NOT_ROUTED:
            decision.category = None
            decision.action = "clarify"
            decision.reason = "out_of_scope" if top == OUT_OF_SCOPE else "unclear"
        elif confidence < self.threshold:
            decision.action = "clarify"
            decision.reason = "low_confidence"
        elif top_p - second_p < self.margin:
            decision.action = "clarify"
            decision.reason = "small_margin"
        decision.latency_ms = (time.perf_counter() - started) * 1000
        return decision

    def describe(self) -> dict[str, object]:
        """A JSON-ready summary: version, categories and example counts."""
        return {
            "version": self.version,
            "encoder": self._encoder().name,
            "threshold": self.threshold,
            "margin": self.margin,
            "examples": {c: len(t) for c, t in sorted(self.examples.items())},
        }
