"""Entity extraction from a clinical report: labs, medications and diagnoses with offsets.

`extract(text)` is offline and deterministic: dictionary matching (`_lexicon`: ~70 labs keyed
by LOINC, ~780 generics with their brands, ~1,370 curated conditions with ICD-10-CM codes and
~8,700 terms from ICD-10-CM's own descriptions), the values written next to each name
(`_parse`: doses after plan verbs, combination products, dose changes), and ConText-style
traits and report sections (`_context`). Every `Entity` satisfies
`text == report[begin_offset:end_offset]`.

`extract_with_model(text, model)` asks a model for the same records as JSON (the schema of
`_model_extraction.ExtractionOut`), validates them with pydantic, re-asks with the validation
error when the answer is not valid, and raises `ModelError` after `max_attempts` invalid
answers.

Unusable input (not a str, empty, binary, over `MAX_TEXT_CHARS`) raises `InvalidInput`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import TypeVar

from frontdesk.medical import _context, _parse
from frontdesk.medical._allergies import find_allergies
from frontdesk.medical._input import MAX_TEXT_CHARS, check_text
from frontdesk.medical._lexicon import ConditionDef, DrugDef, LabDef, Match, Term, lexicon
from frontdesk.medical._model_extraction import extract_with_model
from frontdesk.medical.entities import (
    Allergy,
    Attribute,
    Diagnosis,
    Entity,
    Extraction,
    Lab,
    Medication,
    Status,
    is_history_code,
)

__all__ = ["MAX_TEXT_CHARS", "check_text", "extract", "extract_with_model"]

_T = TypeVar("_T")

_CONSIDERED_BEFORE = re.compile(r"\b(?:consider|considering|could\s+try|may\s+start)\b", re.I)
_CONSIDERED_AFTER = re.compile(r"^\W*(?:was|were|is|being)\s+considered\b", re.I)
# A drug's name used for something else: a device, a kind of patient or disease, an allergy,
# a drug class ("insulin pump", "insulin-treated diabetes", "calcium channel blocker").
_NOT_A_DRUG_AFTER = re.compile(
    r"(?:-(?:treated|dependent|requiring|induced|associated|related|naive|resistant|responsive)"
    r"|[ \t]+(?:pump|channel|score|resistance|allergy|allergic|intolerance|oxalate|"
    r"deposits?|stones?))\b",
    re.I,
)
# A name that is also a lab, talked about as a result ("B12 and folate were normal").
_LAB_RESULT_AFTER = re.compile(
    r"[ \t]+(?:levels?\b|(?:was|were|is|are)[ \t]+(?:normal|low|high|elevated|checked|pending|"
    r"within|replete|deficient|sent|drawn|ordered)\b)",
    re.I,
)
_LAB_RESULT_BEFORE = re.compile(
    r"\b(?:serum|ionized|ionised|corrected|urine|urinary|artery|low|high|elevated|check|"
    r"recheck|repeat|monitor)[ \t]+$",
    re.I,
)
# Two ingredients of one product: "losartan-HCTZ", "Calcium + vitamin D 600 mg/400 IU".
_JOINED = re.compile(r"[-/]")
_COMBINED = re.compile(r"[ \t]*(?:[-/+&]|and|with|plus)[ \t]*", re.I)


def extract(text: str) -> Extraction:
    """Labs, medications and diagnoses of a report, offline (see the module doc)."""
    original = check_text(text)
    # an EHR export with its line breaks flattened to commas reads with them put back (the
    # same length, so every offset still points into the original)
    text = _context.layout(original)
    headings = _context.sections(text)
    bounds = _context.clause_bounds(text, headings)
    matches = list(lexicon().matches(text))
    result = Extraction()
    assumed_units: list[str] = []
    drug_matches: list[tuple[Match, Term]] = []
    paired = _paired_labs(text, matches, headings, result)
    for match in matches:
        if match.begin in paired:
            continue
        section = _context.section_at(headings, match.begin)
        lab = match.of_kind("lab")
        drug = match.of_kind("medication")
        if lab is not None and _add_labs(text, match, lab, drug, section, result, assumed_units):
            continue
        if drug is not None:
            drug_matches.append((match, drug))
            continue
        condition = match.of_kind("condition")
        if condition is not None and section != "allergies":
            # a reaction in the allergy list ("LISINOPRIL (angioedema)") is the allergy's
            _add_diagnosis(text, match, condition, section, bounds, result)
    _add_medications(text, drug_matches, headings, bounds, result)
    result.allergies = find_allergies(text, headings, matches)
    # a reaction written with an allergy ("penicillin (hives)") is the allergy's, not a diagnosis
    reactions = [
        (a.end_offset, _line_end(text, a.end_offset, a.end_offset + len(a.reaction) + 12))
        for a in result.allergies
        if a.reaction
    ]
    # ... and so is one written after the allergen elsewhere ("the amoxicillin rash was mild")
    allergens = [a.name.lower() for a in result.allergies]
    result.diagnoses = [
        d for d in result.diagnoses
        if not any(b <= d.begin_offset < e for b, e in reactions)
        and not _after_allergen(text, d.begin_offset, allergens)
    ]  # fmt: skip
    if _MATERNAL.search(text) and not _NEWBORN_PATIENT.search(text):
        # the mother's note: a perinatal condition (P00-P96) or a liveborn code is the baby's
        for d in result.diagnoses:
            if d.icd10 and (d.icd10.startswith("P") or d.icd10.startswith("Z38")):
                d.subject = "family"
    result.labs = _unique(result.labs, lambda x: (x.loinc, x.value, x.unit))
    result.medications = _unique(
        result.medications, lambda x: (x.name, x.dose, x.frequency, x.route)
    )
    # One diagnosis per code and reading; every mention stays in `entities`.
    result.diagnoses = _unique(
        result.diagnoses,
        lambda x: (x.icd10 or x.text.lower(), x.status, x.subject),
    )
    if assumed_units:
        names = ", ".join(dict.fromkeys(assumed_units))
        result.notes.append(f"no unit written for {names}: the usual unit was assumed")
    result.entities.sort(key=lambda e: (e.begin_offset, e.end_offset))
    if text != original:
        _restore_surfaces(result, original)
    return result


def _restore_surfaces(result: Extraction, original: str) -> None:
    """Every `text` read off the laid-out copy, read off the original instead."""
    for entity in result.entities:
        entity.text = original[entity.begin_offset : entity.end_offset]
        for attribute in entity.attributes:
            attribute.text = original[attribute.begin_offset : attribute.end_offset]
    records: list[Lab | Medication | Diagnosis | Allergy] = [
        *result.labs, *result.medications, *result.diagnoses, *result.allergies,
    ]  # fmt: skip
    for record in records:
        if record.text:
            record.text = original[record.begin_offset : record.end_offset]


def _unique(items: list[_T], key: Callable[[_T], object]) -> list[_T]:
    seen: set[object] = set()
    out: list[_T] = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def _surface(text: str, match: Match) -> str:
    return text[match.begin : match.end]


# --- labs ----------------------------------------------------------------------------------


def _add_labs(
    text: str,
    match: Match,
    term: Term,
    drug: Term | None,
    section: str | None,
    result: Extraction,
    assumed_units: list[str],
) -> bool:
    definition = term.definition
    assert isinstance(definition, LabDef)
    if match.begin >= 2 and text[match.begin - 1] == "-" and text[match.begin - 2].isalnum():
        return False  # the end of another name: "DAS28-CRP" is a score, not a CRP
    values = _parse.lab_values(text, match.end)
    if not values:
        return False
    if drug is not None and values[0].unit is None:
        return False  # "Vitamin D 1000 units", "folic acid 1 mg": the drug, not the lab
    if _an_order(text, match, values[0]):
        return drug is None  # "potassium 20 mEq BID", "2 g sodium diet": not a result
    default_unit = definition.units[0] if definition.units else ""
    unit = next((v.unit for v in values if v.unit), None)
    specimen = _specimen(text, match.begin, section)
    for value in values:
        attributes = [
            Attribute(
                type="TEST_VALUE",
                text=value.value_span.text,
                begin_offset=value.value_span.begin,
                end_offset=value.value_span.end,
            )
        ]
        if value.unit_span is not None:
            attributes.append(
                Attribute(
                    type="TEST_UNIT",
                    text=value.unit_span.text,
                    begin_offset=value.unit_span.begin,
                    end_offset=value.unit_span.end,
                )
            )
        lab_unit = value.unit or unit
        if lab_unit is None:
            lab_unit = default_unit
            if default_unit:
                assumed_units.append(f"{definition.name} ({default_unit})")
        result.entities.append(
            Entity(
                type="lab",
                text=_surface(text, match),
                begin_offset=match.begin,
                end_offset=match.end,
                attributes=attributes,
                section=section,
            )
        )
        number, lab_unit = _per_thousand(definition, value.value, lab_unit)
        name, loinc = definition.name, definition.loinc  # type: str, str | None
        if specimen != "blood":
            loinc = _SPECIMEN_LOINC.get((definition.loinc, specimen))
            name = f"{definition.name} ({_SPECIMEN_NAMES[specimen]})"
        result.labs.append(
            Lab(
                name=name,
                value=number,
                unit=lab_unit,
                loinc=loinc,
                text=_surface(text, match),
                begin_offset=match.begin,
                end_offset=match.end,
                specimen=specimen,
            )
        )
    return True


_PAIR_JOIN = re.compile(r"[ \t]*(?:and|&|/|,)[ \t]*", re.IGNORECASE)
_PAIR_VALUES = re.compile(
    rf"(?:[ \t]*(?:were|was|are|is|of|at|:|=|-|,|respectively))*[ \t]*(?P<a>{_parse.NUMBER})"
    rf"[ \t]*(?:and|&|/|,)[ \t]*(?P<b>{_parse.NUMBER})(?![\d/])",
    re.IGNORECASE,
)


def _paired_labs(
    text: str, matches: list[Match], headings: list[_context.Section], result: Extraction
) -> set[int]:
    """Two labs named together and valued together: "BUN and creatinine were 31 and 2.1",
    "BUN/Cr 38/1.9", "hemoglobin and hematocrit 13.9 and 42.1" (first value to the first
    name). Returns where the names begin, so they are not read again one by one."""
    done: set[int] = set()
    for first, second in itertools.pairwise(matches):
        a, b = first.of_kind("lab"), second.of_kind("lab")
        if a is None or b is None or first.begin in done:
            continue
        if not _PAIR_JOIN.fullmatch(text, first.end, second.begin):
            continue
        values = _PAIR_VALUES.match(text, second.end)
        if values is None:
            continue
        section = _context.section_at(headings, first.begin)
        specimen = _specimen(text, first.begin, section)
        for term, match, group in ((a, first, "a"), (b, second, "b")):
            definition = term.definition
            assert isinstance(definition, LabDef)
            unit = definition.units[0] if definition.units else ""
            number, unit = _per_thousand(definition, _parse.number(values.group(group)), unit)
            result.entities.append(Entity(
                type="lab", text=_surface(text, match), begin_offset=match.begin,
                end_offset=match.end, section=section,
                attributes=[Attribute(type="TEST_VALUE", text=values.group(group),
                                      begin_offset=values.start(group),
                                      end_offset=values.end(group))],
            ))  # fmt: skip
            result.labs.append(Lab(
                name=definition.name, value=number, unit=unit, loinc=definition.loinc,
                text=_surface(text, match), begin_offset=match.begin, end_offset=match.end,
                specimen=specimen,
            ))  # fmt: skip
        done.update((first.begin, second.begin))
    return done


_COUNTS_PER_THOUSAND = frozenset({"777-3", "6690-2", "751-8", "731-0", "742-7", "711-2", "704-7"})
"""Counts reported per 10³/µL, often written per µL ("platelets 287,000", "WBC 11,200")."""
_PER_MICROLITRE = re.compile(r"^(?:/|cells/)u[lL]$")


def _per_thousand(definition: LabDef, value: float, unit: str) -> tuple[float, str]:
    """A count written per µL, in the 10³/µL its ranges use: 287,000 platelets is 287."""
    if definition.loinc not in _COUNTS_PER_THOUSAND:
        return value, unit
    per_microlitre = bool(_PER_MICROLITRE.match(unit or ""))
    if per_microlitre or (value >= 1000 and not unit.startswith(("x10^9", "10^9"))):
        return value / 1000.0, "10*3/uL"
    return value, unit


_SPECIMEN_CUE = re.compile(
    r"\b(?:(?P<urine>ua|u/a|urinalysis|urine|urinary|ucx|dipstick)|(?P<csf>csf|cerebrospinal|"
    r"lp|lumbar\s+puncture|spinal\s+fluid)|(?P<pleural>pleural|thoracentesis)|"
    r"(?P<peritoneal>peritoneal|ascitic|ascites|paracentesis)|(?P<synovial>synovial|joint\s+fluid|"
    r"arthrocentesis|joint\s+aspirat\w*))\b",
    re.IGNORECASE,
)
_BLOOD_CUE = re.compile(r"\b(?:serum|plasma|blood|bmp|cmp|cbc|chem\w*|abg|vbg|arterial)\b", re.I)
_SPECIMEN_NAMES = {
    "urine": "urine", "csf": "CSF", "pleural": "pleural fluid", "peritoneal": "peritoneal fluid",
    "synovial": "synovial fluid",
}  # fmt: skip
_SPECIMEN_LOINC = {
    ("2744-1", "urine"): "5803-2", ("6690-2", "urine"): "5821-4", ("789-8", "urine"): "13945-1",
    ("2885-2", "urine"): "2888-6", ("2345-7", "urine"): "2350-7", ("2951-2", "urine"): "2955-3",
    ("2160-0", "urine"): "2161-8", ("6690-2", "csf"): "26465-5", ("789-8", "csf"): "26466-3",
    ("2885-2", "csf"): "2880-3", ("2345-7", "csf"): "2342-4",
}  # fmt: skip
"""The specimen's own LOINC for the few pairs we are sure of; the others have none."""


