"""The debate pattern: N analysts answer the same input concurrently; a synthesis step scores
how far they agree. Compiled to a LangGraph graph whose fan-out is one `Send` per analyst:

    START ─┬─► analyst (1) ─┐
           ├─► analyst (2) ─┼─► synthesize → END        wall time ≈ the slowest analyst
           └─► analyst (n) ─┘

Each `Analyst` is a function `run(input, ctx) -> [Candidate, ...]` (sync or async): a ranked
differential, best first, each candidate with a `label`, an optional `code`, a `score` and its
`reasoning`. Analysts may each have a model (different prompts or models: `ctx.model` is
metered in the request's ledger as `<debate>.<analyst>`) or be offline functions, and each has
its own `limits` (`timeout_s`, `max_model_calls`) and `budget_share`. Concurrent analysts
reserve from one ledger, so together they cannot overspend the request budget.

**Agreement.** Two differentials are compared on the candidates both commit to: their top
`d = min(top_k, len(a), len(b))` entries. Each entry weighs `1 / rank`; the pair's agreement is
the weighted Jaccard (Ruzicka) similarity of the two weight vectors,
`Σ_x min(wa(x), wb(x)) / Σ_x max(wa(x), wb(x))`, keyed by `code` (else the lower-cased label).
It is 1 for the same top-d in the same order, 0 when the top-d lists share nothing (so a
different first choice at d = 1 is 0), and drops more for disagreement near the top than near
the bottom. An empty and a non-empty list do not agree (0). Two empty lists say nothing to
agree on: the pair is left out. The debate's `agreement` is the mean over the remaining pairs of
surviving analysts, in [0, 1] (1 with a single analyst that found something).

**Nothing found.** When no analyst names any candidate, the `outcome` is `nothing_found`: not
agreement (the `agreement` is 0), never high confidence, and `requires_human_review` is True
(analysts that find nothing have not shown that nothing is there). Otherwise the outcome is
`consensus` (high confidence) or `disagreement`, or `quorum_failed`.

**Verdict.** `confidence` is "high" — and `decision` the shared first choice — when at least two
analysts answered, all put the same candidate first, and `agreement >= threshold`; otherwise it
is "low", `requires_human_review` is True and `options` present every candidate with its
support and each analyst's reasoning (the options are always listed, ranked by the mean of
`1 / rank` over the analysts).

**Quorum (k of n).** An analyst that fails (a limit, its timeout, a budget, a provider failure,
an exception) is dropped; with at least `quorum` analysts left the debate goes on (the dropped
ones are listed in `failures`). With fewer it stops: `stop_reason` is the first failed analyst's
(in declaration order), `requires_human_review` is True, and what the others said is kept.
"""

from __future__ import annotations

import itertools
import math
import operator
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, Literal, TypedDict, TypeVar

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send

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
    call,
    check_step,
    emit,
    run_step,
    step_context,
)
from frontdesk.telemetry.tracing import DISABLED

I = TypeVar("I")  # noqa: E741 (the input type)


@dataclass(kw_only=True, slots=True, frozen=True)
class Candidate:
    """One entry of a ranked differential."""

    label: str
    code: str | None = None
    score: float = 0.0
    """The analyst's own support for it, in [0, 1] (for display; the rank is the list order)."""
    reasoning: str = ""

    @property
    def key(self) -> str:
        """What identifies the candidate across analysts: its code, else its label."""
        return _identity(self.code, self.label)

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "code": self.code,
            "score": round(self.score, 4),
            "reasoning": self.reasoning,
        }


AnalystFunction = Callable[[I, StepContext], "Awaitable[Sequence[Candidate]] | Sequence[Candidate]"]
"""An analyst's work: the debate's input in, a ranked differential (best first) out."""


