"""A local model server for tests: real HTTP on loopback, OpenAI- and Anthropic-compatible,
scriptable, with fault injection.

    with ModelServer() as server:
        server.enqueue(Reply(text="hi", input_tokens=12, output_tokens=1), Fault.status(429))
        model = OpenAIModel("test-model", base_url=server.base_url)
        ...
        server.requests[0]["messages"]   # every request body, in order

Endpoints: `POST /v1/chat/completions` (with `stream: true` as SSE), `POST /v1/messages`,
`GET /v1/models`. Each POST takes the next queued `Reply` or `Fault`; with an empty queue
`server.responder(body)` answers (by default it echoes the last user message). The server runs
`http.server.ThreadingHTTPServer` in a background thread; `close()` interrupts hanging and slow
answers, drops open connections and joins every thread.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import sys
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal
from urllib.parse import urlsplit

from frontdesk.testing.replies import (
    Api,
    Reply,
    Responder,
    anthropic_message,
    echo,
    error_body,
    models_list,
    openai_chunks,
    openai_completion,
)

_ROUTES: dict[str, Api] = {"/v1/chat/completions": "openai", "/v1/messages": "anthropic"}
_MALFORMED = b'{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [{"index": 0, "mes'
_DISCONNECTS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


@dataclass(frozen=True, kw_only=True, slots=True)
class Fault:
    """A failure to inject for one request; build one with the class methods."""

    kind: Literal["status", "hang", "malformed_json", "slow_stream", "raw"]
    status_code: int = 500
    retry_after: float | None = None
    message: str | None = None
    seconds: float = 0.0
    reply: Reply | None = None
    body: bytes = b""
    content_type: str = "application/json"

    @classmethod
    def status(
        cls, status_code: int, *, retry_after: float | None = None, message: str | None = None
    ) -> Fault:
        """Answer with an error status (and a `Retry-After: <seconds>` header if given)."""
        return cls(kind="status", status_code=status_code, retry_after=retry_after, message=message)

    @classmethod
    def hang(cls, seconds: float, *, then: Reply | None = None) -> Fault:
        """Wait `seconds` before answering (with `then`, else the responder): a client timeout
        shorter than that sees no answer."""
        return cls(kind="hang", seconds=seconds, reply=then)

    @classmethod
    def malformed_json(cls) -> Fault:
        """Answer 200 with `application/json` that is cut off mid-object."""
        return cls(kind="malformed_json")

    @classmethod
    def raw(
        cls,
        body: bytes | dict[str, Any],
        *,
        status_code: int = 200,
        content_type: str = "application/json",
    ) -> Fault:
        """Answer with exactly `body` (a dict is sent as JSON): a wrong-shaped answer, a proxy's
        HTML error page, ..."""
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        return cls(kind="raw", status_code=status_code, body=data, content_type=content_type)

    @classmethod
    def slow_stream(cls, delay_per_chunk: float, *, reply: Reply | None = None) -> Fault:
        """Answer normally but pause `delay_per_chunk` seconds before each SSE chunk (or each
        quarter of a non-streamed body)."""
        return cls(kind="slow_stream", seconds=delay_per_chunk, reply=reply)


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordedRequest:
    """One request the server received (header names lower-cased)."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


