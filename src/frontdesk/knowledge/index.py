"""A knowledge index: passages, a BM25 ranker and dense vectors, built once and loaded read-only.

Search is hybrid. BM25 and the bundled sentence encoder each rank the whole corpus; their top
candidates are fused by reciprocal rank (`hybrid`), then re-scored (`final`) by a small logistic
model over what each ranker saw and what the question asks (does it name the passage's focus,
does it ask the passage's question type; `ranking.py`). That score is a calibrated probability
that the passage answers the question, so one threshold decides "not covered".

On disk an index is a folder of plain files (a manifest, the passages as JSON lines, the sparse
BM25 and focus matrices, the float16 title and passage vectors, the ONNX query encoder).
`store.py` publishes built folders atomically.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from opentelemetry import trace

from frontdesk.embeddings import Embedder, default_embedder
from frontdesk.errors import InvalidInput
from frontdesk.knowledge import encoder
from frontdesk.knowledge.curated import Document, Hit
from frontdesk.knowledge.lexical import BM25, terms
from frontdesk.knowledge.passage_file import PassageFile
from frontdesk.knowledge.questions import (
    Speller,
    asks_logistics,
    everyday_words,
    question_types,
    type_match,
)
from frontdesk.knowledge.ranking import FEATURES, FocusMatrix, Ranker
from frontdesk.knowledge.sources import Passage

Method = Literal["bm25", "dense", "hybrid", "final"]
METHODS: tuple[Method, ...] = ("bm25", "dense", "hybrid", "final")
Progress = Callable[[str, int, int], None]

FORMAT = 2
CANDIDATES = 100
RRF_K = 60
PASSAGE_CHARS = 700
"""How much of a passage the dense encoder reads: its title and opening (~150 word pieces),
where MedQuAD states what the answer is about; BM25 reads it all."""


@dataclass(kw_only=True, slots=True, frozen=True)
class SearchHit:
    """A passage and its score: for `final`, the probability it answers the question."""

    passage: Passage
    score: float
    rank: int

    def to_json(self) -> dict[str, object]:
        return {
            "doc_id": self.passage.doc_id,
            "score": round(self.score, 4),
            "source_url": self.passage.source_url,
            "title": self.passage.title,
        }


@dataclass(kw_only=True)
class KnowledgeIndex:
    """A loaded index. Searching is read-only and thread-safe; an index never changes in place
    (a rebuild publishes a new folder)."""

    name: str
    passages: Sequence[Passage]
    qtypes: Sequence[str]
    bm25: BM25
    focus: FocusMatrix
    vectors: npt.NDArray[np.float32]
    """Title vectors, then passage vectors: one matrix, so a query is one product."""
    manifest: dict[str, object] = field(default_factory=dict)
    ranker: Ranker = field(default_factory=Ranker.bundled)
    embedder: Embedder | None = None
    _speller: Speller | None = field(default=None, repr=False)

    # --- building -----------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        name: str,
        passages: Sequence[Passage],
        *,
        embedder: Embedder | None = None,
        progress: Progress | None = None,
        batch: int = 128,
    ) -> KnowledgeIndex:
        if not passages:
            raise InvalidInput(f"knowledge index {name!r}: the source has no passages to index")
        embedder = embedder or default_embedder()
        report = progress or (lambda stage, done, total: None)
        report("lexical", 0, 1)
        bm25 = BM25.build([_lexical_text(p) for p in passages])
        report("lexical", 1, 1)
        titles = _embed(embedder, [_title_text(p) for p in passages], "titles", report, batch)
        bodies = _embed(
            embedder, [f"{p.title}. {p.text[:PASSAGE_CHARS]}" for p in passages], "passages",
            report, batch,
        )  # fmt: skip
        manifest: dict[str, object] = {
            "name": name,
            "format": FORMAT,
            "passages": len(passages),
            "encoder": embedder.name,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        focus = FocusMatrix.build(bm25, [(p.focus, p.title, p.synonyms) for p in passages])
        return cls(
            name=name, passages=passages, qtypes=[p.qtype for p in passages], bm25=bm25,
            focus=focus, vectors=np.concatenate([titles, bodies]), manifest=manifest,
            embedder=embedder,
        )  # fmt: skip

    def save(self, folder: Path, *, query_encoder: bool = True) -> None:
        """Writes the index's files into `folder` (which must be new or empty), with the query
        encoder exported to ONNX unless `query_encoder` is false (searches then use torch)."""
        folder.mkdir(parents=True, exist_ok=True)
        if query_encoder and self.manifest.get("encoder") == default_embedder().name:
            encoder.export(folder)
            self.manifest["query_encoder"] = encoder.NAME
        PassageFile.write(folder, self.passages)
        (folder / "qtypes.json").write_text(json.dumps(list(self.qtypes)))
        self.bm25.save(folder)
        self.focus.save(folder)
        np.save(folder / "vectors.npy", self.vectors.astype(np.float16))
        (folder / "manifest.json").write_text(json.dumps(self.manifest, indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path, *, embedder: Embedder | None = None) -> KnowledgeIndex:
        manifest_path = folder / "manifest.json"
        if not manifest_path.is_file():
            raise InvalidInput(f"{folder} is not a knowledge index (no manifest.json)")
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("format") != FORMAT:
            raise InvalidInput(
                f"knowledge index {folder} has format {manifest.get('format')}, this version "
                f"reads format {FORMAT}: rebuild it with `frontdesk knowledge build`"
            )
        ranker_path = folder / "ranker.json"
        if embedder is None and encoder.available(folder):
            embedder = encoder.OnnxEncoder(folder)
        return cls(
            name=str(manifest.get("name", folder.name)),
            passages=PassageFile.open(folder),
            qtypes=json.loads((folder / "qtypes.json").read_text()),
            bm25=BM25.load(folder),
            focus=FocusMatrix.load(folder),
            vectors=np.load(folder / "vectors.npy").astype(np.float32),
            manifest=manifest,
            ranker=(
                Ranker.from_json(json.loads(ranker_path.read_text()))
                if ranker_path.is_file()
                else Ranker.bundled()
            ),
            embedder=embedder,
        )

    # --- searching ----------------------------------------------------------------------------

    def _encoder(self) -> Embedder:
        if self.embedder is None:
            self.embedder = default_embedder()
            if self.embedder.name != self.manifest.get("encoder", self.embedder.name):
                raise InvalidInput(
                    f"knowledge index {self.name!r} was built with {self.manifest['encoder']}, "
                    f"not {self.embedder.name}: rebuild it"
                )
        return self.embedder

    def search(self, query: str, *, k: int = 10, method: Method = "final") -> list[SearchHit]:
        """The best `k` passages for `query`, best first (an empty or wordless query: none)."""
        if k < 1:
            raise InvalidInput("k must be at least 1")
        if not query.strip():
            return []
        indices, scores = self.rank(query, method=method)
        return [
            SearchHit(passage=self.passages[int(i)], score=float(s), rank=rank)
            for rank, (i, s) in enumerate(zip(indices[:k], scores[:k], strict=True), 1)
        ]

    def rank(
        self, query: str, *, method: Method = "final"
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Every candidate for `query` (at most 2 × `CANDIDATES` passage numbers) with its
        score, best first, ranked by `method`."""
        if method in ("hybrid", "final"):
            query, candidates, lexical, cosines, rrf = self.candidates(query)
            if method == "hybrid":
                order = np.argsort(-rrf, kind="stable")
                return candidates[order], rrf[order]
        else:
            query, lexical, cosines = self._scores(query)
            if method == "bm25":
                top = _top(lexical, CANDIDATES)
                top = top[lexical[top] > 0]
                return top, lexical[top]
            dense = _best(cosines)
            top = _top(dense, CANDIDATES)
            return top, dense[top]
        rows = self.features(query, candidates, lexical, cosines, rrf)
        probability = self.ranker.probability(rows)
        order = np.argsort(-probability, kind="stable")
        return candidates[order], probability[order]

    def _scores(self, query: str) -> tuple[str, npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """The spelling-fixed query, every passage's BM25 score, and every passage's cosines:
        with its title (first half) and with its opening (second half)."""
        query = self.speller().correct(query, lambda t: t in self.bm25.vocabulary)
        cosines = encoder.single_threaded_product(self.vectors, self._encoder().embed([query])[0])
        return query, self.bm25.scores(query), cosines

    def candidates(self, query: str) -> tuple[
        str, npt.NDArray[np.int64], npt.NDArray[np.float32], npt.NDArray[np.float32],
        npt.NDArray[np.float32],
    ]:  # fmt: skip
        """The fused candidates of `query`: (fixed query, sorted passage numbers, BM25 scores
        and cosines of every passage as `_scores` gives them, fused score of each candidate)."""
        query, lexical, cosines = self._scores(query)
        top_lexical = _top(lexical, CANDIDATES)
        top_dense = _top(_best(cosines), CANDIDATES)
        candidates = np.unique(np.concatenate([top_lexical, top_dense]))
        return query, candidates, lexical, cosines, _rrf(candidates, top_lexical, top_dense)

    def covered(self, hits: Sequence[SearchHit]) -> bool:
        """Whether the best `final` hit is likely enough to answer the question."""
        return bool(hits) and hits[0].score >= self.ranker.threshold

    @functools.cached_property
    def _type_codes(self) -> npt.NDArray[np.int64]:
        """Each passage's question type as a number (its position in `_type_names`)."""
        names = self._type_names
        position = {name: i for i, name in enumerate(names)}
        return np.asarray([position[q] for q in self.qtypes], dtype=np.int64)

    @functools.cached_property
    def _type_names(self) -> list[str]:
        return sorted(set(self.qtypes))

    def _accepted(self, asked: frozenset[str]) -> npt.NDArray[np.float32]:
        return np.asarray([type_match(asked, n) for n in self._type_names], dtype=np.float32)

    def speller(self) -> Speller:
        if self._speller is None:
            self._speller = Speller.from_vocabulary(
                (
                    (word, count)
                    for word, column in self.bm25.vocabulary.items()
                    if (count := self.bm25.document_frequency(column)) >= 2
                ),
                english=everyday_words(),
            )
        return self._speller

    def features(
        self,
        query: str,
        candidates: npt.NDArray[np.int64],
        lexical: npt.NDArray[np.float32],
        cosines: npt.NDArray[np.float32],
        rrf: npt.NDArray[np.float32],
    ) -> npt.NDArray[np.float32]:
        """One row of `FEATURES` per candidate (`ranking.py` says what each means)."""
        words = set(terms(query))
        ids = [self.bm25.vocabulary[t] for t in words if t in self.bm25.vocabulary]
        ceiling = sum(self.bm25.idf(t) for t in words) or 1.0
        accepted = self._accepted(question_types(query))
        typed = accepted[self._type_codes[candidates]]
        named = self.focus.scores(ids, candidates)
        rows = np.empty((len(candidates), len(FEATURES)), dtype=np.float32)
        rows[:, 0] = 1.0
        rows[:, 1] = np.minimum(lexical[candidates] / (2.2 * ceiling), 1.0)
        size = len(self.qtypes)
        rows[:, 2] = cosines[candidates]
        rows[:, 3] = cosines[candidates + size]
        rows[:, 4] = rrf * RRF_K / 2.0
        rows[:, 5] = named
        rows[:, 6] = typed
        rows[:, 7] = named * typed
        rows[:, 8] = 1.0 if asks_logistics(query) else 0.0
        rows[:, 9] = min(len(words) / 30.0, 1.0)
        return rows


@dataclass(kw_only=True)
class IndexedKnowledge:
    """An index as a specialist's knowledge: the best `final` hits that clear the ranker's
    "not covered" threshold, as `Hit`s whose documents carry the passage's source URL (or,
    when none does, the closest passage marked uncovered). Each
    search records the passages it returned, their scores and its latency on the current span
    (the `execute_tool search_knowledge` span); never the query, which is the user's text."""

    index: KnowledgeIndex
    closest_floor: float = 0.1
    """Below the threshold, the best passage is still offered, marked uncovered, when it scores
    at least this much ("the closest NIH page I found"); 1.0 turns that off."""

    @property
    def name(self) -> str:
        return self.index.name

    def search(self, query: str, *, k: int = 3) -> list[Hit]:
        started = time.perf_counter()
        hits = self.index.search(query, k=k)
        kept = [h for h in hits if h.score >= self.index.ranker.threshold]
        span = trace.get_current_span()
        span.set_attribute("frontdesk.retrieval.index", self.index.name)
        span.set_attribute("frontdesk.retrieval.doc_ids", [h.passage.doc_id for h in hits])
        span.set_attribute("frontdesk.retrieval.scores", [round(h.score, 4) for h in hits])
        span.set_attribute("frontdesk.retrieval.covered", bool(kept))
        span.set_attribute("frontdesk.retrieval.latency_ms", (time.perf_counter() - started) * 1000)
        if not kept and hits and hits[0].score >= self.closest_floor:
            return [_hit(hits[0], covered=False)]
        return [_hit(h, covered=True) for h in kept]


def _hit(hit: SearchHit, *, covered: bool) -> Hit:
    p = hit.passage
    document = Document(id=p.doc_id, title=p.title, text=p.text, url=p.source_url)
    return Hit(document=document, score=hit.score, covered=covered)


def _best(cosines: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Each passage's dense score: the better of its title's and its opening's cosine."""
    size = len(cosines) // 2
    return np.maximum(cosines[:size], cosines[size:])


def _title_text(passage: Passage) -> str:
    if passage.synonyms:
        return f"{passage.title} ({'; '.join(passage.synonyms[:3])})"
    return passage.title


def _top(scores: npt.NDArray[np.float32], n: int) -> npt.NDArray[np.int64]:
    n = min(n, len(scores))
    part = np.argpartition(-scores, n - 1)[:n]
    return part[np.argsort(-scores[part], kind="stable")].astype(np.int64)


def _rrf(
    candidates: npt.NDArray[np.int64], *rankings: npt.NDArray[np.int64]
) -> npt.NDArray[np.float32]:
    """Reciprocal-rank fusion of `rankings` for the sorted `candidates`."""
    fused = np.zeros(len(candidates), dtype=np.float32)
    for ranking in rankings:
        rows = np.searchsorted(candidates, ranking)
        fused[rows] += 1.0 / (RRF_K + np.arange(1, len(ranking) + 1, dtype=np.float32))
    return fused


def _lexical_text(passage: Passage) -> str:
    names = " ".join((passage.focus, *passage.synonyms))
    return f"{passage.title} {passage.title} {names} {passage.text}"


def _embed(
    embedder: Embedder, texts: list[str], stage: str, progress: Progress, batch: int
) -> npt.NDArray[np.float32]:
    parts: list[npt.NDArray[np.float32]] = []
    for start in range(0, len(texts), batch):
        parts.append(embedder.embed(texts[start : start + batch]))
        progress(stage, min(start + batch, len(texts)), len(texts))
    return np.concatenate(parts) if parts else np.zeros((0, embedder.dimensions), np.float32)


__all__ = [
    "FEATURES",
    "METHODS",
    "IndexedKnowledge",
    "KnowledgeIndex",
    "Method",
    "Ranker",
    "SearchHit",
]
