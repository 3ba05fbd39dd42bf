"""The cascade consults the LLM only for uncertain local decisions and records the path."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from frontdesk.errors import ModelError
from frontdesk.messages import Message
from frontdesk.models import FunctionModel, ModelResponse, ToolDefinition
from frontdesk.models.testing import text_response
from frontdesk.routing import CascadeRouter, EmbeddingRouter
from frontdesk.routing.dataset import by_label, load_jsonl

from .data import write_split

CATEGORIES = {"weather": "forecasts", "music": "playback", "timer": "timers and alarms"}


@pytest.fixture
def local(tmp_path: Path) -> EmbeddingRouter:
    train, _, _ = write_split(tmp_path)
    router = EmbeddingRouter(examples=by_label(load_jsonl(train)), threshold=0.5)
    router.train()
    return router


def llm(answer: str, calls: list[str]) -> FunctionModel:
    def respond(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
        calls.append(messages[-1].text)  # type: ignore[union-attr]
        return text_response(answer, input_tokens=50, output_tokens=8)

    return FunctionModel(respond)


async def test_confident_messages_never_reach_the_llm(local: EmbeddingRouter) -> None:
    calls: list[str] = []
    cascade = CascadeRouter(local=local, model=llm('{"category": "music"}', calls),
                            categories=CATEGORIES)  # fmt: skip
    decision = await cascade.route("will it rain tomorrow")
    assert decision.category == "weather"
    assert decision.path == "local"
    assert calls == []


async def test_uncertain_messages_are_decided_by_the_llm(local: EmbeddingRouter) -> None:
    calls: list[str] = []
    local.threshold = 0.999  # everything is uncertain locally
    cascade = CascadeRouter(
        local=local, model=llm('{"category": "timer", "confidence": 0.8}', calls),
        categories=CATEGORIES, band=(0.0, 1.0),
    )  # fmt: skip
    decision = await cascade.route("wake me at six")
    assert calls == ["wake me at six"]
    assert (decision.category, decision.action, decision.path) == ("timer", "answer", "llm")
    assert decision.confidence == 0.8
    assert decision.reason == "llm_cascade"
    assert "+cascade:function:function" in decision.router_version


@pytest.mark.parametrize("answer", ['{"category": "cooking"}', "no idea", '{"confidence": 1}'])
async def test_an_unusable_llm_answer_keeps_the_local_decision(
    local: EmbeddingRouter, answer: str
) -> None:
    local.threshold = 0.999
    cascade = CascadeRouter(local=local, model=llm(answer, []), categories=CATEGORIES,
                            band=(0.0, 1.0))  # fmt: skip
    decision = await cascade.route("wake me at six")
    assert decision.path == "local"
    assert decision.action == "clarify"


async def test_a_failing_llm_keeps_the_local_decision(local: EmbeddingRouter) -> None:
    def broken(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
        raise ModelError("down", model="function:function", status_code=503)

    local.threshold = 0.999
    cascade = CascadeRouter(local=local, model=FunctionModel(broken), categories=CATEGORIES,
                            band=(0.0, 1.0))  # fmt: skip
    decision = await cascade.route("wake me at six")
    assert decision.path == "local"
    assert decision.notes == ["cascade skipped: ModelError"]
