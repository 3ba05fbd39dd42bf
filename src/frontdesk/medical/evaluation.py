"""How well extraction + validation read an annotated corpus of reports.

The corpus is a directory of `NN-name.txt` reports, each with a gold `NN-name.json` (format and
annotation guidelines in `tests/medical/reports/README.md`). Splits by name: `NN-heldout-*`,
`NN-blind-*`, `NN-blind2-*` (older held-out sets), `NN-dev3-*` (40+ reports written blind in the
styles real notes come in, used for fixes) and `NN-blind3-*` (written the same way, never used
for fixes: the honest estimate). Per report it compares sets of

- labs: (LOINC, or the name when the gold has no LOINC; value, with counts per µL and per
  10³/µL compared as one: "platelets 287,000" = 287 K/uL),
- medications: (generic name; dose, normalised: "500mg" = "500 mg", "IU" = "units"),
- allergies: the substance's name,
- diagnoses: ICD-10-CM categories (first 3 characters) of the patient's *asserted* conditions:
  present now (not denied, possible, hypothetical, past and over, or a relative's),

and sums true/false positives and false negatives over the reports (micro-F1). It also counts
"wrongly asserted" conditions (the gold only denies, doubts, conditions, dates to the past or
gives to someone else what the pipeline asserts: the error a reader must never see), how many
asserted codes are exact (the full code, not just its category), and "critical" lab flags the
gold does not call critical.

Gold files of the first corpus (01-26) mark a diagnosis `negated` (anything the patient is not
said to have); the newer ones give a `status` (present, historical, absent, possible,
hypothetical) and also annotate allergies and each lab's specimen and flag.

    python -m frontdesk.medical.evaluation tests/medical/reports
        [--split dev|heldout|blind|blind2|dev3|blind3|all] [--json] [--details]
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

Split = Literal["dev", "heldout", "blind", "blind2", "dev3", "blind3", "all"]
SPLITS: tuple[Split, ...] = ("dev", "heldout", "blind", "blind2", "dev3", "blind3", "all")
ASSERTED_STATUSES = frozenset({"present"})
"""Gold statuses scored as the patient's current conditions. A past condition that is over
(`historical`) is scored on neither side: a pipeline that calls it present dates a past illness
to now (wrongly asserted); the first corpus, which has no statuses, coded past conditions with
history codes as asserted and is scored that way."""


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
    allergies: Score = field(default_factory=Score)
    exact_codes: int = 0
    """Asserted diagnoses whose full code is a gold code (of those whose category is right)."""
    category_matches: int = 0
    false_critical: list[str] = field(default_factory=list)
    """Labs flagged critical that the gold does not call critical (or that are not results)."""
    has_allergies: bool = False
    """The gold annotates allergies (the newer corpus)."""
    wrongly_asserted: list[str] = field(default_factory=list)
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

    allergies: Score = field(default_factory=Score)

    @property
    def wrongly_asserted(self) -> int:
        return sum(len(r.wrongly_asserted) for r in self.reports)

    @property
    def icd_exact(self) -> float:
        """Of the asserted diagnoses in the right category, the share with the exact code."""
        matched = sum(r.category_matches for r in self.reports)
        return sum(r.exact_codes for r in self.reports) / matched if matched else 1.0

    @property
    def false_critical(self) -> int:
        return sum(len(r.false_critical) for r in self.reports)

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
            "allergies": self.allergies.to_json(),
            "icd_exact": round(self.icd_exact, 4),
            "wrongly_asserted": self.wrongly_asserted,
            "wrongly_asserted_per_report": round(self.wrongly_asserted / len(self.reports), 3)
            if self.reports
            else 0.0,
            "false_critical": self.false_critical,
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
                    "false_critical": r.false_critical,
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


_PER_MICROLITRE = re.compile(r"^(?:/|cells/|per\s*)(?:u|µ|μ|mc)l$|^/mm3$|^/cumm$", re.IGNORECASE)


_COUNTS_PER_THOUSAND = frozenset({"777-3", "6690-2", "751-8", "731-0", "742-7", "711-2", "704-7"})


def lab_value(value: float, unit: str | None, loinc: str | None = None) -> float:
    """A blood count written per µL as per 10³/µL ("287,000" platelets = 287 K/uL; "ANC 180
    cells/uL" = 0.18), else as is."""
    compact = re.sub(r"\s+", "", unit or "")
    per_microlitre = bool(compact and _PER_MICROLITRE.match(compact))
    if loinc in _COUNTS_PER_THOUSAND and (per_microlitre or (not compact and value >= 1000)):
        return value / 1000.0
    if per_microlitre and value >= 1000 and loinc is None:
        return value / 1000.0
    return value


def _lab_key(loinc: str | None, name: str, value: float, unit: str | None) -> Hashable:
    return (loinc or name.lower(), round(lab_value(float(value), unit, loinc), 3))


def _lab_keys(labs: Sequence[Any]) -> set[Hashable]:
    return {
        _lab_key(lab["loinc"], lab["name"], lab["value"], lab.get("unit"))
        if isinstance(lab, dict)
        else _lab_key(lab.loinc, lab.name, lab.value, lab.unit)
        for lab in labs
    }


def _allergy_key(name: str) -> str:
    if "/" in name:  # a combination product, in either order
        return "/".join(sorted(_allergy_key(part) for part in name.split("/")))
    key = re.sub(r"[^a-z0-9 ]+", " ", name.lower()).strip()
    key = re.sub(r"\s+(?:allergy|allergies|antibiotics?|drugs?|class)$", "", key)
    return key[:-1] if key.endswith("s") and not key.endswith("ss") else key


def gold_status(d: dict[str, Any]) -> str:
    """A gold diagnosis's status; the first corpus only says `negated` or not."""
    status = d.get("status")
    if status:
        return str(status)
    return "absent" if d.get("negated") else "present"


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

    def is_asserted(d: dict[str, Any]) -> bool:
        if d.get("subject", "patient") != "patient":
            return False
        status = gold_status(d)
        if "status" not in d:  # the first corpus coded past conditions as asserted history
            return status == "present"
        return status in ASSERTED_STATUSES

    asserted = {_category(d["icd10"]) for d in gold_dx if is_asserted(d)} - {None}
    asserted_codes = {d["icd10"].upper() for d in gold_dx if is_asserted(d) and d["icd10"]}
    not_asserted = {_category(d["icd10"]) for d in gold_dx if not is_asserted(d)} - {None}
    v2 = any("status" in d for d in gold_dx)
    pred_asserted = [
        d
        for d in predicted.diagnoses
        if d.icd10 and (d.asserted if not v2 else d.subject == "patient" and d.status == "present")
    ]
    pred_dx = {_category(d.icd10) for d in pred_asserted} - {None}
    wrong = sorted(c for c in (not_asserted - asserted) & pred_dx if c)
    in_category = [d for d in pred_asserted if _category(d.icd10) in asserted]
    exact = sum(1 for d in in_category if (d.icd10 or "").upper() in asserted_codes)
    has_allergies = "allergies" in gold
    gold_allergies = {_allergy_key(a["name"]) for a in gold.get("allergies", [])}
    pred_allergies = {_allergy_key(a.name) for a in getattr(predicted, "allergies", [])}
    critical_gold = {
        _lab_key(lab["loinc"], lab["name"], lab["value"], lab.get("unit"))
        for lab in gold.get("labs", [])
        if lab.get("flag") == "critical"
    }
    gold_has_flags = any("flag" in lab for lab in gold.get("labs", []))
    false_critical = (
        [
            f"{lab.name} {lab.value:g} {lab.unit}"
            for lab in predicted.labs
            if lab.flag == "critical"
            and _lab_key(lab.loinc, lab.name, lab.value, lab.unit) not in critical_gold
        ]
        if gold_has_flags
        else []
    )
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
        allergies=_score(set(pred_allergies), set(gold_allergies)) if has_allergies else Score(),
        exact_codes=exact,
        category_matches=len(in_category),
        false_critical=false_critical,
        has_allergies=has_allergies,
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
    if split in ("heldout", "blind", "blind2", "dev3", "blind3"):
        reports = [p for p in reports if f"-{split}-" in p.name]
    elif split == "dev":
        reports = [
            p
            for p in reports
            if not any(f"-{s}-" in p.name for s in ("heldout", "blind", "blind2", "dev3", "blind3"))
        ]
    if not reports:
        raise InvalidInput(f"{root} holds no annotated reports (NN-name.txt + NN-name.json)")
    return reports


def default_pipeline(text: str) -> Extraction:
    """What the product runs: offline extraction, ontology validation, then the lab flags of
    the analysis (for the false "critical" count)."""
    from frontdesk.medical.analysis import analyze
    from frontdesk.medical.extraction import extract
    from frontdesk.medical.ontology import validate

    extraction = validate(extract(text), text)
    analyze(extraction)
    return extraction


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
        result.allergies.add(scored.allergies)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m frontdesk.medical.evaluation",
        description="Score report extraction on an annotated corpus (micro-F1).",
    )
    parser.add_argument("directory", help="e.g. tests/medical/reports")
    parser.add_argument("--split", choices=SPLITS, default="all")
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
    allergies = result.allergies
    if allergies.tp + allergies.fp + allergies.fn:
        print(
            f"  {'allergies':<12} F1 {allergies.f1:.3f}  P {allergies.precision:.3f}  R "
            f"{allergies.recall:.3f}  (tp {allergies.tp}, fp {allergies.fp}, fn {allergies.fn})"
        )
    print(f"  ICD-10-CM exact code (of the right category): {result.icd_exact:.3f}")
    print(
        f"  wrongly asserted conditions: {result.wrongly_asserted} "
        f"({result.wrongly_asserted / max(len(result.reports), 1):.2f} per report)"
    )
    print(f"  false critical lab flags: {result.false_critical}")
    if args.details:
        for r in result.reports:
            print(f"\n{r.name}")
            for line in r.missed:
                print(f"  missed {line}")
            for line in r.extra:
                print(f"  extra  {line}")
            for code in r.wrongly_asserted:
                print(f"  WRONGLY ASSERTED {code}")
            for lab in r.false_critical:
                print(f"  FALSE CRITICAL {lab}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