def _specimen(text: str, begin: int, section: str | None) -> str:
    """Which fluid a result is from: the nearest specimen word before it on its line ("UA: SG
    1.010, pH 5.5", "pleural fluid: LDH 310"), unless a blood word comes after that word."""
    line_start = text.rfind("\n", 0, begin) + 1
    window = text[max(line_start, begin - 120) : begin]
    cues = list(_SPECIMEN_CUE.finditer(window))
    if not cues:
        return "blood"
    cue = cues[-1]
    if _BLOOD_CUE.search(window, cue.end()):
        return "blood"
    return next(k for k, v in cue.groupdict().items() if v)


_ORDER_UNIT = re.compile(
    r"[ \t]*(?:mEq|meq|mmol|mg|mcg|g|gm|grams?|units?|iu|ml|mL|cc|tabs?|tablets?|amps?)\b"
    r"(?![ \t]*/[ \t]*(?:l|dl|ml|L|dL|mL|kg|g|hpf|lpf|mmol|mol)\b)"
)
_ORDER_BEFORE = re.compile(
    r"(?:\b(?:replete|repleted|replace|replacement|give|given|start|started|supplement\w*|kcl|"
    r"k-?dur|klor-?con|drip|infusion|bolus|restrict\w*|oral|iv|po)|\d[\d.]*[ \t]*-?[ \t]*"
    r"(?:g|gm|gram|grams|mg|meq|mEq|mmol))[ \t]*-?[ \t]*$",
    re.IGNORECASE,
)
_ORDER_AFTER = re.compile(
    r"^[^\n.;]{0,25}\b(?:diet|drip|infusion|bolus|daily|bid|tid|qid|twice|once|per\s+day|a\s+day|"
    r"/day|/hr|/h\b|an\s+hour|per\s+hour|restriction|supplement|tablets?|po\b)",
    re.IGNORECASE,
)


