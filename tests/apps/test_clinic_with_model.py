"""The clinic app with FRONTDESK_MODEL set: the specialists drive the same tools through a real
provider adapter, over real HTTP, against the local OpenAI-compatible test server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdesk.apps.clinic import build_app
from frontdesk.config import load_settings
from frontdesk.testing import Fault, ModelServer, Reply, ToolCall
from priced import INPUT_USD_PER_M, OUTPUT_USD_PER_M, write_price_file


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelServer]:
    with ModelServer() as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.base_url)
        yield running


async def test_the_model_calls_a_clinic_tool_and_answers(
    server: ModelServer, tmp_path: Path
) -> None:
    server.enqueue(
        Reply(tool_calls=[ToolCall(name="list_appointments")], input_tokens=120,
              output_tokens=12),
        Reply(text="Your next visit is appointment A-102.", input_tokens=200, output_tokens=15),
    )  # fmt: skip
    app = build_app(load_settings({"data_dir": tmp_path, "model": "openai:test-model",
                                   "prices": write_price_file(tmp_path)}))  # fmt: skip
    async with app:
        reply = await app.respond("online-1", "when is my next appointment?")
    assert reply.agent == "scheduling"
    assert reply.reply == "Your next visit is appointment A-102."
    assert reply.stop_reason == "completed"
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (320, 27)
    assert reply.cost_usd == pytest.approx((320 * INPUT_USD_PER_M + 27 * OUTPUT_USD_PER_M) / 1e6)
    first, second = server.requests
    assert first["model"] == "test-model"
    offered = {t["function"]["name"] for t in first["tools"]}
    assert {"list_appointments", "book_appointment", "search_knowledge"} <= offered
    assert first["messages"][0]["role"] == "system"
    tool_result = next(m for m in second["messages"] if m["role"] == "tool")
    assert "A-102" in tool_result["content"]


async def test_a_provider_failure_is_a_truthful_reply_not_an_exception(
    server: ModelServer, tmp_path: Path
) -> None:
    server.enqueue(Fault.status(500))
    app = build_app(load_settings({"data_dir": tmp_path, "model": "openai:test-model",
                                   "prices": write_price_file(tmp_path)}))  # fmt: skip
    async with app:
        reply = await app.respond("online-2", "what are your hours on saturday?")
        history = await app.store.history("online-2")
    assert reply.agent == "general"
    assert reply.stop_reason == "provider_unavailable"
    assert "unavailable" in reply.reply
    assert [m.role for m in history] == ["user", "assistant"]
    assert reply.cost_usd == 0.0  # the provider refused: an HTTP 500 is not billed
