"""What the guards cost on a zero-latency model: p50 of one round trip with and without them.

    python bench/guards_overhead.py [--n 3000] [--json]

The model is a `FunctionModel` that answers at once (priced like gpt-4o-mini, so the ledger does
its real work). Each variant adds guards on top of the previous one, and the variants are timed
interleaved, in a shuffled order per round, so that they share the machine's state:

- bare: `model.request(...)`
- ledger: a fresh request ledger per call (`RequestContext.new(budget=$0.05)`): reserve the worst
  case before the call, settle after (`Budgeted`)
- ledger + resilience: the same inside `resilient(model)`: retry layer and circuit breaker
- ledger + resilience + lease: the same while holding the conversation's lease in a SQLite store
  (acquire before, release after), as every `App.respond` does
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from frontdesk import Budget
from frontdesk.context import RequestContext
from frontdesk.guards.lease import ConversationLease
from frontdesk.messages import UserMessage
from frontdesk.models import FunctionModel, Model, Price, PriceTable
from frontdesk.models.resilience import BreakerRegistry, resilient
from frontdesk.models.testing import text_response
from frontdesk.store.sqlite import SQLiteStore

MESSAGES = [UserMessage(text="What is my balance?")]
Variant = Callable[[], Awaitable[object]]


async def measure(n: int, store: SQLiteStore) -> dict[str, list[float]]:
    model = FunctionModel(
        lambda messages, tools: text_response("$120.50", input_tokens=40, output_tokens=8),
        model_name="bench",
    )
    prices = PriceTable(
        [Price(model="function:bench", input=0.15, output=0.60, source="bench")],
        free_providers=(),
    )
    guarded = resilient(model, breakers=BreakerRegistry())

    def metered(inner: Model) -> Variant:
        async def call() -> object:
            request = RequestContext.new(budget=Budget(request_usd=0.05), prices=prices)
            return await request.budgeted(inner, agent="bench").request(MESSAGES)

        return call

    async def bare() -> object:
        return await model.request(MESSAGES)

    with_ledger = metered(model)
    with_resilience = metered(guarded)

    async def with_lease() -> object:
        async with ConversationLease(store, "bench-conv", ttl_s=30.0, wait_s=5.0):
            return await with_resilience()

    variants: dict[str, Variant] = {
        "bare": bare,
        "ledger": with_ledger,
        "ledger + resilience": with_resilience,
        "ledger + resilience + lease": with_lease,
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    rng = random.Random(7)
    for round_ in range(n + 200):
        order = list(variants)
        rng.shuffle(order)
        for name in order:
            started = time.perf_counter()
            await variants[name]()
            elapsed = (time.perf_counter() - started) * 1e6
            if round_ >= 200:  # warm-up rounds are not counted
                times[name].append(elapsed)
    return times


async def run(n: int) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        async with SQLiteStore(Path(tmp) / "bench.sqlite3") as store:
            times = await measure(n, store)
    bare = statistics.median(times["bare"])
    return {
        name: {
            "p50_us": round(statistics.median(values), 1),
            "p99_us": round(sorted(values)[int(0.99 * len(values))], 1),
            "overhead_p50_us": round(statistics.median(values) - bare, 1),
        }
        for name, values in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=3000, help="timed rounds per variant")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    results = asyncio.run(run(args.n))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'variant':<30} {'p50 µs':>10} {'p99 µs':>10} {'p50 overhead µs':>16}")
    for name, row in results.items():
        print(
            f"{name:<30} {row['p50_us']:>10.1f} {row['p99_us']:>10.1f} "
            f"{row['overhead_p50_us']:>16.1f}"
        )


if __name__ == "__main__":
    main()
