"""The debate pattern: analysts run concurrently (wall time ≈ the slowest), a synthesis step
scores their agreement, and a quorum rule decides what happens when some of them fail."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence

import pytest

from frontdesk import Budget, ConfigError, Limits, RequestContext
from frontdesk.messages import Message, UserMessage
from frontdesk.models import FunctionModel, ModelResponse, ToolDefinition
from frontdesk.models.testing import text_response
from frontdesk.patterns.debate import (
    Analyst,
    Candidate,
    Debate,
    pair_agreement,
    run_debate,
)
from frontdesk.patterns.steps import ProgressEvent, StepContext
from priced import priced_table


def scripted(
    name: str, delay_s: float, codes: Sequence[str], *, fail: bool = False
) -> Analyst[str]:
    """An offline analyst that takes `delay_s` and ranks `codes` (or raises)."""

    async def run(case: str, ctx: StepContext) -> list[Candidate]:
        await asyncio.sleep(delay_s)
        if fail:
            raise RuntimeError("analyst crashed")
        return [
            Candidate(label=f"condition {c}", code=c, score=1 - i / 10,
                      reasoning=f"{name} ranks {c} #{i + 1} for {case}")
            for i, c in enumerate(codes)
        ]  # fmt: skip

    return Analyst(name=name, run=run)


async def test_when_no_analyst_finds_anything_it_is_its_own_outcome_not_agreement() -> None:
    nothing = Debate(analysts=[scripted(name, 0.0, []) for name in ("a", "b", "c")])
    result = await run_debate(nothing, "case-1")
    assert result.outcome == "nothing_found"
    assert (result.agreement, result.confidence, result.requires_human_review) == (
        0.0, "low", True,
    )  # fmt: skip
    assert result.decision is None
    # two found the same thing, one found nothing: agreement is over what was found
    partial = Debate(analysts=[scripted("a", 0.0, ["N18.3"]), scripted("b", 0.0, ["N18.3"]),
                               scripted("c", 0.0, [])])  # fmt: skip
    result = await run_debate(partial, "case-2")
    assert result.agreement == pytest.approx((1.0 + 0.0 + 0.0) / 3)
    assert result.outcome == "disagreement"
    assert result.requires_human_review


async def test_analysts_run_concurrently_and_agreement_gives_high_confidence() -> None:
    events: list[ProgressEvent] = []
    debate = Debate(
        analysts=[
            scripted("fast", 0.3, ["N18.3", "D63.1", "I12.9"]),
            scripted("medium", 0.5, ["N18.3", "D63.1", "I12.9"]),
            scripted("slow", 0.8, ["N18.3", "I12.9", "D63.1"]),
        ]
    )
    started = time.perf_counter()
    result = await run_debate(debate, "case-1", progress=events.append)
    wall_s = time.perf_counter() - started
    print(f"debate wall time with analysts of 0.3, 0.5 and 0.8 s: {wall_s:.3f} s")

    assert wall_s <= 1.0  # the slowest (0.8 s), not the sum (1.6 s)
    assert [o.analyst for o in result.opinions] == ["fast", "medium", "slow"]
    # pairs: identical (1.0) twice; [a, b, c] vs [a, c, b]: (1 + 1/3 + 1/3) / (1 + 1/2 + 1/2)
    assert result.agreement == pytest.approx((1 + 5 / 6 + 5 / 6) / 3)
    assert result.confidence == "high"
    assert result.requires_human_review is False
    assert result.decision is not None
    assert result.decision.code == "N18.3"
    assert result.decision.support == 1.0
    assert result.decision.listed_by == 3
    assert result.stop_reason == "completed"
    started_at = [e.step for e in events if e.kind == "started"]
    assert started_at == ["fast", "medium", "slow"]
    finished = {e.step: e.elapsed_ms for e in events if e.kind == "finished"}
    assert finished["slow"] >= 800
    assert finished["fast"] < 800
    assert all(e.pattern == "debate" and e.total == 3 for e in events)


async def test_disagreement_presents_the_options_and_asks_for_review() -> None:
    debate = Debate(
        analysts=[
            scripted("conservative", 0.01, ["N18.9"]),
            scripted("broad", 0.01, ["N17.9", "N18.9", "D64.9"]),
            scripted("specialist", 0.01, ["D63.1", "N18.9"]),
        ]
    )
    result = await run_debate(debate, "case-2")

    # conservative vs either other: depth 1, different first codes → 0; broad vs specialist:
    # depth 2, N18.9 second in both → (1/2) / (1 + 1 + 1/2) = 0.2
    assert result.agreement == pytest.approx(0.2 / 3)
    assert result.confidence == "low"
    assert result.requires_human_review is True
    assert result.decision is None
    by_code = {o.code: o for o in result.options}
    assert set(by_code) == {"N18.9", "N17.9", "D64.9", "D63.1"}
    assert result.options[0].code == "N18.9"  # ranked by mean 1/rank: (1 + 1/2 + 1/2) / 3
    assert by_code["N18.9"].support == pytest.approx(2 / 3)
    assert by_code["N18.9"].reasoning == {
        "conservative": "conservative ranks N18.9 #1 for case-2",
        "broad": "broad ranks N18.9 #2 for case-2",
        "specialist": "specialist ranks N18.9 #2 for case-2",
    }
    payload = result.to_json()
    assert set(payload) >= {"analyses", "agreement", "requires_human_review"}
    assert [a["analyst"] for a in payload["analyses"]] == ["conservative", "broad", "specialist"]
    json.dumps(payload)  # serialisable as is


async def test_the_threshold_is_configurable() -> None:
    analysts = [scripted("a", 0, ["X", "Y", "Z"]), scripted("b", 0, ["X", "Z", "Y"])]
    # same first choice, agreement 5/6 ≈ 0.83
    assert (await run_debate(Debate(analysts=analysts, threshold=0.8), "c")).confidence == "high"
    strict = await run_debate(Debate(analysts=analysts, threshold=0.9), "c")
    assert strict.confidence == "low"
    assert strict.requires_human_review
    assert strict.agreement == pytest.approx(5 / 6)


async def test_a_failed_analyst_is_dropped_when_the_quorum_remains() -> None:
    debate = Debate(
        analysts=[
            scripted("a", 0.05, ["E11.9", "R73.9"]),
            scripted("b", 0.05, ["E11.9", "R73.9"]),
            scripted("c", 0.05, ["E11.9"], fail=True),
        ],
        quorum=2,
    )
    result = await run_debate(debate, "case-3")
    assert result.stop_reason == "completed"
    assert [o.analyst for o in result.opinions] == ["a", "b"]
    assert [(f.analyst, f.stop_reason) for f in result.failures] == [("c", "stage_failed")]
    assert result.failures[0].error == "c failed: RuntimeError: analyst crashed"
    assert result.agreement == 1.0
    assert result.confidence == "high"
    assert not result.requires_human_review
    statuses = [a["status"] for a in result.to_json()["analyses"]]
    assert statuses == ["completed", "completed", "failed"]


async def test_a_timed_out_analyst_is_dropped_at_its_timeout() -> None:
    slow = scripted("slow", 5.0, ["E11.9"])
    debate = Debate(
        analysts=[
            scripted("a", 0.05, ["E11.9"]),
            scripted("b", 0.05, ["E11.9"]),
            Analyst(name="slow", run=slow.run, limits=Limits(timeout_s=0.3)),
        ],
        quorum=2,
    )
    started = time.perf_counter()
    result = await run_debate(debate, "case-4")
    assert time.perf_counter() - started < 1.5
    assert [(f.analyst, f.stop_reason) for f in result.failures] == [("slow", "timeout")]
    assert result.failures[0].error == "slow did not finish within 0.3 s"
    assert result.confidence == "high"


async def test_below_the_quorum_the_debate_stops_and_asks_for_review() -> None:
    debate = Debate(
        analysts=[
            scripted("a", 0.01, ["E11.9"]),
            scripted("b", 5.0, ["E11.9"]),
            scripted("c", 0.01, ["E11.9"], fail=True),
        ],
        quorum=2,
        timeout_s=0.2,
    )
    result = await run_debate(debate, "case-5")
    assert result.stop_reason == "timeout"  # b's, the first failure in declaration order
    assert result.requires_human_review is True
    assert result.confidence == "low"
    assert result.decision is None
    assert [o.analyst for o in result.opinions] == ["a"]  # what a said is kept
    assert "only 1 of 3 analysts answered (quorum 2)" in (result.error or "")


async def test_the_default_quorum_is_a_majority() -> None:
    three = [scripted(n, 0, ["X"]) for n in "abc"]
    assert Debate(analysts=three).required == 2
    assert Debate(analysts=[*three, scripted("d", 0, ["X"])]).required == 3
    with pytest.raises(ConfigError, match="quorum must be between 1 and the number of analysts"):
        Debate(analysts=three, quorum=4)
    with pytest.raises(ConfigError, match="unique"):
        Debate(analysts=[three[0], three[0]])


async def test_analysts_can_each_use_their_own_model() -> None:
    def ranking(codes: list[str]) -> FunctionModel:
        def answer(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
            return text_response(json.dumps(codes))

        return FunctionModel(answer, model_name="-".join(codes))

    async def ask(case: str, ctx: StepContext) -> list[Candidate]:
        response = await ctx.require_model().request([UserMessage(text=case)])
        return [Candidate(label=c, code=c) for c in json.loads(response.text)]

    debate = Debate(
        name="dx",
        analysts=[
            Analyst(name="one", run=ask, model=ranking(["A", "B"])),
            Analyst(name="two", run=ask, model=ranking(["B", "A"])),
        ],
    )
    request = RequestContext.new()
    result = await run_debate(debate, "case", request=request)
    assert [o.model for o in result.opinions] == ["function:A-B", "function:B-A"]
    assert result.requires_human_review  # different first choices
    assert request.ledger.calls_by("dx.one") == request.ledger.calls_by("dx.two") == 1


async def test_an_answer_that_is_not_a_differential_fails_the_analyst() -> None:
    def wrong(case: str, ctx: StepContext) -> list[Candidate]:
        return "N18.9"  # type: ignore[return-value]

    debate = Debate(analysts=[scripted("a", 0, ["X"]), Analyst(name="bad", run=wrong)], quorum=1)
    result = await run_debate(debate, "c")
    assert (
        result.failures[0].error == "bad failed: TypeError: expected a list of Candidate, got str"
    )


class PricedSlowModel(FunctionModel):
    """`openai:test-model` ($1 / $2 per million tokens): each answer takes 5 ms and costs
    $0.0022, like a real provider's, so concurrent analysts interleave."""

    provider = "openai"

    def __init__(self) -> None:
        super().__init__(self.answer, model_name="test-model")
        self.calls = 0

    async def answer(
        self, messages: Sequence[Message], tools: Sequence[ToolDefinition]
    ) -> ModelResponse:
        self.calls += 1
        await asyncio.sleep(0.005)
        return text_response("thinking…", input_tokens=200, output_tokens=1000)


