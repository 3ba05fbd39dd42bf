"""The model interface: one async `request` method, plus the response and settings types.

Every backend (OpenAI-compatible servers, Anthropic, the test doubles) and every wrapper (budget,
retry, fallback, instrumentation) implements `Model`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, Self, runtime_checkable

from frontdesk.messages import Message, ResponsePart, TextPart, ToolCallPart, Usage


@dataclass(kw_only=True, slots=True, frozen=True)
class ToolDefinition:
    """What a model is told about a tool: its name, purpose and JSON-schema parameters."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(kw_only=True, slots=True, frozen=True)
class ModelSettings:
    """Per-request settings; `None` leaves the provider's default."""

    max_output_tokens: int | None = 1024
    temperature: float | None = None
    timeout_s: float | None = 60.0


@dataclass(kw_only=True, slots=True)
class ModelResponse:
    """One model answer: text and/or tool calls, token usage, and why it stopped."""

    parts: list[ResponsePart] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    finish_reason: str = "stop"

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def tool_calls(self) -> list[ToolCallPart]:
        return [p for p in self.parts if isinstance(p, ToolCallPart)]


class Model(ABC):
    """A chat model. `provider` and `model_name` identify it in logs, prices and traces."""

    provider: str = "unknown"
    model_name: str = "unknown"

    @property
    def id(self) -> str:
        """The `provider:model` id this model answers to."""
        return f"{self.provider}:{self.model_name}"

    async def aclose(self) -> None:  # noqa: B027 (optional hook, deliberately not abstract)
        """Release connections (a no-op unless the model holds a client)."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @abstractmethod
    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        """Send the conversation (and the tools it may call) and return the model's answer."""


@runtime_checkable
class ComposedModel(Protocol):
    """A model built around other models: the retry, circuit-breaker and fallback wrappers.

    `map_models(transform)` returns a copy of it around `transform(m)` for each inner model `m`,
    leaving the original untouched. Per-request wrappers use it to go beneath the shared ones:
    the cost ledger's `Budgeted` wraps each innermost model, so it sees every attempt."""

    def map_models(self, transform: Callable[[Model], Model]) -> Model: ...
