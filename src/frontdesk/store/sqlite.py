"""The SQLite store: the embedded default, one file under the data directory.

Safe across processes: WAL journal, a busy timeout, and `BEGIN IMMEDIATE` around each append and
each lease change, so two processes writing to one conversation serialise instead of forking its
history, and two processes asking for one lease get one answer each.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

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

T = TypeVar("T")
BUSY_TIMEOUT_MS = 30_000
LEASES = sql.lease_queries(sql.SQLITE_NOW)


def _immediate(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run `work` in a transaction that takes the write lock up front. A deferred transaction
    that reads and then writes fails at once (no busy wait) if another process wrote in between;
    an immediate one waits for the lock instead."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return result


def _migrate(conn: sqlite3.Connection) -> list[tuple[Escalation, Escalation]]:
    """Add the columns an older database lacks, and the one-active-ticket index after
    resolving the duplicates it would refuse (inside a write transaction, so two processes
    opening one file together do not both migrate, and no writer slips a duplicate in).
    Returns the tickets superseded (`sql.supersede_duplicates`)."""
    for table, column, kind in sql.ADDED_COLUMNS:
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    index = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (sql.ONE_ACTIVE_INDEX,)
    ).fetchone()
    if index is not None:
        return []
    plan = sql.supersede_duplicates(conn.execute(sql.DUPLICATE_ACTIVE).fetchall(), time.time())
    conn.executemany(sql.SUPERSEDE_ESCALATION, [sql.supersede_args(t) for t, _ in plan])
    conn.execute(sql.CREATE_ONE_ACTIVE_INDEX)
    return plan


class SQLiteStore(Store):
    """Conversations, escalations, decisions, costs and checkpoints in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._saver: AsyncSqliteSaver | None = None
        self._saver_conn: aiosqlite.Connection | None = None

    async def open(self) -> None:
        if self._conn is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=30
            )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            for statement in sql.SCHEMA:
                conn.execute(statement)
            superseded = _immediate(conn, _migrate)
            for statement in sql.AFTER_MIGRATION:
                conn.execute(statement)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"cannot open the SQLite database {self.path}: {exc}. If the file is not a "
                f"frontdesk database, point FRONTDESK_DATA_DIR elsewhere."
            ) from exc
        sql.log_superseded(superseded)
        self._conn = conn
        self._saver_conn = await aiosqlite.connect(self.path, timeout=30)
        await self._saver_conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._saver = AsyncSqliteSaver(self._saver_conn)
        await self._saver.setup()

    async def close(self) -> None:
        if self._saver_conn is not None:
            await self._saver_conn.close()
            self._saver_conn = None
            self._saver = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def checkpointer(self) -> BaseCheckpointSaver[Any]:
        if self._saver is None:
            raise StoreError("the store is not open")
        return self._saver

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._conn
        if conn is None:
            raise StoreError("the store is not open")

        def locked() -> T:
            with self._lock:
                result = work(conn)
                # a cursor that escapes the lock resets its (cached, shared) statement when it is
                # garbage-collected, on whatever thread, possibly while another thread runs the
                # same statement: SQLite then fails with "bad parameter or other API misuse"
                if isinstance(result, sqlite3.Cursor):
                    result.close()
                return result

        try:
            return await asyncio.to_thread(locked)
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite error on {self.path}: {exc}") from exc

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

        def work(conn: sqlite3.Connection) -> StoredMessage:
            conn.execute(sql.UPSERT_CONVERSATION, (conversation_id, tenant, now, now))
            (seq,) = conn.execute(sql.NEXT_SEQ, (conversation_id,)).fetchone()
            conn.execute(
                sql.INSERT_MESSAGE,
                (conversation_id, seq, role, text, agent, json.dumps(meta), now),
            )
            return StoredMessage(
                conversation_id=conversation_id, seq=int(seq), role=role, text=text,
                agent=agent, meta=meta, created_at=now,
            )  # fmt: skip

        return await self._run(lambda conn: _immediate(conn, work))

    async def history(
        self, conversation_id: str, *, limit: int | None = None
    ) -> list[StoredMessage]:
        def work(conn: sqlite3.Connection) -> list[StoredMessage]:
            if limit is None:
                rows = conn.execute(sql.HISTORY, (conversation_id,)).fetchall()
            else:
                rows = conn.execute(sql.HISTORY_TAIL, (conversation_id, limit)).fetchall()
            return [sql.message_from_row(r) for r in rows]

        return await self._run(work)

    async def create_escalation(self, escalation: Escalation) -> Escalation:
        def work(conn: sqlite3.Connection) -> Escalation:
            if conn.execute(sql.INSERT_NEW_ESCALATION, sql.escalation_args(escalation)).fetchone():
                return escalation
            row = conn.execute(sql.ESCALATION_BY_ID, (escalation.id,)).fetchone()
            if row is not None:
                return sql.escalation_from_row(row)
            # not the id: the conversation's active ticket (the write lock keeps it active)
            row = conn.execute(sql.ACTIVE_ESCALATION, (escalation.conversation_id,)).fetchone()
            if row is None:
                raise StoreError(f"escalation {escalation.id} was refused, with no conflict")
            active = sql.escalation_from_row(row)
            record = sql.superseded(escalation, active, time.time())
            conn.execute(sql.INSERT_ESCALATION, sql.escalation_args(record))
            return active

        return await self._run(lambda conn: _immediate(conn, work))

    async def get_escalation(self, escalation_id: str) -> Escalation | None:
        row = await self._run(
            lambda conn: conn.execute(sql.ESCALATION_BY_ID, (escalation_id,)).fetchone()
        )
        return None if row is None else sql.escalation_from_row(row)

    async def list_escalations(
        self, *, status: EscalationStatus | None = None, conversation_id: str | None = None
    ) -> list[Escalation]:
        query, args = sql.select_escalations(status, conversation_id)
        rows = await self._run(lambda conn: conn.execute(query, args).fetchall())
        return [sql.escalation_from_row(r) for r in rows]

    async def _returning(self, query: str, args: Sequence[Any]) -> list[Any]:
        """Rows of a write statement with RETURNING, in an immediate transaction."""
        return await self._run(
            lambda conn: _immediate(conn, lambda c: c.execute(query, args).fetchall())
        )

    async def claim_escalation(self, escalation_id: str, operator: str) -> Escalation | None:
        now = time.time()
        rows = await self._returning(sql.CLAIM_ESCALATION, (operator, now, now, escalation_id))
        return sql.escalation_from_row(rows[0]) if rows else None

    async def resolve_escalation(
        self, escalation_id: str, operator: str, *, resume_bot: bool
    ) -> Escalation | None:
        now = time.time()
        args = (now, int(resume_bot), now, escalation_id, operator, operator)
        rows = await self._returning(sql.RESOLVE_ESCALATION, args)
        return sql.escalation_from_row(rows[0]) if rows else None

    async def requeue_overdue(
        self, now: float, *, sla: SlaPolicy = DEFAULT_SLA
    ) -> list[Escalation]:
        def work(conn: sqlite3.Connection) -> list[Any]:
            rows: list[Any] = []
            for query, args in sql.requeue_queries(sla, now):
                rows += conn.execute(query, args).fetchall()
            return rows

        rows = await self._run(lambda conn: _immediate(conn, work))
        return [sql.escalation_from_row(r) for r in rows]

    async def active_escalation(self, conversation_id: str) -> Escalation | None:
        row = await self._run(
            lambda conn: conn.execute(sql.ACTIVE_ESCALATION, (conversation_id,)).fetchone()
        )
        return None if row is None else sql.escalation_from_row(row)

    async def conversation_tenant(self, conversation_id: str) -> str | None:
        row = await self._run(
            lambda conn: conn.execute(sql.CONVERSATION_TENANT, (conversation_id,)).fetchone()
        )
        return None if row is None else str(row[0])

    async def claim_conversation(self, conversation_id: str, tenant: str) -> str:
        now = time.time()

        def work(conn: sqlite3.Connection) -> str:
            conn.execute(sql.CLAIM_CONVERSATION, (conversation_id, tenant, now, now))
            (owner,) = conn.execute(sql.CONVERSATION_TENANT, (conversation_id,)).fetchone()
            return str(owner)

        return await self._run(lambda conn: _immediate(conn, work))

    async def create_api_key(self, key: ApiKey) -> ApiKey:
        await self._run(lambda conn: conn.execute(sql.INSERT_API_KEY, sql.api_key_args(key)))
        return key

    async def api_key_by_hash(self, key_hash: str) -> ApiKey | None:
        row = await self._run(
            lambda conn: conn.execute(sql.API_KEY_BY_HASH, (key_hash,)).fetchone()
        )
        return None if row is None else sql.api_key_from_row(row)

    async def list_api_keys(self) -> list[ApiKey]:
        rows = await self._run(lambda conn: conn.execute(sql.LIST_API_KEYS).fetchall())
        return [sql.api_key_from_row(r) for r in rows]

    async def revoke_api_key(self, key_id: str) -> bool:
        return bool(await self._returning(sql.REVOKE_API_KEY, (time.time(), key_id)))

    async def record_decision(self, record: DecisionRecord) -> None:
        await self._run(lambda conn: conn.execute(sql.INSERT_DECISION, sql.decision_args(record)))

    async def decisions(self, conversation_id: str) -> list[DecisionRecord]:
        rows = await self._run(
            lambda conn: conn.execute(sql.DECISIONS, (conversation_id,)).fetchall()
        )
        return [sql.decision_from_row(r) for r in rows]

    async def record_costs(self, records: Sequence[CostRecord]) -> None:
        if not records:
            return
        rows = [sql.cost_args(r) for r in records]
        await self._run(
            lambda conn: _immediate(conn, lambda c: c.executemany(sql.INSERT_COST, rows))
        )

    async def costs(self, conversation_id: str) -> list[CostRecord]:
        rows = await self._run(lambda conn: conn.execute(sql.COSTS, (conversation_id,)).fetchall())
        return [sql.cost_from_row(r) for r in rows]

    async def cost_totals(
        self, *, conversation_id: str, tenant: str, day: str, excluding_trace: str = ""
    ) -> CostTotals:
        def work(conn: sqlite3.Connection) -> CostTotals:
            (conversation,) = conn.execute(
                sql.CONVERSATION_COST, (conversation_id, excluding_trace)
            ).fetchone()
            (tenant_day,) = conn.execute(
                sql.TENANT_DAY_COST, (tenant, day, excluding_trace)
            ).fetchone()
            return CostTotals(
                conversation_usd=float(conversation), tenant_day_usd=float(tenant_day)
            )

        return await self._run(work)

    async def acquire_lease(self, conversation_id: str, owner: str, ttl_s: float) -> Lease | None:
        args = (conversation_id, owner, check_ttl(ttl_s))

        def work(conn: sqlite3.Connection) -> Any:
            return conn.execute(LEASES.acquire, args).fetchone()

        row = await self._run(lambda conn: _immediate(conn, work))
        if row is None:
            return None
        return Lease(
            conversation_id=conversation_id, owner=owner, token=int(row[0]),
            expires_at=float(row[1]),
        )  # fmt: skip

    async def renew_lease(self, lease: Lease, ttl_s: float) -> bool:
        args = (check_ttl(ttl_s), lease.conversation_id, lease.owner, lease.token)

        def work(conn: sqlite3.Connection) -> Any:
            return conn.execute(LEASES.renew, args).fetchone()

        row = await self._run(lambda conn: _immediate(conn, work))
        if row is None:
            return False
        lease.expires_at = float(row[0])
        return True

    async def release_lease(self, lease: Lease) -> None:
        args = (lease.conversation_id, lease.owner, lease.token)
        await self._run(lambda conn: _immediate(conn, lambda c: c.execute(LEASES.release, args)))
