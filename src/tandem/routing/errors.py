from __future__ import annotations

from tandem.core.errors import ConflictError, NotFoundError


class AgentUnavailableError(ConflictError):
    """The agent is offline, away or at capacity."""

    code = "agent_unavailable"


class OfferNotFoundError(NotFoundError):
    code = "offer_not_found"


class NotTransferableError(ConflictError):
    code = "not_transferable"


class OverrideNotAllowedError(ConflictError):
    code = "override_not_allowed"
