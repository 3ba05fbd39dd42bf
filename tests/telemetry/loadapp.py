"""A small, fast app for telemetry tests: a keyword router (no training) and specialists on
priced `FunctionModel`s, one of which can be made to fail a given share of its calls."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from frontdesk.agents import Specialist
from frontdesk.guards.budget import Budget
from frontdesk.messages import Message, ToolReturn
from frontdesk.models import FunctionModel, Price, PriceTable
from frontdesk.models._remote import ModelHTTPError
from frontdesk.models.base import ModelResponse, ToolDefinition
from frontdesk.models.testing import text_response, tool_call_response
from frontdesk.patterns import RouterSpecialist
from frontdesk.routing import Alternative, RouteContext, RouteDecision, Router
from frontdesk.runtime import App
from frontdesk.telemetry import Telemetry
from frontdesk.tools import tool

PRICES = PriceTable.load_default().merged([
    Price(model="acme:fast", input=1.0, output=2.0, source="tests"),
    Price(model="acme:big", input=5.0, output=15.0, source="tests"),
])  # fmt: skip
KEYWORDS = {"bill": "billing", "charge": "billing", "appointment": "scheduling",
            "book": "scheduling", "chest pain": "emergency", "lawyer": "legal"}  # fmt: skip


class KeywordRouter(Router):
    """Routes by keyword; a message without one is unclear (a clarifying question)."""

    version = "keyword-1"

    async def route(self, text: str, context: RouteContext | None = None) -> RouteDecision:
        lowered = text.lower()
        for word, category in KEYWORDS.items():
            if word in lowered:
                return RouteDecision(
                    category=category, confidence=0.9, reason="confident",
                    router_version=self.version,
                    alternatives=[Alternative(category=category, confidence=0.9),
                                  Alternative(category="general", confidence=0.1)],
                )  # fmt: skip
        return RouteDecision(
            category="billing", confidence=0.4, action="clarify", reason="low_confidence",
            router_version=self.version,
            alternatives=[Alternative(category="billing", confidence=0.4),
                          Alternative(category="scheduling", confidence=0.35)],
        )  # fmt: skip


@tool
async def lookup_balance(account: str) -> dict[str, float]:
    """The balance of an account."""
    return {"balance": 42.0}


@dataclass
class Faults:
    """Makes the scheduling model fail `rate` of its calls (HTTP 500), reproducibly."""

    rate: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(7))


def billing_model() -> FunctionModel:
    def answer(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
        words = sum(len(getattr(m, "text", "").split()) for m in messages)
        if any(isinstance(m, ToolReturn) for m in messages):
            return text_response("Your balance is $42.", input_tokens=60 + words,
                                 output_tokens=8)  # fmt: skip
        return tool_call_response("lookup_balance", {"account": "A-1"},
                                  input_tokens=40 + words, output_tokens=6)  # fmt: skip

    model = FunctionModel(answer, model_name="fast")
    model.provider = "acme"
    return model


def scheduling_model(faults: Faults) -> FunctionModel:
    def answer(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
        if faults.rng.random() < faults.rate:
            raise ModelHTTPError("server error", model="acme:big", status_code=500)
        words = sum(len(getattr(m, "text", "").split()) for m in messages)
        return text_response("You are booked for Monday.", input_tokens=100 + words,
                             output_tokens=12)  # fmt: skip

    model = FunctionModel(answer, model_name="big")
    model.provider = "acme"
    return model


def load_app(
    data_dir: Path, telemetry: Telemetry, *, faults: Faults | None = None,
    budget: Budget | None = None,
) -> App:  # fmt: skip
    faults = faults or Faults()
    pattern = RouterSpecialist(
        specialists=[
            Specialist(name="billing", description="bills", instructions="You are billing.",
                       tools=[lookup_balance], model=billing_model()),
            Specialist(name="scheduling", description="appointments",
                       instructions="You book visits.", model=scheduling_model(faults)),
        ],
        routes={"emergency": ["chest pain"], "legal": ["lawyer"]},
        escalate={"emergency", "legal"},
        safety_replies={"emergency": "Call 911 now."},
        person_patterns=[r"\bhuman\b"],
        router=KeywordRouter(),
    )  # fmt: skip
    return App(pattern, name="loadtest", data_dir=data_dir, telemetry=telemetry, prices=PRICES,
               budget=budget)  # fmt: skip


MESSAGES = (
    "why is my bill so high",
    "I was charged twice",
    "book an appointment for Monday",
    "I want to talk to my lawyer",
    "I need an appointment",
    "please let me speak to a human",
    "hello there",
    "I have chest pain",
)
"""A mix: billing (tool call), scheduling, legal, person requested, clarification, emergency."""


def load_script(n: int) -> list[tuple[str, str]]:
    """`n` (conversation id, message) pairs: conversations of 6 messages taken in turn from
    `MESSAGES` (each stops at its first escalation: later ones go to the human), and every
    fifth conversation only books appointments (so it runs into its conversation budget)."""
    script = []
    for i in range(n):
        conversation = i // 6
        text = (
            "book an appointment for Monday" if conversation % 5 == 4
            else MESSAGES[i % len(MESSAGES)]
        )  # fmt: skip
        script.append((f"load-{conversation}", text))
    return script
