"""The cost ledger: reservations against every budget, settling, agent caps, and the totals
that span requests, kept in a real store (each test with a store runs on every backend)."""

from __future__ import annotations

import asyncio
import math

import pytest

from frontdesk.errors import BudgetExceeded, ConfigError, LimitExceeded
from frontdesk.guards import Budget, CostLedger
from frontdesk.messages import Usage
from frontdesk.store import Store, open_store

MODEL = "openai:gpt-4o-mini"


async def test_a_reservation_that_does_not_fit_is_refused_and_says_why() -> None:
    ledger = CostLedger(Budget(request_usd=0.01))
    first = await ledger.reserve(agent="billing", model=MODEL, usd=0.006)
    with pytest.raises(BudgetExceeded) as refused:
        await ledger.reserve(agent="billing", model=MODEL, usd=0.005)
    error = refused.value
    assert (error.scope, error.limit_usd, error.spent_usd) == ("request", 0.01, 0.0)
    assert (error.reserved_usd, error.requested_usd) == (0.006, 0.005)
    assert (error.agent, error.model) == ("billing", MODEL)
    assert str(error) == (
        "the request budget of $0.0100 would be exceeded: billing's call to "
        "openai:gpt-4o-mini may cost up to $0.005000, with $0 spent and $0.006000 "
        "reserved by calls in flight; the call was not made"
    )
    assert ledger.reserved_usd == pytest.approx(0.006)
    # settled below its worst case, the first call leaves room for the second
    first.settle(Usage(input_tokens=900, output_tokens=100), cost_usd=0.002)
    second = await ledger.reserve(agent="billing", model=MODEL, usd=0.005)
    second.settle(Usage(input_tokens=10, output_tokens=1), cost_usd=0.001)
    assert ledger.spent_usd == pytest.approx(0.003)
    assert ledger.reserved_usd == 0.0
    assert ledger.usage == Usage(input_tokens=910, output_tokens=101, requests=2)
    assert [i.cost_usd for i in ledger.items] == [0.002, 0.001]
    assert ledger.calls == 2


async def test_an_exact_fit_fits_and_free_calls_always_pass() -> None:
    ledger = CostLedger(Budget(request_usd=0.3))
    (await ledger.reserve(agent="a", model=MODEL, usd=0.1)).settle(Usage(), cost_usd=0.1)
    (await ledger.reserve(agent="a", model=MODEL, usd=0.2)).settle(Usage(), cost_usd=0.2)
    with pytest.raises(BudgetExceeded):
        await ledger.reserve(agent="a", model=MODEL, usd=1e-6)
    free = await ledger.reserve(agent="a", model="offline:planner", usd=0.0)
    free.settle(Usage(requests=1), cost_usd=0.0)
    assert ledger.spent_usd == pytest.approx(0.3)


async def test_concurrent_reservations_never_jointly_overspend() -> None:
    ledger = CostLedger(Budget(request_usd=0.01))

    async def analyst(n: int) -> bool:
        try:
            held = await ledger.reserve(agent=f"analyst-{n}", model=MODEL, usd=0.003)
        except BudgetExceeded:
            return False
        await asyncio.sleep(0.01)  # the call, in flight
        held.settle(Usage(), cost_usd=0.003)
        return True

    made = await asyncio.gather(*(analyst(n) for n in range(10)))
    assert sum(made) == 3
    assert ledger.spent_usd == pytest.approx(0.009)
    assert ledger.spent_usd <= 0.01


async def test_an_agent_has_its_own_share_and_call_limit() -> None:
    ledger = CostLedger(Budget(request_usd=1.0))
    ledger.limit_agent("billing", max_usd=0.004, max_calls=3)
    (await ledger.reserve(agent="billing", model=MODEL, usd=0.003)).settle(Usage(), cost_usd=0.003)
    with pytest.raises(BudgetExceeded) as refused:
        await ledger.reserve(agent="billing", model=MODEL, usd=0.002)
    assert refused.value.scope == "agent"
    assert "billing's budget of $0.004000" in str(refused.value)
    # another agent only meets the request's budget
    (await ledger.reserve(agent="general", model=MODEL, usd=0.5)).settle(Usage(), cost_usd=0.1)
    (await ledger.reserve(agent="billing", model=MODEL, usd=0.0)).settle(Usage(), cost_usd=0.0)
    (await ledger.reserve(agent="billing", model=MODEL, usd=0.0)).settle(Usage(), cost_usd=0.0)
    with pytest.raises(LimitExceeded) as stopped:
        await ledger.reserve(agent="billing", model=MODEL, usd=0.0)
    assert not isinstance(stopped.value, BudgetExceeded)
    assert (stopped.value.limit, stopped.value.value, stopped.value.agent) == (
        "max_model_calls", 3, "billing",
    )  # fmt: skip
    assert "billing reached its limit of 3 model calls" in str(stopped.value)
    assert (ledger.calls_by("billing"), ledger.spent_by("billing")) == (3, pytest.approx(0.003))


