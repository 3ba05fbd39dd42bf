"""Scripted model replies and their wire shapes: the JSON bodies and stream chunks the
`ModelServer` answers with, in the OpenAI chat-completions and the Anthropic Messages dialects.

A `Reply` is dialect-neutral; its token counts mean the same in both (`input_tokens` = every
prompt token, `cached_tokens` = those read from a cache), so an adapter test can assert one
`Usage` whichever provider served it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Api = Literal["openai", "anthropic"]

# OpenAI finish reasons -> Anthropic stop reasons (anything else passes through unchanged).
_STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}

_ERROR_TYPES: dict[int, tuple[str, str]] = {  # status -> (openai type, anthropic type)
    400: ("invalid_request_error", "invalid_request_error"),
    401: ("invalid_request_error", "authentication_error"),
    403: ("invalid_request_error", "permission_error"),
    404: ("invalid_request_error", "not_found_error"),
    429: ("rate_limit_exceeded", "rate_limit_error"),
    529: ("server_error", "overloaded_error"),
}


@dataclass(kw_only=True, slots=True)
class ToolCall:
    """A tool call in a scripted reply. String `arguments` are sent verbatim (to test how a
    client copes with arguments that are not valid JSON); `id` is generated when None."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None


@dataclass(kw_only=True, slots=True)
class Reply:
    """One model answer. Token counts left as None are computed (whitespace-separated words of
    the request's messages and of the reply); `model` None echoes the requested model;
    `finish_reason` None means `tool_calls` when there are tool calls, else `stop` (OpenAI
    words; translated for the Anthropic dialect)."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int = 0
    finish_reason: str | None = None
    model: str | None = None


Responder = Callable[[dict[str, Any]], Reply]
"""Answers a request body that no queued item answers."""


def _content_texts(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content]
    texts: list[str] = []
    if isinstance(content, list):
        for block in content:
            if isinstance(block, dict):
                if isinstance(block.get("text"), str):
                    texts.append(block["text"])
                elif block.get("type") == "tool_result":
                    texts.extend(_content_texts(block.get("content")))
    return texts


def message_texts(body: dict[str, Any]) -> list[str]:
    """Every text in a request, system prompt and tool results included (either dialect)."""
    texts = _content_texts(body.get("system"))
    for message in body.get("messages") or []:
        if isinstance(message, dict):
            texts.extend(_content_texts(message.get("content")))
    return texts


def last_user_text(body: dict[str, Any]) -> str:
    """The text of the last user message that has text (either dialect); '' if none."""
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                content = [b for b in content if isinstance(b, dict) and b.get("type") == "text"]
            text = "".join(_content_texts(content))
            if text:
                return text
    return ""


def echo(body: dict[str, Any]) -> Reply:
    """The default responder: repeat the last user message."""
    return Reply(text=last_user_text(body))


def count_tokens(text: str) -> int:
    """The server's stand-in for a tokenizer: whitespace-separated words."""
    return len(text.split())


def _arguments_json(call: ToolCall) -> str:
    return call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments)


def _usage(reply: Reply, body: dict[str, Any]) -> tuple[int, int]:
    prompt = reply.input_tokens
    if prompt is None:
        prompt = sum(count_tokens(t) for t in message_texts(body))
    completion = reply.output_tokens
    if completion is None:
        completion = count_tokens(reply.text)
        completion += sum(count_tokens(_arguments_json(c)) for c in reply.tool_calls)
    return prompt, completion


def _openai_reason(reply: Reply) -> str:
    return reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")


def _openai_usage(reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
    prompt, completion = _usage(reply, body)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": reply.cached_tokens},
    }


