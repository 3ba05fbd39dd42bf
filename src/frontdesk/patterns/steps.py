"""What the pipeline and debate patterns share: running one step (a stage or an analyst) under
its own model, limits and share of the request budget, and the progress events it reports.

A step is a user function, sync or async. It gets a `StepContext` whose `model` (if the step
declares one) is metered by the request's cost ledger as the step's own agent, so every model
call is reserved before and settled after (`frontdesk.models.budgeted`). `run_step` never raises
for what a run can hit — a budget, a call limit, its timeout, a provider failure, a bug in the
step — it returns a `StepOutcome` with a `stop_reason` and the error. A misconfiguration
(`ConfigError`, e.g. a model the price table does not know) is raised: it is not a run outcome.

Stop reasons are the specialists' (`frontdesk.agents.StopReason`) plus one: `stage_failed`,
for a step that raised an exception of its own (a bug or unusable intermediate data).

Progress: a run takes an optional `progress` callback (sync or async) called with a
`ProgressEvent` when each step starts, finishes or fails; `stream_progress` turns a run into
an async iterator of its events and then its result. A callback that raises is logged and
ignored: progress is a display, never a control path.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from frontdesk.agents import StopReason
from frontdesk.context import RequestContext
from frontdesk.errors import BudgetExceeded, ConfigError, LimitExceeded, ModelError
from frontdesk.guards.limits import Limits
from frontdesk.models import resolve_model
from frontdesk.models.base import Model
from frontdesk.telemetry.tracing import DISABLED

log = logging.getLogger(__name__)

T = TypeVar("T")

RunStopReason = StopReason | Literal["stage_failed"]
"""Why a pipeline or debate run stopped: `completed`, a limit (`budget_exceeded`, `timeout`,
`iteration_limit`), `provider_unavailable`, or `stage_failed` (a step raised)."""

EventKind = Literal["started", "finished", "failed"]


@dataclass(kw_only=True, slots=True, frozen=True)
class ProgressEvent:
    """One step of a run changed state. `pattern` is "pipeline" or "debate", `run` the
    pipeline's or debate's name, `step` the stage or analyst, `index` / `total` place it
    (1-based). `elapsed_ms` is the step's own wall time (0 for `started`); a `failed` event
    carries its `stop_reason` and `error`."""

    kind: EventKind
    pattern: Literal["pipeline", "debate"]
    run: str
    step: str
    index: int
    total: int
    elapsed_ms: float = 0.0
    stop_reason: RunStopReason | None = None
    error: str | None = None


ProgressCallback = Callable[[ProgressEvent], Awaitable[None] | None]
"""Called with every `ProgressEvent` of a run; a plain function or a coroutine function."""


async def stream_progress(
    start: Callable[[ProgressCallback], Awaitable[T]],
) -> AsyncIterator[ProgressEvent | T]:
    """The progress of a run as an async iterator: `start(progress)` runs in a task, its
    events are yielded as they happen, and its result comes last (its exception is raised).
    Leaving the loop early cancels the run.

        async for item in stream_progress(lambda p: run_pipeline(pipeline, state, progress=p)):
            if isinstance(item, ProgressEvent): ...   # else: the PipelineResult
    """
    queue: asyncio.Queue[ProgressEvent] = asyncio.Queue()
    task = asyncio.ensure_future(start(queue.put_nowait))
    try:
        while True:
            waiting = asyncio.ensure_future(queue.get())
            await asyncio.wait({waiting, task}, return_when=asyncio.FIRST_COMPLETED)
            if waiting.done():
                yield waiting.result()
                continue
            waiting.cancel()
            while not queue.empty():
                yield queue.get_nowait()
            yield task.result()
            return
    finally:
        if not task.done():
            task.cancel()


async def emit(callback: ProgressCallback | None, event: ProgressEvent) -> None:
    """Hand `event` to `callback` (if any), never letting the callback break the run."""
    if callback is None:
        return
    try:
        outcome = callback(event)
        if inspect.isawaitable(outcome):
            await outcome
    except Exception:  # a display must not stop the work it displays
        log.exception("progress callback failed on %s %s", event.step, event.kind)


@dataclass(kw_only=True, slots=True)
class StepContext:
    """What a running step may use: its `name`, the request (`request.ledger` holds the costs)
    and its `model` — already metered as the step's agent — or None when it declares none."""

    name: str
    agent: str
    """The name the step's model calls are metered under in the ledger."""
    request: RequestContext
    model: Model | None = None
    progress: ProgressCallback | None = None

    def require_model(self) -> Model:
        """The step's model, or a `ConfigError` saying the step needs one."""
        if self.model is None:
            raise ConfigError(f"step {self.name!r} needs a model: declare one with model=...")
        return self.model


