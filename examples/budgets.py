"""Budgets: a model stuck calling a tool is stopped by the request's budget, before it
overspends, with what it found so far and a handoff to a person.

    python examples/budgets.py

Runs offline: the "model" is a `ScriptedModel` that answers like a paid one (it reports token
usage), priced in a price table of our own at $3 / $15 per million tokens.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from frontdesk import App, Budget, Limits, PriceTable, RouterSpecialist, Specialist, tool
from frontdesk.models import Price, ScriptedModel
from frontdesk.models.testing import tool_call_response
from frontdesk.routing import RouteContext, RouteDecision, Router


@tool
def lookup_balance(account_id: str) -> dict[str, object]:
    """Current balance of an account."""
    return {"account_id": account_id, "balance_usd": 120.5}


class Billing(Router):
    """Every message is about billing (a real app trains a router; see routing.py)."""

    async def route(self, text: str, context: RouteContext | None = None) -> RouteDecision:
        return RouteDecision(category="billing", confidence=1.0, reason="confident")


# a model that never stops looking the balance up, each answer 1,500 tokens in, 300 out
looks_up = tool_call_response(
    "lookup_balance", {"account_id": "A-1"}, text="Let me look that up.",
    input_tokens=1_500, output_tokens=300,
)  # fmt: skip
stuck = ScriptedModel(steps=[looks_up], repeat_last=True, provider="acme", model_name="large")
prices = PriceTable.load_default().merged([Price(model="acme:large", input=3.0, output=15.0)])
billing = Specialist(
    name="billing", description="bills and payments", instructions="You are the billing desk.",
    tools=[lookup_balance], model=stuck,
)  # fmt: skip


async def main() -> None:
    with tempfile.TemporaryDirectory() as data:
        app = App(
            RouterSpecialist(specialists=[billing], router=Billing()), data_dir=Path(data),
            prices=prices, budget=Budget(request_usd=0.10), limits=Limits(max_steps=100),
        )  # fmt: skip
        async with app:
            reply = await app.respond("conv-1", "What is the balance of account A-1?")
            items = await app.store.costs("conv-1")
        print(f"stop_reason={reply.stop_reason} action={reply.action}")
        print(f"model calls made: {len(stuck.calls)}, cost ${reply.cost_usd:.4f} of $0.10")
        print(f"line items stored: {len(items)}, first ${items[0].cost_usd:.4f}")
        print(f"why: {reply.error}")
        print(f"user sees: {reply.reply}")


if __name__ == "__main__":
    asyncio.run(main())
