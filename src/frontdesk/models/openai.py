"""The OpenAI-compatible adapter: chat completions through the official `openai` SDK.

Works with OpenAI itself and with any server that speaks the chat-completions API (vLLM, Ollama,
llama.cpp server, LiteLLM, `frontdesk.testing.ModelServer`). The base URL and key come from the
arguments, else `OPENAI_BASE_URL` / `OPENAI_API_KEY` as the SDK reads them. SDK retries are off:
the retry wrapper is the one retry layer. Errors surface as `ModelHTTPError`, `ModelTimeout`,
`ModelConnectionError` or `ModelError` (unreadable answer).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any, Literal, assert_never

from openai import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncOpenAI,
    OpenAIError,
)
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionMessageParam,
    ChatCompletionMessageToolCallParam,
    ChatCompletionToolParam,
)

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
    ClientSlot,
    ModelConnectionError,
    ModelHTTPError,
    ModelTimeout,
    deadline,
    decode_arguments,
    encode_arguments,
    ensure_requests_allowed,
    http_error_message,
    is_local_server,
    parse_retry_after,
    url_host,
)
from frontdesk.models.base import Model, ModelResponse, ModelSettings, ToolDefinition

DEFAULT_BASE_URL = "https://api.openai.com/v1"

MaxTokensField = Literal["max_completion_tokens", "max_tokens"]


class OpenAIModel(Model):
    """A chat model behind an OpenAI-compatible chat-completions endpoint.

    `max_tokens_field` names the request field for `settings.max_output_tokens`: by default
    `max_completion_tokens` for api.openai.com (required by its reasoning models) and the older,
    universally supported `max_tokens` for other servers. With `stream=True` the answer is
    streamed and assembled, so `settings.timeout_s` also bounds a slowly trickling answer.
    Close with `aclose()` (or `async with`) when the model owns its client.
    """

    provider = "openai"

    def __init__(
        self,
        model_name: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        client: AsyncOpenAI | None = None,
        max_tokens_field: MaxTokensField | None = None,
        stream: bool = False,
    ) -> None:
        self.model_name = model_name
        self.stream = stream
        if client is not None:
            self.base_url = str(client.base_url)
            api_key = client.api_key
        else:
            self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
            api_key = api_key or os.environ.get("OPENAI_API_KEY")
            if not api_key and is_local_server(self.base_url):
                api_key = PLACEHOLDER_API_KEY
        self._api_key = api_key
        self._clients = ClientSlot(self._make_client, client)
        if max_tokens_field is None:
            official = url_host(self.base_url) == "api.openai.com"
            max_tokens_field = "max_completion_tokens" if official else "max_tokens"
        self.max_tokens_field: MaxTokensField = max_tokens_field

    def _make_client(self) -> AsyncOpenAI:
        # made lazily, after the ALLOW_MODEL_REQUESTS guard: resolving a model id never fails
        # for a missing key, and the suite never builds a client for a remote host
        if not self._api_key:
            raise ConfigError(
                f"{self.id}: no API key for {self.base_url}; set OPENAI_API_KEY (any value "
                f"for a keyless server) or pass api_key= to OpenAIModel"
            )
        return AsyncOpenAI(api_key=self._api_key, base_url=self.base_url, max_retries=0)

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
        params: dict[str, Any] = {"model": self.model_name, "messages": map_messages(messages)}
        if tools:
            params["tools"] = map_tools(tools)
        if settings.max_output_tokens is not None:
            params[self.max_tokens_field] = settings.max_output_tokens
        if settings.temperature is not None:
            params["temperature"] = settings.temperature
        if settings.timeout_s is not None:
            params["timeout"] = settings.timeout_s
        client = self._clients.get()
        try:
            async with deadline(settings.timeout_s, self.id):
                if self.stream:
                    return await self._streamed(client, params)
                completion = await client.chat.completions.create(**params)
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
                http_error_message(self.id, exc.status_code, _detail(exc), "OPENAI_API_KEY"),
                model=self.id,
                status_code=exc.status_code,
                retry_after=parse_retry_after(exc.response.headers),
            ) from exc
        except (OpenAIError, json.JSONDecodeError) as exc:
            raise ModelError(f"{self.id}: unusable answer: {exc}", model=self.id) from exc
        try:
            return self._parse(completion)
        except (AttributeError, TypeError, KeyError, IndexError) as exc:  # an odd-shaped answer
            raise ModelError(
                f"{self.id}: unusable answer: {exc!r}",
                model=self.id,
                usage=_reported_usage(completion),
            ) from exc

    def _parse(self, completion: ChatCompletion) -> ModelResponse:
        if not isinstance(completion, ChatCompletion) or not completion.choices:
            raise ModelError(
                f"{self.id}: the answer is not a chat completion: {str(completion)[:200]!r}",
                model=self.id,
                usage=_reported_usage(completion),
            )
        choice = completion.choices[0]
        parts: list[ResponsePart] = []
        if choice.message.content:
            parts.append(TextPart(text=choice.message.content))
        for call in choice.message.tool_calls or ():
            if call.type == "function":
                parts.append(
                    ToolCallPart(
                        id=call.id,
                        name=call.function.name,
                        arguments=decode_arguments(call.function.arguments),
                    )
                )
        return ModelResponse(
            parts=parts,
            usage=_reported_usage(completion) or Usage(requests=1),
            model=completion.model or self.model_name,
            finish_reason=finish_reason(choice.finish_reason, parts),
        )

    async def _streamed(self, client: AsyncOpenAI, params: dict[str, Any]) -> ModelResponse:
        """Stream the answer and assemble it into one response (usage from the final chunk)."""
        stream = await client.chat.completions.create(
            **params, stream=True, stream_options={"include_usage": True}
        )
        text: list[str] = []
        calls: dict[int, dict[str, str]] = {}
        reason: str | None = None
        model = ""
        usage = Usage(requests=1)
        async with stream:
            async for chunk in stream:
                model = chunk.model or model
                usage = _reported_usage(chunk) or usage
                for choice in chunk.choices[:1]:
                    reason = choice.finish_reason or reason
                    if choice.delta.content:
                        text.append(choice.delta.content)
                    for delta in choice.delta.tool_calls or ():
                        call = calls.setdefault(delta.index, {"id": "", "name": "", "args": ""})
                        call["id"] = delta.id or call["id"]
                        if delta.function is not None:
                            call["name"] += delta.function.name or ""
                            call["args"] += delta.function.arguments or ""
        parts: list[ResponsePart] = [TextPart(text="".join(text))] if text else []
        for _, call in sorted(calls.items()):
            parts.append(
                ToolCallPart(
                    id=call["id"], name=call["name"], arguments=decode_arguments(call["args"])
                )
            )
        return ModelResponse(
            parts=parts,
            usage=usage,
            model=model or self.model_name,
            finish_reason=finish_reason(reason, parts),
        )


def _reported_usage(completion: object) -> Usage | None:
    """The token usage a completion reports, read defensively (it is also read from answers
    that could not be parsed, so that a cost ledger can charge them); None when it has none."""
    usage = getattr(completion, "usage", None)
    prompt = getattr(usage, "prompt_tokens", None)
    output = getattr(usage, "completion_tokens", None)
    if not isinstance(prompt, int) or not isinstance(output, int):
        return None
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None)
    return Usage(
        input_tokens=prompt,
        output_tokens=output,
        cached_input_tokens=cached if isinstance(cached, int) else 0,
        requests=1,
    )


def _detail(exc: APIStatusError) -> str:
    """The provider's own error message, else the SDK's summary."""
    body = exc.body
    message = body.get("message") if isinstance(body, dict) else None
    return message if isinstance(message, str) and message else exc.message


def finish_reason(reason: str | None, parts: Sequence[ResponsePart]) -> str:
    """The provider's finish reason; `function_call` (legacy) and a missing one are normalised."""
    if reason == "function_call" or (
        reason is None and any(isinstance(p, ToolCallPart) for p in parts)
    ):
        return "tool_calls"
    return reason or "stop"


def map_messages(messages: Sequence[Message]) -> list[ChatCompletionMessageParam]:
    """Our history in chat-completions form: tool results become `role=tool` messages."""
    out: list[ChatCompletionMessageParam] = []
    for message in messages:
        match message:
            case SystemMessage():
                out.append({"role": "system", "content": message.text})
            case UserMessage():
                out.append({"role": "user", "content": message.text})
            case AssistantMessage():
                calls: list[ChatCompletionMessageToolCallParam] = [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {
                            "name": call.name,
                            "arguments": encode_arguments(call.arguments),
                        },
                    }
                    for call in message.tool_calls
                ]
                if calls:
                    out.append(
                        {"role": "assistant", "content": message.text or None, "tool_calls": calls}
                    )
                else:
                    out.append({"role": "assistant", "content": message.text})
            case ToolReturn():
                out.append(
                    {"role": "tool", "tool_call_id": message.call_id, "content": message.content}
                )
            case _:
                assert_never(message)
    return out


def map_tools(tools: Sequence[ToolDefinition]) -> list[ChatCompletionToolParam]:
    """Our tool definitions as chat-completions function tools."""
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters,
            },
        }
        for tool in tools
    ]
