"""One conformance suite, run against every store backend."""

from __future__ import annotations

import asyncio

import pytest

from frontdesk.store import DecisionRecord, Escalation, Store, open_store


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
