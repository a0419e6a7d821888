"""The agent console in a real Chromium: no page without signing in; a customer asks for a person in the
widget, an agent signs in, goes online, accepts the offer, reads the handoff summary, sends the suggested
reply, and the customer sees it live; customer text with HTML in it is text in the console."""

from __future__ import annotations

import re
from typing import Any

import playwright.async_api as playwright_api
import pytest

from conftest import LiveServer


@pytest.fixture
def backend() -> str:
    """The pages do not care which database is behind the API; one is enough for the browser."""
    return "sqlite"


expect = playwright_api.expect


async def _customer_asks_for_a_person(page: Any, live_server: LiveServer, text: str) -> None:
    await page.goto(f"{live_server.http}/demo/store")
    await page.get_by_role("button", name="Chat with us").click()
    box = page.locator("#tandem-input")
    await box.fill(text)
    await box.press("Enter")
    await page.locator(".tw-bot, .tw-system:not(.tw-typing)").first.wait_for()
    ask = page.get_by_role("button", name="Talk to an agent")
    if await ask.is_visible():  # hidden when the bot already brought in a person (an upset customer)
        await ask.click()
    await expect(page.locator(".tw-system", has_text="Nobody from our team is online")).to_have_count(1)


async def _sign_in(page: Any, live_server: LiveServer, email: str = "alex@tandem.example") -> None:
    await page.goto(f"{live_server.http}/console")
    await expect(page).to_have_url(f"{live_server.http}/console/login")  # nothing without signing in
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Password").fill("tandem-demo")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{live_server.http}/console")
    await page.get_by_label("Presence").select_option("online")


async def test_a_wrong_password_is_refused_in_plain_words(page: Any, live_server: LiveServer) -> None:
    await page.goto(f"{live_server.http}/console/login")
    await page.get_by_label("E-mail").fill("alex@tandem.example")
    await page.get_by_label("Password").fill("wrong")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("E-mail or password is wrong")


async def test_an_agent_answers_a_handoff_and_the_customer_sees_it_live(
    new_page: Any, live_server: LiveServer
) -> None:
    customer = await new_page()
    await _customer_asks_for_a_person(customer, live_server, "where is my order ORD-10002?")
    agent = await new_page()
    await _sign_in(agent, live_server)
    accept = agent.get_by_role("button", name="Accept")
    await accept.click()
    summary = agent.get_by_label("Handoff summary")
    await expect(summary).to_contain_text("Handoff:")
    await expect(summary).to_contain_text("Suggested first reply")
    await agent.get_by_role("button", name="Bot failed here").first.click()  # teach the bot from this case
    await agent.get_by_label("Right intent").first.fill("order_status")
    await agent.get_by_role("button", name="Save").first.click()
    await expect(agent.get_by_role("status")).to_contain_text("the bot will learn from it")
    suggestions = agent.get_by_role("list", name="Suggested replies")
    await expect(suggestions.get_by_role("button", name="Use").first).to_be_visible()  # the assist panel
    articles = agent.get_by_role("list", name="Articles")
    await articles.locator("summary").first.click()  # an article opens in place
    await expect(articles.get_by_role("button", name="Insert").first).to_be_visible()
    assert len(await articles.locator(".article-body").first.inner_text()) > 40
    await agent.get_by_role("button", name="Insert suggested reply").click()
    suggestion = await agent.get_by_label("Reply to the customer").input_value()
    assert suggestion.startswith("Hi")
    await agent.get_by_role("button", name="Send").click()
    joined = customer.locator(".tw-agent")
    await expect(joined).to_have_count(1)
    assert suggestion in await joined.inner_text()
    assert await customer.locator(".tw-log").get_by_text("Handoff:").count() == 0  # the note stays private


async def test_customer_html_is_text_in_the_console(new_page: Any, live_server: LiveServer) -> None:
    customer = await new_page()
    attack = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>help'
    await _customer_asks_for_a_person(customer, live_server, attack)
    agent = await new_page()
    await _sign_in(agent, live_server)
    await agent.get_by_role("button", name="Accept").click()
    transcript = agent.get_by_role("log", name="Transcript")
    await expect(transcript).to_contain_text(attack)
    assert await agent.locator(".transcript img, .transcript script").count() == 0
    assert await agent.evaluate("window.__pwned") is None