def _an_order(text: str, match: Match, first: _parse.LabValue) -> bool:
    """A dose, an order or a diet written like a result: "potassium 20 mEq twice a day", "a
    2 g sodium diet", "bicarbonate drip at 100 mL an hour"."""
    if _ORDER_BEFORE.search(text[max(0, match.begin - 25) : match.begin]):
        return True
    after_value = (first.unit_span or first.value_span).end
    if first.unit is None and _ORDER_UNIT.match(text, first.value_span.end):
        return True
    return bool(_ORDER_AFTER.match(text, after_value)) and first.unit is None


# --- medications ---------------------------------------------------------------------------


def _add_medications(
    text: str,
    drugs: list[tuple[Match, Term]],
    headings: list[_context.Section],
    bounds: list[int],
    result: Extraction,
) -> None:
    merged: set[int] = set()
    for i, (match, term) in enumerate(drugs):
        if i in merged:
            continue
        definition = term.definition
        assert isinstance(definition, DrugDef)
        section = _context.section_at(headings, match.begin)
        if (
            section == "allergies"
            or _only_considered(text, bounds, match)
            or _not_a_drug_here(text, match)
        ):
            continue
        name = definition.name
        brand = _surface(text, match) if term.brand else None
        skip: list[tuple[int, int]] = []
        following = drugs[i + 1] if i + 1 < len(drugs) else None
        if following is not None and _parenthesised_same_drug(text, match, following):
            merged.add(i + 1)
            skip.append((following[0].begin, following[0].end))
            if following[1].brand:
                brand = brand or _surface(text, following[0])
        end = match.end
        dose: _parse.Dose | None = None
        combination = _combination(text, drugs, i, merged)
        if combination is not None:
            other, dose = combination
            merged.add(i + 1)
            other_def = drugs[i + 1][1].definition
            assert isinstance(other_def, DrugDef)
            name = f"{name}/{other_def.name}"
            end = other.end
        next_other = next(
            (m.begin for j, (m, _) in enumerate(drugs) if j > i and j not in merged), len(text)
        )
        stop = min(_attribute_stop(text, end), next_other)
        if combination is None:
            dose = _parse.dose_after(text, end, stop, skip) or _parse.dose_before(text, match.begin)
        after = dose.span.end if dose and dose.span.begin > end else end
        route = _parse.route_in(text, after, stop)
        frequency = _parse.frequency_in(text, after, stop)
        changed = _parse.changed_dose(text, after, stop) if dose else None
        attributes: list[Attribute] = []
        for kind, found in (
            ("DOSAGE", dose.span if dose else None),
            ("ROUTE_OR_MODE", route[1] if route else None),
            ("FREQUENCY", frequency[1] if frequency else None),
            ("DOSAGE", changed.span if changed else None),
        ):
            if found is not None:
                attributes.append(
                    Attribute(
                        type=kind, text=found.text, begin_offset=found.begin, end_offset=found.end
                    )
                )
        result.entities.append(
            Entity(
                type="medication",
                text=text[match.begin : end],
                begin_offset=match.begin,
                end_offset=end,
                attributes=attributes,
                section=section,
            )
        )
        # "30 units nightly, continued at 24 units": one record per dose the mention gives.
        doses = [dose]
        if changed is not None and (dose is None or changed.text != dose.text):
            doses.append(changed)
        for written in doses:
            result.medications.append(
                Medication(
                    name=name,
                    text=text[match.begin : end],
                    dose=written.text if written else None,
                    frequency=frequency[0] if frequency else None,
                    route=route[0] if route else None,
                    brand=brand,
                    begin_offset=match.begin,
                    end_offset=end,
                )
            )


