"""A toy app whose turns are slow and observable, and checks that turns did not interleave.

Shared by the in-process tests and `lease_worker.py` (which imports it as `guards.helpers`, with
the tests directory on its path). The router is fixed, so no embedding model is loaded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import time
from collections.abc import Sequence
from pathlib import Path

from frontdesk.messages import Message
from frontdesk.models import FunctionModel
from frontdesk.models.base import ModelResponse, ToolDefinition
from frontdesk.routing import RouteDecision, Router
from frontdesk.routing.base import Alternative, RouteContext
from frontdesk.runtime import App
from frontdesk.store import Store, StoredMessage
from runtime.toy import echo_history, toy_pattern


class BillingRouter(Router):
    """Sends every message to billing, surely."""

    version = "billing-only"

    async def route(self, text: str, context: RouteContext | None = None) -> RouteDecision:
        return RouteDecision(
            category="billing",
            confidence=1.0,
            alternatives=[Alternative(category="billing", confidence=1.0)],
            reason="confident",
            router_version=self.version,
        )


@dataclasses.dataclass
class SlowEcho:
    """The toy echo model, taking `delay_s` per answer and recording when it ran (wall clock,
    so intervals from two processes on one machine compare)."""

    delay_s: float
    intervals: list[tuple[float, float]] = dataclasses.field(default_factory=list)
    entered: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    """Set when the first answer begins."""

    async def __call__(
        self, messages: Sequence[Message], tools: Sequence[ToolDefinition]
    ) -> ModelResponse:
        start = time.time()
        self.entered.set()
        await asyncio.sleep(self.delay_s)
        self.intervals.append((start, time.time()))
        return echo_history(messages, tools)


def slow_app(
    data_dir: Path,
    store: str | Store,
    echo: SlowEcho,
    *,
    lease_ttl_s: float = 30.0,
    lease_wait_s: float = 30.0,
) -> App:
    pattern = dataclasses.replace(
        toy_pattern(FunctionModel(echo, model_name="slow-echo")), router=BillingRouter()
    )
    return App(
        pattern, name="slow", data_dir=data_dir, store=store, lease_ttl_s=lease_ttl_s,
        lease_wait_s=lease_wait_s,
    )  # fmt: skip


def assert_turns_serialised(history: list[StoredMessage], sent: set[str]) -> None:
    """Every sent message is stored once, each followed by its own reply, and each reply saw
    exactly the user messages stored before it: no interleaving, nothing lost."""
    assert [m.seq for m in history] == list(range(1, len(history) + 1))
    assert [m.role for m in history] == ["user", "assistant"] * len(sent)
    users = [m.text for m in history if m.role == "user"]
    assert sorted(users) == sorted(sent)
    for turn, reply in enumerate(history[1::2]):
        assert reply.text == "seen: " + " | ".join(users[: turn + 1]), (turn, reply.text)


def assert_disjoint(intervals: list[tuple[float, float]]) -> None:
    """No two turns' model calls overlapped in time."""
    ordered = sorted(intervals)
    for (_, end), (start, _) in itertools.pairwise(ordered):
        assert end <= start, f"turns overlapped: one ran until {end}, the next began at {start}"


async def assert_linear_checkpoints(store: Store, conversation_id: str) -> int:
    """The conversation's LangGraph checkpoints form one chain (no two share a parent: the
    fork of langgraph #8796); returns their number."""
    config = {"configurable": {"thread_id": conversation_id}}
    parents: dict[str, str | None] = {}
    async for item in store.checkpointer().alist(config):  # type: ignore[arg-type]
        if item.config["configurable"].get("checkpoint_ns", ""):
            continue
        parent = item.parent_config["configurable"]["checkpoint_id"] if item.parent_config else None
        parents[item.config["configurable"]["checkpoint_id"]] = parent
    assert parents, "no checkpoints"
    children = list(parents.values())
    assert children.count(None) == 1, "more than one root checkpoint"
    forks = {p for p in children if p is not None and children.count(p) > 1}
    assert not forks, f"the checkpoint history forked at {sorted(forks)}"
    assert {p for p in children if p is not None} <= set(parents)
    return len(parents)
