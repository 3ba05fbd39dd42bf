"""Retrieval metrics against graded judgments, computed by hand on small rankings."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from frontdesk.errors import InvalidInput
from frontdesk.knowledge.evaluation import ranking_metrics, read_qrels, read_queries


def test_ranking_metrics_by_hand() -> None:
    grades = [2, None, 4, 3, 1]
    strict = ranking_metrics(grades, relevant=3)
    assert strict["P@1"] == 0.0
    assert strict["P@5"] == pytest.approx(2 / 5)
    assert strict["MRR"] == pytest.approx(1 / 3)
    assert strict["Success@5"] == 1.0
    assert strict["Success@1"] == 0.0
    assert strict["_dcg"] == pytest.approx(3 / math.log2(4) + 2 / math.log2(5))
    loose = ranking_metrics(grades, relevant=2)
    assert loose["P@1"] == 1.0
    assert loose["MRR"] == 1.0
    # optimistic: the unjudged passage is dropped before scoring, moving the rest up
    optimistic = ranking_metrics([g for g in grades if g is not None], relevant=3)
    assert optimistic["MRR"] == pytest.approx(1 / 2)


def test_qrels_in_every_supported_shape(tmp_path: Path) -> None:
    path = tmp_path / "qrels.txt"
    path.write_text(
        "1 3-Incomplete ADAM_0003147_Sec2.txt\n"
        "1 0 GARD_0000001_Sec1 4\n"
        '{"id": "q2", "doc_id": "X_1_Sec1", "grade": 2}\n'
    )
    assert read_qrels(path) == {
        "1": {"ADAM_0003147_Sec2": 3, "GARD_0000001_Sec1": 4},
        "q2": {"X_1_Sec1": 2},
    }


def test_bad_qrels_and_queries_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "qrels.txt"
    path.write_text("1 3-Incomplete ADAM_1_Sec2\n1 excellent ADAM_1_Sec3\n")
    with pytest.raises(InvalidInput, match=r"qrels\.txt line 2: expected `qid grade docid`"):
        read_qrels(path)
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": 1, "text": "gout"}\n{"text": "no id"}\n')
    with pytest.raises(InvalidInput, match=r"q\.jsonl line 2"):
        read_queries(queries)
