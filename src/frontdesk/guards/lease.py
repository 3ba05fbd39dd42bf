"""One writer per conversation: `ConversationLease`, held by the runtime around every turn.

Two messages to one conversation never run at the same time, even in two processes or replicas
sharing the store: the second waits (polling the store with backoff) until the first is done,
and after `wait_s` it gives up with `ConversationBusy` (HTTP 409) without storing anything. A
lease expires `ttl_s` seconds after it was last renewed, so a crashed holder blocks its
conversation for at most that long; a running turn renews it every `ttl_s / 3` seconds. Within
one process an `asyncio.Lock` per conversation queues the waiters, so only one of them at a time
touches the store's lease.

    async with ConversationLease(store, "conv-42", ttl_s=30, wait_s=30):
        ...  # the only writer of conv-42 until the block ends

See docs/leases.md.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import random
import socket
import time
import uuid
from collections.abc import Coroutine
from types import TracebackType
from typing import Any

from frontdesk.errors import ConfigError, ConversationBusy, LeaseLost
from frontdesk.store import Lease, Store

DEFAULT_TTL_S = 30.0
DEFAULT_WAIT_S = 30.0
FIRST_POLL_S = 0.02
MAX_POLL_S = 1.0
"""Polling for a lease held in another process starts at FIRST_POLL_S and doubles up to this."""

logger = logging.getLogger(__name__)
_background: set[asyncio.Task[None]] = set()
"""Releases still running after their caller was cancelled (the loop keeps only weak refs)."""


def check_lease_times(ttl_s: float, wait_s: float) -> None:
    """Raise `ConfigError` unless `ttl_s` is positive and `wait_s` is zero or more (finite)."""
    if not (isinstance(ttl_s, int | float) and math.isfinite(ttl_s) and ttl_s > 0):
        raise ConfigError(
            f"lease_ttl_s must be a positive number of seconds, got {ttl_s!r}: it bounds how long "
            f"a crashed process can block its conversation (default {DEFAULT_TTL_S:g})"
        )
    if not (isinstance(wait_s, int | float) and math.isfinite(wait_s) and wait_s >= 0):
        raise ConfigError(
            f"lease_wait_s must be zero or more seconds, got {wait_s!r}: it is how long a message "
            f"waits for the one before it (default {DEFAULT_WAIT_S:g})"
        )


def new_owner() -> str:
    """A lease owner name unique to this holder, readable in the table: host:pid:random."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class ConversationLease:
    """An async context manager holding a conversation's lease for the duration of the block.

    Entering waits up to `wait_s` seconds in all (first for `lock`, the process's own lock for
    the conversation, if given; then for the store's lease) and raises `ConversationBusy` when
    that runs out; it returns the `Lease`. While the block runs, a background task renews the
    lease every `ttl_s / 3` seconds. If the lease is lost anyway (renewals failed for `ttl_s`, or
    the store refused one: the lease had expired or changed hands), the block is cancelled and
    `LeaseLost` is raised from it, so that a stalled writer stops instead of interleaving with
    the new one. Leaving releases the lease, then the lock, also when the caller is cancelled.
    One instance serves one `async with`.
    """

    def __init__(
        self,
        store: Store,
        conversation_id: str,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        wait_s: float = DEFAULT_WAIT_S,
        lock: asyncio.Lock | None = None,
        owner: str | None = None,
    ) -> None:
        check_lease_times(ttl_s, wait_s)
        self.store = store
        self.conversation_id = conversation_id
        self.ttl_s = float(ttl_s)
        self.wait_s = float(wait_s)
        self.owner = owner or new_owner()
        self.lease: Lease | None = None
        self._lock = lock
        self._locked = False
        self._host: asyncio.Task[object] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._lost: str | None = None
        self._leaving = False

    async def __aenter__(self) -> Lease:
        if self.lease is not None or self._host is not None:
            raise RuntimeError("a ConversationLease serves one `async with` at a time")
        self._host = asyncio.current_task()
        started = time.monotonic()
        deadline = started + self.wait_s
        try:
            if self._lock is not None:
                await self._take_lock(deadline, started)
            self.lease, sent = await self._acquire(deadline, started)
        except BaseException:
            self._unlock()
            self._host = None
            raise
        self._heartbeat = asyncio.create_task(
            self._renew_until_cancelled(self.lease, renewed=sent),
            name=f"lease heartbeat {self.conversation_id}",
        )
        return self.lease

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._leaving = True
        host, lease = self._host, self.lease
        try:
            if self._heartbeat is not None:
                self._heartbeat.cancel()
                await asyncio.gather(self._heartbeat, return_exceptions=True)
            if lease is not None:
                # shielded: a second cancellation must not leave the lease held until it expires
                await asyncio.shield(_in_background(self._release(lease)))
        finally:
            self._unlock()
            self._heartbeat, self.lease, self._host = None, None, None
            self._leaving = False
        lost, self._lost = self._lost, None
        if lost is None or host is None:
            return
        # we cancelled the block: withdraw that request; a cancellation of the caller's own wins
        if host.uncancel() > 0 and exc_type is asyncio.CancelledError:
            return
        raise LeaseLost(
            f"conversation {self.conversation_id!r}: this message lost its lease while being "
            f"processed ({lost}) and was stopped so that two messages never write at once; its "
            f"reply may be missing, send it again",
            conversation_id=self.conversation_id,
        ) from (None if exc_type is asyncio.CancelledError else exc)

    async def _take_lock(self, deadline: float, started: float) -> None:
        assert self._lock is not None
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                await self._lock.acquire()
        except TimeoutError:
            raise self._busy(started) from None
        self._locked = True

    def _unlock(self) -> None:
        if self._locked and self._lock is not None:
            self._lock.release()
        self._locked = False

    async def _acquire(self, deadline: float, started: float) -> tuple[Lease, float]:
        """Poll the store with jittered exponential backoff until the lease is ours or the
        deadline passes (the last attempt is made at the deadline). Returns the lease and when,
        by the monotonic clock, the successful attempt was sent."""
        pause = FIRST_POLL_S
        while True:
            sent = time.monotonic()
            attempt = asyncio.ensure_future(
                self.store.acquire_lease(self.conversation_id, self.owner, self.ttl_s)
            )
            try:
                lease = await asyncio.shield(attempt)
            except asyncio.CancelledError:
                # the statement may still take the lease after we stopped waiting: give it back
                attempt.add_done_callback(self._give_back)
                raise
            if lease is not None:
                return lease, sent
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._busy(started)
            await asyncio.sleep(min(remaining, pause * random.uniform(0.5, 1.0)))
            pause = min(pause * 2, MAX_POLL_S)

    def _busy(self, started: float) -> ConversationBusy:
        waited = time.monotonic() - started
        return ConversationBusy(
            f"conversation {self.conversation_id!r} is busy: another message is being processed "
            f"and did not finish within {self.wait_s:g}s; send this message again when it has "
            f"been answered",
            conversation_id=self.conversation_id,
            waited_s=waited,
        )

    async def _renew_until_cancelled(self, lease: Lease, *, renewed: float) -> None:
        """Renew every ttl/3. A failed call is retried at the next beat until the lease may
        have expired (`renewed` is when the last successful renewal was sent, by this
        process's monotonic clock); a refused renewal means it is gone."""
        interval = self.ttl_s / 3
        while True:
            await asyncio.sleep(interval)
            sent = time.monotonic()
            try:
                kept = await self.store.renew_lease(lease, self.ttl_s)
            except Exception as exc:
                if time.monotonic() - renewed >= self.ttl_s:
                    self._lose(f"it could not be renewed for {self.ttl_s:g}s: {exc}")
                    return
                continue
            if not kept:
                self._lose("it expired or was taken over")
                return
            renewed = sent

    def _lose(self, reason: str) -> None:
        if self._leaving or self._host is None or self._host.done():
            return
        self._lost = reason
        self._host.cancel(f"lease on conversation {self.conversation_id!r} lost: {reason}")

    def _give_back(self, attempt: asyncio.Future[Lease | None]) -> None:
        if not attempt.cancelled() and attempt.exception() is None:
            lease = attempt.result()
            if lease is not None:
                _in_background(self._release(lease))

    async def _release(self, lease: Lease) -> None:
        try:
            await self.store.release_lease(lease)
        except Exception as exc:
            # the turn itself is done (or failed for its own reason): do not turn that into a
            # failure; the lease frees itself when it expires
            logger.warning(
                "could not release the lease on conversation %r (%s); it expires within %gs",
                self.conversation_id,
                exc,
                self.ttl_s,
            )


def _in_background(work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
    """Run `work` as a task that finishes even if whoever awaits it is cancelled."""
    task = asyncio.ensure_future(work)
    _background.add(task)
    task.add_done_callback(_background.discard)
    return task
