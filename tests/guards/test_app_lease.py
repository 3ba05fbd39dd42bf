"""One writer per conversation, through the real `App`: concurrent messages to one conversation
are serialised — within a process, between app instances, and between OS processes sharing
SQLite or PostgreSQL — or refused with `ConversationBusy` after the wait."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from frontdesk.errors import ConfigError, ConversationBusy
from frontdesk.runtime import App
from frontdesk.store import open_store

from .helpers import (
    SlowEcho,
    assert_disjoint,
    assert_linear_checkpoints,
    assert_turns_serialised,
    slow_app,
)

WORKER = Path(__file__).with_name("lease_worker.py")
TESTS_DIR = Path(__file__).parents[1]


async def test_concurrent_messages_in_one_app_are_serialised(
    tmp_path: Path, store_url: str
) -> None:
    echo = SlowEcho(delay_s=0.05)
    sent = {f"message {i} about my bill" for i in range(6)}
    async with slow_app(tmp_path, store_url, echo) as app:
        replies = await asyncio.gather(*(app.respond("conv-1", text) for text in sorted(sent)))
        history = await app.store.history("conv-1")
        checkpoints = await assert_linear_checkpoints(app.store, "conv-1")
    assert all(r.stop_reason == "completed" for r in replies)
    assert_turns_serialised(history, sent)
    assert_disjoint(echo.intervals)
    assert checkpoints >= 2 * len(sent)


async def test_two_app_instances_on_one_store_take_turns(tmp_path: Path, store_url: str) -> None:
    # two instances share no in-process lock: they meet only in the store, as replicas do
    echoes = SlowEcho(delay_s=0.1), SlowEcho(delay_s=0.1)
    async with (
        slow_app(tmp_path / "a", store_url, echoes[0]) as first,
        slow_app(tmp_path / "b", store_url, echoes[1]) as second,
    ):

        async def send(app: App, name: str) -> None:
            for i in range(3):
                await app.respond("conv-1", f"{name}-{i}")

        await asyncio.gather(send(first, "first"), send(second, "second"))
        history = await first.store.history("conv-1")
        await assert_linear_checkpoints(first.store, "conv-1")
    assert_turns_serialised(history, {f"{n}-{i}" for n in ("first", "second") for i in range(3)})
    assert_disjoint(echoes[0].intervals + echoes[1].intervals)


async def test_a_message_that_cannot_wait_is_refused_and_not_stored(
    tmp_path: Path, store_url: str
) -> None:
    slow, impatient_echo = SlowEcho(delay_s=1.0), SlowEcho(delay_s=0)
    async with (
        slow_app(tmp_path / "a", store_url, slow) as busy,
        slow_app(tmp_path / "b", store_url, impatient_echo, lease_wait_s=0.2) as impatient,
    ):
        first = asyncio.create_task(busy.respond("conv-1", "the first message"))
        await slow.entered.wait()
        with pytest.raises(ConversationBusy) as caught:
            await impatient.respond("conv-1", "the second message")
        assert (await first).reply == "seen: the first message"
        history = await busy.store.history("conv-1")
        later = await impatient.respond("conv-1", "the second message, again")
    assert caught.value.conversation_id == "conv-1"
    assert str(caught.value) == (
        "conversation 'conv-1' is busy: another message is being processed and did not finish "
        "within 0.2s; send this message again when it has been answered"
    )
    assert [m.text for m in history] == ["the first message", "seen: the first message"]
    assert later.reply == "seen: the first message | the second message, again"


async def test_in_process_waiters_also_give_up_after_the_wait(tmp_path: Path) -> None:
    echo = SlowEcho(delay_s=1.0)
    async with slow_app(tmp_path, f"sqlite:///{tmp_path / 's.sqlite3'}", echo,
                        lease_wait_s=0.2) as app:  # fmt: skip
        first = asyncio.create_task(app.respond("conv-1", "the first message"))
        await echo.entered.wait()
        with pytest.raises(ConversationBusy, match="'conv-1' is busy"):
            await app.respond("conv-1", "the second message")
        await first
        assert [m.role for m in await app.store.history("conv-1")] == ["user", "assistant"]


def test_bad_lease_settings_are_refused_when_the_app_is_built(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="lease_wait_s must be zero or more seconds"):
        slow_app(tmp_path, f"sqlite:///{tmp_path / 's.sqlite3'}", SlowEcho(delay_s=0),
                 lease_wait_s=-1)  # fmt: skip


async def _start_worker(*args: str) -> asyncio.subprocess.Process:
    path = os.pathsep.join(filter(None, [str(TESTS_DIR), os.environ.get("PYTHONPATH")]))
    return await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), *args, env={**os.environ, "PYTHONPATH": path},
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _run_workers(store_url: str, tmp_path: Path, names: list[str], count: int) -> list[Any]:
    """Start one worker process per name, release them together, and return their reports."""
    workers = [
        await _start_worker("turns", store_url, str(tmp_path / name), "conv-x", name, str(count))
        for name in names
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            ready = await asyncio.wait_for(worker.stdout.readline(), 120)
            assert ready == b"ready\n", ready
        outputs = await asyncio.wait_for(
            asyncio.gather(*(w.communicate(b"go\n") for w in workers)), 120
        )
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
                await worker.communicate()
    assert [w.returncode for w in workers] == [0] * len(workers)
    return [json.loads(out.decode().splitlines()[-1]) for out, _ in outputs]


@pytest.mark.slow
async def test_two_processes_on_one_conversation_are_serialised(
    tmp_path: Path, store_url: str
) -> None:
    reports = await _run_workers(store_url, tmp_path, ["alpha", "beta"], count=4)
    async with open_store(store_url) as store:
        history = await store.history("conv-x")
        checkpoints = await assert_linear_checkpoints(store, "conv-x")
    sent = {text for report in reports for text in report["sent"]}
    assert len(sent) == 8
    assert_turns_serialised(history, sent)
    assert_disjoint([tuple(i) for report in reports for i in report["intervals"]])
    assert checkpoints >= 16
    # they really competed: both were sending before the first turn ended
    first_turn_end = min(end for report in reports for _, end in report["intervals"])
    assert max(report["go"] for report in reports) < first_turn_end
