"""One trace per request: its span tree, its id on the reply, a caller's traceparent, the
exporters chosen by configuration, and the decision log's trace ids."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from frontdesk.config import load_settings
from frontdesk.errors import ConfigError
from frontdesk.runtime import App
from frontdesk.store import DecisionRecord
from frontdesk.telemetry import Telemetry, parse_traces

from .spantree import check_snapshot, render, span_tree

SNAPSHOTS = Path(__file__).parent / "snapshots"
CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN = "b7ad6b7169203331"


def trace_ids(exporter: InMemorySpanExporter) -> set[str]:
    return {f"{s.context.trace_id:032x}" for s in exporter.get_finished_spans() if s.context}


def test_an_offline_request_is_one_trace_router_then_specialist_then_model_and_tool(
    clinic: App, spans: InMemorySpanExporter
) -> None:
    reply = clinic.respond_sync("trace-1", "what are your opening hours on saturday?")
    assert trace_ids(spans) == {reply.trace_id}
    tree = span_tree(spans.get_finished_spans())
    assert len(tree) == 1, "one root span per request"
    check_snapshot(SNAPSHOTS / "offline_general.txt", render(tree))


def test_a_model_specialist_has_chat_and_tool_spans_with_genai_attributes(
    clinic: App, spans: InMemorySpanExporter
) -> None:
    reply = clinic.respond_sync("trace-2", "I was charged twice for my last visit")
    assert reply.agent == "billing"
    assert trace_ids(spans) == {reply.trace_id}
    finished = spans.get_finished_spans()
    check_snapshot(SNAPSHOTS / "function_model_billing.txt", render(span_tree(finished)))
    chats = [s for s in finished if s.name == "chat fm"]
    tokens = [(s.attributes or {}).get("gen_ai.usage.input_tokens") for s in chats]
    assert sum(t for t in tokens if isinstance(t, int)) == reply.usage.input_tokens


def test_a_callers_traceparent_makes_the_request_a_child_of_its_trace(
    clinic: App, spans: InMemorySpanExporter
) -> None:
    reply = clinic.respond_sync(
        "trace-3", "what are your opening hours on saturday?",
        traceparent=f"00-{CALLER_TRACE}-{CALLER_SPAN}-01",
    )  # fmt: skip
    assert reply.trace_id == CALLER_TRACE
    root = next(s for s in spans.get_finished_spans() if s.name == "invoke_agent clinic")
    assert root.parent is not None
    assert f"{root.parent.span_id:016x}" == CALLER_SPAN
    # an invalid header is ignored (W3C): a new trace, not an error
    broken = clinic.respond_sync("trace-4", "and on sunday?", traceparent="00-zz-nonsense-01")
    assert re.fullmatch(r"[0-9a-f]{32}", broken.trace_id)
    assert broken.trace_id != CALLER_TRACE


def test_without_telemetry_the_trace_id_is_still_32_hex_and_follows_the_caller(
    clinic: App,
) -> None:
    clinic.telemetry = Telemetry(enabled=False)
    own = clinic.respond_sync("trace-5", "what are your opening hours on saturday?")
    joined = clinic.respond_sync("trace-6", "what are your opening hours on saturday?",
                                 traceparent=f"00-{CALLER_TRACE}-{CALLER_SPAN}-01")  # fmt: skip
    assert re.fullmatch(r"[0-9a-f]{32}", own.trace_id)
    assert joined.trace_id == CALLER_TRACE
    assert clinic.telemetry.metrics is None
    assert not clinic.telemetry.recent


def test_the_file_exporter_writes_one_json_span_a_line(clinic: App, tmp_path: Path) -> None:
    path = tmp_path / "traces" / "spans.jsonl"
    clinic.telemetry = Telemetry.from_settings(load_settings({"traces": f"file:{path}"}))
    reply = clinic.respond_sync("trace-7", "what are your opening hours on saturday?")
    clinic.telemetry.flush()
    spans = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert sorted(s["name"] for s in spans) == sorted([
        "invoke_agent clinic", "safety_check safety", "invoke_agent router",
        "invoke_agent general", "chat offline-general", "execute_tool search_knowledge",
        "chat offline-general",
    ])  # fmt: skip
    assert {s["context"]["trace_id"] for s in spans} == {"0x" + reply.trace_id}


def test_an_application_provider_is_used_when_given(clinic: App) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    clinic.telemetry = Telemetry(tracer_provider=provider)
    reply = clinic.respond_sync("trace-8", "what are your opening hours on saturday?")
    assert trace_ids(exporter) == {reply.trace_id}
    assert len(exporter.get_finished_spans()) == 7  # the safety check, then the same 6


def test_the_traces_setting_names_an_exporter_or_says_what_is_allowed() -> None:
    assert parse_traces("off") == ("off", None)
    assert parse_traces("OTLP") == ("otlp", None)
    assert parse_traces("file:/tmp/x.jsonl") == ("file", Path("/tmp/x.jsonl"))
    for bad in ("jaeger", "file:", "stdout"):
        with pytest.raises(ConfigError, match="otlp, console, file:PATH"):
            parse_traces(bad)
    with pytest.raises(ConfigError, match="FRONTDESK_TRACES"):
        Telemetry.from_settings(load_settings({"traces": "zipkin"}))
    Telemetry(traces="otlp").shutdown()  # the optional exporter is installed in the dev env


def test_every_routing_decision_is_logged_with_candidates_reason_version_and_trace(
    clinic: App,
) -> None:
    first = clinic.respond_sync("trace-9", "I was charged twice for my last visit")
    second = clinic.respond_sync("trace-9", "hmm")
    log = asyncio.run(_decisions(clinic, "trace-9"))
    assert [d.trace_id for d in log] == [first.trace_id, second.trace_id]
    for decision in log:
        assert decision.router_version
        assert decision.reason
        assert decision.alternatives
        assert all(set(a) == {"category", "confidence"} for a in decision.alternatives)
    assert (log[0].category, log[0].action) == ("billing", "answer")


async def _decisions(app: App, conversation_id: str) -> list[DecisionRecord]:
    return await app.store.decisions(conversation_id)
