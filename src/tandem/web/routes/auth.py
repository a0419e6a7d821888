from __future__ import annotations

from fastapi import APIRouter, status

from tandem.accounts import service
from tandem.accounts.schemas import LoginRequest, StaffCreate, StaffOut, TokenOut
from tandem.web.deps import ContainerDep, Credentials, StaffActor
from tandem.web.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["staff"], responses=ERROR_RESPONSES)


@router.post("/auth/token", response_model=TokenOut)
async def login(data: LoginRequest, container: ContainerDep) -> TokenOut:
    """Exchange a staff e-mail and password for a bearer token."""
    async with container.uow() as uow:
        return await service.login(uow, credentials=data, ttl=container.token_ttl)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(container: ContainerDep, actor: StaffActor, credentials: Credentials) -> None:
    token = credentials.credentials if credentials else ""
    async with container.uow() as uow:
        await service.logout(uow, token=token)
    container.staff_tokens.discard(token)


@router.get("/staff/me", response_model=StaffOut)
async def me(container: ContainerDep, actor: StaffActor) -> StaffOut:
    async with container.uow(write=False) as uow:
        return await service.get_me(uow, actor=actor)


@router.get("/staff", response_model=list[StaffOut])
async def list_staff(container: ContainerDep, actor: StaffActor) -> list[StaffOut]:
    async with container.uow(write=False) as uow:
        return await service.list_staff(uow, actor=actor)


@router.post("/staff", status_code=status.HTTP_201_CREATED, response_model=StaffOut)
async def create_staff(data: StaffCreate, container: ContainerDep, actor: StaffActor) -> StaffOut:
    """Admins only."""
    async with container.uow() as uow:
        return await service.create_staff(uow, actor=actor, data=data)
