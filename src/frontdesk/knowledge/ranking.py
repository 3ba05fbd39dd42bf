"""The final re-scoring of hybrid candidates: features, the focus matrix, and the `Ranker`.

Each candidate passage gets a row of `FEATURES`: what BM25 and the encoder saw, its fused rank,
whether the question names the passage's focus (weighted by how rare each word of the focus
is), whether it asks the passage's question type, and two facts about the question alone (it
asks about prices, insurance or a particular place rather than health; its length). A logistic
model over those rows gives the probability that the passage answers the question (graded 3–4),
fitted on our own judged questions by `bench/knowledge_fit.py`; its threshold is the "not
covered" cut.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse

from frontdesk.errors import InvalidInput
from frontdesk.knowledge.lexical import BM25
from frontdesk.knowledge.questions import focus_terms, title_focus

FEATURES = (
    "bias",
    "bm25",
    "title_cosine",
    "passage_cosine",
    "rrf",
    "focus",
    "type",
    "focus_type",
    "logistics",
    "length",
)


@dataclass(kw_only=True, slots=True, frozen=True)
class Ranker:
    """Logistic weights over `FEATURES` and the "not covered" threshold on the probability."""

    weights: tuple[float, ...]
    threshold: float
    note: str = ""

    @classmethod
    def bundled(cls) -> Ranker:
        text = resources.files("frontdesk.knowledge").joinpath("data/ranker.json").read_text()
        return cls.from_json(json.loads(text))

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Ranker:
        weights = data.get("weights")
        if not isinstance(weights, dict) or set(weights) != set(FEATURES):
            raise InvalidInput(f"a ranker needs one weight for each of {', '.join(FEATURES)}")
        threshold = data.get("threshold", 0.5)
        if not isinstance(threshold, int | float) or not 0.0 <= threshold <= 1.0:
            raise InvalidInput(f"a ranker's threshold is a probability, got {threshold!r}")
        return cls(
            weights=tuple(float(weights[f]) for f in FEATURES),
            threshold=float(threshold),
            note=str(data.get("note", "")),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "weights": dict(zip(FEATURES, self.weights, strict=True)),
            "threshold": self.threshold,
            "note": self.note,
        }

    def probability(self, rows: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        logits = rows @ np.asarray(self.weights, dtype=np.float32)
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)


@dataclass(kw_only=True, slots=True)
class FocusMatrix:
    """Every passage's focus names (the focus and its synonyms) as rows of idf weights that sum
    to 1 per name, so one sparse product gives, for every name, the share of its rarity-weighted
    words a question contains; `starts` marks each passage's first row."""

    names: sparse.csc_matrix
    starts: npt.NDArray[np.int64]

    @classmethod
    def build(cls, bm25: BM25, foci: Sequence[tuple[str, str, tuple[str, ...]]]) -> FocusMatrix:
        """`foci`: (focus, title, synonyms) per passage; a passage without a focus gets one
        read off its title ("What causes Gout ?" → Gout)."""
        rows: list[int] = []
        cols: list[int] = []
        values: list[float] = []
        starts: list[int] = []
        row = 0
        for focus, title, synonyms in foci:
            starts.append(row)
            names = focus_terms(focus or title_focus(title), synonyms)
            for name in names or [frozenset()]:
                known = [(bm25.vocabulary[t], bm25.idf(t)) for t in name if t in bm25.vocabulary]
                total = sum(w for _, w in known) + sum(
                    1.0 for t in name if t not in bm25.vocabulary
                )
                for column, weight in known:
                    rows.append(row)
                    cols.append(column)
                    values.append(weight / total)
                row += 1
        matrix = sparse.csc_matrix(
            (np.asarray(values, np.float32), (np.asarray(rows), np.asarray(cols))),
            shape=(row, len(bm25.vocabulary)),
        )
        return cls(names=matrix, starts=np.asarray(starts, dtype=np.int64))

    def scores(
        self, term_ids: Sequence[int], passages: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float32]:
        """For each of `passages`: the best share of one of its focus names' weight found
        among `term_ids`."""
        if not term_ids or not len(passages):
            return np.zeros(len(passages), dtype=np.float32)
        per_name = np.asarray(self.names[:, sorted(set(term_ids))].sum(axis=1)).ravel()
        ends = np.append(self.starts[1:], len(per_name))
        lengths = ends[passages] - self.starts[passages]  # every passage has at least one row
        first = np.cumsum(lengths) - lengths  # where each passage's rows begin in `rows`
        rows = np.arange(int(lengths.sum())) - np.repeat(first, lengths)
        rows += np.repeat(self.starts[passages], lengths)
        return np.maximum.reduceat(per_name[rows].astype(np.float32), first)

    def save(self, folder: Path) -> None:
        sparse.save_npz(folder / "focus.npz", self.names, compressed=False)
        np.save(folder / "focus-starts.npy", self.starts)

    @classmethod
    def load(cls, folder: Path) -> FocusMatrix:
        return cls(
            names=sparse.csc_matrix(sparse.load_npz(folder / "focus.npz")),
            starts=np.load(folder / "focus-starts.npy"),
        )


__all__ = ["FEATURES", "FocusMatrix", "Ranker"]
