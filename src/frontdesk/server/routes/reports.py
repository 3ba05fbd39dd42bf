"""Medical report analysis over HTTP: the `frontdesk analyze --json` object. Mounted when the
build has `frontdesk.medical.pipeline`; uses the configured model (`FRONTDESK_MODEL`) if any,
else the offline pipeline."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from frontdesk.context import RequestContext
from frontdesk.server.auth import require_role
from frontdesk.server.schemas import AnalyzeIn
from frontdesk.server.state import server_state
from frontdesk.store import ApiKey

router = APIRouter(tags=["reports"])


def analyzer() -> Callable[..., Any] | None:
    """`frontdesk.medical.pipeline.analyze_report_sync`, or None if this build has no report
    analysis."""
    try:
        module = importlib.import_module("frontdesk.medical.pipeline")
    except ImportError:
        return None
    found: Callable[..., Any] | None = getattr(module, "analyze_report_sync", None)
    return found


def available() -> bool:
    return analyzer() is not None


@router.post(
    "/v1/reports/analyze",
    responses={
        401: {"description": "No API key, or an invalid one"},
        422: {"description": "Empty or unusable report text"},
        429: {"description": "Rate limit exceeded (see Retry-After)"},
    },
)
async def analyze(
    body: AnalyzeIn, request: Request, _key: Annotated[ApiKey, Depends(require_role())]
) -> dict[str, Any]:
    """Analyse a medical report: labs, medications, diagnoses (ICD-10-CM), findings and a
    summary; with `debate: true` also the analysts' debate (any role)."""
    analyze_report = analyzer()
    assert analyze_report is not None  # the route is mounted only when it exists
    state = server_state(request)
    # in a thread with its own loop: extraction is CPU-bound and must not stall this loop; the
    # app's budget bounds the request when a model is configured
    app = state.app
    request_context = RequestContext.new(
        budget=app.budget, prices=app.prices, telemetry=app.telemetry
    )  # traced and metered like a conversation turn
    result = await asyncio.to_thread(
        analyze_report, body.text, debate=body.debate, model=state.report_model,
        request=request_context,
    )  # fmt: skip
    out: dict[str, Any] = result.to_json()
    return out
