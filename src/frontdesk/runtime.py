"""The runtime: `App.respond(conversation_id, text) -> Reply`.

An `App` owns the store, the trained router and the compiled graph of its pattern. Every request
gets a fresh `TurnContext` and `RequestContext`, whose cost ledger meters every model call of the
request against the app's `Budget` (or the one passed to `respond`); the only state that
outlives a request lives in the store, keyed by conversation id, costs included. Concurrent
messages to one conversation are serialised by a lease in the store, also across processes
sharing it (`frontdesk.guards.lease`).

    app = App(RouterSpecialist([...]), data_dir=Path("data"))
    reply = await app.respond("conv-42", "I was charged twice")
    reply = app.respond_sync("conv-42", "and when is my next appointment?")  # outside async code
"""

from __future__ import annotations

import asyncio
import time
import uuid
import weakref
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph

from frontdesk.agents import Specialist
from frontdesk.context import RequestContext
from frontdesk.errors import ConfigError, InvalidInput
from frontdesk.guards.budget import Budget
from frontdesk.guards.lease import (
    DEFAULT_TTL_S,
    DEFAULT_WAIT_S,
    ConversationLease,
    check_lease_times,
)
from frontdesk.guards.limits import Limits
from frontdesk.messages import AssistantMessage, Message, TextPart, Usage, UserMessage
from frontdesk.models import Model, resolve_model
from frontdesk.models.budgeted import innermost_models
from frontdesk.models.pricing import PriceTable, UnknownPrice
from frontdesk.patterns.router_specialist import (
    RouterSpecialist,
    Services,
    TurnContext,
    TurnState,
    compile_router_specialist,
)
from frontdesk.reply import Reply
from frontdesk.routing import CascadeRouter, EmbeddingRouter, RouteContext, RouteDecision, Router
from frontdesk.store import Store, StoredMessage, check_conversation_id, open_store
from frontdesk.tools import ToolContext

_NOT_META = frozenset({"reply", "conversation_id"})
RECURSION_LIMIT = 25
"""LangGraph super-steps per turn, set on every graph invocation; a turn takes at most four
(route, agent, escalate, end), so reaching it means a bug, not a long conversation."""


def graph_config(conversation_id: str) -> RunnableConfig:
    """The LangGraph config of one invocation: the conversation's checkpoint thread and an
    explicit recursion limit (the only place our code builds a `configurable` dict: it is
    LangGraph's API, not ours)."""
    return {"configurable": {"thread_id": conversation_id}, "recursion_limit": RECURSION_LIMIT}


