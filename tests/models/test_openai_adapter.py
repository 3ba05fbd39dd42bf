"""The OpenAI-compatible adapter over real HTTP against the local ModelServer."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

import frontdesk.models
from frontdesk.errors import ConfigError, ModelError
from frontdesk.messages import (
    AssistantMessage,
    SystemMessage,
    TextPart,
    ToolCallPart,
    ToolReturn,
    Usage,
    UserMessage,
)
from frontdesk.models._remote import (
    ModelConnectionError,
    ModelHTTPError,
    ModelTimeout,
    parse_retry_after,
)
from frontdesk.models.base import ModelSettings, ToolDefinition
from frontdesk.models.openai import OpenAIModel
from frontdesk.testing import Fault, ModelServer, Reply, ToolCall

WEATHER = ToolDefinition(
    name="get_weather",
    description="Current weather in a city.",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
)
HISTORY = [SystemMessage(text="You are terse."), UserMessage(text="What is the weather in Oslo?")]


async def test_text_reply_with_usage(model_server: ModelServer, openai_model: OpenAIModel) -> None:
    model_server.enqueue(Reply(text="Cold.", input_tokens=21, output_tokens=2, cached_tokens=8))

    response = await openai_model.request(HISTORY)

    assert response.parts == [TextPart(text="Cold.")]
    assert response.usage == Usage(
        input_tokens=21, output_tokens=2, cached_input_tokens=8, requests=1
    )
    assert response.model == "test-model"
    assert response.finish_reason == "stop"
    (body,) = model_server.requests
    assert body == {
        "model": "test-model",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "What is the weather in Oslo?"},
        ],
        "max_tokens": 1024,  # a non-OpenAI base URL gets the universally supported field
    }
    (logged,) = model_server.request_log
    assert logged.path == "/v1/chat/completions"
    assert logged.headers["authorization"] == "Bearer not-needed"  # keyless local server


async def test_settings_are_sent(model_server: ModelServer) -> None:
    settings = ModelSettings(max_output_tokens=50, temperature=0.2, timeout_s=5)
    async with OpenAIModel(
        "test-model", base_url=model_server.base_url, max_tokens_field="max_completion_tokens"
    ) as model:
        await model.request(HISTORY, settings=settings)

    (body,) = model_server.requests
    assert body["max_completion_tokens"] == 50
    assert "max_tokens" not in body
    assert body["temperature"] == 0.2


def test_max_tokens_field_defaults_by_server() -> None:
    assert OpenAIModel("gpt-4o-mini", api_key="sk-x").max_tokens_field == "max_completion_tokens"
    local = OpenAIModel("llama3", base_url="http://localhost:11434/v1")
    assert local.max_tokens_field == "max_tokens"


async def test_tool_call_round_trip(model_server: ModelServer, openai_model: OpenAIModel) -> None:
    model_server.enqueue(
        Reply(tool_calls=[ToolCall(id="call_w1", name="get_weather", arguments={"city": "Oslo"})]),
        Reply(text="It is -3 °C in Oslo.", input_tokens=40, output_tokens=9),
    )

    first = await openai_model.request(HISTORY, tools=[WEATHER])

    assert first.parts == [
        ToolCallPart(id="call_w1", name="get_weather", arguments={"city": "Oslo"})
    ]
    assert first.finish_reason == "tool_calls"
    history = [
        *HISTORY,
        AssistantMessage(parts=first.parts),
        ToolReturn(call_id="call_w1", name="get_weather", content='{"temp_c": -3}'),
    ]
    second = await openai_model.request(history, tools=[WEATHER])

    assert second.text == "It is -3 °C in Oslo."
    assert second.usage.input_tokens == 40
    sent_tools, followup = model_server.requests
    assert sent_tools["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather in a city.",
                "parameters": WEATHER.parameters,
            },
        }
    ]
    assert followup["messages"][2:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_w1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_w1", "content": '{"temp_c": -3}'},
    ]


async def test_bad_tool_arguments_are_kept_raw(
    model_server: ModelServer, openai_model: OpenAIModel
) -> None:
    model_server.enqueue(
        Reply(tool_calls=[ToolCall(id="c1", name="get_weather", arguments='{"city": "Osl')]),
        Reply(tool_calls=[ToolCall(id="c2", name="get_weather", arguments="[1, 2]")]),
    )

    broken = await openai_model.request(HISTORY, tools=[WEATHER])
    not_object = await openai_model.request(HISTORY, tools=[WEATHER])

    assert broken.tool_calls[0].arguments == {"_raw": '{"city": "Osl'}
    assert not_object.tool_calls[0].arguments == {"_raw": "[1, 2]"}
    # sent back exactly as the model produced them
    await openai_model.request([*HISTORY, AssistantMessage(parts=broken.parts)])
    assert model_server.requests[-1]["messages"][-1]["tool_calls"][0]["function"] == {
        "name": "get_weather",
        "arguments": '{"city": "Osl',
    }


async def test_429_carries_retry_after(
    model_server: ModelServer, openai_model: OpenAIModel
) -> None:
    model_server.enqueue(Fault.status(429, retry_after=1.5, message="slow down"))

    with pytest.raises(ModelHTTPError) as caught:
        await openai_model.request(HISTORY)

    assert caught.value.status_code == 429
    assert caught.value.retry_after == 1.5
    assert caught.value.model == "openai:test-model"
    assert "slow down" in str(caught.value)
    assert len(model_server.requests) == 1  # SDK retries are off: one retry layer only


async def test_500_is_a_model_error(model_server: ModelServer, openai_model: OpenAIModel) -> None:
    model_server.enqueue(Fault.status(500))

    with pytest.raises(ModelError) as caught:
        await openai_model.request(HISTORY)

    assert isinstance(caught.value, ModelHTTPError)
    assert caught.value.status_code == 500
    assert caught.value.retry_after is None
    assert len(model_server.requests) == 1


async def test_401_says_which_key(model_server: ModelServer, openai_model: OpenAIModel) -> None:
    model_server.enqueue(Fault.status(401, message="invalid key"))

    with pytest.raises(ModelHTTPError, match="check OPENAI_API_KEY"):
        await openai_model.request(HISTORY)


async def test_hang_past_timeout_raises_model_timeout_quickly(
    model_server: ModelServer, openai_model: OpenAIModel
) -> None:
    model_server.enqueue(Fault.hang(10))

    started = time.monotonic()
    with pytest.raises(ModelTimeout) as caught:
        await openai_model.request(HISTORY, settings=ModelSettings(timeout_s=0.3))

    assert time.monotonic() - started < 2
    assert caught.value.timeout_s == 0.3
    assert caught.value.status_code is None


async def test_malformed_json_is_a_model_error(
    model_server: ModelServer, openai_model: OpenAIModel
) -> None:
    model_server.enqueue(Fault.malformed_json())

    with pytest.raises(ModelError, match="unusable answer") as caught:
        await openai_model.request(HISTORY)

    assert not isinstance(caught.value, ModelHTTPError)


@pytest.mark.parametrize(
    "fault",
    [
        Fault.raw({"id": "x", "object": "chat.completion"}),  # no choices
        Fault.raw({"choices": [{"index": 0}]}),  # a choice without a message
        Fault.raw(b"<html>ok</html>", content_type="text/html"),
    ],
)
async def test_wrong_shaped_answers_are_model_errors(
    model_server: ModelServer, openai_model: OpenAIModel, fault: Fault
) -> None:
    model_server.enqueue(fault)

    with pytest.raises(ModelError) as caught:
        await openai_model.request(HISTORY)

    assert type(caught.value) is ModelError
    assert "openai:test-model" in str(caught.value)


async def test_a_proxy_error_page_is_an_http_error(
    model_server: ModelServer, openai_model: OpenAIModel
) -> None:
    page = b"<html><body>" + b"Bad gateway " * 100 + b"</body></html>"
    model_server.enqueue(Fault.raw(page, status_code=502, content_type="text/html"))

    with pytest.raises(ModelHTTPError) as caught:
        await openai_model.request(HISTORY)

    assert caught.value.status_code == 502
    assert len(str(caught.value)) < 400  # the page is cut short in the message


async def test_unreachable_server_is_a_connection_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with OpenAIModel("test-model", base_url=f"http://127.0.0.1:{port}/v1") as model:
        with pytest.raises(ModelConnectionError, match="cannot reach"):
            await model.request(HISTORY)


async def test_streaming_assembles_text_tool_calls_and_usage(model_server: ModelServer) -> None:
    model_server.enqueue(
        Reply(
            text="Checking the weather now.",
            tool_calls=[ToolCall(id="call_s", name="get_weather", arguments={"city": "Oslo"})],
            input_tokens=33,
            output_tokens=12,
            cached_tokens=4,
        )
    )
    async with OpenAIModel("test-model", base_url=model_server.base_url, stream=True) as model:
        response = await model.request(HISTORY, tools=[WEATHER])

    assert response.parts == [
        TextPart(text="Checking the weather now."),
        ToolCallPart(id="call_s", name="get_weather", arguments={"city": "Oslo"}),
    ]
    assert response.usage == Usage(
        input_tokens=33, output_tokens=12, cached_input_tokens=4, requests=1
    )
    assert response.finish_reason == "tool_calls"
    (body,) = model_server.requests
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


async def test_slow_stream_is_bounded_by_the_whole_request_timeout(
    model_server: ModelServer,
) -> None:
    # each chunk arrives well within any read timeout, but the whole answer takes ~1.2 s
    model_server.enqueue(Fault.slow_stream(0.2, reply=Reply(text="one two three four")))
    async with OpenAIModel("test-model", base_url=model_server.base_url, stream=True) as model:
        started = time.monotonic()
        with pytest.raises(ModelTimeout):
            await model.request(HISTORY, settings=ModelSettings(timeout_s=0.5))
        assert time.monotonic() - started < 1.5

        model_server.enqueue(Fault.slow_stream(0.01, reply=Reply(text="one two three four")))
        response = await model.request(HISTORY, settings=ModelSettings(timeout_s=5))
    assert response.text == "one two three four"


async def test_slow_non_streamed_body_times_out(
    model_server: ModelServer, openai_model: OpenAIModel
) -> None:
    model_server.enqueue(Fault.slow_stream(0.3))

    with pytest.raises(ModelTimeout):
        await openai_model.request(HISTORY, settings=ModelSettings(timeout_s=0.5))


async def test_environment_base_url_and_key_are_honoured(
    model_server: ModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", model_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")

    async with OpenAIModel("test-model") as model:
        response = await model.request([UserMessage(text="ping")])

    assert response.text == "ping"
    assert model.base_url == model_server.base_url
    assert model_server.request_log[0].headers["authorization"] == "Bearer sk-from-env"


async def test_missing_key_for_a_remote_server_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(frontdesk.models, "ALLOW_MODEL_REQUESTS", True)  # read at call time
    model = OpenAIModel("gpt-4o-mini")

    with pytest.raises(ConfigError, match="set OPENAI_API_KEY"):
        await model.request(HISTORY)


async def test_a_given_client_is_used_and_left_open(model_server: ModelServer) -> None:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(api_key="sk-given", base_url=model_server.base_url, max_retries=0)
    model = OpenAIModel("test-model", client=client)
    await model.aclose()  # not ours to close

    response = await model.request([UserMessage(text="still open")])

    assert response.text == "still open"
    assert model_server.request_log[0].headers["authorization"] == "Bearer sk-given"
    await client.close()


def test_a_new_event_loop_gets_a_new_client(model_server: ModelServer) -> None:
    # a sync facade may run each call in its own loop; pooled connections cannot follow
    model = OpenAIModel("test-model", base_url=model_server.base_url)
    first_loop, second_loop = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        first = first_loop.run_until_complete(model.request([UserMessage(text="one")]))
        first_client = model._clients.current
        second = second_loop.run_until_complete(model.request([UserMessage(text="two")]))
        second_client = model._clients.current

        assert (first.text, second.text) == ("one", "two")
        assert first_client is not None
        assert second_client is not first_client
        first_loop.run_until_complete(first_client.close())
        second_loop.run_until_complete(model.aclose())
        assert model._clients.current is None
    finally:
        first_loop.close()
        second_loop.close()


def test_parse_retry_after() -> None:
    assert parse_retry_after({"Retry-After": "1.5"}) == 1.5
    assert parse_retry_after({"retry-after": "7"}) == 7.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"}, now=1445412500) == 10
    assert parse_retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"}, now=1445412600) == 0
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({}) is None
    assert parse_retry_after(None) is None
