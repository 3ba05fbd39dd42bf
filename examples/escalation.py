"""Human in the loop: a user asks for a person, an operator claims the ticket, replies, and hands
the conversation back to the bot, which answers with the whole history in view.

    python examples/escalation.py

Runs offline: the billing specialist's model is a deterministic function that says how many
messages of history it was shown, and quotes the operator's last reply.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from frontdesk import App, EscalationConflict, EscalationRules, RouterSpecialist, Specialist
from frontdesk.messages import AssistantMessage, Message, TextPart
from frontdesk.models import ModelResponse, ToolDefinition
from frontdesk.offline import OfflineModel, answer


def billing_bot(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
    said = [p.text for m in messages if isinstance(m, AssistantMessage)
            for p in m.parts if isinstance(p, TextPart)]  # fmt: skip
    return answer(f"(billing bot, {len(messages)} messages of history; last reply it saw: "
                  f"{said[-1] if said else 'none'!r})")  # fmt: skip


billing = Specialist(
    name="billing",
    description="bills, payments and refunds",
    instructions="You are the billing desk.",
    examples=["I was charged twice", "refund my payment", "why is my bill so high",
              "do you take insurance", "what do I owe", "pay my invoice"],
    offline=lambda ctx: OfflineModel(billing_bot, name="offline-billing"),
)  # fmt: skip
scheduling = Specialist(
    name="scheduling",
    description="appointments",
    instructions="You book appointments.",
    examples=["book an appointment", "cancel my visit", "reschedule to friday",
              "when is my next appointment", "any openings monday", "move my booking"],
    offline=lambda ctx: OfflineModel(lambda m, t: answer("Booked."), name="offline-scheduling"),
)  # fmt: skip


def show(who: str, text: str) -> None:
    print(f"{who:>9}> {text}")


async def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        pattern = RouterSpecialist(
            specialists=[billing, scheduling],
            person_patterns=[r"\b(real|actual|live) (person|human|agent)\b"],
            # the defaults, spelled out: see docs/escalation.md
            escalation=EscalationRules(min_confidence=0.6, max_clarifications=2),
        )
        async with App(pattern, data_dir=Path(data_dir)) as app:
            text = "I was charged twice, let me talk to a real person"
            show("user", text)
            reply = await app.respond("conv-1", text)
            show("bot", f"[{reply.action}] {reply.reply}")

            queue = await app.store.list_escalations(status="open")
            ticket = queue[0]
            print(f"\nqueue: {ticket.id} reason={ticket.reason} priority={ticket.priority} "
                  f"due in {(ticket.sla_deadline - time.time()) / 60:.0f} min")  # fmt: skip
            print(f"package: {sorted(ticket.package)}")
            print(f"suggested: {ticket.package['suggested_actions'][0]}\n")

            await app.claim(ticket.id, "alice")
            try:
                await app.claim(ticket.id, "bob")
            except EscalationConflict as exc:
                print(f"bob: {exc}\n")
            note = "Hi, Alice here: I've refunded the duplicate charge, allow 5 business days."
            await app.operator_reply(ticket.id, "alice", note)
            show("alice", note)
            text = "thank you! and does the refund go to my card?"
            show("user", text)
            reply = await app.respond("conv-1", text)  # goes to Alice, not the bot
            show("(receipt)", f"[{reply.agent} {reply.action}] {reply.reply}")
            await app.operator_reply(ticket.id, "alice", "Yes, to the card you paid with.")
            show("alice", "Yes, to the card you paid with.")

            resolved = await app.resolve(ticket.id, "alice", resume_bot=True)
            print(f"\nresolved: status={resolved.status} resume_bot={resolved.resume_bot}\n")

            text = "why is my bill so high this month?"
            show("user", text)
            reply = await app.respond("conv-1", text)  # the bot again, with the history
            show("bot", f"[{reply.agent} {reply.action}] {reply.reply}")

            print("\nhistory:")
            for message in await app.history("conv-1"):
                print(f"  {message.seq}. {message.role:<9} {message.text[:70]}")


if __name__ == "__main__":
    asyncio.run(main())
