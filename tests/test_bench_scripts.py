"""The benchmark scripts keep working (tiny runs; the figures themselves come from full runs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_guards_overhead_measures_every_variant() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench/guards_overhead.py"), "--n", "30", "--json"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    results = json.loads(out.stdout)
    assert list(results) == ["bare", "ledger", "ledger + resilience", "ledger + resilience + lease"]
    assert results["bare"]["overhead_p50_us"] == 0
    # the lease writes to SQLite twice per request: it cannot be cheaper than the bare call
    assert results["ledger + resilience + lease"]["p50_us"] > results["bare"]["p50_us"]
