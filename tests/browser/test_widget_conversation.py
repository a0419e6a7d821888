"""The chat widget's conversation around the messages, in a real Chromium and in several languages: the
assistant greets when the panel opens (without starting a conversation), "Talk to an agent" is there only
while the assistant has the conversation and a closed chat offers a new one, the queue notice is said once,
dates are written the customer's way, and a message over the limit is refused with the characters over,
never cut."""

from __future__ import annotations

from typing import Any

import httpx
import playwright.async_api as playwright_api
import pytest
from babel.dates import format_date

from conftest import LiveServer
from helpers import bearer, staff_token
from tandem.conversation.service import MessageLimits

expect = playwright_api.expect
OPEN = {
    "en": "Chat with us",
    "es": "Chatea con nosotros",
    "fr": "Discuter avec nous",
    "de": "Chatten Sie mit uns",
}


@pytest.fixture
def backend() -> str:
    return "sqlite"


async def _open(page: Any, live_server: LiveServer, lang: str) -> None:
    await page.goto(f"{live_server.http}/demo/store?lang={lang}")
    await page.get_by_role("button", name=OPEN[lang]).click()


async def _say(page: Any, text: str) -> None:
    box = page.locator("#tandem-input")
    await box.fill(text)
    await box.press("Enter")


async def _conversation_count(client: httpx.AsyncClient, token: str) -> int:
    response = await client.get("/api/v1/conversations", headers=bearer(token))
    assert response.status_code == 200, response.text
    return len(response.json()["items"])


async def test_the_assistant_greets_when_the_panel_opens_without_starting_a_conversation(
    new_page: Any, live_server: LiveServer
) -> None:
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        supervisor = await staff_token(client, "supervisor@tandem.example", online=False)
        for lang, hello, you in (
            ("en", "Hello! I can check an order", "You"),
            ("de", "Hallo! Ich kann", "Sie"),
        ):
            page = await new_page()
            await _open(page, live_server, lang)
            greeting = page.locator(".tw-log .tw-greeting")
            await expect(greeting).to_have_count(1)
            await expect(greeting).to_contain_text(hello)
            assert await page.evaluate("TandemWidget.conversationId()") is None
            assert await _conversation_count(client, supervisor) == 0  # opening the panel stores nothing
            await page.get_by_role("button", name=OPEN[lang]).click()  # closed and opened again: one greeting
            await page.get_by_role("button", name=OPEN[lang]).click()
            await expect(greeting).to_have_count(1)
            await page.close()
        page = await new_page()
        await _open(page, live_server, "en")
        await _say(page, "How long does standard delivery take?")
        await expect(page.locator(".tw-bot")).to_have_count(1)  # the answer, under the greeting
        await expect(page.locator(".tw-log .tw-msg").first).to_contain_text("Hello! I can check an order")
        assert await _conversation_count(client, supervisor) == 1


async def test_talk_to_an_agent_gives_way_to_the_queue_and_a_closed_chat_offers_a_new_one(
    page: Any, live_server: LiveServer
) -> None:
    await _open(page, live_server, "es")
    agent_button = page.get_by_role("button", name="Hablar con un agente")
    await expect(agent_button).to_be_visible()
    await _say(page, "hola")
    await page.locator(".tw-bot").first.wait_for()
    await agent_button.click()
    nobody = page.locator(".tw-system", has_text="no hay nadie de nuestro equipo conectado")
    await expect(nobody).to_have_count(1)
    await expect(agent_button).to_be_hidden()  # a person is on the way
    assert (await page.locator(".tw-panel").inner_text()).count("no hay nadie de nuestro equipo") == 1
    cid = await page.evaluate("TandemWidget.conversationId()")
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        agent = await staff_token(client)
        assert (
            await client.post(f"/api/v1/conversations/{cid}/assign", headers=bearer(agent))
        ).status_code == 200
        await expect(page.locator(".tw-system", has_text="se ha unido a la conversación")).to_have_count(1)
        await expect(agent_button).to_be_hidden()  # a person is here
        assert (
            await client.post(f"/api/v1/conversations/{cid}/close", headers=bearer(agent))
        ).status_code == 200
    new_chat = page.get_by_role("button", name="Empezar una conversación nueva")
    await expect(new_chat).to_be_visible()
    await expect(agent_button).to_be_hidden()
    await new_chat.click()
    await expect(page.locator(".tw-log .tw-msg")).to_have_count(1)  # only the greeting
    await expect(page.locator(".tw-log .tw-greeting")).to_contain_text("¡Hola!")
    await expect(agent_button).to_be_visible()
    await expect(new_chat).to_be_hidden()
    await _say(page, "¿cuánto tarda el envío estándar?")
    await page.locator(".tw-bot").first.wait_for()
    assert await page.evaluate("TandemWidget.conversationId()") not in (None, cid)


