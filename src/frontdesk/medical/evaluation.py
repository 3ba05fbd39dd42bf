"""How well extraction + validation read an annotated corpus of reports.

The corpus is a directory of `NN-name.txt` reports, each with a gold `NN-name.json` (format and
annotation guidelines in `tests/medical/reports/README.md`); `NN-heldout-*` reports form the
held-out set; `NN-blind-*` and `NN-blind2-*` reports are two more, written without reading the
extractor (the first of them later used for fixes, the second not).
Per report it compares sets of

- labs: (LOINC, or the name when the gold has no LOINC; value),
- medications: (generic name; dose, normalised: "500mg" = "500 mg", "IU" = "units"),
- diagnoses: ICD-10-CM categories (first 3 characters) of the patient's asserted conditions,

and sums true/false positives and false negatives over the reports (micro-F1). It also counts
the conditions the gold has only negated or as a relative's that the pipeline asserts for the
patient ("wrongly asserted": the error a reader of the report must never see).

    python -m frontdesk.medical.evaluation tests/medical/reports
        [--split dev|heldout|blind|blind2|all] [--json] [--details]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from frontdesk.errors import InvalidInput
from frontdesk.medical.entities import Extraction

Split = Literal["dev", "heldout", "blind", "blind2", "all"]
Pipeline = Callable[[str], Extraction]

TARGETS = {"labs": 0.95, "medications": 0.90, "diagnoses": 0.85}
"""The F1 each record type must reach on the corpus (and zero wrongly asserted)."""


@dataclass(kw_only=True, slots=True)
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: Score) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    def to_json(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass(kw_only=True, slots=True)
class ReportScore:
    name: str
    labs: Score
    medications: Score
    diagnoses: Score
    wrongly_asserted: list[str]
    """ICD-10-CM categories asserted by the pipeline that the gold only negates or gives to a
    relative."""
    missed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class EvaluationResult:
    split: Split
    reports: list[ReportScore]
    labs: Score
    medications: Score
    diagnoses: Score

    @property
    def wrongly_asserted(self) -> int:
        return sum(len(r.wrongly_asserted) for r in self.reports)

    def meets_targets(self) -> bool:
        return self.wrongly_asserted == 0 and all(
            getattr(self, kind).f1 >= target for kind, target in TARGETS.items()
        )

    def to_json(self, *, details: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "split": self.split,
            "reports": len(self.reports),
            "labs": self.labs.to_json(),
            "medications": self.medications.to_json(),
            "diagnoses": self.diagnoses.to_json(),
            "wrongly_asserted": self.wrongly_asserted,
            "meets_targets": self.meets_targets(),
        }
        if details:
            out["per_report"] = [
                {
                    "name": r.name,
                    "labs_f1": round(r.labs.f1, 4),
                    "medications_f1": round(r.medications.f1, 4),
                    "diagnoses_f1": round(r.diagnoses.f1, 4),
                    "wrongly_asserted": r.wrongly_asserted,
                    "missed": r.missed,
                    "extra": r.extra,
                }
                for r in self.reports
            ]
        return out


# --- keys ----------------------------------------------------------------------------------

_DOSE_UNIT_SPELLINGS = {"µg": "mcg", "ug": "mcg", "iu": "units", "u": "units", "unit": "units"}


def normalise_dose(dose: str | None) -> str | None:
    if not dose:
        return None
    compact = re.sub(r"\s+", "", dose.lower()).replace(",", "")
    m = re.fullmatch(r"([\d./\-]+)([a-zµ%/]+)", compact)
    if m is None:
        return compact
    amount = re.sub(r"(?<!\d)\.(\d)", r"0.\1", m.group(1))
    return amount + _DOSE_UNIT_SPELLINGS.get(m.group(2), m.group(2))


def _drug_key(name: str) -> str:
    return re.sub(r"\s*[-/]\s*", "/", name.strip().lower())


def _lab_keys(labs: Sequence[Any]) -> set[Hashable]:
    return {
        (lab["loinc"] or lab["name"].lower(), round(float(lab["value"]), 4))
        if isinstance(lab, dict)
        else (lab.loinc or lab.name.lower(), round(lab.value, 4))
        for lab in labs
    }


def _category(code: str | None) -> str | None:
    return code.replace(".", "")[:3].upper() if code else None


def _score(predicted: set[Hashable], gold: set[Hashable]) -> Score:
    return Score(tp=len(predicted & gold), fp=len(predicted - gold), fn=len(gold - predicted))


def score_report(name: str, predicted: Extraction, gold: dict[str, Any]) -> ReportScore:
    """Compare one report's extraction with its gold annotation."""
    gold_labs = _lab_keys(gold.get("labs", []))
    pred_labs = _lab_keys(predicted.labs)
    gold_meds: set[Hashable] = {
        (_drug_key(m["name"]), normalise_dose(m.get("dose"))) for m in gold.get("medications", [])
    }
    pred_meds: set[Hashable] = {
        (_drug_key(m.name), normalise_dose(m.dose)) for m in predicted.medications
    }
    gold_dx = gold.get("diagnoses", [])
    asserted = {
        _category(d["icd10"])
        for d in gold_dx
        if not d.get("negated") and d.get("subject", "patient") == "patient"
    } - {None}
    not_asserted = {
        _category(d["icd10"])
        for d in gold_dx
        if d.get("negated") or d.get("subject", "patient") != "patient"
    } - {None}
    pred_dx = {_category(d.icd10) for d in predicted.diagnoses if d.asserted} - {None}
    wrong = sorted(c for c in (not_asserted - asserted) & pred_dx if c)
    missed = [
        *(f"lab {k}" for k in sorted(map(str, gold_labs - pred_labs))),
        *(f"medication {k}" for k in sorted(map(str, gold_meds - pred_meds))),
        *(f"diagnosis {k}" for k in sorted(map(str, asserted - pred_dx))),
    ]
    extra = [
        *(f"lab {k}" for k in sorted(map(str, pred_labs - gold_labs))),
        *(f"medication {k}" for k in sorted(map(str, pred_meds - gold_meds))),
        *(f"diagnosis {k}" for k in sorted(map(str, pred_dx - asserted))),
    ]
    return ReportScore(
        name=name,
        labs=_score(pred_labs, gold_labs),
        medications=_score(pred_meds, gold_meds),
        diagnoses=_score(set(pred_dx), set(asserted)),
        wrongly_asserted=wrong,
        missed=missed,
        extra=extra,
    )


