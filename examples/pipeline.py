"""Pipelines: stages in order over one typed state, each with its own model, limits and share
of the request budget; a stage that stops the run keeps what the earlier ones produced.

    python examples/pipeline.py

Runs offline. Part 1 is a toy support-ticket pipeline whose "models" are test doubles (one of
them priced like a paid model, and stuck); part 2 is the reference medical-report pipeline,
`analyze_report`, on a short report.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace

from frontdesk import (
    Budget,
    FunctionModel,
    Limits,
    ModelResponse,
    Pipeline,
    PriceTable,
    ProgressEvent,
    RequestContext,
    ScriptedModel,
    Stage,
    StepContext,
    run_pipeline,
)
from frontdesk.medical.pipeline import analyze_report
from frontdesk.messages import Message, UserMessage
from frontdesk.models import Price, ToolDefinition
from frontdesk.models.testing import text_response


@dataclass(frozen=True)
class Ticket:
    text: str
    language: str = ""
    category: str = ""
    draft: str = ""


def detect_language(ticket: Ticket, ctx: StepContext) -> Ticket:
    """An offline stage: no model."""
    return replace(ticket, language="fr" if " le " in f" {ticket.text} " else "en")


async def classify(ticket: Ticket, ctx: StepContext) -> Ticket:
    """A stage with a small model (metered in the request's ledger as `tickets.classify`)."""
    response = await ctx.require_model().request([UserMessage(text=ticket.text)])
    return replace(ticket, category=response.text)


async def draft_reply(ticket: Ticket, ctx: StepContext) -> Ticket:
    """A stage with a larger model that wants "one more try" forever: only a limit stops it."""
    draft = ""
    while "FINAL" not in draft:
        draft = (await ctx.require_model().request([UserMessage(text=ticket.text)])).text
    return replace(ticket, draft=draft)


def small_classifier(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
    return text_response("billing")


def show(event: ProgressEvent) -> None:
    timing = f" {event.elapsed_ms:.0f} ms" if event.kind != "started" else ""
    why = f" ({event.stop_reason})" if event.kind == "failed" else ""
    print(f"  [{event.index}/{event.total}] {event.step} {event.kind}{timing}{why}")


REPORT = """\
LABORATORY REPORT
Hemoglobin 10.9 g/dL (L)
Creatinine 1.8 mg/dL (H)
eGFR 39 mL/min/1.73m2
Potassium 5.4 mmol/L

Assessment: hypertension, on lisinopril 20 mg daily. Denies diabetes.
"""


async def main() -> None:
    stuck = ScriptedModel(
        steps=[text_response("draft v2, not final", input_tokens=3_000, output_tokens=800)],
        repeat_last=True, provider="acme", model_name="large",
    )  # fmt: skip
    pipeline = Pipeline(
        name="tickets",
        stages=[
            Stage(name="language", run=detect_language),
            Stage(name="classify", run=classify, model=FunctionModel(small_classifier)),
            Stage(name="draft", run=draft_reply, model=stuck, limits=Limits(timeout_s=10),
                  budget_share=0.5),
        ],
    )  # fmt: skip
    prices = PriceTable.load_default().merged([Price(model="acme:large", input=3.0, output=15.0)])
    request = RequestContext.new(budget=Budget(request_usd=0.10), prices=prices)

    print("1. a toy pipeline (request budget $0.10, the draft stage may spend half)")
    result = await run_pipeline(
        pipeline, Ticket(text="I was charged twice"), request=request, progress=show
    )
    print(f"stop_reason={result.stop_reason} at stage {result.failed_stage}")
    print(f"kept: language={result.state.language!r} category={result.state.category!r}")
    for stage in result.stages:
        print(f"  {stage.name}: {stage.status}, {stage.model_calls} model calls, "
              f"${stage.cost_usd:.4f}")  # fmt: skip
    print(f"spent ${request.ledger.spent_usd:.4f} of $0.10 "
          f"(draft's share ${request.ledger.spent_by('tickets.draft'):.4f} of $0.05)")  # fmt: skip

    print("\n2. the medical report pipeline, offline")
    report = await analyze_report(REPORT, progress=show)
    data = report.to_json()
    print(f"stop_reason={report.stop_reason}")
    for lab in data["labs"]:
        print(f"  lab {lab['name']}: {lab['value']} {lab['unit']} {lab['flag']}")
    for med in data["medications"]:
        print(f"  medication {med['name']} {med['dose']} {med['frequency']}")
    for dx in data["diagnoses"]:
        state = "negated" if dx["negated"] else dx["subject"]
        print(f"  diagnosis {dx['text']!r} → {dx['icd10']} ({state})")


if __name__ == "__main__":
    asyncio.run(main())
