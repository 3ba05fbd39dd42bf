"""Fit the confidence of extracted diagnoses and lab flags on annotated reports, and measure
its calibration on reports it was not fitted on.

    python bench/fit_confidence.py                       # fit on dev3, measure on blind3
    python bench/fit_confidence.py --fit dev3 --measure dev3 --no-write

Writes `src/frontdesk/medical/data/confidence.json` (unless --no-write) and, with --out, a
reliability plot (PNG) and the figures (JSON). See frontdesk/medical/confidence.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from frontdesk.medical import confidence
from frontdesk.medical.evaluation import (
    _lab_key,
    corpus,
    default_pipeline,
    gold_status,
)

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "tests" / "medical" / "reports"


def _category(code: str | None) -> str:
    return (code or "").replace(".", "")[:3].upper()


def labelled(split: str) -> tuple[list[list[float]], list[bool], list[list[float]], list[bool]]:
    dx_rows: list[list[float]] = []
    dx_labels: list[bool] = []
    lab_rows: list[list[float]] = []
    lab_labels: list[bool] = []
    for report in corpus(REPORTS, split):  # type: ignore[arg-type]
        gold = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))
        extraction = default_pipeline(report.read_text(encoding="utf-8"))
        present = {
            _category(d["icd10"]) for d in gold["diagnoses"]
            if d.get("subject", "patient") == "patient" and gold_status(d) == "present"
        }  # fmt: skip
        for d in extraction.diagnoses:
            if not d.icd10:
                continue
            says_present = d.subject == "patient" and d.status == "present"
            dx_rows.append(confidence.diagnosis_features(d, extraction))
            dx_labels.append((_category(d.icd10) in present) == says_present)
        flags = {
            _lab_key(lab["loinc"], lab["name"], lab["value"], lab.get("unit")): lab.get("flag")
            for lab in gold.get("labs", [])
        }
        if not any(flags.values()):
            continue
        for lab in extraction.labs:
            if lab.flag is None:
                continue
            key = _lab_key(lab.loinc, lab.name, lab.value, lab.unit)
            lab_rows.append(confidence.lab_features(lab))
            lab_labels.append(flags.get(key) == lab.flag)
    return dx_rows, dx_labels, lab_rows, lab_labels


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", default="dev3")
    parser.add_argument("--measure", default="blind3")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    dx_x, dx_y, lab_x, lab_y = labelled(args.fit)
    models = confidence.ConfidenceModels(
        diagnoses=confidence.fit_logistic(dx_x, dx_y),
        labs=confidence.fit_logistic(lab_x, lab_y),
        fitted_on=f"tests/medical/reports --split {args.fit}: {len(dx_y)} diagnoses, "
        f"{len(lab_y)} lab flags",
    )
    if not args.no_write:
        confidence.DATA_FILE.write_text(json.dumps(models.to_json(), indent=1) + "\n")
        confidence.shipped.cache_clear()
    mx_x, mx_y, ml_x, ml_y = labelled(args.measure)
    result: dict[str, Any] = {"fitted_on": models.fitted_on, "measured_on": args.measure}
    for name, model, rows, labels in (
        ("diagnoses", models.diagnoses, mx_x, mx_y),
        ("labs", models.labs, ml_x, ml_y),
    ):
        probabilities = [model.probability(r) for r in rows]
        ece, table = confidence.expected_calibration_error(probabilities, labels)
        result[name] = {
            "n": len(labels), "accuracy": round(sum(labels) / max(len(labels), 1), 4),
            "ece": round(ece, 4),
            "bins": [{"confidence": round(p, 3), "accuracy": round(a, 3), "n": n}
                     for p, a, n in table],
        }  # fmt: skip
        print(
            f"{name}: {len(labels)} on {args.measure}, accuracy {result[name]['accuracy']:.3f},"
            f" ECE {ece:.3f}"
        )
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "confidence.json").write_text(json.dumps(result, indent=1))
        _plot(result, args.out / "confidence-reliability.png")
        print(f"wrote {args.out}/confidence.json and confidence-reliability.png")
    return 0


def _plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5, 5), dpi=120)
    axis.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
    for name in ("diagnoses", "labs"):
        bins = result[name]["bins"]
        axis.plot(
            [b["confidence"] for b in bins],
            [b["accuracy"] for b in bins],
            marker="o",
            label=f"{name} (ECE {result[name]['ece']:.3f}, n={result[name]['n']})",
        )
    axis.set_xlabel("confidence")
    axis.set_ylabel("share correct")
    axis.set_title(f"Extraction confidence on {result['measured_on']}")
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


if __name__ == "__main__":
    sys.exit(main())
