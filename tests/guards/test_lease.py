"""`ConversationLease` on real stores: waiting, refusing, renewing, losing, and taking over from
a holder that crashed."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

from frontdesk.errors import ConfigError, ConversationBusy, FrontdeskError, LeaseLost
from frontdesk.guards import ConversationLease
from frontdesk.store import Lease, Store, open_store

WORKER = Path(__file__).with_name("lease_worker.py")


async def test_a_second_holder_waits_for_the_first(store: Store, store_url: str) -> None:
    events: list[str] = []
    first_in = asyncio.Event()

    async def turn(name: str, on: Store, hold_s: float) -> int:
        # no shared lock: two holders that only meet in the store, like two processes
        async with ConversationLease(on, "c1", ttl_s=5, wait_s=10) as lease:
            events.append(f"{name} in")
            first_in.set()
            await asyncio.sleep(hold_s)
            events.append(f"{name} out")
            return lease.token

    async with open_store(store_url) as other:
        first = asyncio.create_task(turn("first", store, 0.4))
        await first_in.wait()
        started = time.monotonic()
        second_token = await turn("second", other, 0)
        waited = time.monotonic() - started
        assert await first == 1
    assert events == ["first in", "first out", "second in", "second out"]
    assert second_token == 2
    assert waited >= 0.2


async def test_busy_after_the_wait_and_the_error_says_why(store: Store) -> None:
    async with ConversationLease(store, "conv-7", ttl_s=30, wait_s=0):
        started = time.monotonic()
        with pytest.raises(ConversationBusy) as caught:
            async with ConversationLease(store, "conv-7", ttl_s=30, wait_s=0.3):
                pytest.fail("entered a held lease")
        waited = time.monotonic() - started
        other = await store.acquire_lease("conv-8", "someone", 30)  # other conversations: free
    error = caught.value
    assert isinstance(error, FrontdeskError)
    assert not isinstance(error, LeaseLost)
    assert "conversation 'conv-7' is busy" in str(error)
    assert "another message is being processed" in str(error)
    assert error.conversation_id == "conv-7"
    assert 0.3 <= error.waited_s <= waited
    assert other is not None


async def test_a_zero_wait_still_takes_a_free_lease(store: Store) -> None:
    async with ConversationLease(store, "c1", ttl_s=30, wait_s=0) as lease:
        assert lease.token == 1
        assert lease.owner.startswith(f"{os.uname().nodename}:{os.getpid()}:")


async def test_a_long_turn_keeps_its_lease_by_renewing_it(store: Store) -> None:
    async with ConversationLease(store, "c1", ttl_s=0.6, wait_s=0) as lease:
        first_expiry = lease.expires_at
        for _ in range(4):  # 2 s: over three times the ttl
            await asyncio.sleep(0.5)
            assert await store.acquire_lease("c1", "intruder", 30) is None
        assert lease.expires_at > first_expiry
    assert await store.acquire_lease("c1", "next", 30) is not None


async def test_a_lost_lease_stops_the_turn(store: Store) -> None:
    held: list[Lease] = []
    entered = asyncio.Event()
    reached_the_end = False

    async def turn() -> None:
        nonlocal reached_the_end
        async with ConversationLease(store, "c1", ttl_s=0.6, wait_s=0) as lease:
            held.append(lease)
            entered.set()
            await asyncio.sleep(5)
            reached_the_end = True

    task = asyncio.create_task(turn())
    await entered.wait()
    (lease,) = held
    await store.release_lease(lease)  # as if it had expired while its process stalled
    taker = await store.acquire_lease("c1", "taker", 30)
    assert taker is not None
    started = time.monotonic()
    with pytest.raises(LeaseLost) as caught:
        await task
    assert time.monotonic() - started < 2  # at the next heartbeat (0.2 s), not after the turn
    assert not reached_the_end
    assert isinstance(caught.value, ConversationBusy)
    assert caught.value.conversation_id == "c1"
    assert "lost its lease while being processed (it expired or was taken over)" in str(
        caught.value
    )
    assert not await store.renew_lease(lease, 30)
    assert await store.renew_lease(taker, 30)  # leaving did not release the new owner's lease


async def test_the_callers_cancellation_is_not_turned_into_an_error(store: Store) -> None:
    async def turn() -> None:
        async with ConversationLease(store, "c1", ttl_s=30, wait_s=0):
            await asyncio.sleep(30)

    task = asyncio.create_task(turn())
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await store.acquire_lease("c1", "next", 30) is not None  # released on the way out


async def test_cancelled_while_acquiring_leaves_no_lease_behind(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    acquire = store.acquire_lease
    in_flight, finished = asyncio.Event(), asyncio.Event()

    async def slow_acquire(conversation_id: str, owner: str, ttl_s: float) -> Lease | None:
        in_flight.set()
        await asyncio.sleep(0.2)
        try:
            return await acquire(conversation_id, owner, ttl_s)
        finally:
            finished.set()

    monkeypatch.setattr(store, "acquire_lease", slow_acquire)

    async def turn() -> None:
        async with ConversationLease(store, "c1", ttl_s=30, wait_s=5):
            pytest.fail("entered after being cancelled")

    task = asyncio.create_task(turn())
    await in_flight.wait()
    task.cancel()  # e.g. the client went away while its message waited
    with pytest.raises(asyncio.CancelledError):
        await task
    monkeypatch.undo()
    await finished.wait()
    # the abandoned attempt still took the lease (token 1), then gave it back
    async with ConversationLease(store, "c1", ttl_s=30, wait_s=2) as lease:
        assert lease.token == 2


async def test_holders_sharing_a_lock_queue_without_polling_the_store(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    acquire = store.acquire_lease

    async def counting(conversation_id: str, owner: str, ttl_s: float) -> object:
        calls.append(owner)
        return await acquire(conversation_id, owner, ttl_s)

    monkeypatch.setattr(store, "acquire_lease", counting)
    lock = asyncio.Lock()
    inside: list[int] = []

    async def turn() -> int:
        async with ConversationLease(store, "c1", ttl_s=30, wait_s=30, lock=lock) as lease:
            inside.append(lease.token)
            assert len(inside) == 1
            await asyncio.sleep(0.05)
            inside.remove(lease.token)
            return lease.token

    tokens = await asyncio.gather(*(turn() for _ in range(5)))
    assert sorted(tokens) == [1, 2, 3, 4, 5]
    assert len(calls) == 5  # one attempt each: the lock queued them, the store never refused
    assert not lock.locked()


async def test_waiting_for_the_local_lock_counts_against_the_wait(store: Store) -> None:
    lock = asyncio.Lock()
    async with ConversationLease(store, "c1", ttl_s=30, wait_s=0, lock=lock):
        with pytest.raises(ConversationBusy, match=r"did not finish within 0\.2s"):
            async with ConversationLease(store, "c1", ttl_s=30, wait_s=0.2, lock=lock):
                pytest.fail("entered a held lease")
        assert lock.locked()
    assert not lock.locked()


@pytest.mark.parametrize(
    ("ttl_s", "wait_s", "message"),
    [(0, 1, "lease_ttl_s must be a positive"), (-1, 1, "lease_ttl_s"),
     (float("nan"), 1, "lease_ttl_s"), (1, -0.5, "lease_wait_s must be zero or more"),
     (1, float("inf"), "lease_wait_s")],
)  # fmt: skip
def test_bad_times_are_a_config_error(ttl_s: float, wait_s: float, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ConversationLease(None, "c1", ttl_s=ttl_s, wait_s=wait_s)  # type: ignore[arg-type]


@pytest.mark.slow
async def test_a_crashed_holder_is_taken_over_after_the_ttl(store: Store, store_url: str) -> None:
    ttl_s = 1.0
    holder = await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), "hold", store_url, "c1", str(ttl_s),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert holder.stdout is not None
    try:
        line = (await asyncio.wait_for(holder.stdout.readline(), 60)).decode()
    finally:
        holder.kill()  # SIGKILL: no release, no cleanup
        await holder.communicate()
    assert line.startswith("held "), line
    held_token = int(line.split()[1])
    killed = time.monotonic()
    with pytest.raises(ConversationBusy):
        async with ConversationLease(store, "c1", ttl_s=30, wait_s=0):
            pytest.fail("the dead holder's lease was free before its ttl")
    async with ConversationLease(store, "c1", ttl_s=30, wait_s=ttl_s + 10) as lease:
        took = time.monotonic() - killed
        assert lease.token == held_token + 1
    assert took <= ttl_s + 1.5
