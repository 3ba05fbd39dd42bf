"""`Instrumented`: a model whose every call is a `chat {model}` span and a metric sample.

    model = instrumented(request.budgeted(app_model, agent="billing"), telemetry, agent="billing")

Like `Budgeted`, it goes around each innermost model of a retry / circuit-breaker / fallback
composition (above the `Budgeted` there), so each attempt and each fallback model is a span of
its own, named after the model that answered. A call the budget refuses is a span marked
`error.type=BudgetExceeded` (no provider call was made) and counts as a budget trip, not as a
model call. With content capture on, the prompt and the answer are set on the span, redacted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from frontdesk.errors import BudgetExceeded, LimitExceeded
from frontdesk.messages import Message, to_json
from frontdesk.models.base import ComposedModel, Model, ModelResponse, ModelSettings, ToolDefinition
from frontdesk.models.pricing import PriceTable, UnknownPrice
from frontdesk.models.resilience import current_attempt
from frontdesk.telemetry import conventions as c
from frontdesk.telemetry.tracing import AttributeValue, Telemetry


class Instrumented(Model):
    """`model`'s calls traced and measured by `telemetry` as `agent`'s. It answers to the
    inner model's id and rebuilds around other inner models (`map_models`), so the cost
    ledger's `Budgeted` can still be placed beneath it."""

    def __init__(
        self,
        model: Model,
        telemetry: Telemetry,
        *,
        agent: str,
        prices: PriceTable | None = None,
    ) -> None:
        self.wrapped = model
        self.provider = model.provider
        self.model_name = model.model_name
        self.telemetry = telemetry
        self.agent = agent
        self.prices = prices

    def __repr__(self) -> str:
        return f"Instrumented({self.wrapped!r}, agent={self.agent!r})"

    async def aclose(self) -> None:
        await self.wrapped.aclose()

    def map_models(self, transform: Callable[[Model], Model]) -> Instrumented:
        return Instrumented(
            transform(self.wrapped), self.telemetry, agent=self.agent, prices=self.prices
        )

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        telemetry = self.telemetry
        metrics = telemetry.metrics
        attributes: dict[str, AttributeValue] = {
            c.GEN_AI_OPERATION_NAME: c.OP_CHAT, c.GEN_AI_PROVIDER_NAME: self.provider,
            c.GEN_AI_REQUEST_MODEL: self.model_name, c.FD_AGENT: self.agent,
            c.FD_ATTEMPT: current_attempt(),
        }  # fmt: skip
        if settings is not None and settings.max_output_tokens is not None:
            attributes[c.GEN_AI_REQUEST_MAX_TOKENS] = settings.max_output_tokens
        if settings is not None and settings.temperature is not None:
            attributes[c.GEN_AI_REQUEST_TEMPERATURE] = settings.temperature
        labels = {"agent": self.agent, "model": self.id, "provider": self.provider}
        started = time.perf_counter()
        with telemetry.span(c.SPAN_CHAT.format(model=self.model_name), attributes) as span:
            span.set(
                c.GEN_AI_INPUT_MESSAGES, telemetry.content_json([to_json(m) for m in messages])
            )
            try:
                response = await self.wrapped.request(messages, tools=tools, settings=settings)
            except BudgetExceeded as exc:
                if metrics is not None:
                    metrics.budget_trips.labels(agent=self.agent, reason=exc.scope).inc()
                raise
            except LimitExceeded:
                raise  # no call was made; the agent's run records the limit
            except BaseException:
                if metrics is not None:
                    metrics.model_calls.labels(**labels, status="error").inc()
                    metrics.model_call_duration.labels(**labels).observe(
                        time.perf_counter() - started
                    )
                raise
            if metrics is not None:
                metrics.model_calls.labels(**labels, status="ok").inc()
                metrics.model_call_duration.labels(**labels).observe(time.perf_counter() - started)
            span.set(c.GEN_AI_RESPONSE_MODEL, response.model or self.model_name)
            span.set(c.GEN_AI_RESPONSE_FINISH_REASONS, [response.finish_reason])
            span.set(c.GEN_AI_USAGE_INPUT_TOKENS, response.usage.input_tokens)
            span.set(c.GEN_AI_USAGE_OUTPUT_TOKENS, response.usage.output_tokens)
            span.set(c.FD_COST_USD, self._cost(response))
            span.set(c.GEN_AI_OUTPUT_MESSAGES, telemetry.content_json(_output(response)))
            return response

    def _cost(self, response: ModelResponse) -> float | None:
        if self.prices is None:
            return None
        try:
            return self.prices.price(self.id).cost(response.usage)
        except UnknownPrice:
            return None


def _output(response: ModelResponse) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    if response.text:
        parts.append({"type": "text", "content": response.text})
    for call in response.tool_calls:
        parts.append({"type": "tool_call", "id": call.id, "name": call.name,
                      "arguments": call.arguments})  # fmt: skip
    return [{"role": "assistant", "parts": parts, "finish_reason": response.finish_reason}]


def instrumented(
    model: Model, telemetry: Telemetry, *, agent: str, prices: PriceTable | None = None
) -> Model:
    """`model` with an `Instrumented` around each innermost model (and its `Budgeted`), beneath
    any retry, circuit-breaker or fallback wrappers. An `Instrumented` already in the way is
    replaced, so one call is never traced twice."""
    from frontdesk.models.budgeted import Budgeted

    if isinstance(model, Instrumented):
        model = model.wrapped
    if isinstance(model, ComposedModel) and not isinstance(model, Budgeted):
        return model.map_models(
            lambda inner: instrumented(inner, telemetry, agent=agent, prices=prices)
        )
    return Instrumented(model, telemetry, agent=agent, prices=prices)
