"""Recall of the PHI redactor per identifier type: on the synthetic corpus the tests use, on the
first held-out set (written after the recognisers; used to tune them in a second round), and on a
second held-out set written blind to the recognisers' code and never used to tune them.

    python bench/redaction_recall.py [--json]

An identifier counts as found when no form of it (as written, its digits, each distinctive word
of a name) is left in the redacted text: the same check the sink test applies.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "telemetry"))

from corpus import leaked, load_corpus  # type: ignore[import-not-found]  # noqa: E402

from frontdesk.telemetry import Redactor  # noqa: E402

DATA = ROOT / "tests" / "telemetry" / "data"


def recall(path: Path) -> dict[str, object]:
    redactor = Redactor()
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    missed: list[str] = []
    for sample in load_corpus(path):
        redacted = redactor.redact(sample.text)
        for identifier in sample.identifiers:
            total[identifier.kind] += 1
            if leaked(identifier, redacted):
                missed.append(f"{identifier.kind}: {identifier.value}")
            else:
                found[identifier.kind] += 1
    return {
        "per_type": {k: {"found": found[k], "total": total[k]} for k in sorted(total)},
        "overall": round(sum(found.values()) / max(1, sum(total.values())), 3),
        "missed": missed,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    names = ("phi_corpus.txt", "phi_heldout.txt", "phi_heldout2.txt")
    results = {name: recall(DATA / name) for name in names}
    if args.json:
        print(json.dumps(results))
    else:
        for name, result in results.items():
            print(f"{name}: overall recall {result['overall']}")
            for kind, counts in result["per_type"].items():  # type: ignore[attr-defined]
                print(f"  {kind:8} {counts['found']:3}/{counts['total']:3}")
            for miss in result["missed"]:  # type: ignore[attr-defined]
                print(f"  missed  {miss}")
