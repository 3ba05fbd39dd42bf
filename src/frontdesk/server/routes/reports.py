"""Medical report analysis over HTTP: the `frontdesk analyze --json` object. Uses the configured
model (`FRONTDESK_MODEL`) if any, else the offline pipeline."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from frontdesk.context import RequestContext
from frontdesk.server.auth import require_role
from frontdesk.server.schemas import AnalyzeIn
from frontdesk.server.state import server_state
from frontdesk.store import ApiKey

router = APIRouter(tags=["reports"])


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
    from frontdesk.medical.pipeline import analyze_report_sync  # its tables load on first use

    state = server_state(request)
    # in a thread with its own loop: extraction is CPU-bound and must not stall this loop; the
    # app's budget bounds the request when a model is configured
    app = state.app
    request_context = RequestContext.new(
        budget=app.budget, prices=app.prices, telemetry=app.telemetry
    )  # traced and metered like a conversation turn
    result = await asyncio.to_thread(
        analyze_report_sync, body.text, debate=body.debate, model=state.report_model,
        request=request_context,
    )  # fmt: skip
    out: dict[str, Any] = result.to_json()
    return out
