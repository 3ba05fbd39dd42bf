"""End to end over HTTP: a user asks for a person, an operator takes the ticket, replies (the
user sees it in the history and live over SSE), resolves and hands back to the bot, which then
answers the next message with the history intact (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from .harness import LiveServer, sse_events

PACKAGE = {"history", "classification", "confidence", "alternatives", "attempts",
           "suggested_actions"}  # fmt: skip


async def _post(http: httpx.AsyncClient, conversation: str, text: str) -> dict[str, Any]:
    response = await http.post(f"/v1/conversations/{conversation}/messages", json={"text": text})
    assert response.status_code == 200, response.text
    reply: dict[str, Any] = response.json()
    return reply


async def test_handoff_to_an_operator_and_back_to_the_bot(any_server: LiveServer) -> None:
    server = any_server
    conversation = f"handoff-{uuid.uuid4().hex[:8]}"
    user_key, operator_key, rival_key = (
        server.key("client"), server.key("operator", name="sam"), server.key("operator")
    )  # fmt: skip
    async with (
        server.client(user_key) as user,
        server.client(operator_key) as operator,
        server.client(rival_key) as rival,
    ):
        me = (await operator.get("/v1/me")).json()
        first = await _post(user, conversation, "I want to talk to a real person")
        assert first["action"] == "escalate"
        assert first["stop_reason"] == "escalated"
        ticket_id = first["escalation_id"]
        assert ticket_id

        # the ticket is in the open queue with the whole handoff package at its top level
        queue = (await operator.get("/v1/escalations", params={"status": "open"})).json()
        (ticket,) = [t for t in queue["items"] if t["id"] == ticket_id]
        assert set(ticket) >= PACKAGE
        assert ticket["status"] == "open"
        assert ticket["reason"] == "person_requested"
        assert ticket["conversation_id"] == conversation
        assert ticket["sla_deadline"] > ticket["created_at"]
        assert isinstance(ticket["priority"], int)
        assert ticket["history"][0]["text"] == "I want to talk to a real person"
        assert ticket["suggested_actions"]
        assert isinstance(ticket["alternatives"], list)
        assert "category" in ticket["classification"]

        # the user follows the conversation live from here
        seen = len((await user.get(f"/v1/conversations/{conversation}")).json()["messages"])
        stream = sse_events(user, f"/v1/conversations/{conversation}/stream?after={seen}")

        claimed = await operator.post(f"/v1/escalations/{ticket_id}/claim")
        assert claimed.status_code == 200, claimed.text
        assert claimed.json()["status"] == "claimed"
        assert claimed.json()["claimed_by"] == me["id"]
        again = await rival.post(f"/v1/escalations/{ticket_id}/claim")
        assert again.status_code == 409
        assert again.json()["error"]["type"] == "escalation_conflict"
        not_mine = await rival.post(f"/v1/escalations/{ticket_id}/reply", json={"text": "hi"})
        assert not_mine.status_code == 409

        # while the ticket is claimed, the user's messages go to the operator, not the bot
        waiting = await _post(user, conversation, "are you still there?")
        assert waiting["action"] == "escalate"
        assert waiting["escalation_id"] == ticket_id

        answer = "Hi, this is Sam from the front desk. How can I help?"
        sent = await operator.post(f"/v1/escalations/{ticket_id}/reply", json={"text": answer})
        assert sent.status_code == 200, sent.text
        assert sent.json()["role"] == "operator"

        live: list[dict[str, Any]] = []
        while not any(m["role"] == "operator" for m in live):
            name, data = await asyncio.wait_for(anext(stream), 10)
            assert name == "message"
            live.append(data)
        await stream.aclose()
        assert [m["seq"] for m in live] == sorted(m["seq"] for m in live)
        assert live[-1]["text"] == answer
        assert "are you still there?" in [m["text"] for m in live]

        history = (await user.get(f"/v1/conversations/{conversation}")).json()
        assert history["escalation"]["id"] == ticket_id
        assert answer in [m["text"] for m in history["messages"] if m["role"] == "operator"]

        resolved = await operator.post(
            f"/v1/escalations/{ticket_id}/resolve", json={"resume_bot": True}
        )
        assert resolved.status_code == 200, resolved.text
        assert resolved.json()["status"] == "resolved"
        assert resolved.json()["resume_bot"] is True
        open_now = (await operator.get("/v1/escalations", params={"status": "open"})).json()
        assert ticket_id not in [t["id"] for t in open_now["items"]]

        # back with the bot: it answers (here streamed as SSE), and the history is whole
        events = [
            e
            async for e in sse_events(
                user, f"/v1/conversations/{conversation}/messages", method="POST",
                json={"text": "what are your hours on Saturday?"},
            )
        ]  # fmt: skip
        assert [name for name, _ in events] == ["reply"]
        bot = events[0][1]
        assert bot["action"] == "answer"
        assert bot["agent"] == "general"
        assert "Saturday" in bot["reply"]
        after = (await user.get(f"/v1/conversations/{conversation}")).json()
        texts = [m["text"] for m in after["messages"]]
        assert texts[0] == "I want to talk to a real person"
        assert texts.index("are you still there?") < texts.index(answer)
        assert texts[-2:] == ["what are your hours on Saturday?", bot["reply"]]
        assert [m["seq"] for m in after["messages"]] == sorted(m["seq"] for m in after["messages"])
        assert after["escalation"] is None


async def test_resolving_without_hand_back_keeps_the_conversation_with_humans(
    server: LiveServer,
) -> None:
    conversation = f"humans-{uuid.uuid4().hex[:8]}"
    async with (
        server.client(server.key("client")) as user,
        server.client(server.key("operator")) as operator,
    ):
        ticket_id = (await _post(user, conversation, "can I speak to a human please"))[
            "escalation_id"
        ]
        assert (await operator.post(f"/v1/escalations/{ticket_id}/claim")).status_code == 200
        done = await operator.post(
            f"/v1/escalations/{ticket_id}/resolve", json={"resume_bot": False}
        )
        assert done.status_code == 200, done.text
        assert done.json()["resume_bot"] is False
        later = await _post(user, conversation, "what are your hours on Saturday?")
        assert later["action"] == "escalate", later
        assert later["agent"] != "general"
