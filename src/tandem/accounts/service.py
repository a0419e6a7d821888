"""Staff accounts and their bearer tokens."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tandem.accounts import repository
from tandem.accounts.actors import Actor, Role
from tandem.accounts.errors import InvalidCredentialsError, InvalidTokenError, StaffExistsError
from tandem.accounts.models import ApiToken, StaffUser
from tandem.accounts.schemas import LoginRequest, StaffCreate, StaffOut, TokenOut
from tandem.core.errors import NotFoundError
from tandem.core.ids import StaffId, new_token
from tandem.core.uow import UnitOfWork

STAFF_TOKEN_PREFIX = "tds_"
_hasher = PasswordHasher()
# Verifying against this keeps the timing of "unknown e-mail" equal to "wrong password".
_DUMMY_HASH = _hasher.hash("tandem-timing-equaliser")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_staff(uow: UnitOfWork, *, actor: Actor, data: StaffCreate) -> StaffOut:
    actor.require_staff(Role.ADMIN)
    return await _insert_staff(uow, data)


async def create_staff_unchecked(uow: UnitOfWork, *, data: StaffCreate) -> StaffOut:
    """For the CLI and demo seeding, which run with the operator's authority."""
    return await _insert_staff(uow, data)


async def _insert_staff(uow: UnitOfWork, data: StaffCreate) -> StaffOut:
    if await repository.get_staff_by_email(uow.session, data.email) is not None:
        raise StaffExistsError(f"A staff account for {data.email} already exists.")
    user = StaffUser(
        email=data.email.lower(),
        name=data.name,
        role=data.role.value,
        password_hash=_hasher.hash(data.password),
        active=True,
        languages=data.languages,
        created_at=uow.clock.now(),
    )
    uow.session.add(user)
    await uow.session.flush()
    return StaffOut.model_validate(user)


async def login(uow: UnitOfWork, *, credentials: LoginRequest, ttl: timedelta) -> TokenOut:
    user = await repository.get_staff_by_email(uow.session, credentials.email)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, credentials.password)
    except (VerificationError, InvalidHashError):
        raise InvalidCredentialsError("E-mail or password is wrong.") from None
    if user is None or not user.active:
        raise InvalidCredentialsError("E-mail or password is wrong.")
    token = STAFF_TOKEN_PREFIX + new_token()
    now = uow.clock.now()
    expires_at = now + ttl
    uow.session.add(
        ApiToken(staff_id=user.id, token_hash=hash_token(token), created_at=now, expires_at=expires_at)
    )
    return TokenOut(access_token=token, expires_at=expires_at, staff=StaffOut.model_validate(user))


async def logout(uow: UnitOfWork, *, token: str) -> None:
    await repository.revoke_token(uow.session, token_hash=hash_token(token), now=uow.clock.now())


async def authenticate_token(uow: UnitOfWork, *, token: str) -> Actor:
    found = await repository.find_live_token(uow.session, hash_token(token), uow.clock.now())
    if found is None:
        raise InvalidTokenError("The access token is unknown, expired or revoked. Log in again.")
    _, user = found
    return Actor.staff(StaffId(user.id), Role(user.role), user.name)


async def get_me(uow: UnitOfWork, *, actor: Actor) -> StaffOut:
    staff_id = actor.require_staff()
    user = await repository.get_staff(uow.session, staff_id) if staff_id is not None else None
    if user is None:
        raise NotFoundError("Your staff account no longer exists.")
    return StaffOut.model_validate(user)


async def list_staff(uow: UnitOfWork, *, actor: Actor) -> list[StaffOut]:
    actor.require_staff(Role.SUPERVISOR)
    return [StaffOut.model_validate(user) for user in await repository.list_staff(uow.session)]


async def deactivate_staff(uow: UnitOfWork, *, actor: Actor, staff_id: StaffId) -> StaffOut:
    """Disabling an account also revokes its tokens: API calls fail at once on this instance (within the
    token cache's 5 s elsewhere) and open sockets close at their next check, within seconds."""
    actor.require_staff(Role.ADMIN)
    user = await repository.get_staff(uow.session, staff_id)
    if user is None:
        raise NotFoundError(f"No staff account with id {staff_id}.")
    user.active = False
    await repository.revoke_tokens(uow.session, staff_id=user.id, now=uow.clock.now())
    return StaffOut.model_validate(user)


async def count_staff(uow: UnitOfWork) -> int:
    return await repository.count_staff(uow.session)


async def get_staff_names(uow: UnitOfWork, staff_ids: set[int]) -> dict[int, str]:
    names = {}
    for staff_id in staff_ids:
        user = await repository.get_staff(uow.session, staff_id)
        if user is not None:
            names[staff_id] = user.name
    return names


async def directory(uow: UnitOfWork) -> list[StaffOut]:
    """Every active staff account, for routing (which checks its own callers)."""
    return [StaffOut.model_validate(user) for user in await repository.list_staff(uow.session) if user.active]
