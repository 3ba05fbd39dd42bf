"""Fits the knowledge index's final ranker on judged questions, and chooses its "not covered"
threshold.

    python bench/knowledge_fit.py INDEX_FOLDER QUESTIONS.jsonl QRELS.jsonl
        [--out src/frontdesk/knowledge/data/ranker.json] [--said-not-covered 0.9]

Every judged candidate of every question becomes a row of the ranker's features, labelled 1 when
graded 3-4 ("answers the question"). A logistic regression over those rows is the ranker; its
probability is calibrated by construction on this data (the script prints the reliability by
decile and, with 5-fold cross-validation by question, the metrics a new question set would see).
The threshold is the top-hit probability at which at least `--said-not-covered` of the
questions with no passage graded 3-4 are answered "not covered".
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from frontdesk.knowledge.evaluation import read_qrels, read_queries
from frontdesk.knowledge.index import KnowledgeIndex
from frontdesk.knowledge.ranking import FEATURES, Ranker


def rows_for(index: KnowledgeIndex, text: str) -> tuple[list[str], np.ndarray]:
    query, candidates, lexical, dense, rrf = index.candidates(text)
    rows = index.features(query, candidates, lexical, dense, rrf)
    return [index.passages[int(i)].doc_id for i in candidates], rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("index", type=Path)
    parser.add_argument("questions", type=Path)
    parser.add_argument("qrels", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--said-not-covered", type=float, default=0.9)
    parser.add_argument("--c", type=float, default=1.0)
    args = parser.parse_args()
    index = KnowledgeIndex.load(args.index)
    judgments = read_qrels(args.qrels)
    questions = [(q, t) for q, t in read_queries(args.questions) if q in judgments]
    data: dict[str, tuple[list[str], np.ndarray]] = {q: rows_for(index, t) for q, t in questions}

    def fit(ids: list[str]) -> LogisticRegression:
        xs, ys = [], []
        for q in ids:
            docs, rows = data[q]
            for doc, row in zip(docs, rows, strict=True):
                grade = judgments[q].get(doc)
                if grade is not None:
                    xs.append(row[1:])
                    ys.append(int(grade >= 3))
        model = LogisticRegression(C=args.c, max_iter=2000)
        model.fit(np.asarray(xs), np.asarray(ys))
        return model

    def top_scores(model: LogisticRegression, q: str) -> tuple[float, list[str]]:
        docs, rows = data[q]
        p = model.predict_proba(rows[:, 1:])[:, 1]
        order = np.argsort(-p, kind="stable")
        return float(p[order[0]]), [docs[i] for i in order[:10]]

    ids = [q for q, _ in questions]
    random.Random(3).shuffle(ids)
    folds = [ids[i::5] for i in range(5)]
    held: dict[str, tuple[float, list[str]]] = {}
    pairs: list[tuple[float, int]] = []  # held-out (probability, graded 3-4) of judged passages
    for k, fold in enumerate(folds):
        model = fit([q for j, f in enumerate(folds) if j != k for q in f])
        for q in fold:
            held[q] = top_scores(model, q)
            docs, rows = data[q]
            for doc, p in zip(docs, model.predict_proba(rows[:, 1:])[:, 1], strict=True):
                if doc in judgments[q]:
                    pairs.append((float(p), int(judgments[q][doc] >= 3)))
    report("5-fold cross-validated", index, held, judgments, args.said_not_covered)
    reliability(pairs)

    model = fit(ids)
    full = {q: top_scores(model, q) for q in ids}
    threshold = report("fitted on all", index, full, judgments, args.said_not_covered)
    weights = {"bias": float(model.intercept_[0])} | {
        f: float(w) for f, w in zip(FEATURES[1:], model.coef_[0], strict=True)
    }
    ranker = Ranker.from_json({
        "weights": weights,
        "threshold": round(threshold, 4),
        "note": f"logistic regression on {len(ids)} judged questions ({args.questions.name}); "
        f"threshold: >= {args.said_not_covered:.0%} of uncovered questions said not covered",
    })  # fmt: skip
    print(json.dumps(ranker.to_json(), indent=2))
    if args.out:
        args.out.write_text(json.dumps(ranker.to_json(), indent=2) + "\n")


def reliability(pairs: list[tuple[float, int]]) -> None:
    """Expected calibration error over 10 equal-width bins, and each bin's mean probability
    against its share of passages graded 3-4."""
    bins: list[list[tuple[float, int]]] = [[] for _ in range(10)]
    for p, y in pairs:
        bins[min(int(p * 10), 9)].append((p, y))
    ece = sum(
        len(b) / len(pairs) * abs(np.mean([p for p, _ in b]) - np.mean([y for _, y in b]))
        for b in bins
        if b
    )
    shown = ", ".join(
        f"{np.mean([p for p, _ in b]):.2f}→{np.mean([y for _, y in b]):.2f} ({len(b)})"
        for b in bins
        if b
    )
    print(f"calibration, held out: ECE {ece:.3f} over {len(pairs)} judged passages; {shown}")


def report(
    title: str,
    index: KnowledgeIndex,
    results: dict[str, tuple[float, list[str]]],
    judgments: dict[str, dict[str, int]],
    target: float,
) -> float:
    p1 = []
    success = []
    uncovered = []
    covered = []
    for q, (top, docs) in results.items():
        judged = judgments[q]
        grades = [judged[d] for d in docs if d in judged]
        if any(g >= 3 for g in judged.values()):
            p1.append(bool(grades) and grades[0] >= 3)
            covered.append(top)
        else:
            uncovered.append(top)
        if any(g >= 2 for g in judged.values()):
            success.append(any(g >= 2 for g in grades[:5]))
    uncovered.sort()
    cut = uncovered[min(int(np.ceil(target * len(uncovered))), len(uncovered) - 1)] + 1e-6
    answered = np.mean([c >= cut for c in covered])
    print(
        f"{title}: P@1 (3-4, optimistic) {np.mean(p1):.3f} over {len(p1)}, Success@5 (2-4) "
        f"{np.mean(success):.3f}; threshold {cut:.3f} says not covered for "
        f"{np.mean([u < cut for u in uncovered]):.1%} of {len(uncovered)} uncovered and answers "
        f"{answered:.1%} of {len(covered)} covered"
    )
    return cut


if __name__ == "__main__":
    main()