def openai_completion(reply: Reply, body: dict[str, Any], n: int) -> dict[str, Any]:
    """A `chat.completion` object answering `body`; `n` makes its ids unique."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.text, "refusal": None}
    if reply.tool_calls:
        message["content"] = reply.text or None
        message["tool_calls"] = [
            {
                "id": call.id or f"call_{n}_{i}",
                "type": "function",
                "function": {"name": call.name, "arguments": _arguments_json(call)},
            }
            for i, call in enumerate(reply.tool_calls)
        ]
    return {
        "id": f"chatcmpl-{n}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": reply.model or body.get("model") or "test-model",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": _openai_reason(reply),
                "logprobs": None,
            }
        ],
        "usage": _openai_usage(reply, body),
    }


def openai_chunks(reply: Reply, body: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """The `chat.completion.chunk` objects of a streamed answer: one per word, tool calls in
    two argument fragments, then the finish reason, then (if `stream_options.include_usage`
    was asked for, as OpenAI does) a usage chunk with no choices."""
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    base = {
        "id": f"chatcmpl-{n}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": reply.model or body.get("model") or "test-model",
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return {**base, "choices": [choice], **({"usage": None} if include_usage else {})}

    chunks = [chunk({"role": "assistant", "content": ""})]
    words = reply.text.split(" ")
    chunks += [
        chunk({"content": w if i == 0 else " " + w}) for i, w in enumerate(words) if reply.text
    ]
    for i, call in enumerate(reply.tool_calls):
        arguments = _arguments_json(call)
        half = len(arguments) // 2
        head = {"index": i, "id": call.id or f"call_{n}_{i}", "type": "function"}
        chunks.append(
            chunk({"tool_calls": [{**head, "function": {"name": call.name, "arguments": ""}}]})
        )
        for piece in (arguments[:half], arguments[half:]):
            chunks.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]}))
    chunks.append(chunk({}, _openai_reason(reply)))
    if include_usage:
        chunks.append({**base, "choices": [], "usage": _openai_usage(reply, body)})
    return chunks


def anthropic_message(reply: Reply, body: dict[str, Any], n: int) -> dict[str, Any]:
    """A Messages-API `message` object answering `body`."""
    content: list[dict[str, Any]] = [{"type": "text", "text": reply.text}] if reply.text else []
    for i, call in enumerate(reply.tool_calls):
        content.append(
            {
                "type": "tool_use",
                "id": call.id or f"toolu_{n}_{i}",
                "name": call.name,
                "input": call.arguments,
            }
        )
    prompt, completion = _usage(reply, body)
    reason = _openai_reason(reply)
    return {
        "id": f"msg_{n}",
        "type": "message",
        "role": "assistant",
        "model": reply.model or body.get("model") or "test-model",
        "content": content,
        "stop_reason": _STOP_REASONS.get(reason, reason),
        "stop_sequence": None,
        "usage": {
            "input_tokens": max(0, prompt - reply.cached_tokens),
            "output_tokens": completion,
            "cache_read_input_tokens": reply.cached_tokens,
            "cache_creation_input_tokens": 0,
        },
    }


def error_body(api: Api, status: int, message: str) -> dict[str, Any]:
    """An error object as the provider would send it with `status`."""
    default = ("server_error", "api_error") if status >= 500 else ("invalid_request_error",) * 2
    openai_type, anthropic_type = _ERROR_TYPES.get(status, default)
    if api == "anthropic":
        return {"type": "error", "error": {"type": anthropic_type, "message": message}}
    return {"error": {"message": message, "type": openai_type, "param": None, "code": None}}


def models_list(models: list[str]) -> dict[str, Any]:
    """A model list readable by both SDKs (the union of the two dialects' fields)."""
    data = [
        {
            "id": m,
            "object": "model",
            "type": "model",
            "created": 0,
            "created_at": "1970-01-01T00:00:00Z",
            "display_name": m,
            "owned_by": "frontdesk",
        }
        for m in models
    ]
    return {
        "object": "list",
        "data": data,
        "has_more": False,
        "first_id": models[0] if models else None,
        "last_id": models[-1] if models else None,
    }