async def test_writing_again_in_a_closed_chat_reopens_it(page: Any, live_server: LiveServer) -> None:
    await _open(page, live_server, "en")
    await _say(page, "hello")
    await page.locator(".tw-bot").first.wait_for()
    cid = await page.evaluate("TandemWidget.conversationId()")
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        agent = await staff_token(client)
        await client.post(f"/api/v1/conversations/{cid}/assign", headers=bearer(agent))
        await client.post(f"/api/v1/conversations/{cid}/close", headers=bearer(agent))
        await expect(page.locator(".tw-system", has_text="This conversation is closed")).to_have_count(1)
        await _say(page, "How long does standard delivery take?")
        await expect(page.locator(".tw-system", has_text="the conversation is open again")).to_have_count(1)
        await expect(
            page.locator(".tw-customer:not(.tw-pending)", has_text="standard delivery")
        ).to_have_count(1)
        await expect(page.locator(".tw-pending")).to_have_count(0)
        state = (await client.get(f"/api/v1/conversations/{cid}", headers=bearer(agent))).json()
    assert state["state"] == "bot" and state["episode"] == 2
    await expect(page.get_by_role("button", name="Talk to an agent")).to_be_visible()


async def test_dates_in_the_assistant_answers_are_written_the_customer_way(
    new_page: Any, live_server: LiveServer
) -> None:
    order = await live_server.container.crm.find_order("ORD-10005")
    assert order is not None and order.delivered_on is not None
    for lang, question in (
        ("es", "¿Dónde está mi pedido ORD-10005? Mi correo es lucia@example.net"),
        ("de", "Wo ist meine Bestellung ORD-10005? Meine E-Mail ist lucia@example.net"),
    ):
        page = await new_page()
        await _open(page, live_server, lang)
        await _say(page, question)
        answer = page.locator(".tw-bot").first
        await expect(answer).to_contain_text(format_date(order.delivered_on, format="long", locale=lang))
        assert order.delivered_on.isoformat() not in await answer.inner_text()
        await page.close()


async def test_a_message_over_the_limit_is_refused_with_the_characters_over_never_cut(
    new_page: Any, live_server: LiveServer
) -> None:
    page = await new_page()
    await _open(page, live_server, "en")
    box = page.locator("#tandem-input")
    await box.fill("x" * 10_050)  # the real limit: the browser keeps every character
    assert await box.evaluate("node => node.value.length") == 10_050
    await expect(page.locator(".tw-count")).to_have_text("50 characters too many")
    await box.press("Enter")
    await expect(page.get_by_role("alert").last).to_have_text(
        "Your message is 50 characters too long (the limit is 10,000). Shorten it or send it in several messages."
    )
    assert await box.evaluate("node => node.value.length") == 10_050  # nothing lost
    assert await page.locator(".tw-customer").count() == 0
    assert await page.evaluate("TandemWidget.conversationId()") is None
    await page.close()
    live_server.container.limits = MessageLimits(max_chars=200)  # a deployment with a lower limit
    page = await new_page()
    await _open(page, live_server, "fr")
    box = page.locator("#tandem-input")
    counter = page.locator(".tw-count")
    await box.fill("a" * 150)
    await expect(counter).to_have_text("Encore 50 caractères")
    await box.fill("é" * 205)
    await expect(counter).to_have_text("5 caractères en trop")
    await box.press("Enter")
    await expect(page.get_by_role("alert").last).to_contain_text(
        "Votre message a 5 caractères de trop (maximum 200)"
    )
    await box.fill("bonjour")
    await expect(counter).to_have_text("")
    await expect(page.locator(".tw-alert.tw-foot")).to_have_text("")
    await box.press("Enter")
    await expect(page.locator(".tw-customer:not(.tw-pending)")).to_have_count(1)
