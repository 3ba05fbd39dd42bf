"""The human side of a conversation, as the runtime works it: where a user's message goes while
a ticket is active, and the hand-back to the bot when an operator resolves it.

    bot turn ──(trigger)──► ticket open ──claim──► claimed ──resolve──► resolved
        ▲                      │  ▲                   │                  │
        │           SLA sweep: │  └── claim timeout ──┘      resume_bot=True: the graph
        │     priority +1, new │                             resumes, the bot answers the
        │  deadline, user told │                             next message with the history
        └──────────────────────┴─────────────────────────────────────────┘
                                   resume_bot=False: the next message opens a `follow_up`
                                   ticket instead

While a conversation has an open or claimed ticket, `App.respond` stores the user's message and
answers with a receipt (`agent="human"`, `action="escalate"`): no bot turn, no model call. The
`App` methods that use this module hold the conversation's lease whenever they write to it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from frontdesk.patterns.escalation import EscalationRules, Handoff, build_escalation
from frontdesk.reply import Reply
from frontdesk.store import Escalation, Store
from frontdesk.store.base import ADMIN_OPERATOR

RECEIPT_OPEN = (
    "Your message has been passed to a member of our team, who will reply here as soon as possible."
)
RECEIPT_CLAIMED = "A member of our team is looking after your conversation and will reply here."
STILL_WAITING = (
    "Thank you for waiting. Nobody from our team has replied yet, so we've raised the priority "
    "of your conversation; someone will reply here as soon as possible."
)


def active_ticket(tickets: Sequence[Escalation]) -> Escalation | None:
    """The newest open or claimed ticket among a conversation's tickets."""
    active = [t for t in tickets if t.status != "resolved"]
    return max(active, key=lambda t: (t.created_at, t.id)) if active else None


def last_resolved(tickets: Sequence[Escalation]) -> Escalation | None:
    """The ticket resolved last, if any."""
    resolved = [t for t in tickets if t.status == "resolved"]
    return max(resolved, key=lambda t: (t.resolved_at or 0.0, t.id)) if resolved else None


@dataclass(kw_only=True, slots=True, frozen=True)
class Destination:
    """Where a new user message goes. `human`: the ticket a person answers it under (`new`: a
    `follow_up` ticket to open); None: the bot answers, `last` being the conversation's last
    resolved ticket (if any: the graph may still wait for its hand-back)."""

    human: Escalation | None = None
    new: bool = False
    last: Escalation | None = None


async def destination(store: Store, conversation_id: str, rules: EscalationRules) -> Destination:
    """Where a new user message of `conversation_id` goes: to the active ticket's operator; to
    a new `follow_up` ticket when the last one was resolved with `resume_bot=False`; else to
    the bot."""
    tickets = await store.list_escalations(conversation_id=conversation_id)
    active = active_ticket(tickets)
    if active is not None:
        return Destination(human=active)
    last = last_resolved(tickets)
    if last is not None and last.resume_bot is False:
        by = last.claimed_by or "an operator"
        handoff = Handoff(
            conversation_id=conversation_id, reason="follow_up", category=last.category,
            confidence=last.confidence,
            detail=f"{by} resolved {last.id} keeping the conversation with the team",
        )  # fmt: skip
        return Destination(human=build_escalation(handoff, [], rules=rules), new=True)
    return Destination(last=last)


async def forward_to_human(
    store: Store, ticket: Escalation, text: str, *, tenant: str, trace_id: str, new: bool
) -> Reply:
    """Store the user's message for the operator (opening `ticket` first when `new`, with the
    history so far in its package) and return the receipt."""
    conversation_id = ticket.conversation_id
    started = time.perf_counter()
    await store.append_message(
        conversation_id, "user", text, tenant=tenant,
        meta={"trace_id": trace_id, "escalation_id": ticket.id, "to": "human"},
    )  # fmt: skip
    if new:
        history = await store.history(conversation_id)
        ticket.package["history"] = [
            {"seq": m.seq, "role": m.role, "text": m.text, "agent": m.agent, "at": m.created_at}
            for m in history
        ]
        ticket.package["trace_id"] = trace_id
        ticket = await store.create_escalation(ticket)  # or the active one, if another came first
    reply = Reply(
        conversation_id=conversation_id,
        reply=RECEIPT_CLAIMED if ticket.status == "claimed" else RECEIPT_OPEN,
        agent="human",
        category=ticket.category,
        confidence=ticket.confidence or 0.0,
        action="escalate",
        escalation_id=ticket.id,
        trace_id=trace_id,
        stop_reason="escalated",
    )
    reply.latency_ms = (time.perf_counter() - started) * 1000
    return reply


def handback_value(ticket: Escalation) -> dict[str, Any]:
    """What the paused graph is resumed with once `ticket` is resolved."""
    return {
        "escalation_id": ticket.id,
        "resume_bot": ticket.resume_bot is not False,
        "operator": ticket.claimed_by,
        "resolved_at": ticket.resolved_at,
    }


def resolution_note(ticket: Escalation, operator: str) -> str:
    """The system message that records a resolution in the conversation."""
    by = ticket.claimed_by if operator == ADMIN_OPERATOR and ticket.claimed_by else operator
    who = "an administrator" if by == ADMIN_OPERATOR else by
    if ticket.resume_bot:
        return f"Resolved by {who}; the assistant answers from here."
    return f"Resolved by {who}; the conversation stays with our team."
