"""The most specific code the whole report supports, as a coder would choose it.

A mention is coded on its own words first ("hypertension" -> I10, "anemia" -> D64.9). The report
as a whole often says more, and ICD-10-CM's conventions then call for another code:

- hypertension with chronic kidney disease is hypertensive CKD (I12.x), with heart failure
  hypertensive heart disease (I11.0), with both I13.x: the classification presumes the link;
- a diabetic complication takes the type of diabetes the report names: neuropathy in a type 1
  diabetic is E10.4x, never E11.4x;
- a generic mention beside a specific one of the same condition ("anemia" and "acute blood loss
  anemia"; "cirrhosis" and "alcoholic cirrhosis of liver"; "T2DM" and "type 2 diabetes with
  diabetic CKD") is that same condition, coded once, at the specific code;
- an "unspecified side" code takes the side written beside the mention ("left breast cancer"
  -> C50.912), and a "without X" code its "with X" sibling when the report has X as a current
  condition ("alcoholic cirrhosis" with ascites -> K70.31).

Only the patient's current (present) conditions are refined; nothing is ever re-coded to a
different or more severe disease than the report states.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from frontdesk.medical.entities import Diagnosis

_SUPERSEDED_BY: dict[str, tuple[str, ...]] = {
    "D64.9": ("D50", "D51", "D52", "D53", "D55", "D56", "D57", "D58", "D59", "D60", "D61", "D62",
              "D63", "D64.0", "D64.1", "D64.2", "D64.3", "D64.8", "O90.81", "O99.0"),
    "K74.60": ("K70.3", "K74.3", "K74.4", "K74.5", "K74.69", "K71.7"),
    "N08": ("M32.14", "M32.15", "E10.2", "E11.2", "N05", "N03", "N04", "M31.3"),
    "M19.90": ("M05", "M06", "M08", "M10", "M11", "M13", "M15", "M16", "M17", "M18", "M19.0",
               "M19.1", "M19.2", "M32.1"),
    "C80.1": tuple(f"C{n:02d}" for n in range(0, 80)),
    "G62.9": ("E10.4", "E11.4", "E13.4", "G61", "G62.0", "G62.1", "G62.8"),
    "R73.9": ("E10", "E11", "E13", "O24", "R73.0"),
    "E16.2": ("E10.64", "E11.64", "E13.64"),
    "J45.909": ("J45.2", "J45.3", "J45.4", "J45.5", "J45.90", "J45.99"),
    "I50.9": ("I50.1", "I50.2", "I50.3", "I50.4", "I50.8", "I11.0", "I13.0", "I13.2"),
    "N18.9": ("N18.1", "N18.2", "N18.3", "N18.4", "N18.5", "N18.6"),
    "E03.9": ("E03.0", "E03.1", "E03.2", "E03.8", "E06.3", "E89.0"),
    "F03.90": ("G30", "F01", "F02", "G31.0", "G31.83"),
    "R58": ("K92.0", "K92.1", "K92.2", "O72", "O46", "I85.01", "I85.11", "D62"),
    "J18.9": ("J13", "J14", "J15", "J16", "J12", "J69.0"),
    "R50.9": ("D70.9", "R50.81"),
    "E11.9": ("E11.0", "E11.1", "E11.2", "E11.3", "E11.4", "E11.5", "E11.6", "E11.8"),
    "E10.9": ("E10.1", "E10.2", "E10.3", "E10.4", "E10.5", "E10.6", "E10.8"),
}  # fmt: skip
"""Generic code -> code prefixes of the same condition stated more precisely."""

_DIABETES_TYPE = {"E10": "type 1", "E11": "type 2"}


def refine(
    diagnoses: Sequence[Diagnosis],
    valid: Callable[[str], bool],
    context: Callable[[Diagnosis], str] | None = None,
) -> list[Diagnosis]:
    """`diagnoses` with the codes of present patient conditions refined by the rest of the
    report (module doc). `valid(code)` says whether a code is a valid ICD-10-CM code; a
    refinement that would give an invalid one is not made. `context(dx)` is the report text
    around a mention (for its side)."""
    current = [d for d in diagnoses if d.icd10 and d.subject == "patient" and d.status == "present"]
    codes = {(d.icd10 or "").upper() for d in current}
    words = " ".join(d.text.lower() for d in current)
    out: list[Diagnosis] = []
    for dx in diagnoses:
        if dx not in current or dx.icd10 is None:
            out.append(dx)
            continue
        around = context(dx).lower() if context is not None else None
        code = dx.icd10.upper()
        for _ in range(3):  # each step may open another ("hyperglycemia" -> E11.9 -> E11.65)
            refined = _step(code, codes, words, around)
            if refined is None or refined == code or not valid(refined):
                break
            code = refined
        if code != dx.icd10.upper():
            out.append(replace(dx, icd10=code, description=None, billable=None))
        else:
            out.append(dx)
    return out


def _step(code: str, codes: set[str], words: str, around: str | None) -> str | None:
    """One refinement of `code`, or None."""
    if around is not None and (stated := _stated(code, around, codes, words)) is not None:
        return stated
    refined = _hypertension(code, codes) or _diabetes_type(code, codes)
    if refined is None:
        refined = _superseded(code, codes) or _same_category(code, codes)
    if refined is None and around is not None:
        refined = _sibling(code, around, words)
    return refined


def _hypertension(code: str, codes: set[str]) -> str | None:
    if code != "I10":
        return None
    ckd = sorted(c for c in codes if c.startswith("N18"))
    heart_failure = any(c.startswith("I50") for c in codes)
    end_stage = any(c in ("N18.5", "N18.6") for c in ckd)
    if ckd and heart_failure:
        return "I13.2" if end_stage else "I13.0"
    if ckd:
        return "I12.0" if end_stage else "I12.9"
    if heart_failure:
        return "I11.0"
    return None


def _diabetes_type(code: str, codes: set[str]) -> str | None:
    """A type 2 complication code in a report that names only type 1 diabetes, or the
    reverse, takes the type the report names."""
    family = code[:3]
    if family not in _DIABETES_TYPE or code in ("E10.9", "E11.9"):
        return None
    types = {c[:3] for c in codes if c[:3] in _DIABETES_TYPE}
    if len(types) != 1 or family in types:
        return None
    return next(iter(types)) + code[3:]


def _superseded(code: str, codes: set[str]) -> str | None:
    prefixes = _SUPERSEDED_BY.get(code)
    if not prefixes:
        return None
    specific = sorted(c for c in codes if c != code and c.startswith(prefixes))
    return specific[0] if specific else None


def _icd() -> Any:
    from frontdesk.medical.ontology import icd_module

    return icd_module()


def _description(code: str) -> str:
    try:
        return str(_icd().get_description(code))
    except ValueError:
        return ""


def _is_unspecified(code: str) -> bool:
    return "unspecified" in _description(code).lower()


def _same_category(code: str, codes: set[str]) -> str | None:
    """An unspecified code beside a specific sibling of its category: the specific one."""
    if not _is_unspecified(code):
        return None
    siblings = sorted(
        c for c in codes if c != code and c[:3] == code[:3] and not _is_unspecified(c)
    )
    return siblings[0] if siblings else None


_SIDES = ("bilateral", "right", "left")
_WITHOUT = re.compile(r"\bwithout\s+([a-z ]+?)(?:,|$)")


def _sibling(code: str, around: str, report_words: str) -> str | None:
    """The sibling code a mention's words or the report support: its side, or "with X"."""
    icd = _icd()
    try:
        parent = icd.get_parent(code)
        siblings = [str(c) for c in icd.get_children(parent)] if parent else []
    except ValueError:
        return None
    description = _description(code).lower()
    if "unspecified" in description:
        for side in _SIDES:
            if re.search(rf"\b{side}\b", around) or (
                side == "bilateral" and re.search(r"\b(?:both|bilat)\b", around)
            ):
                words = set(re.findall(r"[a-z]+", description))
                context = set(re.findall(r"[a-z]+", around))
                for sibling in siblings:
                    # every word the sibling adds (its side, its body part) is in the mention
                    added = set(re.findall(r"[a-z]+", _description(sibling).lower())) - words
                    if side in added and added - {side} <= context:
                        return sibling
    without = _WITHOUT.search(description)
    if without is not None:
        feature = without.group(1).strip()
        if feature and re.search(rf"\b{re.escape(feature)}\b", report_words):
            wanted = description.replace(f"without {feature}", f"with {feature}")
            for sibling in siblings:
                if _description(sibling).lower() == wanted:
                    return sibling
    return None


# ---- what the mention's own words add ------------------------------------------------------

_EXACERBATION = re.compile(r"\b(?:exacerbation|flare|flare-up|attack)\b")
_ASTHMA_EXACERBATION = re.compile(
    r"\basthma\w*\s+(?:\w+\s+)?(?:exacerbation|flare|attack)|(?:exacerbation|flare)\s+of\s+"
    r"(?:\w+\s+)?asthma"
)
_VARICEAL_BLEEDING = re.compile(
    r"\bvariceal\s+(?:bleed\w*|hemorrhage|haemorrhage)|bleeding\s+(?:esophageal\s+)?varices"
)
_CHEMOTHERAPY = re.compile(
    r"\b(?:chemo\w*|antineoplastic|post-chemo|c\d{1,2}d\d{1,2}|nadir|myelosuppress\w*|"
    r"r-chop|chop|folfox|folfiri\w*|abvd|carboplatin|cisplatin|paclitaxel|docetaxel|"
    r"gemcitabine|doxorubicin|cyclophosphamide|cytarabine|7\+3|capecitabine)\b"
)
_CHEMO_INDUCED = {
    "D70.9": "D70.1", "D70.8": "D70.1", "D70.2": "D70.1", "D61.818": "D61.810",
    "D61.81": "D61.810", "D69.6": "D69.59", "D64.9": "D64.81",
}  # fmt: skip
_HYPERGLYCEMIA = re.compile(
    r"\b(?:hyperglyc\w*|poorly\s+controlled|uncontrolled|out\s+of\s+control|not\s+well\s+"
    r"controlled|not\s+controlled)\b"
)
_REMISSION = re.compile(r"\bin\s+(?:early\s+|sustained\s+|full\s+|partial\s+)?remission\b")
_MILD = re.compile(r"\bmild\b")
_MEDICATION_WORDS = re.compile(
    r"\b(?:medications?|meds|medicines?|pills|tablets|doses|insulin|inhalers?|diuretics?|"
    r"antihypertensives?|lasix|furosemide|anticoagula\w*|antiretroviral\w*|art)\b"
)
_LIVER_DISEASE = ("K70.3", "K74.6", "K76.6", "K74.3", "K74.4", "K74.5", "K71.7")


