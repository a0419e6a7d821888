"""HTTP status is decided once, here, from the domain error's family. Bodies are always
``{"code", "detail", "request_id"}``; a 500 never carries a stack trace or SQL."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
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


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
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
        return _json(exc.status_code, error_body(HTTP_CODES.get(exc.status_code, "http_error"), detail), exc.headers)

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeoutError)
    @app.exception_handler(OSError)
    async def _unavailable(_request: Request, exc: Exception) -> JSONResponse:
        log.warning("database_unavailable", error=type(exc).__name__)
        return _json(
            503,
            error_body("service_unavailable", "The database is not reachable right now. Retry in a few seconds."),
            {"Retry-After": "2"},
        )

    @app.exception_handler(DBAPIError)
    async def _dbapi(_request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            return await _unavailable(_request, exc)
        log.error("database_error", error=type(exc.orig).__name__ if exc.orig else type(exc).__name__)
        return _json(500, error_body("internal_error", "Something went wrong on our side. It has been logged."))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled_error", error=type(exc).__name__, exc_info=exc)
        return _json(500, error_body("internal_error", "Something went wrong on our side. It has been logged."))
