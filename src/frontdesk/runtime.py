"""The runtime: `App.respond(conversation_id, text) -> Reply`.

An `App` owns the store, the trained router and the compiled graph of its pattern. Every request
gets a fresh `TurnContext` and `RequestContext`, whose cost ledger meters every model call of the
request against the app's `Budget` (or the one passed to `respond`); the only state that
outlives a request lives in the store, keyed by conversation id, costs included. Concurrent
messages to one conversation are serialised by a lease in the store, also across processes
sharing it (`frontdesk.guards.lease`).

Escalation (docs/escalation.md): while a conversation has an open or claimed ticket, `respond`
passes the user's messages to the operator instead of the bot; operators `claim`,
`operator_reply` and `resolve` (handing the conversation back to the bot, or not), and
`sweep_sla` requeues overdue tickets.

    app = App(RouterSpecialist([...]), data_dir=Path("data"))
    reply = await app.respond("conv-42", "I was charged twice")
    reply = app.respond_sync("conv-42", "and when is my next appointment?")  # outside async code
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from frontdesk.agents import Specialist
from frontdesk.context import RequestContext
from frontdesk.errors import (
    ConfigError,
    ConversationBusy,
    EscalationConflict,
    InvalidInput,
    NotFound,
)
from frontdesk.guards.budget import Budget
from frontdesk.guards.lease import (
    DEFAULT_TTL_S,
    DEFAULT_WAIT_S,
    ConversationLease,
    check_lease_times,
)
from frontdesk.guards.limits import Limits
from frontdesk.handoff import (
    STILL_WAITING,
    destination,
    forward_to_human,
    handback_value,
    resolution_note,
)
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
from frontdesk.store import (
    Escalation,
    Store,
    StoredMessage,
    check_conversation_id,
    open_store,
)
from frontdesk.telemetry.routing import TracedRouter
from frontdesk.telemetry.tracing import RequestSpan, Telemetry
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
        telemetry: Telemetry | None = None,
    ) -> None:
        check_lease_times(lease_ttl_s, lease_wait_s)
        self.name = name
        self.pattern = pattern
        self.data_dir = data_dir
        self.limits = limits or Limits()
        self.budget = budget or Budget()
        self.prices = prices or PriceTable.load_default()
        self.escalate_on_budget = escalate_on_budget
        self.telemetry = telemetry or Telemetry()
        """Traces, metrics and the dashboard's recent requests (docs/observability.md)."""
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
                if isinstance(local, EmbeddingRouter):
                    if not local.trained:
                        await asyncio.to_thread(local.train)
                    # in a worker thread: loading the encoder takes seconds, and on the first
                    # message it would stall every other request of the process meanwhile
                    await asyncio.to_thread(local.warm_up)
                if self.pattern.safety is not None:
                    await asyncio.to_thread(self.pattern.safety.warm_up)
                services = Services(
                    router=TracedRouter(self.router), store=self.store, models=self._models,
                    escalate_on_budget=self.escalate_on_budget,
                    safety_model=self.default_model,
                )  # fmt: skip
                self._graph = compile_router_specialist(
                    self.pattern, services, self.store.checkpointer()
                )
            except BaseException:
                await self.store.close()  # else its connection thread keeps the process alive
                raise
            self._opened = True

    async def close(self) -> None:
        self.telemetry.flush()
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
        traceparent: str | None = None,
    ) -> Reply:
        """Answer one user message in a conversation, holding its lease for the turn.

        `budget` overrides the app's for this request: each limit it sets replaces the app's
        (`math.inf` lifts one), the others stay. Raises `ConversationBusy` (storing nothing) if
        another message of the conversation is still being processed after `lease_wait_s`
        seconds. `traceparent` (a W3C trace-context header) makes the request's trace a child
        of the caller's; the reply's `trace_id` is the trace's id either way.

        While the conversation has an open or claimed escalation ticket, the message is stored
        for the operator and the reply is a receipt (`agent="human"`, `action="escalate"`,
        `stop_reason="escalated"`): no bot turn, no model call (docs/escalation.md)."""
        check_conversation_id(conversation_id)
        text = self.check_text(text)
        await self.open()
        assert self._graph is not None
        with self.telemetry.request_span(
            app=self.name, conversation_id=conversation_id, tenant=tenant,
            traceparent=traceparent,
        ) as root:  # fmt: skip
            async with self._lease(conversation_id):
                to = await destination(self.store, conversation_id, self.pattern.escalation)
                if to.human is not None:  # a person has the conversation: no bot turn
                    forwarded = await forward_to_human(
                        self.store, to.human, text, tenant=tenant, trace_id=root.trace_id,
                        new=to.new,
                    )  # fmt: skip
                    root.set_reply(forwarded)
                    return forwarded
                if to.last is not None:
                    await self._resume(self._graph, conversation_id, tenant)
                return await self._turn(
                    self._graph, conversation_id, text, tenant, self.budget.overridden(budget),
                    root,
                )  # fmt: skip

    def _lease(self, conversation_id: str) -> ConversationLease:
        """The conversation's lease (with this process's queue in front of it)."""
        lock = self._conversation_locks.get(conversation_id)
        if lock is None:
            lock = asyncio.Lock()
            self._conversation_locks[conversation_id] = lock
        return ConversationLease(
            self.store, conversation_id, ttl_s=self.lease_ttl_s, wait_s=self.lease_wait_s,
            lock=lock,
        )  # fmt: skip

    async def _resume(
        self,
        graph: CompiledStateGraph[TurnState, TurnContext, TurnState, TurnState],
        conversation_id: str,
        tenant: str,
    ) -> None:
        """Resume the graph if it is paused on a ticket that has been resolved: the hand-back.
        `resolve` does it at once; this also catches a resolution made elsewhere (another
        process that stopped before resuming, an admin through the store). The `escalate` node
        then finishes, clearing the pending clarification and the count in a row."""
        config = graph_config(conversation_id)
        snapshot = await graph.aget_state(config)
        for paused in snapshot.interrupts:
            value = paused.value if isinstance(paused.value, dict) else {}
            ticket = await self.store.get_escalation(str(value.get("escalation_id")))
            if ticket is not None and ticket.status != "resolved":
                continue
            resolution = handback_value(ticket) if ticket is not None else {"resume_bot": True}
            request = RequestContext.new(
                conversation_id=conversation_id, tenant=tenant, budget=self.budget,
                limits=self.limits, prices=self.prices, store=self.store,
            )  # fmt: skip
            context = TurnContext(
                request=request,
                tool_context=ToolContext(conversation_id=conversation_id, tenant=tenant),
            )
            await graph.ainvoke(Command(resume=resolution), config=config, context=context)
            return

    async def _turn(
        self,
        graph: CompiledStateGraph[TurnState, TurnContext, TurnState, TurnState],
        conversation_id: str,
        text: str,
        tenant: str,
        budget: Budget,
        root: RequestSpan,
    ) -> Reply:
        started = time.perf_counter()
        trace_id = root.trace_id  # the OTel trace's id (the caller's, with a traceparent)
        previous = await self.store.history(conversation_id, limit=2 * self.history_turns)
        await self.store.append_message(
            conversation_id, "user", text, meta={"trace_id": trace_id}, tenant=tenant
        )
        deps = self._deps(conversation_id) if self._deps is not None else None
        request = RequestContext.new(
            conversation_id=conversation_id, tenant=tenant, trace_id=trace_id, budget=budget,
            limits=self.limits, prices=self.prices, store=self.store, telemetry=self.telemetry,
        )  # fmt: skip
        context = TurnContext(
            request=request,
            tool_context=ToolContext(conversation_id=conversation_id, deps=deps, tenant=tenant),
            history=_as_messages(previous),
            recent_user_texts=[m.text for m in previous if m.role == "user"][-3:],
        )
        root.track(request, context.decisions)
        try:
            state = await graph.ainvoke(
                {"text": text, "reply": None, "decision": None, "escalate": None,
                 "trace_id": trace_id},
                config=graph_config(conversation_id),
                context=context,
            )  # fmt: skip
        except Exception as exc:
            await request.ledger.flush()  # what a failed turn spent still counts
            # the user's message is kept; the history says the turn failed (then the bug surfaces)
            await self.store.append_message(
                conversation_id, "system", f"turn failed: {type(exc).__name__}",
                meta={"trace_id": trace_id, "error": type(exc).__name__}, tenant=tenant,
            )  # fmt: skip
            raise
        await request.ledger.flush()
        paused = state.get("__interrupt__")
        # an escalation pauses the graph until `resolve`; its reply rides on the interrupt
        out: dict[str, Any] = paused[0].value["reply"] if paused else (state["reply"] or {})
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
        root.set_reply(reply, escalation_reason=out.get("escalation_reason"))
        await self.store.append_message(
            conversation_id,
            "assistant",
            reply.reply,
            agent=reply.agent,
            meta={k: v for k, v in reply.to_json().items() if k not in _NOT_META},
            tenant=tenant,
        )
        return reply

    async def history(self, conversation_id: str) -> list[StoredMessage]:
        """Every stored message of a conversation, in order: the user's, the bot's, the
        operators' (`role="operator"`, `agent` = the operator) and system notes."""
        check_conversation_id(conversation_id)
        await self.open()
        return await self.store.history(conversation_id)

    async def claim(self, escalation_id: str, operator: str) -> Escalation:
        """Take an open ticket for `operator`. Of concurrent claimers (in any process) exactly
        one succeeds; the others get `EscalationConflict`. `NotFound` for an unknown id."""
        operator = _check_operator(operator)
        await self.open()
        ticket = await self.store.claim_escalation(escalation_id, operator)
        if ticket is None:
            raise await self._refused(escalation_id, "claim")
        return ticket

    async def operator_reply(self, escalation_id: str, operator: str, text: str) -> StoredMessage:
        """Post `operator`'s reply in the ticket's conversation (`role="operator"`). The
        operator must hold the ticket (`claim` first): else `EscalationConflict`."""
        operator = _check_operator(operator)
        text = self.check_text(text)
        await self.open()
        ticket = await self._ticket(escalation_id)
        async with self._lease(ticket.conversation_id):
            ticket = await self._ticket(escalation_id)  # it may have changed while we waited
            if ticket.status != "claimed" or ticket.claimed_by != operator:
                raise await self._refused(escalation_id, "reply to")
            tenant = await self.store.conversation_tenant(ticket.conversation_id)
            return await self.store.append_message(
                ticket.conversation_id, "operator", text, agent=operator,
                meta={"escalation_id": ticket.id}, tenant=tenant or "default",
            )  # fmt: skip

    async def resolve(self, escalation_id: str, operator: str, *, resume_bot: bool) -> Escalation:
        """Close a ticket `operator` holds (an admin, `operator="*"`, closes any unresolved
        one). `resume_bot=True` hands the conversation back: the graph resumes and the bot
        answers the next message, seeing the whole history, the operator's replies included.
        `resume_bot=False` keeps it with people: the next user message opens a `follow_up`
        ticket. `EscalationConflict` if `operator` may not resolve it, `NotFound` if unknown."""
        operator = _check_operator(operator)
        await self.open()
        assert self._graph is not None
        ticket = await self._ticket(escalation_id)
        async with self._lease(ticket.conversation_id):
            resolved = await self.store.resolve_escalation(
                escalation_id, operator, resume_bot=resume_bot
            )
            if resolved is None:
                raise await self._refused(escalation_id, "resolve")
            tenant = await self.store.conversation_tenant(resolved.conversation_id) or "default"
            await self.store.append_message(
                resolved.conversation_id, "system", resolution_note(resolved, operator),
                agent="escalation", tenant=tenant,
                meta={"escalation_id": resolved.id, "event": "resolved", "operator": operator,
                      "resume_bot": resume_bot},
            )  # fmt: skip
            await self._resume(self._graph, resolved.conversation_id, tenant)
        return resolved

    async def sweep_sla(self, now: float | None = None) -> list[Escalation]:
        """Apply the SLA rule (`EscalationRules.sla`, docs/escalation.md) at `now` (default:
        the current time): overdue tickets get their priority raised and a new deadline, and
        their users a "still waiting" message (skipped for a conversation busy beyond
        `lease_wait_s`; the ticket is requeued regardless). Returns the requeued tickets. Safe
        to run from several processes at once: each ticket is requeued by one of them."""
        await self.open()
        now = time.time() if now is None else now
        tickets = await self.store.requeue_overdue(now, sla=self.pattern.escalation.sla)
        for ticket in tickets:
            conversation_id = ticket.conversation_id
            try:
                async with self._lease(conversation_id):
                    tenant = await self.store.conversation_tenant(conversation_id)
                    await self.store.append_message(
                        conversation_id, "assistant", STILL_WAITING, agent="escalation",
                        tenant=tenant or "default",
                        meta={"escalation_id": ticket.id, "event": "sla_requeued",
                              "priority": ticket.priority},
                    )  # fmt: skip
            except ConversationBusy:
                continue
        return tickets

    async def _ticket(self, escalation_id: str) -> Escalation:
        ticket = await self.store.get_escalation(escalation_id)
        if ticket is None:
            raise NotFound(
                f"no escalation {escalation_id[:80]!r}: list the queue for valid ids",
                kind="escalation", id=escalation_id,
            )  # fmt: skip
        return ticket

    async def _refused(self, escalation_id: str, action: str) -> EscalationConflict:
        """The error for an action the ticket's state does not allow (`NotFound` raised for an
        unknown id)."""
        ticket = await self._ticket(escalation_id)
        if ticket.status == "resolved":
            state = "it is resolved already"
        elif ticket.status == "claimed":
            state = f"it is claimed by {ticket.claimed_by}"
        else:
            state = "it is open: claim it first"
        return EscalationConflict(
            f"cannot {action} escalation {escalation_id}: {state}",
            escalation_id=escalation_id, status=ticket.status, claimed_by=ticket.claimed_by,
        )  # fmt: skip

    async def route(self, text: str) -> RouteDecision:
        """The routing decision for one message, outside any conversation (nothing stored). A
        cascade's model call is priced and held to the app's per-request budget."""
        text = self.check_text(text)
        await self.open()
        request = RequestContext.new(
            budget=Budget(request_usd=self.budget.request_usd), limits=self.limits,
            prices=self.prices,
        )  # fmt: skip
        verdict = await self.pattern.screen(text, request=request, model=self.default_model)
        decision = await self.router.route(text, RouteContext(request=request))
        return self.pattern.apply_safety(self.pattern.apply_policies(decision, text), verdict)

    def respond_sync(
        self,
        conversation_id: str,
        text: str,
        *,
        tenant: str = "default",
        budget: Budget | None = None,
        traceparent: str | None = None,
    ) -> Reply:
        """`respond` for code that is not async (one private event loop per app)."""
        if self._runner is None:
            self._runner = asyncio.Runner()
        return self._runner.run(
            self.respond(
                conversation_id, text, tenant=tenant, budget=budget, traceparent=traceparent
            )
        )

    def close_sync(self) -> None:
        """Close an app used through `respond_sync`."""
        if self._runner is not None:
            self._runner.run(self.close())
            self._runner.close()
            self._runner = None


def _check_operator(operator: str) -> str:
    if not isinstance(operator, str) or not operator.strip() or len(operator) > 200:
        raise InvalidInput(
            f"invalid operator {str(operator)[:80]!r}: give the operator's name or key id "
            f"(1-200 characters)"
        )
    return operator.strip()


def _as_messages(history: list[StoredMessage]) -> list[Message]:
    """Stored user/assistant turns as model messages (operator replies count as assistant)."""
    messages: list[Message] = []
    for item in history:
        if item.role == "user":
            messages.append(UserMessage(text=item.text))
        elif item.role in ("assistant", "operator"):
            messages.append(AssistantMessage(parts=[TextPart(text=item.text)]))
    return messages
