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
import pickle
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from frontdesk.embeddings import Embedder, Vectors, default_embedder
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
    operating_point: OperatingPoint | None = None
    metrics: dict[str, float] = field(default_factory=dict)

    _classes: list[str] = field(default_factory=list, init=False, repr=False)
    _classifier: LogisticRegression | None = field(default=None, init=False, repr=False)
    _ngrams: FeatureUnion | None = field(default=None, init=False, repr=False)

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

    def _features(self, texts: Sequence[str], vectors: Vectors) -> sp.csr_matrix | Vectors:
        if self._ngrams is None:
            return vectors
        # each n-gram block is L2-normalised like the embedding; scale the pair of them
        grams = self._ngrams.transform(list(texts)) * (self.ngram_weight / np.sqrt(2.0))
        return sp.hstack([sp.csr_matrix(vectors), grams], format="csr")

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

    def calibrate(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        vectors: Vectors | None = None,
        oos_recall_floor: float = 0.85,
        margins: Sequence[float] = (0.0, 0.05, 0.1),
    ) -> OperatingPoint:
        """Fit the temperature on held-out `texts` (never the test set), then choose the
        threshold and margin that maximise in-scope accuracy with out-of-scope recall at least
        `oos_recall_floor` (when the data has out-of-scope examples)."""
        if self._classifier is None:
            self.train()
        if vectors is None:
            vectors = self._encoder().embed(list(texts))
        known = {c: i for i, c in enumerate(self._classes)}
        keep = [i for i, label in enumerate(labels) if label in known]
        self.temperature = 1.0
        probs = self.predict([texts[i] for i in keep], vectors[keep])
        targets = np.asarray([known[labels[i]] for i in keep], dtype=np.int64)
        self.temperature = fit_temperature(np.log(probs + 1e-12), targets)
        probs = self.predict(list(texts), vectors)
        order = np.argsort(-probs, axis=1)
        rows = np.arange(len(texts))
        point = choose_threshold(
            [self._classes[j] for j in order[:, 0]],
            probs[rows, order[:, 0]],
            probs[rows, order[:, 1]],
            labels,
            oos_recall_floor=oos_recall_floor,
            not_routed=NOT_ROUTED,
            margins=margins,
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
        }  # fmt: skip
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
        probs = self.probabilities(text)
        ranked = sorted(probs.items(), key=lambda kv: kv[1], reverse=True)
        alternatives = [
            Alternative(category=c, confidence=p) for c, p in ranked if c not in NOT_ROUTED
        ][: self.top_k]
        top, top_p = ranked[0]
        second_p = ranked[1][1] if len(ranked) > 1 else 0.0

        decision = RouteDecision(
            category=top,
            confidence=top_p,
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
        elif top_p < self.threshold:
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
