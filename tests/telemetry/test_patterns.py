"""Pipeline stages and debate analysts are `invoke_agent` spans under one run span, their
model calls `chat` spans beneath them, when the run's request carries telemetry."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from frontdesk.context import RequestContext
from frontdesk.messages import Message, UserMessage
from frontdesk.models import FunctionModel
from frontdesk.models.base import ModelResponse, ToolDefinition
from frontdesk.models.testing import text_response
from frontdesk.patterns.debate import Analyst, Candidate, Debate, run_debate
from frontdesk.patterns.pipeline import Pipeline, Stage, run_pipeline
from frontdesk.patterns.steps import StepContext
from frontdesk.telemetry import Telemetry

from .spantree import span_tree


def names(tree: list[dict[str, object]]) -> list[object]:
    return [(n["name"], names(n["children"])) for n in tree]  # type: ignore[arg-type]


def echo(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
    return text_response("summary", input_tokens=10, output_tokens=2)


async def summarise(text: str, ctx: StepContext) -> str:
    response = await ctx.require_model().request([UserMessage(text=text)])
    return response.text


def upper(text: str, ctx: StepContext) -> str:
    return text.upper()


async def test_a_pipeline_run_is_one_trace_with_a_span_per_stage() -> None:
    spans = InMemorySpanExporter()
    telemetry = Telemetry(exporter=spans)
    pipeline = Pipeline(name="report", stages=[
        Stage(name="upper", run=upper),
        Stage(name="summarise", run=summarise, model=FunctionModel(echo, model_name="small")),
    ])  # fmt: skip
    result = await run_pipeline(pipeline, "a b c", request=RequestContext.new(telemetry=telemetry))
    assert result.stop_reason == "completed"
    assert names(span_tree(spans.get_finished_spans())) == [
        ("invoke_agent report", [
            ("invoke_agent report.upper", []),
            ("invoke_agent report.summarise", [("chat small", [])]),
        ]),
    ]  # fmt: skip
    assert telemetry.metrics is not None
    assert set(telemetry.metrics.agents()) == {"report.upper", "report.summarise"}


async def test_debate_analysts_are_sibling_spans_and_a_crash_is_marked() -> None:
    spans = InMemorySpanExporter()
    telemetry = Telemetry(exporter=spans)

    def analyst(name: str, *, fail: bool = False) -> Analyst[str]:
        async def run(case: str, ctx: StepContext) -> list[Candidate]:
            if fail:
                raise RuntimeError("analyst crashed")
            return [Candidate(label="flu", code="J11", score=0.9)]

        return Analyst(name=name, run=run)

    debate = Debate(name="dx", analysts=[analyst("a"), analyst("b"), analyst("c", fail=True)])
    await run_debate(debate, "fever", request=RequestContext.new(telemetry=telemetry))
    (root,) = span_tree(spans.get_finished_spans())
    assert root["name"] == "invoke_agent dx"
    children = {c["name"]: c for c in root["children"]}  # type: ignore[union-attr]
    assert set(children) == {"invoke_agent dx.a", "invoke_agent dx.b", "invoke_agent dx.c"}
    assert children["invoke_agent dx.c"]["status"] == "ERROR"
    assert children["invoke_agent dx.c"]["attributes"]["error.type"] == "stage_failed"
    assert children["invoke_agent dx.a"]["attributes"]["frontdesk.stop_reason"] == "completed"