# --- corpus --------------------------------------------------------------------------------


def corpus(directory: Path | str, split: Split = "all") -> list[Path]:
    """The report files of a corpus directory (those with a gold file), sorted by name."""
    root = Path(directory)
    if not root.is_dir():
        raise InvalidInput(f"{root} is not a directory of annotated reports")
    reports = [p for p in sorted(root.glob("*.txt")) if p.with_suffix(".json").exists()]
    if split in ("heldout", "blind", "blind2"):
        reports = [p for p in reports if f"-{split}-" in p.name]
    elif split == "dev":
        reports = [p for p in reports if "-heldout-" not in p.name and "-blind" not in p.name]
    if not reports:
        raise InvalidInput(f"{root} holds no annotated reports (NN-name.txt + NN-name.json)")
    return reports


def default_pipeline(text: str) -> Extraction:
    """What the product runs: offline extraction, then ontology validation."""
    from frontdesk.medical.extraction import extract
    from frontdesk.medical.ontology import validate

    return validate(extract(text))


def evaluate(
    directory: Path | str, *, split: Split = "all", pipeline: Pipeline | None = None
) -> EvaluationResult:
    """Score `pipeline` (default: `extract` then `validate`) on a corpus directory."""
    run = pipeline or default_pipeline
    result = EvaluationResult(
        split=split, reports=[], labs=Score(), medications=Score(), diagnoses=Score()
    )
    for report in corpus(directory, split):
        gold = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))
        scored = score_report(report.stem, run(report.read_text(encoding="utf-8")), gold)
        result.reports.append(scored)
        result.labs.add(scored.labs)
        result.medications.add(scored.medications)
        result.diagnoses.add(scored.diagnoses)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m frontdesk.medical.evaluation",
        description="Score report extraction on an annotated corpus (micro-F1).",
    )
    parser.add_argument("directory", help="e.g. tests/medical/reports")
    parser.add_argument(
        "--split", choices=["dev", "heldout", "blind", "blind2", "all"], default="all"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--details", action="store_true", help="per report misses and extras")
    args = parser.parse_args(argv)
    try:
        result = evaluate(args.directory, split=args.split)
    except InvalidInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_json(details=args.details)))
        return 0
    print(f"{result.split}: {len(result.reports)} reports")
    for kind in TARGETS:
        score: Score = getattr(result, kind)
        print(
            f"  {kind:<12} F1 {score.f1:.3f}  P {score.precision:.3f}  R {score.recall:.3f}"
            f"  (tp {score.tp}, fp {score.fp}, fn {score.fn}; target {TARGETS[kind]:.2f})"
        )
    print(f"  wrongly asserted negated/family conditions: {result.wrongly_asserted}")
    if args.details:
        for r in result.reports:
            print(f"\n{r.name}")
            for line in r.missed:
                print(f"  missed {line}")
            for line in r.extra:
                print(f"  extra  {line}")
            for code in r.wrongly_asserted:
                print(f"  WRONGLY ASSERTED {code}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