_ALLERGY_BEFORE = re.compile(
    r"\b(?:allergic\s+(?:reaction\s+)?to|allergy\s+to|allergies\s+to|intoleran(?:t|ce)\s+(?:of|to)|"
    r"reacts?\s+to|reaction\s+to)\s+(?:[\w-]+(?:,|\s+and|\s+or)?\s+){0,4}$",
    re.IGNORECASE,
)


def _not_a_drug_here(text: str, match: Match) -> bool:
    if _NOT_A_DRUG_AFTER.match(text, match.end):
        return True
    if _ALLERGY_BEFORE.search(text[max(0, match.begin - 60) : match.begin]):
        return True  # "allergic to amoxicillin (rash)": an allergy, not a medication
    if match.of_kind("lab") is None:
        return False
    before = text[max(0, match.begin - 20) : match.begin]
    return bool(_LAB_RESULT_AFTER.match(text, match.end) or _LAB_RESULT_BEFORE.search(before))


def _combination(
    text: str, drugs: list[tuple[Match, Term]], i: int, merged: set[int]
) -> tuple[Match, _parse.Dose | None] | None:
    """The second ingredient and the dose of a combination product starting at drug `i`:
    two names joined by a hyphen or slash ("losartan-HCTZ"), or by "+", "and", "with" when a
    two-part dose follows ("Calcium + vitamin D 600 mg/400 IU"); None otherwise."""
    if i + 1 >= len(drugs) or i + 1 in merged:
        return None
    first, term = drugs[i]
    other, other_term = drugs[i + 1]
    assert isinstance(term.definition, DrugDef)
    assert isinstance(other_term.definition, DrugDef)
    if term.definition.name == other_term.definition.name:
        return None
    between = text[first.end : other.begin]
    if not _COMBINED.fullmatch(between):
        return None
    later = next((m.begin for m, _ in drugs[i + 2 : i + 3]), len(text))
    stop = min(_attribute_stop(text, other.end), later)
    dose = _parse.dose_after(text, other.end, stop, [])
    both = _parse.combination_dose(text, dose) if dose else None
    if both is not None:
        return other, both
    if _JOINED.fullmatch(between):
        return other, dose
    return None


