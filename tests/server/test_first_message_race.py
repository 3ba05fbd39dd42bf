"""Two clients post the first message to the same new conversation id at once: exactly one
owns the conversation, the other gets 404 as for any other client's conversation, and no
message of the loser lands in it (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from .harness import LiveServer

RACES = 6


async def test_two_clients_racing_for_a_new_conversation_one_owns_it(
    any_server: LiveServer,
) -> None:
    server = any_server
    run = uuid.uuid4().hex[:6]
    conversations = [f"first-{run}-{i}" for i in range(RACES)]
    async with (
        server.client(server.key("client", name="alice")) as alice,
        server.client(server.key("client", name="bob")) as bob,
    ):
        clients = {"alice": alice, "bob": bob}

        async def race(conversation: str) -> dict[str, httpx.Response]:
            path = f"/v1/conversations/{conversation}/messages"
            responses = await asyncio.gather(
                *(c.post(path, json={"text": f"what are your hours? ({name})"})
                  for name, c in clients.items())
            )  # fmt: skip
            return dict(zip(clients, responses, strict=True))

        for conversation, responses in zip(
            conversations, await asyncio.gather(*(race(c) for c in conversations)), strict=True
        ):
            statuses = {name: r.status_code for name, r in responses.items()}
            assert sorted(statuses.values()) == [200, 404], [r.text for r in responses.values()]
            (winner,) = [name for name, status in statuses.items() if status == 200]
            (loser,) = [name for name, status in statuses.items() if status == 404]
            assert responses[loser].json()["error"]["type"] == "not_found"
            history = await clients[winner].get(f"/v1/conversations/{conversation}")
            assert history.status_code == 200
            users = [m["text"] for m in history.json()["messages"] if m["role"] == "user"]
            assert users == [f"what are your hours? ({winner})"]
            refused = await clients[loser].get(f"/v1/conversations/{conversation}")
            assert refused.status_code == 404
