"""The pipeline pattern: stages run in order over one typed state, compiled to a LangGraph graph.

    START → stage_1 → stage_2 → … → stage_n → END
               └──────────┴── (a stage stops) ──► END

A `Pipeline` is an inert declaration; `run_pipeline` executes it. Each `Stage` is a function
`run(state, ctx) -> state` (sync or async; returning None keeps the state it was given) and may
declare its own `model` ("provider:model" or a `Model`; None for a stage that uses none), its
own `limits` (`max_model_calls`, `timeout_s`) and a `budget_share` of the request budget. Every
model call a stage makes through `ctx.model` is reserved and settled in the request's ledger
under the agent name `<pipeline>.<stage>`.

A stage that hits a limit, a budget or a provider failure, or raises, stops the run: the
`PipelineResult` keeps the state as the last completed stage left it, a record per stage
(completed / failed / skipped, with timing and cost) and one `stop_reason`. Stages should return
a new state rather than mutate the one they get, so that a failing stage cannot corrupt what
the earlier ones produced.

    pipeline = Pipeline(name="report", stages=[
        Stage(name="extract", run=extract, model="openai:gpt-4o-mini",
              limits=Limits(max_model_calls=3, timeout_s=20), budget_share=0.5),
        Stage(name="report", run=render),
    ])
    result = await run_pipeline(pipeline, State(text=...), budget=Budget(request_usd=0.05))
    result.stop_reason, result.state, [s.status for s in result.stages]
"""

from __future__ import annotations

import operator
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, Literal, TypedDict, TypeVar

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from frontdesk.context import RequestContext
from frontdesk.errors import ConfigError
from frontdesk.guards.budget import Budget
from frontdesk.guards.limits import Limits
from frontdesk.models.base import Model
from frontdesk.patterns.steps import (
    EventKind,
    ProgressCallback,
    ProgressEvent,
    RunStopReason,
    StepContext,
    check_step,
    emit,
    run_step,
    step_context,
)
from frontdesk.telemetry.tracing import DISABLED

S = TypeVar("S")

StageFunction = Callable[[S, StepContext], "Awaitable[S | None] | S | None"]
"""A stage's work: the state in, the new state out (None: the state it was given)."""

StageStatus = Literal["completed", "failed", "skipped"]


@dataclass(kw_only=True, frozen=True)
class Stage(Generic[S]):
    """One step of a pipeline (inert). `limits.max_model_calls` caps its model calls and
    `limits.timeout_s` its wall time (`max_steps` does not apply to a stage); `budget_share`
    (a fraction in (0, 1]) caps its spending at that share of the request budget."""

    name: str
    run: StageFunction[S]
    model: str | Model | None = None
    limits: Limits | None = None
    budget_share: float | None = None
    description: str = ""

    def __post_init__(self) -> None:
        check_step("pipeline stage", self.name, self.run, self.budget_share)


@dataclass(kw_only=True, frozen=True)
class Pipeline(Generic[S]):
    """Stages run in order over one state (inert: `run_pipeline` executes it). Stage names
    are unique; `name` prefixes the agent names the stages' model calls are metered under."""

    stages: Sequence[Stage[S]]
    name: str = "pipeline"
    _graph: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.stages:
            raise ConfigError(f"pipeline {self.name!r} needs at least one stage")
        names = [s.name for s in self.stages]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ConfigError(
                f"pipeline {self.name!r}: stage names must be unique, repeated: {duplicates}"
            )
        object.__setattr__(self, "stages", tuple(self.stages))

    def agent(self, stage: Stage[S]) -> str:
        """The ledger's agent name for `stage`'s model calls."""
        return f"{self.name}.{stage.name}"

    def graph(self) -> CompiledStateGraph[_State, _Run, _State, _State]:
        """The compiled LangGraph graph (built once per pipeline)."""
        if self._graph is None:
            object.__setattr__(self, "_graph", compile_pipeline(self))
        graph: CompiledStateGraph[_State, _Run, _State, _State] = self._graph
        return graph


@dataclass(kw_only=True, slots=True)
class StageRecord:
    """What one stage did in a run."""

    name: str
    status: StageStatus
    model: str | None = None
    elapsed_ms: float = 0.0
    cost_usd: float = 0.0
    model_calls: int = 0
    stop_reason: RunStopReason | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "model": self.model,
            "elapsed_ms": round(self.elapsed_ms, 3),
            "cost_usd": self.cost_usd,
            "model_calls": self.model_calls,
            "stop_reason": self.stop_reason,
            "error": self.error,
        }


@dataclass(kw_only=True, slots=True)
class PipelineResult(Generic[S]):
    """The outcome of a run: `state` as the last completed stage left it, one record per stage
    in order, and why the run stopped (`completed` when every stage did)."""

    state: S
    stop_reason: RunStopReason
    stages: list[StageRecord]
    error: str | None = None
    failed_stage: str | None = None
    latency_ms: float = 0.0

    @property
    def completed(self) -> bool:
        return self.stop_reason == "completed"

    @property
    def cost_usd(self) -> float:
        """What the stages' model calls cost, every attempt included."""
        return sum(s.cost_usd for s in self.stages)

    def stage(self, name: str) -> StageRecord:
        for record in self.stages:
            if record.name == name:
                return record
        raise KeyError(f"no stage named {name!r}; stages: {[s.name for s in self.stages]}")


