"""The cascade: the local router answers; an LLM is consulted only when the local decision is
uncertain (confidence in the `band`, or a small margin), so most traffic stays local and free.

The LLM is asked to pick one category from the list (or `none`) and answers JSON
`{"category": ..., "confidence": ...}`. Its answer is trusted only if it names a known category;
otherwise, or if the call fails or does not fit the request's budget, the local decision
stands. `RouteDecision.path` records which one answered. In a request (`RouteContext.request`)
the call is metered by the request's cost ledger as the `router`'s.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

from frontdesk.errors import LimitExceeded, ModelError
from frontdesk.messages import SystemMessage, UserMessage
from frontdesk.models.base import Model, ModelSettings
from frontdesk.routing.base import Alternative, RouteContext, RouteDecision, Router

UNCERTAIN_REASONS = frozenset({"low_confidence", "small_margin", "unclear"})
ROUTER_AGENT = "router"
"""The agent name the cascade's model calls are metered under."""


@dataclass(kw_only=True)
class CascadeRouter(Router):
    """A local router with an LLM consulted for the uncertain band only."""

    local: Router
    model: Model
    categories: Mapping[str, str]
    """category → one-line description shown to the LLM."""
    band: tuple[float, float] = (0.2, 0.7)

    def __post_init__(self) -> None:
        self.version = f"{self.local.version}+cascade:{self.model.id}"

    def uncertain(self, decision: RouteDecision) -> bool:
        low, high = self.band
        return decision.reason in UNCERTAIN_REASONS and low <= decision.confidence < high

    async def route(self, text: str, context: RouteContext | None = None) -> RouteDecision:
        decision = await self.local.route(text, context)
        decision.path = "local"
        if not self.uncertain(decision):
            return decision
        started = time.perf_counter()
        model = self.model
        if context is not None and context.request is not None:
            model = context.request.budgeted(model, agent=ROUTER_AGENT)
        try:
            picked = await self._ask(model, text)
        except (ModelError, LimitExceeded) as exc:
            decision.notes.append(f"cascade skipped: {type(exc).__name__}")
            return decision
        if picked is None:
            return decision
        category, confidence = picked
        decision.latency_ms += (time.perf_counter() - started) * 1000
        decision.path = "llm"
        decision.router_version = self.version
        if category == "none":
            decision.category, decision.action, decision.reason = None, "clarify", "llm_none"
            decision.confidence = confidence
            return decision
        decision.category, decision.confidence = category, confidence
        decision.action, decision.reason = "answer", "llm_cascade"
        if all(a.category != category for a in decision.alternatives):
            decision.alternatives.insert(0, Alternative(category=category, confidence=confidence))
        return decision

    async def _ask(self, model: Model, text: str) -> tuple[str, float] | None:
        listing = "\n".join(f"- {name}: {about}" for name, about in self.categories.items())
        response = await model.request(
            [
                SystemMessage(
                    text="Classify the user's message into exactly one category, or `none` if "
                    f"no category fits.\nCategories:\n{listing}\nAnswer only JSON: "
                    '{"category": "<name or none>", "confidence": <0..1>}'
                ),
                UserMessage(text=text),
            ],
            settings=ModelSettings(max_output_tokens=60, temperature=0.0, timeout_s=10.0),
        )
        match = re.search(r"\{.*\}", response.text, flags=re.DOTALL)
        if match is None:
            return None
        try:
            answer = json.loads(match.group(0))
            category = str(answer["category"]).strip()
            confidence = min(max(float(answer.get("confidence", 0.5)), 0.0), 1.0)
        except (ValueError, KeyError, TypeError):
            return None
        if category != "none" and category not in self.categories:
            return None
        return category, confidence
