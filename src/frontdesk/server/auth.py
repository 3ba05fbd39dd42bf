"""API keys and roles.

A caller sends `Authorization: Bearer KEY`. Keys are random (32 bytes, URL-safe, prefixed
`fd_`) and stored only as their SHA-256 hex digest (`ApiKey.key_hash`), so the store never holds
a usable key. Roles: `client` (its own conversations), `operator` (the escalation queue, any
conversation's history), `admin` (everything an operator or a client can do, plus the decision
log). No key or an unknown/revoked key → 401; a known key without the role → 403. Each
authenticated request also takes a token from the key's rate-limit bucket (429 when empty).

    @router.get("/v1/decisions")
    async def decisions(key: ApiKey = Depends(require_role("admin"))) -> ...
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal, get_args

from fastapi import Request

from frontdesk.server.errors import ApiError
from frontdesk.server.state import server_state

if TYPE_CHECKING:
    from frontdesk.store import ApiKey

KeyRole = Literal["client", "operator", "admin"]
ROLES: tuple[KeyRole, ...] = get_args(KeyRole)
KEY_PREFIX = "fd_"


def new_key() -> str:
    """A fresh API key (shown once; only its hash is stored)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The stored form of a key: its SHA-256 hex digest."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise ApiError(
            401, "unauthorized",
            "missing API key: send 'Authorization: Bearer KEY' (create one with "
            "`frontdesk keys create --role client`)",
            headers={"WWW-Authenticate": "Bearer"},
        )  # fmt: skip
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401, "unauthorized", "malformed Authorization header: use 'Bearer KEY'",
            headers={"WWW-Authenticate": "Bearer"},
        )  # fmt: skip
    return token.strip()


async def authenticate(request: Request) -> ApiKey:
    """The API key of the request (cached on the request), or 401."""
    cached: ApiKey | None = getattr(request.state, "api_key", None)
    if cached is not None:
        return cached
    token = _bearer(request)
    state = server_state(request)
    key = await state.app.store.api_key_by_hash(hash_key(token))
    if key is None:
        raise ApiError(
            401, "unauthorized", "invalid or revoked API key",
            headers={"WWW-Authenticate": "Bearer"},
        )  # fmt: skip
    wait_s = await state.limiter.acquire(key.id)
    if wait_s > 0:
        retry = max(1, int(wait_s + 0.999))
        raise ApiError(
            429, "rate_limited",
            f"rate limit of {state.options.rate_per_s:g} requests/s (burst "
            f"{state.options.rate_burst}) for this key exceeded: retry in {retry} s",
            headers={"Retry-After": str(retry)},
        )  # fmt: skip
    request.state.api_key = key
    return key


def allows(key: ApiKey, roles: tuple[KeyRole, ...]) -> bool:
    """True if the key's role is one of `roles`; admin is allowed everything."""
    return key.role == "admin" or key.role in roles


def require_role(*roles: KeyRole) -> Callable[[Request], Awaitable[ApiKey]]:
    """A FastAPI dependency that authenticates the request and returns its `ApiKey`, or
    answers 401 (no/bad key), 403 (a role not in `roles`; admin passes every check) or 429."""
    for role in roles:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    wanted = roles or ROLES

    async def dependency(request: Request) -> ApiKey:
        key = await authenticate(request)
        if not allows(key, wanted):
            raise ApiError(
                403, "forbidden",
                f"this endpoint needs a key with role {' or '.join(wanted)}; this key's role "
                f"is {key.role}",
            )  # fmt: skip
        return key

    return dependency


def is_staff(key: ApiKey) -> bool:
    """Operators and admins: they may read any conversation."""
    return key.role in ("operator", "admin")
