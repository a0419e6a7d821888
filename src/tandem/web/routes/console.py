"""The staff console's pages and its session cookie. The pages are shells; everything they show comes from
the API, which checks every call. No console page is served without a valid session."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse

from tandem.accounts import service as accounts_service
from tandem.accounts.actors import Role
from tandem.accounts.schemas import LoginRequest, StaffOut
from tandem.core.errors import AuthenticationError, PermissionDeniedError
from tandem.web.deps import CSRF_HEADER, SESSION_COOKIE, ContainerDep, resolve_actor
from tandem.web.errors import ERROR_RESPONSES
from tandem.web.ui.pages import console_page, login_page

router = APIRouter(tags=["console"], responses=ERROR_RESPONSES)


@router.get("/console/login", response_class=HTMLResponse, include_in_schema=False)
async def login_form() -> HTMLResponse:
    return HTMLResponse(login_page())


@router.post("/console/login", response_model=StaffOut)
async def login(
    data: LoginRequest, request: Request, response: Response, container: ContainerDep
) -> StaffOut:
    """Sign in to the console: the session is an HttpOnly, SameSite=Strict cookie that expires with the
    token (``TANDEM_TOKEN_TTL_HOURS``)."""
    async with container.uow() as uow:
        token = await accounts_service.login(uow, credentials=data, ttl=container.token_ttl)
    response.set_cookie(
        SESSION_COOKIE,
        token.access_token,
        max_age=int(container.token_ttl.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return token.staff


@router.post("/console/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, response: Response, container: ContainerDep) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token and request.headers.get(CSRF_HEADER) == "1":
        async with container.uow() as uow:
            await accounts_service.logout(uow, token=token)
        container.staff_tokens.discard(token)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/console", response_class=HTMLResponse, include_in_schema=False)
async def console(request: Request, container: ContainerDep) -> Response:
    try:
        actor = await resolve_actor(container, request.cookies.get(SESSION_COOKIE), None)
        actor.require_staff()
    except (AuthenticationError, PermissionDeniedError):
        return RedirectResponse("/console/login", status_code=status.HTTP_303_SEE_OTHER)
    return HTMLResponse(console_page(), headers={"Cache-Control": "no-store"})


@router.get("/console/supervisor", response_class=HTMLResponse, include_in_schema=False)
async def supervisor(request: Request, container: ContainerDep) -> Response:
    """Live queues, agents and conversations at risk; supervisors and admins only."""
    return await _supervisor_page(
        request, container, console_page(script="supervisor.js", title="Supervisor")
    )


@router.get("/console/analytics", response_class=HTMLResponse, include_in_schema=False)
async def analytics(request: Request, container: ContainerDep) -> Response:
    """The analytics dashboard (charts by Chart.js, vendored); supervisors and admins only."""
    page = console_page(script="analytics.js", title="Analytics", libraries=("chart.umd.min.js",))
    return await _supervisor_page(request, container, page)


@router.get("/console/wfm", response_class=HTMLResponse, include_in_schema=False)
async def workforce(request: Request, container: ContainerDep) -> Response:
    """The workforce plan (forecast, staffing, shifts, the bot's what-if); supervisors and admins only."""
    page = console_page(script="wfm.js", title="Workforce plan", libraries=("chart.umd.min.js",))
    return await _supervisor_page(request, container, page)


async def _supervisor_page(request: Request, container: ContainerDep, page: str) -> Response:
    try:
        actor = await resolve_actor(container, request.cookies.get(SESSION_COOKIE), None)
    except AuthenticationError:
        return RedirectResponse("/console/login", status_code=status.HTTP_303_SEE_OTHER)
    try:
        actor.require_staff(Role.SUPERVISOR)
    except PermissionDeniedError as exc:
        return HTMLResponse(
            f"<!doctype html><title>Not allowed</title><p>{escape(exc.detail)}</p>", status_code=403
        )
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})
