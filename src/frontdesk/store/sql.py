"""SQL shared by the SQLite and PostgreSQL stores (written in the common dialect; `?` marks are
rewritten to `%s` for PostgreSQL), and the row ↔ record conversions.

The lease statements read the clock in the database, never in Python, so replicas whose clocks
disagree still agree on when a lease expires; `{now}` in them is the backend's expression for
the current Unix time (`SQLITE_NOW`, `POSTGRES_NOW`), filled in by `lease_queries`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from frontdesk.store.base import (
    ADMIN_OPERATOR,
    ApiKey,
    ApiKeyRole,
    CostRecord,
    DecisionRecord,
    Escalation,
    EscalationStatus,
    Role,
    SlaPolicy,
    StoredMessage,
)

log = logging.getLogger("frontdesk.store")

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS fd_conversations (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS fd_messages (
        conversation_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        role TEXT NOT NULL,
        text TEXT NOT NULL,
        agent TEXT,
        meta TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (conversation_id, seq)
    )""",
    """CREATE TABLE IF NOT EXISTS fd_escalations (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL,
        category TEXT,
        confidence DOUBLE PRECISION,
        priority INTEGER NOT NULL,
        sla_deadline DOUBLE PRECISION NOT NULL,
        package TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS fd_escalations_status ON fd_escalations (status, priority)",
    """CREATE TABLE IF NOT EXISTS fd_decisions (
        conversation_id TEXT NOT NULL,
        trace_id TEXT NOT NULL,
        category TEXT,
        confidence DOUBLE PRECISION NOT NULL,
        action TEXT NOT NULL,
        reason TEXT NOT NULL,
        router_version TEXT NOT NULL,
        alternatives TEXT NOT NULL,
        latency_ms DOUBLE PRECISION NOT NULL,
        created_at DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS fd_decisions_conv ON fd_decisions (conversation_id, created_at)",
    """CREATE TABLE IF NOT EXISTS fd_leases (
        conversation_id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        token BIGINT NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS fd_costs (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        tenant TEXT NOT NULL,
        day TEXT NOT NULL,
        trace_id TEXT NOT NULL,
        agent TEXT NOT NULL,
        model TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        cached_input_tokens BIGINT NOT NULL,
        cost_usd DOUBLE PRECISION NOT NULL,
        error TEXT,
        created_at DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS fd_costs_conv ON fd_costs (conversation_id, created_at)",
    "CREATE INDEX IF NOT EXISTS fd_costs_tenant_day ON fd_costs (tenant, day)",
    """CREATE TABLE IF NOT EXISTS fd_api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        tenant TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        revoked_at DOUBLE PRECISION
    )""",
]

ADDED_COLUMNS: list[tuple[str, str, str]] = [
    ("fd_escalations", "claimed_by", "TEXT"),
    ("fd_escalations", "claimed_at", "DOUBLE PRECISION"),
    ("fd_escalations", "resolved_at", "DOUBLE PRECISION"),
    ("fd_escalations", "resume_bot", "INTEGER"),
    ("fd_decisions", "safety", "TEXT"),
]
"""(table, column, type) added to a table after its first release: a backend adds each one that
an existing database lacks, after `SCHEMA` (SQLite has no `ADD COLUMN IF NOT EXISTS`)."""

AFTER_MIGRATION = [
    "CREATE INDEX IF NOT EXISTS fd_escalations_conv ON fd_escalations (conversation_id, status)",
]
"""Statements that need the added columns."""

ONE_ACTIVE_INDEX = "fd_escalations_one_active"
CREATE_ONE_ACTIVE_INDEX = (
    f"CREATE UNIQUE INDEX IF NOT EXISTS {ONE_ACTIVE_INDEX} ON fd_escalations (conversation_id) "
    "WHERE status IN ('open', 'claimed')"
)
"""At most one active (open or claimed) ticket per conversation, enforced by the database. A
backend creates it after `supersede_duplicates` has cleared the duplicates an older database
may hold (in the same transaction), since the index cannot be built over them."""

UPSERT_CONVERSATION = (
    "INSERT INTO fd_conversations (id, tenant, created_at, updated_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at"
)
NEXT_SEQ = "SELECT COALESCE(MAX(seq), 0) + 1 FROM fd_messages WHERE conversation_id = ?"
INSERT_MESSAGE = (
    "INSERT INTO fd_messages (conversation_id, seq, role, text, agent, meta, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
HISTORY = (
    "SELECT conversation_id, seq, role, text, agent, meta, created_at FROM fd_messages "
    "WHERE conversation_id = ? ORDER BY seq"
)
HISTORY_TAIL = (
    "SELECT * FROM (SELECT conversation_id, seq, role, text, agent, meta, created_at "
    "FROM fd_messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?) AS tail ORDER BY seq"
)
ESCALATION_COLUMNS = (
    "id, conversation_id, status, reason, category, confidence, priority, sla_deadline, "
    "package, created_at, updated_at, claimed_by, claimed_at, resolved_at, resume_bot"
)
INSERT_ESCALATION = (
    f"INSERT INTO fd_escalations ({ESCALATION_COLUMNS}) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# no conflict target: it skips the row on a taken id and on a conversation's second active
# ticket (the partial unique index) alike; the caller then reads which one it was
INSERT_NEW_ESCALATION = f"{INSERT_ESCALATION} ON CONFLICT DO NOTHING RETURNING id"
ESCALATION_BY_ID = f"SELECT {ESCALATION_COLUMNS} FROM fd_escalations WHERE id = ?"
# One conditional UPDATE each: the row lock (PostgreSQL re-checks the WHERE after waiting for
# it) or SQLite's write lock makes exactly one of concurrent callers match.
CLAIM_ESCALATION = (
    "UPDATE fd_escalations SET status = 'claimed', claimed_by = ?, claimed_at = ?, "
    f"updated_at = ? WHERE id = ? AND status = 'open' RETURNING {ESCALATION_COLUMNS}"
)
RESOLVE_ESCALATION = (
    "UPDATE fd_escalations SET status = 'resolved', resolved_at = ?, resume_bot = ?, "
    "updated_at = ? WHERE id = ? AND ((status = 'claimed' AND claimed_by = ?) "
    f"OR (status <> 'resolved' AND ? = '{ADMIN_OPERATOR}')) RETURNING {ESCALATION_COLUMNS}"
)
ACTIVE_ESCALATION = (
    f"SELECT {ESCALATION_COLUMNS} FROM fd_escalations WHERE conversation_id = ? "
    "AND status IN ('open', 'claimed') ORDER BY created_at DESC, id LIMIT 1"
)
# the migration to one active ticket per conversation (`supersede_duplicates`)
DUPLICATE_ACTIVE = (
    f"SELECT {ESCALATION_COLUMNS} FROM fd_escalations WHERE status IN ('open', 'claimed') "
    "AND conversation_id IN (SELECT conversation_id FROM fd_escalations "
    "WHERE status IN ('open', 'claimed') GROUP BY conversation_id HAVING COUNT(*) > 1) "
    "ORDER BY conversation_id, created_at, id"
)
SUPERSEDE_ESCALATION = (
    "UPDATE fd_escalations SET status = 'resolved', resolved_at = ?, updated_at = ?, package = ? "
    "WHERE id = ?"
)
CONVERSATION_TENANT = "SELECT tenant FROM fd_conversations WHERE id = ?"
# DO NOTHING, not DO UPDATE: the first owner stays; the caller then reads who that is
CLAIM_CONVERSATION = (
    "INSERT INTO fd_conversations (id, tenant, created_at, updated_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (id) DO NOTHING"
)

API_KEY_COLUMNS = "id, name, role, key_hash, tenant, created_at, revoked_at"
INSERT_API_KEY = f"INSERT INTO fd_api_keys ({API_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
API_KEY_BY_HASH = (
    f"SELECT {API_KEY_COLUMNS} FROM fd_api_keys WHERE key_hash = ? AND revoked_at IS NULL"
)
LIST_API_KEYS = f"SELECT {API_KEY_COLUMNS} FROM fd_api_keys ORDER BY created_at, id"
REVOKE_API_KEY = (
    "UPDATE fd_api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id"
)
INSERT_DECISION = (
    "INSERT INTO fd_decisions (conversation_id, trace_id, category, confidence, action, reason, "
    "router_version, alternatives, latency_ms, created_at, safety) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
DECISIONS = (
    "SELECT conversation_id, trace_id, category, confidence, action, reason, router_version, "
    "alternatives, latency_ms, created_at, safety FROM fd_decisions WHERE conversation_id = ? "
    "ORDER BY created_at"
)

COST_COLUMNS = (
    "id, conversation_id, tenant, day, trace_id, agent, model, attempt, input_tokens, "
    "output_tokens, cached_input_tokens, cost_usd, error, created_at"
)
INSERT_COST = (
    f"INSERT INTO fd_costs ({COST_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (id) DO NOTHING"
)
COSTS = f"SELECT {COST_COLUMNS} FROM fd_costs WHERE conversation_id = ? ORDER BY created_at, id"
CONVERSATION_COST = (
    "SELECT COALESCE(SUM(cost_usd), 0) FROM fd_costs WHERE conversation_id = ? AND trace_id <> ?"
)
TENANT_DAY_COST = (
    "SELECT COALESCE(SUM(cost_usd), 0) FROM fd_costs WHERE tenant = ? AND day = ? AND trace_id <> ?"
)

SQLITE_NOW = "((julianday('now') - 2440587.5) * 86400.0)"
"""Unix seconds with millisecond resolution (`unixepoch('subsec')` needs SQLite 3.42); SQLite
fixes 'now' for the duration of one statement."""
POSTGRES_NOW = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"
"""The server's wall clock when the expression is evaluated (`now()` would be the start of the
transaction, before any wait for a row lock)."""

# A released lease keeps its row, and so its token, with expires_at = 0: tokens never repeat.
_ACQUIRE_LEASE = (
    "INSERT INTO fd_leases (conversation_id, owner, token, expires_at) "
    "VALUES (?, ?, 1, {now} + ?) ON CONFLICT (conversation_id) DO UPDATE SET "
    "owner = excluded.owner, token = fd_leases.token + 1, expires_at = excluded.expires_at "
    "WHERE fd_leases.expires_at <= {now} "
    "RETURNING token, expires_at"
)
_RENEW_LEASE = (
    "UPDATE fd_leases SET expires_at = {now} + ? "
    "WHERE conversation_id = ? AND owner = ? AND token = ? AND expires_at > {now} "
    "RETURNING expires_at"
)
_RELEASE_LEASE = (
    "UPDATE fd_leases SET expires_at = 0 WHERE conversation_id = ? AND owner = ? AND token = ?"
)


@dataclass(frozen=True, slots=True)
class LeaseQueries:
    """The lease statements for one backend's clock. Parameters: acquire (conversation_id,
    owner, ttl_s) → (token, expires_at) or no row; renew (ttl_s, conversation_id, owner, token)
    → (expires_at) or no row; release (conversation_id, owner, token)."""

    acquire: str
    renew: str
    release: str


def lease_queries(now: str) -> LeaseQueries:
    """The lease statements with `now` as the database's clock expression."""
    return LeaseQueries(
        acquire=_ACQUIRE_LEASE.format(now=now),
        renew=_RENEW_LEASE.format(now=now),
        release=_RELEASE_LEASE,
    )


