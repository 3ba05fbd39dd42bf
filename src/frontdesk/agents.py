"""Specialists (inert configuration) and the tool-calling loop that runs them, with limits.

`Specialist` declares what an agent is; `run_specialist` executes one turn of it: guardrails on
the input, then model → tools → model … until the model answers without calling a tool, a limit
is hit (steps, model calls, wall time, budget), or the provider fails. Every ending returns an
`AgentResult` with a `stop_reason` and what the run had so far; nothing reaches the user as an
exception. Every model call of the run, guardrails' included, is metered by the request's cost
ledger (`RequestContext`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pydantic

from frontdesk.context import RequestContext
from frontdesk.errors import BudgetExceeded, BudgetScope, ConfigError, LimitExceeded, ModelError
from frontdesk.guardrails import (
    Guardrail,
    GuardrailContext,
    GuardrailEvent,
    apply_guardrails,
)
from frontdesk.guards.limits import Limits as Limits  # re-exported: its historic home
from frontdesk.knowledge import KnowledgeSource
from frontdesk.messages import (
    AssistantMessage,
    Message,
    SystemMessage,
    ToolReturn,
    Usage,
    UserMessage,
)
from frontdesk.models.base import Model, ModelSettings
from frontdesk.telemetry.tracing import DISABLED, Telemetry
from frontdesk.tools import Tool, ToolContext, render_result, tool

StopReason = Literal[
    "completed",
    "iteration_limit",
    "budget_exceeded",
    "timeout",
    "provider_unavailable",
    "escalated",
]

DEFAULT_SAFE_REPLY = (
    "I'm sorry, I can't help with that here. A member of our staff can: please call the clinic "
    "or ask me to connect you with a person."
)

BUDGET_REASONS: dict[BudgetScope, str] = {
    "agent": "I reached my spending limit for this message before finishing.",
    "request": "I reached the spending limit for this message before finishing.",
    "conversation": "This conversation has reached its spending limit.",
    "tenant_daily": "Today's spending limit has been reached.",
}
"""What a partial answer says when a budget stopped the run, by the budget that did."""


OfflineFactory = Callable[[ToolContext], Model]
"""Builds the deterministic stand-in model a specialist uses when no model is configured."""


@dataclass(kw_only=True, frozen=True)
class Specialist:
    """An agent's declaration: what it is for, how it talks, what it may use. Inert: running it
    is `run_specialist`'s job."""

    name: str
    description: str
    instructions: str
    tools: Sequence[Tool] = ()
    model: str | Model | None = None
    knowledge: KnowledgeSource | None = None
    examples: Sequence[str] = ()
    input_guardrails: Sequence[Guardrail] = ()
    output_guardrails: Sequence[Guardrail] = ()
    offline: OfflineFactory | None = None
    safe_reply: str = DEFAULT_SAFE_REPLY
    escalate_on_block: bool = False
    limits: Limits | None = None
    budget_usd: float | None = None
    """The most one turn of this specialist may spend, in USD, within the request's budget
    (None: only the request's budget applies)."""
    settings: ModelSettings | None = None
    """Settings of each model call (output-token cap, temperature, per-attempt timeout); None
    keeps `ModelSettings()`'s defaults."""

    def __post_init__(self) -> None:
        if self.budget_usd is not None and not self.budget_usd >= 0:
            raise ConfigError(
                f"specialist {self.name!r}: budget_usd must be a number of USD >= 0 (or None), "
                f"got {self.budget_usd!r}"
            )

    def all_tools(self) -> list[Tool]:
        """The declared tools plus `search_knowledge` when the specialist has a knowledge base."""
        tools = list(self.tools)
        if self.knowledge is not None:
            tools.append(knowledge_tool(self.knowledge))
        return tools


def knowledge_tool(knowledge: KnowledgeSource) -> Tool:
    """A `search_knowledge(query)` tool over a knowledge base or index."""

    async def search_knowledge(query: str) -> list[dict[str, str | bool]]:
        """Search the knowledge base; returns the best passages with their ids, titles and
        source URLs (cite them). An empty list means nothing relevant: say it isn't covered. A
        passage with "covered": false is only the closest match: say the information here
        doesn't answer the question, and offer its link."""
        hits = await asyncio.to_thread(knowledge.search, query)
        return [
            {"id": h.document.id, "title": h.document.title, "text": h.document.text}
            | ({"url": h.document.url} if h.document.url else {})
            | ({} if h.covered else {"covered": False})
            for h in hits
        ]

    return tool(search_knowledge)