class _State(TypedDict, total=False):
    """Graph state (in memory only: the pipeline state may be any Python object)."""

    state: Any
    stop: dict[str, Any] | None
    records: Annotated[list[StageRecord], operator.add]


@dataclass(kw_only=True, slots=True)
class _Run:
    """The LangGraph run context: what one invocation's nodes share."""

    request: RequestContext
    progress: ProgressCallback | None = None


def compile_pipeline(pipeline: Pipeline[Any]) -> CompiledStateGraph[_State, _Run, _State, _State]:
    """The pipeline as a LangGraph graph: one node per stage, in order, each going to END
    when its stage stopped the run."""
    stages = list(pipeline.stages)
    total = len(stages)

    def node(index: int, stage: Stage[Any]) -> Callable[..., Awaitable[_State]]:
        async def run(state: _State, runtime: Runtime[_Run]) -> _State:
            run_context = runtime.context

            def event(kind: EventKind, **more: Any) -> ProgressEvent:
                return ProgressEvent(
                    kind=kind, pattern="pipeline", run=pipeline.name, step=stage.name,
                    index=index + 1, total=total, **more,
                )  # fmt: skip

            await emit(run_context.progress, event("started"))
            ctx = step_context(
                name=stage.name, agent=pipeline.agent(stage), model=stage.model,
                request=run_context.request, limits=stage.limits,
                budget_share=stage.budget_share, progress=run_context.progress,
            )  # fmt: skip
            timeout_s = stage.limits.timeout_s if stage.limits is not None else None
            outcome = await run_step(stage.run, state["state"], ctx, ctx=ctx, timeout_s=timeout_s)
            record = StageRecord(
                name=stage.name, status="completed" if outcome.ok else "failed",
                model=ctx.model.id if ctx.model is not None else None,
                elapsed_ms=outcome.elapsed_ms, cost_usd=outcome.cost_usd,
                model_calls=outcome.model_calls,
                stop_reason=outcome.stop_reason, error=outcome.error,
            )  # fmt: skip
            if outcome.ok:
                await emit(
                    run_context.progress,
                    event("finished", elapsed_ms=outcome.elapsed_ms, stop_reason="completed"),
                )
                new = state["state"] if outcome.value is None else outcome.value
                return {"state": new, "records": [record]}
            await emit(
                run_context.progress,
                event("failed", elapsed_ms=outcome.elapsed_ms,
                      stop_reason=outcome.stop_reason, error=outcome.error),
            )  # fmt: skip
            stop = {"stage": stage.name, "reason": outcome.stop_reason, "error": outcome.error}
            return {"stop": stop, "records": [record]}

        return run

    def after(next_node: str) -> Callable[[_State], str]:
        return lambda state: END if state.get("stop") else next_node

    graph: StateGraph[_State, _Run, _State, _State] = StateGraph(_State, context_schema=_Run)
    # LangGraph reserves some characters in node names (":" among them): keep the readable rest
    names = [f"stage_{i}_{re.sub(r'[^A-Za-z0-9_.-]', '_', s.name)}" for i, s in enumerate(stages)]
    for i, stage in enumerate(stages):
        graph.add_node(names[i], node(i, stage))
    graph.add_edge(START, names[0])
    for i, name in enumerate(names):
        following = names[i + 1] if i + 1 < total else END
        graph.add_conditional_edges(name, after(following), [following, END])
    return graph.compile()


async def run_pipeline(
    pipeline: Pipeline[S],
    state: S,
    *,
    request: RequestContext | None = None,
    budget: Budget | None = None,
    progress: ProgressCallback | None = None,
) -> PipelineResult[S]:
    """Run `pipeline`'s stages in order from `state`.

    Model calls are metered in `request`'s ledger (default: a fresh request with `budget`).
    Never raises for what stops a stage (see `PipelineResult.stop_reason`); a misconfiguration
    (`ConfigError`, e.g. an unpriced model) is raised."""
    if request is None:
        request = RequestContext.new(budget=budget)
    elif budget is not None:
        raise ConfigError("run_pipeline: pass budget= or request=, not both")
    started = time.perf_counter()
    # the run's span (with the request's telemetry): its steps' spans are its children
    with (request.telemetry or DISABLED).run_span(pipeline.name):
        final = await pipeline.graph().ainvoke(
            {"state": state, "stop": None, "records": []},
            # one super-step per stage: reaching the limit would be a bug, not a long pipeline
            config={"recursion_limit": len(pipeline.stages) + 1},
            context=_Run(request=request, progress=progress),
        )
    await request.ledger.flush()
    records: list[StageRecord] = list(final.get("records", []))
    done = {r.name for r in records}
    records += [
        StageRecord(name=s.name, status="skipped") for s in pipeline.stages if s.name not in done
    ]
    stop = final.get("stop") or {}
    return PipelineResult(
        state=final["state"],
        stop_reason=stop.get("reason", "completed"),
        stages=records,
        error=stop.get("error"),
        failed_stage=stop.get("stage"),
        latency_ms=(time.perf_counter() - started) * 1000,
    )
