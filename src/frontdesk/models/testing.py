"""Deterministic test doubles: `FunctionModel` (a callable decides each answer) and
`ScriptedModel` (a list of answers, the calls recorded, `assert_complete()`).

Both run fully offline and report the usage they are given, so budgets and metrics can be tested
without a provider.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from frontdesk.messages import Message, TextPart, ToolCallPart, Usage
from frontdesk.models.base import Model, ModelResponse, ModelSettings, ToolDefinition

ResponseFunction = Callable[
    [Sequence[Message], Sequence[ToolDefinition]], ModelResponse | Awaitable[ModelResponse]
]


class FunctionModel(Model):
    """A model whose every answer is computed by `function(messages, tools)` (sync or async)."""

    provider = "function"

    def __init__(self, function: ResponseFunction, *, model_name: str = "function") -> None:
        self.function = function
        self.model_name = model_name

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        result = self.function(messages, tools)
        if inspect.isawaitable(result):
            result = await result
        if not result.model:
            result.model = self.model_name
        return result


@dataclass(kw_only=True, slots=True)
class RecordedCall:
    """One request a `ScriptedModel` received."""

    messages: list[Message]
    tools: list[ToolDefinition]


@dataclass(kw_only=True)
class ScriptedModel(Model):
    """A model that replays `steps` in order; with `repeat_last=True` it repeats the last step
    forever (a model stuck calling a tool). Every request is recorded in `calls`."""

    steps: list[ModelResponse]
    repeat_last: bool = False
    model_name: str = "scripted"
    provider: str = "scripted"
    calls: list[RecordedCall] = field(default_factory=list)

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        index = len(self.calls)
        self.calls.append(RecordedCall(messages=list(messages), tools=list(tools)))
        if index >= len(self.steps):
            if not (self.repeat_last and self.steps):
                raise AssertionError(
                    f"ScriptedModel ran out of steps: request {index + 1} but only "
                    f"{len(self.steps)} scripted"
                )
            index = len(self.steps) - 1
        step = self.steps[index]
        return ModelResponse(
            parts=list(step.parts),
            usage=step.usage,
            model=step.model or self.model_name,
            finish_reason=step.finish_reason,
        )

    def assert_complete(self) -> None:
        """Fail unless every scripted step was consumed."""
        if len(self.calls) < len(self.steps):
            raise AssertionError(
                f"ScriptedModel used {len(self.calls)} of {len(self.steps)} scripted steps"
            )


def text_response(text: str, *, input_tokens: int = 0, output_tokens: int = 0) -> ModelResponse:
    """A response holding only `text` (helper for scripts)."""
    return ModelResponse(
        parts=[TextPart(text=text)],
        usage=Usage(input_tokens=input_tokens, output_tokens=output_tokens, requests=1),
    )


def tool_call_response(
    name: str,
    arguments: dict[str, object] | None = None,
    *,
    call_id: str = "call-1",
    text: str = "",
    input_tokens: int = 0,
    output_tokens: int = 0,
) -> ModelResponse:
    """A response asking to run one tool (optionally with some text first)."""
    parts: list[TextPart | ToolCallPart] = [TextPart(text=text)] if text else []
    parts.append(ToolCallPart(id=call_id, name=name, arguments=dict(arguments or {})))
    return ModelResponse(
        parts=list(parts),
        usage=Usage(input_tokens=input_tokens, output_tokens=output_tokens, requests=1),
        finish_reason="tool_calls",
    )
