"""The clinic router on our held-out set (tests/data/clinic_route_eval.jsonl, never trained on):
category accuracy ≥ 93 % and emergency recall 100 % (the foundation issue's bar)."""

from __future__ import annotations

import json
from pathlib import Path

from frontdesk.apps.clinic import build_app
from frontdesk.apps.clinic.evaluation import is_correct, score
from frontdesk.config import load_settings

EVAL = Path(__file__).resolve().parent.parent / "data" / "clinic_route_eval.jsonl"


def test_scoring_rules() -> None:
    assert is_correct("billing", {"category": "billing", "action": "answer"})
    assert not is_correct("billing", {"category": "billing", "action": "clarify"})
    assert is_correct("legal", {"category": "legal", "action": "escalate"})
    assert is_correct("human", {"category": "billing", "action": "escalate"})
    assert is_correct("off_topic", {"category": None, "action": "clarify"})
    assert not is_correct("unclear", {"category": "general", "action": "answer"})


async def test_held_out_accuracy_and_emergency_recall(tmp_path: Path) -> None:
    items = [json.loads(line) for line in EVAL.read_text().splitlines() if line.strip()]
    assert len(items) >= 150
    app = build_app(load_settings({"data_dir": tmp_path}))
    async with app:
        decisions = [(await app.route(item["text"])).to_json() for item in items]
    result = score(zip(items, decisions, strict=True))
    assert result.emergency_recall == 1.0, result.errors
    assert result.accuracy >= 0.93, result.errors
    assert set(result.per_label) == {
        "medical_query", "billing", "scheduling", "general", "emergency", "legal",
        "complaint", "human", "unclear", "off_topic",
    }  # fmt: skip
