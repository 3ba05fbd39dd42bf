"""End-to-end behaviour of the router → specialist runtime on a toy app."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from frontdesk.agents import Limits
from frontdesk.errors import InvalidInput, StoreError
from frontdesk.models import ScriptedModel
from frontdesk.models.testing import tool_call_response
from frontdesk.routing import EmbeddingRouter
from frontdesk.tools import ToolContext

from .toy import toy_app


async def test_routes_to_the_specialist_and_fills_the_reply(tmp_path: Path) -> None:
    async with toy_app(tmp_path) as app:
        reply = await app.respond("conv-1", "I think I was billed two times for one visit")
    assert reply.agent == "billing"
    assert reply.category == "billing"
    assert reply.action == "answer"
    assert reply.stop_reason == "completed"
    assert 0.5 <= reply.confidence <= 1.0
    assert reply.usage.input_tokens == 10
    assert reply.usage.output_tokens == 5
    assert len(reply.trace_id) == 32
    assert reply.latency_ms > 0
    assert reply.escalation_id is None


async def test_history_survives_a_new_app_instance(tmp_path: Path) -> None:
    async with toy_app(tmp_path) as app:
        await app.respond("conv-1", "can I get a refund for last week")
    async with toy_app(tmp_path) as app:
        reply = await app.respond("conv-1", "and what's my balance now")
        history = await app.store.history("conv-1")
    assert "can I get a refund for last week" in reply.reply
    assert [m.role for m in history] == ["user", "assistant", "user", "assistant"]


async def test_unclear_message_is_clarified_then_answered(tmp_path: Path) -> None:
    async with toy_app(tmp_path) as app:
        first = await app.respond("conv-1", "tell me a joke about the moon")
        assert first.action == "clarify"
        assert first.agent == "clarification"
        assert first.stop_reason == "completed"
        ambiguous = await app.respond("conv-2", "I have a question about friday")
        if ambiguous.action == "clarify":
            assert "(1)" in ambiguous.reply or "is this about" in ambiguous.reply
            follow = await app.respond("conv-2", "2")
            assert follow.action == "answer"


async def test_clarification_answer_routes_the_original_question(tmp_path: Path) -> None:
    async with toy_app(tmp_path) as app:
        first = await app.respond("conv-1", "what's the weather like for my trip")
        assert first.action == "clarify"
        second = await app.respond("conv-1", "sorry, it's about an appointment")
        assert second.agent == "scheduling"
        assert "what's the weather like for my trip" in second.reply


async def test_repeated_clarification_escalates(tmp_path: Path) -> None:
    async with toy_app(tmp_path) as app:
        actions = [
            (await app.respond("conv-1", text)).action
            for text in ("tell me a joke", "who won the game", "best pizza recipe")
        ]
        escalations = await app.store.list_escalations(conversation_id="conv-1")
    assert actions == ["clarify", "clarify", "escalate"]
    assert [e.reason for e in escalations] == ["repeated_clarification"]


async def test_emergency_escalates_with_a_safety_reply(tmp_path: Path) -> None:
    async with toy_app(tmp_path) as app:
        reply = await app.respond("conv-1", "my dad collapsed and he is not breathing")
        (escalation,) = await app.store.list_escalations(conversation_id="conv-1")
    assert reply.action == "escalate"
    assert reply.stop_reason == "escalated"
    assert reply.category == "emergency"
    assert "911" in reply.reply
    assert reply.escalation_id == escalation.id
    assert escalation.priority == 0
    assert escalation.package["history"][0]["text"] == "my dad collapsed and he is not breathing"
    assert escalation.package["suggested_actions"]


async def test_person_request_escalates(tmp_path: Path) -> None:
    async with toy_app(tmp_path) as app:
        reply = await app.respond("conv-1", "can I talk to a real person about my bill")
        (escalation,) = await app.store.list_escalations(conversation_id="conv-1")
    assert reply.action == "escalate"
    assert escalation.reason == "person_requested"
    assert escalation.package["classification"]["category"] == "billing"


async def test_tool_loop_stops_at_the_iteration_limit_with_a_partial_answer(
    tmp_path: Path,
) -> None:
    looping = ScriptedModel(
        steps=[tool_call_response("search_knowledge", {"query": "refund"}, text="Checking…")],
        repeat_last=True,
    )
    async with toy_app(tmp_path, billing_model=looping, limits=Limits(max_steps=4)) as app:
        reply = await app.respond("conv-1", "can I get a refund")
        (ticket,) = await app.store.list_escalations(conversation_id="conv-1")
    # the limit stops the run with its partial answer, and (EscalationRules.stop_reasons) hands
    # the conversation to a person
    assert reply.stop_reason == "iteration_limit"
    assert (reply.action, reply.escalation_id) == ("escalate", ticket.id)
    assert ticket.reason == "iteration_limit"
    assert "step or model-call limit" in ticket.package["attempts"][0]["why"]
    assert len(looping.calls) == 4
    assert "Checking…" in reply.reply
    assert "step limit" in reply.reply


@pytest.mark.parametrize(
    ("conversation_id", "text", "message"),
    [
        ("conv-1", "", "empty"),
        ("conv-1", "   \n ", "empty"),
        ("conv-1", "x" * 5000, "over the limit"),
        ("bad id!", "hello", "invalid conversation id"),
        ("", "hello", "invalid conversation id"),
    ],
)
async def test_bad_input_is_refused_clearly_and_nothing_is_stored(
    tmp_path: Path, conversation_id: str, text: str, message: str
) -> None:
    async with toy_app(tmp_path) as app:
        with pytest.raises(InvalidInput, match=message):
            await app.respond(conversation_id, text)
        assert await app.store.history(conversation_id or "x") == []


async def test_two_hundred_concurrent_conversations_never_leak(tmp_path: Path) -> None:
    secrets = {f"conv-{i}": f"SECRET-{i:03d}-{i * 7919 % 10007}" for i in range(200)}
    async with toy_app(tmp_path) as app:
        first = await asyncio.gather(
            *(app.respond(c, f"refund please, my code is {s}") for c, s in secrets.items())
        )
        second = await asyncio.gather(*(app.respond(c, "and what is my balance") for c in secrets))
        graph = app._graph
        assert graph is not None
        for conversation_id, secret in secrets.items():
            others = [s for c, s in secrets.items() if c != conversation_id]
            stored = " ".join(m.text for m in await app.store.history(conversation_id))
            state = await graph.aget_state({"configurable": {"thread_id": conversation_id}})
            blob = stored + repr(state.values)
            assert secret in stored
            assert not any(o in blob for o in others), conversation_id
    for reply in [*first, *second]:
        own = secrets[reply.conversation_id]
        assert not any(s in reply.reply for s in secrets.values() if s != own)
    assert all(secrets[r.conversation_id] in r.reply for r in second if r.agent == "billing")


def test_sync_wrapper(tmp_path: Path) -> None:
    app = toy_app(tmp_path)
    try:
        reply = app.respond_sync("conv-1", "I need to book an appointment for next week")
        assert reply.agent == "scheduling"
    finally:
        app.close_sync()


def test_tool_context_is_per_request() -> None:
    ctx = ToolContext(conversation_id="a")
    assert ctx.tenant == "default"


async def test_a_blocked_answer_falls_back_is_recorded_and_escalates(tmp_path: Path) -> None:
    from frontdesk import App, GuardrailResult, RouterSpecialist, Specialist, guardrail
    from frontdesk.models.testing import text_response

    from .toy import BILLING, OUT_OF_SCOPE, SCHEDULING

    def no_dosing(text: str, ctx: object) -> GuardrailResult:
        return GuardrailResult.block("personal_dosing") if " mg" in text else GuardrailResult()

    risky = ScriptedModel(steps=[text_response("Take 800 mg of ibuprofen every 4 hours.")])
    pattern = RouterSpecialist(
        specialists=[
            Specialist(name="billing", description="bills", instructions="-", examples=BILLING,
                       model=risky, output_guardrails=[guardrail(no_dosing)],
                       safe_reply="I can't advise on that here.", escalate_on_block=True),
            Specialist(name="scheduling", description="appointments", instructions="-",
                       examples=SCHEDULING, model=risky),
        ],
        out_of_scope=OUT_OF_SCOPE,
    )  # fmt: skip
    async with App(pattern, data_dir=tmp_path) as app:
        reply = await app.respond("conv-1", "why is my bill so high this month")
        (escalation,) = await app.store.list_escalations(conversation_id="conv-1")
    assert reply.action == "escalate"
    assert reply.reply.startswith("I can't advise on that here.")
    assert "800 mg" not in reply.reply
    assert reply.escalation_id == escalation.id
    assert escalation.reason == "guardrail_blocked"
    (attempt,) = escalation.package["attempts"]
    assert attempt["blocked"] is True
    assert attempt["guardrail_events"] == [
        {"guardrail": "no_dosing", "stage": "output", "action": "block",
         "reason": "personal_dosing"}
    ]  # fmt: skip


async def test_an_emergency_after_a_clarifying_question_still_escalates(tmp_path: Path) -> None:
    async with toy_app(tmp_path) as app:
        first = await app.respond("conv-1", "tell me a joke")
        assert first.action == "clarify"
        reply = await app.respond("conv-1", "one of my kids collapsed and isn't breathing")
    assert reply.action == "escalate"
    assert reply.category == "emergency"
    assert "911" in reply.reply


@pytest.mark.parametrize(
    ("answer", "agent"),
    [("1", "billing"), ("the second one", "scheduling"), ("option 2", "scheduling"),
     ("it's about an appointment", "scheduling"), ("a bill", "billing")],
)  # fmt: skip
async def test_numbered_clarification_answers_pick_what_was_shown(
    tmp_path: Path, answer: str, agent: str
) -> None:
    async with toy_app(tmp_path) as app:
        first = await app.respond("conv-1", "who won the game last night")
        assert first.action == "clarify"
        assert "(1) a bill or payment" in first.reply
        assert "(2) an appointment" in first.reply
        second = await app.respond("conv-1", answer)
        (_, decision) = await app.store.decisions("conv-1")
    assert second.agent == agent
    assert decision.reason == "clarified"
    assert 0.0 <= decision.confidence < 0.5  # the router's probability when it asked


async def test_a_sentence_starting_with_one_is_not_an_ordinal(tmp_path: Path) -> None:
    async with toy_app(tmp_path) as app:
        await app.respond("conv-1", "who won the game last night")
        reply = await app.respond("conv-1", "one more thing, can I reschedule to friday")
    assert reply.agent == "scheduling"


async def test_a_trained_router_is_not_retrained_and_a_failed_open_closes_the_store(
    tmp_path: Path,
) -> None:
    app = toy_app(tmp_path)
    await app.open()
    router = app.router
    assert isinstance(router, EmbeddingRouter)
    assert router.trained
    await app.close()
    broken = toy_app(tmp_path / "other")
    broken.router = EmbeddingRouter(examples={"a": ["x"], "b": ["y"]})
    broken.router.train = lambda: (_ for _ in ()).throw(RuntimeError("boom"))  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="boom"):
        await broken.open()
    with pytest.raises(StoreError, match="not open"):
        await broken.store.history("c")


async def test_a_failed_turn_is_recorded_next_to_the_kept_message(tmp_path: Path) -> None:
    from frontdesk.models import FunctionModel

    def crash(messages: object, tools: object) -> object:
        raise ZeroDivisionError("bug in a model wrapper")

    async with toy_app(tmp_path, billing_model=FunctionModel(crash)) as app:  # type: ignore[arg-type]
        with pytest.raises(ZeroDivisionError):
            await app.respond("conv-1", "why is my bill so high")
        history = await app.store.history("conv-1")
    assert [(m.role, m.text) for m in history] == [
        ("user", "why is my bill so high"),
        ("system", "turn failed: ZeroDivisionError"),
    ]
