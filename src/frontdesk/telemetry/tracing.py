"""Traces: one OpenTelemetry trace per request, chosen by configuration.

    telemetry = Telemetry(traces="file:traces.jsonl", capture_content=True)
    app = App(pattern, data_dir=..., telemetry=telemetry)

A request (`App.respond`) opens the root span, `invoke_agent {app}`; beneath it the router
(`invoke_agent router`), the specialist (`invoke_agent {name}`), each model call
(`chat {model}`, by the `Instrumented` model wrapper) and each tool call (`execute_tool {name}`).
The reply's `trace_id` is the trace's id; a W3C `traceparent` makes the request a child of the
caller's trace. Names and attributes: `frontdesk.telemetry.conventions`.

Which `TracerProvider` records the spans:

1. the `tracer_provider` passed in, if any;
2. with `traces` set (`otlp`, `console`, `file:PATH`) or an `exporter` given: a provider owned by
   frontdesk, exporting there (the global provider is left alone);
3. otherwise the global provider, if the application installed an SDK one
   (`opentelemetry.trace.set_tracer_provider`): frontdesk's spans join its traces and exporters;
4. otherwise a provider owned by frontdesk that exports nothing: the spans still give each reply
   its trace id and feed the dashboard's recent-request timings.

Prompts and completions are not recorded unless `capture_content`; then they are redacted
(`frontdesk.telemetry.redaction`) before they are set on a span.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from frontdesk.errors import ConfigError
from frontdesk.telemetry import conventions as c
from frontdesk.telemetry.metrics import Metrics
from frontdesk.telemetry.redaction import Redactor

if TYPE_CHECKING:
    from frontdesk.agents import AgentResult
    from frontdesk.config import Settings
    from frontdesk.context import RequestContext
    from frontdesk.reply import Reply
    from frontdesk.routing import RouteDecision

AttributeValue = str | bool | int | float | Sequence[str]
log = logging.getLogger("frontdesk.telemetry")
_ERROR_STOPS = frozenset({"provider_unavailable", "timeout"})
_LIMIT_STOPS = frozenset({"iteration_limit", "timeout"})


class JsonLinesSpanExporter(SpanExporter):
    """Writes each finished span as one line of JSON (the OTel SDK's span JSON) to `path`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._file: IO[str] | None = self.path.open("a", encoding="utf-8")

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(json.dumps(json.loads(s.to_json(indent=None))) + "\n" for s in spans)
        with self._lock:
            if self._file is None:
                return SpanExportResult.FAILURE
            self._file.write(lines)
            self._file.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def parse_traces(spec: str) -> tuple[str, Path | None]:
    """('otlp' | 'console' | 'file' | 'off', the file's path) for a `FRONTDESK_TRACES` value."""
    value = spec.strip()
    lowered = value.lower()
    if lowered in ("off", "otlp", "console", ""):
        return lowered or "off", None
    if lowered.startswith("file:") and value[5:].strip():
        return "file", Path(value[5:].strip()).expanduser()
    raise ConfigError(
        f"FRONTDESK_TRACES={spec!r} is not a trace exporter: use otlp, console, file:PATH "
        f"(JSON lines, one span a line) or off"
    )


def _otlp_exporter() -> SpanExporter:
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError:
        raise ConfigError(
            "FRONTDESK_TRACES=otlp needs the OTLP exporter: pip install 'frontdesk[otlp]' (it "
            "installs opentelemetry-exporter-otlp-proto-http); the endpoint comes from "
            "OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318)"
        ) from None
    return OTLPSpanExporter()


@dataclass(kw_only=True, slots=True)
class SpanTiming:
    """When one span of a request ran, relative to the request's start."""

    name: str
    agent: str | None
    start_ms: float
    duration_ms: float
    error: str | None = None


@dataclass(kw_only=True, slots=True)
class RequestTiming:
    """The span timings of one finished request, for the dashboard's latency breakdown."""

    trace_id: str
    agent: str
    action: str
    duration_ms: float
    spans: list[SpanTiming] = field(default_factory=list)
    finished_at: float = field(default_factory=time.time)

    @property
    def bottleneck(self) -> str | None:
        """The agent whose run took longest (the router counts as one)."""
        agents = [s for s in self.spans if s.agent is not None]
        return max(agents, key=lambda s: s.duration_ms).agent if agents else None

    def to_json(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "agent": self.agent,
            "action": self.action,
            "duration_ms": round(self.duration_ms, 3),
            "bottleneck": self.bottleneck,
            "finished_at": self.finished_at,
            "spans": [
                {"name": s.name, "agent": s.agent, "start_ms": round(s.start_ms, 3),
                 "duration_ms": round(s.duration_ms, 3), "error": s.error}
                for s in self.spans
            ],
        }  # fmt: skip


@dataclass(kw_only=True, slots=True)
class _Timings:
    started: float
    spans: list[SpanTiming] = field(default_factory=list)


_TIMINGS: ContextVar[_Timings | None] = ContextVar("frontdesk_request_timings", default=None)


class SpanHandle:
    """A span being recorded: set attributes on it; `error` marks it failed."""

    __slots__ = ("error", "span")

    def __init__(self, span: Span) -> None:
        self.span = span
        self.error: str | None = None

    def set(self, key: str, value: AttributeValue | None) -> None:
        if value is not None:
            self.span.set_attribute(key, value)

    def fail(self, error_type: str) -> None:
        """Mark the span failed with `error.type` (a class name or a stop reason, never a
        message: messages can carry user text)."""
        self.error = error_type
        self.span.set_attribute(c.ERROR_TYPE, error_type)
        self.span.set_status(Status(StatusCode.ERROR))


class RequestSpan(SpanHandle):
    """The root span of a request; `track` and `set_reply` give it what its end records."""

    __slots__ = ("decisions", "escalation_reason", "reply", "request", "trace_id")

    def __init__(self, span: Span, trace_id: str) -> None:
        super().__init__(span)
        self.trace_id = trace_id
        self.request: RequestContext | None = None
        self.decisions: Sequence[RouteDecision] = ()
        self.reply: Reply | None = None
        self.escalation_reason: str | None = None

    def track(self, request: RequestContext, decisions: Sequence[RouteDecision]) -> None:
        """The request's context (its ledger's line items become the token and cost metrics)
        and the list its routing decisions are appended to."""
        self.request = request
        self.decisions = decisions

    def set_reply(self, reply: Reply, *, escalation_reason: str | None = None) -> None:
        self.reply = reply
        self.escalation_reason = escalation_reason


class Telemetry:
    """Traces, metrics and redaction for one app (see the module docstring).

    `traces`: `otlp` | `console` | `file:PATH` | `off`; `exporter`: one more span exporter (an
    `InMemorySpanExporter` in tests); `capture_content`: record prompts, completions and tool
    arguments, redacted; `enabled=False`: no spans and no metrics at all (the baseline of the
    overhead benchmark). `recent` finished requests keep their span timings for the dashboard.
    """

    def __init__(
        self,
        *,
        traces: str = "off",
        capture_content: bool = False,
        exporter: SpanExporter | None = None,
        tracer_provider: trace.TracerProvider | None = None,
        metrics: Metrics | None = None,
        redactor: Redactor | None = None,
        enabled: bool = True,
        recent: int = 50,
        service_name: str = "frontdesk",
    ) -> None:
        kind, path = parse_traces(traces)
        self.enabled = enabled
        self.capture_content = capture_content and enabled
        self.redactor = redactor or (Redactor() if self.capture_content else None)
        self.metrics: Metrics | None = (metrics or Metrics()) if enabled else None
        self.recent: deque[RequestTiming] = deque(maxlen=recent)
        self._owned: TracerProvider | None = None
        provider: trace.TracerProvider | None = tracer_provider
        if not enabled:
            self.tracer: Tracer = trace.NoOpTracer()
            return
        if provider is None and kind == "off" and exporter is None:
            global_provider = trace.get_tracer_provider()
            if isinstance(global_provider, TracerProvider):
                provider = global_provider
        if provider is None:
            owned = TracerProvider(resource=Resource.create({"service.name": service_name}))
            if kind == "otlp":
                owned.add_span_processor(BatchSpanProcessor(_otlp_exporter()))
            elif kind == "console":
                owned.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
            elif kind == "file":
                # batched: serialising and writing happen off the request's path
                assert path is not None
                owned.add_span_processor(BatchSpanProcessor(JsonLinesSpanExporter(path)))
            if exporter is not None:
                owned.add_span_processor(SimpleSpanProcessor(exporter))
            provider = self._owned = owned
        self.tracer = provider.get_tracer("frontdesk")

    @classmethod
    def from_settings(cls, settings: Settings) -> Telemetry:
        """Telemetry as `FRONTDESK_TRACES` and `FRONTDESK_CAPTURE_CONTENT` say."""
        return cls(traces=settings.traces, capture_content=settings.capture_content)

    def flush(self) -> None:
        """Export the spans still buffered (a no-op for providers frontdesk does not own)."""
        if self._owned is not None:
            self._owned.force_flush()

    def shutdown(self) -> None:
        """Flush and close frontdesk's own exporters (not a provider it was given)."""
        if self._owned is not None:
            self._owned.shutdown()
            self._owned = None

    def content(self, text: str) -> str | None:
        """`text` redacted, if content capture is on; else None (nothing is recorded)."""
        if not self.capture_content or self.redactor is None:
            return None
        return self.redactor.redact(text)

    def content_json(self, value: Any) -> str | None:
        """`value` as JSON text, redacted, if content capture is on; else None. A list is
        redacted item by item (the items a conversation repeats are redacted once)."""
        if not self.capture_content:
            return None
        if isinstance(value, list):
            items = (self.content(json.dumps(v, ensure_ascii=False, default=str)) for v in value)
            return "[" + ", ".join(i or "" for i in items) + "]"
        return self.content(json.dumps(value, ensure_ascii=False, default=str))

    # ---- spans ----

    @contextmanager
    def span(
        self,
        name: str,
        attributes: Mapping[str, AttributeValue],
        *,
        agent: str | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        context: Context | None = None,
    ) -> Iterator[SpanHandle]:
        """A child span of the current one, timed for the request's breakdown (`agent` names
        the agent whose run it is, for the bottleneck). An exception marks it failed with its
        class name (never its message) and propagates."""
        if not self.enabled:
            yield _NO_SPAN
            return
        timings = _TIMINGS.get()
        started = time.perf_counter()
        with self.tracer.start_as_current_span(
            name, context=context, kind=kind, attributes=attributes,
            record_exception=False, set_status_on_exception=False,
        ) as span:  # fmt: skip
            handle = SpanHandle(span)
            try:
                yield handle
            except BaseException as exc:
                handle.fail(type(exc).__qualname__)
                raise
            finally:
                if timings is not None:
                    timings.spans.append(SpanTiming(
                        name=name, agent=agent, start_ms=(started - timings.started) * 1000,
                        duration_ms=(time.perf_counter() - started) * 1000, error=handle.error,
                    ))  # fmt: skip

    @contextmanager
    def request_span(
        self,
        *,
        app: str,
        conversation_id: str,
        tenant: str,
        traceparent: str | None = None,
    ) -> Iterator[RequestSpan]:
        """The root span of one request, continuing the caller's trace when `traceparent`
        (a W3C trace-context header) is valid; an invalid one is ignored, as the W3C
        recommendation says. On exit it records the request's metrics."""
        parent = (
            TraceContextTextMapPropagator().extract({"traceparent": traceparent})
            if traceparent else None
        )  # fmt: skip
        started = time.perf_counter()
        token = _TIMINGS.set(_Timings(started=started))
        attributes: dict[str, AttributeValue] = {
            c.GEN_AI_OPERATION_NAME: c.OP_INVOKE_AGENT, c.GEN_AI_AGENT_NAME: app,
            c.GEN_AI_CONVERSATION_ID: conversation_id, c.FD_APP: app, c.FD_TENANT: tenant,
        }  # fmt: skip
        try:
            with self.tracer.start_as_current_span(
                c.SPAN_INVOKE_AGENT.format(name=app), context=parent, kind=SpanKind.SERVER,
                attributes=attributes, record_exception=False, set_status_on_exception=False,
            ) as span:  # fmt: skip
                handle = RequestSpan(span, _trace_id(span, parent))
                failure: BaseException | None = None
                try:
                    yield handle
                except BaseException as exc:
                    failure = exc
                    handle.fail(type(exc).__qualname__)
                    raise
                finally:
                    seconds = time.perf_counter() - started
                    self._end_request(handle, failure, seconds)
        finally:
            timings = _TIMINGS.get()
            _TIMINGS.reset(token)
            if timings is not None and self.enabled:
                reply = handle.reply
                self.recent.append(RequestTiming(
                    trace_id=handle.trace_id,
                    agent=reply.agent if reply else "unknown",
                    action=reply.action if reply else "error",
                    duration_ms=(time.perf_counter() - started) * 1000,
                    spans=sorted(timings.spans, key=lambda s: s.start_ms),
                ))  # fmt: skip

    def _end_request(
        self, handle: RequestSpan, failure: BaseException | None, seconds: float
    ) -> None:
        reply = handle.reply
        if reply is not None:
            handle.set(c.FD_ACTION, reply.action)
            handle.set(c.FD_STOP_REASON, reply.stop_reason)
            handle.set(c.FD_ROUTE_CATEGORY, reply.category)
            handle.set(c.FD_ROUTE_CONFIDENCE, reply.confidence)
            handle.set(c.FD_AGENT, reply.agent)
            handle.set(c.FD_COST_USD, reply.cost_usd)
            handle.set(c.GEN_AI_USAGE_INPUT_TOKENS, reply.usage.input_tokens)
            handle.set(c.GEN_AI_USAGE_OUTPUT_TOKENS, reply.usage.output_tokens)
            handle.set(c.FD_REASON, handle.escalation_reason)
            handle.set(c.FD_REPLY, self.content(reply.reply))
            if self.capture_content and log.isEnabledFor(logging.DEBUG):
                log.debug("trace %s: %s answered (%s): %s", handle.trace_id, reply.agent,
                          reply.action, self.content(reply.reply))  # fmt: skip
            if reply.stop_reason in _ERROR_STOPS:
                handle.fail(reply.stop_reason)
        metrics = self.metrics
        if metrics is None:
            return
        if handle.request is not None:
            for item in list(handle.request.ledger.items):
                metrics.input_tokens.labels(agent=item.agent, model=item.model).inc(
                    item.input_tokens
                )
                metrics.output_tokens.labels(agent=item.agent, model=item.model).inc(
                    item.output_tokens
                )
                metrics.cost.labels(agent=item.agent, model=item.model).inc(item.cost_usd)
        for decision in handle.decisions:
            metrics.routing_decisions.labels(
                category=decision.category or "none", action=decision.action,
                reason=decision.reason or "none",
            ).inc()  # fmt: skip
        if reply is None:
            agent = "unknown"
            metrics.requests.labels(agent=agent, action="error", status="error").inc()
            metrics.request_errors.labels(agent=agent, reason="exception").inc()
            metrics.request_duration.labels(action="error").observe(seconds)
            return
        metrics.requests.labels(
            agent=reply.agent, action=reply.action, status=reply.stop_reason
        ).inc()
        metrics.request_duration.labels(action=reply.action).observe(seconds)
        if reply.stop_reason in _ERROR_STOPS:
            metrics.request_errors.labels(agent=reply.agent, reason=reply.stop_reason).inc()
        if reply.action == "clarify":
            reason = handle.decisions[-1].reason if handle.decisions else "none"
            metrics.clarifications.labels(reason=reason or "none").inc()
        elif reply.action == "escalate" and handle.escalation_reason is not None:
            # a new handoff (a message forwarded to the human who has the conversation is not)
            metrics.escalations.labels(reason=handle.escalation_reason).inc()

    @contextmanager
    def router_span(self, text: str, conversation_id: str) -> Iterator[SpanHandle]:
        """The routing step: `invoke_agent router`; `finish_route` sets the decision on it."""
        started = time.perf_counter()
        status = "completed"
        attributes: dict[str, AttributeValue] = {
            c.GEN_AI_OPERATION_NAME: c.OP_INVOKE_AGENT, c.GEN_AI_AGENT_NAME: c.ROUTER_AGENT,
            c.GEN_AI_CONVERSATION_ID: conversation_id,
        }  # fmt: skip
        try:
            with self.span(
                c.SPAN_INVOKE_AGENT.format(name=c.ROUTER_AGENT), attributes, agent=c.ROUTER_AGENT
            ) as handle:
                handle.set(c.FD_USER_MESSAGE, self.content(text))
                yield handle
        except BaseException:
            status = "error"
            raise
        finally:
            if self.metrics is not None:
                self.metrics.observe_agent(c.ROUTER_AGENT, status, time.perf_counter() - started)

    @contextmanager
    def safety_span(self, gate: str) -> Iterator[SpanHandle]:
        """The safety gate's check of a message: `safety_check {gate}`; `finish_safety` sets
        the verdict on it."""
        with self.span(c.SPAN_SAFETY_CHECK.format(name=gate), {}, agent=gate) as handle:
            yield handle

    def finish_safety(
        self,
        handle: SpanHandle,
        *,
        fired: bool,
        risk_class: str | None,
        score: float,
        threshold: float | None,
        version: str,
        second_opinion: str | None,
        evidence: Sequence[str],
    ) -> None:
        """Record a verdict (plain values) on its span and in the safety-check counter."""
        handle.set(c.FD_SAFETY_FIRED, fired)
        handle.set(c.FD_SAFETY_CLASS, risk_class)
        handle.set(c.FD_SAFETY_SCORE, score)
        handle.set(c.FD_SAFETY_THRESHOLD, threshold)
        handle.set(c.FD_SAFETY_VERSION, version)
        handle.set(c.FD_SAFETY_SECOND_OPINION, second_opinion)
        if fired:
            handle.set(c.FD_SAFETY_EVIDENCE, self.content("; ".join(evidence)))
        if self.metrics is not None:
            status = (
                "raised_by_model" if second_opinion == "raised" else ("fired" if fired else "clear")
            )
            self.metrics.safety_checks.labels(category=risk_class or "none", status=status).inc()

    @staticmethod
    def finish_route(handle: SpanHandle, decision: RouteDecision) -> None:
        handle.set(c.FD_ROUTE_CATEGORY, decision.category)
        handle.set(c.FD_ROUTE_CONFIDENCE, decision.confidence)
        handle.set(c.FD_ROUTE_ALTERNATIVES, len(decision.alternatives))
        handle.set(c.FD_ROUTE_REASON, decision.reason)
        handle.set(c.FD_ROUTE_PATH, decision.path)
        handle.set(c.FD_ROUTER_VERSION, decision.router_version)
        handle.set(c.FD_ACTION, decision.action)

    @contextmanager
    def agent_span(
        self, agent: str, *, conversation_id: str, provider: str, model: str, text: str
    ) -> Iterator[AgentSpan]:
        """One specialist run: `invoke_agent {agent}`; `AgentSpan.finish` records its result."""
        started = time.perf_counter()
        attributes: dict[str, AttributeValue] = {
            c.GEN_AI_OPERATION_NAME: c.OP_INVOKE_AGENT, c.GEN_AI_AGENT_NAME: agent,
            c.GEN_AI_CONVERSATION_ID: conversation_id, c.GEN_AI_PROVIDER_NAME: provider,
            c.GEN_AI_REQUEST_MODEL: model,
        }  # fmt: skip
        status = "error"
        with self.span(c.SPAN_INVOKE_AGENT.format(name=agent), attributes, agent=agent) as span:
            span.set(c.FD_USER_MESSAGE, self.content(text))
            handle = AgentSpan(span, self)
            try:
                yield handle
                status = handle.status
            finally:
                if self.metrics is not None:
                    self.metrics.observe_agent(agent, status, time.perf_counter() - started)
                    if status in _LIMIT_STOPS:
                        self.metrics.limit_trips.labels(agent=agent, reason=status).inc()
                if handle.status in _ERROR_STOPS:
                    span.fail(handle.status)

    @contextmanager
    def run_span(self, name: str) -> Iterator[SpanHandle]:
        """A pipeline or debate run, `invoke_agent {name}`: the parent of its steps' spans (a
        child of the current span, or the root of a new trace)."""
        attributes: dict[str, AttributeValue] = {
            c.GEN_AI_OPERATION_NAME: c.OP_INVOKE_AGENT, c.GEN_AI_AGENT_NAME: name,
        }  # fmt: skip
        with self.span(c.SPAN_INVOKE_AGENT.format(name=name), attributes) as span:
            yield span

    @contextmanager
    def step_span(self, agent: str) -> Iterator[StepSpan]:
        """One pipeline stage or debate analyst, `invoke_agent {agent}`, timed as `agent`'s
        run; `StepSpan.finish` records how it ended."""
        started = time.perf_counter()
        attributes: dict[str, AttributeValue] = {
            c.GEN_AI_OPERATION_NAME: c.OP_INVOKE_AGENT, c.GEN_AI_AGENT_NAME: agent,
        }  # fmt: skip
        handle: StepSpan | None = None
        try:
            with self.span(c.SPAN_INVOKE_AGENT.format(name=agent), attributes, agent=agent) as span:
                handle = StepSpan(span)
                yield handle
                if handle.status in _ERROR_STOPS or handle.status == "stage_failed":
                    span.fail(handle.status)
        finally:
            status = handle.status if handle is not None else "error"
            if self.metrics is not None:
                self.metrics.observe_agent(agent, status, time.perf_counter() - started)
                if status in _LIMIT_STOPS:
                    self.metrics.limit_trips.labels(agent=agent, reason=status).inc()

    @contextmanager
    def tool_span(
        self, agent: str, name: str, call_id: str, arguments: Mapping[str, Any]
    ) -> Iterator[ToolSpan]:
        """One tool call: `execute_tool {name}`; `ToolSpan.finish` records its outcome."""
        attributes: dict[str, AttributeValue] = {
            c.GEN_AI_OPERATION_NAME: c.OP_EXECUTE_TOOL, c.GEN_AI_TOOL_NAME: name,
            c.GEN_AI_TOOL_CALL_ID: call_id, c.FD_AGENT: agent,
        }  # fmt: skip
        with self.span(c.SPAN_EXECUTE_TOOL.format(name=name), attributes) as span:
            span.set(c.GEN_AI_TOOL_CALL_ARGUMENTS, self.content_json(dict(arguments)))
            handle = ToolSpan(span, self)
            yield handle
            if self.metrics is not None:
                status = "error" if handle.is_error else "ok"
                self.metrics.tool_calls.labels(agent=agent, status=status).inc()


class AgentSpan:
    """A specialist's span; `finish(result)` sets its outcome."""

    __slots__ = ("span", "status", "telemetry")

    def __init__(self, span: SpanHandle, telemetry: Telemetry) -> None:
        self.span = span
        self.telemetry = telemetry
        self.status = "error"

    def finish(self, result: AgentResult) -> None:
        self.status = result.stop_reason
        span = self.span
        span.set(c.FD_STOP_REASON, result.stop_reason)
        span.set(c.FD_STEPS, result.steps)
        span.set(c.FD_COST_USD, result.cost_usd)
        span.set(c.GEN_AI_USAGE_INPUT_TOKENS, result.usage.input_tokens)
        span.set(c.GEN_AI_USAGE_OUTPUT_TOKENS, result.usage.output_tokens)
        span.set(c.FD_REPLY, self.telemetry.content(result.text))


class StepSpan:
    """A pipeline stage's or debate analyst's span; `finish` sets how it ended."""

    __slots__ = ("span", "status")

    def __init__(self, span: SpanHandle) -> None:
        self.span = span
        self.status = "error"

    def finish(self, stop_reason: str, *, cost_usd: float, model_calls: int) -> None:
        self.status = stop_reason
        self.span.set(c.FD_STOP_REASON, stop_reason)
        self.span.set(c.FD_COST_USD, cost_usd)
        self.span.set(c.FD_MODEL_CALLS, model_calls)


class ToolSpan:
    """A tool call's span; `finish(result, is_error)` sets its outcome."""

    __slots__ = ("is_error", "span", "telemetry")

    def __init__(self, span: SpanHandle, telemetry: Telemetry) -> None:
        self.span = span
        self.telemetry = telemetry
        self.is_error = False

    def finish(self, result: str, *, is_error: bool) -> None:
        self.is_error = is_error
        if is_error:
            self.span.fail("tool_error")
        self.span.set(c.GEN_AI_TOOL_CALL_RESULT, self.telemetry.content(result))


def _trace_id(span: Span, parent: Context | None) -> str:
    """The request's trace id, 32 hex digits: the span's, else the caller's, else a new one
    (when spans are off and no caller's trace came in)."""
    context = span.get_span_context()
    if context.is_valid:
        return f"{context.trace_id:032x}"
    if parent is not None:
        caller = trace.get_current_span(parent).get_span_context()
        if caller.is_valid:
            return f"{caller.trace_id:032x}"
    return uuid.uuid4().hex


_NO_SPAN = SpanHandle(trace.INVALID_SPAN)
DISABLED = Telemetry(enabled=False)
"""Telemetry that records nothing: what a request without telemetry uses."""
