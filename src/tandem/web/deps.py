"""Request-scoped dependencies: the container and the acting principal.

Two kinds of bearer token exist: staff tokens (``tds_...``, from ``POST /api/v1/auth/token``) and
conversation tokens (``tdc_...``, returned once when a conversation starts, good for that conversation only).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tandem.accounts import service as accounts_service
from tandem.accounts.actors import Actor
from tandem.bootstrap import Container
from tandem.conversation import service as conversation_service
from tandem.core.errors import AuthenticationError
from tandem.core.ids import ConversationId
from tandem.core.text import MAX_ID

bearer = HTTPBearer(
    auto_error=False, description="A staff token (tds_...) or a conversation token (tdc_...)."
)
SESSION_COOKIE = "tandem_staff"
"""The console's session: the staff token in an HttpOnly, SameSite=Strict cookie (set by /console/login)."""
CSRF_HEADER = "x-tandem-console"
"""Cookie-authenticated writes must carry this header: a page on another site can neither send the cookie
(SameSite=Strict) nor this header (CORS allows no such header)."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def session_token(request: Request) -> str | None:
    """The console session's staff token, for reads, and for writes that prove they come from the console."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or not token.startswith(accounts_service.STAFF_TOKEN_PREFIX):
        return None
    if request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != "1":
        return None
    return token


def get_container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


ContainerDep = Annotated[Container, Depends(get_container)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def resolve_actor(container: Container, token: str | None, conversation_id: int | None) -> Actor:
    """The actor behind a bearer token, from a short-lived in-process cache when possible."""
    if not token:
        raise AuthenticationError("Send a bearer token: a staff token or this conversation's token.")
    if token.startswith(accounts_service.STAFF_TOKEN_PREFIX):
        actor = container.staff_tokens.get(token)
        if actor is None:
            async with container.uow(write=False) as uow:
                actor = await accounts_service.authenticate_token(uow, token=token)
            container.staff_tokens.put(token, actor)
        return actor
    if token.startswith(conversation_service.CONVERSATION_TOKEN_PREFIX) and conversation_id is not None:
        actor = container.conversation_tokens.get(token)
        if actor is not None and actor.conversation_id == conversation_id:
            return actor
        async with container.uow(write=False) as uow:  # also decides 404 vs 403 for another conversation
            actor = await conversation_service.authenticate_access_token(
                uow, conversation_id=ConversationId(conversation_id), token=token
            )
        container.conversation_tokens.put(token, actor)
        return actor
    raise AuthenticationError("This token is not valid here.")


async def staff_actor(request: Request, container: ContainerDep, credentials: Credentials) -> Actor:
    token = credentials.credentials if credentials else session_token(request)
    if token and not token.startswith(accounts_service.STAFF_TOKEN_PREFIX):
        raise AuthenticationError("This endpoint needs a staff token.")
    return await resolve_actor(container, token, None)


async def optional_staff_actor(
    request: Request, container: ContainerDep, credentials: Credentials
) -> Actor | None:
    if credentials is None:
        return None
    return await staff_actor(request, container, credentials)


async def conversation_actor(
    request: Request,
    container: ContainerDep,
    credentials: Credentials,
    conversation_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> Actor:
    token = credentials.credentials if credentials else session_token(request)
    return await resolve_actor(container, token, conversation_id)


StaffActor = Annotated[Actor, Depends(staff_actor)]
OptionalStaffActor = Annotated[Actor | None, Depends(optional_staff_actor)]
ConversationActor = Annotated[Actor, Depends(conversation_actor)]
