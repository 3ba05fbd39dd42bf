"""`provider:model` ids, and the `ALLOW_MODEL_REQUESTS` guard that keeps the suite offline."""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx2
import pytest
from openai import AsyncOpenAI

import frontdesk.models
from frontdesk.errors import ConfigError, ModelRequestsDisabled
from frontdesk.messages import UserMessage
from frontdesk.models import ScriptedModel, resolve_model
from frontdesk.models._remote import is_local_server, is_loopback
from frontdesk.models.anthropic import AnthropicModel
from frontdesk.models.openai import OpenAIModel
from frontdesk.testing import ModelServer

HELLO = [UserMessage(text="hello")]


@pytest.fixture
def network_attempts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every attempt to resolve a name, open a socket connection or send over httpx2."""
    attempts: list[str] = []

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(f"getaddrinfo {host}")
        raise OSError("network disabled in this test")

    def connect(self: socket.socket, address: Any) -> None:
        attempts.append(f"connect {address}")
        raise OSError("network disabled in this test")

    async def send(self: httpx2.AsyncClient, request: httpx2.Request, **kwargs: Any) -> Any:
        attempts.append(f"send {request.url}")
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(httpx2.AsyncClient, "send", send)
    return attempts


async def test_openai_id_without_base_url_is_refused_before_any_network(
    network_attempts: list[str],
) -> None:
    model = resolve_model("openai:gpt-4o-mini")

    assert isinstance(model, OpenAIModel)
    assert model.id == "openai:gpt-4o-mini"
    assert model.base_url == "https://api.openai.com/v1"
    with pytest.raises(ModelRequestsDisabled, match="ALLOW_MODEL_REQUESTS") as caught:
        await model.request(HELLO)
    assert caught.value.model == "openai:gpt-4o-mini"
    assert network_attempts == []


async def test_refused_even_with_a_real_looking_key(
    network_attempts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-looking-key")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-live-looking-key")

    for model_id in ("openai:gpt-4o-mini", "anthropic:claude-haiku-4-5"):
        with pytest.raises(ModelRequestsDisabled):
            await resolve_model(model_id).request(HELLO)
    assert network_attempts == []


async def test_the_client_transport_is_never_called(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        completion = {
            "id": "c1",
            "object": "chat.completion",
            "created": 0,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "hi"},
                }
            ],
        }
        return httpx2.Response(
            200,
            content=json.dumps(completion).encode(),
            headers={"content-type": "application/json"},
        )

    http_client = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    client = AsyncOpenAI(api_key="sk-test", http_client=http_client, max_retries=0)
    model = OpenAIModel("gpt-4o-mini", client=client)

    with pytest.raises(ModelRequestsDisabled):
        await model.request(HELLO)
    assert sent == []

    # the same client does reach the transport once requests are allowed: the check above is real
    monkeypatch.setattr(frontdesk.models, "ALLOW_MODEL_REQUESTS", True)
    response = await model.request(HELLO)
    assert response.text == "hi"
    assert [str(r.url) for r in sent] == ["https://api.openai.com/v1/chat/completions"]
    await client.close()


async def test_loopback_servers_are_allowed_while_disabled(
    model_server: ModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert frontdesk.models.ALLOW_MODEL_REQUESTS is False
    monkeypatch.setenv("OPENAI_BASE_URL", model_server.base_url.replace("127.0.0.1", "localhost"))

    model = resolve_model("openai:test-model")
    assert isinstance(model, OpenAIModel)
    response = await model.request(HELLO)
    await model.aclose()

    assert response.text == "hello"


def test_anthropic_id_resolves() -> None:
    model = resolve_model("anthropic:claude-haiku-4-5")

    assert isinstance(model, AnthropicModel)
    assert model.id == "anthropic:claude-haiku-4-5"
    assert model.base_url == "https://api.anthropic.com"


def test_a_model_passes_through() -> None:
    model = ScriptedModel(steps=[])
    assert resolve_model(model) is model


@pytest.mark.parametrize("model_id", ["gpt-4o-mini", "openai:", ":gpt-4o-mini", ""])
def test_malformed_ids_are_config_errors(model_id: str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_model(model_id)

    message = str(caught.value)
    assert repr(model_id) in message
    assert "'provider:model'" in message or "unknown model provider" in message
    assert "openai:gpt-4o-mini" in message or "known providers" in message


def test_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_model("gemini:flash")

    assert str(caught.value) == (
        "unknown model provider 'gemini' in 'gemini:flash'; known providers: anthropic, openai"
    )


@pytest.mark.parametrize(
    ("url", "loopback", "local"),
    [
        ("http://127.0.0.1:8000/v1", True, True),
        ("http://127.5.6.7/v1", True, True),
        ("http://localhost:11434/v1", True, True),
        ("http://LOCALHOST./v1", True, True),
        ("http://[::1]:8080/v1", True, True),
        ("http://192.168.1.20:8000/v1", False, True),
        ("http://10.0.0.5/v1", False, True),
        ("http://ollama:11434/v1", False, True),
        ("http://gpu-box.internal/v1", False, True),
        ("https://api.openai.com/v1", False, False),
        ("https://127.0.0.1.nip.io/v1", False, False),
        ("https://8.8.8.8/v1", False, False),
        ("not a url", False, False),
    ],
)
def test_loopback_and_local_hosts(url: str, loopback: bool, local: bool) -> None:
    assert is_loopback(url) is loopback
    assert is_local_server(url) is local
