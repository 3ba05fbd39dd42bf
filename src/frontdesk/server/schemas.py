"""The wire formats of the HTTP API (pydantic: they generate /openapi.json), and the converters
from the store's dataclasses."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.store import Escalation, StoredMessage

MAX_TEXT_CHARS = 20_000
"""A generous bound for the schema; the app's own `max_message_chars` is checked after it."""


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MessageIn(_Body):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="The user's message.")


class OperatorReplyIn(_Body):
    text: str = Field(
        min_length=1, max_length=MAX_TEXT_CHARS, description="The operator's reply to the user."
    )


class ResolveIn(_Body):
    resume_bot: bool = Field(
        description="true: the bot answers the user's next message (with the full history); "
        "false: the conversation stays with humans."
    )


class AnalyzeIn(_Body):
    text: str = Field(min_length=1, max_length=60_000, description="The report text.")
    debate: bool = Field(default=False, description="Run the debate of independent analysts.")


class UsageOut(BaseModel):
    input_tokens: int
    output_tokens: int


class ReplyOut(BaseModel):
    """The same object as `frontdesk chat --json`."""

    conversation_id: str
    reply: str
    agent: str
    category: str | None
    confidence: float
    action: Literal["answer", "clarify", "escalate"]
    escalation_id: str | None
    trace_id: str
    usage: UsageOut
    cost_usd: float
    latency_ms: float
    stop_reason: str
    error: str | None = None


class MessageOut(BaseModel):
    seq: int
    role: Literal["user", "assistant", "operator", "system"]
    text: str
    agent: str | None
    created_at: float
    meta: dict[str, Any] = Field(default_factory=dict)


class TicketOut(BaseModel):
    """An escalation ticket with its handoff package at the top level."""

    id: str
    conversation_id: str
    status: Literal["open", "claimed", "resolved"]
    reason: str
    category: str | None
    priority: int
    sla_deadline: float
    created_at: float
    updated_at: float
    claimed_by: str | None
    claimed_at: float | None
    resolved_at: float | None
    resume_bot: bool | None
    history: list[dict[str, Any]]
    classification: dict[str, Any]
    confidence: float | None
    alternatives: list[dict[str, Any]]
    attempts: list[dict[str, Any]]
    suggested_actions: list[str]
    trace_id: str | None = None


class TicketList(BaseModel):
    items: list[TicketOut]


class ConversationOut(BaseModel):
    conversation_id: str
    messages: list[MessageOut]
    escalation: TicketOut | None = Field(
        description="The open or claimed ticket of the conversation, if any."
    )


class KeyOut(BaseModel):
    id: str
    name: str
    role: Literal["client", "operator", "admin"]
    tenant: str


class HealthOut(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)


def message_json(message: StoredMessage) -> dict[str, Any]:
    return {
        "seq": message.seq,
        "role": message.role,
        "text": message.text,
        "agent": message.agent,
        "created_at": message.created_at,
        "meta": message.meta,
    }


def ticket_json(ticket: Escalation) -> dict[str, Any]:
    package = ticket.package
    return {
        "id": ticket.id,
        "conversation_id": ticket.conversation_id,
        "status": ticket.status,
        "reason": ticket.reason,
        "category": ticket.category,
        "priority": ticket.priority,
        "sla_deadline": ticket.sla_deadline,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "claimed_by": ticket.claimed_by,
        "claimed_at": ticket.claimed_at,
        "resolved_at": ticket.resolved_at,
        "resume_bot": ticket.resume_bot,
        "history": list(package.get("history", [])),
        "classification": dict(
            package.get("classification")
            or {"category": ticket.category, "confidence": ticket.confidence}
        ),
        "confidence": package.get("confidence", ticket.confidence),
        "alternatives": list(package.get("alternatives", [])),
        "attempts": list(package.get("attempts", [])),
        "suggested_actions": [str(a) for a in package.get("suggested_actions", [])],
        "trace_id": package.get("trace_id"),
    }