@dataclass(kw_only=True, slots=True)
class ToolCallRecord:
    """One tool call made during a run, with its outcome."""

    name: str
    arguments: dict[str, Any]
    result: str
    is_error: bool = False


@dataclass(kw_only=True, slots=True)
class AgentResult:
    """The outcome of one specialist turn."""

    agent: str
    text: str
    stop_reason: StopReason
    model: str
    steps: int = 0
    usage: Usage = field(default_factory=Usage)
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    guardrail_events: list[GuardrailEvent] = field(default_factory=list)
    blocked: bool = False
    escalate_reason: str | None = None
    error: str | None = None
    latency_ms: float = 0.0
    cost_usd: float = 0.0
    """What the run's model calls cost, every attempt included (from the request's ledger)."""


@dataclass(kw_only=True, slots=True)
class _Run:
    specialist: Specialist
    model: Model
    ctx: ToolContext
    tools: dict[str, Tool]
    messages: list[Message]
    usage: Usage = field(default_factory=Usage)
    steps: int = 0
    last_text: str = ""
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    telemetry: Telemetry = DISABLED

    def partial_answer(self, why: str) -> str:
        """What the run has so far, said honestly."""
        if self.last_text.strip():
            return f"{self.last_text.strip()}\n\n({why})"
        found = [c for c in self.tool_calls if not c.is_error]
        if found:
            latest = found[-1]
            return f"{why} Here is what I found so far ({latest.name}): {latest.result[:600]}"
        return why


async def run_specialist(
    specialist: Specialist,
    text: str,
    *,
    model: Model,
    ctx: ToolContext,
    history: Sequence[Message] = (),
    limits: Limits | None = None,
    settings: ModelSettings | None = None,
    request: RequestContext | None = None,
) -> AgentResult:
    """Run one turn of `specialist` on the user's `text`, never raising for a model or tool
    failure: limits, timeouts, budgets and provider errors end the run with a `stop_reason`.

    The limits in force are the specialist's own, else `limits`, else the request's. Every
    model call, the guardrails' included, is metered by `request`'s ledger (a fresh, unbounded
    one when no request is given), within the specialist's `budget_usd` and the limits'
    `max_model_calls`. A model the ledger's price table cannot price raises `UnknownPrice`."""
    started = time.perf_counter()
    if request is None:
        request = RequestContext.new(
            conversation_id=ctx.conversation_id, tenant=ctx.tenant, limits=limits
        )
    limits = specialist.limits or limits or request.limits
    request.ledger.limit_agent(
        specialist.name, max_usd=specialist.budget_usd, max_calls=limits.max_model_calls
    )
    spent_before = request.ledger.spent_by(specialist.name)
    settings = settings or specialist.settings
    telemetry = request.telemetry or DISABLED
    with telemetry.agent_span(
        specialist.name, conversation_id=ctx.conversation_id, provider=model.provider,
        model=model.model_name, text=text,
    ) as span:  # fmt: skip
        result = await _run(
            specialist, text, request.budgeted(model, agent=specialist.name), ctx, history,
            limits, settings, request,
        )  # fmt: skip
        result.cost_usd = request.ledger.spent_by(specialist.name) - spent_before
        result.latency_ms = (time.perf_counter() - started) * 1000
        span.finish(result)
    return result


def _stopped(exc: LimitExceeded | ModelError) -> tuple[StopReason, str, str]:
    """The stop reason, the error and what to tell the user for an exception that ended a run."""
    if isinstance(exc, BudgetExceeded):
        return "budget_exceeded", str(exc), BUDGET_REASONS[exc.scope]
    if isinstance(exc, LimitExceeded):
        return "iteration_limit", str(exc), "I reached my limit of model calls before finishing."
    return (
        "provider_unavailable",
        f"{exc.model}: {exc}",
        "Our assistant service is unavailable right now.",
    )


