"""Input text types shared by every schema.

PostgreSQL refuses NUL characters in text columns; a value the database cannot store must be refused at
the edge as a 422, not discovered as a 500 in the middle of a transaction.
"""

from __future__ import annotations

import re
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


EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$"
"""What an e-mail field accepts (one address, nothing around it)."""
_EMAIL_IN_TEXT = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b")


def find_email_address(text: str) -> str | None:
    """The first e-mail address written in a message ("you can reach me at maya@example.com."), lower-case."""
    found = _EMAIL_IN_TEXT.search(text)
    return found.group(0).strip(".").lower() if found else None
