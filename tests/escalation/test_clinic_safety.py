"""The clinic's safety gate end to end: what a fired message gets (the reply of its class first,
a P0 ticket with the evidence, the decision log, a trace span), what a near miss gets (the
router, with the gate's verdict recorded), and the shipped artefacts agreeing with each other.

How well the gate does is measured on the triage corpus (`frontdesk eval gate`,
docs/safety.md), not here; these messages were written for the tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from frontdesk.apps.clinic.safety import (
    CLASSIFIER_FILE,
    CRISIS_REPLY,
    GATE_FILE,
    MEDICAL_EMERGENCY_REPLY,
    RISK_CLASSES,
    clinic_gate,
    clinic_red_flags,
    operating_points,
)
from frontdesk.runtime import App
from frontdesk.safety.classifier import AdapterClassifier
from frontdesk.telemetry import Telemetry


async def test_an_emergency_gets_911_first_and_a_p0_ticket_with_the_evidence(
    clinic: Callable[[], App],
) -> None:
    async with clinic() as app:
        reply = await app.respond("c1", "my dad's face is drooping on one side and he can't talk")
        assert (reply.category, reply.action, reply.stop_reason) == (
            "emergency", "escalate", "escalated",
        )  # fmt: skip
        assert reply.reply.startswith(MEDICAL_EMERGENCY_REPLY)
        ticket = await app.store.get_escalation(reply.escalation_id or "")
        assert ticket is not None
        assert (ticket.priority, ticket.reason) == (0, "emergency")
        safety = ticket.package["safety"]
        assert safety["fired"]
        assert safety["class"] == "medical_emergency"
        assert safety["evidence"]
        assert "safety gate fired for medical_emergency" in ticket.package["reason_detail"]
        (decision,) = await app.store.decisions("c1")
        assert decision.reason == "safety:medical_emergency"
        assert decision.safety is not None
        assert decision.safety["fired"]


async def test_a_crisis_gets_988_first(clinic: Callable[[], App]) -> None:
    async with clinic() as app:
        reply = await app.respond("c1", "I have a plan to kill myself tonight")
        assert reply.reply.startswith(CRISIS_REPLY)
        (decision,) = await app.store.decisions("c1")
        assert decision.safety is not None
        assert decision.safety["class"] == "self_harm"


async def test_an_emergency_buried_in_a_billing_question_comes_first(
    clinic: Callable[[], App],
) -> None:
    async with clinic() as app:
        reply = await app.respond(
            "c1",
            "I was charged twice for my visit last week and want a refund. Also I've had "
            "crushing chest pain for the last half hour and my left arm is numb.",
        )
        assert reply.action == "escalate"
        assert reply.category == "emergency"
        assert reply.reply.startswith(MEDICAL_EMERGENCY_REPLY)


async def test_near_misses_go_to_the_router_with_the_verdict_recorded(
    clinic: Callable[[], App],
) -> None:
    texts = [
        "I need an itemized bill for my ER visit for chest pain last March",
        "what are the warning signs of a stroke?",
        "no fever, no rash, just a runny nose, can I book a visit",
    ]
    async with clinic() as app:
        for number, text in enumerate(texts):
            reply = await app.respond(f"n{number}", text)
            assert reply.category != "emergency", text
            (decision,) = await app.store.decisions(f"n{number}")
            assert decision.safety is not None, text
            assert decision.safety["fired"] is False, text
            assert decision.safety["evidence"] == []


async def test_route_carries_the_verdict_and_counts_its_time(
    clinic: Callable[[], App],
) -> None:
    async with clinic() as app:
        fired = await app.route("I swallowed a whole bottle of pills")
        calm = await app.route("can I pay my bill in installments")
    assert fired.to_json()["safety"]["fired"]
    assert fired.action == "escalate"
    assert calm.to_json()["safety"]["fired"] is False
    assert calm.safety is not None
    assert calm.latency_ms >= calm.safety.latency_ms > 0


async def test_the_check_is_a_span_of_the_request(clinic: Callable[[], App]) -> None:
    spans = InMemorySpanExporter()
    async with clinic() as app:
        app.telemetry = Telemetry(exporter=spans)
        await app.respond("c1", "he collapsed and isn't breathing")
        app.telemetry.flush()
    (check,) = [s for s in spans.get_finished_spans() if s.name == "safety_check safety"]
    attributes = dict(check.attributes or {})
    assert attributes["frontdesk.safety.fired"] is True
    assert attributes["frontdesk.safety.class"] == "medical_emergency"
    # the evidence quotes the user: only with content capture on
    assert "frontdesk.safety.evidence" not in attributes


def test_the_shipped_operating_points_match_the_shipped_classifier_and_rules() -> None:
    points = operating_points()
    classifier = AdapterClassifier.load(CLASSIFIER_FILE)
    rules = clinic_red_flags()
    assert set(points) == set(RISK_CLASSES) == set(classifier.labels)
    for point in points.values():
        assert point.version == f"{classifier.version}+rules-{rules.version}", (
            "retrain: python bench/train_safety_gate.py (the rules or classifier changed "
            "since the thresholds were chosen)"
        )
        assert point.floor_met
        assert point.recall_bound >= point.floor
    record = json.loads(GATE_FILE.read_text())
    assert record["classifier"]["version"] == classifier.version
    gate = clinic_gate()
    assert {d.risk_class: d.threshold for d in gate.detectors} == {
        c: p.threshold for c, p in points.items()
    }


def test_the_shipped_thresholds_catch_every_calibration_emergency() -> None:
    """Recall first: each recorded point was chosen so that no calibration emergency of its
    class is left uncaught (`calibrate(misses=0)`)."""
    for point in operating_points().values():
        assert point.recall == 1.0


def test_settled_messages_and_service_complaints_clear_the_medical_classifier() -> None:
    gate = clinic_gate()
    medical, self_harm = (
        next(d for d in gate.detectors if d.risk_class == c) for c in RISK_CLASSES
    )
    settled = (
        "Last night my 2yo had a febrile seizure, the ambulance came and the hospital checked "
        "her over and sent us home. She's back to herself today. Do we need a follow-up?"
    )
    complaint = "Terrible experience today, long lines, disorganized, nobody knew what was going on"
    for text in (settled, complaint):
        assert medical.score(text).score == 0.0
        assert not gate.screen(text).fired
    # the same words with a symptom in them are scored as usual
    assert medical.score(complaint + ", and now my chest is crushing").score == 1.0
    # the self-harm detector is not cleared: a crisis may be written as a complaint
    crisis = "the staff were rude again. I won't be a burden much longer, the pills are ready"
    assert self_harm.score(crisis).score == 1.0
    assert gate.screen(crisis).risk_class == "self_harm"


def test_a_missing_or_broken_gate_file_is_a_clear_error(tmp_path: Path) -> None:
    import pytest

    from frontdesk.errors import ConfigError

    (tmp_path / "gate.json").write_text("{")
    with pytest.raises(ConfigError, match="cannot read the safety gate"):
        clinic_gate(points=tmp_path / "gate.json")
