"""What telemetry costs on a zero-latency model: p50 of one `App.respond` with and without it.

    python bench/telemetry_overhead.py [--n 1000] [--json]

One app per variant, identical but for its `Telemetry`: a router that answers at once and one
specialist whose `FunctionModel` calls a tool, then answers (two model calls, one tool call: six
spans with the router, the specialist and the request). The variants are timed interleaved,
in a shuffled order per round, so that they share the machine's state. Wall time (p50, p95)
and CPU time per request (process-wide, so it includes the store's and the exporter's threads)
are reported; on a busy machine trust the CPU column more.

- off: `Telemetry(enabled=False)`: no spans, no metrics (the trace id is still set)
- on: the default: spans (no exporter) and Prometheus metrics
- on + file: the same, every span also written as a JSON line to a file
- on + file + content: the same with content capture on (prompts and answers redacted)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from frontdesk.agents import Specialist
from frontdesk.messages import Message, ToolReturn
from frontdesk.models import FunctionModel
from frontdesk.models.base import ModelResponse, ToolDefinition
from frontdesk.models.testing import text_response, tool_call_response
from frontdesk.patterns import RouterSpecialist
from frontdesk.routing import Alternative, RouteContext, RouteDecision, Router
from frontdesk.runtime import App
from frontdesk.telemetry import Telemetry
from frontdesk.tools import tool


class Instant(Router):
    version = "instant"

    async def route(self, text: str, context: RouteContext | None = None) -> RouteDecision:
        return RouteDecision(
            category="billing",
            confidence=0.9,
            reason="confident",
            alternatives=[Alternative(category="billing", confidence=0.9)],
        )


@tool
async def lookup_balance(account: str) -> dict[str, float]:
    """The balance of an account."""
    return {"balance": 42.0}


def answer(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
    if any(isinstance(m, ToolReturn) for m in messages):
        return text_response("Patient John Smith owes $42.", input_tokens=60, output_tokens=8)
    return tool_call_response(
        "lookup_balance", {"account": "A-1"}, input_tokens=40, output_tokens=6
    )


def build(data_dir: Path, telemetry: Telemetry) -> App:
    pattern = RouterSpecialist(
        specialists=[
            Specialist(
                name="billing",
                description="bills",
                instructions="Billing.",
                tools=[lookup_balance],
                model=FunctionModel(answer),
            )
        ],
        router=Instant(),
    )
    return App(pattern, name="bench", data_dir=data_dir, telemetry=telemetry)


async def main(n: int) -> dict[str, dict[str, float]]:
    root = Path(tempfile.mkdtemp(prefix="fd-telemetry-bench-"))
    variants = {
        "off": Telemetry(enabled=False),
        "on": Telemetry(),
        "on + file": Telemetry(traces=f"file:{root / 'spans.jsonl'}"),
        "on + file + content": Telemetry(
            traces=f"file:{root / 'spans-content.jsonl'}", capture_content=True
        ),
    }
    apps = {name: build(root / name.replace(" ", ""), t) for name, t in variants.items()}
    timings: dict[str, list[float]] = {name: [] for name in apps}
    cpu: dict[str, list[float]] = {name: [] for name in apps}
    for app in apps.values():
        await app.open()
        for i in range(20):  # warm-up
            await app.respond(f"warm-{i}", "Hi, I am John Smith, why is my bill so high?")
    names = list(apps)
    for i in range(n):
        random.shuffle(names)
        for name in names:
            started, cpu_started = time.perf_counter(), time.process_time()
            await apps[name].respond(f"c-{i % 50}-{name[:2]}", "Hi, I am John Smith, why is my "
                                     "bill so high? Call me at 555-867-5309.")  # fmt: skip
            timings[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - cpu_started)
    for app in apps.values():
        await app.close()
    base = statistics.median(timings["off"])
    cpu_base = statistics.mean(cpu["off"])
    return {
        name: {
            "p50_us": round(statistics.median(t) * 1e6, 1),
            "p95_us": round(statistics.quantiles(t, n=20)[-1] * 1e6, 1),
            "overhead_p50_us": round((statistics.median(t) - base) * 1e6, 1),
            "overhead_p50_pct": round((statistics.median(t) / base - 1) * 100, 1),
            "cpu_us": round(statistics.mean(cpu[name]) * 1e6, 1),
            "overhead_cpu_us": round((statistics.mean(cpu[name]) - cpu_base) * 1e6, 1),
        }
        for name, t in timings.items()
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="requests per variant")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    results = asyncio.run(main(args.n))
    if args.json:
        print(json.dumps(results))
    else:
        print(
            f"{'variant':22} {'p50 µs':>10} {'p95 µs':>10} {'+p50 µs':>10} {'+p50 %':>8} "
            f"{'CPU µs':>10} {'+CPU µs':>10}"
        )
        for name, r in results.items():
            print(
                f"{name:22} {r['p50_us']:10.1f} {r['p95_us']:10.1f} "
                f"{r['overhead_p50_us']:10.1f} {r['overhead_p50_pct']:8.1f} "
                f"{r['cpu_us']:10.1f} {r['overhead_cpu_us']:10.1f}"
            )
