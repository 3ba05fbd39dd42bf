"""What the routes share: the App, the event bus, the rate limiter and the server options.

One `ServerState` per FastAPI application, kept at `api.state.frontdesk`; routes reach it
through `server_state(request)`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import Request

from frontdesk.errors import ConfigError
from frontdesk.runtime import App

if TYPE_CHECKING:
    from frontdesk.server.events import EventBus
    from frontdesk.server.limits import RateLimiter

T = TypeVar("T")


@dataclass(kw_only=True, slots=True)
class ServerOptions:
    """How the HTTP service behaves; `from_env` reads the `FRONTDESK_*` overrides."""

    max_body_bytes: int = 64 * 1024
    """Requests with a larger body get 413."""
    rate_per_s: float = 10.0
    """Sustained requests per second allowed to one API key (a token bucket)."""
    rate_burst: int = 60
    """How many requests one key may make at once before the sustained rate applies."""
    redis_url: str | None = None
    """Redis for live events and rate limits shared by several replicas (None: in-process)."""
    sweep_interval_s: float = 15.0
    """How often the SLA sweep (`App.sweep_sla`) runs; 0 turns it off."""
    shutdown_grace_s: float = 30.0
    """How long a shutdown waits for turns in flight."""
    sse_ping_s: float = 15.0
    """Comment lines sent on idle event streams so proxies keep them open."""

    @classmethod
    def from_env(cls, *, redis_url: str | None = None) -> ServerOptions:
        """Defaults, overridden by FRONTDESK_RATE_PER_S, FRONTDESK_RATE_BURST,
        FRONTDESK_MAX_BODY_BYTES and FRONTDESK_SLA_SWEEP_S."""
        options = cls(redis_url=redis_url)
        for env, name, kind in (
            ("FRONTDESK_RATE_PER_S", "rate_per_s", float),
            ("FRONTDESK_RATE_BURST", "rate_burst", int),
            ("FRONTDESK_MAX_BODY_BYTES", "max_body_bytes", int),
            ("FRONTDESK_SLA_SWEEP_S", "sweep_interval_s", float),
        ):
            raw = os.environ.get(env, "").strip()
            if not raw:
                continue
            try:
                value = kind(raw)
            except ValueError:
                raise ConfigError(
                    f"{env}={raw!r} is not a number; unset it or give e.g. 10"
                ) from None
            if value < 0 or (value == 0 and name != "sweep_interval_s"):
                raise ConfigError(f"{env}={raw!r} must be positive")
            setattr(options, name, value)
        return options


@dataclass(kw_only=True, slots=True)
class ServerState:
    """The live parts of one server process."""

    app: App
    options: ServerOptions
    bus: EventBus
    limiter: RateLimiter
    report_model: str | None = None
    """The model of `/v1/reports/analyze` (the settings' `model`; None: offline)."""
    loop: asyncio.AbstractEventLoop | None = None
    """The loop serving requests (set at start-up; signal handlers reach the app through it)."""
    draining: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when shutdown begins: event streams end, /readyz answers 503."""
    turns: set[asyncio.Task[Any]] = field(default_factory=set)
    """Work that must finish before the App closes (turns, operator actions)."""

    def run_to_completion(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run `work` as a task that a client disconnect does not cancel and a graceful
        shutdown waits for."""
        task = asyncio.get_running_loop().create_task(work)
        self.turns.add(task)
        task.add_done_callback(_finished)
        task.add_done_callback(self.turns.discard)
        return task


def _finished(task: asyncio.Task[Any]) -> None:
    # mark the exception retrieved: the caller that awaited it (if still connected) reported it
    if not task.cancelled():
        task.exception()


def server_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.frontdesk
    return state
