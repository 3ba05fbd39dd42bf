"""Route the held-out clinic set through `frontdesk route --jsonl` and score it.

    python bench/clinic_router.py [--data tests/data/clinic_route_eval.jsonl] [--json]

Runs the real command in a subprocess (as a user would), then reports category accuracy,
emergency recall, per-label accuracy and p50/p99 routing latency per message.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from frontdesk.apps.clinic.evaluation import score

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "tests/data/clinic_route_eval.jsonl")
    parser.add_argument("--json", action="store_true", help="print the score as JSON")
    args = parser.parse_args()
    items = [json.loads(line) for line in args.data.read_text().splitlines() if line.strip()]
    stdin = "".join(json.dumps({"text": i["text"]}) + "\n" for i in items)
    frontdesk = Path(sys.executable).with_name("frontdesk")
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "FRONTDESK_DATA_DIR": data_dir}
        started = time.perf_counter()
        done = subprocess.run(
            [str(frontdesk), "route", "--app", "clinic", "--jsonl"],
            input=stdin, capture_output=True, text=True, env=env, check=True,
        )  # fmt: skip
        wall = time.perf_counter() - started
    decisions = [json.loads(line) for line in done.stdout.splitlines()]
    result = score(zip(items, decisions, strict=True))
    if args.json:
        print(json.dumps({**result.to_json(), "wall_s": round(wall, 2)}, indent=2))
        return
    print(f"messages          {result.n}")
    print(f"accuracy          {result.accuracy:.1%}")
    print(f"emergency recall  {result.emergency_recall:.1%}")
    for label, value in sorted(result.per_label.items()):
        print(f"  {label:16}{value:.1%}")
    print(f"latency p50 / p99 {result.p50_ms:.1f} / {result.p99_ms:.1f} ms per message")
    print(f"wall time         {wall:.1f} s (incl. start-up)")
    for error in result.errors:
        print(f"  ✗ [{error['label']}→{error['category']}/{error['action']} "
              f"{error['confidence']:.2f}] {error['text']}")  # fmt: skip


if __name__ == "__main__":
    main()
