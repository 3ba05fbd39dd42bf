"""Observability: one OpenTelemetry trace per request, Prometheus metrics per agent and model,
PHI redaction before any sink (docs/observability.md).

    telemetry = Telemetry(traces="otlp", capture_content=False)
    app = App(pattern, data_dir=..., telemetry=telemetry)
    body, content_type = app.telemetry.metrics.render_latest()
"""

from __future__ import annotations

from frontdesk.telemetry.metrics import Metrics
from frontdesk.telemetry.redaction import (
    RedactingFilter,
    Redactor,
    install_log_redaction,
)
from frontdesk.telemetry.tracing import (
    JsonLinesSpanExporter,
    RequestTiming,
    SpanTiming,
    Telemetry,
    parse_traces,
)

__all__ = [
    "JsonLinesSpanExporter",
    "Metrics",
    "RedactingFilter",
    "Redactor",
    "RequestTiming",
    "SpanTiming",
    "Telemetry",
    "install_log_redaction",
    "parse_traces",
]
