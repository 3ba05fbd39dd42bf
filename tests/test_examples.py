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


@pytest.mark.slow
def test_pipeline_example(tmp_path: Path) -> None:
    out = run("pipeline.py", tmp_path)
    assert "stop_reason=budget_exceeded at stage draft" in out
    assert "kept: language='en' category='billing'" in out
    assert "draft: failed, 2 model calls, $0.0420" in out
    assert "[3/5] validate finished" in out
    assert "lab Creatinine: 1.8 mg/dL high" in out
    assert "diagnosis 'diabetes' → E11.9 (negated)" in out


@pytest.mark.slow
def test_debate_example(tmp_path: Path) -> None:
    out = run("debate.py", tmp_path)
    wall = float(out.split("wall time ")[1].split(" s")[0])
    assert wall < 1.5  # the slowest analyst's 0.8 s and the hung one's 0.9 s timeout, not 2.5 s
    assert "agreement 1.00, confidence high, requires_human_review=False" in out
    assert "dropped: [('hangs', 'timeout')]" in out
    assert "  specialist: E11.65" in out  # "poorly controlled": with hyperglycaemia
    assert "  specialist: I12.9, D63.1" in out
    assert "option N18.9 Chronic kidney disease, unspecified" in out


@pytest.mark.slow
def test_escalation_example(tmp_path: Path) -> None:
    out = run("escalation.py", tmp_path)
    assert "reason=person_requested priority=2 due in 240 min" in out
    assert "bob: cannot claim escalation esc_" in out
    assert "it is claimed by alice" in out
    assert "[human escalate] A member of our team is looking after your conversation" in out
    assert "resolved: status=resolved resume_bot=True" in out
    # the bot is back, and its model saw the operator's last reply
    assert "[billing answer]" in out
    assert "last reply it saw: 'Yes, to the card you paid with.'" in out
    assert "6. system    Resolved by alice; the assistant answers from here." in out


@pytest.mark.slow
def test_knowledge_index_example(tmp_path: Path) -> None:
    out = run("knowledge_index.py", tmp_path)
    assert "kept 3 passages" in out
    assert "travelling to Ghana': covered; best travel-vaccines" in out
    assert "'best hotel in Lima': not covered" in out
    assert "cite: How can I reduce jet lag? https://example.org/travel/jet-lag" in out
