"""Typed ids: swapping a conversation id for a customer id becomes a type error."""

from __future__ import annotations

import secrets
from typing import NewType

CustomerId = NewType("CustomerId", int)
ConversationId = NewType("ConversationId", int)
MessageId = NewType("MessageId", int)
StaffId = NewType("StaffId", int)
OrderId = NewType("OrderId", int)


def new_token(nbytes: int = 24) -> str:
    """An unguessable, URL-safe bearer token."""
    return secrets.token_urlsafe(nbytes)


def new_request_id() -> str:
    return secrets.token_hex(8)
