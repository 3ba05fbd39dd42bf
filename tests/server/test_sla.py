"""The server's periodic SLA sweep: an overdue ticket is requeued with a higher priority, the
queue streams hear of it, and its user is told (the clock is moved 10 hours ahead for the
sweep, not for the rest of the server)."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from frontdesk.server import ServerOptions
from frontdesk.store import Escalation

from .harness import LiveServer, seed_router_cache, sse_events


async def test_an_overdue_ticket_is_requeued_and_announced(
    tmp_path: Path, router_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_router_cache(router_cache, tmp_path)
    live = LiveServer(tmp_path, options=ServerOptions(sweep_interval_s=0.2))
    sweep = live.app.sweep_sla
    swept: list[Escalation] = []

    async def ten_hours_later(now: float | None = None) -> list[Escalation]:
        tickets = await sweep(time.time() + 10 * 3600)
        swept.extend(tickets)
        return tickets

    monkeypatch.setattr(live.app, "sweep_sla", ten_hours_later)
    live.start()
    try:
        conversation = f"sla-{uuid.uuid4().hex[:8]}"
        async with (
            live.client(live.key("client")) as user,
            live.client(live.key("operator")) as ops,
        ):
            queue = sse_events(ops, "/v1/escalations/stream")
            assert (await anext(queue))[0] == "ready"
            first = (
                await user.post(
                    f"/v1/conversations/{conversation}/messages",
                    json={"text": "I want to talk to a real person"},
                )
            ).json()
            updates: list[dict[str, Any]] = []
            while not updates:
                name, event = await asyncio.wait_for(anext(queue), 10)
                if name == "ticket.updated" and event["ticket"]["id"] == first["escalation_id"]:
                    updates.append(event["ticket"])
            await queue.aclose()
            history = (await user.get(f"/v1/conversations/{conversation}")).json()
        created = next(t for t in swept if t.id == first["escalation_id"])
        assert updates[0]["priority"] <= created.priority < 2  # raised from 2 (person_requested)
        assert updates[0]["status"] == "open"
        notices = [m for m in history["messages"] if m["meta"].get("event") == "sla_requeued"]
        assert notices
        assert notices[0]["role"] == "assistant"
    finally:
        live.stop()