def _stated(code: str, around: str, codes: set[str], report_words: str) -> str | None:
    """The code the mention's own words or the report call for, as a coder reads them:
    an asthma or COPD exacerbation (J45.x1, J44.1), a cytopenia attributed to chemotherapy
    (D70.1, D61.810, D69.59, D64.81), diabetes with hyperglycemia or poor control (E1x.65),
    a substance use disorder that is mild (F1x.1x) or in remission (F1x.x1), esophageal varices
    in liver disease (I85.1x), and non-adherence to medication (Z91.148)."""
    if (
        code.startswith("J45.")
        and code.endswith("0")
        and (_EXACERBATION.search(around) or _ASTHMA_EXACERBATION.search(report_words))
    ):
        return code[:-1] + "1"
    if code == "J44.9" and _EXACERBATION.search(around):
        return "J44.1"
    if code in _CHEMO_INDUCED and _CHEMOTHERAPY.search(around):
        return _CHEMO_INDUCED[code]
    if code in ("E10.9", "E11.9", "E13.9") and (
        _HYPERGLYCEMIA.search(around) or "hyperglyc" in report_words
    ):
        return code[:3] + ".65"
    if re.fullmatch(r"F1[0-69]\.2\d", code):
        base = code[:4] + ("1" if _MILD.search(around) else "2")
        return base + ("1" if _REMISSION.search(around) else code[5])
    if code.startswith("I85.0") and any(c.startswith(_LIVER_DISEASE) for c in codes):
        return "I85.1" + code[5]
    if code in ("I85.00", "I85.10") and _VARICEAL_BLEEDING.search(report_words):
        return code[:5] + "1"
    if code == "Z91.199" and _MEDICATION_WORDS.search(around):
        return "Z91.148"
    return None
