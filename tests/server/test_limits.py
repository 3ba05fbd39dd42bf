"""Per-key rate limits (in-process, and in Redis shared by two replicas) and live events shared
by two replicas through Redis pub/sub, over real HTTP."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from frontdesk.server import ServerOptions

from .harness import LiveServer, seed_router_cache, sse_events

REDIS_URL = os.environ.get("FRONTDESK_TEST_REDIS_URL", "")


def _redis_url() -> str:
    if not REDIS_URL:
        if os.environ.get("CI"):
            pytest.fail("CI requires Redis: set FRONTDESK_TEST_REDIS_URL")
        pytest.skip("Redis not configured: set FRONTDESK_TEST_REDIS_URL to run these")
    return REDIS_URL


def _start(
    data_dir: Path, cache: Path, overrides: dict[str, Any] | None = None, **options: Any
) -> LiveServer:
    data_dir.mkdir(parents=True, exist_ok=True)
    seed_router_cache(cache, data_dir)
    return LiveServer(
        data_dir, options=ServerOptions(sweep_interval_s=0, **options), overrides=overrides
    ).start()


@pytest.fixture
def limited(tmp_path: Path, router_cache: Path) -> Iterator[LiveServer]:
    live = _start(
        tmp_path / "limited", router_cache, {"lease_wait_s": 0.3}, rate_per_s=0.5, rate_burst=3
    )
    yield live
    live.stop()


async def test_a_key_past_its_burst_gets_429_with_retry_after(limited: LiveServer) -> None:
    key, other = limited.key("client"), limited.key("client")
    async with limited.client(key) as http, limited.client(other) as http2:
        statuses = [(await http.get("/v1/me")).status_code for _ in range(3)]
        refused = await http.get("/v1/me")
        assert statuses == [200, 200, 200]
        assert refused.status_code == 429
        assert refused.json()["error"]["type"] == "rate_limited"
        assert "0.5 requests/s (burst 3)" in refused.json()["error"]["message"]
        assert 1 <= int(refused.headers["retry-after"]) <= 2
        # the limit is per key: another key is unaffected
        assert (await http2.get("/v1/me")).status_code == 200


async def test_a_busy_conversation_is_409_as_json_and_as_an_sse_error(
    limited: LiveServer,
) -> None:
    lease = limited.call(limited.app.store.acquire_lease("busy-1", "test", ttl_s=30))
    assert lease is not None
    async with limited.client(limited.key("client")) as http:
        refused = await http.post("/v1/conversations/busy-1/messages", json={"text": "hello"})
        events = [
            e
            async for e in sse_events(
                http, "/v1/conversations/busy-1/messages", method="POST", json={"text": "hello"}
            )
        ]
    assert refused.status_code == 409
    assert refused.json()["error"]["type"] == "conversation_busy"
    assert [name for name, _ in events] == ["error"]
    assert events[0][1]["status"] == 409
    assert events[0][1]["error"]["type"] == "conversation_busy"
    limited.call(limited.app.store.release_lease(lease))


@pytest.fixture
def replicas(tmp_path: Path, router_cache: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    url = _redis_url()
    data = tmp_path / "shared"
    first = _start(data, router_cache, rate_per_s=0.5, rate_burst=4, redis_url=url)
    try:
        second = LiveServer(
            data, options=ServerOptions(sweep_interval_s=0, rate_per_s=0.5, rate_burst=4,
                                        redis_url=url)
        ).start()  # fmt: skip
    except BaseException:
        first.stop()
        raise
    yield first, second
    second.stop()
    first.stop()


async def test_two_replicas_share_rate_limits_and_live_events_through_redis(
    replicas: tuple[LiveServer, LiveServer],
) -> None:
    a, b = replicas
    key = a.key("admin")
    async with a.client(key) as on_a, b.client(key) as on_b:
        # one bucket of 4 for the key, whichever replica answers
        statuses = [(await (on_a if i % 2 else on_b).get("/v1/me")).status_code for i in range(5)]
        assert statuses == [200, 200, 200, 200, 429]

    # a ticket created through replica A shows up on replica B's queue stream
    conversation = f"replica-{uuid.uuid4().hex[:8]}"
    operator, client = b.key("operator"), a.key("client")
    async with b.client(operator) as ops, a.client(client) as user:
        events = sse_events(ops, "/v1/escalations/stream")
        assert (await anext(events))[0] == "ready"
        reply = await user.post(
            f"/v1/conversations/{conversation}/messages",
            json={"text": "I want to talk to a real person"},
        )
        assert reply.status_code == 200, reply.text
        name, event = await asyncio.wait_for(anext(events), 10)
        await events.aclose()
    assert name == "ticket.created"
    assert event["ticket"]["conversation_id"] == conversation
    assert event["ticket"]["id"] == reply.json()["escalation_id"]
