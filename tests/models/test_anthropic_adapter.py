"""The Anthropic adapter over real HTTP against the local ModelServer's /v1/messages."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

import frontdesk.models
from frontdesk.errors import ConfigError, ModelError, ModelRequestsDisabled
from frontdesk.messages import (
    AssistantMessage,
    SystemMessage,
    TextPart,
    ToolCallPart,
    ToolReturn,
    Usage,
    UserMessage,
)
from frontdesk.models._remote import ModelHTTPError, ModelTimeout
from frontdesk.models.anthropic import AnthropicModel
from frontdesk.models.base import ModelSettings, ToolDefinition
from frontdesk.testing import Fault, ModelServer, Reply, ToolCall

LOOKUP = ToolDefinition(
    name="lookup_balance",
    description="Current balance of an account.",
    parameters={
        "type": "object",
        "properties": {"account_id": {"type": "string"}},
        "required": ["account_id"],
    },
)
HISTORY = [
    SystemMessage(text="You are the billing desk."),
    SystemMessage(text="Be brief."),
    UserMessage(text="What do I owe on A-17 and B-2?"),
]


async def test_text_reply_with_usage(
    model_server: ModelServer, anthropic_model: AnthropicModel
) -> None:
    # 30 prompt tokens of which 10 came from the cache: the wire says input 20 + cache_read 10
    model_server.enqueue(Reply(text="Nothing.", input_tokens=30, output_tokens=3, cached_tokens=10))

    response = await anthropic_model.request(HISTORY)

    assert response.parts == [TextPart(text="Nothing.")]
    assert response.usage == Usage(
        input_tokens=30, output_tokens=3, cached_input_tokens=10, requests=1
    )
    assert response.model == "claude-test"
    assert response.finish_reason == "stop"
    (body,) = model_server.requests
    assert body == {
        "model": "claude-test",
        "system": "You are the billing desk.\n\nBe brief.",
        "messages": [
            {
                "role": "user",
                "content": [{"type": "text", "text": "What do I owe on A-17 and B-2?"}],
            }
        ],
        "max_tokens": 1024,
    }
    (logged,) = model_server.request_log
    assert logged.path == "/v1/messages"
    assert logged.headers["authorization"] == "Bearer not-needed"  # SDK 2.x sends keys as Bearer
    assert "anthropic-version" in logged.headers


async def test_settings_are_sent(
    model_server: ModelServer, anthropic_model: AnthropicModel
) -> None:
    await anthropic_model.request(
        HISTORY, settings=ModelSettings(max_output_tokens=64, temperature=0.0)
    )
    await anthropic_model.request(HISTORY, settings=ModelSettings(max_output_tokens=None))

    explicit, defaulted = model_server.requests
    assert explicit["max_tokens"] == 64
    assert "temperature" not in explicit  # API 2026-10-21 rejects sampling parameters
    assert defaulted["max_tokens"] == 1024  # Anthropic requires it


async def test_tool_round_trip_merges_tool_results(
    model_server: ModelServer, anthropic_model: AnthropicModel
) -> None:
    model_server.enqueue(
        Reply(
            text="Let me look both up.",
            tool_calls=[
                ToolCall(id="toolu_a", name="lookup_balance", arguments={"account_id": "A-17"}),
                ToolCall(id="toolu_b", name="lookup_balance", arguments={"account_id": "B-2"}),
            ],
        ),
        Reply(text="You owe $40 on A-17."),
    )

    first = await anthropic_model.request(HISTORY, tools=[LOOKUP])

    assert first.parts == [
        TextPart(text="Let me look both up."),
        ToolCallPart(id="toolu_a", name="lookup_balance", arguments={"account_id": "A-17"}),
        ToolCallPart(id="toolu_b", name="lookup_balance", arguments={"account_id": "B-2"}),
    ]
    assert first.finish_reason == "tool_calls"
    history = [
        *HISTORY,
        AssistantMessage(parts=first.parts),
        ToolReturn(call_id="toolu_a", name="lookup_balance", content="$40"),
        ToolReturn(
            call_id="toolu_b", name="lookup_balance", content="no such account", is_error=True
        ),
    ]
    second = await anthropic_model.request(history, tools=[LOOKUP])

    assert second.text == "You owe $40 on A-17."
    sent_tools, followup = model_server.requests
    assert sent_tools["tools"] == [
        {
            "name": "lookup_balance",
            "description": "Current balance of an account.",
            "input_schema": LOOKUP.parameters,
        }
    ]
    assert followup["messages"][1:] == [
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Let me look both up."},
                {
                    "type": "tool_use",
                    "id": "toolu_a",
                    "name": "lookup_balance",
                    "input": {"account_id": "A-17"},
                },
                {
                    "type": "tool_use",
                    "id": "toolu_b",
                    "name": "lookup_balance",
                    "input": {"account_id": "B-2"},
                },
            ],
        },
        {  # both results in one user turn
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_a", "content": "$40"},
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_b",
                    "content": "no such account",
                    "is_error": True,
                },
            ],
        },
    ]


async def test_stop_reasons_are_normalised(
    model_server: ModelServer, anthropic_model: AnthropicModel
) -> None:
    model_server.enqueue(Reply(text="It was a long", finish_reason="length"))

    response = await anthropic_model.request(HISTORY)

    assert response.finish_reason == "length"  # the wire said max_tokens


async def test_429_carries_retry_after(
    model_server: ModelServer, anthropic_model: AnthropicModel
) -> None:
    model_server.enqueue(Fault.status(429, retry_after=1.5, message="rate limited"))

    with pytest.raises(ModelHTTPError) as caught:
        await anthropic_model.request(HISTORY)

    assert caught.value.status_code == 429
    assert caught.value.retry_after == 1.5
    assert caught.value.model == "anthropic:claude-test"
    assert str(caught.value) == "anthropic:claude-test: HTTP 429: rate limited"
    assert len(model_server.requests) == 1  # SDK retries are off


@pytest.mark.parametrize("status", [500, 529])
async def test_server_errors_are_model_errors(
    model_server: ModelServer, anthropic_model: AnthropicModel, status: int
) -> None:
    model_server.enqueue(Fault.status(status))

    with pytest.raises(ModelError) as caught:
        await anthropic_model.request(HISTORY)

    assert isinstance(caught.value, ModelHTTPError)
    assert caught.value.status_code == status
    assert caught.value.retry_after is None
    assert len(model_server.requests) == 1


async def test_hang_past_timeout_raises_model_timeout_quickly(
    model_server: ModelServer, anthropic_model: AnthropicModel
) -> None:
    model_server.enqueue(Fault.hang(10))

    started = time.monotonic()
    with pytest.raises(ModelTimeout):
        await anthropic_model.request(HISTORY, settings=ModelSettings(timeout_s=0.3))

    assert time.monotonic() - started < 2


async def test_malformed_json_is_a_model_error(
    model_server: ModelServer, anthropic_model: AnthropicModel
) -> None:
    model_server.enqueue(Fault.malformed_json())

    with pytest.raises(ModelError, match="unusable answer") as caught:
        await anthropic_model.request(HISTORY)

    assert not isinstance(caught.value, ModelHTTPError)


@pytest.mark.parametrize(
    "fault",
    [
        Fault.raw({"type": "message", "content": "not blocks"}),
        Fault.raw({"type": "message", "content": []}),  # no usage
    ],
)
async def test_wrong_shaped_answers_are_model_errors(
    model_server: ModelServer, anthropic_model: AnthropicModel, fault: Fault
) -> None:
    model_server.enqueue(fault)

    with pytest.raises(ModelError, match="unusable answer") as caught:
        await anthropic_model.request(HISTORY)

    assert type(caught.value) is ModelError


async def test_non_object_tool_input_is_kept_raw(
    model_server: ModelServer, anthropic_model: AnthropicModel
) -> None:
    model_server.enqueue(
        Reply(tool_calls=[ToolCall(id="t1", name="lookup_balance", arguments="A-17")])
    )

    response = await anthropic_model.request(HISTORY, tools=[LOOKUP])

    assert response.tool_calls == [
        ToolCallPart(id="t1", name="lookup_balance", arguments={"_raw": "A-17"})
    ]


async def test_environment_base_url_is_honoured(
    model_server: ModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", model_server.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env")

    async with AnthropicModel("claude-test") as model:
        response = await model.request([UserMessage(text="ping")])

    assert response.text == "ping"
    assert model_server.request_log[0].headers["authorization"] == "Bearer sk-ant-env"


async def test_remote_requests_are_refused_when_disabled() -> None:
    model = AnthropicModel("claude-haiku-4-5", api_key="sk-ant-test")

    with pytest.raises(ModelRequestsDisabled, match=r"api\.anthropic\.com"):
        await model.request(HISTORY)

    assert model._clients.current is None  # no client was even built, so nothing was sent


@pytest.mark.parametrize("config_dir_set", [False, True])
async def test_missing_credentials_are_a_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, config_dir_set: bool
) -> None:
    monkeypatch.setattr(frontdesk.models, "ALLOW_MODEL_REQUESTS", True)
    for name in ("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_PROFILE", "ANTHROPIC_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no credential files on disk
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    if config_dir_set:  # the SDK insists on a profile in an explicitly named config dir
        monkeypatch.setenv("ANTHROPIC_CONFIG_DIR", str(tmp_path / "anthropic"))
    else:
        monkeypatch.delenv("ANTHROPIC_CONFIG_DIR", raising=False)
    sent: list[str] = []

    async def send(self: httpx2.AsyncClient, request: httpx2.Request, **kwargs: Any) -> Any:
        sent.append(str(request.url))
        raise AssertionError("no request should be sent without credentials")

    monkeypatch.setattr(httpx2.AsyncClient, "send", send)

    async with AnthropicModel("claude-haiku-4-5") as model:
        with pytest.raises(ConfigError, match="set ANTHROPIC_API_KEY"):
            await model.request(HISTORY)
    assert sent == []
