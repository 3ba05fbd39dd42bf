"""The Anthropic adapter: the Messages API through the official `anthropic` SDK.

The system prompt travels separately, tool calls are `tool_use` blocks and their results
`tool_result` blocks inside a user turn (consecutive results share one turn). The base URL and
key come from the arguments, else from the SDK's own sources (`ANTHROPIC_BASE_URL`,
`ANTHROPIC_API_KEY`, ...). SDK retries and the SDK's own tracing are off: the retry and
instrumentation wrappers own those. Errors surface as in the OpenAI adapter.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any, assert_never

from anthropic import (
    AnthropicError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncAnthropic,
    CredentialsError,
)
from anthropic.types import (
    ContentBlockParam,
    MessageParam,
    ToolParam,
    ToolResultBlockParam,
)
from anthropic.types import Message as AnthropicMessage

from frontdesk.errors import ConfigError, ModelError
from frontdesk.messages import (
    AssistantMessage,
    Message,
    ResponsePart,
    SystemMessage,
    TextPart,
    ToolCallPart,
    ToolReturn,
    Usage,
    UserMessage,
)
from frontdesk.models._remote import (
    PLACEHOLDER_API_KEY,
    RAW_ARGUMENTS_KEY,
    ClientSlot,
    ModelConnectionError,
    ModelHTTPError,
    ModelTimeout,
    deadline,
    ensure_requests_allowed,
    http_error_message,
    is_local_server,
    parse_retry_after,
)
from frontdesk.models.base import Model, ModelResponse, ModelSettings, ToolDefinition

DEFAULT_BASE_URL = "https://api.anthropic.com"
DEFAULT_MAX_TOKENS = 1024
"""Anthropic requires `max_tokens`; used when `settings.max_output_tokens` is None."""

# Anthropic stop reasons in the OpenAI vocabulary the rest of frontdesk uses.
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "refusal": "content_filter",
}


class AnthropicModel(Model):
    """A Claude model behind the Anthropic Messages API (or a compatible server).

    `settings.temperature` is not sent: SDK 2.x dropped the sampling parameters and API version
    2026-10-21 (the SDK's default) rejects them with HTTP 400, even at their default value.
    Usage is reported with `input_tokens` = every prompt token (uncached, cache reads and cache
    writes, as OpenAI counts them) and `cached_input_tokens` = cache reads. Close with `aclose()`
    (or `async with`) when the model owns its client.
    """

    provider = "anthropic"

    def __init__(
        self,
        model_name: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        client: AsyncAnthropic | None = None,
    ) -> None:
        self.model_name = model_name
        self._api_key = api_key
        if client is not None:
            self.base_url = str(client.base_url)
        else:
            self.base_url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or DEFAULT_BASE_URL
            env_key = os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("ANTHROPIC_AUTH_TOKEN")
            if not api_key and not env_key and is_local_server(self.base_url):
                self._api_key = PLACEHOLDER_API_KEY
        self._clients = ClientSlot(self._make_client, client)

    def _make_client(self) -> AsyncAnthropic:
        # made lazily, after the ALLOW_MODEL_REQUESTS guard (the SDK may read credential files)
        try:
            return AsyncAnthropic(
                api_key=self._api_key, base_url=self.base_url, max_retries=0, open_telemetry=False
            )
        except CredentialsError as exc:
            raise ConfigError(f"{self.id}: {exc}; or set ANTHROPIC_API_KEY") from exc

    async def aclose(self) -> None:
        """Close the HTTP connections of the client this model made (not of one passed in)."""
        await self._clients.aclose()

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        ensure_requests_allowed(self.base_url, self.id)
        settings = settings or ModelSettings()
        system, turns = map_messages(messages)
        params: dict[str, Any] = {
            "model": self.model_name,
            "messages": turns,
            "max_tokens": settings.max_output_tokens or DEFAULT_MAX_TOKENS,
        }
        if system:
            params["system"] = system
        if tools:
            params["tools"] = map_tools(tools)
        if settings.timeout_s is not None:
            params["timeout"] = settings.timeout_s
        client = self._clients.get()
        try:
            async with deadline(settings.timeout_s, self.id):
                answer = await client.messages.create(**params)
        except APITimeoutError as exc:
            raise ModelTimeout(
                f"{self.id}: no answer within {settings.timeout_s}s",
                model=self.id,
                timeout_s=settings.timeout_s,
            ) from exc
        except APIConnectionError as exc:
            raise ModelConnectionError(
                f"{self.id}: cannot reach {self.base_url}: {exc}", model=self.id
            ) from exc
        except APIStatusError as exc:
            raise ModelHTTPError(
                http_error_message(
                    self.id, exc.status_code, exc.api_message or exc.message, "ANTHROPIC_API_KEY"
                ),
                model=self.id,
                status_code=exc.status_code,
                retry_after=parse_retry_after(exc.response.headers),
            ) from exc
        except TypeError as exc:
            if "authentication method" not in str(exc):
                raise
            raise ConfigError(
                f"{self.id}: no credentials for {self.base_url}; set ANTHROPIC_API_KEY or pass "
                f"api_key= to AnthropicModel"
            ) from exc
        except (AnthropicError, json.JSONDecodeError) as exc:
            raise ModelError(f"{self.id}: unusable answer: {exc}", model=self.id) from exc
        try:
            return self._parse(answer)
        except (AttributeError, TypeError, KeyError, IndexError) as exc:  # an odd-shaped answer
            raise ModelError(f"{self.id}: unusable answer: {exc!r}", model=self.id) from exc

    def _parse(self, answer: AnthropicMessage) -> ModelResponse:
        if not isinstance(answer, AnthropicMessage):
            raise ModelError(
                f"{self.id}: the answer is not a message: {str(answer)[:200]!r}", model=self.id
            )
        parts: list[ResponsePart] = []
        for block in answer.content:
            if block.type == "text":
                if block.text:
                    parts.append(TextPart(text=block.text))
            elif block.type == "tool_use":
                raw: object = block.input
                if isinstance(raw, dict):
                    arguments = dict(raw)
                else:  # a misbehaving server; keep what it sent, as the OpenAI adapter does
                    arguments = {
                        RAW_ARGUMENTS_KEY: raw if isinstance(raw, str) else json.dumps(raw)
                    }
                parts.append(ToolCallPart(id=block.id, name=block.name, arguments=arguments))
        cache_read = answer.usage.cache_read_input_tokens or 0
        cache_write = answer.usage.cache_creation_input_tokens or 0
        usage = Usage(
            input_tokens=answer.usage.input_tokens + cache_read + cache_write,
            output_tokens=answer.usage.output_tokens,
            cached_input_tokens=cache_read,
            requests=1,
        )
        reason = answer.stop_reason or (
            "tool_use" if any(isinstance(p, ToolCallPart) for p in parts) else "end_turn"
        )
        return ModelResponse(
            parts=parts,
            usage=usage,
            model=answer.model or self.model_name,
            finish_reason=STOP_REASONS.get(reason, reason),
        )


def map_messages(messages: Sequence[Message]) -> tuple[str, list[MessageParam]]:
    """The system prompt (system messages joined) and the turns in Messages-API form; adjacent
    turns of the same role, such as several tool results, are merged into one."""
    system: list[str] = []
    turns: list[MessageParam] = []

    def add(role: str, blocks: list[ContentBlockParam]) -> None:
        if turns and turns[-1]["role"] == role:
            previous = turns[-1]["content"]
            assert isinstance(previous, list)
            previous.extend(blocks)
        elif role == "user":
            turns.append({"role": "user", "content": blocks})
        else:
            turns.append({"role": "assistant", "content": blocks})

    for message in messages:
        match message:
            case SystemMessage():
                system.append(message.text)
            case UserMessage():
                add("user", [{"type": "text", "text": message.text}])
            case AssistantMessage():
                blocks: list[ContentBlockParam] = []
                for part in message.parts:
                    if isinstance(part, TextPart):
                        if part.text:  # the API rejects empty text blocks
                            blocks.append({"type": "text", "text": part.text})
                    else:
                        blocks.append(
                            {
                                "type": "tool_use",
                                "id": part.id,
                                "name": part.name,
                                "input": part.arguments,
                            }
                        )
                if blocks:
                    add("assistant", blocks)
            case ToolReturn():
                result: ToolResultBlockParam = {
                    "type": "tool_result",
                    "tool_use_id": message.call_id,
                    "content": message.content,
                }
                if message.is_error:
                    result["is_error"] = True
                add("user", [result])
            case _:
                assert_never(message)
    return "\n\n".join(system), turns


def map_tools(tools: Sequence[ToolDefinition]) -> list[ToolParam]:
    """Our tool definitions as Anthropic client tools (`input_schema` = the JSON schema)."""
    return [
        {"name": tool.name, "description": tool.description, "input_schema": tool.parameters}
        for tool in tools
    ]
