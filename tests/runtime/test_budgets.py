"""Budgets and limits on whole turns: an `App` over real HTTP against the local test server,
whose model is priced at $1 / $2 per million tokens (tests/priced.py). Every stop reason comes
back with the partial result, and what the reply says it cost is what the store holds."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from frontdesk import App, Budget, Limits, RouterSpecialist, Specialist, run_specialist, tool
from frontdesk.guardrails import model_guardrail
from frontdesk.messages import Message
from frontdesk.models import (
    FunctionModel,
    Model,
    ModelResponse,
    Price,
    PriceTable,
    Retrying,
    ScriptedModel,
    ToolDefinition,
    UnknownPrice,
    current_attempt,
)
from frontdesk.models._remote import ModelHTTPError
from frontdesk.models.base import ModelSettings
from frontdesk.models.openai import OpenAIModel
from frontdesk.models.testing import text_response, tool_call_response
from frontdesk.routing import CascadeRouter, RouteDecision, Router
from frontdesk.routing.base import Alternative, RouteContext
from frontdesk.runtime import RECURSION_LIMIT
from frontdesk.testing import ModelServer, Reply, ToolCall
from frontdesk.testing.replies import message_texts
from frontdesk.tools import ToolContext
from priced import INPUT_USD_PER_M, OUTPUT_USD_PER_M, priced_table


@tool
async def lookup_balance(account_id: str) -> dict[str, Any]:
    """Current balance of an account."""
    return {"account_id": account_id, "balance_usd": 120.5}


class BillingRouter(Router):
    """Sends everything to billing; `confidence` below 0.7 makes a cascade consult its model."""

    version = "fixed"

    def __init__(self, confidence: float = 1.0) -> None:
        self.confidence = confidence

    async def route(self, text: str, context: RouteContext | None = None) -> RouteDecision:
        sure = self.confidence >= 0.7
        return RouteDecision(
            category="billing", confidence=self.confidence,
            alternatives=[Alternative(category="billing", confidence=self.confidence)],
            action="answer" if sure else "clarify",
            reason="confident" if sure else "low_confidence", router_version=self.version,
        )  # fmt: skip


def build(
    data_dir: Path,
    model: Model,
    *,
    router: Router | None = None,
    limits: Limits | None = None,
    **app_options: Any,
) -> App:
    specialist_options = {
        k: app_options.pop(k)
        for k in ("budget_usd", "output_guardrails", "settings")
        if k in app_options
    }
    billing = Specialist(
        name="billing", description="bills and payments", instructions="You are the billing desk.",
        tools=[lookup_balance], model=model, **specialist_options,
    )  # fmt: skip
    pattern = RouterSpecialist(specialists=[billing], router=router or BillingRouter())
    prices = app_options.pop("prices", None) or priced_table()
    return App(
        pattern, name="budgets", data_dir=data_dir, prices=prices,
        limits=limits or Limits(max_steps=50), **app_options,
    )  # fmt: skip


def calls_a_tool_forever(body: dict[str, Any]) -> Reply:
    return Reply(
        text="Let me check that.",
        tool_calls=[ToolCall(name="lookup_balance", arguments={"account_id": "A-1"})],
        output_tokens=500,
    )


def answers(body: dict[str, Any]) -> Reply:
    return Reply(text="Your balance is $120.50.", output_tokens=500)


def cost(server: ModelServer) -> float:
    """What the server's answers so far cost at the test price (it reports words as tokens)."""
    total = 0.0
    for body, reply in zip(server.requests, server.replies, strict=True):
        prompt = sum(len(t.split()) for t in message_texts(body))
        total += (prompt * INPUT_USD_PER_M + reply * OUTPUT_USD_PER_M) / 1e6
    return total


class CountingServer(ModelServer):
    """A `ModelServer` that remembers the output tokens of each answer its responder gave."""

    def __init__(self) -> None:
        self.replies: list[int] = []
        self.answer = answers
        super().__init__(responder=self.respond)

    def respond(self, body: dict[str, Any]) -> Reply:
        reply = self.answer(body)
        self.replies.append(reply.output_tokens or 0)
        return reply


@pytest.fixture
def server() -> Iterator[CountingServer]:
    with CountingServer() as running:
        yield running
        assert running.errors == []


@pytest.fixture
async def model(server: ModelServer) -> AsyncIterator[OpenAIModel]:
    async with OpenAIModel("test-model", base_url=server.base_url) as opened:
        yield opened


