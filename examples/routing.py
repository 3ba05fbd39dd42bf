"""Router → specialists in 60 lines: two specialists, a trained local router, clarification.

    python examples/routing.py

Runs offline: each specialist's `offline` model is a deterministic function; set `model=` (or
FRONTDESK_MODEL for the clinic app) to use a real LLM with the same tools.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Sequence
from pathlib import Path

from frontdesk import App, RouterSpecialist, Specialist, tool
from frontdesk.messages import Message
from frontdesk.models import ModelResponse, ToolDefinition
from frontdesk.offline import OfflineModel, answer, call, last_user_text, tool_results


@tool
def order_status(order_id: str) -> dict[str, str]:
    """Where an order is."""
    return {"order_id": order_id, "status": "shipped", "eta": "Thursday"}


def orders_planner(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
    results = tool_results(messages)
    if not results:  # first step: look the order up
        words = [w.strip("#?.!") for w in last_user_text(messages).split()]
        return call("order_status", order_id=next((w for w in words if w.isdigit()), "unknown"))
    return answer(f"Your order: {results[-1].content}")


orders = Specialist(
    name="orders",
    description="order tracking and deliveries",
    instructions="You track orders. Use order_status.",
    tools=[order_status],
    examples=["where is my order", "track package 1234", "has my order shipped",
              "when will my delivery arrive", "order status please", "my parcel is late"],
    offline=lambda ctx: OfflineModel(orders_planner, name="offline-orders"),
)  # fmt: skip
returns = Specialist(
    name="returns",
    description="returns and refunds",
    instructions="You handle returns.",
    examples=["I want to return this", "how do I get a refund", "send it back",
              "return policy", "the item is broken, can I exchange it", "refund my purchase"],
    offline=lambda ctx: OfflineModel(
        lambda m, t: answer("Returns are free within 30 days: print the label from your account."),
        name="offline-returns",
    ),
)  # fmt: skip


async def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        pattern = RouterSpecialist(
            specialists=[orders, returns],
            out_of_scope=["what's the weather", "tell me a joke", "who won the match",
                          "write a poem", "capital of peru", "recommend a film"],
            threshold=0.5,
        )  # fmt: skip
        async with App(pattern, data_dir=Path(data_dir)) as app:
            for text in ["where is order 1234?", "can I send the shoes back", "tell me a joke"]:
                reply = await app.respond("demo", text)
                print(f"> {text}\n[{reply.agent} {reply.action} {reply.confidence:.2f}] "
                      f"{reply.reply}\n")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