@dataclass(kw_only=True, frozen=True)
class Analyst(Generic[I]):
    """One voice of a debate (inert). `limits.timeout_s` bounds it (without `limits`, the
    debate's `timeout_s` does), `limits.max_model_calls` caps its model calls, `budget_share`
    its spending (a fraction of the request budget)."""

    name: str
    run: AnalystFunction[I]
    model: str | Model | None = None
    limits: Limits | None = None
    budget_share: float | None = None
    description: str = ""

    def __post_init__(self) -> None:
        check_step("analyst", self.name, self.run, self.budget_share)


@dataclass(kw_only=True, frozen=True)
class Debate(Generic[I]):
    """N analysts on one input, and how to judge them (inert: `run_debate` executes it).

    `quorum` is k of the k-of-n rule (default: a majority, n // 2 + 1); `threshold` the
    agreement at or above which a unanimous first choice is trusted; `top_k` how deep the
    differentials are compared; `timeout_s` each analyst's wall-time bound unless its own
    `limits` set one (None: unbounded)."""

    analysts: Sequence[Analyst[I]]
    name: str = "debate"
    quorum: int | None = None
    threshold: float = 0.7
    top_k: int = 3
    timeout_s: float | None = 30.0
    _graph: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [a.name for a in self.analysts]
        if not names:
            raise ConfigError(f"debate {self.name!r} needs at least one analyst")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ConfigError(f"debate {self.name!r}: analyst names must be unique: {duplicates}")
        if self.quorum is not None and not 1 <= self.quorum <= len(names):
            raise ConfigError(
                f"debate {self.name!r}: quorum must be between 1 and the number of analysts "
                f"({len(names)}), got {self.quorum}"
            )
        if not 0 <= self.threshold <= 1:
            raise ConfigError(f"debate {self.name!r}: threshold must be in [0, 1]")
        if self.top_k < 1:
            raise ConfigError(f"debate {self.name!r}: top_k must be at least 1")
        object.__setattr__(self, "analysts", tuple(self.analysts))

    @property
    def required(self) -> int:
        """k: how many analysts must answer for the debate to conclude."""
        return self.quorum if self.quorum is not None else len(self.analysts) // 2 + 1

    def agent(self, analyst: Analyst[I]) -> str:
        """The ledger's agent name for `analyst`'s model calls."""
        return f"{self.name}.{analyst.name}"

    def graph(self) -> CompiledStateGraph[_State, _Run, _State, _State]:
        """The compiled LangGraph graph (built once per debate)."""
        if self._graph is None:
            object.__setattr__(self, "_graph", compile_debate(self))
        graph: CompiledStateGraph[_State, _Run, _State, _State] = self._graph
        return graph


@dataclass(kw_only=True, slots=True)
class Opinion:
    """One analyst's answer: its ranked differential."""

    analyst: str
    candidates: list[Candidate]
    model: str | None = None
    elapsed_ms: float = 0.0
    cost_usd: float = 0.0

    def keys(self) -> list[str]:
        return [c.key for c in self.candidates]

    def to_json(self) -> dict[str, Any]:
        return {
            "analyst": self.analyst,
            "status": "completed",
            "model": self.model,
            "elapsed_ms": round(self.elapsed_ms, 3),
            "cost_usd": self.cost_usd,
            "differential": [c.to_json() for c in self.candidates],
        }


@dataclass(kw_only=True, slots=True)
class AnalystFailure:
    """An analyst that was dropped, and why."""

    analyst: str
    stop_reason: RunStopReason
    error: str | None
    elapsed_ms: float = 0.0
    cost_usd: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "analyst": self.analyst,
            "status": "failed",
            "stop_reason": self.stop_reason,
            "error": self.error,
            "elapsed_ms": round(self.elapsed_ms, 3),
            "cost_usd": self.cost_usd,
        }


@dataclass(kw_only=True, slots=True)
class Option:
    """A candidate as the debate presents it: who ranked it where, and why."""

    label: str
    code: str | None
    support: float
    """The mean over answering analysts of 1 / rank (0 where it is not listed): 1 when every
    analyst put it first."""
    listed_by: int
    reasoning: dict[str, str]
    """analyst → its reasoning for this candidate."""

    @property
    def key(self) -> str:
        return _identity(self.code, self.label)

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "code": self.code,
            "support": round(self.support, 4),
            "listed_by": self.listed_by,
            "reasoning": dict(self.reasoning),
        }