@dataclass(kw_only=True, slots=True)
class StepOutcome:
    """How one step ended: its `value` when it completed, else why it stopped."""

    value: Any = None
    stop_reason: RunStopReason = "completed"
    error: str | None = None
    elapsed_ms: float = 0.0
    cost_usd: float = 0.0
    model_calls: int = 0

    @property
    def ok(self) -> bool:
        return self.stop_reason == "completed"


def check_step(kind: str, name: str, run: object, share: float | None) -> None:
    """Raise `ConfigError` unless a step's declaration is usable: a non-empty name, a function
    to run, a budget share that is None or a fraction in (0, 1]."""
    if not name or not name.strip():
        raise ConfigError(f"a {kind} needs a non-empty name")
    if not callable(run):
        raise ConfigError(f"{kind} {name!r}: run must be a function, got {run!r}")
    check_share(f"{kind} {name!r}", share)


def check_share(owner: str, share: float | None) -> None:
    """Raise `ConfigError` unless `share` is None or a fraction in (0, 1]."""
    if share is None:
        return
    if isinstance(share, bool) or not (
        isinstance(share, int | float) and math.isfinite(share) and 0 < share <= 1
    ):
        raise ConfigError(
            f"{owner}: budget_share must be a fraction of the request budget in (0, 1], "
            f"got {share!r}"
        )


def step_context(
    *,
    name: str,
    agent: str,
    model: str | Model | None,
    request: RequestContext,
    limits: Limits | None,
    budget_share: float | None,
    progress: ProgressCallback | None = None,
) -> StepContext:
    """The context of one step: its model resolved and metered as `agent`, and the ledger told
    the step's caps — `budget_share` of the request budget (no cap when the request has no
    budget) and `limits.max_model_calls`."""
    request_usd = request.budget.request_usd
    max_usd = None
    if budget_share is not None and request_usd is not None and math.isfinite(request_usd):
        max_usd = budget_share * request_usd
    max_calls = limits.max_model_calls if limits is not None else None
    request.ledger.limit_agent(agent, max_usd=max_usd, max_calls=max_calls)
    metered = None if model is None else request.budgeted(resolve_model(model), agent=agent)
    return StepContext(name=name, agent=agent, request=request, model=metered, progress=progress)


async def call(function: Callable[..., Any], *args: Any) -> Any:
    """Call `function(*args)`: awaited when it is async, in a worker thread when it is not (so
    a CPU-bound step neither blocks the event loop nor escapes its timeout)."""
    if inspect.iscoroutinefunction(function):
        return await function(*args)
    result = await asyncio.to_thread(function, *args)
    if inspect.isawaitable(result):  # e.g. a lambda returning a coroutine
        return await result
    return result


async def run_step(
    function: Callable[..., Any],
    *args: Any,
    ctx: StepContext,
    timeout_s: float | None,
) -> StepOutcome:
    """Run one step under its timeout and turn what stops it into a `StepOutcome`; with the
    request's telemetry, the step is an `invoke_agent {agent}` span (docs/observability.md)."""
    telemetry = ctx.request.telemetry or DISABLED
    with telemetry.step_span(ctx.agent) as span:
        outcome = await _run_step(function, *args, ctx=ctx, timeout_s=timeout_s)
        span.finish(outcome.stop_reason, cost_usd=outcome.cost_usd, model_calls=outcome.model_calls)
    return outcome


async def _run_step(
    function: Callable[..., Any],
    *args: Any,
    ctx: StepContext,
    timeout_s: float | None,
) -> StepOutcome:
    started = time.perf_counter()
    ledger = ctx.request.ledger
    spent_before, calls_before = ledger.spent_by(ctx.agent), ledger.calls_by(ctx.agent)
    outcome = StepOutcome()
    try:
        async with asyncio.timeout(timeout_s) as deadline:
            outcome.value = await call(function, *args)
    except TimeoutError as exc:
        outcome.stop_reason = "timeout"
        outcome.error = (
            f"{ctx.name} did not finish within {timeout_s:g} s"
            if deadline.expired() and timeout_s is not None
            else f"{ctx.name} failed: TimeoutError: {exc}"
        )
    except BudgetExceeded as exc:
        outcome.stop_reason, outcome.error = "budget_exceeded", str(exc)
    except LimitExceeded as exc:
        outcome.stop_reason, outcome.error = "iteration_limit", str(exc)
    except ModelError as exc:
        outcome.stop_reason = "provider_unavailable"
        outcome.error = f"{ctx.name}: {exc.model}: {exc}"
    except ConfigError:
        raise
    except Exception as exc:
        outcome.stop_reason = "stage_failed"
        outcome.error = f"{ctx.name} failed: {type(exc).__name__}: {exc}"
    outcome.elapsed_ms = (time.perf_counter() - started) * 1000
    outcome.cost_usd = ledger.spent_by(ctx.agent) - spent_before
    outcome.model_calls = ledger.calls_by(ctx.agent) - calls_before
    return outcome
