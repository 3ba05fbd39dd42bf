"""The clinic's medical specialist answering from a built index: cited answers, safety first,
the curated guidance as fallback, and retrieval recorded in the trace without the user's words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from frontdesk.apps.clinic import build_app
from frontdesk.config import load_settings
from frontdesk.runtime import App
from frontdesk.telemetry import Telemetry


@pytest.fixture
def clinic(installed: Path) -> Iterator[App]:
    app = build_app(load_settings({"data_dir": installed, "knowledge_index": "nih"}))
    yield app
    app.close_sync()


def test_a_health_question_gets_a_cited_answer_from_the_index(clinic: App) -> None:
    spans = InMemorySpanExporter()
    clinic.telemetry = Telemetry(exporter=spans)
    reply = clinic.respond_sync("k1", "What causes gout? My uncle keeps getting flares.")
    assert reply.agent == "medical_query"
    assert "uric acid" in reply.reply
    assert "Source:\n- What causes Gout: https://example.nih.gov/gout" in reply.reply
    clinic.telemetry.shutdown()
    tool = next(s for s in spans.get_finished_spans() if s.name == "execute_tool search_knowledge")
    attributes = dict(tool.attributes or {})
    assert attributes["frontdesk.retrieval.index"] == "nih"
    assert attributes["frontdesk.retrieval.doc_ids"][0] == "GARD_0000001_Sec2"
    assert attributes["frontdesk.retrieval.covered"] is True
    assert attributes["frontdesk.retrieval.latency_ms"] > 0
    assert all("uncle" not in str(v) for v in attributes.values())  # no patient text


def test_an_emergency_question_still_gets_the_safety_reply_first(clinic: App) -> None:
    reply = clinic.respond_sync("k2", "I have crushing chest pain right now, what causes gout?")
    assert reply.category == "emergency"
    assert reply.reply.startswith("This could be an emergency. Call 911 now")


def test_a_question_the_index_does_not_cover_falls_back_to_clinic_guidance(clinic: App) -> None:
    reply = clinic.respond_sync("k3", "is 99.8 considered a fever")
    assert reply.agent == "medical_query"
    assert "example.nih.gov" not in reply.reply
    assert "fever" in reply.reply.lower()


def test_without_an_index_the_clinic_answers_from_its_curated_file(tmp_path: Path) -> None:
    app = build_app(load_settings({"data_dir": tmp_path}))
    try:
        reply = app.respond_sync("k4", "what causes gout flare ups")
        assert reply.agent == "medical_query"
        assert "example.nih.gov" not in reply.reply
    finally:
        app.close_sync()


def test_below_the_threshold_the_reply_says_so_and_points_at_the_closest_page(
    clinic: App,
) -> None:
    reply = clinic.respond_sync("k5", "can shingles come back a second time?")
    assert reply.agent == "medical_query"
    assert reply.reply.startswith("I don't have guidance on that")
    assert (
        "The closest page I found may not answer your question, but you can read it: "
        "What is (are) Shingles: https://example.nih.gov/shingles"
    ) in reply.reply