@dataclass(kw_only=True, slots=True)
class DebateResult:
    """The outcome of a debate (see the module docstring for how it is scored)."""

    opinions: list[Opinion]
    failures: list[AnalystFailure]
    agreement: float
    confidence: Literal["high", "low"]
    requires_human_review: bool
    options: list[Option]
    decision: Option | None
    """The shared first choice when confidence is high, else None."""
    outcome: Literal["consensus", "disagreement", "nothing_found", "quorum_failed"] = "disagreement"
    stop_reason: RunStopReason = "completed"
    error: str | None = None
    latency_ms: float = 0.0

    @property
    def cost_usd(self) -> float:
        return sum(o.cost_usd for o in self.opinions) + sum(f.cost_usd for f in self.failures)

    def to_json(self) -> dict[str, Any]:
        """`{analyses, agreement, requires_human_review, ...}`: every analyst (answered or
        dropped), the scores, the options and the decision."""
        return {
            "analyses": [o.to_json() for o in self.opinions] + [f.to_json() for f in self.failures],
            "agreement": round(self.agreement, 4),
            "requires_human_review": self.requires_human_review,
            "confidence": self.confidence,
            "outcome": self.outcome,
            "decision": self.decision.to_json() if self.decision else None,
            "options": [o.to_json() for o in self.options],
            "stop_reason": self.stop_reason,
            "error": self.error,
        }


def pair_agreement(a: Sequence[str], b: Sequence[str], *, top_k: int) -> float | None:
    """The agreement of two ranked lists of keys, in [0, 1]; None when both are empty (there
    is nothing to agree on: module docstring)."""
    depth = min(top_k, len(a), len(b))
    if depth == 0:
        return None if not a and not b else 0.0
    wa = _rank_weights(a[:depth])
    wb = _rank_weights(b[:depth])
    keys = wa.keys() | wb.keys()
    shared = math.fsum(min(wa.get(k, 0.0), wb.get(k, 0.0)) for k in keys)
    either = math.fsum(max(wa.get(k, 0.0), wb.get(k, 0.0)) for k in keys)
    return shared / either


def agreement_score(opinions: Sequence[Opinion], *, top_k: int) -> float:
    """The mean `pair_agreement` over the pairs of opinions that found something (1.0 for a
    single opinion that found something; 0.0 when none found anything)."""
    found = [o for o in opinions if o.candidates]
    if not found:
        return 0.0
    pairs = list(itertools.combinations([o.keys() for o in opinions], 2))
    scores = [p for a, b in pairs if (p := pair_agreement(a, b, top_k=top_k)) is not None]
    if not scores:
        return 1.0
    return math.fsum(scores) / len(scores)


def synthesize(
    opinions: Sequence[Opinion], *, top_k: int, threshold: float
) -> tuple[float, list[Option], Option | None]:
    """Score `opinions`: their agreement, the options ranked by support, and the decision (the
    unanimous first choice, when the agreement reaches `threshold` and two or more answered)."""
    agreement = agreement_score(opinions, top_k=top_k)
    found: dict[str, Candidate] = {}
    weight: dict[str, float] = {}
    listed: dict[str, int] = {}
    reasoning: dict[str, dict[str, str]] = {}
    for opinion in opinions:
        for key, rank_weight in _rank_weights(opinion.keys()).items():
            weight[key] = weight.get(key, 0.0) + rank_weight
            listed[key] = listed.get(key, 0) + 1
        for candidate in opinion.candidates:
            found.setdefault(candidate.key, candidate)
            reasoning.setdefault(candidate.key, {}).setdefault(opinion.analyst, candidate.reasoning)
    count = max(len(opinions), 1)
    options = [
        Option(
            label=found[key].label,
            code=found[key].code,
            support=weight[key] / count,
            listed_by=listed[key],
            reasoning=reasoning[key],
        )
        for key in sorted(found, key=lambda k: (-weight[k], k))
    ]
    firsts = {o.candidates[0].key if o.candidates else "" for o in opinions}
    unanimous = len(opinions) >= 2 and len(firsts) == 1 and "" not in firsts
    decision = None
    if unanimous and agreement >= threshold:
        first = next(iter(firsts))
        decision = next(o for o in options if o.key == first)
    return agreement, options, decision


