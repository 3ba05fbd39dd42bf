"""Liveness, readiness and "who am I"."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from frontdesk.routing import CascadeRouter, EmbeddingRouter
from frontdesk.server.auth import require_role
from frontdesk.server.schemas import HealthOut, KeyOut
from frontdesk.server.state import server_state
from frontdesk.store import ApiKey

router = APIRouter(tags=["service"])

READY_TIMEOUT_S = 5.0


@router.get("/healthz", response_model=HealthOut)
async def healthz() -> Any:
    """Liveness: the process serves requests (public)."""
    return {"status": "ok", "checks": {}}


@router.get("/readyz", response_model=HealthOut, responses={503: {"model": HealthOut}})
async def readyz(request: Request) -> Any:
    """Readiness (public): the store answers, the router is trained, and the server is not
    shutting down. 503 otherwise, with the failing check named."""
    state = server_state(request)
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(state.app.store.conversation_tenant("readyz-probe"), READY_TIMEOUT_S)
        checks["store"] = "ok"
    except Exception as exc:
        checks["store"] = f"unreachable: {type(exc).__name__}"
    router_ = state.app.router
    local = router_.local if isinstance(router_, CascadeRouter) else router_
    trained = not isinstance(local, EmbeddingRouter) or local.trained
    checks["router"] = "trained" if trained else "not trained"
    checks["server"] = "draining" if state.draining.is_set() else "serving"
    ok = checks["store"] == "ok" and trained and not state.draining.is_set()
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks},
        status_code=200 if ok else 503,
    )


@router.get("/v1/me", response_model=KeyOut, responses={401: {"description": "No or bad key"}})
async def me(key: Annotated[ApiKey, Depends(require_role())]) -> Any:
    """The calling key: id, name, role and tenant (the console uses it to check a login)."""
    return {"id": key.id, "name": key.name, "role": key.role, "tenant": key.tenant}
