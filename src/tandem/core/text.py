"""Input text types shared by every schema.

PostgreSQL refuses NUL characters in text columns; a value the database cannot store must be refused at
the edge as a 422, not discovered as a 500 in the middle of a transaction.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

MAX_ID = 2**53 - 1  # JavaScript-safe, and inside every database integer type


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid Unicode text (a lone surrogate)") from None
    return value


CleanStr = Annotated[str, AfterValidator(_no_nul)]
"""A string a database can store: valid Unicode, no NUL characters."""

IdInt = Annotated[int, Field(ge=1, le=MAX_ID)]
"""A database id as accepted from outside."""
