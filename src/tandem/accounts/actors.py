"""Who is acting. Every service call takes an ``Actor`` and checks it; nothing trusts the caller's word
about roles or conversations."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tandem.core.errors import PermissionDeniedError
from tandem.core.ids import ConversationId, CustomerId, StaffId


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return {"agent": 1, "supervisor": 2, "admin": 3}[self.value]


class ActorKind(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    BOT = "bot"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    staff_id: StaffId | None = None
    role: Role | None = None
    name: str | None = None
    conversation_id: ConversationId | None = None
    customer_id: CustomerId | None = None

    @classmethod
    def staff(cls, staff_id: StaffId, role: Role, name: str | None = None) -> Actor:
        return cls(ActorKind.STAFF, staff_id=staff_id, role=role, name=name)

    @classmethod
    def customer(cls, conversation_id: ConversationId, customer_id: CustomerId) -> Actor:
        return cls(ActorKind.CUSTOMER, conversation_id=conversation_id, customer_id=customer_id)

    @classmethod
    def bot(cls) -> Actor:
        return cls(ActorKind.BOT, name="Tandem assistant")

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorKind.SYSTEM, name="system")

    @property
    def is_staff(self) -> bool:
        return self.kind is ActorKind.STAFF

    @property
    def is_customer(self) -> bool:
        return self.kind is ActorKind.CUSTOMER

    def require_staff(self, minimum: Role = Role.AGENT) -> StaffId | None:
        """The staff id of the caller; ``None`` for the system (the operator's CLI, jobs), which may do
        anything staff may."""
        if self.kind is ActorKind.SYSTEM:
            return None
        if not self.is_staff or self.role is None or self.staff_id is None:
            raise PermissionDeniedError("This action is for staff only.")
        if self.role.rank < minimum.rank:
            raise PermissionDeniedError(f"This action needs the {minimum.value} role or higher.")
        return self.staff_id

    def require_conversation(self, conversation_id: ConversationId) -> None:
        """Staff may act on any conversation; a customer only on the one their token belongs to."""
        if self.is_staff or self.kind in (ActorKind.BOT, ActorKind.SYSTEM):
            return
        if self.conversation_id != conversation_id:
            raise PermissionDeniedError("This conversation token belongs to another conversation.")