class App:
    """A runnable multi-agent application.

    One message per conversation is processed at a time, also across processes sharing the
    store: a second message waits up to `lease_wait_s` seconds for the first, then raises
    `ConversationBusy`. A crashed process holds its conversations at most `lease_ttl_s` seconds.

    Every model call is priced with `prices` (default: the bundled table) and reserved against
    `budget` before it is made (docs/budgets.md); a model the table cannot price is refused
    here, with `UnknownPrice`, rather than at its first call. A specialist stopped by a budget
    hands the conversation to a human when `escalate_on_budget`.
    """

    def __init__(
        self,
        pattern: RouterSpecialist,
        *,
        name: str = "app",
        data_dir: Path,
        store: Store | str | None = None,
        model: str | Model | None = None,
        deps: Callable[[str], Any] | None = None,
        limits: Limits | None = None,
        max_message_chars: int = 4000,
        history_turns: int = 10,
        lease_ttl_s: float = DEFAULT_TTL_S,
        lease_wait_s: float = DEFAULT_WAIT_S,
        budget: Budget | None = None,
        prices: PriceTable | None = None,
        escalate_on_budget: bool = True,
    ) -> None:
        check_lease_times(lease_ttl_s, lease_wait_s)
        self.name = name
        self.pattern = pattern
        self.data_dir = data_dir
        self.limits = limits or Limits()
        self.budget = budget or Budget()
        self.prices = prices or PriceTable.load_default()
        self.escalate_on_budget = escalate_on_budget
        self.max_message_chars = max_message_chars
        self.history_turns = history_turns
        self.lease_ttl_s = lease_ttl_s
        self.lease_wait_s = lease_wait_s
        self._deps = deps
        if store is None:
            store = f"sqlite:///{data_dir / 'frontdesk.sqlite3'}"
        self.store = open_store(store) if isinstance(store, str) else store
        self.default_model = resolve_model(model) if model is not None else None
        # models built here from an id are ours to close; models passed in are the caller's
        self._owned_models: list[Model] = (
            [self.default_model] if isinstance(model, str) and self.default_model else []
        )
        # (who uses it, model) for every model fixed at construction, to check their prices
        self._configured: list[tuple[str, Model]] = []
        if self.default_model is not None:
            self._configured.append(("the app's default model", self.default_model))
        self._models = {s.name: self._model_factory(s) for s in pattern.specialists}
        self.router: Router = pattern.build_router(
            cache_dir=data_dir / "routers", model=self.default_model
        )
        self._check_prices()
        self._graph: CompiledStateGraph[TurnState, TurnContext, TurnState, TurnState] | None
        self._graph = None
        self._opened = False
        self._open_lock = asyncio.Lock()
        # the in-process queue in front of the store lease (no store polling among this
        # process's own coroutines); an entry lives while a turn holds or waits for it
        self._conversation_locks: weakref.WeakValueDictionary[str, asyncio.Lock]
        self._conversation_locks = weakref.WeakValueDictionary()
        self._runner: asyncio.Runner | None = None

    def _model_factory(self, specialist: Specialist) -> Callable[[ToolContext], Model]:
        if specialist.model is not None:
            fixed = resolve_model(specialist.model)
            if isinstance(specialist.model, str):
                self._owned_models.append(fixed)
            self._configured.append((f"specialist {specialist.name!r}", fixed))
            return lambda _ctx: fixed
        if self.default_model is not None:
            default = self.default_model
            return lambda _ctx: default
        if specialist.offline is not None:
            return specialist.offline
        raise ConfigError(
            f"specialist {specialist.name!r} has no model and no offline policy: set "
            f"FRONTDESK_MODEL (e.g. openai:gpt-4o-mini) or give it model= or offline="
        )

    def _check_prices(self) -> None:
        """Refuse, now, a configured model the price table cannot price (it would be refused at
        its first call; it is never priced at $0)."""
        users = list(self._configured)
        if isinstance(self.router, CascadeRouter):
            users.append(("the cascade router", self.router.model))
        for user, model in users:
            for inner in innermost_models(model):
                try:
                    self.prices.price(inner.id)
                except UnknownPrice as exc:
                    raise UnknownPrice(
                        f"{user} uses {inner.id}, which has no price: {exc}. For an app built "
                        f"from settings, FRONTDESK_PRICES can name a TOML price table that "
                        f"prices it (docs/costs.md, docs/budgets.md)",
                        model=inner.id,
                    ) from None

    @property
    def offline(self) -> bool:
        """True when no specialist uses a real model."""
        return self.default_model is None and all(s.model is None for s in self.pattern.specialists)

    async def open(self) -> None:
        """Open the store, train the router and compile the graph (idempotent)."""
        async with self._open_lock:
            if self._opened:
                return
            await self.store.open()
            try:
                local = self.router.local if isinstance(self.router, CascadeRouter) else self.router
                if isinstance(local, EmbeddingRouter) and not local.trained:
                    await asyncio.to_thread(local.train)
                services = Services(
                    router=self.router, store=self.store, models=self._models,
                    escalate_on_budget=self.escalate_on_budget,
                )  # fmt: skip
                self._graph = compile_router_specialist(
                    self.pattern, services, self.store.checkpointer()
                )
            except BaseException:
                await self.store.close()  # else its connection thread keeps the process alive
                raise
            self._opened = True

    async def close(self) -> None:
        for model in self._owned_models:
            await model.aclose()
        await self.store.close()
        self._opened = False

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def check_text(self, text: str) -> str:
        """The message, stripped; `InvalidInput` if empty or too long."""
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput("the message is empty: write what you need, e.g. 'I need an "
                               "appointment next week'")  # fmt: skip
        if len(text) > self.max_message_chars:
            raise InvalidInput(
                f"the message is {len(text)} characters, over the limit of "
                f"{self.max_message_chars}: shorten it or send it in parts"
            )
        return text.strip()

    async def respond(
        self,
        conversation_id: str,
        text: str,
        *,
        tenant: str = "default",
        budget: Budget | None = None,
    ) -> Reply:
        """Answer one user message in a conversation, holding its lease for the turn.

        `budget` overrides the app's for this request: each limit it sets replaces the app's
        (`math.inf` lifts one), the others stay. Raises `ConversationBusy` (storing nothing) if
        another message of the conversation is still being processed after `lease_wait_s`
        seconds."""
        check_conversation_id(conversation_id)
        text = self.check_text(text)
        await self.open()
        assert self._graph is not None
        lock = self._conversation_locks.get(conversation_id)
        if lock is None:
            lock = asyncio.Lock()
            self._conversation_locks[conversation_id] = lock
        lease = ConversationLease(
            self.store, conversation_id, ttl_s=self.lease_ttl_s, wait_s=self.lease_wait_s,
            lock=lock,
        )  # fmt: skip
        async with lease:
            return await self._turn(
                self._graph, conversation_id, text, tenant, self.budget.overridden(budget)
            )

    async def _turn(
        self,
        graph: CompiledStateGraph[TurnState, TurnContext, TurnState, TurnState],
        conversation_id: str,
        text: str,
        tenant: str,
        budget: Budget,
    ) -> Reply:
        started = time.perf_counter()
        trace_id = uuid.uuid4().hex
        previous = await self.store.history(conversation_id, limit=2 * self.history_turns)
        await self.store.append_message(
            conversation_id, "user", text, meta={"trace_id": trace_id}, tenant=tenant
        )
        deps = self._deps(conversation_id) if self._deps is not None else None
        request = RequestContext.new(
            conversation_id=conversation_id, tenant=tenant, trace_id=trace_id, budget=budget,
            limits=self.limits, prices=self.prices, store=self.store,
        )  # fmt: skip
        context = TurnContext(
            request=request,
            tool_context=ToolContext(conversation_id=conversation_id, deps=deps, tenant=tenant),
            history=_as_messages(previous),
            recent_user_texts=[m.text for m in previous if m.role == "user"][-3:],
        )
        try:
            state = await graph.ainvoke(
                {"text": text, "reply": None, "decision": None, "escalate": None},
                config=graph_config(conversation_id),
                context=context,
            )
        except Exception as exc:
            await request.ledger.flush()  # what a failed turn spent still counts
            # the user's message is kept; the history says the turn failed (then the bug surfaces)
            await self.store.append_message(
                conversation_id, "system", f"turn failed: {type(exc).__name__}",
                meta={"trace_id": trace_id, "error": type(exc).__name__}, tenant=tenant,
            )  # fmt: skip
            raise
        await request.ledger.flush()
        out: dict[str, Any] = state["reply"] or {}
        usage = request.ledger.usage
        reply = Reply(
            conversation_id=conversation_id,
            reply=out["reply"],
            agent=out["agent"],
            category=out.get("category"),
            confidence=float(out.get("confidence") or 0.0),
            action=out["action"],
            escalation_id=out.get("escalation_id"),
            trace_id=trace_id,
            usage=Usage(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens),
            cost_usd=request.ledger.spent_usd,
            stop_reason=out["stop_reason"],
            error=out.get("error"),
        )
        reply.latency_ms = (time.perf_counter() - started) * 1000
        await self.store.append_message(
            conversation_id,
            "assistant",
            reply.reply,
            agent=reply.agent,
            meta={k: v for k, v in reply.to_json().items() if k not in _NOT_META},
            tenant=tenant,
        )
        return reply

    async def route(self, text: str) -> RouteDecision:
        """The routing decision for one message, outside any conversation (nothing stored). A
        cascade's model call is priced and held to the app's per-request budget."""
        text = self.check_text(text)
        await self.open()
        request = RequestContext.new(
            budget=Budget(request_usd=self.budget.request_usd), limits=self.limits,
            prices=self.prices,
        )  # fmt: skip
        decision = await self.router.route(text, RouteContext(request=request))
        return self.pattern.apply_policies(decision, text)

    def respond_sync(
        self,
        conversation_id: str,
        text: str,
        *,
        tenant: str = "default",
        budget: Budget | None = None,
    ) -> Reply:
        """`respond` for code that is not async (one private event loop per app)."""
        if self._runner is None:
            self._runner = asyncio.Runner()
        return self._runner.run(self.respond(conversation_id, text, tenant=tenant, budget=budget))

    def close_sync(self) -> None:
        """Close an app used through `respond_sync`."""
        if self._runner is not None:
            self._runner.run(self.close())
            self._runner.close()
            self._runner = None


def _as_messages(history: list[StoredMessage]) -> list[Message]:
    """Stored user/assistant turns as model messages (operator replies count as assistant)."""
    messages: list[Message] = []
    for item in history:
        if item.role == "user":
            messages.append(UserMessage(text=item.text))
        elif item.role in ("assistant", "operator"):
            messages.append(AssistantMessage(parts=[TextPart(text=item.text)]))
    return messages