async def test_a_supervisor_sees_the_floor_and_takes_over_a_late_conversation(
    new_page: Any, live_server: LiveServer
) -> None:
    customer = await new_page()
    await _customer_asks_for_a_person(customer, live_server, "my parcel never arrived")
    live_server.container.routing = live_server.container.routing.model_copy(
        update={"sla": live_server.container.routing.sla.model_copy(update={"first_response_seconds": 1})}
    )  # the first-response target passes at once: the conversation is at risk
    agent = await new_page()
    await _sign_in(agent, live_server, "alex@tandem.example")
    supervisor = await new_page()
    await _sign_in(supervisor, live_server, "supervisor@tandem.example")
    await supervisor.get_by_role("link", name="Supervisor view").click()
    await expect(supervisor.get_by_role("table", name="Agents")).to_contain_text("Alex Rivera")
    await expect(supervisor.get_by_role("table", name="Queues")).to_contain_text("general")
    at_risk = supervisor.get_by_role("table", name="At risk")
    await expect(at_risk).to_contain_text("first response")
    await at_risk.get_by_role("button", name="Take over #").first.click()
    await expect(supervisor).to_have_url(re.compile(rf"{live_server.http}/console#c=\d+$"))
    await expect(supervisor.get_by_label("Handoff summary")).to_contain_text("Handoff:")
    await expect(customer.locator(".tw-system", has_text="Sam Supervisor")).to_have_count(1)


async def test_an_agent_cannot_open_the_supervisor_view(page: Any, live_server: LiveServer) -> None:
    await _sign_in(page, live_server)
    response = await page.goto(f"{live_server.http}/console/supervisor")
    assert response is not None and response.status == 403


async def test_an_agent_tags_the_reason_and_transfers_to_a_colleague(
    new_page: Any, live_server: LiveServer
) -> None:
    customer = await new_page()
    await _customer_asks_for_a_person(customer, live_server, "I need an exception to the return policy")
    agent = await new_page()
    await _sign_in(agent, live_server)
    await agent.get_by_role("button", name="Accept").click()
    colleague = await new_page()
    await _sign_in(colleague, live_server, "priya@tandem.example")
    await agent.get_by_label("Transfer to").focus()  # the list is read again when opened
    await expect(agent.get_by_label("Transfer to")).to_contain_text("Priya Nair")
    await agent.get_by_label("Escalation reason").select_option("policy_exception")
    await expect(agent.get_by_role("status")).to_contain_text("Reason saved")
    await agent.get_by_label("Reason or disposition").fill("goodwill refund needs Priya")
    await agent.get_by_label("Transfer to").select_option(label="Priya Nair (0/3)")
    await expect(agent.get_by_role("status")).to_contain_text("Transferred")
    await expect(colleague.get_by_role("list").get_by_role("button", name="#")).to_have_count(1)


