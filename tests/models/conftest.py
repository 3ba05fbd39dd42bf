"""Fixtures for the model tests: a local model server and adapters pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from frontdesk.models.anthropic import AnthropicModel
from frontdesk.models.openai import OpenAIModel
from frontdesk.testing import ModelServer


@pytest.fixture
def model_server() -> Iterator[ModelServer]:
    with ModelServer() as server:
        yield server
        assert server.errors == []


@pytest.fixture
async def openai_model(model_server: ModelServer) -> AsyncIterator[OpenAIModel]:
    async with OpenAIModel("test-model", base_url=model_server.base_url) as model:
        yield model


@pytest.fixture
async def anthropic_model(model_server: ModelServer) -> AsyncIterator[AnthropicModel]:
    async with AnthropicModel("claude-test", base_url=model_server.url) as model:
        yield model
