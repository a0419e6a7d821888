"""An e-mail follow-up as the customer and the agent see it, in a real Chromium: the customer waiting with
nobody online leaves an address (the form, or written in the chat), is told at once in the chat and by
e-mail, closes the chat and is not abandoned; an agent later sees the address on the conversation, and
the reply reaches the customer by e-mail, threaded under the confirmation, without the internal note.
E-mail goes to the embedded default's outbox directory, which the test reads."""

from __future__ import annotations

import asyncio
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import playwright.async_api as playwright_api
import pytest

from conftest import LiveServer
from helpers import bearer, staff_token
from tandem.conversation.service import customer_presence_channel

expect = playwright_api.expect


@pytest.fixture
def backend() -> str:
    return "sqlite"


def _outbox(live_server: LiveServer) -> list[EmailMessage]:
    directory: Path = live_server.container.settings.mail_outbox_dir
    found = []
    for path in (
        sorted(directory.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if directory.exists() else []
    ):
        parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        found.append(parsed)
    return found


async def _mail(live_server: LiveServer, count: int) -> list[EmailMessage]:
    for _ in range(100):  # the job runs after the commit
        found = _outbox(live_server)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"expected {count} e-mails in the outbox, found {len(_outbox(live_server))}")


def _text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


async def _ask_for_a_person(
    page: Any, live_server: LiveServer, *, lang: str, launcher: str, talk: str
) -> None:
    await page.goto(f"{live_server.http}/demo/store?lang={lang}")
    await page.get_by_role("button", name=launcher).click()
    box = page.locator("#tandem-input")
    await box.fill("hola" if lang == "es" else "hello")
    await box.press("Enter")
    await page.locator(".tw-bot").first.wait_for()
    await page.get_by_role("button", name=talk).click()


async def _customer_gone(live_server: LiveServer, cid: int) -> None:
    channel = customer_presence_channel(cid)
    for _ in range(100):
        if ((await live_server.container.broker.listeners([channel])) or {}).get(channel, 1) == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the customer's socket is still open")


async def test_a_waiting_customer_leaves_an_address_and_gets_the_reply_by_email(
    new_page: Any, live_server: LiveServer
) -> None:
    live_server.container.routing = live_server.container.routing.model_copy(
        update={"abandon_after_seconds": 1}
    )
    customer = await new_page()
    await _ask_for_a_person(customer, live_server, lang="es", launcher="Chatea con nosotros",
                            talk="Hablar con un agente")  # fmt: skip
    address = customer.get_by_label("Tu correo electrónico")
    await expect(customer.get_by_text("¿No puedes esperar? Déjanos tu correo")).to_be_visible()
    await address.fill("ana@")
    await customer.get_by_role("button", name="Responder por correo").click()
    await expect(customer.get_by_role("alert").first).to_have_text(
        "Escribe un correo válido, como nombre@ejemplo.com."
    )
    await address.fill("Ana@Correo.es")
    await customer.get_by_role("button", name="Responder por correo").click()
    told = customer.locator(".tw-system", has_text="enviaremos la respuesta a ana@correo.es")
    await expect(told).to_have_count(1)  # at once, in the chat
    await expect(address).to_be_hidden()
    [confirmation] = await _mail(live_server, 1)  # and by e-mail
    assert confirmation["To"] == "ana@correo.es" and confirmation["Content-Language"] == "es"
    assert "conversación sigue abierta" in _text(confirmation)
    cid = await customer.evaluate("TandemWidget.conversationId()")
    await customer.close()  # the customer leaves
    await _customer_gone(live_server, cid)
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        supervisor = await staff_token(client, "supervisor@tandem.example", online=False)
        for _ in range(15):  # well past abandon_after_seconds, as the ticker would
            await live_server.container.abandon_vanished()
            await asyncio.sleep(0.2)
        seen = (await client.get(f"/api/v1/conversations/{cid}", headers=bearer(supervisor))).json()
        assert seen["state"] == "waiting" and seen["follow_up_email"] == "ana@correo.es"

    agent = await new_page()  # later, someone from the team comes online
    await agent.goto(f"{live_server.http}/console/login")
    await agent.get_by_label("E-mail").fill("alex@tandem.example")
    await agent.get_by_label("Password").fill("tandem-demo")
    await agent.get_by_role("button", name="Sign in").click()
    await expect(agent).to_have_url(f"{live_server.http}/console")
    await agent.get_by_label("Presence").select_option("online")
    await agent.get_by_role("button", name="Accept").click()
    await expect(agent.get_by_role("note")).to_contain_text("Follow-up by e-mail: ana@correo.es")
    reply = agent.get_by_label("Reply to the customer")
    await reply.fill("Internal: customer is a silver member, approve the refund")
    await agent.get_by_label("Private note").check()
    await agent.get_by_role("button", name="Send").click()
    await expect(agent.locator(".msg.private", has_text="approve the refund")).to_have_count(1)
    await agent.get_by_label("Private note").uncheck()
    await reply.fill("Hola Ana, tu reembolso <ORD-10002> ya está en camino.")
    await agent.get_by_role("button", name="Send").click()
    emails = await _mail(live_server, 2)
    answer = emails[-1]
    assert answer["To"] == "ana@correo.es" and answer["Subject"].startswith("Re: ")
    assert answer["In-Reply-To"] == confirmation["Message-ID"]
    assert confirmation["Message-ID"] in answer["References"]
    assert "Alex Rivera, de nuestro equipo, te ha respondido:" in _text(answer)
    assert "tu reembolso <ORD-10002> ya está en camino." in _text(answer)
    html = answer.get_body(("html",))
    assert html is not None and "&lt;ORD-10002&gt;" in html.get_content()
    await asyncio.sleep(0.5)
    assert all("approve the refund" not in _text(m) for m in _outbox(live_server))
    assert len(_outbox(live_server)) == 2


async def test_an_address_written_in_the_chat_while_waiting_is_confirmed(
    page: Any, live_server: LiveServer
) -> None:
    await _ask_for_a_person(page, live_server, lang="en", launcher="Chat with us", talk="Talk to an agent")
    await expect(page.get_by_label("Your e-mail address")).to_be_visible()
    box = page.locator("#tandem-input")
    await box.fill("I can't stay, you can email me at maya.lopez@example.com")
    await box.press("Enter")
    told = page.locator(".tw-system", has_text="we'll send the reply to maya.lopez@example.com")
    await expect(told).to_have_count(1)
    await expect(page.get_by_label("Your e-mail address")).to_be_hidden()
    [confirmation] = await _mail(live_server, 1)
    assert confirmation["To"] == "maya.lopez@example.com" and confirmation["Content-Language"] == "en"
    assert confirmation["Auto-Submitted"] == "auto-generated"
    await page.reload()  # back later: the follow-up is remembered, the form stays away
    await page.get_by_role("button", name="Chat with us").click()
    await expect(told).to_have_count(1)
    await expect(page.get_by_label("Your e-mail address")).to_be_hidden()
