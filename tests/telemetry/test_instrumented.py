"""The `Instrumented` model wrapper: one `chat` span per attempt, beneath retries and fallback,
above the cost ledger's `Budgeted`; budget refusals are budget trips, not model calls."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from frontdesk.context import RequestContext
from frontdesk.errors import BudgetExceeded, ConfigError
from frontdesk.guards.budget import Budget
from frontdesk.messages import Message, UserMessage
from frontdesk.models import BreakerRegistry, FunctionModel, Price, PriceTable, resilient
from frontdesk.models._remote import ModelHTTPError
from frontdesk.models.base import ModelResponse, ToolDefinition
from frontdesk.models.budgeted import Budgeted, innermost_models
from frontdesk.models.instrumented import Instrumented
from frontdesk.models.testing import text_response
from frontdesk.telemetry import Telemetry

PRICES = PriceTable.load_default().merged([Price(model="acme:m", input=1.0, output=2.0)])


def flaky(failures: int) -> FunctionModel:
    calls = {"n": 0}

    def answer(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
        calls["n"] += 1
        if calls["n"] <= failures:
            raise ModelHTTPError("overloaded", model="acme:m", status_code=503)
        return text_response("ok", input_tokens=100, output_tokens=10)

    model = FunctionModel(answer, model_name="m")
    model.provider = "acme"
    return model


async def test_each_retry_attempt_is_its_own_chat_span_metered_once() -> None:
    spans = InMemorySpanExporter()
    telemetry = Telemetry(exporter=spans)
    request = RequestContext.new(prices=PRICES, telemetry=telemetry)
    model = resilient(flaky(1), initial_delay=0.0, jitter=False, breakers=BreakerRegistry())
    wrapped = request.budgeted(request.budgeted(model, agent="billing"), agent="billing")
    assert [type(m).__name__ for m in innermost_models(wrapped)] == ["FunctionModel"]
    response = await wrapped.request([UserMessage(text="hi")])
    assert response.text == "ok"
    chats = spans.get_finished_spans()
    assert [s.name for s in chats] == ["chat m", "chat m"]
    first, second = ((s.attributes or {}) for s in chats)
    assert (first["frontdesk.attempt"], first["error.type"]) == (1, "ModelHTTPError")
    assert second["frontdesk.attempt"] == 2
    assert second["gen_ai.usage.input_tokens"] == 100
    assert second["frontdesk.cost_usd"] == pytest.approx(100 * 1e-6 + 10 * 2e-6)
    assert len(request.ledger.items) == 2, "each attempt reserved and settled once"
    assert telemetry.metrics is not None
    calls = telemetry.metrics.totals("frontdesk_model_calls_total", "status")
    assert calls == {"error": 1.0, "ok": 1.0}


async def test_a_budget_refusal_is_a_budget_trip_and_no_model_call() -> None:
    spans = InMemorySpanExporter()
    telemetry = Telemetry(exporter=spans)
    request = RequestContext.new(prices=PRICES, telemetry=telemetry,
                                 budget=Budget(request_usd=0.000001))  # fmt: skip
    model = request.budgeted(flaky(0), agent="billing")
    assert isinstance(model, Instrumented)
    assert isinstance(model.wrapped, Budgeted)
    with pytest.raises(BudgetExceeded):
        await model.request([UserMessage(text="hi")])
    (span,) = spans.get_finished_spans()
    assert (span.attributes or {})["error.type"] == "BudgetExceeded"
    assert telemetry.metrics is not None
    assert telemetry.metrics.totals("frontdesk_budget_trips_total", "reason") == {"request": 1.0}
    assert telemetry.metrics.totals("frontdesk_model_calls_total", "status") == {}


def test_otlp_without_its_exporter_package_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter", None)
    with pytest.raises(ConfigError, match=r"pip install 'frontdesk\[otlp\]'"):
        Telemetry(traces="otlp")
