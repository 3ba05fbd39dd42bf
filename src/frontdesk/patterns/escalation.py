"""Escalation to a human: trigger detection, the handoff package, and the record.

A handoff package holds what an operator needs to take over without asking the user to repeat
themselves: the history, the router's classification with alternatives, what the agents tried
and why it failed, suggested next actions, a priority and an SLA deadline.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from frontdesk.store import Escalation, StoredMessage

# priority → minutes until an operator must have picked the ticket up
SLA_MINUTES: Mapping[int, float] = {0: 5, 1: 15, 2: 240, 3: 1440}

DEFAULT_PRIORITIES: Mapping[str, int] = {
    "emergency": 0,
    "guardrail_blocked": 1,
    "legal": 2,
    "complaint": 2,
    "person_requested": 2,
    "repeated_clarification": 2,
    "budget_exceeded": 2,
}

DEFAULT_SUGGESTIONS: Mapping[str, Sequence[str]] = {
    "emergency": (
        "Call the patient back immediately; confirm they have contacted emergency services",
        "Document the call in the patient's chart",
    ),
    "legal": (
        "Do not discuss the matter; forward to the compliance / legal office",
        "Acknowledge receipt to the patient within one business day",
    ),
    "complaint": (
        "Acknowledge and apologise; log it with patient relations",
        "Offer a call-back from the practice manager",
    ),
    "person_requested": ("Reply in the conversation and take over from the assistant",),
    "guardrail_blocked": ("Review the blocked answer; reply with clinician-approved guidance",),
    "repeated_clarification": (
        "The assistant could not work out what the user needs: read the history and reply",
    ),
    "budget_exceeded": (
        "The assistant stopped at its spending limit: read its partial answer and the "
        "attempts, then finish the reply yourself",
    ),
}


@dataclass(kw_only=True, slots=True, frozen=True)
class PersonRequestDetector:
    """Recognises a user explicitly asking for a human, in any of the given phrasings."""

    patterns: Sequence[str] = ()

    def __call__(self, text: str) -> bool:
        return any(re.search(p, text, flags=re.IGNORECASE) for p in self.patterns)


@dataclass(kw_only=True, slots=True)
class Handoff:
    """The inputs of a handoff package, gathered during a turn."""

    conversation_id: str
    reason: str
    category: str | None
    confidence: float | None
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    trace_id: str = ""


def build_escalation(
    handoff: Handoff,
    history: Sequence[StoredMessage],
    *,
    priorities: Mapping[str, int] = DEFAULT_PRIORITIES,
    suggestions: Mapping[str, Sequence[str]] = DEFAULT_SUGGESTIONS,
    now: float | None = None,
) -> Escalation:
    """An `Escalation` with its full handoff package."""
    now = time.time() if now is None else now
    key = handoff.category if handoff.category in priorities else handoff.reason
    priority = priorities.get(key or "", priorities.get(handoff.reason, 2))
    package = {
        "history": [
            {"seq": m.seq, "role": m.role, "text": m.text, "agent": m.agent, "at": m.created_at}
            for m in history
        ],
        "classification": {"category": handoff.category, "confidence": handoff.confidence},
        "confidence": handoff.confidence,
        "alternatives": handoff.alternatives,
        "attempts": handoff.attempts,
        "suggested_actions": list(suggestions.get(key or "", suggestions.get(handoff.reason, ()))),
        "trace_id": handoff.trace_id,
    }
    return Escalation(
        conversation_id=handoff.conversation_id,
        reason=handoff.reason,
        category=handoff.category,
        confidence=handoff.confidence,
        priority=priority,
        sla_deadline=now + SLA_MINUTES.get(priority, 240) * 60,
        package=package,
        created_at=now,
        updated_at=now,
    )
