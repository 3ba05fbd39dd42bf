"""`frontdesk serve` redacts its logs: an identifier in a request line or in a log message from
the app never reaches the process's output."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from frontdesk.config import Settings
from frontdesk.server.app import redact_logs
from frontdesk.telemetry import RedactingFilter

from .test_restart import Served

pytestmark = pytest.mark.slow


def test_a_phone_number_in_a_url_is_redacted_in_the_access_log(tmp_path: Path) -> None:
    served = Served(tmp_path, env={"FRONTDESK_LOG_LEVEL": "info"})  # access lines are info
    try:
        response = httpx.get(served.url + "/v1/conversations/call-me-on-(303)555-0142")
        assert response.status_code == 401  # no key: still logged by uvicorn's access log
        httpx.get(served.url + "/healthz")
    finally:
        served.stop()
    output = Path(served.log.name).read_text()
    assert "Logging error" not in output  # uvicorn's access formatter still gets its arguments
    assert '"GET /healthz HTTP/1.1" 200' in output
    assert '"GET /v1/conversations/call-me-on-' in output  # the line is there, redacted
    assert "555-0142" not in output


def test_redact_logs_covers_the_root_and_uvicorn_handlers() -> None:
    import uvicorn

    root = logging.getLogger()
    before = list(root.handlers)
    uvicorn.Config("frontdesk.server.app:create_app", log_level="warning")  # its log handlers
    try:
        redact_logs(Settings())
        for name in ("", "uvicorn", "uvicorn.access"):
            handlers = logging.getLogger(name).handlers
            assert handlers
            assert all(any(isinstance(f, RedactingFilter) for f in h.filters) for h in handlers), (
                name
            )
    finally:
        for handler in root.handlers:
            if handler not in before:
                root.removeHandler(handler)
        for name in ("uvicorn", "uvicorn.access"):
            for handler in logging.getLogger(name).handlers:
                handler.filters = [f for f in handler.filters if not isinstance(f, RedactingFilter)]
