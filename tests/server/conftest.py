"""One live server for the module's tests (the clinic app trains its router once, ~9 s), and
helpers. Every test uses its own conversation ids and keys, so they share it safely."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdesk.server import ServerOptions

from .harness import LiveServer, seed_router_cache

POSTGRES_URL = os.environ.get("FRONTDESK_TEST_POSTGRES_URL", "")

# high enough that only the rate-limit tests (their own server) ever see a 429
FAST = ServerOptions(rate_per_s=10_000, rate_burst=10_000, sweep_interval_s=0.5)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # a message waits at most 5 s for its conversation's previous one (then 409), so that
    # generated requests racing on one conversation id never outlast a client timeout
    live = LiveServer(
        tmp_path_factory.mktemp("server") / "data", options=FAST, overrides={"lease_wait_s": 5}
    ).start()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def router_cache(server: LiveServer) -> Path:
    """A data dir holding the trained clinic router, to seed other servers' data dirs."""
    return server.data_dir


@pytest.fixture(params=["sqlite", "postgres"])
def any_server(
    request: pytest.FixtureRequest, server: LiveServer, tmp_path: Path
) -> Iterator[LiveServer]:
    """The shared SQLite server, then a server on PostgreSQL (a fresh schema, dropped after)."""
    if request.param == "sqlite":
        yield server
        return
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("CI requires PostgreSQL: set FRONTDESK_TEST_POSTGRES_URL")
        pytest.skip("PostgreSQL not configured: set FRONTDESK_TEST_POSTGRES_URL to run these")
    import psycopg

    schema = f"fd_server_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    seed_router_cache(server.data_dir, tmp_path)
    live = LiveServer(tmp_path, options=FAST, overrides={"database_url": url}).start()
    try:
        yield live
    finally:
        live.stop()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
