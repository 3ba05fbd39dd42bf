"""Stores: conversations, escalations, API keys, decisions, model-call costs and graph
checkpoints.

`open_store(url)` picks the backend from the URL: `postgresql://…` (or `postgres://…`) for
PostgreSQL, `sqlite:///path` or a plain path for SQLite.
"""

from __future__ import annotations

from pathlib import Path

from frontdesk.errors import ConfigError
from frontdesk.store.base import (
    ADMIN_OPERATOR,
    DEFAULT_SLA,
    ApiKey,
    ApiKeyRole,
    CostRecord,
    CostTotals,
    DecisionRecord,
    Escalation,
    EscalationStatus,
    Lease,
    Role,
    SlaPolicy,
    Store,
    StoredMessage,
    check_conversation_id,
)


def open_store(url: str) -> Store:
    """A (not yet opened) store for `url`."""
    if url.startswith(("postgresql://", "postgres://")):
        try:
            from frontdesk.store.postgres import PostgresStore
        except ImportError as exc:
            raise ConfigError(
                "PostgreSQL support needs extra packages: pip install 'frontdesk[postgres]'"
            ) from exc
        return PostgresStore(url)
    if url.startswith("sqlite:///"):
        from frontdesk.store.sqlite import SQLiteStore

        return SQLiteStore(Path(url.removeprefix("sqlite:///")))
    if "://" in url:
        raise ConfigError(
            f"unsupported database URL {url.split('://')[0]}://…: use postgresql://… or "
            f"sqlite:///path/to/file.sqlite3"
        )
    from frontdesk.store.sqlite import SQLiteStore

    return SQLiteStore(Path(url))


__all__ = [
    "ADMIN_OPERATOR",
    "DEFAULT_SLA",
    "ApiKey",
    "ApiKeyRole",
    "CostRecord",
    "CostTotals",
    "DecisionRecord",
    "Escalation",
    "EscalationStatus",
    "Lease",
    "Role",
    "SlaPolicy",
    "Store",
    "StoredMessage",
    "check_conversation_id",
    "open_store",
]
