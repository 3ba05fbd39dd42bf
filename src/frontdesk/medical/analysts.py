"""The analysts of the medical differential debate: offline (the rule table of
`differential.py` read through a stance) or backed by a model (the same stance as a prompt).

    debate = differential_debate()                          # three offline analysts
    debate = differential_debate(model="openai:gpt-4o-mini")  # three prompts, one model each call

A model analyst gets the report's evidence — the facts the rule table uses, with the text that
shows each, and the documented diagnoses — and its stance's instructions, and must answer with
one JSON object `{"differential": [{"label", "code", "score", "reasoning"}, ...]}`, best first.
Its codes are checked against ICD-10-CM (an unknown code is dropped, the label kept). An answer
that is not such an object fails the analyst (`stage_failed`); the debate's quorum rule then
decides. A demonstrator, not clinical advice.
"""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from frontdesk.medical.differential import STANCES, Case, Stance, facts, stance_analyst
from frontdesk.medical.ontology import icd_index
from frontdesk.messages import SystemMessage, UserMessage
from frontdesk.models.base import Model, ModelSettings
from frontdesk.patterns.debate import Analyst, Candidate, Debate
from frontdesk.patterns.steps import StepContext

INSTRUCTIONS = (
    "You are the {name} analyst of a clinical decision-support panel: {description}. From the "
    "findings of one report, rank the conditions that best explain the abnormal results, best "
    "first, at most {limit}. Answer with ONE JSON object and nothing else: "
    '{{"differential": [{{"label": "...", "code": "ICD-10-CM code", "score": 0.0-1.0, '
    '"reasoning": "which findings support it"}}]}}. A clinician reviews every answer.'
)


class _CandidateOut(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    label: str = Field(min_length=1)
    code: str | None = None
    score: float = Field(0.0, ge=0, le=1)
    reasoning: str = ""


class _DifferentialOut(BaseModel):
    model_config = ConfigDict(extra="ignore")
    differential: list[_CandidateOut]


def evidence_text(case: Case) -> str:
    """The findings a model analyst reads: one line per fact."""
    lines = [f"- {shown}" for shown in facts(case.extraction, case.analysis).values()]
    return "\n".join(lines) if lines else "- (no abnormal results, diagnoses or medications)"


def model_analyst(stance: Stance, model: str | Model) -> Analyst[Case]:
    """An analyst asking `model` for `stance`'s differential (one call)."""

    async def run(case: Case, ctx: StepContext) -> list[Candidate]:
        system = INSTRUCTIONS.format(
            name=stance.name, description=stance.description, limit=stance.max_candidates
        )
        response = await ctx.require_model().request(
            [SystemMessage(text=system), UserMessage(text=f"Findings:\n{evidence_text(case)}")],
            settings=ModelSettings(max_output_tokens=1024),
        )
        return parse_differential(response.text)[: stance.max_candidates]

    return Analyst(name=stance.name, run=run, model=model, description=stance.description)


def parse_differential(answer: str) -> list[Candidate]:
    """The candidates of a model's JSON answer, codes checked against ICD-10-CM; `ValueError`
    when the answer is not the JSON object asked for."""
    fenced = re.search(r"```(?:json)?\s*(.*?)```", answer, re.DOTALL)
    body = fenced.group(1) if fenced else answer
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        raise ValueError("the answer holds no JSON object")
    try:
        parsed = _DifferentialOut.model_validate(json.loads(body[start : end + 1]))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ValueError(f"the answer is not a differential: {exc}") from None
    index = icd_index()
    ranked: list[Candidate] = []
    for item in parsed.differential:
        known = index.code(item.code) if item.code else None
        ranked.append(
            Candidate(
                label=item.label,
                code=known.code if known is not None else None,
                score=item.score,
                reasoning=item.reasoning,
            )
        )
    return ranked


def differential_debate(
    *, model: str | Model | None = None, threshold: float = 0.7, quorum: int | None = 2
) -> Debate[Case]:
    """The three stances — conservative, broad, specialist — as a debate (2 of 3 must answer):
    offline rule-table analysts, or with `model` the same stances as prompts to it."""
    analysts = [stance_analyst(s) if model is None else model_analyst(s, model) for s in STANCES]
    return Debate(name="differential", analysts=analysts, threshold=threshold, quorum=quorum)
