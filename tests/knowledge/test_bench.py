"""The benchmark scripts that pool passages for judging and fit the ranker keep working (tiny
runs on the test corpus; the shipped ranker comes from the full run in bench/RESULTS.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from frontdesk.knowledge.ranking import FEATURES, Ranker

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = {
    "q1": ("what sets off gout attacks", {"GARD_0000001_Sec2": 4, "GARD_0000001_Sec1": 2}),
    "q2": ("how is asthma treated", {"GARD_0000002_Sec2": 4, "GARD_0000002_Sec1": 2}),
    "q3": ("can asthma attacks be prevented", {"GARD_0000002_Sec3": 4, "GARD_0000002_Sec2": 2}),
    "q4": ("is marrow kessler inherited", {"GARD_0000003_Sec2": 4, "GARD_0000003_Sec1": 2}),
    "q5": ("shingles vaccine who should get it", {"GARD_0000004_Sec2": 4, "GARD_0000004_Sec1": 2}),
    "q6": ("what is tremor", {"NINDS_0000007_Sec1": 4, "GARD_0000002_Sec1": 1}),
    "q7": ("what is a kidney stone", {"ADAM_0000042_Sec1": 4, "GARD_0000001_Sec1": 1}),
    "q8": ("how much is a gym membership", {"GARD_0000002_Sec1": 1, "GARD_0000001_Sec1": 1}),
    "q9": ("best pizza in town", {"GARD_0000001_Sec2": 1, "GARD_0000004_Sec1": 1}),
    "q10": ("shingles pills", {"GARD_0000004_Sec3": 3, "GARD_0000004_Sec1": 2}),
}  # fmt: skip


def test_pool_then_fit_a_ranker(built_index: Path, tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        "".join(json.dumps({"id": q, "text": t}) + "\n" for q, (t, _) in QUESTIONS.items())
    )
    qrels = tmp_path / "qrels.jsonl"
    qrels.write_text(
        "".join(
            json.dumps({"id": q, "doc_id": d, "grade": g}) + "\n"
            for q, (_, judged) in QUESTIONS.items()
            for d, g in judged.items()
        )
    )
    pool = tmp_path / "pool.jsonl"
    run("bench/knowledge_pool.py", str(built_index), str(questions), str(pool), "--depth", "2",
        "--judged", str(qrels))  # fmt: skip
    pooled = [json.loads(line) for line in pool.read_text().splitlines()]
    assert pooled
    for row in pooled:
        judged = QUESTIONS[row["id"]][1]
        assert all(c["doc_id"] not in judged for c in row["candidates"])  # only new passages
        assert all(len(c["text"]) <= 900 for c in row["candidates"])
    out = tmp_path / "ranker.json"
    printed = run("bench/knowledge_fit.py", str(built_index), str(questions), str(qrels),
                  "--out", str(out))  # fmt: skip
    assert "5-fold cross-validated: P@1" in printed
    ranker = Ranker.from_json(json.loads(out.read_text()))
    assert len(ranker.weights) == len(FEATURES)
    assert 0.0 < ranker.threshold < 1.0


def run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / script), *args],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout
