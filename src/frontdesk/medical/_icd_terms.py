"""Build `data/icd10_terms.csv`: condition terms taken from ICD-10-CM's own descriptions.

The curated `conditions.csv` covers the conditions reports name most often, with their
abbreviations. Everything else a report may name ("hypersplenism", "angiodysplasia of colon")
comes from this second table: every ICD-10-CM description and inclusion term that reads like
something a clinician writes, i.e.

- short (one to four words) once the qualifiers coders add are dropped (", unspecified",
  " NOS", ", not elsewhere classified", parenthesised nonessential modifiers);
- free of coding vocabulary ("other", "specified", "with", "encounter", "sequela"...);
- in a chapter of diseases and symptoms (A-N, R): not congenital malformations, whose short
  descriptions are anatomy ("Accessory muscle"), nor injuries, external causes, pregnancy,
  perinatal conditions or Z-code circumstances, whose descriptions are not how a report names
  them;
- a single word only when it is a long, unambiguous medical word (not "falling", "pain").

A category maps to its default billable child, as in `ontology.build_index`. The table is a
build product, regenerated with `python -m frontdesk.medical._icd_terms` when the ICD-10-CM
release changes; the curated table wins where both have a term.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from frontdesk.medical import ontology

OUT_FILE = Path(__file__).parent / "data" / "icd10_terms.csv"

_KEEP_CHAPTERS = frozenset("ABCDEFGHIJKLMNR")
_SUFFIXES = re.compile(
    r"(?:,\s*(?:unspecified|not elsewhere classified|NEC)|\s+NOS|\s+NEC)\s*$", re.IGNORECASE
)
_MODIFIERS = re.compile(r"\s*\([^)]*\)|\s*\[[^\]]*\]")
_CODING_WORDS = frozenset(
    "other specified unspecified with without due encounter elsewhere classified sequela "
    "initial subsequent unknown site sites part parts nos nec not type stage code codes "
    "multiple single following complicating personal history family status use "
    "underdosing poisoning adverse effect accidental intentional undetermined "
    "assault self harm newborn pregnancy puerperium fetus fetal delivery region "
    "classifiable except category involvement".split()
)
# One-word descriptions that are everyday words or read as something other than a diagnosis
# in a report ("falling hemoglobin", "stable angina" is curated anyway).
_AMBIGUOUS_WORDS = frozenset(
    "falling fall pain disease disorder syndrome injury death shock stress fatigue malaise "
    "abnormal anomaly defect deformity mass lesion growth swelling lump ache colic cramp "
    "spasm discharge bleeding hemorrhage fever infection inflammation obstruction stenosis "
    "lesions failure insufficiency deficiency excess overweight underweight immobility "
    "dependence abuse use withdrawal intoxication complication complications rejection "
    "contusion wound burn fracture dislocation sprain strain crush amputation foreign body "
    "observation screening examination counseling vaccination donor carrier exposure "
    "contact problems problem behavior sleepiness drowsiness irritability restlessness "
    "nervousness unhappiness agitation aggression hostility violence somnolence stupor "
    "coma dizziness headache cough vomiting nausea dyspnea tachycardia bradycardia "
    "polyuria anuria oliguria hematuria hematemesis jaundice pallor cyanosis flushing "
    "sweating edema ascites anorexia cachexia obesity alcoholism nicotine tobacco cannabis "
    "opioid cocaine gambling illness sickness disease diseases".split()
)
_MAX_WORDS = 4
_MIN_SINGLE_WORD = 7


def _variants(text: str) -> list[str]:
    out = []
    for candidate in (text, _MODIFIERS.sub("", text)):
        candidate = _SUFFIXES.sub("", candidate.strip()).strip(" ,")
        candidate = _SUFFIXES.sub("", candidate).strip(" ,")
        if candidate and candidate not in out:
            out.append(candidate)
    return out


def _usable(term: str) -> bool:
    words = re.findall(r"[A-Za-z0-9]+", term.lower())
    if not words or len(words) > _MAX_WORDS:
        return False
    if any(w in _CODING_WORDS or w.isdigit() for w in words):
        return False
    if len(words) == 1:
        word = words[0]
        return len(word) >= _MIN_SINGLE_WORD and word not in _AMBIGUOUS_WORDS
    return not any(c in term for c in ",;:")


def build_rows() -> list[tuple[str, str]]:
    """(term, billable code) pairs, sorted, one code per lower-cased term."""
    cm = ontology.icd_module()
    codes: dict[str, tuple[str, bool]] = {}
    for code in cm.get_all_codes(True):
        if cm.is_category_or_subcategory(code) or cm.is_extended_subcategory(code):
            codes[code] = (cm.get_description(code), bool(cm.is_leaf(code)))
    memo: dict[str, str] = {}
    chosen: dict[str, tuple[str, str]] = {}
    # Billable codes first and shorter codes first, so a shared description maps to the most
    # general billable code that has it.
    for code in sorted(codes, key=lambda c: (not codes[c][1], len(c), c)):
        if code[0] not in _KEEP_CHAPTERS:
            continue
        billable = codes[code][1]
        target = code if billable else ontology._billable_default(cm, code, codes, memo)
        if not codes.get(target, ("", False))[1]:
            continue
        for text in [codes[code][0], *cm.get_inclusion_term(code)]:
            for term in _variants(text):
                key = term.lower()
                if _usable(term) and key not in chosen:
                    chosen[key] = (term, cm.add_dot(target))
    return sorted(chosen.values(), key=lambda row: row[0].lower())


def main() -> None:
    rows = build_rows()
    with OUT_FILE.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["term", "icd10"])
        writer.writerows(rows)
    print(f"{len(rows)} terms -> {OUT_FILE}")


if __name__ == "__main__":
    main()