def select_escalations(status: str | None, conversation_id: str | None) -> tuple[str, list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    if status is not None:
        where.append("status = ?")
        args.append(status)
    if conversation_id is not None:
        where.append("conversation_id = ?")
        args.append(conversation_id)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    query = f"SELECT {ESCALATION_COLUMNS} FROM fd_escalations{clause} ORDER BY priority, created_at"
    return query, args


def requeue_queries(sla: SlaPolicy, now: float) -> list[tuple[str, list[Any]]]:
    """The two UPDATEs of the SLA rule at `now`, with their parameters: overdue open tickets,
    then claimed tickets with no operator reply since their claim within the timeout. Both
    raise the priority by one and set the deadline of the new priority."""
    raised = "CASE WHEN priority > 0 THEN priority - 1 ELSE 0 END"
    levels = sorted(sla.minutes.items())
    cases = " ".join("WHEN ? THEN ?" for _ in levels)
    deadline = f"? + CASE {raised} {cases} ELSE ? END" if levels else "? + ?"
    deadline_args: list[Any] = [now]
    for priority, minutes in levels:
        deadline_args += [priority, minutes * 60]
    deadline_args.append(sla.default_minutes * 60)
    common = f"priority = {raised}, sla_deadline = {deadline}, updated_at = ?"
    overdue_open = (
        f"UPDATE fd_escalations SET {common} WHERE status = 'open' AND sla_deadline < ? "
        f"RETURNING {ESCALATION_COLUMNS}"
    )
    stale_claim = (
        f"UPDATE fd_escalations SET status = 'open', claimed_by = NULL, claimed_at = NULL, "
        f"{common} WHERE status = 'claimed' AND claimed_at < ? AND NOT EXISTS ("
        "SELECT 1 FROM fd_messages m WHERE m.conversation_id = fd_escalations.conversation_id "
        "AND m.role = 'operator' AND m.created_at >= fd_escalations.claimed_at) "
        f"RETURNING {ESCALATION_COLUMNS}"
    )
    args = [*deadline_args, now]
    return [(overdue_open, [*args, now]), (stale_claim, [*args, now - sla.claim_timeout_s])]


def message_from_row(row: Sequence[Any]) -> StoredMessage:
    return StoredMessage(
        conversation_id=row[0],
        seq=int(row[1]),
        role=cast(Role, row[2]),
        text=row[3],
        agent=row[4],
        meta=json.loads(row[5]),
        created_at=float(row[6]),
    )


def escalation_args(e: Escalation) -> list[Any]:
    return [
        e.id, e.conversation_id, e.status, e.reason, e.category, e.confidence, e.priority,
        e.sla_deadline, json.dumps(e.package, ensure_ascii=False), e.created_at, e.updated_at,
        e.claimed_by, e.claimed_at, e.resolved_at,
        None if e.resume_bot is None else int(e.resume_bot),
    ]  # fmt: skip


def escalation_from_row(row: Sequence[Any]) -> Escalation:
    return Escalation(
        id=row[0],
        conversation_id=row[1],
        status=cast(EscalationStatus, row[2]),
        reason=row[3],
        category=row[4],
        confidence=None if row[5] is None else float(row[5]),
        priority=int(row[6]),
        sla_deadline=float(row[7]),
        package=json.loads(row[8]),
        created_at=float(row[9]),
        updated_at=float(row[10]),
        claimed_by=row[11],
        claimed_at=None if row[12] is None else float(row[12]),
        resolved_at=None if row[13] is None else float(row[13]),
        resume_bot=None if row[14] is None else bool(row[14]),
    )


def superseded(ticket: Escalation, by: Escalation, now: float) -> Escalation:
    """`ticket` resolved at `now` because its conversation has the active ticket `by`: a
    conversation keeps one active ticket. Its package says so (`superseded_by`,
    `superseded_note`); `resume_bot` stays None, as no operator decided anything."""
    note = f"resolved automatically: conversation {ticket.conversation_id} has ticket {by.id}"
    package = {**ticket.package, "superseded_by": by.id, "superseded_note": note}
    return replace(ticket, status="resolved", resolved_at=now, updated_at=now, package=package)


def supersede_duplicates(
    rows: Sequence[Sequence[Any]], now: float
) -> list[tuple[Escalation, Escalation]]:
    """What to do with the duplicate active tickets an older database may hold (the rows of
    `DUPLICATE_ACTIVE`), before `CREATE_ONE_ACTIVE_INDEX`: each conversation keeps one active
    ticket, a claimed one if any (an operator is working on it), the oldest among those; each
    other one is resolved as `superseded` by it. Returns (superseded ticket, kept ticket)
    pairs; execute `SUPERSEDE_ESCALATION` with `supersede_args` of each, then `log_superseded`
    once committed."""
    by_conversation: dict[str, list[Escalation]] = {}
    for row in rows:
        ticket = escalation_from_row(row)
        by_conversation.setdefault(ticket.conversation_id, []).append(ticket)
    plan: list[tuple[Escalation, Escalation]] = []
    for tickets in by_conversation.values():
        keep = min(tickets, key=lambda t: (t.status != "claimed", t.created_at, t.id))
        plan += [(superseded(t, keep, now), keep) for t in tickets if t is not keep]
    return plan


def supersede_args(ticket: Escalation) -> list[Any]:
    return [
        ticket.resolved_at, ticket.updated_at, json.dumps(ticket.package, ensure_ascii=False),
        ticket.id,
    ]  # fmt: skip


def log_superseded(plan: Sequence[tuple[Escalation, Escalation]]) -> None:
    for ticket, kept in plan:
        log.warning(
            "schema migration: conversation %s had several active escalations; kept %s, "
            "resolved %s as superseded by it",
            ticket.conversation_id, kept.id, ticket.id,
        )  # fmt: skip


def api_key_args(k: ApiKey) -> list[Any]:
    return [k.id, k.name, k.role, k.key_hash, k.tenant, k.created_at, k.revoked_at]


def api_key_from_row(row: Sequence[Any]) -> ApiKey:
    return ApiKey(
        id=row[0],
        name=row[1],
        role=cast(ApiKeyRole, row[2]),
        key_hash=row[3],
        tenant=row[4],
        created_at=float(row[5]),
        revoked_at=None if row[6] is None else float(row[6]),
    )


def decision_args(d: DecisionRecord) -> list[Any]:
    return [
        d.conversation_id, d.trace_id, d.category, d.confidence, d.action, d.reason,
        d.router_version, json.dumps(d.alternatives), d.latency_ms, d.created_at,
        None if d.safety is None else json.dumps(d.safety),
    ]  # fmt: skip


def decision_from_row(row: Sequence[Any]) -> DecisionRecord:
    return DecisionRecord(
        conversation_id=row[0],
        trace_id=row[1],
        category=row[2],
        confidence=float(row[3]),
        action=row[4],
        reason=row[5],
        router_version=row[6],
        alternatives=json.loads(row[7]),
        latency_ms=float(row[8]),
        created_at=float(row[9]),
        safety=None if row[10] is None else json.loads(row[10]),
    )


def cost_args(c: CostRecord) -> list[Any]:
    return [
        c.id, c.conversation_id, c.tenant, c.day, c.trace_id, c.agent, c.model, c.attempt,
        c.input_tokens, c.output_tokens, c.cached_input_tokens, c.cost_usd, c.error, c.created_at,
    ]  # fmt: skip


def cost_from_row(row: Sequence[Any]) -> CostRecord:
    return CostRecord(
        id=row[0],
        conversation_id=row[1],
        tenant=row[2],
        trace_id=row[4],
        agent=row[5],
        model=row[6],
        attempt=int(row[7]),
        input_tokens=int(row[8]),
        output_tokens=int(row[9]),
        cached_input_tokens=int(row[10]),
        cost_usd=float(row[11]),
        error=row[12],
        created_at=float(row[13]),
    )
