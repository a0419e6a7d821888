"""HTTP status is decided once, here, from the domain error's family. Bodies are always
``{"code", "detail", "request_id"}``. Anything unexpected is answered by ``RequestContextMiddleware`` with a
generic 500 that carries the request id, never a stack trace or SQL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tandem.core.errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    ServiceUnavailableError,
    TandemError,
)
from tandem.core.observability import request_id_var

log = structlog.get_logger(__name__)


class FieldError(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    """Every error response has this shape."""

    code: str = Field(description="Stable, machine-readable, e.g. conversation_resolved.")
    detail: str = Field(description="What went wrong and what to do instead, for a person.")
    request_id: str | None = Field(description="Quote it when reporting a problem; it is on every log line.")
    errors: list[FieldError] | None = Field(default=None, description="Per-field problems (422 only).")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No valid token."},
    403: {"model": ErrorBody, "description": "The token may not do this."},
    404: {"model": ErrorBody, "description": "Unknown id."},
    409: {"model": ErrorBody, "description": "Not possible in the conversation's current state."},
    413: {"model": ErrorBody, "description": "Message or body too large."},
    422: {"model": ErrorBody, "description": "The request is not valid."},
    503: {"model": ErrorBody, "description": "The database is unreachable; retry."},
}

STATUS_BY_FAMILY: tuple[tuple[type[TandemError], int], ...] = (
    (NotFoundError, 404),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (ConflictError, 409),
    (PayloadTooLargeError, 413),
    (InvalidInputError, 422),
    (ServiceUnavailableError, 503),
    (ConfigurationError, 500),
)

HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def status_for(error: TandemError) -> int:
    for family, status in STATUS_BY_FAMILY:
        if isinstance(error, family):
            return status
    return 400


def error_body(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "detail": detail, "request_id": request_id_var.get(), **extra}


def _json(status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content=body, headers=headers)


def _describe(error: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body",))
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    return f"{location}: {message}" if location else message


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TandemError)
    async def _domain(_request: Request, exc: TandemError) -> JSONResponse:
        status = status_for(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return _json(status, error_body(exc.code, exc.detail), headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "message": _describe(e)}
            for e in exc.errors()
        ]
        detail = "; ".join(item["message"] for item in errors[:5]) or "The request is not valid."
        return _json(422, error_body("invalid_request", detail, errors=errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "The request could not be served."
        return _json(
            exc.status_code, error_body(HTTP_CODES.get(exc.status_code, "http_error"), detail), exc.headers
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(PoolTimeoutError)
    @app.exception_handler(OSError)
    async def _unavailable(_request: Request, exc: Exception) -> JSONResponse:
        log.warning("database_unavailable", error=type(exc).__name__)
        return _json(
            503,
            error_body(
                "service_unavailable", "The database is not reachable right now. Retry in a few seconds."
            ),
            {"Retry-After": "2"},
        )

    @app.exception_handler(IntegrityError)
    async def _clash(_request: Request, exc: IntegrityError) -> JSONResponse:
        # Two requests created the same thing at the same moment; nothing was stored by this one.
        log.warning("write_conflict", error=type(exc.orig).__name__ if exc.orig else "IntegrityError")
        return _json(
            409,
            error_body("write_conflict", "Another request changed the same data at the same time. Retry."),
        )

    @app.exception_handler(DataError)
    async def _unstorable(_request: Request, exc: DataError) -> JSONResponse:
        # Validation should have caught it; the database is the last check, and still the caller's fault.
        log.warning("database_refused_value", error=type(exc.orig).__name__ if exc.orig else "DataError")
        return _json(
            422, error_body("invalid_value", "A value in the request cannot be stored. Check its format.")
        )
