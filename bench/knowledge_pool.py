"""Builds judging pools for a knowledge index: for each question, the union of the top passages
of every retrieval method, shuffled so a judge can't tell which method found what.

    python bench/knowledge_pool.py INDEX_FOLDER QUESTIONS.jsonl OUT.jsonl [--depth 5]
        [--judged QRELS.jsonl]   # leave out passages already judged for that question

Each output line: {"id", "question", "candidates": [{"doc_id", "title", "text"}]} with the
passage text cut to 900 characters (what a judge reads).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from frontdesk.knowledge.evaluation import read_qrels, read_queries
from frontdesk.knowledge.index import METHODS, KnowledgeIndex


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("index", type=Path)
    parser.add_argument("questions", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--depth", type=int, default=5)
    parser.add_argument("--judged", type=Path)
    parser.add_argument("--methods", default=",".join(METHODS))
    args = parser.parse_args()
    index = KnowledgeIndex.load(args.index)
    judged = read_qrels(args.judged) if args.judged else {}
    rng = random.Random(7)
    total = 0
    with args.out.open("w") as out:
        for qid, text in read_queries(args.questions):
            pool: dict[str, dict[str, str]] = {}
            for method in args.methods.split(","):
                for hit in index.search(text, k=args.depth, method=method):  # type: ignore[arg-type]
                    p = hit.passage
                    if p.doc_id in judged.get(qid, {}) or p.doc_id in pool:
                        continue
                    pool[p.doc_id] = {"doc_id": p.doc_id, "title": p.title, "text": p.text[:900]}
            candidates = list(pool.values())
            rng.shuffle(candidates)
            total += len(candidates)
            if candidates:
                out.write(
                    json.dumps({"id": qid, "question": text, "candidates": candidates}) + "\n"
                )
    print(f"{total} passages to judge")


if __name__ == "__main__":
    main()
