"""One conformance suite, run against every store backend."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import random
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from frontdesk.errors import InvalidInput, StoreError
from frontdesk.store import (
    ADMIN_OPERATOR,
    ApiKey,
    CostRecord,
    DecisionRecord,
    Escalation,
    Lease,
    SlaPolicy,
    Store,
    open_store,
    sql,
)


async def test_messages_are_appended_in_order(store: Store) -> None:
    await store.append_message("c1", "user", "hello", meta={"k": 1})
    await store.append_message("c1", "assistant", "hi there", agent="general")
    history = await store.history("c1")
    assert [(m.seq, m.role, m.text, m.agent) for m in history] == [
        (1, "user", "hello", None),
        (2, "assistant", "hi there", "general"),
    ]
    assert history[0].meta == {"k": 1}
    assert await store.history("unknown") == []


async def test_history_tail(store: Store) -> None:
    for i in range(5):
        await store.append_message("c1", "user", f"m{i}")
    tail = await store.history("c1", limit=2)
    assert [m.text for m in tail] == ["m3", "m4"]


async def test_conversations_are_isolated(store: Store) -> None:
    await store.append_message("a", "user", "secret-a")
    await store.append_message("b", "user", "secret-b")
    assert [m.text for m in await store.history("a")] == ["secret-a"]
    assert [m.text for m in await store.history("b")] == ["secret-b"]


async def test_concurrent_appends_stay_linear(store: Store) -> None:
    await asyncio.gather(*(store.append_message("c1", "user", f"m{i}") for i in range(40)))
    history = await store.history("c1")
    assert [m.seq for m in history] == list(range(1, 41))
    assert sorted(m.text for m in history) == sorted(f"m{i}" for i in range(40))


async def test_concurrent_appends_from_two_store_instances(store: Store, store_url: str) -> None:
    async with open_store(store_url) as other:
        writes = [
            (store if i % 2 else other).append_message("shared", "user", f"m{i}") for i in range(30)
        ]
        await asyncio.gather(*writes)
    history = await store.history("shared")
    assert [m.seq for m in history] == list(range(1, 31))


async def test_escalations_round_trip(store: Store) -> None:
    low = await store.create_escalation(
        Escalation(conversation_id="c1", reason="complaint", priority=2, package={"h": [1]})
    )
    urgent = await store.create_escalation(
        Escalation(
            conversation_id="c2",
            reason="emergency",
            category="emergency",
            confidence=0.9,
            priority=0,
        )
    )
    fetched = await store.get_escalation(low.id)
    assert fetched is not None
    assert fetched.package == {"h": [1]}
    assert fetched.status == "open"
    assert await store.get_escalation("esc_missing") is None
    listed = await store.list_escalations(status="open")
    assert [e.id for e in listed] == [urgent.id, low.id]
    assert [e.id for e in await store.list_escalations(conversation_id="c2")] == [urgent.id]
    assert await store.list_escalations(status="resolved") == []


async def test_decision_log(store: Store) -> None:
    record = DecisionRecord(
        conversation_id="c1",
        trace_id="t1",
        category="billing",
        confidence=0.91,
        action="answer",
        reason="confident",
        router_version="v1",
        alternatives=[{"category": "billing", "confidence": 0.91}],
        latency_ms=3.5,
    )
    await store.record_decision(record)
    (loaded,) = await store.decisions("c1")
    assert loaded.category == "billing"
    assert loaded.alternatives == [{"category": "billing", "confidence": 0.91}]
    assert await store.decisions("c2") == []


async def test_reopen_keeps_everything(store_url: str) -> None:
    async with open_store(store_url) as first:
        await first.append_message("c1", "user", "persisted")
    async with open_store(store_url) as second:
        assert [m.text for m in await second.history("c1")] == ["persisted"]


async def test_checkpointer_is_available(store: Store) -> None:
    saver = store.checkpointer()
    config = {"configurable": {"thread_id": "nothing-yet", "checkpoint_ns": ""}}
    assert await saver.aget_tuple(config) is None  # type: ignore[arg-type]


def test_bad_database_url_is_a_config_error() -> None:
    from frontdesk.errors import ConfigError

    with pytest.raises(ConfigError, match="unsupported database URL"):
        open_store("mysql://localhost/db")


async def test_stores_opened_together_on_a_fresh_database(store_url: str) -> None:
    # replicas starting at once must not collide creating the schema
    stores = [open_store(store_url) for _ in range(3)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        await stores[0].append_message("c1", "user", "hello")
        assert [m.text for m in await stores[2].history("c1")] == ["hello"]
    finally:
        for opened in stores:
            await opened.close()


# Leases: one writer per conversation (the runtime's use is tested in tests/guards).


async def test_a_lease_is_exclusive_until_it_expires(store: Store) -> None:
    before = time.time()
    lease = await store.acquire_lease("c1", "owner-a", 30)
    assert lease is not None
    assert (lease.conversation_id, lease.owner, lease.token) == ("c1", "owner-a", 1)
    assert before + 29 < lease.expires_at < time.time() + 31  # the database's clock, ~ours
    assert await store.acquire_lease("c1", "owner-b", 30) is None
    assert await store.acquire_lease("c1", "owner-a", 30) is None  # not re-entrant
    other = await store.acquire_lease("c2", "owner-b", 30)
    assert other is not None  # leases are per conversation
    assert other.token == 1


async def test_renewing_extends_only_the_current_lease(store: Store) -> None:
    lease = await store.acquire_lease("c1", "owner-a", 0.5)
    assert lease is not None
    first_expiry = lease.expires_at
    assert await store.renew_lease(lease, 30)
    assert lease.expires_at > first_expiry + 20
    await asyncio.sleep(0.7)  # past the first ttl, within the renewed one
    assert await store.acquire_lease("c1", "owner-b", 30) is None
    forged = [
        Lease(conversation_id="c1", owner="owner-b", token=lease.token, expires_at=0),
        Lease(conversation_id="c1", owner="owner-a", token=lease.token + 1, expires_at=0),
        Lease(conversation_id="c2", owner="owner-a", token=lease.token, expires_at=0),
    ]
    for wrong in forged:
        assert not await store.renew_lease(wrong, 30), wrong


async def test_release_frees_the_lease_at_once_and_tokens_keep_growing(store: Store) -> None:
    tokens = []
    for owner in ("owner-a", "owner-b", "owner-a"):
        lease = await store.acquire_lease("c1", owner, 30)
        assert lease is not None
        tokens.append(lease.token)
        await store.release_lease(lease)
        assert not await store.renew_lease(lease, 30)  # released is gone
    assert tokens == [1, 2, 3]


async def test_an_expired_lease_is_taken_over_with_a_new_token(store: Store) -> None:
    stale = await store.acquire_lease("c1", "crashed", 0.3)
    assert stale is not None
    await asyncio.sleep(0.5)
    assert not await store.renew_lease(stale, 30)  # expired: renewing is refused, even unclaimed
    taker = await store.acquire_lease("c1", "taker", 30)
    assert taker is not None
    assert taker.token == stale.token + 1
    await store.release_lease(stale)  # the stale owner waking up: a no-op
    assert await store.acquire_lease("c1", "third", 30) is None
    assert await store.renew_lease(taker, 30)
    assert not await store.renew_lease(stale, 30)


async def test_a_stale_release_by_the_same_owner_name_is_a_no_op(store: Store) -> None:
    # the fencing token, not the owner name, decides
    stale = await store.acquire_lease("c1", "worker-1", 0.3)
    assert stale is not None
    await asyncio.sleep(0.5)
    current = await store.acquire_lease("c1", "worker-1", 30)
    assert current is not None
    await store.release_lease(stale)
    assert await store.acquire_lease("c1", "other", 30) is None
    assert await store.renew_lease(current, 30)


async def test_one_of_many_concurrent_acquirers_wins(store: Store, store_url: str) -> None:
    async with open_store(store_url) as other:
        attempts = [
            (store if i % 2 else other).acquire_lease("c1", f"owner-{i}", 30) for i in range(20)
        ]
        results = await asyncio.gather(*attempts)
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert winners[0].token == 1


async def test_leases_survive_reopening(store_url: str) -> None:
    async with open_store(store_url) as first:
        held = await first.acquire_lease("c1", "owner-a", 30)
    async with open_store(store_url) as second:
        assert await second.acquire_lease("c1", "owner-b", 30) is None
        assert held is not None
        assert await second.renew_lease(held, 30)


@pytest.mark.parametrize("ttl_s", [0, -1, float("nan"), float("inf"), "30"])
async def test_a_bad_ttl_is_refused(store: Store, ttl_s: object) -> None:
    with pytest.raises(InvalidInput, match="lease ttl_s must be"):
        await store.acquire_lease("c1", "owner-a", ttl_s)  # type: ignore[arg-type]


def _cost(conversation: str, usd: float, *, tenant: str = "acme", trace: str = "t1",
          at: float = 1_760_000_000.0, **fields: Any) -> CostRecord:  # fmt: skip
    return CostRecord(
        conversation_id=conversation, tenant=tenant, trace_id=trace, agent="billing",
        model="openai:gpt-4o-mini", cost_usd=usd, created_at=at, **fields,
    )  # fmt: skip


async def test_cost_line_items_round_trip_in_order(store: Store) -> None:
    first = _cost("c1", 0.25, at=1_760_000_000.0, input_tokens=1200, output_tokens=80,
                  cached_input_tokens=1000, attempt=1, error="ModelHTTPError")  # fmt: skip
    second = _cost("c1", 0.5, at=1_760_000_001.0, attempt=2)
    await store.record_costs([second, first])
    await store.record_costs([_cost("c2", 9.0)])
    assert await store.costs("c1") == [first, second]
    assert await store.costs("nobody") == []
    assert first.day == "2025-10-09"


async def test_recording_a_cost_twice_counts_it_once(store: Store) -> None:
    item = _cost("c1", 0.125)
    await store.record_costs([item])
    await store.record_costs([item, _cost("c1", 0.5)])  # a flush repeated after a failure
    totals = await store.cost_totals(conversation_id="c1", tenant="acme", day=item.day)
    assert totals.conversation_usd == pytest.approx(0.625)
    assert len(await store.costs("c1")) == 2
    await store.record_costs([])


async def test_cost_totals_per_conversation_and_per_tenant_day(store: Store) -> None:
    day = 1_760_000_000.0  # 2025-10-09, UTC
    await store.record_costs([
        _cost("c1", 0.25, trace="t1", at=day),
        _cost("c1", 0.5, trace="t2", at=day + 60),
        _cost("c2", 1.0, trace="t3", at=day + 120),                 # same tenant, same day
        _cost("c3", 2.0, trace="t4", at=day + 86_400),               # same tenant, next day
        _cost("c4", 4.0, trace="t5", at=day, tenant="other"),        # another tenant
    ])  # fmt: skip
    totals = await store.cost_totals(conversation_id="c1", tenant="acme", day="2025-10-09")
    assert totals.conversation_usd == pytest.approx(0.75)
    assert totals.tenant_day_usd == pytest.approx(1.75)
    without_t2 = await store.cost_totals(
        conversation_id="c1", tenant="acme", day="2025-10-09", excluding_trace="t2"
    )
    assert (without_t2.conversation_usd, without_t2.tenant_day_usd) == pytest.approx((0.25, 1.25))
    empty = await store.cost_totals(conversation_id="none", tenant="none", day="2025-10-09")
    assert (empty.conversation_usd, empty.tenant_day_usd) == (0.0, 0.0)


async def test_costs_are_shared_by_store_instances(store: Store, store_url: str) -> None:
    async with open_store(store_url) as other:
        await asyncio.gather(*(
            (store if i % 2 else other).record_costs([_cost("shared", 0.5, trace=f"t{i}")])
            for i in range(10)
        ))  # fmt: skip
        totals = await other.cost_totals(conversation_id="shared", tenant="acme", day="2025-10-09")
    assert totals.conversation_usd == pytest.approx(5.0)


# The escalation queue (open → claimed → resolved) and API keys. The runtime's use is tested in
# tests/escalation.

_OLD_ESCALATIONS = """CREATE TABLE fd_escalations (
    id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, status TEXT NOT NULL,
    reason TEXT NOT NULL, category TEXT, confidence DOUBLE PRECISION, priority INTEGER NOT NULL,
    sla_deadline DOUBLE PRECISION NOT NULL, package TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL
)"""


async def _tickets(store: Store, n: int, **fields: Any) -> list[Escalation]:
    return [
        await store.create_escalation(Escalation(conversation_id=f"c{i}", reason="complaint",
                                                 sla_deadline=time.time() + 3600, **fields))
        for i in range(n)
    ]  # fmt: skip


async def test_claim_then_resolve(store: Store) -> None:
    (ticket,) = await _tickets(store, 1)
    assert (ticket.claimed_by, ticket.claimed_at, ticket.resolved_at, ticket.resume_bot) == (
        None, None, None, None,
    )  # fmt: skip
    claimed = await store.claim_escalation(ticket.id, "alice")
    assert claimed is not None
    assert (claimed.status, claimed.claimed_by) == ("claimed", "alice")
    assert claimed.claimed_at is not None
    assert claimed.claimed_at >= ticket.created_at
    assert claimed.package == ticket.package
    assert await store.claim_escalation(ticket.id, "bob") is None
    assert await store.resolve_escalation(ticket.id, "bob", resume_bot=True) is None
    resolved = await store.resolve_escalation(ticket.id, "alice", resume_bot=False)
    assert resolved is not None
    assert (resolved.status, resolved.resume_bot, resolved.claimed_by) == (
        "resolved", False, "alice",
    )  # fmt: skip
    assert resolved.resolved_at is not None
    assert await store.get_escalation(ticket.id) == resolved
    assert await store.resolve_escalation(ticket.id, "alice", resume_bot=True) is None
    assert await store.claim_escalation(ticket.id, "alice") is None


async def test_unknown_tickets_and_unclaimed_ones(store: Store) -> None:
    assert await store.claim_escalation("esc_missing", "alice") is None
    assert await store.resolve_escalation("esc_missing", "alice", resume_bot=True) is None
    (ticket,) = await _tickets(store, 1)
    # an operator resolves only what they claimed; an admin ("*") resolves any open ticket
    assert await store.resolve_escalation(ticket.id, "alice", resume_bot=True) is None
    resolved = await store.resolve_escalation(ticket.id, ADMIN_OPERATOR, resume_bot=True)
    assert resolved is not None
    assert (resolved.status, resolved.resume_bot) == ("resolved", True)
    assert await store.resolve_escalation(ticket.id, ADMIN_OPERATOR, resume_bot=True) is None


async def test_an_admin_resolves_a_ticket_claimed_by_someone_else(store: Store) -> None:
    (ticket,) = await _tickets(store, 1)
    await store.claim_escalation(ticket.id, "alice")
    resolved = await store.resolve_escalation(ticket.id, ADMIN_OPERATOR, resume_bot=False)
    assert resolved is not None
    assert (resolved.status, resolved.claimed_by) == ("resolved", "alice")


async def test_each_ticket_is_claimed_exactly_once(store: Store, store_url: str) -> None:
    # 50 claimers over 4 store instances (separate connections), each trying all 20 tickets
    tickets = await _tickets(store, 20)
    others = [open_store(store_url) for _ in range(3)]
    await asyncio.gather(*(s.open() for s in others))
    try:
        instances = [store, *others]

        async def claimer(i: int) -> list[str]:
            order = [t.id for t in tickets]
            random.Random(i).shuffle(order)
            won = []
            for ticket_id in order:
                claimed = await instances[i % 4].claim_escalation(ticket_id, f"op-{i}")
                if claimed is not None:
                    assert claimed.claimed_by == f"op-{i}"
                    won.append(ticket_id)
            return won

        results = await asyncio.gather(*(claimer(i) for i in range(50)))
    finally:
        for opened in others:
            await opened.close()
    won = [ticket_id for ids in results for ticket_id in ids]
    assert sorted(won) == sorted(t.id for t in tickets)
    owners = {ticket_id: f"op-{i}" for i, ids in enumerate(results) for ticket_id in ids}
    for ticket in await store.list_escalations(status="claimed"):
        assert ticket.claimed_by == owners[ticket.id]


_CLAIMER = """
import asyncio, json, sys
from frontdesk.store import open_store

