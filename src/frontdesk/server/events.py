"""Live updates: an event bus the routes publish to and the SSE streams read from.

Channels: `queue` (the escalation queue: `ticket.created`, `ticket.updated`, `ticket.claimed`,
`ticket.resolved`) and `conversation:{id}` (`message`: a new message, with its `seq`). Events
are small JSON objects; a subscriber re-reads the store for the details, so a missed event costs
a refresh, never a wrong view.

`LocalBus` fans events out in this process. `RedisBus` publishes through Redis pub/sub, and one
reader task per process fans what arrives out locally, so every replica's streams see every
replica's events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

log = logging.getLogger("frontdesk.server")

QUEUE = "queue"
MAX_PENDING = 1000
"""Events held for one slow subscriber; past that it gets a `resync` event instead."""


def conversation_channel(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


class Subscription:
    """The events of some channels, in order: `async for event in subscription`."""

    def __init__(self, bus: LocalBus, channels: tuple[str, ...]) -> None:
        self._bus = bus
        self.channels = channels
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(MAX_PENDING)
        self._overflowed = False

    def deliver(self, event: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            if not self._overflowed:  # the reader lags: tell it to reload instead
                self._overflowed = True
                self.queue.get_nowait()
                self.queue.put_nowait({"type": "resync"})

    async def get(self, wait_s: float | None = None) -> dict[str, Any] | None:
        """The next event, or None after `wait_s` seconds without one."""
        try:
            event = await asyncio.wait_for(self.queue.get(), wait_s)
        except TimeoutError:
            return None
        self._overflowed = False
        return event

    def close(self) -> None:
        self._bus._unsubscribe(self)


class LocalBus:
    """In-process fan-out (one server process)."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscription]] = {}

    async def start(self) -> None:
        """Connect (nothing to do in-process)."""

    async def close(self) -> None:
        self._subscribers.clear()

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        self._deliver(channel, event)

    def _deliver(self, channel: str, event: dict[str, Any]) -> None:
        for subscription in list(self._subscribers.get(channel, ())):
            subscription.deliver(event)

    @contextlib.asynccontextmanager
    async def subscribe(self, *channels: str) -> AsyncIterator[Subscription]:
        subscription = Subscription(self, channels)
        for channel in channels:
            self._subscribers.setdefault(channel, set()).add(subscription)
        try:
            yield subscription
        finally:
            subscription.close()

    def _unsubscribe(self, subscription: Subscription) -> None:
        for channel in subscription.channels:
            subscribers = self._subscribers.get(channel)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscribers[channel]

    @property
    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())


EventBus = LocalBus
"""The bus interface: `RedisBus` is a `LocalBus` whose publish goes through Redis."""


class RedisBus(LocalBus):
    """Pub/sub through Redis, so several replicas share one stream of events. If Redis is
    down, an event is still delivered in this process (and the failure logged); the reader
    reconnects with a back-off."""

    def __init__(self, url: str, *, prefix: str = "frontdesk") -> None:
        super().__init__()
        from redis.asyncio import Redis

        self._redis: Any = Redis.from_url(url)
        self._prefix = prefix + ":events:"
        self._reader: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    async def start(self) -> None:
        if self._reader is None:
            self._reader = asyncio.get_running_loop().create_task(self._read())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._listening.wait(), 5.0)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        await self._redis.aclose()
        await super().close()

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        try:
            await self._redis.publish(self._prefix + channel, json.dumps(event))
        except Exception as exc:
            log.warning("event bus: Redis unavailable (%s); delivering locally only", exc)
            self._deliver(channel, event)

    async def _read(self) -> None:
        delay = 0.5
        reconnecting = False
        while True:
            try:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                async with pubsub:
                    await pubsub.psubscribe(self._prefix + "*")
                    self._listening.set()
                    delay = 0.5
                    if reconnecting:  # events may have been missed meanwhile
                        for channel in list(self._subscribers):
                            self._deliver(channel, {"type": "resync"})
                    reconnecting = True
                    while True:
                        message = await pubsub.get_message(timeout=30.0)
                        if message is None:
                            continue
                        channel = message["channel"]
                        if isinstance(channel, bytes):
                            channel = channel.decode()
                        self._deliver(
                            channel.removeprefix(self._prefix), json.loads(message["data"])
                        )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("event bus: Redis reader failed (%s); reconnecting", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)


def event_bus(redis_url: str | None) -> EventBus:
    return RedisBus(redis_url) if redis_url else LocalBus()
