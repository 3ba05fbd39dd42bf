"""The telemetry benchmark scripts keep working (tiny runs; the figures come from full runs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(script: str, *args: str) -> object:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args, "--json"],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    return json.loads(out.stdout)


def test_telemetry_overhead_times_every_variant() -> None:
    results = run("telemetry_overhead.py", "--n", "10")
    assert isinstance(results, dict)
    assert list(results) == ["off", "on", "on + file", "on + file + content"]
    assert results["off"]["overhead_p50_us"] == 0


def test_redaction_recall_reports_both_sets() -> None:
    results = run("redaction_recall.py")
    assert isinstance(results, dict)
    assert results["phi_corpus.txt"]["overall"] == 1.0
    assert 0 < results["phi_heldout.txt"]["overall"] <= 1.0
