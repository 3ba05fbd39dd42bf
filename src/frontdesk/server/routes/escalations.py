"""The escalation queue (operators and admins): list tickets, follow the queue live, claim,
reply, resolve and hand back to the bot."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from frontdesk.server.auth import require_role
from frontdesk.server.errors import ApiError
from frontdesk.server.events import QUEUE
from frontdesk.server.publish import conversation_changed, ticket_changed
from frontdesk.server.schemas import (
    MessageOut,
    OperatorReplyIn,
    ResolveIn,
    TicketList,
    TicketOut,
    message_json,
    ticket_json,
)
from frontdesk.server.sse import PING, sse, sse_response
from frontdesk.server.state import ServerState, server_state
from frontdesk.store import ADMIN_OPERATOR, ApiKey, Escalation

router = APIRouter(tags=["escalations"])

Operator = Annotated[ApiKey, Depends(require_role("operator", "admin"))]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API key, or an invalid one"},
    403: {"description": "The key is not an operator's or an admin's"},
    429: {"description": "Rate limit exceeded (see Retry-After)"},
}
TICKET_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    404: {"description": "No such ticket"},
    409: {"description": "The ticket is not in a state that allows this (e.g. already claimed)"},
}


@router.get("/v1/escalations", response_model=TicketList, responses=ERRORS)
async def list_escalations(
    request: Request,
    _key: Operator,
    status: Annotated[Literal["open", "claimed", "resolved"] | None, Query()] = None,
    conversation_id: Annotated[str | None, Query(max_length=128)] = None,
) -> Any:
    """Tickets, most urgent first, then oldest first; each with its handoff package (`history`
    as it was at the handoff, `classification`, `confidence`, `alternatives`, `attempts`,
    `suggested_actions`)."""
    store = server_state(request).app.store
    tickets = await store.list_escalations(status=status, conversation_id=conversation_id)
    return {"items": [ticket_json(t) for t in tickets]}


@router.get(
    "/v1/escalations/stream", responses={**ERRORS, 200: {"content": {"text/event-stream": {}}}}
)
async def stream_escalations(request: Request, _key: Operator) -> Any:
    """Server-sent events of queue changes: `ready` once subscribed (fetch the list then),
    `ticket.created` / `ticket.updated` / `ticket.claimed` / `ticket.resolved` with a ticket
    summary, and `resync` when events may have been missed (fetch the list again)."""
    return sse_response(_follow_queue(server_state(request)))


async def _follow_queue(state: ServerState) -> AsyncIterator[bytes]:
    async with state.bus.subscribe(QUEUE) as subscription:
        yield sse("ready", {"type": "ready"})
        last_ping = time.monotonic()
        while not state.draining.is_set():
            event = await subscription.get(wait_s=1.0)
            if event is not None:
                yield sse(str(event.get("type", "message")), event)
            elif time.monotonic() - last_ping >= state.options.sse_ping_s:
                last_ping = time.monotonic()
                yield PING


async def _ticket(state: ServerState, escalation_id: str) -> Escalation:
    ticket = await state.app.store.get_escalation(escalation_id)
    if ticket is None:
        raise ApiError(404, "not_found", f"escalation {escalation_id!r} not found")
    return ticket


@router.get("/v1/escalations/{escalation_id}", response_model=TicketOut, responses=TICKET_ERRORS)
async def get_escalation(escalation_id: str, request: Request, _key: Operator) -> Any:
    """One ticket; its `history` is the conversation so far (live, not the handoff snapshot)."""
    state = server_state(request)
    ticket = await _ticket(state, escalation_id)
    out = ticket_json(ticket)
    history = await state.app.store.history(ticket.conversation_id)
    out["history"] = [
        {"seq": m.seq, "role": m.role, "text": m.text, "agent": m.agent, "at": m.created_at}
        for m in history
    ]
    return out


@router.post(
    "/v1/escalations/{escalation_id}/claim", response_model=TicketOut, responses=TICKET_ERRORS
)
async def claim(escalation_id: str, request: Request, key: Operator) -> Any:
    """Take an open ticket: of many operators claiming at once, exactly one gets it; the
    others get 409."""
    state = server_state(request)
    ticket = await state.run_to_completion(state.app.claim(escalation_id, key.id))
    await ticket_changed(state.bus, ticket, "claimed")
    return ticket_json(ticket)


@router.post(
    "/v1/escalations/{escalation_id}/reply", response_model=MessageOut, responses=TICKET_ERRORS
)
async def reply(escalation_id: str, body: OperatorReplyIn, request: Request, key: Operator) -> Any:
    """Answer the user (the ticket must be claimed by this key). The message is stored in the
    conversation with role `operator`."""
    state = server_state(request)
    message = await state.run_to_completion(
        state.app.operator_reply(escalation_id, key.id, body.text)
    )
    await conversation_changed(state.bus, state.app.store, message.conversation_id)
    ticket = await state.app.store.get_escalation(escalation_id)
    if ticket is not None:
        await ticket_changed(state.bus, ticket, "updated")
    return message_json(message)


@router.post(
    "/v1/escalations/{escalation_id}/resolve", response_model=TicketOut, responses=TICKET_ERRORS
)
async def resolve(escalation_id: str, body: ResolveIn, request: Request, key: Operator) -> Any:
    """Close a ticket claimed by this key (an admin may close any open or claimed ticket).
    `resume_bot: true` hands the conversation back to the bot; `false` keeps it with humans."""
    state = server_state(request)
    operator = ADMIN_OPERATOR if key.role == "admin" else key.id
    ticket = await state.run_to_completion(
        state.app.resolve(escalation_id, operator, resume_bot=body.resume_bot)
    )
    await ticket_changed(state.bus, ticket, "resolved")
    await conversation_changed(state.bus, state.app.store, ticket.conversation_id)
    return ticket_json(ticket)
