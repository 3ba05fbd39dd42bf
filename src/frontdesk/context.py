"""`RequestContext`: what every stage of one request shares, passed explicitly.

A request is one user message and everything it sets off: the router, a specialist's tool loop,
its guardrails (and, later, pipeline stages and debate analysts). Each stage that calls a model
gets the request's context and meters its model through it, so one ledger sees every call:

    request = RequestContext.new(conversation_id="c1", budget=Budget(request_usd=0.05))
    model = request.budgeted(app_model, agent="billing")
    ... await model.request(...) ...
    request.ledger.spent_usd, request.ledger.usage
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from frontdesk.guards.budget import Budget, CostLedger
from frontdesk.guards.limits import Limits
from frontdesk.models.base import Model
from frontdesk.models.budgeted import budgeted
from frontdesk.models.instrumented import instrumented
from frontdesk.models.pricing import PriceTable
from frontdesk.store.base import Store
from frontdesk.telemetry.tracing import Telemetry


@dataclass(kw_only=True)
class RequestContext:
    """One request: whom it is for (`conversation_id`, `tenant`), its `trace_id`, the `limits`
    of the runs in it and the `ledger` that meters and budgets its model calls. Build one with
    `new`; an `App` builds one per message."""

    conversation_id: str = ""
    tenant: str = "default"
    trace_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    limits: Limits = field(default_factory=Limits)
    ledger: CostLedger = field(default_factory=CostLedger)
    telemetry: Telemetry | None = None
    """Traces and metrics of the request's runs and model calls (None: none recorded)."""

    @classmethod
    def new(
        cls,
        *,
        conversation_id: str = "",
        tenant: str = "default",
        trace_id: str | None = None,
        budget: Budget | None = None,
        limits: Limits | None = None,
        prices: PriceTable | None = None,
        store: Store | None = None,
        telemetry: Telemetry | None = None,
    ) -> RequestContext:
        """A context with a fresh ledger for `budget`, pricing with `prices` (default: the
        bundled table) and, when `store` is given, persisting its costs there and counting what
        the conversation and tenant spent in other requests."""
        trace_id = trace_id or uuid.uuid4().hex
        ledger = CostLedger(
            budget, prices=prices, store=store, conversation_id=conversation_id, tenant=tenant,
            trace_id=trace_id,
        )  # fmt: skip
        return cls(
            conversation_id=conversation_id, tenant=tenant, trace_id=trace_id,
            limits=limits or Limits(), ledger=ledger, telemetry=telemetry,
        )  # fmt: skip

    @property
    def budget(self) -> Budget:
        """The request's budget (the ledger's)."""
        return self.ledger.budget

    def budgeted(self, model: Model, *, agent: str) -> Model:
        """`model` with every call metered by this request's ledger as `agent`'s (see
        `frontdesk.models.budgeted`), and, with telemetry, traced and measured
        (`frontdesk.models.instrumented`)."""
        metered = budgeted(model, self.ledger, agent=agent)
        if self.telemetry is None or not self.telemetry.enabled:
            return metered
        return instrumented(metered, self.telemetry, agent=agent, prices=self.ledger.prices)
