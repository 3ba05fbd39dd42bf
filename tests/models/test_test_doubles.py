"""The test doubles: ScriptedModel, FunctionModel, and the ModelServer itself."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from openai import AsyncOpenAI

from frontdesk.errors import ModelError
from frontdesk.messages import Message, TextPart, ToolCallPart, Usage, UserMessage
from frontdesk.models import FunctionModel, ModelResponse, ScriptedModel, ToolDefinition
from frontdesk.models.openai import OpenAIModel
from frontdesk.models.testing import text_response, tool_call_response
from frontdesk.testing import Fault, ModelServer, Reply, last_user_text

HELLO = [UserMessage(text="hello")]
TOOL = ToolDefinition(
    name="lookup", description="Look something up.", parameters={"type": "object"}
)


# --- ScriptedModel -------------------------------------------------------------------------------


async def test_scripted_model_replays_steps_and_records_calls() -> None:
    model = ScriptedModel(
        steps=[
            tool_call_response("lookup", {"q": "x"}, call_id="c1", input_tokens=7, output_tokens=2),
            text_response("done", input_tokens=9, output_tokens=1),
        ]
    )

    first = await model.request(HELLO, tools=[TOOL])
    second = await model.request([*HELLO, UserMessage(text="again")])

    assert first.parts == [ToolCallPart(id="c1", name="lookup", arguments={"q": "x"})]
    assert first.finish_reason == "tool_calls"
    assert first.usage == Usage(input_tokens=7, output_tokens=2, requests=1)
    assert second.text == "done"
    assert second.model == "scripted"
    assert [len(c.messages) for c in model.calls] == [1, 2]
    assert model.calls[0].tools == [TOOL]
    assert model.calls[1].tools == []
    model.assert_complete()


async def test_scripted_model_assert_complete_reports_unused_steps() -> None:
    model = ScriptedModel(steps=[text_response("a"), text_response("b")])
    await model.request(HELLO)

    with pytest.raises(AssertionError, match="used 1 of 2 scripted steps"):
        model.assert_complete()


async def test_scripted_model_running_out_is_an_assertion() -> None:
    model = ScriptedModel(steps=[text_response("only")])
    await model.request(HELLO)

    with pytest.raises(AssertionError, match="ran out of steps: request 2 but only 1 scripted"):
        await model.request(HELLO)


async def test_scripted_model_repeat_last_loops_forever() -> None:
    stuck = tool_call_response("lookup", {"q": "again"})
    model = ScriptedModel(steps=[text_response("thinking"), stuck], repeat_last=True)

    answers = [await model.request(HELLO) for _ in range(5)]

    assert answers[0].text == "thinking"
    assert all(a.tool_calls == stuck.tool_calls for a in answers[1:])
    assert len(model.calls) == 5
    model.assert_complete()


async def test_scripted_model_repeat_last_needs_a_step() -> None:
    with pytest.raises(AssertionError, match="ran out of steps"):
        await ScriptedModel(steps=[], repeat_last=True).request(HELLO)


# --- FunctionModel -------------------------------------------------------------------------------


async def test_function_model_sync_function_sees_messages_and_tools() -> None:
    seen: list[tuple[int, list[str]]] = []

    def answer(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
        seen.append((len(messages), [t.name for t in tools]))
        return text_response(f"{len(messages)} message(s)", input_tokens=3, output_tokens=2)

    model = FunctionModel(answer)
    response = await model.request(HELLO, tools=[TOOL])

    assert response.text == "1 message(s)"
    assert response.model == "function"  # filled in when the function leaves it empty
    assert response.usage.input_tokens == 3
    assert seen == [(1, ["lookup"])]
    assert model.id == "function:function"


async def test_function_model_async_function_and_name() -> None:
    async def answer(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
        await asyncio.sleep(0)
        return ModelResponse(parts=[TextPart(text="async")], model="custom-model")

    model = FunctionModel(answer, model_name="router-double")
    response = await model.request(HELLO)

    assert response.text == "async"
    assert response.model == "custom-model"
    assert model.id == "function:router-double"


# --- ModelServer ---------------------------------------------------------------------------------


async def test_server_lists_models_for_both_sdks() -> None:
    from anthropic import AsyncAnthropic

    with ModelServer(models=["alpha", "beta"]) as server:
        openai_client = AsyncOpenAI(api_key="k", base_url=server.base_url, max_retries=0)
        anthropic_client = AsyncAnthropic(api_key="k", base_url=server.url, max_retries=0)
        openai_ids = [m.id async for m in openai_client.models.list()]
        anthropic_ids = [m.id async for m in anthropic_client.models.list()]
        await openai_client.close()
        await anthropic_client.close()

    assert openai_ids == ["alpha", "beta"]
    assert anthropic_ids == ["alpha", "beta"]


async def test_server_default_and_custom_responders(
    model_server: ModelServer, openai_model: OpenAIModel
) -> None:
    echoed = await openai_model.request([UserMessage(text="echo me please")])
    assert echoed.text == "echo me please"
    assert echoed.usage == Usage(input_tokens=3, output_tokens=3, requests=1)  # words

    def shout(body: dict[str, Any]) -> Reply:
        return Reply(text=last_user_text(body).upper(), model="shouty-1")

    model_server.responder = shout
    model_server.enqueue(Reply(text="queued first"))
    queued = await openai_model.request(HELLO)
    shouted = await openai_model.request(HELLO)

    assert queued.text == "queued first"
    assert (shouted.text, shouted.model) == ("HELLO", "shouty-1")
    assert model_server.pending == 0
    assert len(model_server.requests) == 3


async def test_a_failing_responder_answers_500(
    model_server: ModelServer, openai_model: OpenAIModel
) -> None:
    def broken(body: dict[str, Any]) -> Reply:
        raise KeyError("oops")

    model_server.responder = broken
    with pytest.raises(ModelError) as caught:
        await openai_model.request(HELLO)

    assert caught.value.status_code == 500
    assert model_server.errors == ["responder failed: KeyError('oops')"]
    model_server.errors.clear()  # the fixture asserts no unexpected server errors


async def test_server_rejects_bad_requests(model_server: ModelServer) -> None:
    async with httpx.AsyncClient(base_url=model_server.url) as client:
        not_found = await client.post("/v1/embeddings", json={})
        not_json = await client.post("/v1/chat/completions", content=b"{nope")
        anthropic_stream = await client.post("/v1/messages", json={"messages": [], "stream": True})

    assert not_found.status_code == 404
    assert not_json.status_code == 400
    assert not_json.json()["error"]["message"] == "the request body is not a JSON object"
    assert anthropic_stream.status_code == 400
    assert anthropic_stream.json()["type"] == "error"
    assert [r.path for r in model_server.request_log] == [
        "/v1/embeddings",
        "/v1/chat/completions",
        "/v1/messages",
    ]


async def test_server_streams_sse_chunks_with_a_final_usage_chunk(
    model_server: ModelServer,
) -> None:
    model_server.enqueue(Reply(text="a b", input_tokens=5, output_tokens=2))
    body = {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    async with httpx.AsyncClient(base_url=model_server.base_url) as client:
        response = await client.post("/chat/completions", json=body)

    assert response.headers["content-type"] == "text/event-stream"
    lines = [line for line in response.text.split("\n\n") if line]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks[:-1]) == "a b"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["prompt_tokens"] == 5
    assert chunks[-1]["usage"]["completion_tokens"] == 2


async def test_close_cuts_a_hang_short() -> None:
    server = ModelServer().start()
    server.enqueue(Fault.hang(30))
    model = OpenAIModel("test-model", base_url=server.base_url)
    request = asyncio.create_task(model.request(HELLO))
    for _ in range(500):  # until the server holds the request
        if server.requests:
            break
        await asyncio.sleep(0.01)

    started = time.monotonic()
    await asyncio.to_thread(server.close)
    closed_in = time.monotonic() - started

    with pytest.raises(ModelError):
        await request
    await model.aclose()
    assert closed_in < 1
    assert server.errors == []
