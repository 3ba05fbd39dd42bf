"""A separate OS process for the cross-process lease tests (run with the tests directory on
PYTHONPATH).

    lease_worker.py turns STORE_URL DATA_DIR CONVERSATION NAME COUNT
        opens the slow toy app, prints "ready", waits for a line on stdin, sends COUNT
        messages "NAME-1", "NAME-2", … to CONVERSATION one after another (pausing a little in
        between, as a person would), then prints one JSON line: {"go": the wall time it got the
        go, "sent": [texts], "intervals": [[start, end] of each turn's model call]}.
    lease_worker.py hold STORE_URL CONVERSATION TTL_S
        takes the conversation's lease, prints "held TOKEN" and sleeps until killed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path


async def turns(store_url: str, data_dir: str, conversation_id: str, name: str, count: int) -> None:
    from guards.helpers import SlowEcho, slow_app

    echo = SlowEcho(delay_s=0.15)
    async with slow_app(Path(data_dir), store_url, echo) as app:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)  # the go signal
        go = time.time()
        sent = []
        for i in range(1, count + 1):
            text = f"{name}-{i}"
            await app.respond(conversation_id, text)
            sent.append(text)
            await asyncio.sleep(0.1)
    print(json.dumps({"go": go, "sent": sent, "intervals": echo.intervals}), flush=True)


async def hold(store_url: str, conversation_id: str, ttl_s: float) -> None:
    from frontdesk.guards import ConversationLease
    from frontdesk.store import open_store

    async with (
        open_store(store_url) as store,
        ConversationLease(store, conversation_id, ttl_s=ttl_s, wait_s=0) as lease,
    ):
        print(f"held {lease.token}", flush=True)
        await asyncio.sleep(3600)


def main(argv: list[str]) -> None:
    mode, *args = argv
    if mode == "turns":
        store_url, data_dir, conversation_id, name, count = args
        asyncio.run(turns(store_url, data_dir, conversation_id, name, int(count)))
    elif mode == "hold":
        store_url, conversation_id, ttl_s = args
        asyncio.run(hold(store_url, conversation_id, float(ttl_s)))
    else:
        raise SystemExit(f"unknown mode {mode!r}: use turns or hold")


if __name__ == "__main__":
    main(sys.argv[1:])
