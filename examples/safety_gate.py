"""A safety gate on a support app: every message is checked for a risk before routing, and a
message at risk goes straight to a person with a fixed reply, whatever its topic.

    python examples/safety_gate.py

The risk class here is a legal threat, spotted by a red-flag rule (with negation, questions and
figures of speech handled by `frontdesk.safety.context`) and by a scorer of our own. The
clinic app's gate (medical emergencies, self-harm) adds a fine-tuned classifier and a
calibrated threshold: docs/safety.md. Runs offline.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from frontdesk import App, RouterSpecialist, Specialist
from frontdesk.offline import OfflineModel, answer
from frontdesk.safety import FunctionDetector, RiskScore, SafetyGate
from frontdesk.safety.rules import RuleSet

RULES = RuleSet.from_toml("""
version = "example-1"

[[rule]]
id = "legal_threat"
class = "legal_threat"
all = [['\\b(?:sue|suing|lawsuit|lawyer|attorney|legal action)\\b']]
why = "a threat of legal action goes to the compliance team at once"
""")


def legal_threat(text: str) -> RiskScore:
    hits = RULES.hits(text)
    if hits:
        return RiskScore(score=1.0, evidence=tuple(f'"{h.words}" (rule {h.rule.id})' for h in hits))
    return RiskScore(score=0.0)


def specialist(name: str, examples: list[str], reply: str) -> Specialist:
    return Specialist(
        name=name, description=name, instructions=f"You are the {name} desk.", examples=examples,
        offline=lambda ctx: OfflineModel(lambda m, t: answer(reply), name=f"offline-{name}"),
    )  # fmt: skip


async def main() -> None:
    gate = SafetyGate(
        detectors=[FunctionDetector("legal_threat", legal_threat, threshold=0.5)],
        replies={"legal_threat": "I've passed this to our compliance team, who will contact "
                                 "you within one business day."},
        category="legal",
    )  # fmt: skip
    pattern = RouterSpecialist(
        specialists=[
            specialist("orders", ["where is my order", "track my parcel", "my order is late",
                                  "change my delivery address"], "Your order ships today."),
            specialist("returns", ["I want to return this", "refund my purchase",
                                   "how do I send it back", "exchange for a smaller size"],
                       "Here is your return label."),
        ],
        safety=gate,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as data_dir:
        async with App(pattern, name="shop", data_dir=Path(data_dir)) as app:
            for number, text in enumerate(
                (
                    "where is my order",
                    "my order is two weeks late. I'm calling my lawyer about this",
                    "I'm not going to sue anyone, I just want to return this",
                )
            ):
                reply = await app.respond(f"c{number}", text)
                (decision,) = await app.store.decisions(f"c{number}")
                safety = decision.safety or {}
                print(f"> {text}\n  {reply.action} ({reply.category}): {reply.reply}")
                print(f"  gate fired: {safety.get('fired')} {safety.get('evidence') or ''}")


if __name__ == "__main__":
    asyncio.run(main())
