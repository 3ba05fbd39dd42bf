"""Resilient model calls: retry, circuit breaker and fallback, each a `Model` wrapping models.

    model = resilient(["openai:gpt-4o-mini", "anthropic:claude-haiku-4-5"])

From the inside out, a call meets:

1. the timeout: `settings.timeout_s`, enforced by the adapters on every attempt;
2. `Retrying`: the one retry layer (HTTP 429 and 5xx, timeouts, connection errors), with
   exponential backoff and jitter, honouring Retry-After;
3. `CircuitBreaking`: a `CircuitBreaker` per provider endpoint, which fails fast with
   `ProviderUnavailable` while the endpoint keeps failing;
4. `Fallback`: the next model of a chain when one is unavailable.

`resilient(...)` composes them in that order: `Fallback([CircuitBreaking(Retrying(m)), ...])`.
Each wrapper can be rebuilt around other inner models (`map_models`): that is how a request's
cost ledger puts its `Budgeted` wrapper beneath them, so that every attempt of a retried call
and every model of a fallback chain is reserved and settled on its own
(`frontdesk.models.budgeted`). `current_attempt()` tells the model being called which attempt
it is serving.

    ModelError (frontdesk.errors)
    └── ProviderUnavailable   a breaker is open, or every model of a fallback chain failed
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal, Self

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_base, wait_exponential, wait_random_exponential

from frontdesk.errors import ConfigError, ModelError
from frontdesk.messages import Message
from frontdesk.models._remote import ModelConnectionError, ModelHTTPError, ModelTimeout
from frontdesk.models.base import Model, ModelResponse, ModelSettings, ToolDefinition

BreakerState = Literal["closed", "open", "half_open"]

_ATTEMPT: ContextVar[int] = ContextVar("frontdesk_retry_attempt", default=1)


def current_attempt() -> int:
    """The attempt (from 1) of the innermost `Retrying` call in progress in this task; 1 outside
    any. A model beneath a `Retrying` reads it to label what it does per attempt."""
    return _ATTEMPT.get()


class ProviderUnavailable(ModelError):
    """No model could answer: a circuit breaker is open, or every model of a fallback chain
    failed. `retry_after` is the soonest a retry may succeed, in seconds (None: unknown);
    `errors` holds each model's error, in order, for a fallback chain."""

    def __init__(
        self,
        message: str,
        *,
        model: str,
        retry_after: float | None = None,
        errors: Sequence[ModelError] = (),
    ) -> None:
        super().__init__(message, model=model)
        self.retry_after = retry_after
        self.errors = tuple(errors)


def is_transient(error: BaseException) -> bool:
    """True for errors that a later attempt may well not hit: HTTP 429 and 5xx, timeouts and
    connection failures. Other 4xx statuses and unreadable answers are the caller's or the
    model's problem and would fail again."""
    if isinstance(error, ModelHTTPError):
        return error.status_code == 429 or error.status_code >= 500
    return isinstance(error, ModelTimeout | ModelConnectionError)


def should_fall_back(error: ModelError) -> bool:
    """True when another model may succeed where this one failed: a transient error (retries,
    if any, exhausted) or an open breaker."""
    return is_transient(error) or isinstance(error, ProviderUnavailable)


class _Wrapper(Model):
    """A model around another one (`wrapped`): it answers to the same id and closes the inner
    model."""

    def __init__(self, model: Model | str) -> None:
        self.wrapped = _resolve(model)
        self.provider = self.wrapped.provider
        self.model_name = self.wrapped.model_name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.wrapped!r})"

    async def aclose(self) -> None:
        await self.wrapped.aclose()

    def map_models(self, transform: Callable[[Model], Model]) -> Self:
        """A copy of this wrapper, with the same settings (and breaker), around
        `transform(self.wrapped)`."""
        clone = copy.copy(self)
        clone.wrapped = transform(self.wrapped)
        return clone


# ---- retry ----