async def test_a_reservation_settles_once() -> None:
    ledger = CostLedger()
    held = await ledger.reserve(agent="a", model=MODEL, usd=0.01)
    record = held.settle(Usage(output_tokens=3), cost_usd=0.004, error=None)
    assert (record.agent, record.model, record.attempt, record.output_tokens) == ("a", MODEL, 1, 3)
    with pytest.raises(RuntimeError, match="settled twice"):
        held.settle(Usage(), cost_usd=0.0)
    with pytest.raises(ValueError, match="finite"):
        await ledger.reserve(agent="a", model=MODEL, usd=math.nan)


@pytest.mark.parametrize("value", [-0.01, math.nan, "1", True])
def test_a_bad_budget_is_a_config_error(value: object) -> None:
    with pytest.raises(ConfigError, match="request_usd must be a number of USD >= 0"):
        Budget(request_usd=value)  # type: ignore[arg-type]


def test_an_override_replaces_only_the_limits_it_sets() -> None:
    app = Budget(request_usd=0.5, conversation_usd=5.0)
    assert app.overridden(None) is app
    assert app.overridden(Budget(request_usd=0.05)) == Budget(
        request_usd=0.05, conversation_usd=5.0
    )
    assert app.overridden(Budget(conversation_usd=math.inf)).conversation_usd == math.inf
    assert not Budget(request_usd=1).spans_requests
    assert Budget(tenant_daily_usd=1).spans_requests


def _ledger(store: Store, conversation: str, trace: str, tenant: str, budget: Budget) -> CostLedger:
    return CostLedger(
        budget, store=store, conversation_id=conversation, tenant=tenant, trace_id=trace
    )


async def test_a_conversation_budget_holds_across_requests_and_store_instances(
    store: Store, store_url: str
) -> None:
    budget = Budget(conversation_usd=0.01)
    first = _ledger(store, "c1", "t1", "acme", budget)
    held = await first.reserve(agent="billing", model=MODEL, usd=0.008)
    held.settle(Usage(input_tokens=5000, output_tokens=500), cost_usd=0.006)
    await first.flush()
    # the next request of the conversation, served by another process's store connection
    async with open_store(store_url) as other:
        second = _ledger(other, "c1", "t2", "acme", budget)
        with pytest.raises(BudgetExceeded) as refused:
            await second.reserve(agent="billing", model=MODEL, usd=0.005)
        assert (refused.value.scope, refused.value.spent_usd) == ("conversation", 0.006)
        assert "the budget of conversation 'c1' of $0.0100" in str(refused.value)
        fits = await second.reserve(agent="billing", model=MODEL, usd=0.004)
        fits.settle(Usage(), cost_usd=0.001)
        await second.flush()
        # another conversation is not affected
        third = _ledger(other, "c2", "t3", "acme", budget)
        (await third.reserve(agent="billing", model=MODEL, usd=0.009)).settle(Usage(), cost_usd=0.0)
    assert [(c.trace_id, c.cost_usd) for c in await store.costs("c1")] == [
        ("t1", 0.006), ("t2", 0.001),
    ]  # fmt: skip


async def test_a_tenant_daily_budget_rolls_up_every_conversation(store: Store) -> None:
    budget = Budget(tenant_daily_usd=0.02)
    for n in range(3):
        ledger = _ledger(store, f"c{n}", f"t{n}", "acme", budget)
        (await ledger.reserve(agent="a", model=MODEL, usd=0.006)).settle(Usage(), cost_usd=0.006)
        await ledger.flush()
    late = _ledger(store, "c9", "t9", "acme", budget)
    with pytest.raises(BudgetExceeded) as refused:
        await late.reserve(agent="a", model=MODEL, usd=0.003)
    assert refused.value.scope == "tenant_daily"
    assert refused.value.spent_usd == pytest.approx(0.018)
    assert "the daily budget of tenant 'acme'" in str(refused.value)
    other_tenant = _ledger(store, "c9", "t10", "globex", budget)
    (await other_tenant.reserve(agent="a", model=MODEL, usd=0.003)).settle(Usage(), cost_usd=0)


async def test_flush_persists_what_cost_something_once(store: Store) -> None:
    ledger = _ledger(store, "c1", "t1", "acme", Budget())
    (await ledger.reserve(agent="a", model=MODEL, usd=0.01)).settle(Usage(), cost_usd=0.002)
    (await ledger.reserve(agent="a", model="offline:x", usd=0.0)).settle(Usage(), cost_usd=0.0)
    await ledger.flush()
    await ledger.flush()
    (await ledger.reserve(agent="a", model=MODEL, usd=0.01)).settle(Usage(), cost_usd=0.003)
    await ledger.flush()
    assert [c.cost_usd for c in await store.costs("c1")] == [0.002, 0.003]
    assert len(ledger.items) == 3
