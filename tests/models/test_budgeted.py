"""`Budgeted` over real HTTP against the local test server: every call reserved before it is
sent, refused when it does not fit (the server never sees it), settled to the usage the server
reported, and every attempt of a retried call metered on its own."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from frontdesk.errors import BudgetExceeded, ModelError
from frontdesk.guards import Budget, CostLedger
from frontdesk.messages import SystemMessage, UserMessage
from frontdesk.models import (
    BreakerRegistry,
    Budgeted,
    CircuitBreaking,
    Fallback,
    Price,
    PriceTable,
    Retrying,
    ToolDefinition,
    UnknownPrice,
    budgeted,
    estimate_input_tokens,
    resilient,
)
from frontdesk.models.base import ModelSettings
from frontdesk.models.openai import OpenAIModel
from frontdesk.testing import Fault, ModelServer, Reply
from priced import TEST_MODEL, TEST_PRICE, priced_table

HELLO = [SystemMessage(text="You are terse."), UserMessage(text="hello there")]
SETTINGS = ModelSettings(max_output_tokens=100, timeout_s=5.0)
FAST = {"initial_delay": 0.01, "max_delay": 0.5, "jitter": False}


def ledger(request_usd: float | None = None, prices: PriceTable | None = None) -> CostLedger:
    return CostLedger(Budget(request_usd=request_usd), prices=prices or priced_table())


def worst_case(max_output_tokens: int = 100) -> float:
    return TEST_PRICE.worst_case(estimate_input_tokens(HELLO, ()), max_output_tokens)


@pytest.fixture
def second_server() -> Iterator[ModelServer]:
    with ModelServer() as server:
        yield server


async def test_a_call_is_settled_to_the_usage_the_server_reported(
    model_server: ModelServer, openai_model: OpenAIModel
) -> None:
    model_server.enqueue(Reply(text="hi", input_tokens=1000, output_tokens=20))
    books = ledger(request_usd=0.01)
    response = await Budgeted(openai_model, books, agent="billing").request(
        HELLO, settings=SETTINGS
    )
    assert response.text == "hi"
    (item,) = books.items
    assert (item.agent, item.model, item.attempt, item.error) == ("billing", TEST_MODEL, 1, None)
    assert (item.input_tokens, item.output_tokens) == (1000, 20)
    assert item.cost_usd == pytest.approx((1000 * 1.0 + 20 * 2.0) / 1e6)
    assert books.reserved_usd == 0.0
    assert books.spent_usd == item.cost_usd


async def test_a_call_that_does_not_fit_never_reaches_the_server(
    model_server: ModelServer, openai_model: OpenAIModel
) -> None:
    books = ledger(request_usd=worst_case() * 0.99)
    with pytest.raises(BudgetExceeded) as refused:
        await Budgeted(openai_model, books, agent="billing").request(HELLO, settings=SETTINGS)
    assert refused.value.requested_usd == pytest.approx(worst_case())
    assert model_server.requests == []
    assert books.items == []
    assert books.spent_usd == 0.0


async def test_an_unknown_model_is_refused_or_charged_the_ceiling(
    model_server: ModelServer,
) -> None:
    async with OpenAIModel("mystery-model", base_url=model_server.base_url) as mystery:
        books = CostLedger(prices=PriceTable.load_default())
        with pytest.raises(UnknownPrice, match="no price for openai:mystery-model"):
            await Budgeted(mystery, books, agent="billing").request(HELLO, settings=SETTINGS)
        assert model_server.requests == []
        ceiling = Price(input=10.0, output=30.0, source="our dearest model")
        priced = CostLedger(prices=PriceTable.load_default(unknown_ceiling=ceiling))
        model_server.enqueue(Reply(text="ok", input_tokens=100, output_tokens=10))
        await Budgeted(mystery, priced, agent="billing").request(HELLO, settings=SETTINGS)
    assert priced.spent_usd == pytest.approx((100 * 10.0 + 10 * 30.0) / 1e6)


async def test_an_unbounded_answer_is_capped_so_its_worst_case_is_one(
    model_server: ModelServer, openai_model: OpenAIModel
) -> None:
    books = ledger(request_usd=worst_case(4096) * 1.001)
    unbounded = ModelSettings(max_output_tokens=None)
    await Budgeted(openai_model, books, agent="a").request(HELLO, settings=unbounded)
    assert model_server.requests[0]["max_tokens"] == 4096
    tighter = ledger(request_usd=worst_case(4096) * 0.999)
    with pytest.raises(BudgetExceeded):
        await Budgeted(openai_model, tighter, agent="a").request(HELLO, settings=unbounded)
    assert len(model_server.requests) == 1


async def test_each_attempt_of_a_retried_call_is_reserved_and_settled(
    model_server: ModelServer, openai_model: OpenAIModel
) -> None:
    model_server.enqueue(Fault.status(500), Reply(text="ok", input_tokens=50, output_tokens=5))
    books = ledger(request_usd=0.01)
    model = budgeted(Retrying(openai_model, attempts=3, **FAST), books, agent="billing")
    await model.request(HELLO, settings=SETTINGS)
    assert books.calls == 2  # two reservations
    failed, answered = books.items
    assert (failed.attempt, failed.error, failed.cost_usd) == (1, "ModelHTTPError", 0.0)
    assert (answered.attempt, answered.error) == (2, None)
    assert answered.cost_usd == pytest.approx((50 + 5 * 2) / 1e6)
    assert books.spent_usd == answered.cost_usd
    assert books.reserved_usd == 0.0


async def test_a_timed_out_attempt_is_charged_and_a_retry_that_no_longer_fits_is_not_sent(
    model_server: ModelServer, openai_model: OpenAIModel
) -> None:
    model_server.enqueue(Fault.hang(5), Reply(text="never sent"))
    books = ledger(request_usd=worst_case() * 1.5)
    model = budgeted(Retrying(openai_model, attempts=3, **FAST), books, agent="billing")
    with pytest.raises(BudgetExceeded) as refused:
        await model.request(HELLO, settings=ModelSettings(max_output_tokens=100, timeout_s=0.3))
    (timed_out,) = books.items
    # the provider may have produced (and billed) the answer the client gave up on
    assert (timed_out.error, timed_out.cost_usd) == ("ModelTimeout", pytest.approx(worst_case()))
    assert refused.value.scope == "request"
    assert len(model_server.requests) == 1
    assert model_server.pending == 1


async def test_a_failed_answer_that_reports_usage_is_charged_that_usage(
    model_server: ModelServer, openai_model: OpenAIModel
) -> None:
    model_server.enqueue(
        Fault.raw({
            "id": "chatcmpl-x", "object": "chat.completion", "created": 0, "model": "test-model",
            "choices": [],
            "usage": {"prompt_tokens": 300, "completion_tokens": 40, "total_tokens": 340},
        })
    )  # fmt: skip
    books = ledger()
    with pytest.raises(ModelError) as failed:
        await Budgeted(openai_model, books, agent="a").request(HELLO, settings=SETTINGS)
    assert failed.value.usage is not None
    (item,) = books.items
    assert (item.input_tokens, item.output_tokens, item.error) == (300, 40, "ModelError")
    assert item.cost_usd == pytest.approx((300 + 40 * 2) / 1e6)


async def test_a_fallback_model_is_priced_as_itself(
    model_server: ModelServer, second_server: ModelServer
) -> None:
    model_server.enqueue(Fault.status(503), Fault.status(503))
    second_server.enqueue(Reply(text="from the spare", input_tokens=100, output_tokens=10))
    spare_price = Price(model="openai:spare-model", input=5.0, output=10.0)
    books = ledger(prices=priced_table().merged([spare_price]))
    async with (
        OpenAIModel("test-model", base_url=model_server.base_url) as main,
        OpenAIModel("spare-model", base_url=second_server.base_url) as spare,
    ):
        chain = resilient([main, spare], attempts=2, breakers=BreakerRegistry(), **FAST)
        response = await budgeted(chain, books, agent="general").request(HELLO, settings=SETTINGS)
    assert response.text == "from the spare"
    assert [(i.model, i.attempt, i.cost_usd) for i in books.items] == [
        (TEST_MODEL, 1, 0.0),
        (TEST_MODEL, 2, 0.0),
        ("openai:spare-model", 1, pytest.approx((100 * 5.0 + 10 * 10.0) / 1e6)),
    ]
    # the shared chain was copied, not changed
    assert isinstance(chain, Fallback)
    assert all(not isinstance(m, Budgeted) for m in chain.models)


def test_budgeted_goes_beneath_the_wrappers_and_keeps_their_breaker() -> None:
    inner = OpenAIModel("test-model", base_url="http://127.0.0.1:9/v1")
    guarded = CircuitBreaking(Retrying(inner), registry=BreakerRegistry())
    metered = budgeted(guarded, ledger(), agent="a")
    assert isinstance(metered, CircuitBreaking)
    assert metered.breaker is guarded.breaker
    assert isinstance(metered.wrapped, Retrying)
    assert isinstance(metered.wrapped.wrapped, Budgeted)
    assert metered.wrapped.wrapped.wrapped is inner
    assert isinstance(guarded.wrapped, Retrying)
    assert guarded.wrapped.wrapped is inner
    # metering again replaces the first meter rather than stacking a second one
    again = budgeted(metered, ledger(), agent="b")
    assert isinstance(again, CircuitBreaking)
    assert isinstance(again.wrapped, Retrying)
    assert isinstance(again.wrapped.wrapped, Budgeted)
    assert again.wrapped.wrapped.wrapped is inner
    assert metered.id == inner.id == "openai:test-model"


async def test_concurrent_calls_never_jointly_exceed_the_budget(
    model_server: ModelServer, openai_model: OpenAIModel
) -> None:
    for _ in range(8):
        model_server.enqueue(Fault.hang(0.3, then=Reply(text="ok", input_tokens=10,
                                                        output_tokens=100)))  # fmt: skip
    books = ledger(request_usd=worst_case() * 3.5)
    model = Budgeted(openai_model, books, agent="analyst")

    async def analyst() -> bool:
        try:
            await model.request(HELLO, settings=SETTINGS)
        except BudgetExceeded:
            return False
        return True

    made = await asyncio.gather(*(analyst() for _ in range(8)))
    assert sum(made) == 3
    assert len(model_server.requests) == 3
    assert books.spent_usd <= worst_case() * 3.5
    assert books.spent_usd == pytest.approx(3 * (10 + 100 * 2) / 1e6)


def test_the_input_estimate_is_conservative_and_counts_tools() -> None:
    text = "I was charged twice for the same visit and I would like a refund please. " * 20
    messages = [UserMessage(text=text)]
    assert estimate_input_tokens(messages, ()) >= len(text) / 3
    tool = ToolDefinition(
        name="lookup_balance",
        description="Current balance and open invoices of an account.",
        parameters={"type": "object", "properties": {"account_id": {"type": "string"}}},
    )
    assert estimate_input_tokens(messages, [tool]) > estimate_input_tokens(messages, ()) + 30
