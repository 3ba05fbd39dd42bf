"""Contrastive fine-tuning of the sentence encoder on a router's labelled examples (SetFit-style).

A linear head over frozen embeddings tops out where the encoder puts two intents close together.
Fine-tuning pulls each category's utterances together and pushes the others apart: every step
takes a batch of distinct categories, two utterances of each, and trains the encoder so that each
utterance is nearest its partner (a symmetric in-batch softmax loss, as sentence-transformers'
MultipleNegativesRankingLoss). Out-of-scope examples, when given, join each batch as extra
negatives that match no one. On CPU a 22M-parameter MiniLM takes ~1.6 s a step at batch 64.

The result is a directory the `SentenceTransformerEmbedder` loads; its name carries a hash of the
training data and settings so a router trained on it can check it was given the same encoder.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from frontdesk.embeddings import SentenceTransformerEmbedder, load_sentence_transformer
from frontdesk.errors import InvalidInput

Progress = Callable[[int, int], None]
"""Called with (steps done, total steps)."""


@dataclass(kw_only=True, slots=True, frozen=True)
class FineTuning:
    """How to fine-tune the encoder. The defaults are the CLINC150 setting of bench/RESULTS.md."""

    epochs: float = 3.0
    batch_size: int = 64
    """Categories per step (each contributes two utterances)."""
    learning_rate: float = 2e-5
    max_seq_length: int = 32
    """Word pieces per utterance while training (routing messages are short)."""
    scale: float = 20.0
    """Inverse temperature of the in-batch softmax."""
    oos_negatives: int = 16
    """Out-of-scope examples added to each batch as negatives (0: none)."""
    seed: int = 0


def fine_tune_encoder(
    examples: Mapping[str, Sequence[str]],
    out_dir: Path,
    *,
    settings: FineTuning | None = None,
    negatives: Sequence[str] = (),
    base: str | None = None,
    progress: Progress | None = None,
) -> SentenceTransformerEmbedder:
    """Fine-tune the bundled encoder (or the one at `base`) on `examples` (category → utterances;
    out-of-scope utterances go in `negatives`), save it to `out_dir`, and return it loaded."""
    import torch
    import torch.nn.functional as functional

    settings = settings or FineTuning()
    usable = {c: list(dict.fromkeys(t)) for c, t in examples.items() if len(set(t)) >= 2}
    if len(usable) < 2:
        raise InvalidInput(
            "fine-tuning needs at least two categories with two distinct examples each, got "
            f"{sorted(usable)}"
        )
    batch = min(settings.batch_size, len(usable))
    steps = max(1, int(settings.epochs * sum(map(len, usable.values())) / (2 * batch)))
    name = _fine_tuned_name(usable, negatives, settings, base)

    rng = random.Random(settings.seed)
    torch.manual_seed(settings.seed)
    model = load_sentence_transformer(base)
    model.max_seq_length = settings.max_seq_length
    optimiser = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / steps)
    )
    categories = sorted(usable)

    def batches() -> Any:
        while True:
            order = categories[:]
            rng.shuffle(order)
            for start in range(0, len(order) - batch + 1, batch):
                yield [rng.sample(usable[c], 2) for c in order[start : start + batch]]

    def encode(texts: list[str]) -> Any:
        features = model.preprocess(texts)
        return functional.normalize(model(features)["sentence_embedding"], dim=-1)

    model.train()
    started = time.perf_counter()
    draw = batches()
    for step in range(steps):
        pairs = next(draw)
        anchors = encode([a for a, _ in pairs])
        positives = encode([p for _, p in pairs])
        candidates = positives
        if negatives and settings.oos_negatives:
            extra = rng.sample(list(negatives), min(settings.oos_negatives, len(negatives)))
            candidates = torch.cat([positives, encode(extra)])
        targets = torch.arange(len(pairs))
        loss = functional.cross_entropy(anchors @ candidates.T * settings.scale, targets)
        loss = loss + functional.cross_entropy(positives @ anchors.T * settings.scale, targets)
        optimiser.zero_grad()
        (loss / 2).backward()  # type: ignore[no-untyped-call]
        optimiser.step()
        schedule.step()
        if progress is not None:
            progress(step + 1, steps)
    model.eval()

    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(str(out_dir))
    meta = {
        "name": name, "settings": asdict(settings), "steps": steps,
        "train_s": round(time.perf_counter() - started, 1),
        "categories": len(usable), "negatives": len(negatives),
    }  # fmt: skip
    (out_dir / "frontdesk.json").write_text(json.dumps(meta, indent=2))
    return SentenceTransformerEmbedder(out_dir)


def _fine_tuned_name(
    examples: Mapping[str, Sequence[str]],
    negatives: Sequence[str],
    settings: FineTuning,
    base: str | None,
) -> str:
    digest = hashlib.sha256(json.dumps(asdict(settings), sort_keys=True).encode())
    digest.update((base or "bundled").encode())
    for category in sorted(examples):
        digest.update(category.encode())
        for text in examples[category]:
            digest.update(b"\0" + text.encode())
    for text in negatives:
        digest.update(b"\1" + text.encode())
    return f"all-MiniLM-L6-v2+ft/{digest.hexdigest()[:12]}"