def _parenthesised_same_drug(text: str, match: Match, following: tuple[Match, Term]) -> bool:
    other, term = following
    assert isinstance(term.definition, DrugDef)
    first = match.of_kind("medication")
    assert first is not None
    assert isinstance(first.definition, DrugDef)
    between = text[match.end : other.begin]
    return (
        term.definition.name == first.definition.name
        and re.fullmatch(r"[ \t]*(?:[A-Za-z]{2,4}[ \t]*)?\([ \t]*", between) is not None
        and re.match(r"[ \t]*\)", text[other.end : other.end + 4]) is not None
    )


def _attribute_stop(text: str, begin: int) -> int:
    """Where a drug's dose, route and frequency can no longer be: the end of its line, of its
    sentence or clause, or 90 characters on."""
    stop = _parse.prose_end(text, begin, 90)
    m = re.compile(r";|\.(?=\s)").search(text, begin, stop)
    return m.start() if m else stop


def _only_considered(text: str, bounds: list[int], match: Match) -> bool:
    around = _context.scope(text, bounds, match.begin, match.end)
    return bool(_CONSIDERED_BEFORE.search(around.before) or _CONSIDERED_AFTER.search(around.after))


# --- diagnoses -----------------------------------------------------------------------------


def _add_diagnosis(
    text: str,
    match: Match,
    term: Term,
    section: str | None,
    bounds: list[int],
    result: Extraction,
) -> None:
    definition = term.definition
    assert isinstance(definition, ConditionDef)
    test = _A_TEST.match(text, match.end) or _A_TEST_BEFORE.search(
        text[max(0, match.begin - 15) : match.begin]
    )
    around = _context.scope(text, bounds, match.begin, match.end)
    traits = _context.traits(around, section)
    surface = _surface(text, match)
    result.entities.append(
        Entity(
            type="diagnosis",
            text=surface,
            begin_offset=match.begin,
            end_offset=match.end,
            traits=traits,
            section=section,
        )
    )
    family = "FAMILY" in traits
    history = "HISTORY" in traits
    status = _status(traits, definition, around, surface)
    if test and status == "present":
        # the condition names a test ("QuantiFERON-TB Gold", "HIV antibody"): its result says
        # whether the patient has it; no result yet is only a question
        outcome = _TEST_RESULT.search(text, match.end, min(len(text), match.end + 60))
        status = (
            "possible" if outcome is None else ("absent" if outcome.group("neg") else "present")
        )
    code = definition.icd10
    if status == "historical" and not family and definition.history_icd10:
        code = definition.history_icd10
    result.diagnoses.append(
        Diagnosis(
            text=surface,
            begin_offset=match.begin,
            end_offset=match.end,
            status=status,
            subject="family" if family else "patient",
            history=history,
            icd10=code,
        )
    )


