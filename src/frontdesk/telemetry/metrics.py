"""Prometheus metrics of one app, in its own `CollectorRegistry`.

Each `App` owns a `Metrics` (tests and several apps in one process stay isolated); the server's
`GET /metrics` renders it with `render_latest()`. Names, units and labels are in
`frontdesk.telemetry.conventions`: base units, `_total` counters, latency histograms up to 80 s,
labels only from `METRIC_LABELS`. Circuit-breaker states are read from a `BreakerRegistry` (the
process-wide `BREAKERS` by default) at scrape time.

Besides the Prometheus series, `Metrics` keeps the last `window` latencies of each agent in
memory, for the exact p50/p95 of the built-in dashboard.
"""

from __future__ import annotations

import math
import threading
from collections import Counter as Tally
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector

from frontdesk.models.resilience import BREAKERS, BreakerRegistry
from frontdesk.telemetry import conventions as c


class _BreakerCollector(Collector):
    """Counts the breakers of `registry` per provider and state, at scrape time."""

    def __init__(self, registry: BreakerRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            c.CIRCUIT_BREAKERS,
            "Circuit breakers per provider in each state (closed, open, half_open).",
            labels=["provider", "status"],
        )
        counts: Tally[tuple[str, str]] = Tally()
        for (provider, _url), state in self.registry.states().items():
            counts[(provider, state)] += 1
        providers = sorted({p for p, _ in counts})
        for provider in providers:
            for state in ("closed", "open", "half_open"):
                family.add_metric([provider, state], counts[(provider, state)])
        yield family


