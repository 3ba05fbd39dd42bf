"""A scripted conversation with the clinic app, offline.

    python examples/clinic_demo.py

Uses a throw-away data directory unless FRONTDESK_DATA_DIR is set.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from frontdesk.apps.clinic import build_app
from frontdesk.config import load_settings

SCRIPT = [
    "I was charged twice for my visit last week",
    "what are your hours on saturday?",
    "can I get an appointment with Dr. Patel next Tuesday afternoon?",
    "I have a fever and a sore throat, what should I do?",
    "I have a question",
    "the first one",
    "I want to speak to a real person",
]


async def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(os.environ.get("FRONTDESK_DATA_DIR") or scratch)
        async with build_app(load_settings({"data_dir": data_dir})) as app:
            for text in SCRIPT:
                reply = await app.respond("demo-conversation", text)
                print(f"you> {text}")
                print(f"bot> [{reply.agent} · {reply.action} · {reply.confidence:.2f} · "
                      f"{reply.stop_reason}]\n{reply.reply}\n")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
