"""The W3C `traceparent` of an HTTP request becomes the trace of the reply."""

from __future__ import annotations

from .harness import LiveServer

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


async def test_an_incoming_traceparent_is_the_replys_trace(server: LiveServer) -> None:
    key = server.key("client")
    async with server.client(key) as http:
        joined = await http.post(
            "/v1/conversations/trace-1/messages",
            json={"text": "how do I pay my bill?"},
            headers={"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"},
        )
        fresh = await http.post(
            "/v1/conversations/trace-2/messages", json={"text": "how do I pay my bill?"}
        )
    assert joined.status_code == 200, joined.text
    assert joined.json()["trace_id"] == TRACE_ID
    assert fresh.status_code == 200, fresh.text
    assert len(fresh.json()["trace_id"]) == 32
    assert fresh.json()["trace_id"] != TRACE_ID
