"""The Prometheus alert rules in deploy/: `promtool check rules`, and `promtool test rules`
unit tests whose input series come from a real scripted load through the app's metrics."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from frontdesk.telemetry import Metrics, Telemetry
from frontdesk.telemetry import conventions as c

from .loadapp import Faults, load_app

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "frontdesk-dashboard.json"
PROMTOOL = shutil.which("promtool") or ("/usr/bin/promtool" if Path("/usr/bin/promtool").exists()
                                        else None)  # fmt: skip

needs_promtool = pytest.mark.skipif(
    PROMTOOL is None and not os.environ.get("CI"),
    reason="promtool is not installed (apt-get install prometheus); CI requires it",
)


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None, "promtool is required in CI"
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60)


@needs_promtool
def test_the_alert_rules_are_valid() -> None:
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 4 rules found" in result.stdout


def series_of(metrics: Metrics, names: set[str]) -> dict[str, float]:
    """The samples called one of `names`, as promtool series strings."""
    found: dict[str, float] = {}
    body, _ = metrics.render_latest()
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name in names:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
                found[f"{sample.name}{{{labels}}}"] = sample.value
    return found


async def scripted_load(data_dir: Path, *, minutes: int, per_minute: int) -> list[dict[str, Any]]:
    """Runs `per_minute` requests (half billing, half scheduling, whose model fails 30 % of
    its calls) per simulated minute, and scrapes the app's metrics after each minute."""
    telemetry = Telemetry()
    app = load_app(data_dir, telemetry, faults=Faults(rate=0.3))
    names = {c.AGENT_RUNS + "_total", c.BUDGET_TRIPS + "_total"}
    scrapes: list[dict[str, float]] = []
    async with app:
        for minute in range(minutes):
            for i in range(per_minute):
                text = "why is my bill so high" if i % 2 else "book an appointment for Monday"
                await app.respond(f"m{minute}-r{i}", text)
            assert telemetry.metrics is not None
            scrapes.append(series_of(telemetry.metrics, names))
    series = sorted({s for scrape in scrapes for s in scrape})
    return [
        {"series": s, "values": " ".join(
            f"{scrape[s]:g}" if s in scrape else "_" for scrape in scrapes
        )}
        for s in series
    ]  # fmt: skip


def run_unit_tests(tmp_path: Path, tests: list[dict[str, Any]]) -> None:
    # JSON is YAML: no YAML library needed to write promtool's test file
    path = tmp_path / "alerts_test.yml"
    path.write_text(json.dumps({
        "rule_files": [str(RULES)], "evaluation_interval": "1m", "tests": tests,
    }), encoding="utf-8")  # fmt: skip
    result = promtool("test", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


ERROR_ANNOTATIONS = {
    "summary": "Agent scheduling fails more than 10 % of its runs",
    "description": 'Check its model provider (frontdesk_model_calls_total{status="error"}) and '
    "the circuit breakers.",
}


@needs_promtool
async def test_the_error_rate_alert_fires_for_the_specialist_whose_model_fails_30_percent(
    tmp_path: Path,
) -> None:
    series = await scripted_load(tmp_path / "data", minutes=16, per_minute=20)
    assert any('status="provider_unavailable"' in s["series"] for s in series)
    run_unit_tests(tmp_path, [{
        "interval": "1m",
        "input_series": series,
        "alert_rule_test": [
            # not before the 5 minutes of `for:` have passed
            {"eval_time": "4m", "alertname": "FrontdeskAgentErrorRateHigh", "exp_alerts": []},
            {"eval_time": "15m", "alertname": "FrontdeskAgentErrorRateHigh", "exp_alerts": [
                {"exp_labels": {"severity": "page", "agent": "scheduling"},
                 "exp_annotations": ERROR_ANNOTATIONS},
            ]},
        ],
    }])  # fmt: skip


@needs_promtool
def test_the_minimum_traffic_guard_breakers_budgets_and_latency_alerts(tmp_path: Path) -> None:
    runs = c.AGENT_RUNS + "_total"
    run_unit_tests(tmp_path, [{
        "interval": "1m",
        "input_series": [
            # 1 run a minute, half of them failing: over the rate threshold, under the traffic guard
            {"series": f'{runs}{{agent="billing",status="completed"}}', "values": "0+1x20"},
            {"series": f'{runs}{{agent="billing",status="provider_unavailable"}}',
             "values": "0+1x20"},
            {"series": 'frontdesk_circuit_breakers{provider="openai",status="open"}',
             "values": "0 0 1 1 1 1 1 1 1 1 1"},
            {"series": 'frontdesk_circuit_breakers{provider="openai",status="closed"}',
             "values": "1 1 0 0 0 0 0 0 0 0 0"},
            {"series": f'{c.BUDGET_TRIPS}_total{{agent="scheduling",reason="request"}}',
             "values": "0+2x20"},
            {"series": f'{c.AGENT_DURATION}_bucket{{agent="medical",le="20.0"}}',
             "values": "0+1x30"},
            {"series": f'{c.AGENT_DURATION}_bucket{{agent="medical",le="40.0"}}',
             "values": "0+10x30"},
            {"series": f'{c.AGENT_DURATION}_bucket{{agent="medical",le="+Inf"}}',
             "values": "0+10x30"},
        ],
        "alert_rule_test": [
            {"eval_time": "15m", "alertname": "FrontdeskAgentErrorRateHigh", "exp_alerts": []},
            {"eval_time": "5m", "alertname": "FrontdeskCircuitBreakerOpen", "exp_alerts": [
                {"exp_labels": {"severity": "page", "provider": "openai"},
                 "exp_annotations": {
                     "summary": "Circuit breaker open for provider openai",
                     "description": "Calls to openai fail fast; fallback models (if any) are "
                                    "answering."}},
            ]},
            {"eval_time": "15m", "alertname": "FrontdeskBudgetTrips", "exp_alerts": [
                {"exp_labels": {"severity": "warning", "agent": "scheduling", "reason": "request"},
                 "exp_annotations": {
                     "summary": "Model calls of scheduling refused by the request budget",
                     "description": "Conversations are being stopped (and handed to people) for "
                                    "cost; check the spend per agent (frontdesk_cost_usd_total)."}},
            ]},
            {"eval_time": "25m", "alertname": "FrontdeskAgentLatencyHigh", "exp_alerts": [
                {"exp_labels": {"severity": "warning", "agent": "medical"},
                 "exp_annotations": {
                     "summary": "Agent medical p95 run time is over 20 s",
                     "description": "See the slowest recent requests on /dashboard (which agent "
                                    "was the bottleneck)."}},
            ]},
        ],
    }])  # fmt: skip


def test_the_grafana_dashboard_queries_only_metrics_frontdesk_exports() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 8
    known = {
        getattr(c, name) for name in dir(c)
        if name.isupper() and isinstance(getattr(c, name), str)
        and getattr(c, name).startswith("frontdesk_")
    }  # fmt: skip
    for expr in exprs:
        for metric in re.findall(r"\bfrontdesk_[a-z_]+", expr):
            base = re.sub(r"_(total|bucket|sum|count)$", "", metric)
            assert base in known, f"{metric} in the dashboard is not a frontdesk metric"
