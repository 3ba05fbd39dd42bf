"""Errors as JSON: every error response is `{"error": {"type": ..., "message": ...}}`.

    FrontdeskError subclass        status  type
    InvalidInput                   422     invalid_input
    NotFound                       404     not_found
    ConversationBusy, LeaseLost    409     conversation_busy
    EscalationConflict             409     escalation_conflict
    BudgetExceeded/LimitExceeded   429     limit_exceeded
    ModelError                     502     model_error
    StoreError                     503     store_unavailable
    ConfigError                    500     config_error

Request validation (a malformed body, a missing field) is 422 `invalid_request`; an unknown
route 404, a wrong method 405; anything unexpected 500 `internal_error` (logged, message
generic: no internals leak to the caller).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from frontdesk.errors import (
    ConfigError,
    ConversationBusy,
    EscalationConflict,
    FrontdeskError,
    InvalidInput,
    LimitExceeded,
    ModelError,
    NotFound,
    StoreError,
)

log = logging.getLogger("frontdesk.server")

# most specific first: the first class the error is an instance of decides
_STATUS: tuple[tuple[type[FrontdeskError], int, str], ...] = (
    (InvalidInput, 422, "invalid_input"),
    (NotFound, 404, "not_found"),
    (ConversationBusy, 409, "conversation_busy"),
    (EscalationConflict, 409, "escalation_conflict"),
    (LimitExceeded, 429, "limit_exceeded"),
    (ModelError, 502, "model_error"),
    (StoreError, 503, "store_unavailable"),
    (ConfigError, 500, "config_error"),
)

_HTTP_TYPES: Mapping[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


class ApiError(Exception):
    """An error the API answers with `status` and `{"error": {"type", "message"}}`."""

    def __init__(
        self,
        status: int,
        type_: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.headers = dict(headers or {})


def error_body(type_: str, message: str) -> dict[str, Any]:
    return {"error": {"type": type_, "message": message}}


def error_response(
    status: int, type_: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(type_, message), status_code=status, headers=dict(headers or {}))


def status_of(exc: FrontdeskError) -> tuple[int, str]:
    """The HTTP status and error type of a library error."""
    for cls, status, type_ in _STATUS:
        if isinstance(exc, cls):
            return status, type_
    return 500, "internal_error"


def _describe(errors: Any) -> str:
    parts = []
    for error in errors:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is invalid"


def install_error_handlers(api: FastAPI) -> None:
    """Answer every error with the JSON error object."""

    async def on_api_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.type, exc.message, exc.headers)

    async def on_frontdesk_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, FrontdeskError)
        status, type_ = status_of(exc)
        if status >= 500:
            log.error("request failed: %s: %s", type(exc).__name__, exc)
        return error_response(status, type_, str(exc) or type(exc).__name__)

    async def on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(422, "invalid_request", _describe(exc.errors()))

    async def on_http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        type_ = _HTTP_TYPES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, type_, str(exc.detail), exc.headers)

    async def on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return error_response(500, "internal_error", "internal error; see the server log")

    api.add_exception_handler(ApiError, on_api_error)
    api.add_exception_handler(FrontdeskError, on_frontdesk_error)
    api.add_exception_handler(RequestValidationError, on_validation_error)
    api.add_exception_handler(StarletteHTTPException, on_http_error)
    api.add_exception_handler(Exception, on_unexpected)
