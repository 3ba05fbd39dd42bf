"""Retry, circuit breaker and fallback, over real HTTP against local ModelServers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import TypedDict

import pytest

from frontdesk.errors import ConfigError, ModelError
from frontdesk.messages import UserMessage
from frontdesk.models import resolve_model
from frontdesk.models._remote import ModelConnectionError, ModelHTTPError, ModelTimeout
from frontdesk.models.base import ModelSettings
from frontdesk.models.openai import OpenAIModel
from frontdesk.models.resilience import (
    BREAKERS,
    BreakerRegistry,
    CircuitBreaker,
    CircuitBreaking,
    Fallback,
    ProviderUnavailable,
    RetryEvent,
    Retrying,
    endpoint,
    resilient,
)
from frontdesk.testing import Fault, ModelServer, Reply

HELLO = [UserMessage(text="hello")]


class Backoff(TypedDict):
    initial_delay: float
    max_delay: float
    jitter: bool


FAST = Backoff(initial_delay=0.01, max_delay=1.0, jitter=False)
"""Deterministic, tiny delays for tests."""


class Clock:
    """A manual monotonic clock for breakers."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def second_server() -> Iterator[ModelServer]:
    with ModelServer() as server:
        yield server
        assert server.errors == []


@pytest.fixture
def dead_url() -> str:
    """The base URL of a server that has gone away: connections are refused."""
    server = ModelServer()  # bound, never started
    url = server.base_url
    server.close()
    return url


@pytest.fixture
async def model(model_server: ModelServer) -> AsyncIterator[OpenAIModel]:
    async with OpenAIModel("test-model", base_url=model_server.base_url) as opened:
        yield opened


def posts(server: ModelServer) -> int:
    return len(server.requests)


def state_of(breaker: CircuitBreaker) -> str:
    """The breaker's state, read afresh (a type checker would narrow `breaker.state`)."""
    return breaker.state


# ---- Retrying ----


async def test_429_waits_for_retry_after(model_server: ModelServer, model: OpenAIModel) -> None:
    model_server.enqueue(Fault.status(429, retry_after=0.4), Reply(text="ok"))
    events: list[RetryEvent] = []
    retrying = Retrying(model, attempts=3, on_retry=events.append, **FAST)

    started = time.monotonic()
    response = await retrying.request(HELLO)
    elapsed = time.monotonic() - started

    assert response.text == "ok"
    assert 0.4 <= elapsed < 2.0  # Retry-After, not the 0.01 s backoff
    assert posts(model_server) == 2
    (event,) = events
    assert (event.model, event.attempt, event.delay) == ("openai:test-model", 1, 0.4)
    assert isinstance(event.error, ModelHTTPError)
    assert event.error.status_code == 429


async def test_5xx_then_success_backs_off_exponentially(
    model_server: ModelServer, model: OpenAIModel
) -> None:
    model_server.enqueue(Fault.status(500), Fault.status(503), Reply(text="third time"))
    events: list[RetryEvent] = []

    response = await Retrying(model, attempts=3, on_retry=events.append, **FAST).request(HELLO)

    assert response.text == "third time"
    assert posts(model_server) == 3
    assert [(e.attempt, e.delay) for e in events] == [(1, 0.01), (2, 0.02)]
    assert [getattr(e.error, "status_code", None) for e in events] == [500, 503]


async def test_jitter_keeps_half_the_backoff(model_server: ModelServer, model: OpenAIModel) -> None:
    model_server.enqueue(*[Fault.status(502)] * 3, Reply(text="ok"))
    events: list[RetryEvent] = []
    retrying = Retrying(
        model, attempts=4, initial_delay=0.02, max_delay=0.05, jitter=True, on_retry=events.append
    )

    await retrying.request(HELLO)

    first, second, third = (e.delay for e in events)
    assert 0.01 <= first <= 0.02
    assert 0.02 <= second <= 0.04
    assert 0.025 <= third <= 0.05  # 0.08 capped at max_delay


async def test_timeout_then_success(model_server: ModelServer, model: OpenAIModel) -> None:
    model_server.enqueue(Fault.hang(10), Reply(text="awake"))
    events: list[RetryEvent] = []
    retrying = Retrying(model, attempts=2, on_retry=events.append, **FAST)

    started = time.monotonic()
    response = await retrying.request(HELLO, settings=ModelSettings(timeout_s=0.3))

    assert response.text == "awake"
    assert time.monotonic() - started < 3
    assert isinstance(events[0].error, ModelTimeout)
    assert posts(model_server) == 2


