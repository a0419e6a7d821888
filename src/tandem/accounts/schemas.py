from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from tandem.accounts.actors import Role
from tandem.core.text import CleanStr


class StaffCreate(BaseModel):
    email: CleanStr = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    name: CleanStr = Field(min_length=1, max_length=200)
    role: Role = Role.AGENT
    password: CleanStr = Field(min_length=8, max_length=200)
    languages: list[CleanStr] = Field(default_factory=lambda: ["en"], max_length=20)


class StaffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    role: Role
    active: bool
    languages: list[str]


class LoginRequest(BaseModel):
    email: CleanStr = Field(min_length=3, max_length=320)
    password: CleanStr = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    staff: StaffOut