class Metrics:
    """The app's counters and histograms (see the names in `conventions`)."""

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        breakers: BreakerRegistry | None = BREAKERS,
        window: int = 1000,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        b = c.LATENCY_BUCKETS_S
        self.requests = Counter(c.REQUESTS, "Requests answered.", ["agent", "action", "status"],
                                registry=r)  # fmt: skip
        self.request_errors = Counter(
            c.REQUEST_ERRORS, "Requests that failed.", ["agent", "reason"], registry=r
        )
        self.request_duration = Histogram(
            c.REQUEST_DURATION, "Request wall time.", ["action"], buckets=b, registry=r
        )
        self.agent_runs = Counter(c.AGENT_RUNS, "Agent runs.", ["agent", "status"], registry=r)
        self.agent_duration = Histogram(
            c.AGENT_DURATION, "Agent run wall time.", ["agent"], buckets=b, registry=r
        )
        self.model_calls = Counter(
            c.MODEL_CALLS, "Model calls.", ["agent", "model", "provider", "status"], registry=r
        )
        self.model_call_duration = Histogram(
            c.MODEL_CALL_DURATION, "Model call wall time.", ["agent", "model", "provider"],
            buckets=b, registry=r,
        )  # fmt: skip
        self.input_tokens = Counter(
            c.INPUT_TOKENS, "Prompt tokens billed.", ["agent", "model"], registry=r
        )
        self.output_tokens = Counter(
            c.OUTPUT_TOKENS, "Completion tokens billed.", ["agent", "model"], registry=r
        )
        self.cost = Counter(c.COST, "USD spent on model calls.", ["agent", "model"], registry=r)
        self.tool_calls = Counter(c.TOOL_CALLS, "Tool calls.", ["agent", "status"], registry=r)
        self.safety_checks = Counter(
            c.SAFETY_CHECKS, "Safety-gate checks.", ["category", "status"], registry=r
        )
        self.routing_decisions = Counter(
            c.ROUTING_DECISIONS, "Routing decisions.", ["category", "action", "reason"], registry=r
        )
        self.clarifications = Counter(
            c.CLARIFICATIONS, "Clarifying questions asked.", ["reason"], registry=r
        )
        self.escalations = Counter(
            c.ESCALATIONS, "Conversations handed to a human.", ["reason"], registry=r
        )
        self.limit_trips = Counter(
            c.LIMIT_TRIPS, "Runs stopped by a limit.", ["agent", "reason"], registry=r
        )
        self.budget_trips = Counter(
            c.BUDGET_TRIPS, "Model calls refused by a budget.", ["agent", "reason"], registry=r
        )
        if breakers is not None:
            r.register(_BreakerCollector(breakers))
        self._window = window
        self._lock = threading.Lock()
        self._latencies: dict[str, deque[float]] = {}

    def render_latest(self) -> tuple[bytes, str]:
        """The Prometheus text exposition of every metric, and its content type (the 0.0.4 text
        format, which every Prometheus version scrapes)."""
        return generate_latest(self.registry), CONTENT_TYPE_PLAIN_0_0_4

    def observe_agent(self, agent: str, status: str, seconds: float) -> None:
        """One run of `agent` ended with `status` after `seconds`."""
        self.agent_runs.labels(agent=agent, status=status).inc()
        self.agent_duration.labels(agent=agent).observe(seconds)
        with self._lock:
            recent = self._latencies.get(agent)
            if recent is None:
                recent = self._latencies[agent] = deque(maxlen=self._window)
            recent.append(seconds)

    def latency_quantiles(self, agent: str) -> tuple[float | None, float | None]:
        """(p50, p95) in seconds of `agent`'s recent runs (None before any run)."""
        with self._lock:
            values = sorted(self._latencies.get(agent, ()))
        if not values:
            return None, None
        return _quantile(values, 0.50), _quantile(values, 0.95)

    def samples(self) -> Iterator[tuple[str, dict[str, str], float]]:
        """Every exported sample as (name, labels, value)."""
        for family in self.registry.collect():
            for sample in family.samples:
                yield sample.name, dict(sample.labels), sample.value

    def totals(self, name: str, by: str) -> dict[str, float]:
        """The sum of the samples called `name`, grouped by the label `by`."""
        found: dict[str, float] = {}
        for sample, labels, value in self.samples():
            if sample == name and by in labels:
                found[labels[by]] = found.get(labels[by], 0.0) + value
        return found

    def agents(self) -> list[str]:
        """Every agent with a recorded run."""
        with self._lock:
            return sorted(self._latencies)

    def summary(self) -> dict[str, Any]:
        """Per agent: runs, errors, error rate, p50/p95 latency (ms), tokens, cost; and the
        escalations by reason. What the dashboard shows."""
        runs = self.totals(c.AGENT_RUNS + "_total", "agent")
        errors: dict[str, float] = {}
        for sample, labels, value in self.samples():
            if sample == c.AGENT_RUNS + "_total" and labels.get("status") in _ERROR_STATUSES:
                errors[labels["agent"]] = errors.get(labels["agent"], 0.0) + value
        tokens_in = self.totals(c.INPUT_TOKENS + "_total", "agent")
        tokens_out = self.totals(c.OUTPUT_TOKENS + "_total", "agent")
        cost = self.totals(c.COST + "_total", "agent")
        agents = []
        for agent in sorted(set(runs) | set(cost)):
            p50, p95 = self.latency_quantiles(agent)
            n = runs.get(agent, 0.0)
            agents.append({
                "agent": agent,
                "runs": int(n),
                "errors": int(errors.get(agent, 0.0)),
                "error_rate": round(errors.get(agent, 0.0) / n, 4) if n else 0.0,
                "p50_ms": None if p50 is None else round(p50 * 1000, 2),
                "p95_ms": None if p95 is None else round(p95 * 1000, 2),
                "input_tokens": int(tokens_in.get(agent, 0.0)),
                "output_tokens": int(tokens_out.get(agent, 0.0)),
                "cost_usd": round(cost.get(agent, 0.0), 6),
            })  # fmt: skip
        escalations = self.totals(c.ESCALATIONS + "_total", "reason")
        requests = self.totals(c.REQUESTS + "_total", "action")
        return {
            "agents": agents,
            "requests": {k: int(v) for k, v in sorted(requests.items())},
            "escalations": {k: int(v) for k, v in sorted(escalations.items())},
        }


_ERROR_STATUSES = frozenset({"error", "provider_unavailable", "timeout"})
"""Agent-run statuses that count as errors (limits and budgets are not errors: they worked)."""


def _quantile(ordered: list[float], q: float) -> float:
    """The `q` quantile of sorted values, nearest rank."""
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]
