from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from tandem.core.ids import CustomerId
from tandem.core.text import MAX_ID
from tandem.customers import service
from tandem.customers.schemas import CustomerOut
from tandem.web.deps import ContainerDep, StaffActor
from tandem.web.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1/customers", tags=["customers"], responses=ERROR_RESPONSES)


@router.get("/{customer_id}", response_model=CustomerOut)
async def get_customer(
    customer_id: Annotated[int, Path(ge=1, le=MAX_ID)], container: ContainerDep, actor: StaffActor
) -> CustomerOut:
    async with container.uow(write=False) as uow:
        return await service.access_customer(uow, actor=actor, customer_id=CustomerId(customer_id))