async def main() -> None:
    async with open_store(sys.argv[1]) as store:
        ids = json.loads(sys.argv[2])
        print("ready", flush=True)
        sys.stdin.readline()
        won = [i for i in ids if await store.claim_escalation(i, sys.argv[3]) is not None]
        print(json.dumps(won), flush=True)

asyncio.run(main())
"""


async def test_claims_across_processes_on_sqlite(tmp_path: Path) -> None:
    # this process and a child claim the same 20 tickets at once, through one SQLite file
    url = f"sqlite:///{tmp_path / 'frontdesk.sqlite3'}"
    async with open_store(url) as store:
        tickets = await _tickets(store, 20)
        ids = [t.id for t in tickets]
        children = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-c", _CLAIMER, url, json.dumps(ids[::step]), f"proc-{n}",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            )
            for n, step in enumerate((-1,))
        ]  # fmt: skip
        for child in children:
            assert child.stdout is not None
            assert (await child.stdout.readline()).strip() == b"ready"
        for child in children:
            assert child.stdin is not None
            child.stdin.write(b"go\n")
            await child.stdin.drain()

        async def here(i: int) -> list[str]:
            order = ids[i % 20 :] + ids[: i % 20]
            return [t for t in order if await store.claim_escalation(t, f"local-{i}")]

        local = await asyncio.gather(*(here(i) for i in range(10)))
        remote = [json.loads((await child.communicate())[0]) for child in children]
        assert all(child.returncode == 0 for child in children)
    won = [t for ids_won in [*local, *remote] for t in ids_won]
    assert sorted(won) == sorted(ids)


async def test_requeue_overdue_open_tickets(store: Store) -> None:
    now = time.time()
    late = await store.create_escalation(
        Escalation(conversation_id="c1", reason="complaint", priority=2, sla_deadline=now - 1)
    )
    urgent = await store.create_escalation(
        Escalation(conversation_id="c2", reason="emergency", priority=0, sla_deadline=now - 1)
    )
    on_time = await store.create_escalation(
        Escalation(conversation_id="c3", reason="legal", priority=2, sla_deadline=now + 600)
    )
    sla = SlaPolicy(minutes={0: 1.0, 1: 2.0, 2: 10.0}, claim_timeout_s=60)
    requeued = {e.id: e for e in await store.requeue_overdue(now, sla=sla)}
    assert set(requeued) == {late.id, urgent.id}
    assert (requeued[late.id].priority, requeued[late.id].status) == (1, "open")
    assert requeued[late.id].sla_deadline == pytest.approx(now + 120)
    assert requeued[urgent.id].priority == 0
    assert requeued[urgent.id].sla_deadline == pytest.approx(now + 60)
    assert await store.get_escalation(late.id) == requeued[late.id]
    assert await store.get_escalation(on_time.id) == on_time
    # not overdue any more: a second sweep at the same time finds nothing
    assert await store.requeue_overdue(now, sla=sla) == []


async def test_requeue_returns_a_claim_nobody_answered_to_the_queue(store: Store) -> None:
    silent, answered = await _tickets(store, 2)
    for ticket in (silent, answered):
        await store.claim_escalation(ticket.id, "alice")
    await store.append_message(answered.conversation_id, "operator", "Hello, this is Alice")
    sla = SlaPolicy(claim_timeout_s=60)
    assert await store.requeue_overdue(time.time(), sla=sla) == []  # within the timeout
    later = time.time() + 120
    (requeued,) = await store.requeue_overdue(later, sla=sla)
    assert requeued.id == silent.id
    assert (requeued.status, requeued.claimed_by, requeued.claimed_at) == ("open", None, None)
    assert requeued.priority == 1
    assert requeued.sla_deadline == pytest.approx(sla.deadline(1, later))
    assert (await store.get_escalation(answered.id)).status == "claimed"  # type: ignore[union-attr]
    assert await store.claim_escalation(silent.id, "bob") is not None


async def test_concurrent_sweeps_requeue_each_ticket_once(store: Store, store_url: str) -> None:
    now = time.time()
    tickets = [
        await store.create_escalation(
            Escalation(conversation_id=f"c{i}", reason="complaint", sla_deadline=now - 1)
        )
        for i in range(10)
    ]
    async with open_store(store_url) as other:
        sweeps = await asyncio.gather(
            *((store if i % 2 else other).requeue_overdue(now) for i in range(6))
        )
    requeued = [e.id for sweep in sweeps for e in sweep]
    assert sorted(requeued) == sorted(t.id for t in tickets)


async def test_active_escalation_of_a_conversation(store: Store) -> None:
    assert await store.active_escalation("c1") is None
    first = await store.create_escalation(Escalation(conversation_id="c1", reason="legal"))
    await store.create_escalation(Escalation(conversation_id="c2", reason="legal"))
    assert await store.active_escalation("c1") == first
    await store.claim_escalation(first.id, "alice")
    active = await store.active_escalation("c1")
    assert active is not None
    assert (active.id, active.status) == (first.id, "claimed")
    await store.resolve_escalation(first.id, "alice", resume_bot=True)
    assert await store.active_escalation("c1") is None


async def test_conversation_tenant_is_the_tenant_of_its_first_message(store: Store) -> None:
    assert await store.conversation_tenant("c1") is None
    await store.append_message("c1", "user", "hello", tenant="acme")
    await store.append_message("c1", "user", "again", tenant="intruder")
    assert await store.conversation_tenant("c1") == "acme"


async def test_api_keys(store: Store) -> None:
    digest = hashlib.sha256(b"secret-key").hexdigest()
    client = await store.create_api_key(ApiKey(name="web", role="client", key_hash=digest))
    assert client.tenant == client.id
    admin = await store.create_api_key(
        ApiKey(name="ops", role="admin", key_hash="0" * 64, tenant="acme")
    )
    assert await store.api_key_by_hash(digest) == client
    assert await store.api_key_by_hash("f" * 64) is None
    assert [k.id for k in await store.list_api_keys()] == [client.id, admin.id]
    assert await store.revoke_api_key(client.id)
    assert not await store.revoke_api_key(client.id)
    assert not await store.revoke_api_key("key_missing")
    assert await store.api_key_by_hash(digest) is None
    listed = {k.id: k for k in await store.list_api_keys()}
    assert listed[client.id].revoked_at is not None
    assert listed[admin.id] == admin
    with pytest.raises(StoreError):  # a hash is unique
        await store.create_api_key(ApiKey(name="dup", role="client", key_hash=digest))


async def test_an_older_database_gains_the_new_columns(store_url: str) -> None:
    # a database created before the queue had claims: its tickets stay readable and claimable
    if store_url.startswith("sqlite:///"):
        with sqlite3.connect(store_url.removeprefix("sqlite:///")) as conn:
            conn.execute(_OLD_ESCALATIONS)
            conn.execute(
                "INSERT INTO fd_escalations VALUES ('esc_old', 'c1', 'open', 'legal', NULL, "
                "NULL, 2, 0, '{}', 1, 1)"
            )
    else:
        import psycopg

        async with await psycopg.AsyncConnection.connect(store_url, autocommit=True) as conn:
            await conn.execute(_OLD_ESCALATIONS)
            await conn.execute(
                "INSERT INTO fd_escalations VALUES ('esc_old', 'c1', 'open', 'legal', NULL, "
                "NULL, 2, 0, '{}', 1, 1)"
            )
    for _ in range(2):  # and migrating is idempotent
        async with open_store(store_url) as store:
            old = await store.get_escalation("esc_old")
            assert old is not None
            assert (old.reason, old.claimed_by, old.resume_bot) == ("legal", None, None)
    async with open_store(store_url) as store:
        claimed = await store.claim_escalation("esc_old", "alice")
        assert claimed is not None
        assert claimed.claimed_by == "alice"


# One active ticket per conversation (a partial unique index) and the atomic ownership claim.


async def test_concurrent_escalations_of_one_conversation_open_one_ticket(
    store: Store, store_url: str
) -> None:
    # 20 callers over two store instances escalate one conversation at once: one ticket is
    # opened and every caller gets it; the others are kept, resolved as superseded by it
    tickets = [
        Escalation(conversation_id="c1", reason="complaint", package={"n": i}) for i in range(20)
    ]
    async with open_store(store_url) as other:
        results = await asyncio.gather(
            *((store if i % 2 else other).create_escalation(t) for i, t in enumerate(tickets))
        )
    active = await store.active_escalation("c1")
    assert active is not None
    assert active.status == "open"
    assert active.id in {t.id for t in tickets}
    assert all(result == active for result in results)
    stored = await store.list_escalations(conversation_id="c1")
    assert sorted(t.id for t in stored) == sorted(t.id for t in tickets)
    assert [t.id for t in stored if t.status != "resolved"] == [active.id]
    for ticket in stored:
        if ticket.id != active.id:
            assert ticket.package["superseded_by"] == active.id
            assert ticket.resolved_at is not None
            assert ticket.resume_bot is None


async def test_escalating_a_conversation_with_an_active_ticket_returns_that_ticket(
    store: Store,
) -> None:
    first = await store.create_escalation(Escalation(conversation_id="c1", reason="legal"))
    second = Escalation(conversation_id="c1", reason="complaint", package={"history": []})
    assert await store.create_escalation(second) == first
    recorded = await store.get_escalation(second.id)
    assert recorded is not None
    assert (recorded.status, recorded.reason) == ("resolved", "complaint")
    assert recorded.package["superseded_by"] == first.id
    assert first.id in recorded.package["superseded_note"]
    assert recorded.package["history"] == []
    # a claimed ticket is active too; creating a stored id again returns it as stored
    claimed = await store.claim_escalation(first.id, "alice")
    assert claimed is not None
    assert await store.create_escalation(Escalation(conversation_id="c1", reason="x")) == claimed
    assert await store.create_escalation(first) == claimed
    assert await store.create_escalation(second) == recorded
    # once it is resolved, the next escalation opens a new ticket; other conversations are
    # independent
    await store.resolve_escalation(first.id, "alice", resume_bot=False)
    follow_up = await store.create_escalation(Escalation(conversation_id="c1", reason="follow_up"))
    assert follow_up.status == "open"
    assert await store.active_escalation("c1") == follow_up
    elsewhere = await store.create_escalation(Escalation(conversation_id="c2", reason="legal"))
    assert await store.active_escalation("c2") == elsewhere
    assert len(await store.list_escalations(conversation_id="c1")) == 4


async def _execute_raw(store_url: str, statements: list[tuple[str, Sequence[Any]]]) -> None:
    """Run statements on the database behind `store_url`, outside any store."""
    if store_url.startswith("sqlite:///"):
        path = store_url.removeprefix("sqlite:///")
        with contextlib.closing(sqlite3.connect(path)) as conn, conn:
            for query, args in statements:
                conn.execute(query, args)
        return
    import psycopg

    async with await psycopg.AsyncConnection.connect(store_url, autocommit=True) as conn:
        for query, args in statements:
            await conn.execute(query.replace("?", "%s"), args)


async def test_a_database_with_duplicate_active_tickets_is_cleaned_up_on_open(
    store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # a database written before the one-active-ticket index, by racing replicas: opening it
    # keeps one active ticket per conversation (a claimed one, else the oldest) and resolves
    # the others as superseded, logging each, before it creates the index
    async with open_store(store_url):
        pass
    now = time.time()
    tickets = [
        Escalation(id="esc_c1_oldest", conversation_id="c1", reason="legal", created_at=now - 30),
        Escalation(id="esc_c1_claimed", conversation_id="c1", reason="complaint",
                   status="claimed", claimed_by="alice", claimed_at=now - 5, created_at=now - 20),
        Escalation(id="esc_c1_newest", conversation_id="c1", reason="legal", created_at=now - 10),
        Escalation(id="esc_c2_oldest", conversation_id="c2", reason="legal", created_at=now - 30),
        Escalation(id="esc_c2_newest", conversation_id="c2", reason="legal", created_at=now - 20),
        Escalation(id="esc_c3_active", conversation_id="c3", reason="legal"),
        Escalation(id="esc_c3_done", conversation_id="c3", reason="legal", status="resolved",
                   resolved_at=now - 40, resume_bot=True, created_at=now - 50),
    ]  # fmt: skip
    await _execute_raw(
        store_url,
        [
            (f"DROP INDEX {sql.ONE_ACTIVE_INDEX}", ()),
            *((sql.INSERT_ESCALATION, sql.escalation_args(t)) for t in tickets),
        ],
    )
    with caplog.at_level(logging.WARNING, logger="frontdesk.store"):
        async with open_store(store_url) as store:
            after = {t.id: t for t in await store.list_escalations()}
    expected_kept = {"esc_c1_oldest": "esc_c1_claimed", "esc_c1_newest": "esc_c1_claimed",
                     "esc_c2_newest": "esc_c2_oldest"}  # fmt: skip
    for ticket in tickets:
        stored = after[ticket.id]
        if ticket.id in expected_kept:
            assert stored.status == "resolved"
            assert stored.resolved_at is not None
            assert stored.resolved_at >= now
            assert stored.package["superseded_by"] == expected_kept[ticket.id]
            assert stored.claimed_by == ticket.claimed_by
        else:
            assert stored == ticket
    logged = [r.getMessage() for r in caplog.records if r.name == "frontdesk.store"]
    assert len(logged) == 3
    assert all("superseded" in message for message in logged)
    # migrating is idempotent, and the index now keeps a second ticket out
    caplog.clear()
    async with open_store(store_url) as store:
        assert {t.id: t for t in await store.list_escalations()} == after
        again = await store.create_escalation(Escalation(conversation_id="c2", reason="legal"))
        assert again.id == "esc_c2_oldest"
    assert not [r for r in caplog.records if r.name == "frontdesk.store"]


async def test_a_new_conversation_is_claimed_by_exactly_one_tenant(
    store: Store, store_url: str
) -> None:
    # 20 tenants over two store instances claim one new conversation at once
    tenants = [f"tenant-{i}" for i in range(20)]
    async with open_store(store_url) as other:
        owners = await asyncio.gather(
            *(
                (store if i % 2 else other).claim_conversation("new", tenant)
                for i, tenant in enumerate(tenants)
            )
        )
    (owner,) = set(owners)
    assert owner in tenants
    assert await store.conversation_tenant("new") == owner
    # an owner never changes: not by a later claim, nor by a message stored with another tenant
    assert await store.claim_conversation("new", "late") == owner
    await store.append_message("new", "user", "hello", tenant="late")
    assert await store.conversation_tenant("new") == owner
    # a conversation started by a message belongs to that message's tenant
    await store.append_message("c1", "user", "hello", tenant="acme")
    assert await store.claim_conversation("c1", "intruder") == "acme"
