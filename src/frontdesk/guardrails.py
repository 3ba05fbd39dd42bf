"""Guardrails: checks on a specialist's input and output that pass, block or rewrite.

A guardrail is a plain function (sync or async) of the text and a `GuardrailContext`, or a model
asked to judge (`model_guardrail`). A blocked output is replaced by the specialist's safe reply,
recorded on the run, and may escalate the conversation.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, overload

from frontdesk.messages import Message, SystemMessage, UserMessage
from frontdesk.models.base import Model, ModelSettings

if TYPE_CHECKING:
    from frontdesk.context import RequestContext

GuardrailAction = Literal["pass", "block", "rewrite"]
Stage = Literal["input", "output"]


@dataclass(kw_only=True, slots=True, frozen=True)
class GuardrailResult:
    """`pass`; `block` with a reason; or `rewrite` with the replacement `text`."""

    action: GuardrailAction = "pass"
    reason: str = ""
    text: str | None = None

    @classmethod
    def ok(cls) -> GuardrailResult:
        return cls()

    @classmethod
    def block(cls, reason: str) -> GuardrailResult:
        return cls(action="block", reason=reason)

    @classmethod
    def rewrite(cls, text: str, reason: str = "") -> GuardrailResult:
        return cls(action="rewrite", text=text, reason=reason)


@dataclass(kw_only=True, slots=True, frozen=True)
class GuardrailContext:
    """What a guardrail may look at besides the text it checks."""

    agent: str
    stage: Stage
    user_text: str
    knowledge: Sequence[str] = ()
    """Texts of the knowledge-base passages the answer was grounded on (output stage)."""
    request: RequestContext | None = None
    """The request the check runs in: a guardrail that calls a model meters it through
    `request.budgeted(...)`, so its calls count against the request's budget."""


CheckFunction = Callable[[str, GuardrailContext], GuardrailResult | Awaitable[GuardrailResult]]


@dataclass(kw_only=True, slots=True, frozen=True)
class Guardrail:
    """A named check."""

    name: str
    check: CheckFunction

    async def run(self, text: str, ctx: GuardrailContext) -> GuardrailResult:
        result = self.check(text, ctx)
        if inspect.isawaitable(result):
            result = await result
        return result


@dataclass(kw_only=True, slots=True)
class GuardrailEvent:
    """A guardrail that did not simply pass, as recorded on the run."""

    guardrail: str
    stage: Stage
    action: GuardrailAction
    reason: str


@overload
def guardrail(function: CheckFunction, /, *, name: str | None = None) -> Guardrail: ...
@overload
def guardrail(*, name: str) -> Callable[[CheckFunction], Guardrail]: ...


def guardrail(
    function: CheckFunction | None = None, /, *, name: str | None = None
) -> Guardrail | Callable[[CheckFunction], Guardrail]:
    """Make a `Guardrail` from a check function (usable bare or as `@guardrail(name=...)`)."""

    def make(check: CheckFunction) -> Guardrail:
        return Guardrail(name=name or str(getattr(check, "__name__", "guardrail")), check=check)

    return make(function) if function is not None else make


def model_guardrail(model: Model, *, name: str, policy: str) -> Guardrail:
    """A guardrail that asks `model` whether a text follows `policy`. The model answers
    `PASS` or `BLOCK: reason`; anything else counts as a pass-through failure and blocks. In a
    request, its calls are metered as `<agent>/guardrail:<name>`."""

    async def check(text: str, ctx: GuardrailContext) -> GuardrailResult:
        judge = model
        if ctx.request is not None:
            judge = ctx.request.budgeted(model, agent=f"{ctx.agent}/guardrail:{name}")
        messages: list[Message] = [
            SystemMessage(
                text=f"You review the {ctx.stage} of the '{ctx.agent}' assistant against this "
                f"policy:\n{policy}\nAnswer exactly PASS, or BLOCK: <reason>."
            ),
            UserMessage(text=text),
        ]
        response = await judge.request(messages, settings=ModelSettings(max_output_tokens=64))
        verdict = response.text.strip()
        if verdict.upper().startswith("PASS"):
            return GuardrailResult.ok()
        reason = verdict.partition(":")[2].strip() or f"unclear verdict {verdict[:40]!r}"
        return GuardrailResult.block(reason)

    return Guardrail(name=name, check=check)


@dataclass(kw_only=True, slots=True)
class GuardrailOutcome:
    """The text after every guardrail ran, and what they did."""

    text: str
    blocked: bool = False
    reason: str = ""
    events: list[GuardrailEvent] = field(default_factory=list)


async def apply_guardrails(
    guardrails: Sequence[Guardrail], text: str, ctx: GuardrailContext
) -> GuardrailOutcome:
    """Run guardrails in order; the first block stops; rewrites chain."""
    outcome = GuardrailOutcome(text=text)
    for item in guardrails:
        result = await item.run(outcome.text, ctx)
        if result.action == "pass":
            continue
        outcome.events.append(
            GuardrailEvent(
                guardrail=item.name, stage=ctx.stage, action=result.action, reason=result.reason
            )
        )
        if result.action == "block":
            outcome.blocked = True
            outcome.reason = result.reason
            return outcome
        if result.text is not None:
            outcome.text = result.text
    return outcome
