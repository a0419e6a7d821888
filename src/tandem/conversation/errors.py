from __future__ import annotations

from tandem.core.errors import ConflictError, NotFoundError, PayloadTooLargeError


class ConversationNotFoundError(NotFoundError):
    code = "conversation_not_found"


class ConversationResolvedError(ConflictError):
    code = "conversation_resolved"


class MessageTooLongError(PayloadTooLargeError):
    code = "message_too_long"


class NotOwnerError(ConflictError):
    """The bot (or an agent) tried to write while someone else owns the conversation."""

    code = "not_owner"


class ClientIdTakenError(ConflictError):
    """A client message id already names someone else's message in this conversation."""

    code = "client_message_id_taken"


class FollowUpNotPossibleError(ConflictError):
    """An e-mail follow-up is for a conversation waiting for a person or with one."""

    code = "follow_up_not_possible"


class FollowUpPendingError(ConflictError):
    """Nothing automatic closes a conversation waiting for a person's reply by e-mail."""

    code = "follow_up_pending"
