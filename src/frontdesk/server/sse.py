"""Server-sent events: framing, and the streaming response every SSE endpoint returns."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import StreamingResponse

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse(event: str, data: Any, *, id: int | str | None = None) -> bytes:
    """One SSE frame (`data` as JSON on one line)."""
    head = f"id: {id}\n" if id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


PING = b": ping\n\n"


def wants_sse(accept: str | None) -> bool:
    return "text/event-stream" in (accept or "").lower()


def sse_response(frames: AsyncIterator[bytes]) -> StreamingResponse:
    return StreamingResponse(frames, media_type="text/event-stream", headers=SSE_HEADERS)
