"""Fixtures giving every conformance test a fresh store of each backend.

PostgreSQL tests read FRONTDESK_TEST_POSTGRES_URL (CI sets it and requires the server); each test
gets its own schema, dropped afterwards. Without the variable they skip, saying why.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from frontdesk.store import Store, open_store

POSTGRES_URL = os.environ.get("FRONTDESK_TEST_POSTGRES_URL", "")


def _with_schema(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgres"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'frontdesk.sqlite3'}"
        return
    async with postgres_schema() as url:
        yield url


@contextlib.asynccontextmanager
async def postgres_schema() -> AsyncIterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped on exit."""
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("CI requires PostgreSQL: set FRONTDESK_TEST_POSTGRES_URL")
        pytest.skip("PostgreSQL not configured: set FRONTDESK_TEST_POSTGRES_URL to run these")
    import psycopg

    schema = f"fd_test_{uuid.uuid4().hex[:10]}"
    async with await psycopg.AsyncConnection.connect(POSTGRES_URL, autocommit=True) as conn:
        await conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield _with_schema(POSTGRES_URL, schema)
    finally:
        async with await psycopg.AsyncConnection.connect(POSTGRES_URL, autocommit=True) as conn:
            await conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    async with open_store(store_url) as opened:
        yield opened
