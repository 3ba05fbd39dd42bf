"""Fixtures: the clinic app (its router trained once per session and copied into each test's
data directory) and a small app whose router is scripted, for the trigger rules."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from frontdesk.agents import Specialist
from frontdesk.apps import load_app
from frontdesk.apps.clinic import clinic_pattern
from frontdesk.config import load_settings
from frontdesk.guards.limits import Limits
from frontdesk.messages import Message, TextPart, UserMessage
from frontdesk.models import FunctionModel, Model
from frontdesk.models.base import ModelResponse, ToolDefinition
from frontdesk.models.testing import text_response
from frontdesk.patterns import EscalationRules, RouterSpecialist
from frontdesk.routing import Alternative, RouteContext, RouteDecision, Router
from frontdesk.runtime import App


@pytest.fixture(params=["sqlite", "postgres"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A store URL of each backend (PostgreSQL: a fresh schema of
    FRONTDESK_TEST_POSTGRES_URL, dropped afterwards; skipped without it, failed in CI)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'queue.sqlite3'}"
        return
    url = os.environ.get("FRONTDESK_TEST_POSTGRES_URL", "")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI requires PostgreSQL: set FRONTDESK_TEST_POSTGRES_URL")
        pytest.skip("PostgreSQL not configured: set FRONTDESK_TEST_POSTGRES_URL to run these")
    import psycopg

    schema = f"fd_test_{uuid.uuid4().hex[:10]}"
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(f"CREATE SCHEMA {schema}")
    try:
        separator = "&" if "?" in url else "?"
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="session")
def trained_routers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A `routers/` cache holding the clinic's trained router (training takes a while)."""
    data_dir = tmp_path_factory.mktemp("clinic-router")

    async def train() -> None:
        app = App(clinic_pattern(), name="clinic", data_dir=data_dir)
        await app.open()
        await app.close()

    asyncio.run(train())
    return data_dir / "routers"


@pytest.fixture
def clinic(tmp_path: Path, trained_routers: Path) -> Callable[[], App]:
    """Builds the clinic app as `frontdesk serve` would: `load_app("clinic", settings)`."""
    data_dir = tmp_path / "clinic"
    shutil.copytree(trained_routers, data_dir / "routers")

    def build() -> App:
        return load_app("clinic", load_settings({"data_dir": data_dir}))

    return build


@dataclass
class Recorder:
    """A model double that answers "seen N messages" and keeps every request's messages."""

    calls: list[list[Message]] = field(default_factory=list)

    def __call__(
        self, messages: Sequence[Message], tools: Sequence[ToolDefinition]
    ) -> ModelResponse:
        self.calls.append(list(messages))
        return text_response(f"billing answer after {len(messages)} messages")

    def texts(self, call: int = -1) -> list[str]:
        """The texts of one request's messages (user and assistant alike)."""
        out: list[str] = []
        for message in self.calls[call]:
            if isinstance(message, UserMessage):
                out.append(message.text)
            else:
                out += [p.text for p in getattr(message, "parts", []) if isinstance(p, TextPart)]
        return out


class ScriptedRouter(Router):
    """Routes each text by a table: text → (category, confidence, action, reason); any other
    text goes to billing, confidently."""

    version = "scripted-1"

    def __init__(self, table: Mapping[str, tuple[str | None, float, str, str]]) -> None:
        self.table = dict(table)

    async def route(self, text: str, context: RouteContext | None = None) -> RouteDecision:
        default = ("billing", 0.9, "answer", "confident")
        category, confidence, action, reason = self.table.get(text, default)
        alternatives = [
            Alternative(category=c, confidence=p)
            for c, p in (("billing", confidence), ("scheduling", 1 - confidence))
        ]
        return RouteDecision(
            category=category,
            confidence=confidence,
            action=action,  # type: ignore[arg-type]
            reason=reason,
            alternatives=alternatives,
            router_version=self.version,
        )


ROUTES: dict[str, tuple[str | None, float, str, str]] = {
    "my bill": ("billing", 0.9, "answer", "confident"),
    "my appointment": ("scheduling", 0.9, "answer", "confident"),
    "huh": ("billing", 0.3, "clarify", "low_confidence"),
    "hmm": ("billing", 0.45, "clarify", "low_confidence"),
    "off topic": (None, 0.95, "clarify", "out_of_scope"),
    "weather": (None, 0.9, "clarify", "out_of_scope"),
    "jokes": (None, 0.97, "clarify", "out_of_scope"),
    "somebody fell": ("emergency", 0.95, "answer", "confident"),
    "I am suing you": ("legal", 0.8, "answer", "confident"),
}


def toy_app(
    data_dir: Path,
    *,
    rules: EscalationRules | None = None,
    billing: Recorder | None = None,
    billing_model: Model | None = None,
    limits: Limits | None = None,
    store: str | None = None,
) -> App:
    """Billing and scheduling specialists behind a `ScriptedRouter` (`ROUTES`)."""
    recorder = billing or Recorder()
    specialists = [
        Specialist(name="billing", description="bills", instructions="You are billing.",
                   model=billing_model or FunctionModel(recorder, model_name="recorder")),
        Specialist(name="scheduling", description="appointments", instructions="Scheduling.",
                   model=FunctionModel(lambda m, t: text_response("scheduling answer"),
                                       model_name="fixed")),
    ]  # fmt: skip
    pattern = RouterSpecialist(
        specialists=specialists, router=ScriptedRouter(ROUTES),
        person_patterns=[r"\b(real|actual) (person|human)\b"],
        safety_replies={"emergency": "Call 911 now."},
        escalation=rules or EscalationRules(),
    )  # fmt: skip
    return App(pattern, name="toy", data_dir=data_dir, limits=limits, store=store)