async def test_client_errors_are_not_retried(model_server: ModelServer, model: OpenAIModel) -> None:
    model_server.enqueue(Fault.status(400, message="bad request"), Reply(text="never"))
    events: list[RetryEvent] = []

    with pytest.raises(ModelHTTPError) as caught:
        await Retrying(model, on_retry=events.append, **FAST).request(HELLO)

    assert caught.value.status_code == 400
    assert not getattr(caught.value, "__notes__", [])
    assert events == []
    assert posts(model_server) == 1
    assert model_server.pending == 1


async def test_unreadable_answers_are_not_retried(
    model_server: ModelServer, model: OpenAIModel
) -> None:
    model_server.enqueue(Fault.malformed_json(), Reply(text="never"))

    with pytest.raises(ModelError, match="unusable answer"):
        await Retrying(model, **FAST).request(HELLO)

    assert posts(model_server) == 1


async def test_retries_exhausted_raise_the_last_error(
    model_server: ModelServer, model: OpenAIModel
) -> None:
    model_server.enqueue(Fault.status(500), Fault.status(500), Fault.status(502), Reply(text="x"))

    with pytest.raises(ModelHTTPError) as caught:
        await Retrying(model, attempts=3, **FAST).request(HELLO)

    assert caught.value.status_code == 502
    assert caught.value.__notes__ == ["openai:test-model: gave up after 3 attempts"]
    assert posts(model_server) == 3
    assert model_server.pending == 1


async def test_connection_errors_are_retried(dead_url: str) -> None:
    events: list[RetryEvent] = []
    async with OpenAIModel("test-model", base_url=dead_url) as down:
        with pytest.raises(ModelConnectionError):
            await Retrying(down, attempts=2, on_retry=events.append, **FAST).request(HELLO)

    assert [e.attempt for e in events] == [1]


async def test_retry_after_beyond_max_delay_is_raised_at_once(
    model_server: ModelServer, model: OpenAIModel
) -> None:
    model_server.enqueue(Fault.status(429, retry_after=30), Reply(text="never"))

    started = time.monotonic()
    with pytest.raises(ModelHTTPError) as caught:
        await Retrying(model, attempts=5, initial_delay=0.01, max_delay=1.0).request(HELLO)

    assert time.monotonic() - started < 1.0
    assert caught.value.retry_after == 30
    (note,) = caught.value.__notes__
    assert "asked to wait 30s (Retry-After), more than max_delay=1s" in note
    assert posts(model_server) == 1


class BudgetTrip(Exception):
    pass


async def test_an_async_hook_sees_every_retry_and_can_stop_them(
    model_server: ModelServer, model: OpenAIModel
) -> None:
    model_server.enqueue(Fault.status(503), Fault.status(503), Reply(text="never"))
    charged: list[int] = []

    async def charge(event: RetryEvent) -> None:
        await asyncio.sleep(0)
        charged.append(event.attempt)
        if len(charged) == 2:
            raise BudgetTrip("the request budget is spent")

    with pytest.raises(BudgetTrip):
        await Retrying(model, attempts=5, on_retry=charge, **FAST).request(HELLO)

    assert charged == [1, 2]
    assert posts(model_server) == 2  # no third attempt after the hook said stop
    assert model_server.pending == 1


def test_retry_settings_are_checked() -> None:
    model = OpenAIModel("test-model", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(ConfigError, match="attempts must be at least 1, got 0"):
        Retrying(model, attempts=0)
    with pytest.raises(ConfigError, match="initial_delay <= max_delay"):
        Retrying(model, initial_delay=5, max_delay=1)


# ---- CircuitBreaker ----


async def test_breaker_opens_after_n_failures_and_short_circuits(
    model_server: ModelServer, model: OpenAIModel
) -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=3, window=10, reset_after=30, clock=clock)
    guarded = CircuitBreaking(model, breaker)
    model_server.enqueue(*[Fault.status(500)] * 3, Reply(text="not yet"))

    for _ in range(3):
        assert breaker.state == "closed"
        with pytest.raises(ModelHTTPError):
            await guarded.request(HELLO)
        clock.advance(1)
    assert breaker.state == "open"

    with pytest.raises(ProviderUnavailable) as caught:
        await guarded.request(HELLO)

    assert posts(model_server) == 3  # the fourth call never reached the server
    assert caught.value.model == "openai:test-model"
    assert caught.value.retry_after == pytest.approx(29)
    assert f"circuit breaker open for openai at {model_server.base_url}" in str(caught.value)
    assert "a probe is allowed in 29.0s" in str(caught.value)


