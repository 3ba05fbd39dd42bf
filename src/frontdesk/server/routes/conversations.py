"""Conversations: send a message (JSON or SSE), read the history, follow new messages live.

Who may do what: a client only touches conversations of its own tenant (another tenant's
conversation is answered 404, exactly like one that does not exist). Operators and admins read
any conversation; they post user messages only into their own tenant's conversations (they
answer users through `/v1/escalations/{id}/reply`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from frontdesk.errors import FrontdeskError
from frontdesk.server.auth import is_staff, require_role
from frontdesk.server.errors import ApiError, error_body, status_of
from frontdesk.server.events import conversation_channel
from frontdesk.server.publish import conversation_changed, ticket_changed
from frontdesk.server.schemas import (
    ConversationOut,
    MessageIn,
    ReplyOut,
    message_json,
    ticket_json,
)
from frontdesk.server.sse import PING, sse, sse_response, wants_sse
from frontdesk.server.state import ServerState, server_state
from frontdesk.store import ApiKey, check_conversation_id

router = APIRouter(tags=["conversations"])

AnyKey = Annotated[ApiKey, Depends(require_role("client", "operator", "admin"))]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API key, or an invalid one"},
    404: {"description": "No such conversation (or another client's)"},
    422: {"description": "Invalid conversation id or text"},
    429: {"description": "Rate limit exceeded (see Retry-After)"},
}


def _not_found(conversation_id: str) -> ApiError:
    return ApiError(404, "not_found", f"conversation {conversation_id!r} not found")


async def check_access(
    state: ServerState, key: ApiKey, conversation_id: str, *, write: bool
) -> str | None:
    """The conversation's owner (None if nobody owns it yet), after checking that `key` may
    read it (`write=False`) or post to it (`write=True`). Posting claims a conversation nobody
    owns for the key's tenant, atomically: of two tenants racing to post the first message to
    a new id, one owns it and the other is refused like for any other tenant's conversation."""
    check_conversation_id(conversation_id)
    store = state.app.store
    if write:
        claimed = await store.claim_conversation(conversation_id, key.tenant)
        if claimed != key.tenant:
            if is_staff(key):
                raise ApiError(
                    403, "forbidden",
                    f"conversation {conversation_id!r} belongs to another tenant: operators "
                    f"answer its user through POST /v1/escalations/{{id}}/reply",
                )  # fmt: skip
            raise _not_found(conversation_id)
        return claimed
    owner = await store.conversation_tenant(conversation_id)
    if owner is None or (owner != key.tenant and not is_staff(key)):
        raise _not_found(conversation_id)
    return owner


async def _turn(
    state: ServerState, conversation_id: str, text: str, tenant: str, traceparent: str | None
) -> dict[str, Any]:
    store = state.app.store
    before = await store.active_escalation(conversation_id)
    reply = await state.app.respond(conversation_id, text, tenant=tenant, traceparent=traceparent)
    await conversation_changed(state.bus, store, conversation_id)
    if reply.escalation_id is not None:
        ticket = await store.get_escalation(reply.escalation_id)
        if ticket is not None:
            new = before is None or before.id != ticket.id
            await ticket_changed(state.bus, ticket, "created" if new else "updated")
    return reply.to_json()


@router.post(
    "/v1/conversations/{conversation_id}/messages",
    response_model=ReplyOut,
    responses={
        **ERRORS,
        200: {
            "description": "The reply (as `text/event-stream` when asked: `reply` or `error`)",
            "content": {"text/event-stream": {}},
        },
        409: {"description": "Another message of this conversation is still being processed"},
    },
)
async def post_message(conversation_id: str, body: MessageIn, request: Request, key: AnyKey) -> Any:
    """Send a user message and get the assistant's reply (the `chat --json` object). With
    `Accept: text/event-stream` the reply comes as an SSE `reply` event (`: ping` comments
    while the turn runs; an `error` event if it fails). A dropped connection does not stop
    the turn: its result is stored in the history."""
    state = server_state(request)
    check_conversation_id(conversation_id)
    text = state.app.check_text(body.text)  # before claiming: a refused message claims nothing
    await check_access(state, key, conversation_id, write=True)
    traceparent = request.headers.get("traceparent")  # W3C trace context: join the caller's trace
    work = state.run_to_completion(_turn(state, conversation_id, text, key.tenant, traceparent))
    if wants_sse(request.headers.get("accept")):
        return sse_response(_stream_turn(state, work))
    return JSONResponse(await asyncio.shield(work))


async def _stream_turn(
    state: ServerState, work: asyncio.Task[dict[str, Any]]
) -> AsyncIterator[bytes]:
    yield PING
    while not work.done():
        await asyncio.wait([work], timeout=state.options.sse_ping_s)
        if not work.done():
            yield PING
    try:
        yield sse("reply", work.result())
    except FrontdeskError as exc:
        status, type_ = status_of(exc)
        yield sse("error", {**error_body(type_, str(exc)), "status": status})
    except Exception:
        yield sse("error", {**error_body("internal_error", "internal error"), "status": 500})


@router.get("/v1/conversations/{conversation_id}", response_model=ConversationOut, responses=ERRORS)
async def get_conversation(conversation_id: str, request: Request, key: AnyKey) -> Any:
    """The conversation's messages in order, and its open or claimed ticket if any (the
    owner, or an operator/admin)."""
    state = server_state(request)
    await check_access(state, key, conversation_id, write=False)
    messages = await state.app.store.history(conversation_id)
    active = await state.app.store.active_escalation(conversation_id)
    return {
        "conversation_id": conversation_id,
        "messages": [message_json(m) for m in messages],
        "escalation": ticket_json(active) if active is not None else None,
    }


@router.get(
    "/v1/conversations/{conversation_id}/stream",
    responses={**ERRORS, 200: {"content": {"text/event-stream": {}}}},
)
async def stream_conversation(
    conversation_id: str,
    request: Request,
    key: AnyKey,
    after: Annotated[int, Query(ge=0, le=2**62, description="Send messages after this seq.")] = 0,
    last_event_id: Annotated[str | None, Header()] = None,
) -> Any:
    """Server-sent events: a `message` event (id = its seq) for each message after `after`
    (or the `Last-Event-ID` of a reconnecting client), then each new one as it is stored."""
    state = server_state(request)
    await check_access(state, key, conversation_id, write=False)
    if last_event_id is not None and last_event_id.strip().isdigit():
        after = max(after, int(last_event_id.strip()))
    return sse_response(_follow(state, conversation_id, after))


async def _follow(state: ServerState, conversation_id: str, after: int) -> AsyncIterator[bytes]:
    store = state.app.store
    async with state.bus.subscribe(conversation_channel(conversation_id)) as subscription:
        sent = after
        last_ping = time.monotonic()
        yield PING
        check = True
        while not state.draining.is_set():
            if check:
                for message in await store.history(conversation_id):
                    if message.seq > sent:
                        yield sse("message", message_json(message), id=message.seq)
                        sent = message.seq
            event = await subscription.get(wait_s=1.0)
            check = event is not None
            if time.monotonic() - last_ping >= state.options.sse_ping_s:
                last_ping = time.monotonic()
                yield PING
