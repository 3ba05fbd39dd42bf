"""The reference pipeline: a medical report's text in, a clinical summary out.

    ingest → extract → validate → analyze → [debate] → report

- **ingest** checks and normalises the text (line endings; offsets index the normalised text);
- **extract** finds labs, medications and diagnoses: offline rules and dictionaries
  (`extraction.extract`), or, when a model is configured, the model's structured output
  (`extraction.extract_with_model`, re-asked on invalid JSON, at most 3 model calls);
- **validate** codes diagnoses in ICD-10-CM, maps brand names to generics, checks units;
- **analyze** flags each lab against its reference range and finds patterns across them;
- **debate** (`debate=True`) has three analysts — conservative, broad and specialist — rank a
  differential, offline from the rule table in `differential.py` or, with an `analyst_model`,
  as three prompts to it (`analysts.py`; a demonstrator, not clinical advice), and scores
  their agreement;
- **report** renders the markdown summary and the `frontdesk analyze --json` object.

    result = await analyze_report(text, debate=True, budget=Budget(request_usd=0.05))
    result.to_json()["labs"], result.stop_reason, result.to_json()["debate"]["agreement"]

Every model call is metered in the request's cost ledger; a stage that stops (budget, limit,
timeout, provider) ends the run with its `stop_reason`, and `to_json()` still reports what the
earlier stages found.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass, replace
from typing import Any, Literal

from frontdesk.context import RequestContext
from frontdesk.errors import ConfigError
from frontdesk.guards.budget import Budget
from frontdesk.guards.limits import Limits
from frontdesk.medical.analysis import analyze
from frontdesk.medical.analysts import differential_debate
from frontdesk.medical.differential import Case
from frontdesk.medical.entities import Analysis, Extraction
from frontdesk.medical.extraction import check_text, extract, extract_with_model
from frontdesk.medical.ingest import normalise_text
from frontdesk.medical.ontology import validate
from frontdesk.medical.report import ClinicalReport, render_report
from frontdesk.models.base import Model
from frontdesk.patterns.debate import Debate, DebateResult, run_debate
from frontdesk.patterns.pipeline import (
    Pipeline,
    PipelineResult,
    Stage,
    StageFunction,
    run_pipeline,
)
from frontdesk.patterns.steps import ProgressCallback, RunStopReason, StepContext

Sex = Literal["female", "male"]

EXTRACT_LIMITS = Limits(max_model_calls=3, timeout_s=60.0)
"""The extract stage's limits when it uses a model: three attempts at valid JSON, one minute."""


@dataclass(kw_only=True, slots=True)
class ReportState:
    """The pipeline's state: each stage fills in its part."""

    text: str
    sex: Sex | None = None
    raw: Extraction | None = None
    """What extract found, before validation."""
    extraction: Extraction | None = None
    """Validated (codes, generic names, unit checks), then flagged by analyze."""
    analysis: Analysis | None = None
    debate: DebateResult | None = None
    report: ClinicalReport | None = None


def ingest(state: ReportState, ctx: StepContext) -> ReportState:
    return replace(state, text=normalise_text(state.text))


async def extract_stage(state: ReportState, ctx: StepContext) -> ReportState:
    if ctx.model is not None:
        found = await extract_with_model(state.text, ctx.model)
    else:
        found = await asyncio.to_thread(extract, state.text)
    return replace(state, raw=found)


def validate_stage(state: ReportState, ctx: StepContext) -> ReportState:
    assert state.raw is not None
    return replace(state, extraction=validate(state.raw, state.text))  # a validated copy


def analyze_stage(state: ReportState, ctx: StepContext) -> ReportState:
    assert state.extraction is not None
    # analyze flags the labs in place: flag copies, so that validate's output stays as it was
    flagged = replace(state.extraction, labs=[replace(lab) for lab in state.extraction.labs])
    return replace(state, extraction=flagged, analysis=analyze(flagged, sex=state.sex))


def debate_stage(debate: Debate[Case]) -> StageFunction[ReportState]:
    """The debate stage running `debate` in the pipeline's request (its progress included)."""

    async def run(state: ReportState, ctx: StepContext) -> ReportState:
        assert state.extraction is not None
        assert state.analysis is not None
        case = Case(extraction=state.extraction, analysis=state.analysis)
        result = await run_debate(debate, case, request=ctx.request, progress=ctx.progress)
        return replace(state, debate=result)

    return run


def report_stage(state: ReportState, ctx: StepContext) -> ReportState:
    assert state.extraction is not None
    assert state.analysis is not None
    debate = state.debate.to_json() if state.debate is not None else None
    return replace(state, report=render_report(state.extraction, state.analysis, debate=debate))


def report_pipeline(
    *,
    model: str | Model | None = None,
    debate: bool = False,
    analyst_model: str | Model | None = None,
) -> Pipeline[ReportState]:
    """The reference pipeline; `model` (if any) is the extract stage's, `analyst_model` the
    debate analysts' (None: the offline rule table)."""
    stages: list[Stage[ReportState]] = [
        Stage(name="ingest", run=ingest, description="check and normalise the text"),
        Stage(
            name="extract",
            run=extract_stage,
            model=model,
            limits=EXTRACT_LIMITS if model is not None else None,
            description="labs, medications and diagnoses",
        ),
        Stage(name="validate", run=validate_stage, description="ICD-10-CM, generics, units"),
        Stage(name="analyze", run=analyze_stage, description="flags and findings"),
    ]
    if debate:
        stages.append(
            Stage(
                name="debate",
                run=debate_stage(differential_debate(model=analyst_model)),
                description="three analysts' differentials",
            )
        )
    stages.append(Stage(name="report", run=report_stage, description="summary and JSON"))
    return Pipeline(name="report", stages=stages)


