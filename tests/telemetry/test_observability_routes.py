"""The observability endpoints over real HTTP (uvicorn on loopback): /metrics (public),
/dashboard (public page) and /dashboard/data (operator), /v1/decisions (admin)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families

from frontdesk.server import ServerOptions, create_app
from frontdesk.server.auth import hash_key, new_key
from frontdesk.store import ApiKey
from frontdesk.telemetry import Telemetry

from .loadapp import load_app


class Served:
    """The load-test app behind `create_app`, on a free loopback port."""

    def __init__(self, data_dir: Path) -> None:
        self.app = load_app(data_dir, Telemetry())
        self.api = create_app(self.app, options=ServerOptions(
            rate_per_s=10_000, rate_burst=10_000, sweep_interval_s=0))  # fmt: skip
        config = uvicorn.Config(self.api, host="127.0.0.1", port=0, log_level="warning",
                                ws="none")  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert self.thread.is_alive(), "the server thread died"
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def key(self, role: str) -> str:
        secret = new_key()
        record = ApiKey(name=role, role=role, key_hash=hash_key(secret))  # type: ignore[arg-type]
        loop = self.api.state.frontdesk.loop
        asyncio.run_coroutine_threadsafe(self.app.store.create_api_key(record), loop).result(30)
        return secret

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    running = Served(tmp_path_factory.mktemp("observability"))
    yield running
    running.stop()


def talk(served: Served, conversation_id: str, *texts: str) -> list[dict[str, Any]]:
    key = served.key("client")
    with served.client(key) as client:
        replies = []
        for text in texts:
            response = client.post(f"/v1/conversations/{conversation_id}/messages",
                                   json={"text": text})  # fmt: skip
            assert response.status_code == 200, response.text
            replies.append(response.json())
        return replies


def test_metrics_are_public_prometheus_text_with_the_requests_made(served: Served) -> None:
    talk(served, "obs-1", "why is my bill so high", "book an appointment")
    with served.client() as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    runs = {s.labels["agent"] for s in families["frontdesk_agent_runs"].samples
            if s.name.endswith("_total")}  # fmt: skip
    assert {"router", "billing", "scheduling"} <= runs


def test_the_dashboard_page_is_public_and_its_data_needs_an_operator(served: Served) -> None:
    talk(served, "obs-2", "why is my bill so high")
    with served.client() as anonymous:
        page = anonymous.get("/dashboard")
        assert page.status_code == 200
        assert "/dashboard/data" in page.text
        assert anonymous.get("/dashboard/data").status_code == 401
    with served.client(served.key("client")) as client:
        assert client.get("/dashboard/data").status_code == 403
    with served.client(served.key("operator")) as operator:
        data = operator.get("/dashboard/data").json()
    agents = {a["agent"]: a for a in data["agents"]}
    billing = agents["billing"]
    assert billing["runs"] >= 1
    assert billing["p50_ms"] is not None
    assert billing["p95_ms"] >= (billing["p50_ms"])
    assert billing["input_tokens"] > 0
    assert billing["cost_usd"] > 0
    latest = data["recent"][0]
    assert latest["bottleneck"] in {"router", "billing"}
    assert [s["name"] for s in latest["spans"] if s["agent"]] == [
        "invoke_agent router",
        "invoke_agent billing",
    ]


def test_the_decision_log_is_for_admins_and_carries_the_reply_trace_ids(served: Served) -> None:
    replies = talk(served, "obs-3", "why is my bill so high", "hello there")
    with served.client() as anonymous:
        assert anonymous.get("/v1/decisions").status_code == 401  # the key before the query
    with served.client(served.key("operator")) as operator:
        assert operator.get("/v1/decisions", params={"conversation_id": "obs-3"}).status_code == 403
    with served.client(served.key("admin")) as admin:
        log = admin.get("/v1/decisions", params={"conversation_id": "obs-3"}).json()
        bad = admin.get("/v1/decisions", params={"conversation_id": "no spaces allowed"})
    assert [d["trace_id"] for d in log["items"]] == [r["trace_id"] for r in replies]
    assert [(d["category"], d["action"], d["reason"]) for d in log["items"]] == [
        ("billing", "answer", "confident"),
        ("billing", "clarify", "low_confidence"),
    ]
    assert log["items"][0]["router_version"] == "keyword-1"
    assert log["items"][0]["alternatives"][0] == {"category": "billing", "confidence": 0.9}
    assert bad.status_code == 422
    assert "conversation id" in bad.json()["error"]["message"]