async def test_a_model_calling_tools_forever_stops_at_the_budget_with_what_it_had(
    tmp_path: Path, server: CountingServer, model: OpenAIModel
) -> None:
    server.answer = calls_a_tool_forever
    async with build(tmp_path, model, budget=Budget(request_usd=0.01)) as app:
        reply = await app.respond("conv-1", "what is my balance on account A-1?")
        stored = await app.store.costs("conv-1")
        (escalation,) = await app.store.list_escalations(conversation_id="conv-1")
    assert reply.stop_reason == "budget_exceeded"
    assert reply.action == "escalate"
    assert reply.escalation_id == escalation.id
    assert escalation.reason == "budget_exceeded"
    assert escalation.package["attempts"][0]["stop_reason"] == "budget_exceeded"
    assert "Let me check that." in reply.reply
    assert "spending limit" in reply.reply
    assert "the request budget of $0.0100 would be exceeded" in (reply.error or "")
    # never overspent, and every call the server saw was charged: the refused one never left
    assert 0 < reply.cost_usd <= 0.01
    assert len(server.requests) >= 3
    assert len(stored) == len(server.requests)
    assert math.fsum(c.cost_usd for c in stored) == pytest.approx(reply.cost_usd)
    assert reply.cost_usd == pytest.approx(cost(server))
    assert reply.usage.output_tokens == 500 * len(server.requests)


async def test_a_budget_trip_can_answer_without_escalating(
    tmp_path: Path, server: CountingServer, model: OpenAIModel
) -> None:
    server.answer = calls_a_tool_forever
    app = build(tmp_path, model, budget=Budget(request_usd=0.01), escalate_on_budget=False)
    async with app:
        reply = await app.respond("conv-1", "what is my balance?")
        assert await app.store.list_escalations() == []
    assert (reply.stop_reason, reply.action, reply.escalation_id) == (
        "budget_exceeded", "answer", None,
    )  # fmt: skip
    assert "balance_usd" in reply.reply or "Let me check that." in reply.reply


async def test_a_conversation_budget_holds_across_requests_and_app_instances(
    tmp_path: Path, server: CountingServer, model: OpenAIModel
) -> None:
    budget = Budget(conversation_usd=0.003)  # one call's worst case is about $0.0023
    async with build(tmp_path, model, budget=budget) as app:
        first = await app.respond("conv-1", "what is my balance?")
    assert first.stop_reason == "completed"
    assert first.cost_usd == pytest.approx(cost(server))
    async with build(tmp_path, model, budget=budget) as app:  # another process, same store
        second = await app.respond("conv-1", "and my last payment?")
        other = await app.respond("conv-2", "what is my balance?")
    assert (second.stop_reason, second.cost_usd) == ("budget_exceeded", 0.0)
    assert "This conversation has reached its spending limit." in second.reply
    assert "conversation 'conv-1'" in (second.error or "")
    assert other.stop_reason == "completed"
    assert len(server.requests) == 2


async def test_a_tenant_daily_budget_rolls_up_its_conversations(
    tmp_path: Path, server: CountingServer, model: OpenAIModel
) -> None:
    async with build(tmp_path, model, budget=Budget(tenant_daily_usd=0.003)) as app:
        first = await app.respond("conv-1", "what is my balance?", tenant="acme")
        second = await app.respond("conv-2", "what is my balance?", tenant="acme")
        elsewhere = await app.respond("conv-3", "what is my balance?", tenant="globex")
    assert first.stop_reason == "completed"
    assert second.stop_reason == "budget_exceeded"
    assert "Today's spending limit has been reached." in second.reply
    assert elsewhere.stop_reason == "completed"


async def test_a_request_can_override_the_app_budget(
    tmp_path: Path, server: CountingServer, model: OpenAIModel
) -> None:
    async with build(tmp_path, model, budget=Budget(request_usd=0.0001)) as app:
        refused = await app.respond("conv-1", "what is my balance?")
        allowed = await app.respond("conv-2", "what is my balance?",
                                    budget=Budget(request_usd=0.05))  # fmt: skip
    assert refused.stop_reason == "budget_exceeded"
    assert allowed.stop_reason == "completed"
    assert len(server.requests) == 1


async def test_a_specialist_budget_caps_its_share_of_the_request(
    tmp_path: Path, server: CountingServer, model: OpenAIModel
) -> None:
    server.answer = calls_a_tool_forever
    app = build(tmp_path, model, budget=Budget(request_usd=1.0), budget_usd=0.004)
    async with app:
        reply = await app.respond("conv-1", "what is my balance?")
    assert reply.stop_reason == "budget_exceeded"
    assert "billing's budget of $0.004000" in (reply.error or "")
    assert 0 < reply.cost_usd <= 0.004


