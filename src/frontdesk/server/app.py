"""The HTTP service: `create_app(app, settings)` builds the FastAPI application around an `App`;
`serve(...)` runs it under uvicorn with a graceful shutdown.

Lifespan: at start-up the App opens (store, trained router, graph), the event bus connects and
the SLA sweep starts (every `sweep_interval_s`: `App.sweep_sla`, then queue events). At
shutdown (SIGTERM/SIGINT) uvicorn stops accepting connections, the event streams end, turns in
flight finish (up to `shutdown_grace_s`), then the bus, the rate limiter and the App close.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import logging
from collections.abc import AsyncIterator
from types import FrameType
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from frontdesk.config import Settings
from frontdesk.runtime import App
from frontdesk.server import publish
from frontdesk.server.errors import install_error_handlers
from frontdesk.server.events import event_bus
from frontdesk.server.limits import BodySizeLimit, rate_limiter
from frontdesk.server.routes import console, conversations, escalations, health, reports
from frontdesk.server.state import ServerOptions, ServerState

log = logging.getLogger("frontdesk.server")

PUBLIC_PATHS = ("/healthz", "/readyz", "/openapi.json", "/console", "/metrics", "/dashboard")
"""Paths served without an API key (the console and dashboard pages call the API with one)."""


def create_app(
    app: App, settings: Settings | None = None, *, options: ServerOptions | None = None
) -> FastAPI:
    """The FastAPI application serving `app`. `options` default to `ServerOptions.from_env`
    with the Redis URL of `settings` (Redis: shared live events and rate limits)."""
    if options is None:
        options = ServerOptions.from_env(redis_url=settings.redis_url if settings else None)
    state = ServerState(
        app=app,
        options=options,
        bus=event_bus(options.redis_url),
        limiter=rate_limiter(
            redis_url=options.redis_url, rate_per_s=options.rate_per_s, burst=options.rate_burst
        ),
        report_model=settings.model if settings else None,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_api: FastAPI) -> AsyncIterator[None]:
        state.loop = asyncio.get_running_loop()
        await app.open()
        await state.bus.start()
        sweeper = None
        if options.sweep_interval_s > 0:
            sweeper = asyncio.get_running_loop().create_task(_sweep_forever(state))
        try:
            yield
        finally:
            state.draining.set()
            if sweeper is not None:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper
            if state.turns:
                _, late = await asyncio.wait(set(state.turns), timeout=options.shutdown_grace_s)
                if late:
                    log.warning(
                        "shutdown: %d turns still running after the grace period", len(late)
                    )
            await state.bus.close()
            await state.limiter.close()
            await app.close()

    api = FastAPI(
        title=f"frontdesk — {app.name}",
        version=_version(),
        description="The frontdesk HTTP API: conversations, the escalation queue, report "
        "analysis. Authenticate with `Authorization: Bearer KEY` (docs/server.md).",
        lifespan=lifespan,
        docs_url=None,  # the Swagger and ReDoc pages load scripts from a CDN
        redoc_url=None,
    )
    api.state.frontdesk = state
    install_error_handlers(api)
    api.add_middleware(BodySizeLimit, max_bytes=options.max_body_bytes)
    api.include_router(health.router)
    api.include_router(conversations.router)
    api.include_router(escalations.router)
    api.include_router(reports.router)
    api.include_router(console.router)
    api.mount("/console/static", StaticFiles(directory=console.STATIC), name="console-static")
    # telemetry (/metrics, /dashboard, /v1/decisions) lives in its own module, when present
    if importlib.util.find_spec("frontdesk.server.observability") is not None:
        observability = importlib.import_module("frontdesk.server.observability")
        api.include_router(observability.router)
    return api


async def _sweep_forever(state: ServerState) -> None:
    """Every `sweep_interval_s`: requeue overdue tickets (`App.sweep_sla`) and announce them."""
    while True:
        await asyncio.sleep(state.options.sweep_interval_s)
        try:
            tickets = await state.run_to_completion(state.app.sweep_sla())
            for ticket in tickets:
                await publish.ticket_changed(state.bus, ticket, "updated")
                await publish.conversation_changed(
                    state.bus, state.app.store, ticket.conversation_id
                )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("SLA sweep failed; retrying at the next interval")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("frontdesk")
    except PackageNotFoundError:
        return "0"


class GracefulServer(uvicorn.Server):
    """uvicorn, telling the app that shutdown began (event streams end, /readyz says 503)
    before it waits for the requests in flight."""

    def __init__(self, config: uvicorn.Config, state: ServerState) -> None:
        super().__init__(config)
        self._state = state

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        loop = self._state.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._state.draining.set)
        super().handle_exit(sig, frame)


def serve(
    app: App,
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    options: ServerOptions | None = None,
    **uvicorn_options: Any,
) -> None:
    """Serve `app` over HTTP until SIGINT/SIGTERM, then shut down gracefully."""
    api = create_app(app, settings, options=options)
    state: ServerState = api.state.frontdesk
    config = uvicorn.Config(
        api,
        host=host,
        port=port,
        lifespan="on",
        log_level=settings.log_level,
        timeout_graceful_shutdown=int(state.options.shutdown_grace_s),
        **uvicorn_options,
    )
    redact_logs(settings)  # after uvicorn.Config, which sets up uvicorn's own log handlers
    GracefulServer(config, state).run()


def redact_logs(settings: Settings) -> None:
    """Send every log line of the server through the PHI redactor: frontdesk's own (through a
    root handler at `settings.log_level`, added if there is none) and uvicorn's, access lines
    included. A message, a URL or an exception can carry what a user typed, whether or not
    content capture is on."""
    from frontdesk.telemetry import Redactor, install_log_redaction

    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(settings.log_level.upper())
    redactor = Redactor()
    install_log_redaction(root, redactor)
    install_log_redaction(logging.getLogger("uvicorn"), redactor)
    # uvicorn's access formatter reads the arguments (client, method, path, version, status)
    install_log_redaction(logging.getLogger("uvicorn.access"), redactor, keep_args=True)


__all__ = ["PUBLIC_PATHS", "GracefulServer", "create_app", "redact_logs", "serve"]
