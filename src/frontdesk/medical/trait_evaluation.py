"""The context traits of one marked condition in one sentence, scored against annotations.

A trait file is JSON lines `{"sentence", "target", "negation": affirmed|negated|possible,
"temporality": recent|historical|hypothetical, "experiencer": patient|other}`: the ConText
annotation scheme (Harkema, Dowling, Thornblade & Chapman 2009; the one medspaCy follows).
`sentence_traits` reads a sentence the way extraction reads a report (`_context`: sections,
clause scope, trigger phrases) and answers in that scheme; `evaluate` gives precision, recall
and F1 of each non-default value (negated, possible, historical, hypothetical, other).

    python -m frontdesk.medical.trait_evaluation tests/medical/traits/dev.jsonl [--json] [--errors]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from frontdesk.errors import InvalidInput
from frontdesk.medical import _context

VALUES = {
    "negation": ("affirmed", "negated", "possible"),
    "temporality": ("recent", "historical", "hypothetical"),
    "experiencer": ("patient", "other"),
}
SCORED = (
    ("negation", "negated"),
    ("negation", "possible"),
    ("temporality", "historical"),
    ("temporality", "hypothetical"),
    ("experiencer", "other"),
)


@dataclass(kw_only=True, slots=True, frozen=True)
class Traits:
    negation: str = "affirmed"
    temporality: str = "recent"
    experiencer: str = "patient"


def sentence_traits(sentence: str, target: str) -> Traits:
    """The ConText traits of `target` (its first occurrence) in `sentence`."""
    begin = sentence.lower().find(target.lower())
    if begin < 0:
        raise InvalidInput(f"target {target!r} does not occur in the sentence")
    end = begin + len(target)
    headings = _context.sections(sentence)
    bounds = _context.clause_bounds(sentence, headings)
    section = _context.section_at(headings, begin)
    found = set(_context.traits(_context.scope(sentence, bounds, begin, end), section))
    negation = (
        "negated" if "NEGATION" in found else ("possible" if "POSSIBLE" in found else "affirmed")
    )
    temporality = (
        "hypothetical"
        if "HYPOTHETICAL" in found
        else ("historical" if "HISTORY" in found else "recent")
    )
    experiencer = "other" if "FAMILY" in found else "patient"
    return Traits(negation=negation, temporality=temporality, experiencer=experiencer)


@dataclass(kw_only=True, slots=True)
class Count:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def f1(self) -> float:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_json(self) -> dict[str, Any]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(self.f1, 4),
                "tp": self.tp, "fp": self.fp, "fn": self.fn}  # fmt: skip


def load(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path}:{number}: not JSON ({exc.msg})") from exc
        for key, allowed in VALUES.items():
            if row.get(key) not in allowed:
                raise InvalidInput(f"{path}:{number}: {key} must be one of {allowed}")
        if not isinstance(row.get("sentence"), str) or not isinstance(row.get("target"), str):
            raise InvalidInput(f'{path}:{number}: needs "sentence" and "target" strings')
        rows.append(row)
    return rows


def evaluate(rows: Sequence[dict[str, Any]]) -> tuple[dict[str, Count], list[dict[str, Any]]]:
    """F1 of each scored trait value, and the rows it got wrong (with what it said)."""
    counts = {f"{axis}={value}": Count() for axis, value in SCORED}
    errors = []
    for row in rows:
        got = sentence_traits(row["sentence"], row["target"])
        wrong = {}
        for axis, value in SCORED:
            gold, said = row[axis] == value, getattr(got, axis) == value
            count = counts[f"{axis}={value}"]
            count.tp += gold and said
            count.fp += said and not gold
            count.fn += gold and not said
            if getattr(got, axis) != row[axis]:
                wrong[axis] = getattr(got, axis)
        if wrong:
            errors.append({**row, "got": wrong})
    return counts, errors


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m frontdesk.medical.trait_evaluation",
        description="Score the context traits of marked conditions in annotated sentences.",
    )
    parser.add_argument("file", type=Path)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--errors", action="store_true", help="print the rows it got wrong")
    args = parser.parse_args(argv)
    try:
        counts, errors = evaluate(load(args.file))
    except InvalidInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({k: c.to_json() for k, c in counts.items()}))
    else:
        for name, count in counts.items():
            j = count.to_json()
            print(f"{name:26} F1 {j['f1']:.3f}  P {j['precision']:.3f}  R {j['recall']:.3f}  "
                  f"(tp {count.tp}, fp {count.fp}, fn {count.fn})")  # fmt: skip
    if args.errors:
        for row in errors:
            print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
