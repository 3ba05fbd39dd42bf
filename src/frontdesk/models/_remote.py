"""What the remote provider adapters (`openai`, `anthropic`) share: the errors they raise, the
`ALLOW_MODEL_REQUESTS` guard, Retry-After parsing, tool-argument decoding and the deadline.

Nothing here imports a vendor SDK, so wrappers (retry, fallback, circuit breaker) can import the
error types without the optional extras installed.

    ModelError (frontdesk.errors)
    ├── ModelHTTPError        the provider answered with an error status (status_code, retry_after)
    ├── ModelTimeout          no complete answer within `settings.timeout_s`
    └── ModelConnectionError  the provider could not be reached (refused, reset, DNS)
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import urlsplit

import frontdesk.models
from frontdesk.errors import ModelError, ModelRequestsDisabled

PLACEHOLDER_API_KEY = "not-needed"
"""Sent to keyless local servers (vLLM, Ollama, llama.cpp), whose SDK clients insist on a key."""

RAW_ARGUMENTS_KEY = "_raw"
"""Tool-call arguments that are not a JSON object are kept, undecoded, under this key."""

_LOCAL_SUFFIXES = (".localhost", ".local", ".internal")


class ModelHTTPError(ModelError):
    """The provider answered with an HTTP error status. `retry_after` is the delay in seconds the
    provider asked for (Retry-After / retry-after-ms headers), or None."""

    status_code: int

    def __init__(
        self, message: str, *, model: str, status_code: int, retry_after: float | None = None
    ) -> None:
        super().__init__(message, model=model, status_code=status_code)
        self.retry_after = retry_after


class ModelTimeout(ModelError):
    """The provider did not answer completely within the request's timeout."""

    def __init__(self, message: str, *, model: str, timeout_s: float | None = None) -> None:
        super().__init__(message, model=model)
        self.timeout_s = timeout_s


class ModelConnectionError(ModelError):
    """The provider could not be reached (connection refused or reset, name not resolved)."""


class _Closable(Protocol):
    async def close(self) -> None: ...


ClientT = TypeVar("ClientT", bound=_Closable)


class ClientSlot(Generic[ClientT]):
    """A model's SDK client: a given one is used as is and never closed here; otherwise one is
    made on first use and again whenever the running event loop changes, since an async HTTP
    pool cannot outlive its loop (a sync facade running each call in `asyncio.run` would
    otherwise fail with "Event loop is closed" on the second call)."""

    def __init__(self, factory: Callable[[], ClientT], given: ClientT | None = None) -> None:
        self._factory = factory
        self._client = given
        self._owned = given is None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def current(self) -> ClientT | None:
        """The client in use, if any (for inspection and tests)."""
        return self._client

    def get(self) -> ClientT:
        """The client for the running event loop."""
        loop = asyncio.get_running_loop()
        if self._owned and self._client is not None and self._loop is not loop:
            self._client = None  # its pooled connections belong to another (closed) loop
        if self._client is None:
            self._client = self._factory()
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        """Close the client this slot made (call it before the event loop ends)."""
        if self._owned and self._client is not None:
            client, self._client = self._client, None
            await client.close()


def url_host(url: str) -> str:
    """The lower-cased host of `url` ('' if it has none)."""
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def is_loopback(url: str) -> bool:
    """True when `url` points at this machine: 127.0.0.0/8, ::1 or localhost."""
    host = url_host(url)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_local_server(url: str) -> bool:
    """True for hosts that are likely a keyless self-hosted server: loopback, a private or
    link-local address, a single-label name (a container or compose service) or a `.local`,
    `.internal` or `.localhost` name."""
    host = url_host(url)
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host or host.endswith(_LOCAL_SUFFIXES) or host == "localhost"
    return address.is_loopback or address.is_private or address.is_link_local


def ensure_requests_allowed(base_url: str, model: str) -> None:
    """Raise `ModelRequestsDisabled` if model requests are disabled and `base_url` is not on
    loopback. The flag is read at call time so tests can monkeypatch it."""
    if frontdesk.models.ALLOW_MODEL_REQUESTS or is_loopback(base_url):
        return
    raise ModelRequestsDisabled(
        f"{model}: refusing to call {base_url} because frontdesk.models.ALLOW_MODEL_REQUESTS is "
        f"False (the test suite's setting); use a FunctionModel/ScriptedModel or point the model "
        f"at a loopback server such as frontdesk.testing.ModelServer",
        model=model,
    )


def parse_retry_after(
    headers: Mapping[str, str] | None, *, now: float | None = None
) -> float | None:
    """Seconds to wait before retrying, from `retry-after-ms` or `Retry-After` (seconds or an
    HTTP date); None when absent or unparsable."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def decode_arguments(raw: str | None) -> dict[str, Any]:
    """Tool-call arguments as a dict; anything but a JSON object is kept under `_raw` so the
    tool loop can report the problem to the model instead of crashing."""
    if raw is None or not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {RAW_ARGUMENTS_KEY: raw}
    return value if isinstance(value, dict) else {RAW_ARGUMENTS_KEY: raw}


def encode_arguments(arguments: Mapping[str, Any]) -> str:
    """The wire form of tool-call arguments; undecodable ones go back exactly as received."""
    raw = arguments.get(RAW_ARGUMENTS_KEY)
    if len(arguments) == 1 and isinstance(raw, str):
        return raw
    return json.dumps(arguments, ensure_ascii=False)


def http_error_message(model: str, status_code: int, detail: str, env_key: str) -> str:
    """A message for an HTTP error that says what to do for the common statuses."""
    hint = ""
    if status_code == 401:
        hint = f" (check {env_key} or the api_key passed to the model)"
    elif status_code == 404:
        hint = " (check the model name and the base URL)"
    if len(detail) > 300:
        detail = detail[:300] + "..."
    return f"{model}: HTTP {status_code}: {detail}{hint}"


@asynccontextmanager
async def deadline(timeout_s: float | None, model: str) -> AsyncIterator[None]:
    """Bound the whole request (connect, wait, and every streamed chunk) by `timeout_s`; the
    SDK's own timeout only bounds each network operation."""
    if timeout_s is None:
        yield
        return
    try:
        async with asyncio.timeout(timeout_s):
            yield
    except TimeoutError as exc:
        raise ModelTimeout(
            f"{model}: no complete answer within {timeout_s:g}s", model=model, timeout_s=timeout_s
        ) from exc
