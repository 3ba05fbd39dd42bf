"""`frontdesk analyze FILE [--debate] [--json]`: as a user runs it (a real process), and its
error paths in-process (the same command, without paying the start-up per case)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from frontdesk.cli import cli

FRONTDESK = str(Path(sys.executable).with_name("frontdesk"))
REPORTS = Path(__file__).parent / "reports"
CONTRACT = {"labs", "medications", "diagnoses", "findings", "summary_markdown"}


def analyze(
    *args: str, data_dir: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(data_dir),
        "FRONTDESK_DATA_DIR": str(data_dir),
        **(env or {}),
    }
    return subprocess.run(
        [FRONTDESK, "analyze", *args], capture_output=True, text=True, timeout=300,
        env=environment, cwd=data_dir, check=False,
    )  # fmt: skip


def test_json_prints_the_contract_object_alone_on_stdout(tmp_path: Path) -> None:
    report = REPORTS / "05-nephrology-consult.txt"
    spans = tmp_path / "spans.jsonl"
    done = analyze(
        str(report), "--debate", "--json", data_dir=tmp_path,
        env={"FRONTDESK_TRACES": f"file:{spans}"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # nothing but the JSON on stdout
    # one trace: the pipeline, each stage and each analyst a span of it
    exported = [json.loads(line) for line in spans.read_text().splitlines()]
    assert len({span["context"]["trace_id"] for span in exported}) == 1
    names = {span["name"] for span in exported}
    assert {"invoke_agent report", "invoke_agent report.extract"} <= names
    assert {
        f"invoke_agent differential.{a}" for a in ("broad", "conservative", "specialist")
    } <= names
    assert set(result) >= CONTRACT
    assert result["stop_reason"] == "completed"
    labs = {(lab["name"], lab["value"]): lab for lab in result["labs"]}
    assert labs["Creatinine", 2.3]["unit"] == "mg/dL"
    assert labs["Creatinine", 2.3]["flag"] == "high"
    assert any(d["icd10"] == "E87.5" for d in result["diagnoses"])
    debate = result["debate"]
    assert {"analyses", "agreement", "requires_human_review"} <= set(debate)
    assert len(debate["analyses"]) == 3
    # the progress display went to stderr: a line per stage and per analyst
    for stage in ("ingest", "extract", "validate", "analyze", "debate", "report"):
        assert f"✓ {stage}" in done.stderr
    assert "  ✓ differential › specialist" in done.stderr


def test_a_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    done = analyze(str(tmp_path / "missing.txt"), "--json", data_dir=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip() == f"error: {tmp_path / 'missing.txt'}: no such file"


def test_without_json_it_prints_the_summary() -> None:
    result = CliRunner().invoke(cli, ["analyze", str(REPORTS / "02-diabetes-followup.txt")])
    assert result.exit_code == 0, result.stderr
    assert "Clinical summary" in result.stdout
    assert not result.stdout.lstrip().startswith("{")
    assert "✓ report" in result.stderr


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"  \n\n", "empty.txt: the file is empty"),
        ("scan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "scan.pdf: this is a PDF"),
        ("dump.bin", b"Hb 12\x00\x01\x02\x03", "dump.bin: this looks like a binary file"),
        ("latin1.txt", "Hémoglobine 12 g/dL".encode("latin-1"), "latin1.txt: not UTF-8 text"),
        (".", None, "is a directory"),
    ],
)
def test_unusable_files_are_clear_errors(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = CliRunner().invoke(cli, ["analyze", str(path), "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