async def test_lists_show_mood_and_wait_and_the_keyboard_does_the_frequent_things(
    new_page: Any, live_server: LiveServer
) -> None:
    customer = await new_page()
    await _customer_asks_for_a_person(
        customer, live_server, "THIS IS RIDICULOUS, I have explained it three times already!!!"
    )
    agent = await new_page()
    await _sign_in(agent, live_server)
    offered = agent.get_by_role("button", name="Accept")
    await expect(offered).to_be_visible()
    waiting = agent.locator(".pick").first
    await expect(waiting.locator(".badge")).to_have_text(re.compile("angry|upset"))
    await expect(waiting).to_contain_text("waiting")
    await agent.keyboard.press("?")
    await expect(agent.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    await agent.keyboard.press("Escape")
    await agent.keyboard.press("a")  # accept the oldest offer
    await expect(agent.get_by_label("Handoff summary")).to_contain_text("Handoff:")
    await expect(agent.locator(".pick .meta", has_text="no reply for")).to_have_count(1)
    await agent.keyboard.press("r")
    assert await agent.evaluate("document.activeElement.id") == "reply"
    tag = agent.get_by_label("Add a tag")
    await tag.fill("Wrong size")
    await tag.press("Enter")
    tags = agent.get_by_role("group", name="Tags")
    await expect(tags).to_contain_text("wrong size")
    await tags.get_by_role("button", name="Remove tag wrong size").click()
    await expect(tags).not_to_contain_text("wrong size")


async def test_the_customer_sees_the_agent_typing(new_page: Any, live_server: LiveServer) -> None:
    customer = await new_page()
    await _customer_asks_for_a_person(customer, live_server, "can I change the colour of my lamp order?")
    agent = await new_page()
    await _sign_in(agent, live_server)
    await agent.get_by_role("button", name="Accept").click()
    await expect(agent.get_by_label("Handoff summary")).to_contain_text("Handoff:")
    await agent.get_by_label("Reply to the customer").press_sequentially("Let me check", delay=20)
    await expect(customer.locator(".tw-typing")).to_contain_text("Alex Rivera is typing")
    await customer.locator("#tandem-input").press_sequentially("thanks", delay=20)
    await expect(agent.locator(".typing")).to_contain_text("The customer is typing")


async def test_an_article_written_from_a_conversation_is_published_by_a_supervisor(
    new_page: Any, live_server: LiveServer
) -> None:
    customer = await new_page()
    await _customer_asks_for_a_person(customer, live_server, "do you engrave initials on wooden lanterns?")
    agent = await new_page()
    await _sign_in(agent, live_server)
    await agent.get_by_role("button", name="Accept").click()
    await expect(agent.get_by_label("Handoff summary")).to_contain_text("Handoff:")
    await agent.get_by_role("button", name="Write article").click()
    form = agent.get_by_role("form", name="Knowledge article")
    await expect(agent.get_by_label("Article title")).to_have_value(
        "do you engrave initials on wooden lanterns?"
    )
    await agent.get_by_label("Article title").fill("Engraving initials on wooden lanterns")
    await agent.get_by_label("Article text").fill(
        "We engrave up to three initials on any wooden lantern for free; add them in the order notes."
    )
    await form.get_by_role("button", name="Save draft for review").click()
    await expect(agent.get_by_role("status")).to_contain_text("a supervisor will review it")
    fix = agent.get_by_role("form", name="Correct the intent")
    await fix.get_by_label("Right intent").fill("engraving")
    await fix.get_by_role("button", name="Correct").click()
    await expect(agent.get_by_text("Intent corrected to engraving")).to_be_visible()
    supervisor = await new_page()
    await _sign_in(supervisor, live_server, "supervisor@tandem.example")
    await supervisor.goto(f"{live_server.http}/console/supervisor")
    drafts = supervisor.get_by_role("table", name="Knowledge drafts to review")
    await expect(drafts).to_contain_text("Engraving initials on wooden lanterns")
    await expect(supervisor.get_by_role("table", name="Knowledge gaps")).to_be_visible()
    await expect(supervisor.get_by_role("table", name="Intent models")).to_be_visible()
    await expect(supervisor.get_by_text("Intents: 1 ·")).to_be_visible()  # the correction, collected
    await expect(supervisor.get_by_role("table", name="Knowledge articles")).to_be_visible()
    await expect(
        supervisor.get_by_text(re.compile(r"\d+ other articles were not used by the bot"))
    ).to_be_visible()
    await expect(
        supervisor.get_by_role("table", name=re.compile("Corrections waiting for review"))
    ).to_be_visible()
    await drafts.get_by_role("button", name="Publish").click()
    await expect(supervisor.get_by_role("status")).to_contain_text("Published: Engraving initials")
    await supervisor.get_by_role("button", name="Weekly review").click()
    await expect(supervisor.get_by_role("table", name="Top opportunities")).to_be_visible(timeout=20_000)
    await expect(supervisor.get_by_role("link", name="Download as Markdown")).to_be_visible()
    await expect(drafts).not_to_contain_text("Engraving initials")


async def test_a_supervisor_joins_without_taking_over(new_page: Any, live_server: LiveServer) -> None:
    customer = await new_page()
    await _customer_asks_for_a_person(customer, live_server, "my refund has not arrived")
    agent = await new_page()
    await _sign_in(agent, live_server)
    await agent.get_by_role("button", name="Accept").click()
    await expect(agent.get_by_label("Handoff summary")).to_contain_text("Handoff:")
    supervisor = await new_page()
    await _sign_in(supervisor, live_server, "supervisor@tandem.example")
    await supervisor.goto(f"{live_server.http}/console/supervisor")
    live = supervisor.get_by_role("table", name="Live conversations")
    await expect(live).to_contain_text("Alex Rivera")
    await live.get_by_role("button", name="Join #").first.click()
    await expect(supervisor).to_have_url(re.compile(rf"{live_server.http}/console#c=\d+$"))
    await expect(supervisor.get_by_role("log", name="Transcript")).to_contain_text(
        "my refund has not arrived"
    )
    await expect(agent.get_by_role("log", name="Transcript")).to_contain_text("joined to listen in")
    await expect(agent.get_by_role("list").get_by_role("button", name="#")).to_have_count(1)  # still Alex's
    assert await customer.locator(".tw-log").get_by_text("joined to listen in").count() == 0
