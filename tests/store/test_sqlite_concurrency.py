"""The SQLite store shares one connection among worker threads: nothing may touch it unlocked."""

from __future__ import annotations

import asyncio
from pathlib import Path

from frontdesk.store import CostRecord
from frontdesk.store.sqlite import SQLiteStore


async def test_concurrent_writes_never_misuse_the_shared_connection(tmp_path: Path) -> None:
    # before the fix, a cursor returned by `executemany` escaped the lock and was reset by the
    # garbage collector mid-statement: "bad parameter or other API misuse", a few times in 6,000
    async with SQLiteStore(tmp_path / "store.sqlite3") as store:

        async def writer(i: int) -> None:
            for j in range(200):
                await store.record_costs(
                    [CostRecord(conversation_id=f"c{i}", agent="a", model="m", cost_usd=j)]
                )

        await asyncio.gather(*(writer(i) for i in range(30)))
        counts = [len(await store.costs(f"c{i}")) for i in range(30)]
    assert counts == [200] * 30
