"""The cost ledger: budgets in USD, enforced before each model call.

Every model call of a request goes through the request's `CostLedger` (the `Budgeted` model
wrapper does it): before the call it *reserves* the call's worst case (its prompt, estimated,
at the input price plus the longest answer allowed at the output price); after the call it
*settles* the reservation to what the call really cost. A reservation that does not fit a
budget raises `BudgetExceeded` and the call is not made, so a request never spends past its
budget by more than a provider's overrun of its own answer limit.

    ledger = CostLedger(Budget(request_usd=0.05), prices=PriceTable.load_default())
    held = await ledger.reserve(agent="billing", model="openai:gpt-4o-mini", usd=0.0016)
    response = await model.request(...)             # only if the reservation fitted
    held.settle(response.usage, cost_usd=0.0004)
    await ledger.flush()                            # persist the line item (with a store)

Budgets are checked per request, per conversation (across its requests, and across processes
sharing the store) and per tenant per UTC day; `limit_agent` adds one agent's share of the
request (a specialist's `budget_usd`) and a cap on its number of model calls. Reservations
held by calls in flight count against every budget, so concurrent calls of one request (a
debate's analysts) cannot jointly overspend it.

What a request spent is kept in memory as line items (`CostRecord`); with a store, `flush`
appends the ones that cost anything to its `fd_costs` table, where the conversation and daily
tenant totals are summed from. The totals of other requests are re-read before each
reservation when a conversation or tenant budget is set.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, fields, replace

from frontdesk.errors import BudgetExceeded, BudgetScope, ConfigError, LimitExceeded
from frontdesk.messages import Usage
from frontdesk.models.pricing import PriceTable
from frontdesk.store.base import CostRecord, CostTotals, Store, utc_day

_TOLERANCE_USD = 1e-12
"""Float slack when comparing sums of USD amounts with a limit (an exact fit must fit)."""


@dataclass(kw_only=True, slots=True, frozen=True)
class Budget:
    """Spending limits in USD; None means no limit of that kind.

    `request_usd` bounds one request (one user message and everything it sets off),
    `conversation_usd` a conversation over all its requests, and `tenant_daily_usd` one
    tenant's spending on one UTC day. `math.inf` is allowed, to lift a limit in an override.
    """

    request_usd: float | None = None
    conversation_usd: float | None = None
    tenant_daily_usd: float | None = None

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
                raise ConfigError(
                    f"Budget.{item.name} must be a number of USD >= 0 (or None for no limit), "
                    f"got {value!r}"
                )

    def overridden(self, override: Budget | None) -> Budget:
        """This budget with every limit that `override` sets taking the place of ours (the
        limits it leaves at None stay ours)."""
        if override is None:
            return self
        changes = {
            item.name: getattr(override, item.name)
            for item in fields(override)
            if getattr(override, item.name) is not None
        }
        return replace(self, **changes)

    @property
    def spans_requests(self) -> bool:
        """True when a limit counts what other requests spent (conversation or tenant)."""
        return self.conversation_usd is not None or self.tenant_daily_usd is not None


@dataclass(kw_only=True, slots=True, frozen=True)
class AgentLimits:
    """One agent's share of a request: at most `max_usd` and `max_calls` model calls."""

    max_usd: float | None = None
    max_calls: int | None = None


class Reservation:
    """Money held for one model call in flight. Settle it exactly once, with `settle`."""

    __slots__ = ("_ledger", "_settled", "agent", "attempt", "model", "usd")

    def __init__(
        self, ledger: CostLedger, *, agent: str, model: str, usd: float, attempt: int
    ) -> None:
        self._ledger = ledger
        self._settled = False
        self.agent = agent
        self.model = model
        self.usd = usd
        self.attempt = attempt

    @property
    def settled(self) -> bool:
        return self._settled

    def settle(self, usage: Usage, *, cost_usd: float, error: str | None = None) -> CostRecord:
        """Release the hold and record what the call cost (`cost_usd`, for `usage`) as a line
        item; `error` names what a failed call failed with. Returns the line item."""
        if self._settled:
            raise RuntimeError(f"the reservation for {self.agent}'s call was settled twice")
        if not (cost_usd >= 0 and math.isfinite(cost_usd)):
            raise ValueError(f"cost_usd must be a finite number >= 0, got {cost_usd!r}")
        self._settled = True
        return self._ledger._settle(self, usage, cost_usd, error)


