"""What the chat widget needs before a conversation exists: the assistant's greeting in the visitor's
language and the message length limit. Public (the widget runs on the shop's pages) and read-only: opening
the panel starts nothing on the server."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from tandem.bot import service as bot_service
from tandem.conversation.schemas import LOCALE_PATTERN, WidgetConfig
from tandem.web.deps import ContainerDep
from tandem.web.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1/widget", tags=["widget"], responses=ERROR_RESPONSES)


@router.get("/config", response_model=WidgetConfig)
async def widget_config(
    container: ContainerDep,
    response: Response,
    locale: Annotated[str, Query(pattern=LOCALE_PATTERN, description="The visitor's language.")] = "en",
) -> WidgetConfig:
    response.headers["Cache-Control"] = "public, max-age=300"
    return WidgetConfig(
        locale=locale,
        greeting=bot_service.greeting(locale=locale),
        max_message_chars=container.limits.max_chars,
    )
