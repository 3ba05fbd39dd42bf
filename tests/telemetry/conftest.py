"""Fixtures: one clinic app for the module's tests (its router and knowledge index are built
once: seconds), driven through `respond_sync`; each test gives it fresh telemetry. The billing
specialist runs on a `FunctionModel` (chat and tool spans); the others answer offline."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from frontdesk.apps.clinic import ClinicDeps, clinic_pattern
from frontdesk.messages import Message, ToolReturn
from frontdesk.models import FunctionModel
from frontdesk.models.base import ModelResponse, ToolDefinition
from frontdesk.models.testing import text_response, tool_call_response
from frontdesk.runtime import App
from frontdesk.telemetry import Telemetry


def billing_function(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
    """Searches the knowledge base once, then answers."""
    if any(isinstance(m, ToolReturn) for m in messages):
        return text_response("Duplicate charges are refunded within 5 business days.",
                             input_tokens=320, output_tokens=14)  # fmt: skip
    return tool_call_response("search_knowledge", {"query": "duplicate charge refund"},
                              call_id="call-1", input_tokens=250, output_tokens=9)  # fmt: skip


@pytest.fixture(scope="session")
def clinic_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    data_dir = tmp_path_factory.mktemp("clinic")
    deps = ClinicDeps.create(data_dir)
    pattern = clinic_pattern()
    pattern.specialists = [
        dataclasses.replace(s, model=FunctionModel(billing_function, model_name="fm"))
        if s.name == "billing" else s
        for s in pattern.specialists
    ]  # fmt: skip
    app = App(pattern, name="clinic", data_dir=data_dir, deps=lambda _c: deps)
    app.respond_sync("warm-up", "what are your opening hours on saturday?")
    yield app
    app.close_sync()


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def clinic(clinic_app: App, spans: InMemorySpanExporter) -> Iterator[App]:
    """The clinic app, its telemetry recording spans into `spans` for this test."""
    clinic_app.telemetry = Telemetry(exporter=spans)
    yield clinic_app
    clinic_app.telemetry.shutdown()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path
