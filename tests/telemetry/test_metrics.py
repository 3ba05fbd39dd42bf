"""Prometheus metrics: the token and cost counters agree with the replies to the cent, labels
stay within the allow-list and never carry an id, breaker states are exported."""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from frontdesk.guards.budget import Budget
from frontdesk.models import BreakerRegistry
from frontdesk.telemetry import Metrics, Telemetry
from frontdesk.telemetry.conventions import METRIC_LABELS

from .loadapp import MESSAGES, Faults, load_app, load_script

ID_LIKE = re.compile(r"^(?:[0-9a-f]{16,}|[0-9a-f-]{36}|load-\d+|.*\d{4,}.*)$", re.IGNORECASE)


def exported(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the text exposition, parsed back: (name, labels) -> value."""
    body, content_type = metrics.render_latest()
    assert content_type.startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def by_label(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
             label: str) -> dict[str, float]:  # fmt: skip
    found: dict[str, float] = {}
    for (sample, labels), value in samples.items():
        if sample == name:
            key = dict(labels)[label]
            found[key] = found.get(key, 0.0) + value
    return found


async def test_after_500_mixed_requests_token_and_cost_counters_equal_the_replies(
    tmp_path: Path,
) -> None:
    telemetry = Telemetry()
    # a tight conversation budget makes some conversations stop on budget, too
    app = load_app(tmp_path, telemetry, faults=Faults(rate=0.2),
                   budget=Budget(conversation_usd=0.0165))  # fmt: skip
    replies = []
    async with app:
        script = load_script(500)
        for conversation_id, text in script:
            replies.append(await app.respond(conversation_id, text))
        conversations = sorted({c for c, _ in script})
        logged = [d for c in conversations for d in await app.store.decisions(c)]
        handoffs = [t for c in conversations
                    for t in await app.store.list_escalations(conversation_id=c)]  # fmt: skip
    samples = exported(telemetry.metrics)  # type: ignore[arg-type]
    stops = Counter(r.stop_reason for r in replies)
    actions = Counter(r.action for r in replies)
    # the load is mixed: answers, clarifications, escalations, provider failures, budget stops
    assert {"completed", "provider_unavailable", "budget_exceeded", "escalated"} <= set(stops)
    assert {"answer", "clarify", "escalate"} <= set(actions)

    tokens_in = sum(by_label(samples, "frontdesk_input_tokens_total", "agent").values())
    tokens_out = sum(by_label(samples, "frontdesk_output_tokens_total", "agent").values())
    cost = sum(by_label(samples, "frontdesk_cost_usd_total", "agent").values())
    assert tokens_in == sum(r.usage.input_tokens for r in replies) > 0
    assert tokens_out == sum(r.usage.output_tokens for r in replies) > 0
    assert math.isclose(cost, math.fsum(r.cost_usd for r in replies), rel_tol=1e-9)
    assert cost > 0
    # per agent and model, the same sums, from the store's cost line items
    per_agent = by_label(samples, "frontdesk_cost_usd_total", "agent")
    assert set(per_agent) == {"billing", "scheduling"}

    requests = by_label(samples, "frontdesk_requests_total", "action")
    assert requests == {k: float(v) for k, v in actions.items()}
    statuses = by_label(samples, "frontdesk_requests_total", "status")
    assert statuses == {k: float(v) for k, v in stops.items()}
    # one routing decision counted per decision in the store's log
    assert by_label(samples, "frontdesk_routing_decisions_total", "action") == {
        k: float(v) for k, v in Counter(d.action for d in logged).items()
    }
    escalations = by_label(samples, "frontdesk_escalations_total", "reason")
    assert sum(escalations.values()) == len(handoffs)
    assert escalations == {k: float(v) for k, v in Counter(t.reason for t in handoffs).items()}
    assert {"emergency", "legal", "person_requested", "budget_exceeded"} <= set(escalations)
    assert (
        sum(by_label(samples, "frontdesk_budget_trips_total", "reason").values())
        == (stops["budget_exceeded"])
    )
    errors = by_label(samples, "frontdesk_request_errors_total", "reason")
    assert errors == {"provider_unavailable": float(stops["provider_unavailable"])}
    calls = by_label(samples, "frontdesk_model_calls_total", "status")
    assert calls["error"] == stops["provider_unavailable"]


async def test_every_label_is_on_the_allow_list_and_no_value_looks_like_an_id(
    tmp_path: Path,
) -> None:
    registry = BreakerRegistry()
    registry.get("acme", "http://127.0.0.1:9/v1")
    telemetry = Telemetry(metrics=Metrics(breakers=registry))
    app = load_app(tmp_path, telemetry, faults=Faults(rate=0.3))
    async with app:
        for i in range(40):
            await app.respond(f"conversation-{i}", MESSAGES[i % len(MESSAGES)])
    samples = exported(telemetry.metrics)  # type: ignore[arg-type]
    assert len(samples) > 50
    for (name, labels), _value in samples.items():
        assert name.startswith("frontdesk_"), name
        for label, value in labels:
            assert label in METRIC_LABELS | {"le"}, f"{name} has label {label!r}"
            if label != "le":
                assert not ID_LIKE.match(value), f"{name}{{{label}={value!r}}} looks like an id"
                assert "conversation" not in value
    assert samples[("frontdesk_circuit_breakers", (("provider", "acme"), ("status", "closed")))]


def test_breaker_states_are_counted_per_provider_at_scrape_time() -> None:
    registry = BreakerRegistry()
    broken = registry.get("acme", "http://a")
    registry.get("acme", "http://b")
    for _ in range(broken.failures):
        permit = broken.admit()
        assert permit is not None
        broken.record_failure(permit)
    samples = exported(Metrics(breakers=registry))
    assert samples[("frontdesk_circuit_breakers", (("provider", "acme"), ("status", "open")))] == 1
    assert (
        samples[("frontdesk_circuit_breakers", (("provider", "acme"), ("status", "closed")))] == 1
    )


@pytest.mark.parametrize("seconds", [0.001, 79.0])
def test_latency_histograms_reach_80_seconds_in_base_units(seconds: float) -> None:
    metrics = Metrics(breakers=None)
    metrics.observe_agent("billing", "completed", seconds)
    samples = exported(metrics)
    buckets = {
        float(dict(labels)["le"]): value
        for (name, labels), value in samples.items()
        if name == "frontdesk_agent_duration_seconds_bucket"
    }
    assert max(b for b in buckets if b != math.inf) == 80.0
    assert buckets[80.0] == 1
    assert buckets[0.005] == (1 if seconds < 0.005 else 0)
    assert metrics.latency_quantiles("billing") == (seconds, seconds)