async def test_the_cascade_router_and_guardrail_calls_are_in_the_reply_totals(
    tmp_path: Path, server: CountingServer, model: OpenAIModel
) -> None:
    def respond(body: dict[str, Any]) -> Reply:
        system = body["messages"][0]["content"]
        if "Classify the user's message" in system:
            return Reply(text='{"category": "billing", "confidence": 0.9}', input_tokens=40,
                         output_tokens=12)  # fmt: skip
        if "against this policy" in system:
            return Reply(text="PASS", input_tokens=30, output_tokens=1)
        return Reply(text="Your balance is $120.50.", input_tokens=100, output_tokens=10)

    server.answer = respond
    cascade = CascadeRouter(local=BillingRouter(confidence=0.4), model=model,
                            categories={"billing": "bills and payments"})  # fmt: skip
    policy = model_guardrail(model, name="no-diagnosis", policy="Never diagnose.")
    app = build(tmp_path, model, router=cascade, budget=Budget(request_usd=0.05),
                output_guardrails=[policy])  # fmt: skip
    async with app:
        reply = await app.respond("conv-1", "what is my balance?")
        stored = await app.store.costs("conv-1")
    assert reply.stop_reason == "completed"
    assert [c.agent for c in stored] == ["router", "billing", "billing/guardrail:no-diagnosis"]
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (170, 23)
    assert reply.cost_usd == pytest.approx((170 * 1.0 + 23 * 2.0) / 1e6)


async def test_the_model_call_limit_stops_with_the_partial_result(tmp_path: Path) -> None:
    looping = ScriptedModel(
        steps=[tool_call_response("lookup_balance", {"account_id": "A-1"}, text="Checking…")],
        repeat_last=True,
    )
    async with build(tmp_path, looping, limits=Limits(max_steps=50, max_model_calls=3)) as app:
        reply = await app.respond("conv-1", "what is my balance?")
    assert reply.stop_reason == "iteration_limit"
    assert len(looping.calls) == 3
    assert "Checking…" in reply.reply
    assert "limit of model calls" in reply.reply
    assert "billing reached its limit of 3 model calls" in (reply.error or "")


async def test_the_wall_time_limit_stops_with_the_partial_result(tmp_path: Path) -> None:
    @tool
    async def slow_lookup(account_id: str) -> str:
        """A lookup that takes far too long."""
        await asyncio.sleep(30)
        return "never"

    looping = ScriptedModel(
        steps=[
            tool_call_response("lookup_balance", {"account_id": "A-1"}, text="Checking…"),
            tool_call_response("slow_lookup", {"account_id": "A-1"}, text="Still checking…"),
        ]
    )
    billing = Specialist(
        name="billing", description="bills", instructions="You are the billing desk.",
        tools=[lookup_balance, slow_lookup], model=looping, limits=Limits(timeout_s=0.3),
    )  # fmt: skip
    pattern = RouterSpecialist(specialists=[billing], router=BillingRouter())
    async with App(pattern, data_dir=tmp_path) as app:
        started = asyncio.get_running_loop().time()
        reply = await app.respond("conv-1", "what is my balance?")
        elapsed = asyncio.get_running_loop().time() - started
    assert reply.stop_reason == "timeout"
    assert reply.error == "no answer within 0.3 s"
    assert "Still checking…" in reply.reply
    assert "ran out of time" in reply.reply
    assert elapsed < 5


async def test_every_graph_invocation_sets_the_recursion_limit(
    tmp_path: Path, server: CountingServer, model: OpenAIModel
) -> None:
    seen: list[dict[str, Any]] = []
    async with build(tmp_path, model) as app:
        graph = app._graph
        assert graph is not None
        invoke = graph.ainvoke

        async def spy(*args: Any, **kwargs: Any) -> Any:
            seen.append(kwargs["config"])
            return await invoke(*args, **kwargs)

        graph.ainvoke = spy  # type: ignore[method-assign]
        await app.respond("conv-1", "what is my balance?")
        await app.respond("conv-1", "thanks")
    assert [c["recursion_limit"] for c in seen] == [RECURSION_LIMIT, RECURSION_LIMIT]
    assert all(c["configurable"] == {"thread_id": "conv-1"} for c in seen)