_ONGOING = re.compile(
    r"\b(?:now\s+on|currently|current|ongoing|active|on\s+(?:chemo\w*|treatment|therapy|"
    r"immunotherapy|dialysis)|receiving|undergoing|metastatic|persistent|persists|still|"
    r"worsening|progressive|progression|uncontrolled|poorly\s+controlled|since\s+(?:\d{1,2}/)?"
    r"(?:19|20)\d\d|since\s+age)\b",
    re.I,
)


_DATED_EPISODE = re.compile(
    r"^[ \t,(]*(?:\w+[ \t]+){0,2}?(?:in|at|during|age|as\s+a)[ \t]+(?:age[ \t]+)?"
    r"(?:(?:\d{1,2}/)?(?:19|20)\d\d|\d{1,2}[ \t]*(?:months?|years?|yo|y/o)?|child|kid|teen\w*|"
    r"infant|baby|toddler)\b",
    re.I,
)
_EARLIER_EPISODE = re.compile(
    r"\b(?:\d+|a|one|two|three|four|five|six|several|few|a\s+few|a\s+couple\s+of)[ \t-]+"
    r"(?:days?|weeks?|months?|years?)\s+(?:after|following|post)\s+(?:a|an|the|his|her|their)?"
    r"\s*(?:recent\s+|brief\s+|mild\s+|bout\s+of\s+|episode\s+of\s+)?$",
    re.I,
)
_DIAGNOSED = re.compile(r"\b(?:diagnosed|dx'?d?|known|chronic|since)\b", re.I)
_DATED_BEFORE = re.compile(
    r"\b(?:hospitali[sz]ation|admission|admitted|episode|hospitali[sz]ed|treated|surgery)\s+"
    r"(?:in\s+)?(?:\d{1,2}/)?(?:19|20)\d\d\s+(?:for|with|due\s+to)\s+(?:\w+\s+){0,3}$",
    re.I,
)


