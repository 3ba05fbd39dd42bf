"""Measuring retrieval against graded judgments, the way TREC LiveQA-Med graded answers.

Grades are NIST's: 1 incorrect, 2 related, 3 incomplete, 4 excellent. "Relevant" is either
3–4 (answers the question, at least in part) or 2–4 (about the right thing). Metrics: P@1, P@5,
nDCG@10 (gain = grade − 1), MRR, Success@k, each over the questions that have at least one
relevant judged passage. The standard variant counts an unjudged passage as not relevant; the
optimistic one drops unjudged passages from the ranking first (what a deeper pool would most
likely have found). A question with no passage graded 3–4 is "not covered": the system should
say so, and `not_covered_rate` measures how often it does.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from frontdesk.errors import InvalidInput
from frontdesk.knowledge.index import KnowledgeIndex, Method, SearchHit

Judgments = dict[str, dict[str, int]]
LEVELS = {"3-4": 3, "2-4": 2}
_GRADE = re.compile(r"^([1-4])(?:-[A-Za-z]+)?$")


def read_qrels(path: Path) -> Judgments:
    """Judgments from `qid grade docid` lines (MedQuAD's LiveQA file: `1 3-Incomplete
    ADAM_0003147_Sec2.txt`), TREC's `qid 0 docid grade`, or JSON lines `{"id", "doc_id",
    "grade"}`. A line that is none of these is a clear error naming the line."""
    judgments: Judgments = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        qid, doc, grade = _qrel(line, f"{path.name} line {number}")
        judgments.setdefault(qid, {})[doc.removesuffix(".txt")] = grade
    if not judgments:
        raise InvalidInput(f"{path} holds no judgments")
    return judgments


def _qrel(line: str, where: str) -> tuple[str, str, int]:
    if line.lstrip().startswith("{"):
        try:
            record = json.loads(line)
            return str(record["id"]), str(record["doc_id"]), int(record["grade"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            raise InvalidInput(f'{where}: expected {{"id", "doc_id", "grade"}}') from None
    fields = line.split()
    if len(fields) == 3 and _GRADE.match(fields[1]):
        return fields[0], fields[2], int(fields[1][0])
    if len(fields) == 4 and _GRADE.match(fields[3]):
        return fields[0], fields[2], int(fields[3][0])
    raise InvalidInput(
        f"{where}: expected `qid grade docid` (grade 1-4, e.g. 3-Incomplete) or "
        f"`qid 0 docid grade`, got {line.strip()[:80]!r}"
    )


def read_queries(path: Path) -> list[tuple[str, str]]:
    """`(id, text)` pairs from JSON lines `{"id", "text"}`."""
    queries: list[tuple[str, str]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            queries.append((str(record["id"]), str(record["text"])))
        except (json.JSONDecodeError, KeyError, TypeError):
            raise InvalidInput(f'{path.name} line {number}: expected {{"id", "text"}}') from None
    if not queries:
        raise InvalidInput(f"{path} holds no queries")
    return queries


def grade(hit: SearchHit, judged: dict[str, int]) -> int | None:
    """The hit's judged grade (its aliases count: the same text under another id)."""
    grades = [judged[i] for i in (hit.passage.doc_id, *hit.passage.aliases) if i in judged]
    return max(grades) if grades else None


@dataclass(kw_only=True, slots=True)
class MethodResult:
    method: str
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)
    not_covered: dict[str, float] = field(default_factory=dict)
    judged_share: float = 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "method": self.method,
            "metrics": self.metrics,
            "latency_ms": self.latency_ms,
            "not_covered": self.not_covered,
            "judged_share_top5": self.judged_share,
        }


def ranking_metrics(grades: Sequence[int | None], relevant: int) -> dict[str, float]:
    """P@1, P@5, nDCG@10, MRR, Success@1/5/10 of one ranking (`None` = unjudged)."""
    rel = [g is not None and g >= relevant for g in grades]
    gains = [max((g or 1) - 1, 0) if g is not None and g >= relevant else 0 for g in grades]
    first = next((i for i, r in enumerate(rel) if r), None)
    return {
        "P@1": float(any(rel[:1])),
        "P@5": sum(rel[:5]) / 5,
        "MRR": 0.0 if first is None else 1.0 / (first + 1),
        "Success@1": float(any(rel[:1])),
        "Success@5": float(any(rel[:5])),
        "Success@10": float(any(rel[:10])),
        "_dcg": sum(g / math.log2(i + 2) for i, g in enumerate(gains[:10])),
    }


def evaluate(
    index: KnowledgeIndex,
    queries: Sequence[tuple[str, str]],
    judgments: Judgments,
    *,
    methods: Iterable[Method] = ("bm25", "dense", "hybrid", "final"),
    progress: Callable[[], None] | None = None,
) -> list[MethodResult]:
    """Each method's metrics over the judged queries, side by side in one run."""
    judged_queries = [(qid, text) for qid, text in queries if qid in judgments]
    if not judged_queries:
        raise InvalidInput("none of the queries has a judgment: do the ids match the qrels?")
    results: list[MethodResult] = []
    for method in methods:
        rankings: dict[str, list[SearchHit]] = {}
        times: list[float] = []
        covered_calls: dict[str, bool] = {}
        for qid, text in judged_queries:
            started = time.perf_counter()
            hits = index.search(text, k=10, method=method)
            times.append((time.perf_counter() - started) * 1000)
            rankings[qid] = hits
            covered_calls[qid] = index.covered(hits) if method == "final" else True
            if progress is not None:
                progress()
        results.append(_score(method, rankings, judgments, times, covered_calls))
    return results


def _score(
    method: str,
    rankings: dict[str, list[SearchHit]],
    judgments: Judgments,
    times: list[float],
    covered_calls: dict[str, bool],
) -> MethodResult:
    result = MethodResult(method=method)
    for level, relevant in LEVELS.items():
        for variant in ("standard", "optimistic"):
            per_query: list[dict[str, float]] = []
            for qid, hits in rankings.items():
                judged = judgments[qid]
                ideal = sorted((g - 1 for g in judged.values() if g >= relevant), reverse=True)
                if not ideal:
                    continue
                grades = [grade(h, judged) for h in hits]
                if variant == "optimistic":
                    grades = [g for g in grades if g is not None]
                scores = ranking_metrics(grades, relevant)
                idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal[:10]))
                scores["nDCG@10"] = scores.pop("_dcg") / idcg
                per_query.append(scores)
            if per_query:
                keys = per_query[0].keys()
                result.metrics[f"{level} {variant}"] = {
                    k: round(statistics.fmean(q[k] for q in per_query), 4) for k in keys
                } | {"questions": float(len(per_query))}
    ordered = sorted(times)
    result.latency_ms = {
        "p50": round(_percentile(ordered, 50), 2),
        "p95": round(_percentile(ordered, 95), 2),
        "p99": round(_percentile(ordered, 99), 2),
    }
    uncovered = [q for q in rankings if not any(g >= 3 for g in judgments[q].values())]
    covered = [q for q in rankings if q not in uncovered]
    result.not_covered = {
        "questions_not_covered": float(len(uncovered)),
        "said_not_covered": round(
            statistics.fmean(not covered_calls[q] for q in uncovered), 4
        ) if uncovered else float("nan"),
        "answered_when_covered": round(
            statistics.fmean(covered_calls[q] for q in covered), 4
        ) if covered else float("nan"),
    }  # fmt: skip
    top5 = [grade(h, judgments[q]) for q, hits in rankings.items() for h in hits[:5]]
    result.judged_share = round(sum(g is not None for g in top5) / max(len(top5), 1), 4)
    return result


def _percentile(ordered: Sequence[float], p: float) -> float:
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * p / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(results: Sequence[MethodResult], level: str = "3-4 optimistic") -> str:
    """One sentence per method, for people."""
    lines = []
    for r in results:
        m = r.metrics.get(level)
        if m is None:
            lines.append(f"{r.method}: no question has a passage graded {level.split()[0]}.")
            continue
        lines.append(
            f"{r.method}: P@1 {m['P@1']:.3f}, P@5 {m['P@5']:.3f}, nDCG@10 {m['nDCG@10']:.3f}, "
            f"MRR {m['MRR']:.3f}, Success@5 {m['Success@5']:.3f} over {int(m['questions'])} "
            f"questions ({level}); latency p50 {r.latency_ms['p50']:.1f} ms, "
            f"p95 {r.latency_ms['p95']:.1f} ms, p99 {r.latency_ms['p99']:.1f} ms."
        )
    return "\n".join(lines)


def plot(results: Sequence[MethodResult], path: Path) -> None:
    """A PNG: the main metrics per method (3–4 and 2–4, optimistic) and latency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["P@1", "P@5", "nDCG@10", "MRR", "Success@5"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for axis, level in zip(axes[:2], ("3-4 optimistic", "2-4 optimistic"), strict=True):
        width = 0.8 / max(len(results), 1)
        for i, r in enumerate(results):
            values = [r.metrics.get(level, {}).get(n, 0.0) for n in names]
            axis.bar([x + i * width for x in range(len(names))], values, width, label=r.method)
        axis.set_xticks([x + 0.4 - width / 2 for x in range(len(names))], names)
        axis.set_ylim(0, 1)
        axis.set_title(f"relevant = graded {level}")
        axis.legend(fontsize=8)
    axes[2].bar([r.method for r in results], [r.latency_ms["p50"] for r in results], label="p50")
    axes[2].scatter([r.method for r in results], [r.latency_ms["p95"] for r in results],
                    color="black", label="p95", zorder=3)  # fmt: skip
    axes[2].set_ylabel("ms per query")
    axes[2].set_title("latency")
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


__all__ = [
    "Judgments",
    "MethodResult",
    "evaluate",
    "grade",
    "plot",
    "ranking_metrics",
    "read_qrels",
    "read_queries",
    "summary",
]
