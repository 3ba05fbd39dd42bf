"""What the routes announce on the event bus after each change."""

from __future__ import annotations

from frontdesk.server.events import QUEUE, EventBus, conversation_channel
from frontdesk.server.schemas import ticket_json
from frontdesk.store import Escalation, Store


async def conversation_changed(bus: EventBus, store: Store, conversation_id: str) -> None:
    """Tell the conversation's streams that it has new messages (they re-read the store)."""
    last = await store.history(conversation_id, limit=1)
    seq = last[-1].seq if last else 0
    await bus.publish(
        conversation_channel(conversation_id),
        {"type": "message", "conversation_id": conversation_id, "seq": seq},
    )


async def ticket_changed(bus: EventBus, ticket: Escalation, kind: str) -> None:
    """Tell the queue streams that a ticket was created, claimed, resolved or updated."""
    summary = ticket_json(ticket)
    summary.pop("history", None)  # events stay small; the console fetches the ticket
    await bus.publish(QUEUE, {"type": f"ticket.{kind}", "ticket": summary})