class CostLedger:
    """The costs of one request, checked against its `Budget` before every model call.

    `prices` is the request's price table (`Budgeted` prices calls with it); `store`, when
    given, persists the line items and supplies what the conversation and the tenant spent in
    other requests. `conversation_id`, `tenant` and `trace_id` identify the request in the
    stored line items. Safe to share between the coroutines (and threads) of one request.
    """

    def __init__(
        self,
        budget: Budget | None = None,
        *,
        prices: PriceTable | None = None,
        store: Store | None = None,
        conversation_id: str = "",
        tenant: str = "default",
        trace_id: str = "",
    ) -> None:
        self.budget = budget or Budget()
        self.prices = prices or PriceTable.load_default()
        self.store = store
        self.conversation_id = conversation_id
        self.tenant = tenant
        self.trace_id = trace_id
        self.items: list[CostRecord] = []
        """The settled line items, in the order they were settled."""
        self._lock = threading.Lock()
        self._open: dict[int, Reservation] = {}
        self._agents: dict[str, AgentLimits] = {}
        self._calls: Counter[str] = Counter()
        self._others = CostTotals()
        self._others_day = ""
        self._flushed = 0

    # ---- what was spent ----

    @property
    def spent_usd(self) -> float:
        """USD settled so far in this request."""
        with self._lock:
            return math.fsum(item.cost_usd for item in self.items)

    @property
    def reserved_usd(self) -> float:
        """USD held by calls in flight."""
        with self._lock:
            return math.fsum(r.usd for r in self._open.values())

    @property
    def usage(self) -> Usage:
        """Tokens of every settled call, failed attempts included; `requests` counts them."""
        with self._lock:
            items = list(self.items)
        return Usage(
            input_tokens=sum(i.input_tokens for i in items),
            output_tokens=sum(i.output_tokens for i in items),
            cached_input_tokens=sum(i.cached_input_tokens for i in items),
            requests=len(items),
        )

    @property
    def calls(self) -> int:
        """Model calls reserved so far (each attempt of a retried call counts)."""
        with self._lock:
            return sum(self._calls.values())

    def spent_by(self, agent: str) -> float:
        """USD settled so far by `agent`'s calls."""
        with self._lock:
            return math.fsum(i.cost_usd for i in self.items if i.agent == agent)

    def calls_by(self, agent: str) -> int:
        """Model calls reserved so far by `agent`."""
        with self._lock:
            return self._calls[agent]

    # ---- limits ----

    def limit_agent(
        self, agent: str, *, max_usd: float | None = None, max_calls: int | None = None
    ) -> None:
        """Cap `agent`'s calls in this request at `max_usd` and `max_calls` (None: only the
        request's budget applies). Replaces the agent's previous caps."""
        if max_usd is not None and not max_usd >= 0:
            raise ConfigError(f"the budget of {agent!r} must be >= 0 USD, got {max_usd!r}")
        if max_calls is not None and max_calls < 1:
            raise ConfigError(f"max_calls of {agent!r} must be at least 1, got {max_calls!r}")
        with self._lock:
            self._agents[agent] = AgentLimits(max_usd=max_usd, max_calls=max_calls)

    async def reserve(self, *, agent: str, model: str, usd: float, attempt: int = 1) -> Reservation:
        """Hold `usd` (the call's worst case) for one call of `agent` to `model`, or raise
        `BudgetExceeded` (the call must not be made) if that would pass a budget, or
        `LimitExceeded` if the agent has made its `max_calls`. A free call (`usd == 0`)
        passes every budget, but counts as a call."""
        if not (usd >= 0 and math.isfinite(usd)):
            raise ValueError(f"a reservation must be a finite number of USD >= 0, got {usd!r}")
        if self.store is not None and self.budget.spans_requests:
            await self.refresh()
        # no await from here on: the check and the hold are one step for every coroutine
        with self._lock:
            caps = self._agents.get(agent, AgentLimits())
            if caps.max_calls is not None and self._calls[agent] >= caps.max_calls:
                raise LimitExceeded(
                    f"{agent} reached its limit of {caps.max_calls} model calls "
                    f"(max_model_calls); the call to {model} was not made",
                    limit="max_model_calls",
                    value=caps.max_calls,
                    agent=agent,
                )
            if usd > 0:
                self._check(agent, model, usd, caps)
            held = Reservation(self, agent=agent, model=model, usd=usd, attempt=attempt)
            self._open[id(held)] = held
            self._calls[agent] += 1
            return held

    def _check(self, agent: str, model: str, usd: float, caps: AgentLimits) -> None:
        """Raise `BudgetExceeded` for the first budget `usd` more would pass (lock held)."""
        spent = math.fsum(i.cost_usd for i in self.items)
        reserved = math.fsum(r.usd for r in self._open.values())
        agent_spent = math.fsum(i.cost_usd for i in self.items if i.agent == agent)
        agent_reserved = math.fsum(r.usd for r in self._open.values() if r.agent == agent)
        checks: list[tuple[BudgetScope, float | None, float, float, str]] = [
            ("agent", caps.max_usd, agent_spent, agent_reserved, f"{agent}'s budget"),
            ("request", self.budget.request_usd, spent, reserved, "the request budget"),
            (
                "conversation",
                self.budget.conversation_usd,
                self._others.conversation_usd + spent,
                reserved,
                f"the budget of conversation {self.conversation_id!r}",
            ),
            (
                "tenant_daily",
                self.budget.tenant_daily_usd,
                self._others.tenant_day_usd + spent,
                reserved,
                f"the daily budget of tenant {self.tenant!r} ({self._others_day or 'today'} UTC)",
            ),
        ]
        for scope, limit, already, held, name in checks:
            if limit is None or already + held + usd <= limit + _TOLERANCE_USD:
                continue
            raise BudgetExceeded(
                f"{name} of {_usd(limit)} would be exceeded: {agent}'s call to {model} may cost "
                f"up to {_usd(usd)}, with {_usd(already)} spent and {_usd(held)} reserved by "
                f"calls in flight; the call was not made",
                scope=scope,
                limit_usd=limit,
                spent_usd=already,
                reserved_usd=held,
                requested_usd=usd,
                agent=agent,
                model=model,
            )

    def _settle(
        self, held: Reservation, usage: Usage, cost_usd: float, error: str | None
    ) -> CostRecord:
        record = CostRecord(
            conversation_id=self.conversation_id,
            tenant=self.tenant,
            trace_id=self.trace_id,
            agent=held.agent,
            model=held.model,
            attempt=held.attempt,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cached_input_tokens=usage.cached_input_tokens,
            cost_usd=cost_usd,
            error=error,
        )
        with self._lock:
            self._open.pop(id(held), None)
            self.items.append(record)
        return record

    # ---- the store ----

    async def refresh(self) -> None:
        """Re-read what the conversation and the tenant (today, UTC) spent in other requests."""
        if self.store is None:
            return
        day = utc_day(time.time())
        totals = await self.store.cost_totals(
            conversation_id=self.conversation_id,
            tenant=self.tenant,
            day=day,
            excluding_trace=self.trace_id,
        )
        with self._lock:
            self._others, self._others_day = totals, day

    async def flush(self) -> None:
        """Append the line items settled since the last flush that cost anything to the store
        (a no-op without one). Safe to repeat after an interruption: the store skips items it
        already holds."""
        if self.store is None:
            return
        with self._lock:
            upto = len(self.items)
            pending = [i for i in self.items[self._flushed : upto] if i.cost_usd > 0]
        if pending:
            await self.store.record_costs(pending)
        with self._lock:
            self._flushed = max(self._flushed, upto)


def _usd(amount: float) -> str:
    """Dollars as a person reads them: to the hundredth of a cent, or to the micro-dollar below
    a cent."""
    if amount == 0:
        return "$0"
    return f"${amount:.6f}" if amount < 0.01 else f"${amount:.4f}"
