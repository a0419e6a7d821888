from __future__ import annotations

from tandem.core.errors import AuthenticationError, ConflictError


class InvalidCredentialsError(AuthenticationError):
    code = "invalid_credentials"


class InvalidTokenError(AuthenticationError):
    code = "invalid_token"


class StaffExistsError(ConflictError):
    code = "staff_exists"