class ModelServer:
    """An OpenAI- and Anthropic-compatible HTTP server on 127.0.0.1 (ephemeral port) for tests.

    `base_url` is the OpenAI-style base (`http://127.0.0.1:PORT/v1`); `url` (no `/v1`) is the
    Anthropic-style one. `errors` collects unexpected server-side exceptions (tests may assert it
    stays empty).
    """

    def __init__(
        self, *, responder: Responder | None = None, models: Sequence[str] = ("test-model",)
    ) -> None:
        self.responder: Responder = responder or echo
        self.models = list(models)
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._queue: deque[Reply | Fault] = deque()
        self._log: list[RecordedRequest] = []
        self._ids = itertools.count(1)
        self._closing = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler, owner=self)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`: the base URL for the Anthropic SDK."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT/v1`: the base URL for the OpenAI SDK."""
        return f"{self.url}/v1"

    def start(self) -> ModelServer:
        """Start serving in a background thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.02},  # how long close() waits for the loop to notice
                name=f"ModelServer {self.url}",
                daemon=True,
            )
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving: cut short hangs and slow answers, drop connections, join threads."""
        self._closing.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()  # joins the handler threads

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def enqueue(self, *items: Reply | Fault) -> None:
        """Script the answers to the next POSTs, in order."""
        with self._lock:
            self._queue.extend(items)

    @property
    def pending(self) -> int:
        """How many queued items no request has consumed yet."""
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The JSON body of every POST received so far, in order (a snapshot)."""
        with self._lock:
            return [r.body for r in self._log if r.body is not None]

    @property
    def request_log(self) -> list[RecordedRequest]:
        """Every request received so far with its method, path and headers (a snapshot)."""
        with self._lock:
            return list(self._log)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._log.append(request)

    def _next(self) -> tuple[int, Reply | Fault | None]:
        with self._lock:
            return next(self._ids), (self._queue.popleft() if self._queue else None)

    def _error(self, description: str) -> None:
        with self._lock:
            self.errors.append(description)

    def _track(self, connection: socket.socket, *, add: bool) -> None:
        with self._lock:
            if not add:
                self._connections.discard(connection)
            elif self._closing.is_set():  # accepted while closing: close() has already swept
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            else:
                self._connections.add(connection)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() joins the handlers
    block_on_close = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], *, owner: ModelServer
    ) -> None:
        self.owner = owner
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, _DISCONNECTS) and not self.owner._closing.is_set():
            self.owner._error(repr(exc))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def owner(self) -> ModelServer:
        server = self.server
        assert isinstance(server, _HTTPServer)
        return server.owner

    def setup(self) -> None:
        super().setup()
        self.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.owner._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `server.request_log` instead."""

    def _headers(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.headers.items()}

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.owner._record(
            RecordedRequest(method="GET", path=path, headers=self._headers(), body=None)
        )
        if path == "/v1/models":
            self._send_json(200, models_list(self.owner.models))
        else:
            self._send_json(404, error_body("openai", 404, f"no route GET {path}"))

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        self.owner._record(
            RecordedRequest(method="POST", path=path, headers=self._headers(), body=body)
        )
        api = _ROUTES.get(path)
        if api is None:
            self._send_json(404, error_body("openai", 404, f"no route POST {path}"))
        elif not isinstance(body, dict):
            self._send_json(400, error_body(api, 400, "the request body is not a JSON object"))
        else:
            self._answer(api, body)

    def _answer(self, api: Api, body: dict[str, Any]) -> None:
        n, item = self.owner._next()
        reply: Reply | None = item if isinstance(item, Reply) else None
        delay = 0.0
        if isinstance(item, Fault):
            if item.kind == "status":
                headers = (
                    {} if item.retry_after is None else {"Retry-After": f"{item.retry_after:g}"}
                )
                message = item.message or f"injected fault: HTTP {item.status_code}"
                self._send_json(
                    item.status_code, error_body(api, item.status_code, message), headers
                )
                return
            if item.kind == "malformed_json":
                self._send_bytes(200, _MALFORMED, "application/json")
                return
            if item.kind == "raw":
                self._send_bytes(item.status_code, item.body, item.content_type)
                return
            if item.kind == "hang" and self.owner._closing.wait(item.seconds):
                self.close_connection = True
                return
            if item.kind == "slow_stream":
                delay = item.seconds
            reply = item.reply
        if reply is None:
            try:
                reply = self.owner.responder(body)
            except Exception as exc:
                self.owner._error(f"responder failed: {exc!r}")
                self._send_json(500, error_body(api, 500, f"the test responder failed: {exc!r}"))
                return
        if body.get("stream"):
            if api != "openai":
                self._send_json(
                    400, error_body(api, 400, "ModelServer streams chat completions only")
                )
                return
            self._send_events(openai_chunks(reply, body, n), delay)
        elif api == "openai":
            self._send_json(200, openai_completion(reply, body, n), delay=delay)
        else:
            self._send_json(200, anthropic_message(reply, body, n), delay=delay)

    def _send_json(
        self,
        status: int,
        payload: dict[str, Any],
        headers: dict[str, str] | None = None,
        *,
        delay: float = 0.0,
    ) -> None:
        data = json.dumps(payload).encode()
        self._send_bytes(status, data, "application/json", headers, delay=delay)

    def _send_bytes(
        self,
        status: int,
        data: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        *,
        delay: float = 0.0,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not delay:
            self.wfile.write(data)
            return
        quarter = max(1, -(-len(data) // 4))
        for start in range(0, len(data), quarter):
            if self.owner._closing.wait(delay):
                self.close_connection = True
                return
            self.wfile.write(data[start : start + quarter])

    def _send_events(self, events: list[dict[str, Any]], delay: float) -> None:
        """Server-sent events in chunked transfer encoding, ending with `data: [DONE]`."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        frames = [f"data: {json.dumps(e)}\n\n".encode() for e in events] + [b"data: [DONE]\n\n"]
        for frame in frames:
            if delay and self.owner._closing.wait(delay):
                self.close_connection = True
                return
            self.wfile.write(b"%X\r\n%s\r\n" % (len(frame), frame))
        self.wfile.write(b"0\r\n\r\n")
