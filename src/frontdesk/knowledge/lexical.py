"""BM25 over a sparse term–document matrix: the lexical half of hybrid retrieval.

Scores are precomputed per (term, document) at build time (Okapi BM25, k1 = 1.2, b = 0.75, the
Lucene idf), so a query is the sum of a few matrix columns: about a millisecond over MedQuAD.
Terms are lower-cased words with a light suffix folding ("infections" and "infection", "causes"
and "cause" meet); exact medical names count, which is what the dense encoder blurs.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be been before being below
    between both but by can could did do does doing down during each few for from further had has
    have having he her here hers him his how i if in into is it its itself just me more most my
    no nor not now of off on once only or other our out over own same she should so some such
    than that the their them then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours
    hi hello please thanks thank dear know tell want wanted wondering question questions anyone
    im ive id dont doesnt""".split()
)


def fold(word: str) -> str:
    """A word's light stem: plural and verb endings off when enough of a word is left."""
    if len(word) <= 4 or word.isdigit():
        return word
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)] + replacement
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def terms(text: str) -> list[str]:
    """The terms BM25 sees in `text`, in order, repeats kept."""
    return [fold(w.replace("'", "")) for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


@dataclass(kw_only=True, slots=True)
class BM25:
    """A BM25 ranker: a vocabulary and a documents × terms matrix of term scores."""

    vocabulary: dict[str, int]
    weights: sparse.csc_matrix

    @classmethod
    def build(cls, documents: Sequence[str], *, k1: float = 1.2, b: float = 0.75) -> BM25:
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[int] = []
        lengths = np.zeros(len(documents), dtype=np.float32)
        for row, document in enumerate(documents):
            tokens = terms(document)
            lengths[row] = len(tokens)
            for term, count in Counter(tokens).items():
                rows.append(row)
                cols.append(vocabulary.setdefault(term, len(vocabulary)))
                counts.append(count)
        n_docs = len(documents)
        tf = np.asarray(counts, dtype=np.float32)
        col = np.asarray(cols, dtype=np.int64)
        row_index = np.asarray(rows, dtype=np.int64)
        df = np.bincount(col, minlength=len(vocabulary)).astype(np.float32)
        idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        average = float(lengths.mean()) if n_docs else 1.0
        norm = k1 * (1.0 - b + b * lengths[row_index] / max(average, 1.0))
        scores = idf[col] * tf * (k1 + 1.0) / (tf + norm)
        matrix = sparse.csc_matrix(
            (scores.astype(np.float32), (row_index, col)), shape=(n_docs, len(vocabulary))
        )
        return cls(vocabulary=vocabulary, weights=matrix)

    @property
    def size(self) -> int:
        return int(self.weights.shape[0])

    def scores(self, query: str) -> npt.NDArray[np.float32]:
        """Every document's BM25 score for `query` (zeros when no term is known)."""
        ids = sorted({self.vocabulary[t] for t in terms(query) if t in self.vocabulary})
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.weights[:, ids].sum(axis=1), dtype=np.float32).ravel()

    def document_frequency(self, column: int) -> int:
        """In how many documents the term of `column` occurs."""
        return int(self.weights.indptr[column + 1] - self.weights.indptr[column])

    def idf(self, term: str) -> float:
        """How rare a (folded) term is: 0 for unknown terms."""
        index = self.vocabulary.get(term)
        if index is None:
            return 0.0
        df = self.document_frequency(index)
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def save(self, folder: Path) -> None:
        sparse.save_npz(folder / "bm25.npz", self.weights, compressed=False)
        words = [""] * len(self.vocabulary)
        for word, index in self.vocabulary.items():
            words[index] = word
        (folder / "bm25-vocabulary.txt").write_text("\n".join(words), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> BM25:
        weights = sparse.csc_matrix(sparse.load_npz(folder / "bm25.npz"))
        words = (folder / "bm25-vocabulary.txt").read_text(encoding="utf-8").split("\n")
        return cls(vocabulary={w: i for i, w in enumerate(words)}, weights=weights)


__all__ = ["BM25", "STOPWORDS", "fold", "terms"]
