"""The trigger rules (`EscalationRules`), each with its reason code, on an app whose router is
scripted (tests/escalation/conftest.py: ROUTES)."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk.errors import ConfigError
from frontdesk.guards.limits import Limits
from frontdesk.models.testing import ScriptedModel, tool_call_response
from frontdesk.patterns import EscalationRules
from frontdesk.runtime import App

from .conftest import toy_app


async def _actions(app: App, conversation_id: str, *texts: str) -> list[str]:
    return [(await app.respond(conversation_id, text)).action for text in texts]


async def test_still_unsure_after_a_clarification_escalates(tmp_path: Path) -> None:
    async with toy_app(tmp_path) as app:
        assert await _actions(app, "c1", "huh", "hmm") == ["clarify", "escalate"]
        (ticket,) = await app.store.list_escalations(conversation_id="c1")
    assert (ticket.reason, ticket.confidence) == ("low_confidence", 0.45)
    assert ticket.package["reason_detail"] == (
        "router confidence 0.45 < 0.6 on the message after a clarification question"
    )
    (attempt,) = ticket.package["attempts"]
    assert attempt["agent"] == "clarification"
    assert attempt["answer"] == "hmm"
    assert "did you mean" in attempt["question"].lower() or "is this about" in attempt["question"]


async def test_a_confident_reading_after_a_clarification_is_asked_again(tmp_path: Path) -> None:
    # confidently off-topic is not "unsure": it gets another question, up to the limit
    async with toy_app(tmp_path) as app:
        assert await _actions(app, "c1", "huh", "off topic", "weather") == [
            "clarify", "clarify", "escalate",
        ]  # fmt: skip
        (ticket,) = await app.store.list_escalations(conversation_id="c1")
    assert ticket.reason == "repeated_clarification"
    assert ticket.package["reason_detail"] == (
        "the message would have been clarification 3 in a row (more than 2)"
    )
    assert [a["answer"] for a in ticket.package["attempts"]] == ["off topic", "weather"]


async def test_min_confidence_zero_switches_the_low_confidence_rule_off(tmp_path: Path) -> None:
    async with toy_app(tmp_path, rules=EscalationRules(min_confidence=0.0)) as app:
        assert await _actions(app, "c1", "huh", "hmm", "huh") == ["clarify", "clarify", "escalate"]
        (ticket,) = await app.store.list_escalations(conversation_id="c1")
    assert ticket.reason == "repeated_clarification"


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (None, ["clarify"] * 5),
        (1, ["clarify", "escalate"]),
        (0, ["escalate"]),
    ],
)
async def test_max_clarifications(tmp_path: Path, limit: int | None, expected: list[str]) -> None:
    rules = EscalationRules(max_clarifications=limit)
    async with toy_app(tmp_path, rules=rules) as app:
        texts = ["off topic", "weather", "jokes", "off topic", "weather"][: len(expected)]
        assert await _actions(app, "c1", *texts) == expected


async def test_sensitive_categories_by_default_and_when_configured(tmp_path: Path) -> None:
    async with toy_app(tmp_path / "a") as app:
        legal = await app.respond("c1", "I am suing you")
        emergency = await app.respond("c2", "somebody fell")
        tickets = {t.reason: t for t in await app.store.list_escalations()}
    assert (legal.action, legal.category) == ("escalate", "legal")
    assert emergency.reply.startswith("Call 911 now.")
    assert (tickets["emergency"].priority, tickets["legal"].priority) == (0, 2)
    assert tickets["emergency"].package["suggested_actions"][0].startswith("Call the patient")

    async with toy_app(tmp_path / "b", rules=EscalationRules(categories=())) as app:
        # legal has no specialist: without the rule, the bot asks what the user means
        assert await _actions(app, "c1", "I am suing you") == ["clarify"]
        assert await app.store.list_escalations() == []


async def test_priorities_and_sla_are_configurable(tmp_path: Path) -> None:
    rules = EscalationRules(priorities={"legal": 1}, suggestions={"legal": ["Call legal"]})
    async with toy_app(tmp_path, rules=rules) as app:
        reply = await app.respond("c1", "I am suing you")
        ticket = await app.store.get_escalation(reply.escalation_id or "")
    assert ticket is not None
    assert ticket.priority == 1
    assert ticket.sla_deadline == pytest.approx(ticket.created_at + 15 * 60)
    assert ticket.package["suggested_actions"] == ["Call legal"]


async def test_person_request_rule_can_be_switched_off(tmp_path: Path) -> None:
    async with toy_app(tmp_path / "on") as app:
        assert await _actions(app, "c1", "can I talk to a real person") == ["escalate"]
    async with toy_app(tmp_path / "off", rules=EscalationRules(person_requested=False)) as app:
        assert await _actions(app, "c1", "can I talk to a real person") == ["answer"]


@pytest.mark.parametrize(
    ("stop_reasons", "action"), [(("iteration_limit",), "escalate"), ((), "answer")]
)
async def test_a_limit_stop_escalates_unless_switched_off(
    tmp_path: Path, stop_reasons: tuple[str, ...], action: str
) -> None:
    looping = ScriptedModel(
        steps=[tool_call_response("no_such_tool", {}, text="Checking…")], repeat_last=True
    )
    rules = EscalationRules(stop_reasons=stop_reasons)  # type: ignore[arg-type]
    async with toy_app(tmp_path, rules=rules, billing_model=looping,
                       limits=Limits(max_steps=2)) as app:  # fmt: skip
        reply = await app.respond("c1", "my bill")
        tickets = await app.store.list_escalations()
        calls = len(looping.calls)
        if tickets:  # resuming the graph re-runs `escalate` only, not the specialist's tool loop
            await app.claim(tickets[0].id, "alice")
            await app.resolve(tickets[0].id, "alice", resume_bot=True)
            assert len(looping.calls) == calls
            assert len(await app.store.list_escalations()) == 1
    assert calls == 2
    assert (reply.stop_reason, reply.action) == ("iteration_limit", action)
    assert len(tickets) == (action == "escalate")
    if tickets:
        assert tickets[0].reason == "iteration_limit"
        assert tickets[0].package["attempts"][0]["agent"] == "billing"
        assert "Checking…" in reply.reply


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"min_confidence": 1.5}, "min_confidence must be in"),
        ({"max_clarifications": -1}, "max_clarifications must be"),
        ({"categories": "legal"}, "are collections"),
    ],
)
def test_bad_rules_are_a_config_error(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        EscalationRules(**options)  # type: ignore[arg-type]
