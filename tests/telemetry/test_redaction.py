"""PHI stays out of telemetry: with content capture on, 50 messages and reports full of
synthetic identifiers go through the clinic app, and no identifier reaches any sink: the spans
(in memory and the JSON-lines file), the logs (captured and written to a file) or the metrics.
Recall per identifier type is printed (`pytest -s`) and must be 1.0 on this corpus."""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from frontdesk.runtime import App
from frontdesk.telemetry import RedactingFilter, Redactor, Telemetry, install_log_redaction

from .corpus import Identifier, leaked, load_corpus

CORPUS = load_corpus()


def test_the_corpus_has_50_texts_covering_every_identifier_type() -> None:
    assert len(CORPUS) == 50
    kinds = Counter(i.kind for s in CORPUS for i in s.identifiers)
    assert set(kinds) == {"NAME", "DATE", "PHONE", "EMAIL", "SSN", "MRN", "ADDRESS", "ID",
                          "URL", "IP"}  # fmt: skip
    assert sum(kinds.values()) >= 130


def test_recall_per_identifier_type_on_the_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    redactor = Redactor()
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    missed: list[Identifier] = []
    for sample in CORPUS:
        redacted = redactor.redact(sample.text)
        for identifier in sample.identifiers:
            total[identifier.kind] += 1
            if leaked(identifier, redacted):
                missed.append(identifier)
            else:
                found[identifier.kind] += 1
    with capsys.disabled():
        print("\nredaction recall on tests/telemetry/data/phi_corpus.txt")
        for kind in sorted(total):
            print(f"  {kind:8} {found[kind]:3}/{total[kind]:3}  {found[kind] / total[kind]:.3f}")
    assert not missed, f"identifiers left in the redacted text: {missed}"


def test_ordinary_clinic_messages_keep_their_meaning() -> None:
    redactor = Redactor()
    for text in (
        "I need an appointment next week with a cardiologist",
        "Is metformin 500 mg twice daily safe with lisinopril 10 mg?",
        "HbA1c 8.1 % and potassium 5.9 mmol/L, code E11.9",
        "Do you take Blue Cross PPO? My copay was 40 dollars",
        "I have had a headache for 3 days and a fever of 101",
    ):
        assert redactor.redact(text) == text


def test_the_log_filter_redacts_messages_arguments_and_tracebacks() -> None:
    record = logging.LogRecord("app", logging.ERROR, __file__, 1, "patient %s called from %s",
                               ("John Smith", "555-867-5309"), None)  # fmt: skip
    try:
        raise ValueError("SSN 123-45-6789 rejected")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert "John" not in formatted
    assert "867" not in formatted
    assert "6789" not in formatted
    assert "[NAME]" in formatted
    assert "[SSN]" in formatted


def test_no_identifier_reaches_spans_logs_or_metrics_with_content_capture_on(
    clinic_app: App, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    memory = InMemorySpanExporter()
    span_file = tmp_path / "spans.jsonl"
    log_file = tmp_path / "frontdesk.log"
    clinic_app.telemetry = Telemetry(
        traces=f"file:{span_file}", exporter=memory, capture_content=True
    )
    root = logging.getLogger()
    file_handler = logging.FileHandler(log_file, encoding="utf-8")
    root.addHandler(file_handler)
    # frontdesk's own loggers at DEBUG; third-party ones at INFO (aiosqlite's DEBUG records
    # carry every SQL parameter: the filter redacts them too, but slowly)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="frontdesk")
    install_log_redaction(root)
    app_log = logging.getLogger("clinic.app")
    try:
        for n, sample in enumerate(CORPUS):
            app_log.info("received from %s: %s", f"phi-{n}", sample.text)  # code that logs PHI
            clinic_app.respond_sync(f"phi-{n}", sample.text)
        clinic_app.telemetry.flush()
    finally:
        root.removeHandler(file_handler)
        file_handler.close()
        clinic_app.telemetry.shutdown()

    spans = memory.get_finished_spans()
    assert len(spans) >= 4 * len(CORPUS)
    assert any("[NAME]" in str(v) for s in spans for v in (s.attributes or {}).values()), (
        "content capture is on: the redacted content must be on the spans"
    )
    sinks = {
        "in-memory spans": "\n".join(
            json.dumps(dict(s.attributes or {}), default=str) + s.name for s in spans
        ),
        "span file": span_file.read_text(encoding="utf-8"),
        "captured logs": "\n".join(r.getMessage() for r in caplog.records),
        "log file": log_file.read_text(encoding="utf-8"),
        "metrics": clinic_app.telemetry.metrics.render_latest()[0].decode(),  # type: ignore[union-attr]
    }
    assert "received from phi-0" in sinks["log file"]
    leaks = [
        (sink, identifier)
        for sample in CORPUS
        for identifier in sample.identifiers
        for sink, text in sinks.items()
        if leaked(identifier, text)
    ]
    assert not leaks, f"{len(leaks)} identifiers reached a sink, e.g. {leaks[:5]}"