def _rank_weights(keys: Sequence[str]) -> dict[str, float]:
    """key → 1 / rank (1-based), keeping a repeated key's best rank."""
    weights: dict[str, float] = {}
    for rank, key in enumerate(keys, start=1):
        weights.setdefault(key, 1.0 / rank)
    return weights


class _State(TypedDict, total=False):
    input: Any
    opinions: Annotated[list[tuple[int, Opinion]], operator.add]
    failures: Annotated[list[tuple[int, AnalystFailure]], operator.add]
    result: DebateResult | None


class _Task(TypedDict):
    input: Any
    index: int


@dataclass(kw_only=True, slots=True)
class _Run:
    request: RequestContext
    progress: ProgressCallback | None = None


def compile_debate(debate: Debate[Any]) -> CompiledStateGraph[_State, _Run, _State, _State]:
    """The debate as a LangGraph graph: a `Send` per analyst to one `analyst` node (they run
    concurrently, in one super-step), then `synthesize` once all have answered or failed."""
    analysts = list(debate.analysts)
    total = len(analysts)

    def fan_out(state: _State) -> list[Send]:
        return [Send("analyst", {"input": state["input"], "index": i}) for i in range(total)]

    async def analyst_node(task: _Task, runtime: Runtime[_Run]) -> _State:
        index = task["index"]
        analyst = analysts[index]
        run_context = runtime.context

        def event(kind: EventKind, **more: Any) -> ProgressEvent:
            return ProgressEvent(
                kind=kind, pattern="debate", run=debate.name, step=analyst.name,
                index=index + 1, total=total, **more,
            )  # fmt: skip

        await emit(run_context.progress, event("started"))
        ctx = step_context(
            name=analyst.name, agent=debate.agent(analyst), model=analyst.model,
            request=run_context.request, limits=analyst.limits,
            budget_share=analyst.budget_share,
        )  # fmt: skip
        limits = analyst.limits
        timeout_s = limits.timeout_s if limits is not None else debate.timeout_s
        outcome = await run_step(
            _checked(analyst), task["input"], ctx, ctx=ctx, timeout_s=timeout_s
        )
        if outcome.ok:
            await emit(
                run_context.progress,
                event("finished", elapsed_ms=outcome.elapsed_ms, stop_reason="completed"),
            )
            opinion = Opinion(
                analyst=analyst.name, candidates=outcome.value,
                model=ctx.model.id if ctx.model is not None else None,
                elapsed_ms=outcome.elapsed_ms, cost_usd=outcome.cost_usd,
            )  # fmt: skip
            return {"opinions": [(index, opinion)]}
        await emit(
            run_context.progress,
            event("failed", elapsed_ms=outcome.elapsed_ms, stop_reason=outcome.stop_reason,
                  error=outcome.error),
        )  # fmt: skip
        failure = AnalystFailure(
            analyst=analyst.name, stop_reason=outcome.stop_reason, error=outcome.error,
            elapsed_ms=outcome.elapsed_ms, cost_usd=outcome.cost_usd,
        )  # fmt: skip
        return {"failures": [(index, failure)]}

    async def synthesize_node(state: _State) -> _State:
        return {"result": verdict(debate, state)}

    graph: StateGraph[_State, _Run, _State, _State] = StateGraph(_State, context_schema=_Run)
    graph.add_node("analyst", analyst_node)  # type: ignore[arg-type]  # input: a _Task
    graph.add_node("synthesize", synthesize_node)
    graph.add_conditional_edges(START, fan_out, ["analyst"])
    graph.add_edge("analyst", "synthesize")
    graph.add_edge("synthesize", END)
    return graph.compile()


