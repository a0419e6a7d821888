from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tandem.core.text import CleanStr


class IdentityKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    EXTERNAL = "external"


class IdentityClaims(BaseModel):
    """What a channel tells us about who is writing."""

    name: CleanStr | None = Field(default=None, max_length=200)
    email: CleanStr | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: CleanStr | None = Field(default=None, max_length=40)
    external_id: CleanStr | None = Field(default=None, max_length=200)

    @field_validator("phone")
    @classmethod
    def _phone_has_digits(cls, value: str | None) -> str | None:
        if value is not None and len(re.sub(r"\D", "", value)) < 5:
            raise ValueError("a phone number needs at least 5 digits")
        return value

    def normalised(self) -> list[tuple[IdentityKind, str]]:
        pairs: list[tuple[IdentityKind, str]] = []
        if self.email:
            pairs.append((IdentityKind.EMAIL, self.email.strip().lower()))
        if self.phone:
            digits = re.sub(r"\D", "", self.phone)
            pairs.append((IdentityKind.PHONE, ("+" if self.phone.strip().startswith("+") else "") + digits))
        if self.external_id:
            pairs.append((IdentityKind.EXTERNAL, self.external_id.strip()))
        return pairs


class IdentityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: IdentityKind
    value: str
    verified: bool


class CustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    display_name: str | None
    locale: str | None
    training_consent: bool | None
    created_at: datetime
    identities: list[IdentityOut] = Field(default_factory=list)
