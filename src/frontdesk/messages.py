"""Conversation data: messages exchanged with models, tool calls and token usage.

Messages are kind-tagged dataclasses so a history can be matched exhaustively and serialised to
plain JSON (`to_json` / `from_json`) for stores and checkpoints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, assert_never


@dataclass(kw_only=True, slots=True)
class Usage:
    """Tokens used by one or more model calls."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    requests: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cached_input_tokens=self.cached_input_tokens + other.cached_input_tokens,
            requests=self.requests + other.requests,
        )


@dataclass(kw_only=True, slots=True)
class TextPart:
    """Text produced by a model."""

    text: str
    kind: Literal["text"] = "text"


@dataclass(kw_only=True, slots=True)
class ToolCallPart:
    """A model's request to run a tool; `arguments` is the decoded JSON object."""

    id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    kind: Literal["tool_call"] = "tool_call"


ResponsePart = TextPart | ToolCallPart


@dataclass(kw_only=True, slots=True)
class SystemMessage:
    """Instructions for the model."""

    text: str
    kind: Literal["system"] = "system"


@dataclass(kw_only=True, slots=True)
class UserMessage:
    """What the end user wrote."""

    text: str
    kind: Literal["user"] = "user"


@dataclass(kw_only=True, slots=True)
class AssistantMessage:
    """What a model answered: text and/or tool calls."""

    parts: list[ResponsePart] = field(default_factory=list)
    kind: Literal["assistant"] = "assistant"

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def tool_calls(self) -> list[ToolCallPart]:
        return [p for p in self.parts if isinstance(p, ToolCallPart)]


@dataclass(kw_only=True, slots=True)
class ToolReturn:
    """The result of running a tool, sent back to the model."""

    call_id: str
    name: str
    content: str
    is_error: bool = False
    kind: Literal["tool_return"] = "tool_return"


Message = SystemMessage | UserMessage | AssistantMessage | ToolReturn


def part_to_json(part: ResponsePart) -> dict[str, Any]:
    match part:
        case TextPart():
            return {"kind": "text", "text": part.text}
        case ToolCallPart():
            return {
                "kind": "tool_call", "id": part.id, "name": part.name, "arguments": part.arguments,
            }  # fmt: skip
        case _:
            assert_never(part)


def part_from_json(data: dict[str, Any]) -> ResponsePart:
    if data["kind"] == "text":
        return TextPart(text=data["text"])
    if data["kind"] == "tool_call":
        return ToolCallPart(id=data["id"], name=data["name"], arguments=dict(data["arguments"]))
    raise ValueError(f"unknown response part kind {data['kind']!r}")


def to_json(message: Message) -> dict[str, Any]:
    """A JSON-ready dict of a message (the inverse of `from_json`)."""
    match message:
        case SystemMessage() | UserMessage():
            return {"kind": message.kind, "text": message.text}
        case AssistantMessage():
            return {"kind": "assistant", "parts": [part_to_json(p) for p in message.parts]}
        case ToolReturn():
            return {
                "kind": "tool_return",
                "call_id": message.call_id,
                "name": message.name,
                "content": message.content,
                "is_error": message.is_error,
            }
        case _:
            assert_never(message)


def from_json(data: dict[str, Any]) -> Message:
    kind = data.get("kind")
    if kind == "system":
        return SystemMessage(text=data["text"])
    if kind == "user":
        return UserMessage(text=data["text"])
    if kind == "assistant":
        return AssistantMessage(parts=[part_from_json(p) for p in data["parts"]])
    if kind == "tool_return":
        return ToolReturn(
            call_id=data["call_id"],
            name=data["name"],
            content=data["content"],
            is_error=bool(data.get("is_error", False)),
        )
    raise ValueError(f"unknown message kind {kind!r}")