async def test_half_open_probe_closes_the_breaker(
    model_server: ModelServer, model: OpenAIModel
) -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=2, window=10, reset_after=30, clock=clock)
    guarded = CircuitBreaking(model, breaker)
    model_server.enqueue(Fault.status(503), Fault.status(503), Reply(text="back"))
    for _ in range(2):
        with pytest.raises(ModelHTTPError):
            await guarded.request(HELLO)

    clock.advance(29.9)
    assert breaker.retry_in() == pytest.approx(0.1)  # still open
    clock.advance(0.1)
    assert breaker.state == "half_open"
    response = await guarded.request(HELLO)

    assert response.text == "back"
    assert state_of(breaker) == "closed"
    assert breaker.retry_in() is None
    assert posts(model_server) == 3


async def test_a_failed_probe_reopens_the_breaker(
    model_server: ModelServer, model: OpenAIModel
) -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=1, window=10, reset_after=30, clock=clock)
    guarded = CircuitBreaking(model, breaker)
    model_server.enqueue(Fault.status(500), Fault.status(500), Reply(text="later"))
    with pytest.raises(ModelHTTPError):
        await guarded.request(HELLO)
    clock.advance(30)

    with pytest.raises(ModelHTTPError):
        await guarded.request(HELLO)  # the probe

    assert breaker.state == "open"
    assert breaker.retry_in() == 30
    with pytest.raises(ProviderUnavailable):
        await guarded.request(HELLO)
    assert posts(model_server) == 2


async def test_half_open_lets_one_probe_through(
    model_server: ModelServer, model: OpenAIModel
) -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=1, window=10, reset_after=5, clock=clock)
    guarded = CircuitBreaking(model, breaker)
    model_server.enqueue(Fault.status(500), Fault.hang(0.3, then=Reply(text="probe ok")))
    with pytest.raises(ModelHTTPError):
        await guarded.request(HELLO)
    clock.advance(5)

    async def second() -> str:
        await asyncio.sleep(0.05)  # while the probe is out
        try:
            await guarded.request(HELLO)
        except ProviderUnavailable as exc:
            return str(exc)
        return "let through"

    probe, other = await asyncio.gather(guarded.request(HELLO), second())

    assert probe.text == "probe ok"
    assert other.endswith("a probe is in flight")
    assert breaker.state == "closed"
    assert posts(model_server) == 2


async def test_only_failures_in_a_row_within_the_window_open_it(
    model_server: ModelServer, model: OpenAIModel
) -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=2, window=10, reset_after=30, clock=clock)
    guarded = CircuitBreaking(model, breaker)
    model_server.enqueue(
        Fault.status(500),
        Fault.status(500),
        Reply(text="ok"),
        Fault.status(500),
        *[Fault.status(400)] * 3,
    )

    with pytest.raises(ModelHTTPError):
        await guarded.request(HELLO)
    clock.advance(11)
    with pytest.raises(ModelHTTPError):
        await guarded.request(HELLO)  # the first failure is out of the window
    assert breaker.state == "closed"
    await guarded.request(HELLO)  # a success clears the run
    with pytest.raises(ModelHTTPError):
        await guarded.request(HELLO)
    for _ in range(3):  # the endpoint answered: a client error is not a failure
        with pytest.raises(ModelHTTPError):
            await guarded.request(HELLO)

    assert breaker.state == "closed"
    assert posts(model_server) == 7


async def test_breakers_are_per_endpoint(
    model_server: ModelServer, second_server: ModelServer, model: OpenAIModel
) -> None:
    registry = BreakerRegistry(lambda: CircuitBreaker(failures=1, reset_after=60))
    async with (
        OpenAIModel("other-model", base_url=model_server.base_url + "/") as same_endpoint,
        OpenAIModel("test-model", base_url=second_server.base_url) as elsewhere,
    ):
        first = CircuitBreaking(Retrying(model, attempts=1), registry=registry)
        sibling = CircuitBreaking(same_endpoint, registry=registry)
        other = CircuitBreaking(elsewhere, registry=registry)
        model_server.enqueue(Fault.status(500))

        with pytest.raises(ModelHTTPError):
            await first.request(HELLO)
        with pytest.raises(ProviderUnavailable):
            await sibling.request(HELLO)  # same provider and base URL: same breaker
        response = await other.request(HELLO)

    assert response.text == "hello"
    assert first.breaker is sibling.breaker is registry.get("openai", model_server.base_url)
    assert registry.states() == {
        ("openai", model_server.base_url): "open",
        ("openai", second_server.base_url): "closed",
    }
    assert posts(model_server) == 1


def test_the_process_wide_registry_is_the_default() -> None:
    model = OpenAIModel("test-model", base_url="http://127.0.0.1:9/v1/")
    guarded = CircuitBreaking(Retrying(model))

    assert endpoint(guarded) == ("openai", "http://127.0.0.1:9/v1")
    assert repr(guarded).startswith("CircuitBreaking(Retrying(<frontdesk.models.openai.OpenAI")
    assert guarded.breaker is BREAKERS.get("openai", "http://127.0.0.1:9/v1")
    assert guarded.id == "openai:test-model"


