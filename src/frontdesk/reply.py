"""The result of one turn, as returned by `App.respond` and printed by `chat --json`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from frontdesk.agents import StopReason
from frontdesk.messages import Usage
from frontdesk.routing import Action


@dataclass(kw_only=True, slots=True)
class Reply:
    """What the user gets back, and everything needed to account for it."""

    conversation_id: str
    reply: str
    agent: str
    category: str | None
    confidence: float
    action: Action
    escalation_id: str | None
    trace_id: str
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    stop_reason: StopReason = "completed"
    error: str | None = None
    """What went wrong when `stop_reason` is `timeout` or `provider_unavailable` (else None)."""

    def to_json(self) -> dict[str, Any]:
        """The `chat --json` object (see DESIGN.md)."""
        return {
            "conversation_id": self.conversation_id,
            "reply": self.reply,
            "agent": self.agent,
            "category": self.category,
            "confidence": round(self.confidence, 4),
            "action": self.action,
            "escalation_id": self.escalation_id,
            "trace_id": self.trace_id,
            "usage": {
                "input_tokens": self.usage.input_tokens,
                "output_tokens": self.usage.output_tokens,
            },
            "cost_usd": round(self.cost_usd, 6),
            "latency_ms": round(self.latency_ms, 1),
            "stop_reason": self.stop_reason,
            "error": self.error,
        }