async def test_an_unpriced_model_is_refused_when_the_app_is_built(tmp_path: Path) -> None:
    mystery = OpenAIModel("mystery-model", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(UnknownPrice) as refused:
        build(tmp_path, mystery)
    assert refused.value.model == "openai:mystery-model"
    assert "specialist 'billing' uses openai:mystery-model, which has no price" in str(
        refused.value
    )
    assert "FRONTDESK_PRICES" in str(refused.value)


async def test_every_retry_attempt_counts_toward_the_model_call_limit() -> None:
    attempts: list[int] = []

    def flaky(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
        attempts.append(current_attempt())
        raise ModelHTTPError("function:flaky: HTTP 500", model="function:flaky", status_code=500)

    billing = Specialist(name="billing", description="bills", instructions="Billing desk.")
    model = Retrying(FunctionModel(flaky, model_name="flaky"), attempts=5, initial_delay=0.0,
                     jitter=False)  # fmt: skip
    result = await run_specialist(
        billing, "what is my balance?", model=model, ctx=ToolContext(conversation_id="c1"),
        limits=Limits(max_model_calls=2),
    )  # fmt: skip
    assert attempts == [1, 2]  # the third attempt was refused before it was made
    assert result.stop_reason == "iteration_limit"
    assert "billing reached its limit of 2 model calls" in (result.error or "")


async def test_an_output_guardrail_that_cannot_be_afforded_fails_closed(
    tmp_path: Path, server: CountingServer, model: OpenAIModel
) -> None:
    answering = ScriptedModel(steps=[text_response("You owe $120.50.")])
    policy = model_guardrail(model, name="no-diagnosis", policy="Never diagnose.")
    app = build(tmp_path, answering, budget=Budget(request_usd=0.0001),
                output_guardrails=[policy])  # fmt: skip
    async with app:
        reply = await app.respond("conv-1", "what do I owe?")
    assert reply.stop_reason == "budget_exceeded"
    assert "You owe" not in reply.reply  # not checked, so not released
    assert "A member of our staff can" in reply.reply
    assert "billing/guardrail:no-diagnosis's call" in (reply.error or "")
    assert server.requests == []


async def test_a_cascade_router_consulted_on_every_message_stops_at_the_budget(
    tmp_path: Path, server: CountingServer, model: OpenAIModel
) -> None:
    """The router's cost spiral: every message is uncertain, so the cascade calls its model each
    time, under a $0.05 conversation budget. The calls stop before the budget is passed (a
    router that cannot afford its model keeps the local decision), and so do the specialist's."""

    def respond(body: dict[str, Any]) -> Reply:
        if "Classify the user's message" in body["messages"][0]["content"]:
            return Reply(text='{"category": "billing", "confidence": 0.9}', output_tokens=12)
        return Reply(text="Your balance is $120.50.", output_tokens=40)

    server.answer = respond
    expensive = PriceTable.load_default().merged(
        [Price(model="openai:test-model", input=40.0, output=80.0, source="the tests")]
    )
    cascade = CascadeRouter(local=BillingRouter(confidence=0.4), model=model,
                            categories={"billing": "bills and payments"})  # fmt: skip
    # no escalation on the budget stop: the bot keeps answering (an escalated conversation's
    # messages would go to a person, and the router would not be consulted again)
    app = build(tmp_path, model, router=cascade, budget=Budget(conversation_usd=0.05),
                prices=expensive, settings=ModelSettings(max_output_tokens=100),
                escalate_on_budget=False)  # fmt: skip
    replies, calls = [], []
    async with app:
        for i in range(30):
            replies.append(await app.respond("conv-1", f"what is my balance? {'?' * i}"))
            calls.append(len(server.requests))
        stored = await app.store.costs("conv-1")
    reasons = [r.stop_reason for r in replies]
    first_stop = reasons.index("budget_exceeded")
    assert first_stop > 0
    assert set(reasons[:first_stop]) == {"completed"}
    # the router's call is cheaper than the specialist's, so it may still fit after the
    # specialist's no longer does; then nothing fits and the model is not called again
    assert calls[-10:] == [calls[-1]] * 10
    for after in replies[first_stop:]:  # degraded gracefully: no model answer
        assert "Your balance is $120.50." not in after.reply
    assert [c.agent for c in stored].count("router") > first_stop
    spent = sum(c.cost_usd for c in stored)
    assert 0.04 < spent <= 0.05
    assert sum(r.cost_usd for r in replies) == pytest.approx(spent)
    assert len(server.requests) == len(stored)  # every call is in the ledger