def test_breaker_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="failures >= 1"):
        CircuitBreaker(failures=0)


# ---- Fallback ----


async def test_falls_back_to_a_second_server_when_the_first_is_down(
    dead_url: str, model_server: ModelServer
) -> None:
    async with Fallback(
        [
            OpenAIModel("primary", base_url=dead_url),
            OpenAIModel("backup", base_url=model_server.base_url),
        ]
    ) as chain:
        response = await chain.request(HELLO)

    assert response.text == "hello"
    assert response.model == "backup"  # the model that answered
    assert chain.id == "fallback:openai:primary,openai:backup"
    assert model_server.requests[0]["model"] == "backup"


async def test_falls_back_on_5xx_but_not_on_client_errors(
    model_server: ModelServer, second_server: ModelServer
) -> None:
    model_server.enqueue(Fault.status(503), Fault.status(422, message="bad schema"))
    async with Fallback(
        [
            OpenAIModel("primary", base_url=model_server.base_url),
            OpenAIModel("backup", base_url=second_server.base_url),
        ]
    ) as chain:
        answered = await chain.request(HELLO)
        with pytest.raises(ModelHTTPError) as caught:
            await chain.request(HELLO)

    assert answered.model == "backup"
    assert caught.value.status_code == 422
    assert posts(second_server) == 1  # only the 503 fell through


async def test_when_all_fail_the_error_lists_each_model(
    dead_url: str, model_server: ModelServer
) -> None:
    model_server.enqueue(Fault.status(503, retry_after=7))
    async with Fallback(
        [
            OpenAIModel("primary", base_url=dead_url),
            Retrying(OpenAIModel("backup", base_url=model_server.base_url), attempts=2, **FAST),
        ]
    ) as chain:
        with pytest.raises(ProviderUnavailable) as caught:
            await chain.request(HELLO)

    error = caught.value
    assert error.model == chain.id
    assert [type(e) for e in error.errors] == [ModelConnectionError, ModelHTTPError]
    assert error.retry_after is None  # the dead server gave no hint
    message = str(error)
    assert message.startswith(
        f"all 2 models of the fallback chain failed: (1) openai:primary: cannot reach {dead_url}"
    )
    assert message.endswith(
        " (2) openai:backup: HTTP 503: injected fault: HTTP 503; openai:backup: not retried "
        "after attempt 1: the provider asked to wait 7s (Retry-After), more than max_delay=1s"
    )
    assert "\n" not in message  # it ends up in AgentResult.error and the JSON reply


def test_a_fallback_needs_models() -> None:
    with pytest.raises(ConfigError, match="one or more models"):
        Fallback([])


# ---- resilient(): the composition ----


async def test_resilient_retries_then_breaks_then_falls_back(
    model_server: ModelServer, second_server: ModelServer
) -> None:
    registry = BreakerRegistry(lambda: CircuitBreaker(failures=1, reset_after=60))
    events: list[RetryEvent] = []
    model_server.enqueue(Fault.status(500), Fault.status(500))
    chain = resilient(
        [
            OpenAIModel("primary", base_url=model_server.base_url),
            OpenAIModel("backup", base_url=second_server.base_url),
        ],
        attempts=2,
        on_retry=events.append,
        breakers=registry,
        **FAST,
    )
    async with chain:
        first = await chain.request(HELLO)  # primary: 2 attempts, then backup
        second = await chain.request(HELLO)  # primary's breaker is open: straight to backup

    assert (first.model, second.model) == ("backup", "backup")
    assert posts(model_server) == 2
    assert posts(second_server) == 2
    assert [(e.model, e.attempt) for e in events] == [("openai:primary", 1)]
    assert registry.get("openai", model_server.base_url).state == "open"


def test_resilient_layers_in_the_documented_order() -> None:
    one = resilient("openai:gpt-4o-mini", attempts=4)
    chain = resilient(["openai:gpt-4o-mini", "anthropic:claude-haiku-4-5"])

    assert isinstance(one, CircuitBreaking)
    assert isinstance(one.wrapped, Retrying)
    assert one.wrapped.attempts == 4
    assert one.wrapped.wrapped.id == resolve_model("openai:gpt-4o-mini").id
    assert one.id == "openai:gpt-4o-mini"
    assert isinstance(chain, Fallback)
    assert [m.id for m in chain.models] == ["openai:gpt-4o-mini", "anthropic:claude-haiku-4-5"]
    assert all(isinstance(m, CircuitBreaking) for m in chain.models)
    with pytest.raises(ConfigError, match="at least one model"):
        resilient([])