@functools.cache
def _offline_pipeline(debate: bool) -> Pipeline[ReportState]:
    """The offline pipelines, declared (and their graphs compiled) once per process: they
    hold no model and no state."""
    return report_pipeline(debate=debate)


def _pipeline(
    model: str | Model | None, debate: bool, analyst_model: str | Model | None
) -> Pipeline[ReportState]:
    if model is None and (analyst_model is None or not debate):
        return _offline_pipeline(debate)
    return report_pipeline(model=model, debate=debate, analyst_model=analyst_model)


@dataclass(kw_only=True, slots=True)
class ReportResult:
    """The outcome of `analyze_report`: the pipeline's state and how each stage went."""

    state: ReportState
    run: PipelineResult[ReportState]

    @property
    def stop_reason(self) -> RunStopReason:
        return self.run.stop_reason

    @property
    def error(self) -> str | None:
        return self.run.error

    @property
    def report(self) -> ClinicalReport | None:
        return self.state.report

    @property
    def debate(self) -> DebateResult | None:
        return self.state.debate

    @property
    def cost_usd(self) -> float:
        return self.run.cost_usd

    @property
    def latency_ms(self) -> float:
        return self.run.latency_ms

    @property
    def markdown(self) -> str:
        return str(self.to_json()["summary_markdown"])

    def to_json(self) -> dict[str, Any]:
        """The `frontdesk analyze --json` object (DESIGN.md): labs, medications, diagnoses,
        findings, summary_markdown, and `debate` when one ran; plus `stop_reason`, `error`,
        `stages`, `cost_usd` and `latency_ms`. A run stopped early reports what the stages
        before the stop found."""
        report = self.state.report or self._partial()
        data = report.to_json()
        data["stop_reason"] = self.stop_reason
        data["error"] = self.error
        data["stages"] = [s.to_json() for s in self.run.stages]
        data["cost_usd"] = self.cost_usd
        data["latency_ms"] = round(self.latency_ms, 3)
        return data

    def _partial(self) -> ClinicalReport:
        base = self.state.extraction or self.state.raw or Extraction()
        extraction = replace(
            base,
            notes=[
                *base.notes,
                f"the analysis stopped at the {self.run.failed_stage} stage "
                f"({self.stop_reason}): {self.error}",
            ],
        )
        debate = self.state.debate.to_json() if self.state.debate is not None else None
        return render_report(extraction, self.state.analysis or Analysis(), debate=debate)


async def analyze_report(
    text: str,
    *,
    debate: bool = False,
    model: str | Model | None = None,
    budget: Budget | float | None = None,
    progress: ProgressCallback | None = None,
    sex: Sex | None = None,
    analyst_model: str | Model | None = None,
    request: RequestContext | None = None,
) -> ReportResult:
    """Analyse a medical report's text (see the module docstring).

    `model` ("provider:model" or a `Model`) makes the extract stage use it, `analyst_model`
    the debate's analysts (each stance a prompt to it); without them the whole pipeline runs
    offline. `budget` bounds the request (a `Budget`, or USD for its
    `request_usd`); pass `request` instead to meter into an existing request's ledger.
    `progress` receives a `ProgressEvent` as each stage (and debate analyst) starts and ends.
    Raises `InvalidInput` for an empty, oversize or binary text; a stage that stops returns
    a result with its `stop_reason`."""
    check_text(text)
    if isinstance(budget, int | float) and not isinstance(budget, bool):
        budget = Budget(request_usd=float(budget))
    if request is not None and budget is not None:
        raise ConfigError("analyze_report: pass budget= or request=, not both")
    request = request or RequestContext.new(budget=budget if isinstance(budget, Budget) else None)
    run = await run_pipeline(
        _pipeline(model, debate, analyst_model), ReportState(text=text, sex=sex), request=request,
        progress=progress,
    )  # fmt: skip
    return ReportResult(state=run.state, run=run)


def analyze_report_sync(
    text: str,
    *,
    debate: bool = False,
    model: str | Model | None = None,
    budget: Budget | float | None = None,
    progress: ProgressCallback | None = None,
    sex: Sex | None = None,
    analyst_model: str | Model | None = None,
    request: RequestContext | None = None,
) -> ReportResult:
    """`analyze_report` for code that is not async (runs its own event loop)."""
    done: list[ReportResult] = []

    async def main() -> None:
        done.append(
            await analyze_report(
                text,
                debate=debate,
                model=model,
                budget=budget,
                progress=progress,
                sex=sex,
                analyst_model=analyst_model,
                request=request,
            )
        )

    # the main task returns nothing: CPython 3.11's runner formats its repr on exit (checking
    # the SIGINT handler), and the repr of a whole report result costs ~20 ms
    asyncio.run(main())
    return done[0]
