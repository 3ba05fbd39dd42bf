"""Observability endpoints: Prometheus metrics, the live dashboard, the routing decision log.

- `GET /metrics` (public, like most Prometheus targets: aggregate counts with low-cardinality
  labels, no user content; restrict it at the network edge if that matters to you);
- `GET /dashboard` (a public static page) polling `GET /dashboard/data` (operator or admin key):
  per-agent runs, error rate, p50/p95 latency, tokens and cost, escalations by reason, and the
  span timings of recent requests with the agent that was the bottleneck;
- `GET /v1/decisions?conversation_id=` (admin): the routing decision log of a conversation.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response

from frontdesk.runtime import App
from frontdesk.server.auth import require_role
from frontdesk.server.errors import ApiError
from frontdesk.server.state import server_state
from frontdesk.store import ApiKey, check_conversation_id

STATIC = Path(__file__).resolve().parent / "static"
RECENT_REQUESTS = 20
"""How many recent requests `/dashboard/data` returns the span timings of."""

router = APIRouter(tags=["observability"])


def _app(request: Request) -> App:
    return server_state(request).app


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus metrics of the app, in the text exposition format (public)."""
    found = _app(request).telemetry.metrics
    if found is None:
        raise ApiError(404, "not_found", "metrics are disabled for this app (telemetry off)")
    body, content_type = found.render_latest()
    return Response(content=body, media_type=content_type)


@router.get("/dashboard", response_class=FileResponse)
async def dashboard() -> FileResponse:
    """The live dashboard page (public; it reads `/dashboard/data` with an operator key)."""
    return FileResponse(STATIC / "dashboard.html", media_type="text/html")


@router.get("/dashboard/data")
async def dashboard_data(
    request: Request, key: Annotated[ApiKey, Depends(require_role("operator", "admin"))]
) -> dict[str, Any]:
    """Per-agent figures and the latency breakdown of recent requests (operator or admin)."""
    return dashboard_payload(_app(request))


def dashboard_payload(app: App) -> dict[str, Any]:
    """What the dashboard shows: `agents` (runs, errors, error_rate, p50_ms, p95_ms,
    input_tokens, output_tokens, cost_usd), `requests` and `escalations` by action and reason,
    and `recent` requests, newest first, each with its spans and its `bottleneck` agent."""
    telemetry = app.telemetry
    summary: dict[str, Any] = (
        telemetry.metrics.summary() if telemetry.metrics is not None
        else {"agents": [], "requests": {}, "escalations": {}}
    )  # fmt: skip
    recent = list(telemetry.recent)[-RECENT_REQUESTS:]
    summary["recent"] = [r.to_json() for r in reversed(recent)]
    summary["app"] = app.name
    return summary


@router.get("/v1/decisions")
async def decisions(
    request: Request,
    key: Annotated[ApiKey, Depends(require_role("admin"))],
    conversation_id: Annotated[str, Query(min_length=1, max_length=200)],
) -> dict[str, Any]:
    """The routing decision log of one conversation, oldest first (admin): each decision's
    candidates with their scores, the chosen category and action, the reason code, the router
    version, the trace id and the latency."""
    check_conversation_id(conversation_id)  # InvalidInput: 422 invalid_input
    records = await _app(request).store.decisions(conversation_id)
    return {"conversation_id": conversation_id, "items": [asdict(r) for r in records]}
