"""Specialists (inert configuration) and the tool-calling loop that runs them, with limits.

`Specialist` declares what an agent is; `run_specialist` executes one turn of it: guardrails on
the input, then model → tools → model … until the model answers without calling a tool, a limit
is hit, or the provider fails. Every ending returns an `AgentResult` with a `stop_reason`;
nothing reaches the user as an exception.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pydantic

from frontdesk.errors import ModelError
from frontdesk.guardrails import (
    Guardrail,
    GuardrailContext,
    GuardrailEvent,
    apply_guardrails,
)
from frontdesk.knowledge import KnowledgeBase
from frontdesk.messages import (
    AssistantMessage,
    Message,
    SystemMessage,
    ToolReturn,
    Usage,
    UserMessage,
)
from frontdesk.models.base import Model, ModelSettings
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


@dataclass(kw_only=True, slots=True, frozen=True)
class Limits:
    """Hard limits on one specialist run. `max_steps` counts model requests."""

    max_steps: int = 8
    timeout_s: float | None = 60.0

    def __post_init__(self) -> None:
        if self.max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, got {self.max_steps}")


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
    knowledge: KnowledgeBase | None = None
    examples: Sequence[str] = ()
    input_guardrails: Sequence[Guardrail] = ()
    output_guardrails: Sequence[Guardrail] = ()
    offline: OfflineFactory | None = None
    safe_reply: str = DEFAULT_SAFE_REPLY
    escalate_on_block: bool = False
    limits: Limits | None = None

    def all_tools(self) -> list[Tool]:
        """The declared tools plus `search_knowledge` when the specialist has a knowledge base."""
        tools = list(self.tools)
        if self.knowledge is not None:
            tools.append(knowledge_tool(self.knowledge))
        return tools


def knowledge_tool(knowledge: KnowledgeBase) -> Tool:
    """A `search_knowledge(query)` tool over a knowledge base."""

    async def search_knowledge(query: str) -> list[dict[str, str]]:
        """Search the knowledge base; returns the best passages with their ids and titles."""
        hits = await asyncio.to_thread(knowledge.search, query)
        return [
            {"id": h.document.id, "title": h.document.title, "text": h.document.text} for h in hits
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
) -> AgentResult:
    """Run one turn of `specialist` on the user's `text`, never raising for a model or tool
    failure: limits, timeouts and provider errors end the run with a `stop_reason`."""
    started = time.perf_counter()
    limits = specialist.limits or limits or Limits()
    result = await _run(specialist, text, model, ctx, history, limits, settings)
    result.latency_ms = (time.perf_counter() - started) * 1000
    return result


async def _run(
    specialist: Specialist,
    text: str,
    model: Model,
    ctx: ToolContext,
    history: Sequence[Message],
    limits: Limits,
    settings: ModelSettings | None,
) -> AgentResult:
    checked = await apply_guardrails(
        specialist.input_guardrails,
        text,
        GuardrailContext(agent=specialist.name, stage="input", user_text=text),
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
    )
    stop_reason: StopReason = "completed"
    error: str | None = None
    final: str | None = None
    try:
        async with asyncio.timeout(limits.timeout_s):
            final = await _loop(run, limits, settings)
    except TimeoutError:
        stop_reason, error = "timeout", f"no answer within {limits.timeout_s} s"
    except ModelError as exc:
        stop_reason, error = "provider_unavailable", f"{exc.model}: {exc}"
    if final is None and stop_reason == "completed":
        stop_reason = "iteration_limit"

    if final is None:
        why = {
            "iteration_limit": "I reached my step limit before finishing.",
            "timeout": "I ran out of time before finishing.",
            "provider_unavailable": "Our assistant service is unavailable right now.",
        }.get(stop_reason, "I could not finish.")
        answer = run.partial_answer(why)
    else:
        answer = final

    events = list(checked.events)
    blocked = False
    escalate_reason: str | None = None
    knowledge = [c.result for c in run.tool_calls if c.name == "search_knowledge"]
    outcome = await apply_guardrails(
        specialist.output_guardrails,
        answer,
        GuardrailContext(
            agent=specialist.name, stage="output", user_text=text, knowledge=knowledge
        ),
    )
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
