"""Entity extraction from a clinical report: labs, medications and diagnoses with offsets.

`extract(text)` is offline and deterministic: dictionary matching (`_lexicon`: ~70 labs keyed
by LOINC, ~370 generics with their brands, ~320 curated conditions with ICD-10-CM codes and
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

import re
from collections.abc import Callable
from typing import TypeVar

from frontdesk.medical import _context, _parse
from frontdesk.medical._input import MAX_TEXT_CHARS, check_text
from frontdesk.medical._lexicon import ConditionDef, DrugDef, LabDef, Match, Term, lexicon
from frontdesk.medical._model_extraction import extract_with_model
from frontdesk.medical.entities import (
    Attribute,
    Diagnosis,
    Entity,
    Extraction,
    Lab,
    Medication,
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
    text = check_text(text)
    headings = _context.sections(text)
    bounds = _context.clause_bounds(text, headings)
    matches = list(lexicon().matches(text))
    result = Extraction()
    assumed_units: list[str] = []
    drug_matches: list[tuple[Match, Term]] = []
    for match in matches:
        section = _context.section_at(headings, match.begin)
        lab = match.of_kind("lab")
        drug = match.of_kind("medication")
        if lab is not None and _add_labs(text, match, lab, drug, section, result, assumed_units):
            continue
        if drug is not None:
            drug_matches.append((match, drug))
            continue
        condition = match.of_kind("condition")
        if condition is not None:
            _add_diagnosis(text, match, condition, section, bounds, result)
    _add_medications(text, drug_matches, headings, bounds, result)
    result.labs = _unique(result.labs, lambda x: (x.loinc, x.value, x.unit))
    result.medications = _unique(
        result.medications, lambda x: (x.name, x.dose, x.frequency, x.route)
    )
    # One diagnosis per code and reading; every mention stays in `entities`.
    result.diagnoses = _unique(
        result.diagnoses,
        lambda x: (x.icd10 or x.text.lower(), x.negated, x.subject, x.history),
    )
    if assumed_units:
        names = ", ".join(dict.fromkeys(assumed_units))
        result.notes.append(f"no unit written for {names}: the usual unit was assumed")
    result.entities.sort(key=lambda e: (e.begin_offset, e.end_offset))
    return result


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
    default_unit = definition.units[0] if definition.units else ""
    unit = next((v.unit for v in values if v.unit), None)
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
        result.labs.append(
            Lab(
                name=definition.name,
                value=value.value,
                unit=lab_unit,
                loinc=definition.loinc,
                text=_surface(text, match),
                begin_offset=match.begin,
                end_offset=match.end,
            )
        )
    return True


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


def _not_a_drug_here(text: str, match: Match) -> bool:
    if _NOT_A_DRUG_AFTER.match(text, match.end):
        return True
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
    if "HYPOTHETICAL" in traits:
        return  # only considered or watched for: not something the report says she has
    negated = "NEGATION" in traits
    family = "FAMILY" in traits
    history = "HISTORY" in traits
    code = definition.icd10
    if history and not negated and not family and definition.history_icd10:
        code = definition.history_icd10
    result.diagnoses.append(
        Diagnosis(
            text=surface,
            begin_offset=match.begin,
            end_offset=match.end,
            negated=negated,
            subject="family" if family else "patient",
            history=history,
            icd10=code,
        )
    )