@dataclass(kw_only=True, slots=True, frozen=True)
class RetryEvent:
    """One failed attempt that will be retried, given to `Retrying.on_retry` before the wait:
    `attempt` (1-based) failed with `error`, and the next attempt starts in `delay` seconds."""

    model: str
    attempt: int
    error: ModelError
    delay: float


RetryHook = Callable[[RetryEvent], Awaitable[None] | None]
"""Called (and awaited, if async) before each retry, to count or log failed attempts; an
exception it raises stops the retries and propagates. (A request's cost ledger needs no hook:
its `Budgeted` wrapper sits beneath the `Retrying` and meters each attempt itself.)"""


class Retrying(_Wrapper):
    """Retries a model on transient errors (`is_transient`): the one retry layer, built on
    tenacity. The adapters' SDK clients do not retry (`max_retries=0`).

    At most `attempts` requests are made. Before attempt n+1 it waits
    `min(max_delay, initial_delay * 2**(n-1))`, with "equal jitter" (a random half of it
    dropped) when `jitter`. An error carrying `retry_after` (the provider's Retry-After) waits
    exactly that long instead; a Retry-After above `max_delay` is not waited for: the error is
    raised at once. The last error is raised as it is, with a note saying why retrying
    stopped. Every attempt gets the full `settings.timeout_s`.
    """

    def __init__(
        self,
        model: Model | str,
        *,
        attempts: int = 3,
        initial_delay: float = 0.5,
        max_delay: float = 20.0,
        jitter: bool = True,
        on_retry: RetryHook | None = None,
    ) -> None:
        super().__init__(model)
        if attempts < 1:
            raise ConfigError(f"Retrying({self.id}): attempts must be at least 1, got {attempts}")
        if not 0 <= initial_delay <= max_delay:
            raise ConfigError(
                f"Retrying({self.id}): need 0 <= initial_delay <= max_delay, got "
                f"initial_delay={initial_delay}, max_delay={max_delay}"
            )
        self.attempts = attempts
        self.initial_delay = initial_delay
        self.max_delay = max_delay
        self.jitter = jitter
        self.on_retry = on_retry
        backoff: wait_base
        if jitter:  # equal jitter: half of the exponential delay fixed, half random
            half_initial, half_max = initial_delay / 2, max_delay / 2
            backoff = wait_exponential(multiplier=half_initial, max=half_max) + (
                wait_random_exponential(multiplier=half_initial, max=half_max)
            )
        else:
            backoff = wait_exponential(multiplier=initial_delay, max=max_delay)
        self._wait = _HonourRetryAfter(backoff)
        self._stop = stop_after_attempt(attempts) | _RetryAfterBeyond(max_delay)

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        pending: list[RetryEvent] = []

        def before_sleep(state: RetryCallState) -> None:
            # older tenacity (8.2) calls this synchronously, so the hook, which may be async,
            # is awaited in `sleep` below
            error = state.outcome.exception() if state.outcome else None
            assert isinstance(error, ModelError)  # only transient ModelErrors are retried
            delay = state.next_action.sleep if state.next_action else 0.0
            pending.append(
                RetryEvent(model=self.id, attempt=state.attempt_number, error=error, delay=delay)
            )

        async def sleep(seconds: float) -> None:
            if self.on_retry is not None:
                outcome = self.on_retry(pending[-1])
                if inspect.isawaitable(outcome):
                    await outcome
            await asyncio.sleep(seconds)

        retrying = AsyncRetrying(
            stop=self._stop,
            wait=self._wait,
            retry=retry_if_exception(is_transient),
            before_sleep=before_sleep,
            sleep=sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    number = _ATTEMPT.set(attempt.retry_state.attempt_number)
                    try:
                        return await self.wrapped.request(messages, tools=tools, settings=settings)
                    finally:
                        _ATTEMPT.reset(number)
        except ModelError as exc:
            if is_transient(exc):
                exc.add_note(self._why_stopped(exc, attempts=len(pending) + 1))
            raise
        raise AssertionError("unreachable: tenacity returns or raises")  # pragma: no cover

    def _why_stopped(self, error: ModelError, *, attempts: int) -> str:
        retry_after = _retry_after(error)
        if retry_after is not None and retry_after > self.max_delay:
            return (
                f"{self.id}: not retried after attempt {attempts}: the provider asked to wait "
                f"{retry_after:g}s (Retry-After), more than max_delay={self.max_delay:g}s"
            )
        return f"{self.id}: gave up after {attempts} attempt{'s' if attempts > 1 else ''}"


def _retry_after(error: BaseException | None) -> float | None:
    if isinstance(error, ModelHTTPError | ProviderUnavailable):
        return error.retry_after
    return None


def _asked_delay(retry_state: RetryCallState) -> float | None:
    """The Retry-After of the attempt that just failed, if the provider gave one."""
    return _retry_after(retry_state.outcome.exception() if retry_state.outcome else None)


class _HonourRetryAfter(wait_base):
    """Wait what the provider asked for (Retry-After), else the backoff."""

    def __init__(self, backoff: wait_base) -> None:
        self.backoff = backoff

    def __call__(self, retry_state: RetryCallState) -> float:
        retry_after = _asked_delay(retry_state)
        return retry_after if retry_after is not None else self.backoff(retry_state)


class _RetryAfterBeyond(stop_base):
    """Stop when the provider asks to wait longer than `max_delay`."""

    def __init__(self, max_delay: float) -> None:
        self.max_delay = max_delay

    def __call__(self, retry_state: RetryCallState) -> bool:
        retry_after = _asked_delay(retry_state)
        return retry_after is not None and retry_after > self.max_delay


# ---- circuit breaker ----


@dataclass(frozen=True, slots=True)
class Permit:
    """Leave to make one call, from `CircuitBreaker.admit`; `probe` marks the half-open probe.
    Report its outcome with exactly one of `record_success`, `record_failure`, `release`."""

    probe: bool


class CircuitBreaker:
    """Fails fast while a provider endpoint is down, instead of sending it more requests.

    closed → open: `failures` failures in a row, all within `window` seconds (a success
    clears the count, so a healthy endpoint with sporadic errors never opens). open → half_open:
    after `reset_after` seconds. half_open: one probe call goes through, the others are
    refused; its success closes the breaker, its failure opens it again for `reset_after`.
    `clock` (seconds, monotonic) is injectable for tests; `state` is for metrics. Thread-safe.
    """

    def __init__(
        self,
        *,
        failures: int = 5,
        window: float = 60.0,
        reset_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failures < 1 or window <= 0 or reset_after < 0:
            raise ConfigError(
                f"CircuitBreaker needs failures >= 1, window > 0 and reset_after >= 0; got "
                f"failures={failures}, window={window}, reset_after={reset_after}"
            )
        self.failures = failures
        self.window = window
        self.reset_after = reset_after
        self.clock = clock
        self._lock = threading.Lock()
        self._recent: deque[float] = deque()  # times of the current run of failures
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        """`closed`, `open` or `half_open` (open, with `reset_after` elapsed)."""
        with self._lock:
            return self._state(self.clock())

    def retry_in(self) -> float | None:
        """Seconds until an open breaker lets a probe through (0 when half-open, None when
        closed)."""
        with self._lock:
            if self._opened_at is None:
                return None
            return max(0.0, self._opened_at + self.reset_after - self.clock())

    def admit(self) -> Permit | None:
        """A permit for one call, or None while open (or while the half-open probe is out)."""
        with self._lock:
            state = self._state(self.clock())
            if state == "closed":
                return Permit(probe=False)
            if state == "half_open" and not self._probing:
                self._probing = True
                return Permit(probe=True)
            return None

    def record_success(self, permit: Permit) -> None:
        """The endpoint answered: close the breaker."""
        with self._lock:
            self._recent.clear()
            self._opened_at = None
            self._probing = False

    def record_failure(self, permit: Permit) -> None:
        """The endpoint failed: count it; open (or reopen, after a probe) when due."""
        with self._lock:
            now = self.clock()
            if permit.probe:
                self._probing = False
                self._opened_at = now
                return
            if self._opened_at is not None:  # a call admitted before the breaker opened
                return
            self._recent.append(now)
            while self._recent and self._recent[0] <= now - self.window:
                self._recent.popleft()
            if len(self._recent) >= self.failures:
                self._recent.clear()
                self._opened_at = now

    def release(self, permit: Permit) -> None:
        """The call ended without saying anything about the endpoint (cancelled, or an error
        of ours): let another probe through if this was the probe."""
        if permit.probe:
            with self._lock:
                self._probing = False

    def _state(self, now: float) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        return "half_open" if now >= self._opened_at + self.reset_after else "open"


class BreakerRegistry:
    """One `CircuitBreaker` per provider endpoint, keyed by (provider, base URL), made on first
    use by `factory`. `BREAKERS` is the process-wide one; pass your own for other thresholds or
    for isolation in tests."""

    def __init__(self, factory: Callable[[], CircuitBreaker] = CircuitBreaker) -> None:
        self.factory = factory
        self._lock = threading.Lock()
        self._breakers: dict[tuple[str, str], CircuitBreaker] = {}

    def get(self, provider: str, base_url: str = "") -> CircuitBreaker:
        """The breaker of the endpoint `base_url` of `provider` (made if new)."""
        key = (provider, base_url.rstrip("/"))
        with self._lock:
            breaker = self._breakers.get(key)
            if breaker is None:
                breaker = self._breakers[key] = self.factory()
            return breaker

    def for_model(self, model: Model) -> CircuitBreaker:
        """The breaker of the endpoint `model` (or the model it wraps) calls."""
        return self.get(*endpoint(model))

    def states(self) -> dict[tuple[str, str], BreakerState]:
        """The state of every breaker, keyed by (provider, base URL): for metrics."""
        with self._lock:
            breakers = dict(self._breakers)
        return {key: breaker.state for key, breaker in breakers.items()}


BREAKERS = BreakerRegistry()
"""The process-wide breakers: every model calling one endpoint shares its breaker."""


def endpoint(model: Model) -> tuple[str, str]:
    """(provider, base URL) of the endpoint `model` calls, looking through wrappers (any model
    whose `wrapped` attribute is a model); the base URL is '' for models without one (test
    doubles, offline models)."""
    inner = getattr(model, "wrapped", None)
    while isinstance(inner, Model):
        model, inner = inner, getattr(inner, "wrapped", None)
    base_url = getattr(model, "base_url", "")
    return model.provider, base_url.rstrip("/") if isinstance(base_url, str) else ""


class CircuitBreaking(_Wrapper):
    """Calls a model through a `CircuitBreaker`: while it is open, raises `ProviderUnavailable`
    without calling the model. By default the breaker is the one of the model's endpoint in
    `registry` (the process-wide `BREAKERS`).

    Transient errors (`is_transient`) count as failures; any other HTTP error status means the
    endpoint answered, so it counts as a success; other errors and cancellation count as
    neither.
    """

    def __init__(
        self,
        model: Model | str,
        breaker: CircuitBreaker | None = None,
        *,
        registry: BreakerRegistry | None = None,
    ) -> None:
        super().__init__(model)
        self.breaker = breaker or (registry or BREAKERS).for_model(self.wrapped)

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        permit = self.breaker.admit()
        if permit is None:
            provider, base_url = endpoint(self.wrapped)
            where = f"{provider} at {base_url}" if base_url else provider
            wait = self.breaker.retry_in() or 0.0
            after = f"a probe is allowed in {wait:.1f}s" if wait else "a probe is in flight"
            raise ProviderUnavailable(
                f"{self.id}: circuit breaker open for {where} after repeated failures; {after}",
                model=self.id,
                retry_after=wait,
            )
        try:
            response = await self.wrapped.request(messages, tools=tools, settings=settings)
        except ModelError as exc:
            if is_transient(exc):
                self.breaker.record_failure(permit)
            elif isinstance(exc, ModelHTTPError):
                self.breaker.record_success(permit)
            else:
                self.breaker.release(permit)
            raise
        except BaseException:
            self.breaker.release(permit)
            raise
        self.breaker.record_success(permit)
        return response


# ---- fallback ----


class Fallback(Model):
    """Tries `models` in order; on an error `fall_back_on` accepts (by default
    `should_fall_back`: transient errors, exhausted retries, open breakers) it moves to the
    next one. Any other error (a 400, an unreadable answer, a bug) is raised at once. The
    answer's `ModelResponse.model` names the model that gave it. When every model fails it
    raises `ProviderUnavailable` listing each model's error.
    """

    provider = "fallback"

    def __init__(
        self,
        models: Sequence[Model | str],
        *,
        fall_back_on: Callable[[ModelError], bool] = should_fall_back,
    ) -> None:
        if isinstance(models, str) or not models:
            raise ConfigError("Fallback needs a list of one or more models")
        self.models = [_resolve(m) for m in models]
        self.model_name = ",".join(m.id for m in self.models)
        self.fall_back_on = fall_back_on

    def __repr__(self) -> str:
        return f"Fallback({self.models!r})"

    async def aclose(self) -> None:
        for model in self.models:
            await model.aclose()

    def map_models(self, transform: Callable[[Model], Model]) -> Fallback:
        """A copy of this chain, with the same rule for falling back, over `transform(m)` for
        each of its models `m`."""
        clone = copy.copy(self)
        clone.models = [transform(model) for model in self.models]
        return clone

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        errors: list[ModelError] = []
        for model in self.models:
            try:
                response = await model.request(messages, tools=tools, settings=settings)
            except ModelError as exc:
                if not self.fall_back_on(exc):
                    raise
                errors.append(exc)
                continue
            response.model = response.model or model.model_name
            return response
        waits = [w for w in (_retry_after(e) for e in errors) if w is not None]
        listed = " ".join(f"({n}) {_describe(e)}" for n, e in enumerate(errors, 1))
        raise ProviderUnavailable(
            f"all {len(errors)} models of the fallback chain failed: {listed}",
            model=self.id,
            retry_after=min(waits) if len(waits) == len(errors) else None,
            errors=errors,
        )


def _describe(error: ModelError) -> str:
    """An error on one line, prefixed with its model id, with its notes."""
    text = str(error)
    if not text.startswith(error.model):
        text = f"{error.model}: {text}"
    notes = [n for n in getattr(error, "__notes__", ()) if isinstance(n, str)]
    return " ".join("; ".join([text, *notes]).split())


# ---- composition ----


def resilient(
    models: Model | str | Sequence[Model | str],
    *,
    attempts: int = 3,
    initial_delay: float = 0.5,
    max_delay: float = 20.0,
    jitter: bool = True,
    on_retry: RetryHook | None = None,
    breakers: BreakerRegistry | None = None,
) -> Model:
    """A model (or a fallback chain of models) made resilient: each model retried
    (`Retrying`) inside its endpoint's circuit breaker (`CircuitBreaking`, from `breakers`,
    default the process-wide `BREAKERS`), the models tried in order (`Fallback`). One model
    gets no `Fallback` layer. The timeout is `settings.timeout_s`, per attempt."""
    chain = [models] if isinstance(models, Model | str) else list(models)
    if not chain:
        raise ConfigError("resilient() needs at least one model")
    guarded: list[Model] = [
        CircuitBreaking(
            Retrying(
                model,
                attempts=attempts,
                initial_delay=initial_delay,
                max_delay=max_delay,
                jitter=jitter,
                on_retry=on_retry,
            ),
            registry=breakers,
        )
        for model in chain
    ]
    return guarded[0] if len(guarded) == 1 else Fallback(guarded)


def _resolve(model: Model | str) -> Model:
    from frontdesk.models import resolve_model  # the package imports this module

    return resolve_model(model)
