"""Domain errors with stable codes. The web layer maps each family to one HTTP status; the CLI prints
the same message and exits 2."""

from __future__ import annotations

from typing import Any


class TandemError(Exception):
    """Base of every error a user can cause. ``code`` is stable and machine-readable."""

    code = "error"

    def __init__(self, detail: str, **context: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.context = context


class NotFoundError(TandemError):
    code = "not_found"


class AuthenticationError(TandemError):
    code = "not_authenticated"


class PermissionDeniedError(TandemError):
    code = "forbidden"


class ConflictError(TandemError):
    code = "conflict"


class InvalidInputError(TandemError):
    code = "invalid_input"


class PayloadTooLargeError(TandemError):
    code = "payload_too_large"


class ServiceUnavailableError(TandemError):
    code = "service_unavailable"


class ConfigurationError(TandemError):
    code = "configuration_error"
