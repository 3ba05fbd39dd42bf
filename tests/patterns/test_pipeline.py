"""The pipeline pattern: stages in order over a typed state, each with its own model, limits
and share of the request budget; a stage that stops the run keeps what the earlier ones made."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pytest

from frontdesk import Budget, ConfigError, Limits, RequestContext
from frontdesk.errors import ModelError
from frontdesk.messages import Message, UserMessage
from frontdesk.models import FunctionModel, ModelResponse, ScriptedModel, ToolDefinition
from frontdesk.models.pricing import UnknownPrice
from frontdesk.models.testing import text_response
from frontdesk.patterns.pipeline import Pipeline, PipelineResult, Stage, run_pipeline
from frontdesk.patterns.steps import ProgressEvent, StepContext, stream_progress
from priced import priced_table


@dataclass(frozen=True)
class Doc:
    text: str
    words: tuple[str, ...] = ()
    summary: str = ""
    log: tuple[str, ...] = field(default_factory=tuple)


def split(doc: Doc, ctx: StepContext) -> Doc:
    return replace(doc, words=tuple(doc.text.split()), log=(*doc.log, ctx.name))


async def summarise(doc: Doc, ctx: StepContext) -> Doc:
    model = ctx.require_model()
    response = await model.request([UserMessage(text=" ".join(doc.words))])
    return replace(doc, summary=response.text, log=(*doc.log, ctx.name))


def echo_model(prefix: str) -> FunctionModel:
    def answer(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
        return text_response(f"{prefix}: {messages[-1].text[:20]}")  # type: ignore[union-attr]

    return FunctionModel(answer, model_name=prefix)


async def test_stages_run_in_order_each_with_its_own_model() -> None:
    events: list[ProgressEvent] = []
    pipeline = Pipeline(
        name="doc",
        stages=[
            Stage(name="split", run=split),
            Stage(name="summarise", run=summarise, model=echo_model("small")),
            Stage(name="polish", run=summarise, model=echo_model("large")),
        ],
    )
    result = await run_pipeline(pipeline, Doc(text="the quick brown fox"), progress=events.append)

    assert result.completed
    assert result.stop_reason == "completed"
    assert result.state.log == ("split", "summarise", "polish")
    assert result.state.summary == "large: the quick brown fox"
    assert [(s.name, s.status, s.model) for s in result.stages] == [
        ("split", "completed", None),
        ("summarise", "completed", "function:small"),
        ("polish", "completed", "function:large"),
    ]
    assert [s.model_calls for s in result.stages] == [0, 1, 1]
    assert [(e.step, e.kind) for e in events] == [
        ("split", "started"), ("split", "finished"),
        ("summarise", "started"), ("summarise", "finished"),
        ("polish", "started"), ("polish", "finished"),
    ]  # fmt: skip
    assert all(e.pattern == "pipeline" and e.run == "doc" and e.total == 3 for e in events)
    assert [e.index for e in events if e.kind == "finished"] == [1, 2, 3]
    assert all(e.elapsed_ms > 0 for e in events if e.kind == "finished")


async def test_a_failing_stage_stops_the_run_and_keeps_the_earlier_results() -> None:
    def broken(doc: Doc, ctx: StepContext) -> Doc:
        raise ValueError("no summary for an empty document")

    events: list[ProgressEvent] = []
    pipeline = Pipeline(
        stages=[
            Stage(name="split", run=split),
            Stage(name="summarise", run=broken),
            Stage(name="polish", run=summarise, model=echo_model("large")),
        ]
    )
    result = await run_pipeline(pipeline, Doc(text="a b c"), progress=events.append)

    assert result.stop_reason == "stage_failed"
    assert result.failed_stage == "summarise"
    assert result.error == "summarise failed: ValueError: no summary for an empty document"
    assert result.state.words == ("a", "b", "c")  # the split stage's result is kept
    assert [s.status for s in result.stages] == ["completed", "failed", "skipped"]
    assert [(e.step, e.kind) for e in events][-1] == ("summarise", "failed")
    assert events[-1].stop_reason == "stage_failed"


async def test_a_stage_timeout_stops_with_timeout() -> None:
    async def slow(doc: Doc, ctx: StepContext) -> Doc:
        await asyncio.sleep(5)
        return doc

    pipeline = Pipeline(
        stages=[
            Stage(name="split", run=split),
            Stage(name="slow", run=slow, limits=Limits(timeout_s=0.2)),
        ]
    )
    started = time.perf_counter()
    result = await run_pipeline(pipeline, Doc(text="x y"))
    assert time.perf_counter() - started < 2
    assert result.stop_reason == "timeout"
    assert result.error == "slow did not finish within 0.2 s"
    assert result.state.words == ("x", "y")
    assert result.stage("slow").elapsed_ms >= 200


async def test_a_stage_model_call_limit_stops_with_iteration_limit() -> None:
    model = ScriptedModel(steps=[text_response("again")], repeat_last=True)

    async def insists(doc: Doc, ctx: StepContext) -> Doc:
        while True:
            await ctx.require_model().request([UserMessage(text="more")])

    pipeline = Pipeline(
        stages=[Stage(name="loop", run=insists, model=model, limits=Limits(max_model_calls=3))]
    )
    result = await run_pipeline(pipeline, Doc(text="x"))
    assert result.stop_reason == "iteration_limit"
    assert len(model.calls) == 3
    assert result.stage("loop").model_calls == 3
    assert "limit of 3 model calls" in (result.error or "")


async def test_a_provider_failure_stops_with_provider_unavailable() -> None:
    def down(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
        raise ModelError("503 Service Unavailable", model="function:down", status_code=503)

    pipeline = Pipeline(
        stages=[
            Stage(name="split", run=split),
            Stage(name="summarise", run=summarise, model=FunctionModel(down, model_name="down")),
        ]
    )
    result = await run_pipeline(pipeline, Doc(text="x"))
    assert result.stop_reason == "provider_unavailable"
    assert result.error == "summarise: function:down: 503 Service Unavailable"
    assert result.state.words == ("x",)


def priced_loop_model() -> ScriptedModel:
    """`openai:test-model` ($1 / $2 per million tokens) answering every call for ~$0.003."""
    return ScriptedModel(
        steps=[text_response("not done yet", input_tokens=200, output_tokens=1000)],
        repeat_last=True, provider="openai", model_name="test-model",
    )  # fmt: skip


async def keep_calling(doc: Doc, ctx: StepContext) -> Doc:
    model = ctx.require_model()
    while True:  # a stage that never converges: only the budget stops it
        await model.request([UserMessage(text="try again " + doc.text)])


async def test_cost_spiral_a_pipeline_stops_at_the_request_budget() -> None:
    model = priced_loop_model()
    request = RequestContext.new(budget=Budget(request_usd=0.05), prices=priced_table())
    pipeline = Pipeline(
        name="spiral",
        stages=[
            Stage(name="split", run=split),
            Stage(name="loop", run=keep_calling, model=model, limits=Limits(timeout_s=10)),
        ],
    )
    result = await run_pipeline(pipeline, Doc(text="a b"), request=request)

    assert result.stop_reason == "budget_exceeded"
    assert "the request budget of $0.0500 would be exceeded" in (result.error or "")
    assert result.state.words == ("a", "b")
    calls = len(model.calls)
    assert calls >= 10  # it really spiralled, until the ledger refused the next call
    assert request.ledger.spent_usd <= 0.05
    assert request.ledger.spent_usd == pytest.approx(calls * (200 * 1.0 + 1000 * 2.0) / 1e6)
    assert result.cost_usd == pytest.approx(request.ledger.spent_usd)
    assert {i.agent for i in request.ledger.items} == {"spiral.loop"}


async def test_a_stage_budget_share_caps_that_stage() -> None:
    model = priced_loop_model()
    request = RequestContext.new(budget=Budget(request_usd=0.05), prices=priced_table())
    pipeline = Pipeline(
        stages=[Stage(name="loop", run=keep_calling, model=model, budget_share=0.2)]
    )
    result = await run_pipeline(pipeline, Doc(text="a"), request=request)
    assert result.stop_reason == "budget_exceeded"
    assert "loop's budget of $0.0100" in (result.error or "")
    assert 0 < request.ledger.spent_by("pipeline.loop") <= 0.01


async def test_an_unpriced_model_is_a_configuration_error() -> None:
    unpriced = ScriptedModel(steps=[text_response("x")], provider="openai", model_name="nope-1")
    pipeline = Pipeline(stages=[Stage(name="s", run=summarise, model=unpriced)])
    with pytest.raises(UnknownPrice):
        await run_pipeline(pipeline, Doc(text="x"))


async def test_the_recursion_limit_is_set_for_long_pipelines() -> None:
    # LangGraph's default limit is 25 super-steps; each run sets its own from the stage count
    def bump(doc: Doc, ctx: StepContext) -> Doc:
        return replace(doc, log=(*doc.log, ctx.name))

    pipeline = Pipeline(stages=[Stage(name=f"s{i}", run=bump) for i in range(40)])
    result = await run_pipeline(pipeline, Doc(text=""))
    assert result.completed
    assert len(result.state.log) == 40


def test_declarations_are_checked() -> None:
    with pytest.raises(ConfigError, match="at least one stage"):
        Pipeline(stages=[])
    with pytest.raises(ConfigError, match=r"repeated: \['a'\]"):
        Pipeline(stages=[Stage(name="a", run=split), Stage(name="a", run=split)])
    with pytest.raises(ConfigError, match=r"budget_share must be a fraction.*in \(0, 1\]"):
        Stage(name="a", run=split, budget_share=1.5)
    with pytest.raises(ConfigError, match="non-empty name"):
        Stage(name=" ", run=split)


async def test_a_stage_without_a_model_that_needs_one_is_a_configuration_error() -> None:
    pipeline = Pipeline(stages=[Stage(name="summarise", run=summarise)])
    with pytest.raises(ConfigError, match="step 'summarise' needs a model"):
        await run_pipeline(pipeline, Doc(text="x"))


async def test_a_sync_stage_runs_in_a_thread_and_keeps_its_timeout() -> None:
    def blocking(doc: Doc, ctx: StepContext) -> Doc:
        time.sleep(0.5)  # CPU-bound or blocking work: off the event loop
        return doc

    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    pipeline = Pipeline(stages=[Stage(name="block", run=blocking, limits=Limits(timeout_s=0.2))])
    task = asyncio.create_task(ticker())
    result = await run_pipeline(pipeline, Doc(text="x"))
    task.cancel()
    assert result.stop_reason == "timeout"
    assert result.stage("block").elapsed_ms < 450
    assert ticks >= 5  # the event loop kept running while the stage blocked its thread


async def test_a_failing_progress_callback_does_not_stop_the_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken_display(event: ProgressEvent) -> None:
        raise RuntimeError("terminal gone")

    pipeline = Pipeline(stages=[Stage(name="split", run=split)])
    result = await run_pipeline(pipeline, Doc(text="a b"), progress=broken_display)
    assert result.completed
    assert result.state.words == ("a", "b")
    assert "progress callback failed on split started" in caplog.text


async def test_budget_and_request_are_exclusive() -> None:
    pipeline = Pipeline(stages=[Stage(name="split", run=split)])
    with pytest.raises(ConfigError, match="not both"):
        await run_pipeline(
            pipeline, Doc(text="x"), request=RequestContext.new(), budget=Budget(request_usd=1)
        )


async def test_stage_names_may_hold_any_character() -> None:
    pipeline = Pipeline(stages=[Stage(name="a:b|c d", run=split), Stage(name="é/2", run=split)])
    result = await run_pipeline(pipeline, Doc(text="x"))
    assert result.completed
    assert [s.name for s in result.stages] == ["a:b|c d", "é/2"]


async def test_progress_as_an_async_iterator() -> None:
    async def slow_split(doc: Doc, ctx: StepContext) -> Doc:
        await asyncio.sleep(0.05)
        return split(doc, ctx)

    pipeline = Pipeline(stages=[Stage(name="a", run=slow_split), Stage(name="b", run=split)])
    items = [
        item
        async for item in stream_progress(
            lambda progress: run_pipeline(pipeline, Doc(text="x y"), progress=progress)
        )
    ]
    *events, result = items
    assert [(e.step, e.kind) for e in events] == [
        ("a", "started"), ("a", "finished"), ("b", "started"), ("b", "finished"),
    ]  # fmt: skip
    assert isinstance(result, PipelineResult)
    assert result.state.log == ("a", "b")


async def test_leaving_the_iterator_early_cancels_the_run() -> None:
    reached_b = False

    async def slow(doc: Doc, ctx: StepContext) -> Doc:
        await asyncio.sleep(0.2)
        return doc

    def mark(doc: Doc, ctx: StepContext) -> Doc:
        nonlocal reached_b
        reached_b = True
        return doc

    pipeline = Pipeline(stages=[Stage(name="a", run=slow), Stage(name="b", run=mark)])
    iterator = stream_progress(lambda p: run_pipeline(pipeline, Doc(text="x"), progress=p))
    async for item in iterator:
        assert isinstance(item, ProgressEvent)
        break  # only the first event
    await iterator.aclose()
    await asyncio.sleep(0.3)
    assert reached_b is False
