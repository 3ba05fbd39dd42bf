"""Request limits: a per-key token-bucket rate limit and a maximum body size.

The rate limiter is in-process by default; with `FRONTDESK_REDIS_URL` it keeps its buckets in
Redis (one Lua script, atomic, on Redis's clock), so N replicas enforce one limit per key.
"""

from __future__ import annotations

import json
import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.server.errors import error_body

log = logging.getLogger("frontdesk.server")


class RateLimiter(ABC):
    """Token buckets of `burst` tokens refilled at `rate_per_s`, one per key."""

    def __init__(self, *, rate_per_s: float, burst: int) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst

    @abstractmethod
    async def acquire(self, key: str) -> float:
        """Take one token from `key`'s bucket: 0.0 if granted, else the seconds until one is
        available (nothing taken)."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class LocalRateLimiter(RateLimiter):
    """Buckets in this process's memory."""

    def __init__(self, *, rate_per_s: float, burst: int) -> None:
        super().__init__(rate_per_s=rate_per_s, burst=burst)
        self._buckets: dict[str, _Bucket] = {}

    async def acquire(self, key: str) -> float:
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate_per_s)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate_per_s

    async def close(self) -> None:
        self._buckets.clear()


# KEYS[1] the bucket; ARGV rate, burst. Returns the wait in seconds as a string (a Lua number
# returned as such would be truncated to an integer).
_TOKEN_BUCKET = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""


class RedisRateLimiter(RateLimiter):
    """Buckets in Redis, shared by every replica. If Redis is unreachable the request is let
    through (and logged): a rate limiter must not take the API down with it."""

    def __init__(
        self, url: str, *, rate_per_s: float, burst: int, prefix: str = "frontdesk"
    ) -> None:
        super().__init__(rate_per_s=rate_per_s, burst=burst)
        from redis.asyncio import Redis

        self._redis: Any = Redis.from_url(url)
        self._script: Any = self._redis.register_script(_TOKEN_BUCKET)
        self._prefix = prefix

    async def acquire(self, key: str) -> float:
        try:
            raw = await self._script(
                keys=[f"{self._prefix}:ratelimit:{key}"], args=[self.rate_per_s, self.burst]
            )
        except Exception as exc:  # any Redis failure: fail open, loudly
            log.warning("rate limiter: Redis unavailable (%s); request allowed", exc)
            return 0.0
        return float(raw.decode() if isinstance(raw, bytes) else raw)

    async def close(self) -> None:
        await self._redis.aclose()


def rate_limiter(*, redis_url: str | None, rate_per_s: float, burst: int) -> RateLimiter:
    if redis_url:
        return RedisRateLimiter(redis_url, rate_per_s=rate_per_s, burst=burst)
    return LocalRateLimiter(rate_per_s=rate_per_s, burst=burst)


class BodySizeLimit:
    """ASGI middleware: a request body over `max_bytes` gets 413 (checked against
    Content-Length first, then counted as it streams in, so a chunked body cannot pass it)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _message(self) -> str:
        return (
            f"request body too large: the limit is {self.max_bytes} bytes "
            f"({self.max_bytes // 1024} KiB); send less text per request"
        )

    def _too_large(self) -> bytes:
        return json.dumps(error_body("payload_too_large", self._message())).encode()

    async def _reject(self, send: Send) -> None:
        body = self._too_large()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._reject(send)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI lets an HTTPException from body reading through to its handler
                    raise HTTPException(413, detail=self._message())
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except HTTPException as exc:
            if exc.status_code != 413 or started:
                raise
            await self._reject(send)