async def _run(
    specialist: Specialist,
    text: str,
    model: Model,
    ctx: ToolContext,
    history: Sequence[Message],
    limits: Limits,
    settings: ModelSettings | None,
    request: RequestContext,
) -> AgentResult:
    try:
        checked = await apply_guardrails(
            specialist.input_guardrails,
            text,
            GuardrailContext(agent=specialist.name, stage="input", user_text=text,
                             request=request),
        )  # fmt: skip
    except LimitExceeded as exc:  # a model guardrail could not be afforded: nothing ran
        reason, message, why = _stopped(exc)
        return AgentResult(
            agent=specialist.name, text=why, stop_reason=reason, model=model.id, error=message
        )
    if checked.blocked:
        return AgentResult(
            agent=specialist.name,
            text=specialist.safe_reply,
            stop_reason="completed",
            model=model.id,
            guardrail_events=checked.events,
            blocked=True,
            escalate_reason="guardrail_blocked" if specialist.escalate_on_block else None,
        )

    tools = specialist.all_tools()
    run = _Run(
        specialist=specialist,
        model=model,
        ctx=ctx,
        tools={t.name: t for t in tools},
        messages=[
            SystemMessage(text=specialist.instructions),
            *history,
            UserMessage(text=checked.text),
        ],
        telemetry=request.telemetry or DISABLED,
    )
    stop_reason: StopReason = "completed"
    error: str | None = None
    why = "I could not finish."
    final: str | None = None
    try:
        async with asyncio.timeout(limits.timeout_s) as deadline:
            final = await _loop(run, limits, settings)
    except TimeoutError as exc:
        stop_reason, why = "timeout", "I ran out of time before finishing."
        error = (
            f"no answer within {limits.timeout_s:g} s"
            if deadline.expired()
            else f"{type(exc).__name__} in the run: {exc}"  # not the wall-time limit's
        )
    except (LimitExceeded, ModelError) as exc:
        stop_reason, error, why = _stopped(exc)
    if final is None and stop_reason == "completed":
        stop_reason, why = "iteration_limit", "I reached my step limit before finishing."
    answer = run.partial_answer(why) if final is None else final

    events = list(checked.events)
    blocked = False
    escalate_reason: str | None = None
    knowledge = [c.result for c in run.tool_calls if c.name == "search_knowledge"]
    try:
        outcome = await apply_guardrails(
            specialist.output_guardrails,
            answer,
            GuardrailContext(
                agent=specialist.name, stage="output", user_text=text, knowledge=knowledge,
                request=request,
            ),
        )  # fmt: skip
    except LimitExceeded as exc:
        # the answer could not be checked, so it is not released: fail closed
        stop_reason, error, _ = _stopped(exc)
        answer = specialist.safe_reply
    else:
        events.extend(outcome.events)
        if outcome.blocked:
            blocked = True
            answer = specialist.safe_reply
            if specialist.escalate_on_block:
                escalate_reason = "guardrail_blocked"
        else:
            answer = outcome.text

    return AgentResult(
        agent=specialist.name,
        text=answer,
        stop_reason=stop_reason,
        model=model.id,
        steps=run.steps,
        usage=run.usage,
        tool_calls=run.tool_calls,
        guardrail_events=events,
        blocked=blocked,
        escalate_reason=escalate_reason,
        error=error,
    )


async def _loop(run: _Run, limits: Limits, settings: ModelSettings | None) -> str | None:
    """Model → tools until a plain answer (returned) or the step limit (None)."""
    definitions = [t.definition for t in run.tools.values()]
    while run.steps < limits.max_steps:
        run.steps += 1
        response = await run.model.request(run.messages, tools=definitions, settings=settings)
        run.usage = run.usage + response.usage
        run.messages.append(AssistantMessage(parts=list(response.parts)))
        if response.text.strip():
            run.last_text = response.text
        if not response.tool_calls:
            return response.text
        for call in response.tool_calls:
            run.messages.append(await _call_tool(run, call.id, call.name, call.arguments))
    return None


async def _call_tool(run: _Run, call_id: str, name: str, arguments: dict[str, Any]) -> ToolReturn:
    with run.telemetry.tool_span(run.specialist.name, name, call_id, arguments) as span:
        result = await _execute_tool(run, call_id, name, arguments)
        span.finish(result.content, is_error=result.is_error)
    return result


async def _execute_tool(
    run: _Run, call_id: str, name: str, arguments: dict[str, Any]
) -> ToolReturn:
    found = run.tools.get(name)
    is_error = True
    if found is None:
        content = f"Unknown tool {name!r}; available tools: {', '.join(sorted(run.tools))}"
    else:
        try:
            content = render_result(await found.call(run.ctx, arguments))
            is_error = False
        except pydantic.ValidationError as exc:
            content = f"Invalid arguments for {name}: {exc.errors(include_url=False)}"
        except Exception as exc:  # a tool's failure is reported to the model, not raised
            content = f"{name} failed: {type(exc).__name__}: {exc}"
    run.tool_calls.append(
        ToolCallRecord(name=name, arguments=arguments, result=content, is_error=is_error)
    )
    return ToolReturn(call_id=call_id, name=name, content=content, is_error=is_error)


def transcript_json(messages: Sequence[Message]) -> str:
    """A compact JSON rendering of a transcript (for debugging and handoff packages)."""
    from frontdesk.messages import to_json

    return json.dumps([to_json(m) for m in messages], ensure_ascii=False)
