"""50 operators race, over concurrent HTTP requests, to claim 20 tickets: each ticket is claimed
exactly once, every loser gets 409, nothing fails (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter

import httpx

from .harness import LiveServer

OPERATORS = 50
TICKETS = 20


async def test_fifty_operators_claim_twenty_tickets_each_exactly_once(
    any_server: LiveServer,
) -> None:
    server = any_server
    run = uuid.uuid4().hex[:6]
    async with server.client(server.key("client")) as user:
        replies = await asyncio.gather(
            *(
                user.post(
                    f"/v1/conversations/race-{run}-{i}/messages",
                    json={"text": "I want to talk to a real person"},
                )
                for i in range(TICKETS)
            )
        )
    tickets = [r.json()["escalation_id"] for r in replies]
    assert all(r.status_code == 200 for r in replies)
    assert len(set(tickets)) == TICKETS

    keys = [server.key("operator", name=f"op{i}") for i in range(OPERATORS)]
    limits = httpx.Limits(max_connections=OPERATORS * 2)
    clients = [server.client(k, limits=limits) for k in keys]
    ids = {k: (await c.get("/v1/me")).json()["id"] for k, c in zip(keys, clients, strict=True)}
    shuffled = random.Random(7)

    async def claim_all(http: httpx.AsyncClient) -> list[tuple[str, int, str | None]]:
        order = list(tickets)
        shuffled.shuffle(order)
        results = await asyncio.gather(*(http.post(f"/v1/escalations/{t}/claim") for t in order))
        return [
            (t, r.status_code, r.json().get("claimed_by"))
            for t, r in zip(order, results, strict=True)
        ]

    try:
        outcomes = await asyncio.gather(*(claim_all(c) for c in clients))
    finally:
        for c in clients:
            await c.aclose()

    statuses = Counter(status for per_operator in outcomes for _, status, _ in per_operator)
    assert statuses == {200: TICKETS, 409: TICKETS * (OPERATORS - 1)}, statuses
    winners = {
        ticket: (key, claimed_by)
        for key, per_operator in zip(keys, outcomes, strict=True)
        for ticket, status, claimed_by in per_operator
        if status == 200
    }
    assert set(winners) == set(tickets)  # every ticket won exactly once (20 wins, 20 tickets)
    async with server.client(keys[0]) as op:
        for ticket, (key, claimed_by) in winners.items():
            assert claimed_by == ids[key]
            stored = (await op.get(f"/v1/escalations/{ticket}")).json()
            assert stored["status"] == "claimed"
            assert stored["claimed_by"] == ids[key]
