"""The PostgreSQL store, for several server replicas sharing one database.

Appends lock the conversation's row (an upsert) before taking the next sequence number, so
concurrent writers to one conversation serialise; the primary key (conversation_id, seq) makes a
forked history impossible even if they did not. A lease is taken with one
`INSERT … ON CONFLICT DO UPDATE … WHERE expired RETURNING` statement, which PostgreSQL makes
atomic: of two replicas racing for a lease, one gets a row back and the other waits on the row
lock, re-checks the condition and gets none.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg import AsyncConnection
from psycopg.errors import UniqueViolation
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from frontdesk.errors import StoreError
from frontdesk.store import sql
from frontdesk.store.base import (
    DEFAULT_SLA,
    ApiKey,
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
    check_ttl,
)

LEASES = sql.lease_queries(sql.POSTGRES_NOW)
CREATE_ATTEMPTS = 5
"""Rounds of `create_escalation` when the active ticket it conflicted with is resolved before
it reads it (then the insert is tried again)."""
SCHEMA_LOCK = 0x66645F736368656D
"""The advisory lock key ("fd_schem") held while one process creates or migrates the schema."""
SCHEMA_LOCK_WAIT_S = 60.0


def _pg(query: str) -> str:
    return query.replace("?", "%s")


class PostgresStore(Store):
    """Conversations, escalations, decisions, costs and checkpoints in PostgreSQL."""

    def __init__(self, url: str, *, max_size: int = 10) -> None:
        self.url = url
        self._max_size = max_size
        self._pool: AsyncConnectionPool[AsyncConnection[Any]] | None = None
        self._saver_pool: AsyncConnectionPool[AsyncConnection[dict[str, Any]]] | None = None
        self._saver: AsyncPostgresSaver | None = None

    async def open(self) -> None:
        if self._pool is not None:
            return
        pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
            self.url, min_size=1, max_size=self._max_size, open=False
        )
        saver_pool: AsyncConnectionPool[AsyncConnection[dict[str, Any]]] = AsyncConnectionPool(
            self.url,
            min_size=1,
            max_size=self._max_size,
            open=False,
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        )
        saver = AsyncPostgresSaver(saver_pool)
        try:
            await pool.open(wait=True, timeout=15)
            await saver_pool.open(wait=True, timeout=15)
            # CREATE TABLE IF NOT EXISTS is not safe against itself: replicas starting together
            # on a fresh database would collide, so one process at a time creates the schema
            # (ours, then the saver's migrations); closing the connection drops the lock
            async with await AsyncConnection.connect(self.url, autocommit=True) as conn:
                await _lock_schema(conn)
                for statement in sql.SCHEMA:
                    await conn.execute(statement)
                for table, column, kind in sql.ADDED_COLUMNS:
                    await conn.execute(
                        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}"
                    )
                for statement in sql.AFTER_MIGRATION:
                    await conn.execute(statement)
                superseded = await _one_active_ticket(conn)
                await saver.setup()
        except Exception as exc:
            await saver_pool.close()
            await pool.close()
            raise StoreError(
                f"cannot connect to PostgreSQL at {_redact(self.url)}: {exc}. Check "
                f"FRONTDESK_DATABASE_URL (e.g. postgresql://user@127.0.0.1:5432/frontdesk)."
            ) from exc
        sql.log_superseded(superseded)
        self._pool = pool
        self._saver_pool = saver_pool
        self._saver = saver

    async def close(self) -> None:
        if self._saver_pool is not None:
            await self._saver_pool.close()
            self._saver_pool = None
            self._saver = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def checkpointer(self) -> BaseCheckpointSaver[Any]:
        if self._saver is None:
            raise StoreError("the store is not open")
        return self._saver

    def _require_pool(self) -> AsyncConnectionPool[AsyncConnection[Any]]:
        if self._pool is None:
            raise StoreError("the store is not open")
        return self._pool

    async def _fetch(self, query: str, args: list[Any] | tuple[Any, ...]) -> list[Any]:
        async with self._require_pool().connection() as conn:
            cursor = await conn.execute(_pg(query), args)
            return await cursor.fetchall()

    async def _execute(self, query: str, args: list[Any] | tuple[Any, ...]) -> None:
        async with self._require_pool().connection() as conn:
            await conn.execute(_pg(query), args)

    async def append_message(
        self,
        conversation_id: str,
        role: Role,
        text: str,
        *,
        agent: str | None = None,
        meta: dict[str, Any] | None = None,
        tenant: str = "default",
    ) -> StoredMessage:
        now = time.time()
        meta = dict(meta or {})
        async with self._require_pool().connection() as conn, conn.transaction():
            await conn.execute(_pg(sql.UPSERT_CONVERSATION), (conversation_id, tenant, now, now))
            cursor = await conn.execute(_pg(sql.NEXT_SEQ), (conversation_id,))
            row = await cursor.fetchone()
            seq = int(row[0]) if row else 1
            await conn.execute(
                _pg(sql.INSERT_MESSAGE),
                (conversation_id, seq, role, text, agent, json.dumps(meta), now),
            )
        return StoredMessage(
            conversation_id=conversation_id, seq=seq, role=role, text=text, agent=agent,
            meta=meta, created_at=now,
        )  # fmt: skip

    async def history(
        self, conversation_id: str, *, limit: int | None = None
    ) -> list[StoredMessage]:
        if limit is None:
            rows = await self._fetch(sql.HISTORY, (conversation_id,))
        else:
            rows = await self._fetch(sql.HISTORY_TAIL, (conversation_id, limit))
        return [sql.message_from_row(r) for r in rows]

    async def create_escalation(self, escalation: Escalation) -> Escalation:
        # read committed: a conflicting insert waits for the other transaction to commit, and
        # each statement sees what was committed before it started
        args = sql.escalation_args(escalation)
        async with self._require_pool().connection() as conn, conn.transaction():
            for _ in range(CREATE_ATTEMPTS):
                cursor = await conn.execute(_pg(sql.INSERT_NEW_ESCALATION), args)
                if await cursor.fetchone() is not None:
                    return escalation
                cursor = await conn.execute(_pg(sql.ESCALATION_BY_ID), (escalation.id,))
                row = await cursor.fetchone()
                if row is not None:
                    return sql.escalation_from_row(row)
                cursor = await conn.execute(
                    _pg(sql.ACTIVE_ESCALATION), (escalation.conversation_id,)
                )
                row = await cursor.fetchone()
                if row is not None:
                    active = sql.escalation_from_row(row)
                    record = sql.superseded(escalation, active, time.time())
                    await conn.execute(_pg(sql.INSERT_ESCALATION), sql.escalation_args(record))
                    return active
                # the ticket it conflicted with was resolved meanwhile: insert again
        raise StoreError(
            f"could not open escalation {escalation.id} for conversation "
            f"{escalation.conversation_id}: its active ticket kept changing; try again"
        )

    async def get_escalation(self, escalation_id: str) -> Escalation | None:
        rows = await self._fetch(sql.ESCALATION_BY_ID, (escalation_id,))
        return sql.escalation_from_row(rows[0]) if rows else None

    async def list_escalations(
        self, *, status: EscalationStatus | None = None, conversation_id: str | None = None
    ) -> list[Escalation]:
        query, args = sql.select_escalations(status, conversation_id)
        return [sql.escalation_from_row(r) for r in await self._fetch(query, args)]

    async def claim_escalation(self, escalation_id: str, operator: str) -> Escalation | None:
        now = time.time()
        rows = await self._fetch(sql.CLAIM_ESCALATION, (operator, now, now, escalation_id))
        return sql.escalation_from_row(rows[0]) if rows else None

    async def resolve_escalation(
        self, escalation_id: str, operator: str, *, resume_bot: bool
    ) -> Escalation | None:
        now = time.time()
        args = (now, int(resume_bot), now, escalation_id, operator, operator)
        rows = await self._fetch(sql.RESOLVE_ESCALATION, args)
        return sql.escalation_from_row(rows[0]) if rows else None

    async def requeue_overdue(
        self, now: float, *, sla: SlaPolicy = DEFAULT_SLA
    ) -> list[Escalation]:
        rows: list[Any] = []
        async with self._require_pool().connection() as conn, conn.transaction():
            for query, args in sql.requeue_queries(sla, now):
                cursor = await conn.execute(_pg(query), args)
                rows += await cursor.fetchall()
        return [sql.escalation_from_row(r) for r in rows]

    async def active_escalation(self, conversation_id: str) -> Escalation | None:
        rows = await self._fetch(sql.ACTIVE_ESCALATION, (conversation_id,))
        return sql.escalation_from_row(rows[0]) if rows else None

    async def conversation_tenant(self, conversation_id: str) -> str | None:
        rows = await self._fetch(sql.CONVERSATION_TENANT, (conversation_id,))
        return str(rows[0][0]) if rows else None

    async def claim_conversation(self, conversation_id: str, tenant: str) -> str:
        now = time.time()
        async with self._require_pool().connection() as conn, conn.transaction():
            # a concurrent first claim makes the insert wait for its commit, then skip; the
            # next statement (read committed) sees the winner
            await conn.execute(_pg(sql.CLAIM_CONVERSATION), (conversation_id, tenant, now, now))
            cursor = await conn.execute(_pg(sql.CONVERSATION_TENANT), (conversation_id,))
            row = await cursor.fetchone()
        if row is None:
            raise StoreError(f"conversation {conversation_id!r} has no owner after a claim")
        return str(row[0])

    async def create_api_key(self, key: ApiKey) -> ApiKey:
        try:
            await self._execute(sql.INSERT_API_KEY, sql.api_key_args(key))
        except UniqueViolation as exc:
            raise StoreError(f"an API key with this id or hash exists already: {exc}") from exc
        return key

    async def api_key_by_hash(self, key_hash: str) -> ApiKey | None:
        rows = await self._fetch(sql.API_KEY_BY_HASH, (key_hash,))
        return sql.api_key_from_row(rows[0]) if rows else None

    async def list_api_keys(self) -> list[ApiKey]:
        return [sql.api_key_from_row(r) for r in await self._fetch(sql.LIST_API_KEYS, ())]

    async def revoke_api_key(self, key_id: str) -> bool:
        return bool(await self._fetch(sql.REVOKE_API_KEY, (time.time(), key_id)))

    async def record_decision(self, record: DecisionRecord) -> None:
        await self._execute(sql.INSERT_DECISION, sql.decision_args(record))

    async def decisions(self, conversation_id: str) -> list[DecisionRecord]:
        rows = await self._fetch(sql.DECISIONS, (conversation_id,))
        return [sql.decision_from_row(r) for r in rows]

    async def record_costs(self, records: Sequence[CostRecord]) -> None:
        if not records:
            return
        async with self._require_pool().connection() as conn, conn.transaction():
            cursor = conn.cursor()
            await cursor.executemany(_pg(sql.INSERT_COST), [sql.cost_args(r) for r in records])

    async def costs(self, conversation_id: str) -> list[CostRecord]:
        rows = await self._fetch(sql.COSTS, (conversation_id,))
        return [sql.cost_from_row(r) for r in rows]

    async def cost_totals(
        self, *, conversation_id: str, tenant: str, day: str, excluding_trace: str = ""
    ) -> CostTotals:
        conversation = await self._fetch(sql.CONVERSATION_COST, (conversation_id, excluding_trace))
        tenant_day = await self._fetch(sql.TENANT_DAY_COST, (tenant, day, excluding_trace))
        return CostTotals(
            conversation_usd=float(conversation[0][0]), tenant_day_usd=float(tenant_day[0][0])
        )

    async def acquire_lease(self, conversation_id: str, owner: str, ttl_s: float) -> Lease | None:
        rows = await self._fetch(LEASES.acquire, (conversation_id, owner, check_ttl(ttl_s)))
        if not rows:
            return None
        return Lease(
            conversation_id=conversation_id, owner=owner, token=int(rows[0][0]),
            expires_at=float(rows[0][1]),
        )  # fmt: skip

    async def renew_lease(self, lease: Lease, ttl_s: float) -> bool:
        args = (check_ttl(ttl_s), lease.conversation_id, lease.owner, lease.token)
        rows = await self._fetch(LEASES.renew, args)
        if not rows:
            return False
        lease.expires_at = float(rows[0][0])
        return True

    async def release_lease(self, lease: Lease) -> None:
        await self._execute(LEASES.release, (lease.conversation_id, lease.owner, lease.token))


async def _one_active_ticket(conn: AsyncConnection[Any]) -> list[tuple[Escalation, Escalation]]:
    """Create the one-active-ticket index if missing, resolving first the duplicates it would
    refuse (`sql.supersede_duplicates`), in one transaction that holds off writers to the table
    (replicas of an older version may still be running). Returns the tickets superseded."""
    cursor = await conn.execute("SELECT to_regclass(%s)", (sql.ONE_ACTIVE_INDEX,))
    row = await cursor.fetchone()
    if row is not None and row[0] is not None:
        return []
    async with conn.transaction():
        await conn.execute("LOCK TABLE fd_escalations IN SHARE ROW EXCLUSIVE MODE")
        cursor = await conn.execute(sql.DUPLICATE_ACTIVE)
        plan = sql.supersede_duplicates(await cursor.fetchall(), time.time())
        for ticket, _ in plan:
            await conn.execute(_pg(sql.SUPERSEDE_ESCALATION), sql.supersede_args(ticket))
        await conn.execute(sql.CREATE_ONE_ACTIVE_INDEX)
    return plan


async def _lock_schema(conn: AsyncConnection[Any]) -> None:
    """Take the schema advisory lock, polling outside any transaction: a session blocked in
    `pg_advisory_lock` would hold a snapshot, and the saver's `CREATE INDEX CONCURRENTLY` in the
    lock's holder waits for every older snapshot — a deadlock PostgreSQL does not detect."""
    deadline = time.monotonic() + SCHEMA_LOCK_WAIT_S
    pause = 0.02
    while True:
        cursor = await conn.execute("SELECT pg_try_advisory_lock(%s)", (SCHEMA_LOCK,))
        row = await cursor.fetchone()
        if row is not None and row[0]:
            return
        if time.monotonic() >= deadline:
            raise StoreError(
                f"another process has been creating the frontdesk schema for over "
                f"{SCHEMA_LOCK_WAIT_S:g}s (it holds advisory lock {SCHEMA_LOCK}); check for a "
                f"stuck frontdesk process or a lock held in pg_locks"
            )
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.5)


def _redact(url: str) -> str:
    """The URL without its password."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest and ":" in rest.split("@", 1)[0]:
        user = rest.split("@", 1)[0].split(":", 1)[0]
        rest = f"{user}:***@{rest.split('@', 1)[1]}"
    return f"{scheme}{sep}{rest}"