_A_TEST = re.compile(
    r"[ \t-]*(?:and\s+\w+\s+)?(?:gold|test|testing|tests|serolog\w*|screen\w*|antibod\w*|ab|pcr|"
    r"panel|titer|titre|igg|igm|antigen|ag|culture|swab|rapid\s+test|viral\s+load|rna|dna)\b",
    re.IGNORECASE,
)
_A_TEST_BEFORE = re.compile(r"\b(?:quantiferon|interferon\s+gamma|anti)[ \t-]*$", re.I)
_TEST_RESULT = re.compile(
    r"^[^.;\n]*?\b(?:(?P<neg>negative|neg|non-?reactive|not\s+detected|undetectable|normal)|"
    r"positive|pos|reactive|detected)\b",
    re.I,
)


def _status(
    traits: list[str], definition: ConditionDef, around: _context.Scope, surface: str = ""
) -> Status:
    """What the report says of the condition (`entities.Status`). A past mention is
    `historical` when the condition is over: an episode that has a personal-history code (MI,
    stroke, cancer), or one told as resolved or treated; a chronic condition in the past
    history (diabetes, hypertension) stays `present`, and so does one said to be ongoing."""
    if "NEGATION" in traits:
        return "absent"
    if "POSSIBLE" in traits:
        return "possible"
    if "HYPOTHETICAL" in traits:
        return "hypothetical"
    if is_history_code(definition.icd10):
        return "historical"  # "former smoker" (Z87.891) is a past condition by its code
    if _EARLIER_EPISODE.search(around.before[-60:]) and not _ONGOING.search(surface):
        # "two weeks after a diarrheal illness": the illness that came before, now over
        return "historical"
    if not {"HISTORY", "RESOLVED", "TREATED"} & set(traits):
        return "present"
    if (
        _ONGOING.search(around.before[-50:])
        or _ONGOING.search(around.after[:60])
        or _ONGOING.search(surface)
    ):
        return "present"
    if "RESOLVED" in traits:
        return "historical"
    if "TREATED" in traits and ("HISTORY" in traits or definition.history_icd10):
        return "historical"
    dated = _DATED_EPISODE.match(around.after) or _DATED_BEFORE.search(around.before[-50:])
    if "HISTORY" in traits and dated and not _DIAGNOSED.search(around.before[-40:]):
        # "RSV bronchiolitis at 6 months", "hospitalization 2019 for mania": an episode
        return "historical"
    if "HISTORY" in traits and definition.history_icd10:
        return "historical"
    return "present"


