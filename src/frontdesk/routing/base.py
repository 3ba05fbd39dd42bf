"""The router interface: `Router.route(text, context) -> RouteDecision`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from frontdesk.safety.gate import SafetyVerdict

if TYPE_CHECKING:
    from frontdesk.context import RequestContext

Action = Literal["answer", "clarify", "escalate"]


@dataclass(kw_only=True, slots=True, frozen=True)
class Alternative:
    """A candidate category and its probability."""

    category: str
    confidence: float


@dataclass(kw_only=True, slots=True)
class RouteDecision:
    """Where a message goes and how sure the router is.

    `category` is None when nothing fits (out of scope); `confidence` is the probability of the
    chosen category in [0, 1]; `alternatives` are the top candidates, best first (the chosen one
    included). `reason` is a short machine-readable code: `confident`,
    `low_confidence`, `small_margin`, `out_of_scope`, `unclear`, `rule:<category>`,
    `priority:<category>`, `person_requested`, `clarified`, `llm_cascade`, `llm_none`,
    `safety:<risk class>` (the safety gate fired).
    """

    category: str | None
    confidence: float
    alternatives: list[Alternative] = field(default_factory=list)
    action: Action = "answer"
    reason: str = ""
    router_version: str = ""
    latency_ms: float = 0.0
    notes: list[str] = field(default_factory=list)
    path: Literal["local", "llm"] = "local"
    """Which router answered: the local one, or the LLM of a cascade."""
    safety: SafetyVerdict | None = None
    """The safety gate's verdict on the message, when the pattern has a gate (it runs before
    the router and overrides it when it fires: category `emergency`, action `escalate`)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "confidence": round(self.confidence, 4),
            "alternatives": [
                {"category": a.category, "confidence": round(a.confidence, 4)}
                for a in self.alternatives
            ],
            "action": self.action,
            "reason": self.reason,
            "router_version": self.router_version,
            "latency_ms": round(self.latency_ms, 3),
            "notes": list(self.notes),
            "path": self.path,
            "safety": None if self.safety is None else self.safety.to_json(),
        }


@dataclass(kw_only=True, slots=True, frozen=True)
class RouteContext:
    """What a router may know besides the text: the recent conversation, for follow-ups, and
    the request it routes in (a router that calls a model meters it through
    `request.budgeted(...)`)."""

    conversation_id: str = ""
    recent_user_texts: Sequence[str] = ()
    last_category: str | None = None
    request: RequestContext | None = None


class Router(ABC):
    """Classifies a message into one of a fixed set of categories."""

    version: str = "unversioned"

    @abstractmethod
    async def route(self, text: str, context: RouteContext | None = None) -> RouteDecision:
        """Decide where `text` goes."""
