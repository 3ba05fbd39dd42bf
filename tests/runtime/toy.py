"""A small app for runtime tests: two specialists whose models are test doubles."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from frontdesk.agents import Limits, Specialist
from frontdesk.messages import Message, UserMessage
from frontdesk.models import FunctionModel, Model
from frontdesk.models.base import ModelResponse, ToolDefinition
from frontdesk.models.testing import text_response
from frontdesk.patterns import RouterSpecialist
from frontdesk.runtime import App
from frontdesk.tools import ToolContext

BILLING = [
    "I was charged twice",
    "why is my bill so high",
    "can I get a refund",
    "do you take Aetna",
    "what is my balance",
    "I need an itemized invoice",
    "payment plan options",
    "my insurance denied the claim",
    "how much do I owe",
    "pay my bill online",
    "copay for a specialist visit",
    "there's a charge I don't recognise",
]
SCHEDULING = [
    "book an appointment",
    "I need to see a doctor next week",
    "cancel my appointment",
    "reschedule my visit to friday",
    "when is my next appointment",
    "is Dr. Patel free tomorrow",
    "can I get a telehealth slot",
    "move my appointment to the afternoon",
    "schedule a physical",
    "any openings on Monday",
    "I want to change my booking time",
    "book me in with a dermatologist",
]
EMERGENCY = [
    "I have crushing chest pain",
    "my husband collapsed and isn't breathing",
    "I can't breathe",
    "she is having a seizure",
    "I took too many pills",
    "my face is drooping and my speech is slurred",
    "heavy bleeding that won't stop",
    "I want to end my life",
]
OUT_OF_SCOPE = [
    "what's the weather tomorrow",
    "who won the game last night",
    "tell me a joke",
    "write me a python script",
    "best pizza recipe",
    "what is the capital of France",
    "recommend a movie",
    "how do I fix my car",
    "translate hello to Spanish",
    "what's 17 times 23",
]


def echo_history(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
    """Answers with every user text it was shown, so a leak would be visible in the reply."""
    seen = " | ".join(m.text for m in messages if isinstance(m, UserMessage))
    return text_response(f"seen: {seen}", input_tokens=10, output_tokens=5)


def specialist(name: str, examples: list[str], model: Model | None = None) -> Specialist:
    return Specialist(
        name=name,
        description=f"{name} questions",
        instructions=f"You are the {name} desk.",
        examples=examples,
        model=model,
        offline=lambda ctx: FunctionModel(echo_history, model_name=f"echo-{name}"),
    )


def toy_pattern(billing_model: Model | None = None) -> RouterSpecialist:
    return RouterSpecialist(
        specialists=[
            specialist("billing", BILLING, billing_model),
            specialist("scheduling", SCHEDULING),
        ],
        routes={"emergency": EMERGENCY},
        escalate={"emergency"},
        out_of_scope=OUT_OF_SCOPE,
        threshold=0.5,
        person_patterns=[r"\b(real|actual) (person|human)\b", r"\bhuman\b"],
        safety_replies={"emergency": "Call 911 now or go to the nearest emergency department."},
        topic_labels={"billing": "a bill or payment", "scheduling": "an appointment"},
    )


def toy_app(data_dir: Path, *, billing_model: Model | None = None, limits: Limits | None = None,
            ) -> App:  # fmt: skip
    return App(toy_pattern(billing_model), name="toy", data_dir=data_dir, limits=limits,
               deps=lambda conversation_id: ToolContext)  # fmt: skip
