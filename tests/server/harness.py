"""A real uvicorn server on a loopback port, in a thread of the test process, serving the clinic
app on a temporary data directory; plus helpers to make API keys and read SSE streams."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import time
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn

from frontdesk.apps import load_app
from frontdesk.config import Settings
from frontdesk.server import ServerOptions, create_app
from frontdesk.server.app import GracefulServer
from frontdesk.server.auth import hash_key, new_key
from frontdesk.server.state import ServerState
from frontdesk.store import ApiKey

T = TypeVar("T")


def seed_router_cache(source: Path | None, data_dir: Path) -> None:
    """Copy a trained router into a new data dir (training takes ~9 s; loading it < 1 s)."""
    if source is not None and (source / "routers").is_dir():
        shutil.copytree(source / "routers", data_dir / "routers", dirs_exist_ok=True)


class LiveServer:
    """`create_app` over the clinic app, served by uvicorn on 127.0.0.1 (a free port)."""

    def __init__(
        self, data_dir: Path, *, options: ServerOptions, overrides: dict[str, Any] | None = None
    ) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        # explicit settings: nothing inherited from the environment or a config file
        self.settings = Settings(data_dir=data_dir, **(overrides or {}))
        self.app = load_app("clinic", self.settings)
        self.api = create_app(self.app, self.settings, options=options)
        config = uvicorn.Config(
            self.api, host="127.0.0.1", port=0, lifespan="on", log_level="warning", ws="none"
        )
        self.server = GracefulServer(config, self.api.state.frontdesk)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)
        self.url = ""

    @property
    def state(self) -> ServerState:
        state: ServerState = self.api.state.frontdesk
        return state

    def start(self, timeout_s: float = 180.0) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(60)

    def call(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's event loop (where its store lives)."""
        assert self.state.loop is not None
        return asyncio.run_coroutine_threadsafe(work, self.state.loop).result(60)

    def key(self, role: str, *, name: str | None = None, tenant: str = "") -> str:
        """A new API key of `role` (its secret; the store keeps the hash)."""
        secret = new_key()
        record = ApiKey(name=name or role, role=role, key_hash=hash_key(secret), tenant=tenant)  # type: ignore[arg-type]
        self.call(self.app.store.create_api_key(record))
        return secret

    def client(self, key: str | None = None, **kwargs: Any) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=60, **kwargs)


async def sse_events(
    client: httpx.AsyncClient, path: str, **kwargs: Any
) -> AsyncIterator[tuple[str, Any]]:
    """(event, data) pairs of an SSE stream (comments skipped)."""
    headers = {"Accept": "text/event-stream", **kwargs.pop("headers", {})}
    async with client.stream(kwargs.pop("method", "GET"), path, headers=headers, **kwargs) as r:
        assert r.status_code == 200, await r.aread()
        assert r.headers["content-type"].startswith("text/event-stream")
        name, data = "message", ""
        async for line in r.aiter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data += line[6:]
            elif line == "" and data:
                yield name, json.loads(data)
                name, data = "message", ""
