"""Escalation to a human: the trigger rules, the handoff package, and the record.

`EscalationRules` says when a conversation goes to a person; each trigger has a reason code (the
ticket's `reason`, a low-cardinality metric label):

    <category>              the message is in a sensitive category (emergency, legal, complaint)
    person_requested        the user asked for a person, in any phrasing the app recognises
    low_confidence          after a clarification question the router is still below
                            `min_confidence` on the next message, which does not answer it
    repeated_clarification  a message would be the (max_clarifications + 1)-th clarification
                            in a row
    budget_exceeded,        a budget or a hard limit stopped the specialist (its partial
    iteration_limit,        answer goes to the user and into the package)
    timeout
    guardrail_blocked       a guardrail blocked a specialist that asks for a human then
    follow_up               the user wrote again after an operator resolved the last ticket
                            keeping the conversation with the team (resume_bot=False)

A handoff package holds what an operator needs to take over without asking the user to repeat
themselves: the history, the router's classification with alternatives, what was attempted and
why it failed, suggested next actions, the priority and the SLA deadline.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from frontdesk.agents import StopReason
from frontdesk.errors import ConfigError
from frontdesk.store import DEFAULT_SLA, Escalation, SlaPolicy, StoredMessage

DEFAULT_CATEGORIES = frozenset({"emergency", "legal", "complaint"})

DEFAULT_PRIORITIES: Mapping[str, int] = {
    "emergency": 0,
    "guardrail_blocked": 1,
    "legal": 2,
    "complaint": 2,
    "person_requested": 2,
    "low_confidence": 2,
    "repeated_clarification": 2,
    "budget_exceeded": 2,
    "iteration_limit": 2,
    "timeout": 2,
    "follow_up": 2,
}

_UNFINISHED = ("read its partial answer and the attempts, then finish the reply yourself",)
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
    "low_confidence": (
        "The assistant asked what the user meant and still could not tell: read the history, "
        "reply, and hand back to the assistant once the request is clear",
    ),
    "repeated_clarification": (
        "The assistant could not work out what the user needs: read the history and reply",
    ),
    "budget_exceeded": ("The assistant stopped at its spending limit: " + _UNFINISHED[0],),
    "iteration_limit": ("The assistant stopped at its step limit: " + _UNFINISHED[0],),
    "timeout": ("The assistant ran out of time: " + _UNFINISHED[0],),
    "follow_up": (
        "The conversation was kept with the team when its last ticket was resolved: reply, "
        "and resolve with resume_bot=true to hand it back to the assistant",
    ),
}


@dataclass(kw_only=True, slots=True, frozen=True)
class EscalationRules:
    """When a conversation is handed to a human, and how its ticket is prioritised.

    The defaults: a sensitive category (`categories`); the user asking for a person
    (`person_requested`, with the pattern's `person_patterns`); the router still below
    `min_confidence` after a clarification question (`low_confidence`); more than
    `max_clarifications` clarifications in a row (`repeated_clarification`); a specialist
    stopped by one of `stop_reasons` (a budget or the step limit). A trigger is switched off
    with `min_confidence=0`, `max_clarifications=None`, `person_requested=False`,
    `stop_reasons=()` or `categories=()`.
    """

    min_confidence: float = 0.6
    categories: Collection[str] = DEFAULT_CATEGORIES
    """Categories handed to a human (with the pattern's own `escalate`); a category the router
    does not know never fires."""
    max_clarifications: int | None = 2
    person_requested: bool = True
    stop_reasons: Collection[StopReason] = ("budget_exceeded", "iteration_limit")
    priorities: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PRIORITIES))
    """category or reason → priority (0 = most urgent … 3); a category's entry wins."""
    suggestions: Mapping[str, Sequence[str]] = field(
        default_factory=lambda: dict(DEFAULT_SUGGESTIONS)
    )
    sla: SlaPolicy = DEFAULT_SLA

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ConfigError(
                f"EscalationRules.min_confidence must be in [0, 1], got {self.min_confidence}"
            )
        if self.max_clarifications is not None and self.max_clarifications < 0:
            raise ConfigError(
                f"EscalationRules.max_clarifications must be >= 0 or None, got "
                f"{self.max_clarifications}"
            )
        if isinstance(self.categories, str) or isinstance(self.stop_reasons, str):
            raise ConfigError("EscalationRules.categories and stop_reasons are collections")

    def priority(self, reason: str, category: str | None) -> int:
        """The ticket priority: the category's entry if it has one, else the reason's, else 2."""
        if category is not None and category in self.priorities:
            return self.priorities[category]
        return self.priorities.get(reason, 2)

    def suggested_actions(self, reason: str, category: str | None) -> list[str]:
        if category is not None and category in self.suggestions:
            return list(self.suggestions[category])
        return list(self.suggestions.get(reason, ()))


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
    detail: str = ""
    """Why the trigger fired, in words (e.g. "router confidence 0.41 < 0.6 after ...")."""
    trace_id: str = ""
    safety: dict[str, Any] | None = None
    """The safety gate's verdict when it fired (its class, score and evidence)."""
    priority: int | None = None
    """A priority that overrides the rules' (the safety gate's P0)."""


def turn_escalation_id(conversation_id: str, trace_id: str) -> str:
    """The id of the ticket a turn opens: derived from the turn, so that running the turn's
    escalation step again (a LangGraph resume re-runs the node) finds the same ticket instead of
    opening a second one."""
    digest = hashlib.sha256(f"{conversation_id}\0{trace_id}".encode()).hexdigest()
    return f"esc_{digest[:20]}"


def build_escalation(
    handoff: Handoff,
    history: Sequence[StoredMessage],
    *,
    rules: EscalationRules | None = None,
    escalation_id: str | None = None,
    now: float | None = None,
) -> Escalation:
    """An `Escalation` with its full handoff package."""
    rules = rules or EscalationRules()
    now = time.time() if now is None else now
    priority = rules.priority(handoff.reason, handoff.category)
    if handoff.priority is not None:
        priority = min(priority, handoff.priority)
    deadline = rules.sla.deadline(priority, now)
    package = {
        "history": [
            {"seq": m.seq, "role": m.role, "text": m.text, "agent": m.agent, "at": m.created_at}
            for m in history
        ],
        "reason": handoff.reason,
        "reason_detail": handoff.detail,
        "classification": {"category": handoff.category, "confidence": handoff.confidence},
        "confidence": handoff.confidence,
        "alternatives": handoff.alternatives,
        "attempts": handoff.attempts,
        "suggested_actions": rules.suggested_actions(handoff.reason, handoff.category),
        "priority": priority,
        "sla_deadline": deadline,
        "trace_id": handoff.trace_id,
        "safety": handoff.safety,
    }
    escalation = Escalation(
        conversation_id=handoff.conversation_id,
        reason=handoff.reason,
        category=handoff.category,
        confidence=handoff.confidence,
        priority=priority,
        sla_deadline=deadline,
        package=package,
        created_at=now,
        updated_at=now,
    )
    if escalation_id:
        escalation.id = escalation_id
    return escalation


_WHY = {
    "budget_exceeded": "stopped by a budget before its answer was complete",
    "iteration_limit": "reached its step or model-call limit before finishing",
    "timeout": "ran out of time before finishing",
    "provider_unavailable": "the model provider was unavailable",
}


def failure_reason(stop_reason: str, *, blocked: bool, error: str | None) -> str:
    """Why a specialist's attempt did not give the user a full answer, in words."""
    if blocked:
        return "a guardrail blocked the answer" + (f" ({error})" if error else "")
    why = _WHY.get(stop_reason, "")
    if why and error:
        return f"{why}: {error}"
    return why or (error or "")


def clarification_attempts(history: Sequence[StoredMessage]) -> list[dict[str, Any]]:
    """The clarification questions asked in a row at the end of `history`, each with the
    user's answer (if any) — what the assistant tried before a `low_confidence` or
    `repeated_clarification` escalation."""
    attempts: list[dict[str, Any]] = []
    for index in range(len(history) - 1, -1, -1):
        message = history[index]
        if message.role != "assistant":
            continue
        if message.agent != "clarification":
            break
        answer = next((m.text for m in history[index + 1 :] if m.role == "user"), None)
        attempts.append({
            "agent": "clarification",
            "stop_reason": "completed",
            "question": message.text,
            "answer": answer,
            "why": "the answer did not pick one of the options offered",
        })  # fmt: skip
    attempts.reverse()
    return attempts