async def test_cost_spiral_a_debate_stops_at_the_request_budget() -> None:
    models = [PricedSlowModel() for _ in range(3)]

    async def never_satisfied(case: str, ctx: StepContext) -> list[Candidate]:
        while True:  # only the budget stops it
            await ctx.require_model().request([UserMessage(text=case)])

    debate = Debate(
        name="spiral",
        analysts=[
            Analyst(name=f"a{i}", run=never_satisfied, model=m) for i, m in enumerate(models)
        ],
        timeout_s=10,
    )
    request = RequestContext.new(budget=Budget(request_usd=0.05), prices=priced_table())
    result = await run_debate(debate, "case", request=request)

    assert result.stop_reason == "budget_exceeded"
    assert result.requires_human_review is True
    assert {f.stop_reason for f in result.failures} == {"budget_exceeded"}
    calls = sum(m.calls for m in models)
    assert all(m.calls >= 3 for m in models)  # they spent concurrently
    assert calls >= 10
    assert request.ledger.spent_usd <= 0.05
    assert request.ledger.spent_usd == pytest.approx(calls * (200 * 1.0 + 1000 * 2.0) / 1e6)
    assert {i.agent for i in request.ledger.items} == {"spiral.a0", "spiral.a1", "spiral.a2"}


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (["x", "y", "z"], ["x", "y", "z"], 1.0),
        (["x", "y", "z"], ["u", "v", "w"], 0.0),
        (["x", "y", "z"], ["x", "z", "y"], (1 + 1 / 3 + 1 / 3) / (1 + 1 / 2 + 1 / 2)),
        (["x", "y"], ["y", "x"], 0.5),
        (["x"], ["x", "y", "z"], 1.0),  # compared on what both commit to
        (["x"], ["y", "x"], 0.0),
        ([], [], None),
        ([], ["x"], 0.0),
        (["a", "b", "c", "d"], ["a", "b", "c", "e"], 1.0),  # beyond top_k = 3
    ],
)
def test_pair_agreement(a: list[str], b: list[str], expected: float) -> None:
    assert pair_agreement(a, b, top_k=3) == pytest.approx(expected)
    assert pair_agreement(b, a, top_k=3) == pytest.approx(expected)
