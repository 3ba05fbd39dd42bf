"""Choose the clinic router's settings by cross-validation on its *training* utterances.

    python bench/tune_clinic_router.py [--folds 5]

The held-out set in tests/data is never read here. For each setting (regularisation C, n-gram
weight, confidence threshold) it reports the cross-validated routing accuracy, counting a
prediction right when it names the true category with confidence ≥ threshold, or asks for
clarification on an `oos`/`unclear` example.
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
from sklearn.model_selection import StratifiedKFold

from frontdesk.apps.clinic import clinic_pattern
from frontdesk.embeddings import default_embedder
from frontdesk.routing import NOT_ROUTED, EmbeddingRouter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    pattern = clinic_pattern()
    router = pattern.build_router()
    assert isinstance(router, EmbeddingRouter)
    texts = [t for c in sorted(router.examples) for t in router.examples[c]]
    labels = np.asarray([c for c in sorted(router.examples) for _ in router.examples[c]])
    vectors = default_embedder().embed(texts)
    print(f"{len(texts)} training utterances, {len(set(labels))} labels")
    folds = list(
        StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=0).split(texts, labels)
    )
    thresholds = [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55]
    results: list[tuple[float, float, float, float]] = []
    for c_value, weight in itertools.product([2.0, 8.0, 32.0], [0.0, 0.5, 1.0, 1.5]):
        right = np.zeros(len(thresholds))
        for train, test in folds:
            model = EmbeddingRouter(
                examples=router.examples, regularisation=c_value, ngram_weight=weight,
                embedder=router.embedder,
            )  # fmt: skip
            model.fit([texts[i] for i in train], vectors[train], labels[train].tolist())
            probs = model.predict([texts[i] for i in test], vectors[test])
            classes = np.asarray(model.classes)
            top = classes[probs.argmax(axis=1)]
            conf = probs.max(axis=1)
            truth = labels[test]
            for k, threshold in enumerate(thresholds):
                routed = ~np.isin(top, list(NOT_ROUTED)) & (conf >= threshold)
                ok = np.where(np.isin(truth, list(NOT_ROUTED)), ~routed, routed & (top == truth))
                right[k] += ok.sum()
        accuracy = right / len(texts)
        results += [
            (float(a), c_value, weight, t) for a, t in zip(accuracy, thresholds, strict=True)
        ]
        best = int(accuracy.argmax())
        print(
            f"C={c_value:5.1f} ngram_weight={weight:.1f}  "
            + "  ".join(f"t={t:.2f}:{a:.3f}" for t, a in zip(thresholds, accuracy, strict=True))
            + f"   best t={thresholds[best]}"
        )
    print(choose(results))


def choose(results: list[tuple[float, float, float, float]], slack: float = 0.005) -> str:
    """The rule: the best (C, weight); at those, the highest threshold whose accuracy is within
    `slack` of the best — when thresholds tie within noise, prefer asking over guessing."""
    best = max(results)
    _, c_value, weight, _ = best
    same = [r for r in results if r[1] == c_value and r[2] == weight and r[0] >= best[0] - slack]
    accuracy, _, _, threshold = max(same, key=lambda r: r[3])
    return (
        f"chosen: C={c_value} ngram_weight={weight} threshold={threshold} "
        f"(cv accuracy {accuracy:.3f}; best {best[0]:.3f} at threshold {best[3]})"
    )


if __name__ == "__main__":
    main()
