"""Graceful shutdown over real HTTP: a turn in flight when the server is told to stop still
completes and is answered; event streams end; then the App is closed."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from frontdesk.server import ServerOptions

from .harness import LiveServer, seed_router_cache, sse_events


async def test_a_turn_in_flight_at_shutdown_is_finished_and_answered(
    tmp_path: Path, router_cache: Path
) -> None:
    seed_router_cache(router_cache, tmp_path)
    live = LiveServer(tmp_path, options=ServerOptions(sweep_interval_s=0)).start()
    try:
        user, operator = live.key("client"), live.key("operator")
        # hold the conversation's lease, so the next message waits for it: a turn in flight
        lease = live.call(live.app.store.acquire_lease("drain-1", "test", ttl_s=30))
        assert lease is not None
        async with live.client(user) as http, live.client(operator) as ops:
            stream = sse_events(ops, "/v1/escalations/stream")
            assert (await anext(stream))[0] == "ready"
            turn = asyncio.ensure_future(
                http.post(
                    "/v1/conversations/drain-1/messages", json={"text": "I was charged twice"}
                )
            )
            await asyncio.sleep(0.5)
            assert not turn.done()
            live.server.handle_exit(signal.SIGTERM, None)  # what SIGTERM does
            assert [e async for e in stream] == []  # the stream ends at once
            assert live.state.draining.is_set()  # /readyz says 503 to whoever still asks
            live.call(live.app.store.release_lease(lease))
            reply = await turn
        assert reply.status_code == 200, reply.text
        assert reply.json()["agent"] == "billing"
        live.thread.join(30)
        assert not live.thread.is_alive()
    finally:
        live.stop()
