"""`frontdesk knowledge …` run as a user runs it: a real process per call."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .corpus import QRELS, write_archive, write_folder

FRONTDESK = str(Path(sys.executable).with_name("frontdesk"))


def frontdesk(*args: str, data_dir: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(data_dir),
        "FRONTDESK_DATA_DIR": str(data_dir),
    }
    return subprocess.run(
        [FRONTDESK, "knowledge", *args], input=stdin, capture_output=True, text=True,
        timeout=300, env=environment, cwd=data_dir, check=False,
    )  # fmt: skip


def test_build_from_the_archive_as_shipped_then_list(tmp_path: Path) -> None:
    archive = write_archive(write_folder(tmp_path / "MedQuAD"), tmp_path / "MedQuAD.tar.gz")
    (tmp_path / "data").mkdir()
    done = frontdesk("build", str(archive), "--name", "nih", data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    assert "kept 13 passages" in done.stdout
    assert "Skipped 1: malformed XML" in done.stdout
    assert "pre-processing" not in done.stderr  # the quantiser's advice is not for users
    assert "Built the knowledge index 'nih' (13 passages" in done.stdout
    listed = frontdesk("list", "--json", data_dir=tmp_path / "data")
    assert [row["name"] for row in json.loads(listed.stdout)] == ["nih"]


def test_search_text_json_and_jsonl(installed: Path) -> None:
    done = frontdesk("search", "nih", "what sets off my gout attacks", "--k", "2",
                     data_dir=installed)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(" 1. What causes Gout ?  [GARD_0000001_Sec2, score ")
    assert "https://example.nih.gov/gout" in done.stdout
    as_json = json.loads(
        frontdesk("search", "nih", "gym prices", "--json", data_dir=installed).stdout
    )
    assert as_json["covered"] is False
    assert set(as_json["hits"][0]) == {"doc_id", "score", "source_url", "title"}
    lines = (
        json.dumps({"id": "q1", "text": "how do you treat shingles"}) + "\n"
        + "not json\n"
        + json.dumps({"id": 7, "text": "what is tremor"}) + "\n"
    )  # fmt: skip
    streamed = frontdesk("search", "nih", "--jsonl", "--k", "3", data_dir=installed, stdin=lines)
    assert streamed.returncode == 0, streamed.stderr
    rows = [json.loads(line) for line in streamed.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["q1", 7]
    assert rows[0]["hits"][0]["doc_id"] == "GARD_0000004_Sec3"
    assert len(rows[0]["hits"]) == 3
    assert all(r["ms"] > 0 for r in rows)
    assert "line 2: expected" in streamed.stderr


def test_eval_writes_metrics_a_plot_and_prose(installed: Path, tmp_path: Path) -> None:
    qrels = tmp_path / "qrels.txt"
    qrels.write_text(QRELS + "2 1-Incorrect GARD_0000001_Sec1.txt\n")
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        json.dumps({"id": "1", "text": "how are gout flares treated"}) + "\n"
        + json.dumps({"id": "2", "text": "how much is a gym membership"}) + "\n"
    )  # fmt: skip
    out = tmp_path / "eval"
    done = frontdesk("eval", "nih", "--qrels", str(qrels), "--queries", str(queries),
                     "--out", str(out), data_dir=installed)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "2 judged questions" in done.stdout
    assert "final: P@1 1.000" in done.stdout
    assert "Not covered: 1 questions have no passage graded 3-4; the index said so for 100%" in (
        done.stdout
    )
    report = json.loads((out / "report.json").read_text())
    assert [r["method"] for r in report["results"]] == ["bm25", "dense", "hybrid", "final"]
    assert (out / "retrieval.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("search", "missing", "gout"), "no knowledge index named 'missing'"),
        (("search", "nih"), "give either a query or --jsonl"),
        (("search", "nih", "gout", "--method", "magic"), "--method must be one of"),
        (("build", "nowhere.tar.gz", "--name", "x"), "does not exist"),
    ],
)
def test_bad_input_gets_one_clear_line(
    installed: Path, args: tuple[str, ...], message: str
) -> None:
    done = frontdesk(*args, data_dir=installed)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_failed_rebuild_leaves_the_current_index_in_place(
    installed: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("{not json}\n")
    done = frontdesk("build", str(empty), "--name", "nih", data_dir=installed)
    assert done.returncode == 2
    assert "has no passages to index" in done.stderr
    still = frontdesk("search", "nih", "what is tremor", "--json", data_dir=installed)
    assert json.loads(still.stdout)["hits"][0]["doc_id"] == "NINDS_0000007_Sec1"
    assert not list((installed / "knowledge" / "nih").glob(".building-*"))