_ALLERGEN_LINK = re.compile(
    r"[\s-]*(?:induced|associated|related|allergy|allergic|drug)?[\s-]*$", re.I
)


def _line_end(text: str, begin: int, limit: int) -> int:
    """`limit`, or the end of the line `begin` is on if that comes first."""
    newline = text.find("\n", begin, limit)
    return limit if newline < 0 else newline


def _after_allergen(text: str, begin: int, allergens: list[str]) -> bool:
    """The mention follows the name of one of the patient's allergens ("amoxicillin rash",
    "penicillin-induced hives"): it is that allergy's reaction."""
    before = text[max(0, begin - 40) : begin].lower()
    link = _ALLERGEN_LINK.search(before)
    head = before[: link.start()] if link else before
    return any(head.endswith(name) and not head[: -len(name)][-1:].isalnum() for name in allergens)


_MATERNAL = re.compile(
    r"\b(?:G\d{1,2}\s*P\d{1,4}|gravida|primigravida|multigravida|postpartum|post-partum|"
    r"antepartum|intrapartum|(?:vaginal|cesarean|caesarean)\s+(?:delivery|section)|SVD|NSVD|"
    r"\d{2}\s*w(?:ks?|eeks?)?\s*\d\s*d|weeks?\s+(?:of\s+)?gestation|intrauterine\s+pregnancy|"
    r"labor\s+and\s+delivery|L&D)\b",
    re.I,
)
_NEWBORN_PATIENT = re.compile(
    r"\b(?:born\s+to\s+(?:a|an|the)\b|day\s+of\s+life|DOL\s*#?\s*\d|(?:this|the)\s+"
    r"(?:newborn|neonate)\s+(?:is|was)|(?:male|female)\s+(?:newborn|neonate)|"
    r"(?:neonatal|NICU)\s+(?:admission|progress|discharge)\s+(?:note|summary))",
    re.I,
)