def verdict(debate: Debate[Any], state: _State) -> DebateResult:
    """The synthesis step: the analysts' answers scored, and the quorum rule applied."""
    opinions = [o for _, o in sorted(state.get("opinions", []), key=operator.itemgetter(0))]
    failures = [f for _, f in sorted(state.get("failures", []), key=operator.itemgetter(0))]
    agreement, options, decision = synthesize(
        opinions, top_k=debate.top_k, threshold=debate.threshold
    )
    if len(opinions) < debate.required:
        first = failures[0]
        return DebateResult(
            opinions=opinions, failures=failures, agreement=agreement if opinions else 0.0,
            confidence="low", requires_human_review=True, options=options, decision=None,
            stop_reason=first.stop_reason, outcome="quorum_failed",
            error=(
                f"only {len(opinions)} of {len(debate.analysts)} analysts answered (quorum "
                f"{debate.required}); {first.analyst}: {first.error}"
            ),
        )  # fmt: skip
    if not any(o.candidates for o in opinions):
        return DebateResult(
            opinions=opinions, failures=failures, agreement=0.0, confidence="low",
            requires_human_review=True, options=options, decision=None,
            outcome="nothing_found",
        )  # fmt: skip
    return DebateResult(
        opinions=opinions, failures=failures, agreement=agreement,
        confidence="high" if decision is not None else "low",
        requires_human_review=decision is None, options=options, decision=decision,
        outcome="consensus" if decision is not None else "disagreement",
    )  # fmt: skip


def _checked(analyst: Analyst[Any]) -> Callable[..., Awaitable[list[Candidate]]]:
    """The analyst's function, its answer checked to be a list of `Candidate`s (deduplicated,
    keeping each candidate's best rank)."""

    async def run(value: Any, ctx: StepContext) -> list[Candidate]:
        answer = await call(analyst.run, value, ctx)
        if isinstance(answer, str | bytes) or not isinstance(answer, Sequence):
            raise TypeError(f"expected a list of Candidate, got {type(answer).__name__}")
        seen: set[str] = set()
        ranked: list[Candidate] = []
        for item in answer:
            if not isinstance(item, Candidate):
                raise TypeError(f"expected Candidate items, got {type(item).__name__}")
            if item.key not in seen:
                seen.add(item.key)
                ranked.append(item)
        return ranked

    return run


async def run_debate(
    debate: Debate[I],
    value: I,
    *,
    request: RequestContext | None = None,
    budget: Budget | None = None,
    progress: ProgressCallback | None = None,
) -> DebateResult:
    """Run every analyst of `debate` on `value` concurrently and synthesise their answers.

    Model calls are metered in `request`'s ledger (default: a fresh request with `budget`).
    Never raises for what stops an analyst (see the quorum rule in the module docstring); a
    misconfiguration (`ConfigError`) is raised."""
    if request is None:
        request = RequestContext.new(budget=budget)
    elif budget is not None:
        raise ConfigError("run_debate: pass budget= or request=, not both")
    started = time.perf_counter()
    # the run's span (with the request's telemetry): its steps' spans are its children
    with (request.telemetry or DISABLED).run_span(debate.name):
        final = await debate.graph().ainvoke(
            {"input": value, "opinions": [], "failures": [], "result": None},
            # analysts (one super-step, however many) then synthesis: reaching it means a bug
            config={"recursion_limit": 3},
            context=_Run(request=request, progress=progress),
        )
    await request.ledger.flush()
    result: DebateResult = final["result"]
    result.latency_ms = (time.perf_counter() - started) * 1000
    return result


def _identity(code: str | None, label: str) -> str:
    """A candidate's identity across analysts: its code, else its label, normalised."""
    return (code or label).strip().lower()
