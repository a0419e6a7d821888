"""The customer chat widget in a real headless Chromium (Debian's, driven by Playwright), against a real
uvicorn server over the demo store: answers with their article, "Talk to an agent" with the live place in
the queue, HTML shown as text, a dropped socket that loses nothing, keyboard use and phone width."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import playwright.async_api as playwright_api
import pytest

from conftest import LiveServer
from helpers import bearer, staff_token


@pytest.fixture
def backend() -> str:
    """The pages do not care which database is behind the API; one is enough for the browser."""
    return "sqlite"


async def _open_chat(page: Any, live_server: LiveServer, lang: str = "en") -> None:
    await page.goto(f"{live_server.http}/demo/store?lang={lang}")
    await page.get_by_role("button", name=_OPEN[lang]).click()


_OPEN = {
    "en": "Chat with us",
    "es": "Chatea con nosotros",
    "fr": "Discuter avec nous",
    "de": "Chatten Sie mit uns",
}


async def _say(page: Any, text: str) -> None:
    box = page.locator("#tandem-input")
    await box.fill(text)
    await box.press("Enter")


async def test_a_question_is_answered_with_its_article(page: Any, live_server: LiveServer) -> None:
    await _open_chat(page, live_server)
    await _say(page, "How long does standard delivery take?")
    answer = page.locator(".tw-bot").last
    await answer.wait_for()
    assert "help article" in (await answer.inner_text())
    assert await page.locator(".tw-customer").count() == 1  # the pending echo was replaced, not doubled


async def test_talk_to_an_agent_shows_the_place_in_the_queue_live(page: Any, live_server: LiveServer) -> None:
    await _open_chat(page, live_server)
    await _say(page, "hello")
    await page.locator(".tw-bot").first.wait_for()
    await page.get_by_role("button", name="Talk to an agent").click()
    status = page.get_by_role("status")
    nobody = page.locator(".tw-system", has_text="Nobody from our team is online")
    await playwright_api.expect(nobody).to_have_count(1)
    told = page.locator(".tw-system", has_text="You don't need to repeat anything")
    await playwright_api.expect(told).to_have_count(1)
    # said once: the status line does not repeat the notice the transcript already shows
    assert (await page.locator(".tw-panel").inner_text()).count("Nobody from our team is online") == 1
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        await staff_token(client, "priya@tandem.example")  # an agent comes online
    await playwright_api.expect(status).to_contain_text("You're next")


async def test_html_from_a_customer_is_shown_as_text(page: Any, live_server: LiveServer) -> None:
    await _open_chat(page, live_server)
    attack = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> <b>hello</b>'
    await _say(page, attack)
    mine = page.locator(".tw-customer:not(.tw-pending)").last
    await mine.wait_for()
    assert attack in await mine.inner_text()
    assert await page.locator(".tw-log img, .tw-log script, .tw-log b").count() == 0
    assert await page.evaluate("window.__pwned") is None


async def test_a_dropped_connection_loses_and_repeats_nothing(page: Any, live_server: LiveServer) -> None:
    await _open_chat(page, live_server)
    await _say(page, "hello")
    await page.locator(".tw-bot").first.wait_for()
    cid = await page.evaluate("TandemWidget.conversationId()")
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        agent = await staff_token(client)
        taken = await client.post(f"/api/v1/conversations/{cid}/assign", headers=bearer(agent))
        assert taken.status_code == 200, taken.text
        await page.evaluate("TandemWidget.dropConnection()")
        for index in range(5):
            posted = await client.post(
                f"/api/v1/conversations/{cid}/messages",
                headers=bearer(agent),
                json={"body": f"update {index}"},
            )
            assert posted.status_code == 201, posted.text
    agent_lines = page.locator(".tw-agent")
    await playwright_api.expect(agent_lines).to_have_count(5)
    texts = await agent_lines.all_inner_texts()
    assert [text.splitlines()[-1] for text in texts] == [f"update {i}" for i in range(5)]
    seqs = await page.eval_on_selector_all("[data-seq]", "nodes => nodes.map(n => Number(n.dataset.seq))")
    assert seqs == sorted(set(seqs))


async def test_keyboard_only_and_phone_width(page: Any, live_server: LiveServer) -> None:
    await page.set_viewport_size({"width": 375, "height": 700})
    await page.goto(f"{live_server.http}/demo/store?lang=de")
    launcher = page.get_by_role("button", name="Chatten Sie mit uns")
    await launcher.focus()
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "tandem-input"
    box = await page.get_by_role("dialog").bounding_box()
    assert box is not None and box["width"] == 375
    assert await page.get_by_role("button", name="Mit einem Mitarbeiter sprechen").is_visible()
    await page.keyboard.press("Escape")
    assert await launcher.get_attribute("aria-expanded") == "false"


async def test_the_customer_rates_the_conversation_when_it_is_closed(
    page: Any, live_server: LiveServer
) -> None:
    await _open_chat(page, live_server, lang="fr")
    await _say(page, "bonjour")
    await page.locator(".tw-bot").first.wait_for()
    cid = await page.evaluate("TandemWidget.conversationId()")
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        agent = await staff_token(client)
        await client.post(f"/api/v1/conversations/{cid}/assign", headers=bearer(agent))
        closed = await client.post(f"/api/v1/conversations/{cid}/close", headers=bearer(agent))
        assert closed.status_code == 200, closed.text
        await page.get_by_role("button", name="4 sur 5").click()
        await page.get_by_label("Quelque chose à ajouter ? (facultatif)").fill("rapide et clair")
        await page.get_by_role("button", name="Envoyer la note").click()
        await playwright_api.expect(page.get_by_role("status")).to_contain_text("Merci pour votre avis")
        outcome = (await client.get(f"/api/v1/conversations/{cid}/outcome", headers=bearer(agent))).json()
    assert outcome["csat"] == 4 and outcome["rating_comment"] == "rapide et clair"


async def test_a_frustrated_customer_is_handed_to_a_person_without_asking(
    page: Any, live_server: LiveServer
) -> None:
    await _open_chat(page, live_server)
    await _say(page, "This is RIDICULOUS!!! I have explained this three times and nobody helps me!!!")
    told = page.locator(".tw-system", has_text="I'm bringing in a person")
    await playwright_api.expect(told).to_have_count(1)
    nobody = page.locator(".tw-system", has_text="Nobody from our team is online")
    await playwright_api.expect(nobody).to_have_count(1)


async def test_a_customer_who_closes_the_chat_while_waiting_has_left_the_queue(
    new_page: Any, live_server: LiveServer
) -> None:
    live_server.container.routing = live_server.container.routing.model_copy(
        update={"abandon_after_seconds": 1}
    )
    page = await new_page()
    await _open_chat(page, live_server)
    await _say(page, "hello")
    await page.locator(".tw-bot").first.wait_for()
    await page.get_by_role("button", name="Talk to an agent").click()
    nobody = page.locator(".tw-system", has_text="Nobody from our team is online")
    await playwright_api.expect(nobody).to_have_count(1)
    cid = await page.evaluate("window.TandemWidget.conversationId()")
    async with httpx.AsyncClient(base_url=live_server.http) as client:
        token = await staff_token(client, "supervisor@tandem.example", online=False)

        async def state() -> str:
            response = await client.get(f"/api/v1/conversations/{cid}", headers=bearer(token))
            return str(response.json()["state"])

        for _ in range(10):  # the open chat is seen
            await live_server.container.abandon_vanished()
            await asyncio.sleep(0.2)
        assert await state() == "waiting", "a customer with the chat open stays in the queue"
        await page.close()
        for _ in range(50):
            await live_server.container.abandon_vanished()  # as the ticker does every 2 s
            if await state() == "resolved":
                break
            await asyncio.sleep(0.2)
        assert await state() == "resolved"
        outcome = (await client.get(f"/api/v1/conversations/{cid}/outcome", headers=bearer(token))).json()
        assert outcome["resolved_by"] == "abandoned"
