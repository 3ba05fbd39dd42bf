"""Nothing crashes on any input: random text built from clinical pieces (headings, flattened
commas, numbers with separators and units, brackets, negations, allergy lists) and adversarial
shapes run through extraction, validation, analysis and the report. Every call either returns
a report whose entities point into the text, or raises `InvalidInput` with a reason."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontdesk.errors import InvalidInput
from frontdesk.medical.analysis import analyze
from frontdesk.medical.extraction import extract
from frontdesk.medical.ontology import validate
from frontdesk.medical.report import render_report

PIECES = [
    "PAST MEDICAL HISTORY:", "ALLERGIES:", "FAMILY HISTORY:", "ROS:", "A/P:", ".,", ":,", ",",
    ". ", "\n", "  ", "(", ")", "-", "/", "+", "#", "1.", "2)", "no", "denies", "history of",
    "rule out", "return if", "mother with", "s/p", "resolved", "possible", "Platelets",
    "287,000", "WBC", "11,200", "K", "6.8", "mEq", "mg", "2 g sodium diet", "UA:", "pH", "5.5",
    "CSF", "BUN and creatinine", "31 and 2.1", "H/H", "10.9/32.4", "penicillin", "(hives)",
    "NKDA", "sulfa - rash", "metformin 500 mg PO BID", "HTN", "CKD stage 3b", "T1DM",
    "diabetic neuropathy", "left breast cancer", "MI in 2015", "chest pain", "SOB", "fever",
    "38.6", "100.4 F", "x10^9/L", "µmol/L", "é", "ü", "—", "…", "∞", "0", "9" * 30,
]  # fmt: skip


def _run(text: str) -> None:
    try:
        extraction = validate(extract(text), text)
    except InvalidInput as exc:
        reason = str(exc)
    else:
        reason = None
    if reason is not None:
        assert reason  # a reason, not an empty message
        return
    analysis = analyze(extraction)
    report = render_report(extraction, analysis)
    assert report.markdown
    for entity in extraction.entities:
        assert entity.text == text[entity.begin_offset : entity.end_offset]
    for allergy in extraction.allergies:
        assert allergy.name


@settings(
    max_examples=150, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=12), max_size=60))
def test_random_clinical_text_never_crashes(pieces: list[str]) -> None:
    _run(" ".join(pieces))


@pytest.mark.parametrize(
    "text",
    [
        "x" * 50_000,
        "(" * 5_000 + ")" * 5_000,
        "," * 20_000,
        ".," * 10_000,
        "ALLERGIES:" * 2_000,
        "1,2" * 5_000,
        "Platelets " + "9," * 3_000 + "000",
        "BUN and creatinine 1 and " * 2_000,
        "denies " * 5_000 + "chest pain",
        "\u200b\u202e" * 1_000 + "HTN",
        "Na 138\u0000",
        "",
        "   \n\t ",
    ],
)
def test_adversarial_shapes_end_quickly_with_a_report_or_a_clear_error(text: str) -> None:
    started = time.perf_counter()
    _run(text)
    assert time.perf_counter() - started < 5.0
