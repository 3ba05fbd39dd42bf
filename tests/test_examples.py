"""Every example is a real program: run each one and check what it prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(name: str, tmp_path: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True, text=True, timeout=300, check=False,
        env={"PATH": "/usr/bin:/bin", "FRONTDESK_DATA_DIR": str(tmp_path), "HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
def test_routing_example(tmp_path: Path) -> None:
    out = run("routing.py", tmp_path)
    assert "[orders answer" in out
    assert "'status': 'shipped'" in out or '"status": "shipped"' in out
    assert "[returns answer" in out
    assert "clarify" in out


@pytest.mark.slow
def test_clinic_demo(tmp_path: Path) -> None:
    out = run("clinic_demo.py", tmp_path)
    assert "bot> [billing · answer" in out
    assert "duplicate" in out.lower()
    assert "escalate" in out


@pytest.mark.slow
def test_budgets_example(tmp_path: Path) -> None:
    out = run("budgets.py", tmp_path)
    assert "stop_reason=budget_exceeded action=escalate" in out
    assert "model calls made: 9, cost $0.0810 of $0.10" in out
    assert "line items stored: 9" in out
    assert "the request budget of $0.1000 would be exceeded" in out
    assert "Let me look that up." in out
