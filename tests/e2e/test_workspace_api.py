"""The agent workspace over HTTP with the real workers: the worklist (waiting and mine, with wait times, mood
badges and the customer's last words), a supervisor joining a conversation, and knowledge drafts from
proposal to the published article that the bot and agent assist retrieve at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import delete

from conftest import BACKENDS
from helpers import bearer, eventually, staff_token, start_conversation
from tandem.bootstrap import Container
from tandem.kb import service as kb_service
from tandem.kb.models import KbArticle
from tandem.kb.schemas import ArticleIn

CALM = "hello, where is my order?"
ANGRY = "THIS IS RIDICULOUS, I have told you three times already!!!"
UNKNOWN_ID = 987_654


async def _me(api: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await api.get("/api/v1/staff/me", headers=bearer(token))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _worklist(api: httpx.AsyncClient, token: str, scope: str | None = None) -> dict[str, Any]:
    params = {"scope": scope} if scope else {}
    response = await api.get("/api/v1/worklist", headers=bearer(token), params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _find(items: list[dict[str, Any]], cid: int) -> dict[str, Any] | None:
    return next((item for item in items if item["conversation_id"] == cid), None)


async def _queued(api: httpx.AsyncClient, token: str, cid: int) -> dict[str, Any]:
    """The waiting item once the handoff job has put it in a queue."""

    async def fetch() -> dict[str, Any] | None:
        item = _find((await _worklist(api, token))["waiting"], cid)
        return item if item is not None and item["queue"] is not None else None

    return dict(await eventually(fetch))


async def _accepted(api: httpx.AsyncClient, agent: str, cid: int) -> None:
    """The conversation reaches the (only online) agent as an offer, and the agent accepts it."""

    async def offered() -> Any:
        offers = (await api.get("/api/v1/routing/offers", headers=bearer(agent))).json()
        return offers if any(o["conversation_id"] == cid for o in offers) else None

    await eventually(offered)
    response = await api.post(f"/api/v1/routing/offers/{cid}/accept", headers=bearer(agent))
    assert response.status_code == 204, response.text


async def _handed_off(api: httpx.AsyncClient, body: str) -> tuple[int, str]:
    cid, token = await start_conversation(api, first_message={"body": body})
    response = await api.post(f"/api/v1/conversations/{cid}/handoff", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "waiting"
    return cid, token


async def _with_agent(api: httpx.AsyncClient, body: str = "hello") -> tuple[int, str, str]:
    """A conversation an online agent (Alex) accepted from the queue: (id, customer token, agent token)."""
    agent = await staff_token(api)
    cid, token = await _handed_off(api, body)
    await _accepted(api, agent, cid)
    return cid, token, agent


async def _say(api: httpx.AsyncClient, cid: int, token: str, body: str) -> None:
    response = await api.post(
        f"/api/v1/conversations/{cid}/messages", headers=bearer(token), json={"body": body}
    )
    assert response.status_code == 201, response.text


# --- the worklist --------------------------------------------------------------------------------------


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """SQLite, except for the tests that read the worklist's SQL (a window function), which run on both."""
    return str(getattr(request, "param", "sqlite"))


BOTH = pytest.mark.parametrize("backend", BACKENDS, indirect=True)


@BOTH
async def test_waiting_conversations_show_queue_wait_last_words_and_mood(api: httpx.AsyncClient) -> None:
    reader = await staff_token(api, online=False)  # nobody online: both stay in the queue
    calm, _ = await _handed_off(api, CALM)
    angry, _ = await _handed_off(api, ANGRY)
    calm_item = await _queued(api, reader, calm)
    angry_item = await _queued(api, reader, angry)
    for item, words in ((calm_item, CALM), (angry_item, ANGRY)):
        assert item["state"] == "waiting"
        assert item["waiting_seconds"] is not None and item["waiting_seconds"] >= 0
        assert isinstance(item["queue"], str) and item["queue"]
        assert item["last_message"] == words
        assert item["assignee_id"] is None
    assert calm_item["mood"]["label"] == "calm", calm_item["mood"]
    assert angry_item["mood"]["label"] in ("upset", "angry"), angry_item["mood"]
    assert angry_item["mood"]["score"] > calm_item["mood"]["score"]
    worklist = await _worklist(api, reader)
    assert _find(worklist["mine"], calm) is None and _find(worklist["mine"], angry) is None


@BOTH
async def test_an_accepted_conversation_is_mine_and_awaits_a_reply_until_the_agent_answers(
    api: httpx.AsyncClient,
) -> None:
    cid, token, agent = await _with_agent(api)
    alex = await _me(api, agent)
    await _say(api, cid, token, "are you there? my parcel is still missing")
    worklist = await _worklist(api, agent)
    assert _find(worklist["waiting"], cid) is None, "accepted: no longer in the queue"
    item = _find(worklist["mine"], cid)
    assert item is not None, worklist
    assert item["state"] == "human" and item["assignee_id"] == alex["id"]
    assert item["waiting_seconds"] is None
    assert item["awaiting_reply_seconds"] is not None and item["awaiting_reply_seconds"] >= 0
    assert item["last_message"] == "are you there? my parcel is still missing"

    # a colleague's own list does not show it
    priya = await staff_token(api, "priya@tandem.example", online=False)
    assert _find((await _worklist(api, priya))["mine"], cid) is None

    await _say(api, cid, agent, "I'm here, let me look into your parcel right away.")
    item = _find((await _worklist(api, agent))["mine"], cid)
    assert item is not None
    assert item["awaiting_reply_seconds"] is None, "answered"
    assert item["last_message"] == "are you there? my parcel is still missing", (
        "the customer's words, not ours"
    )

    await _say(api, cid, token, "thanks!")
    item = _find((await _worklist(api, agent))["mine"], cid)
    assert item is not None and item["awaiting_reply_seconds"] is not None, "the customer wrote again"


@BOTH
async def test_private_notes_do_not_hide_an_unanswered_customer(api: httpx.AsyncClient) -> None:
    cid, token, agent = await _with_agent(api)
    await _say(api, cid, token, ANGRY)
    for index in range(12):  # the agent and a supervisor discuss the case; nothing reaches the customer
        response = await api.post(
            f"/api/v1/conversations/{cid}/messages",
            headers=bearer(agent),
            json={"body": f"internal note {index}", "private": True},
        )
        assert response.status_code == 201, response.text
    item = _find((await _worklist(api, agent))["mine"], cid)
    assert item is not None
    assert item["awaiting_reply_seconds"] is not None, "the customer still has no reply"
    assert item["last_message"] == ANGRY
    assert item["mood"]["label"] in ("upset", "angry")


async def test_the_floor_is_for_supervisors(api: httpx.AsyncClient) -> None:
    cid, token, agent = await _with_agent(api)
    alex = await _me(api, agent)
    response = await api.get("/api/v1/worklist", headers=bearer(agent), params={"scope": "floor"})
    assert response.status_code == 403, response.text
    supervisor = await staff_token(api, "supervisor@tandem.example", online=False)
    assert _find((await _worklist(api, supervisor))["mine"], cid) is None, "not the supervisor's own"
    floor = await _worklist(api, supervisor, "floor")
    item = _find(floor["mine"], cid)
    assert item is not None, floor
    assert item["assignee_id"] == alex["id"]
    response = await api.get("/api/v1/worklist", headers=bearer(supervisor), params={"scope": "bogus"})
    assert response.status_code == 422
    response = await api.get("/api/v1/worklist", headers=bearer(token))
    assert response.status_code in (401, 403), response.text
    assert (await api.get("/api/v1/worklist")).status_code == 401


# --- a supervisor joins --------------------------------------------------------------------------------


async def test_a_supervisor_joins_with_a_private_note_and_the_agent_keeps_the_conversation(
    api: httpx.AsyncClient,
) -> None:
    cid, token, agent = await _with_agent(api)
    alex = await _me(api, agent)
    supervisor = await staff_token(api, "supervisor@tandem.example", online=False)
    sam = await _me(api, supervisor)
    response = await api.post(f"/api/v1/conversations/{cid}/join", headers=bearer(supervisor))
    assert response.status_code == 204, response.text

    staff_view = (await api.get(f"/api/v1/conversations/{cid}/messages", headers=bearer(agent))).json()
    joined = [m for m in staff_view if m["meta"].get("event") == "supervisor_joined"]
    assert len(joined) == 1, staff_view
    assert joined[0]["private"] is True
    assert joined[0]["meta"].get("staff_id") == sam["id"]
    assert sam["name"] in joined[0]["body"]
    customer_view = (await api.get(f"/api/v1/conversations/{cid}/messages", headers=bearer(token))).json()
    assert not any(m["private"] for m in customer_view)
    assert not any(m["meta"].get("event") == "supervisor_joined" for m in customer_view)
    assert all(m["id"] != joined[0]["id"] for m in customer_view)

    conversation = (await api.get(f"/api/v1/conversations/{cid}", headers=bearer(agent))).json()
    assert conversation["state"] == "human"
    assert conversation["assignee_id"] == alex["id"], "joining does not take the conversation over"


async def test_joining_is_refused_to_agents_closed_and_unknown_conversations(api: httpx.AsyncClient) -> None:
    cid, token, agent = await _with_agent(api)
    response = await api.post(f"/api/v1/conversations/{cid}/join", headers=bearer(agent))
    assert response.status_code == 403, response.text
    supervisor = await staff_token(api, "supervisor@tandem.example", online=False)

    closed, closed_token = await start_conversation(api, first_message={"body": "hello"})
    assert (
        await api.post(f"/api/v1/conversations/{closed}/close", headers=bearer(closed_token))
    ).status_code == 200
    response = await api.post(f"/api/v1/conversations/{closed}/join", headers=bearer(supervisor))
    assert response.status_code == 409, response.text
    messages = (await api.get(f"/api/v1/conversations/{closed}/messages", headers=bearer(supervisor))).json()
    assert not any(m["meta"].get("event") == "supervisor_joined" for m in messages)

    response = await api.post(f"/api/v1/conversations/{UNKNOWN_ID}/join", headers=bearer(supervisor))
    assert response.status_code == 404, response.text
    response = await api.post(f"/api/v1/conversations/{cid}/join", headers=bearer(token))
    assert response.status_code in (401, 403), response.text


# --- knowledge drafts ----------------------------------------------------------------------------------


@pytest.fixture
async def kb_restored(demo_container: Container) -> AsyncIterator[None]:
    """Publishing writes to the demo articles, which the PostgreSQL test database keeps for the whole
    session (they are seeded once, not truncated): put them back as they were after the test."""
    async with demo_container.uow(write=False) as uow:
        before = {(a.slug, a.locale): a for a in await kb_service.list_published_articles(uow)}
    yield
    async with demo_container.uow() as uow:
        for article in await kb_service.list_published_articles(uow):
            original = before.get((article.slug, article.locale))
            if original is None:
                await uow.session.execute(delete(KbArticle).where(KbArticle.id == article.id))
            elif original != article:
                await kb_service.upsert_article(
                    uow, data=ArticleIn.model_validate(original.model_dump(exclude={"id", "status"}))
                )
    await demo_container.refresh_knowledge()


LANTERN_TITLE = "Engraving wooden lanterns with initials"
LANTERN_SLUG = "engraving-wooden-lanterns-with-initials"
LANTERN_BODY = (
    "We can engrave up to three initials on any wooden lantern from the Loom & Lantern workshop. "
    "Add the initials in the engraving box before checkout; engraving adds two working days."
)
LANTERN_QUESTION = "can you do engraving of initials on a wooden lantern?"


def _draft(**overrides: Any) -> dict[str, Any]:
    return {"title": LANTERN_TITLE, "body": LANTERN_BODY, "intents": ["product_question"], **overrides}


async def _articles(api: httpx.AsyncClient, token: str, cid: int) -> list[str]:
    response = await api.get(f"/api/v1/conversations/{cid}/assist", headers=bearer(token))
    assert response.status_code == 200, response.text
    return [a["slug"] for a in response.json()["articles"]]


@pytest.mark.usefixtures("kb_restored")
async def test_a_draft_from_a_conversation_is_published_and_found_by_search_and_assist(
    api: httpx.AsyncClient,
) -> None:
    agent = await staff_token(api, online=False)
    alex = await _me(api, agent)
    supervisor = await staff_token(api, "supervisor@tandem.example", online=False)
    cid, _ = await start_conversation(api, first_message={"body": LANTERN_QUESTION})
    assert LANTERN_SLUG not in await _articles(api, agent, cid), "no such article yet"

    response = await api.post("/api/v1/kb/drafts", headers=bearer(agent), json=_draft(conversation_id=cid))
    assert response.status_code == 201, response.text
    draft = response.json()
    assert draft["status"] == "draft"
    assert draft["slug"] == LANTERN_SLUG
    assert draft["is_edit"] is False
    assert draft["author_id"] == alex["id"]
    assert draft["source_conversation_id"] == cid
    assert draft["intents"] == ["product_question"]

    # drafts are not articles: nothing is published or searchable yet
    found = (await api.get("/api/v1/kb/articles", headers=bearer(agent), params={"q": "engraving"})).json()
    assert found == []
    response = await api.get(f"/api/v1/kb/articles/{LANTERN_SLUG}", headers=bearer(agent))
    assert response.status_code == 404

    response = await api.post(f"/api/v1/kb/drafts/{draft['id']}/publish", headers=bearer(agent))
    assert response.status_code == 403, response.text
    response = await api.post(
        f"/api/v1/kb/drafts/{draft['id']}/publish", headers=bearer(supervisor), json={"note": "good one"}
    )
    assert response.status_code == 200, response.text
    article = response.json()
    assert (article["slug"], article["locale"], article["status"]) == (LANTERN_SLUG, "en", "published")
    assert (article["title"], article["body"]) == (LANTERN_TITLE, LANTERN_BODY)
    response = await api.post(f"/api/v1/kb/drafts/{draft['id']}/publish", headers=bearer(supervisor))
    assert response.status_code == 409, response.text

    found = (await api.get("/api/v1/kb/articles", headers=bearer(agent), params={"q": "Engraving"})).json()
    assert [a["slug"] for a in found] == [LANTERN_SLUG]
    published = (
        await api.get("/api/v1/kb/drafts", headers=bearer(supervisor), params={"status": "published"})
    ).json()
    version = next(v for v in published if v["id"] == draft["id"])
    assert version["reviewer_id"] is not None and version["review_note"] == "good one"
    assert version["reviewed_at"] is not None

    # the retrieval index was rebuilt on publish: agent assist offers it for the customer's question
    assert LANTERN_SLUG in await _articles(api, agent, cid)

    response = await api.post("/api/v1/kb/drafts", headers=bearer(agent), json=_draft())
    assert response.status_code == 409, response.text
    assert "propose an edit" in response.json()["detail"]


async def test_drafts_are_validated_and_refer_to_things_that_exist(api: httpx.AsyncClient) -> None:
    agent = await staff_token(api, online=False)
    response = await api.post(
        "/api/v1/kb/drafts", headers=bearer(agent), json=_draft(edit_of="no-such-article-anywhere")
    )
    assert response.status_code == 404, response.text
    response = await api.post(
        "/api/v1/kb/drafts", headers=bearer(agent), json=_draft(conversation_id=UNKNOWN_ID)
    )
    assert response.status_code == 404, response.text
    response = await api.post("/api/v1/kb/drafts", headers=bearer(agent), json=_draft(body="too short"))
    assert response.status_code == 422, response.text
    response = await api.get("/api/v1/kb/drafts", headers=bearer(agent), params={"status": "nonsense"})
    assert response.status_code == 422, response.text
    # none of the refused drafts was stored
    assert (await api.get("/api/v1/kb/drafts", headers=bearer(agent))).json() == []
    _, token = await start_conversation(api, first_message={"body": "hello"})
    response = await api.post("/api/v1/kb/drafts", headers=bearer(token), json=_draft())
    assert response.status_code in (401, 403), response.text


async def test_agents_see_their_own_drafts_and_reviewers_see_all(api: httpx.AsyncClient) -> None:
    alex = await staff_token(api, online=False)
    priya = await staff_token(api, "priya@tandem.example", online=False)
    supervisor = await staff_token(api, "supervisor@tandem.example", online=False)
    mine = await api.post("/api/v1/kb/drafts", headers=bearer(alex), json=_draft())
    theirs = await api.post(
        "/api/v1/kb/drafts",
        headers=bearer(priya),
        json=_draft(title="Wooden lantern candles and wicks", slug="lantern-candles"),
    )
    assert mine.status_code == 201 and theirs.status_code == 201, (mine.text, theirs.text)
    assert theirs.json()["slug"] == "lantern-candles"
    alex_sees = [d["id"] for d in (await api.get("/api/v1/kb/drafts", headers=bearer(alex))).json()]
    priya_sees = [d["id"] for d in (await api.get("/api/v1/kb/drafts", headers=bearer(priya))).json()]
    everyone = [d["id"] for d in (await api.get("/api/v1/kb/drafts", headers=bearer(supervisor))).json()]
    assert alex_sees == [mine.json()["id"]]
    assert priya_sees == [theirs.json()["id"]]
    assert sorted(everyone) == sorted([mine.json()["id"], theirs.json()["id"]])
    assert (
        await api.get("/api/v1/kb/drafts", headers=bearer(alex), params={"status": "published"})
    ).json() == []


@BOTH
@pytest.mark.usefixtures("kb_restored")
async def test_a_published_edit_changes_the_article(api: httpx.AsyncClient) -> None:
    agent = await staff_token(api, online=False)
    supervisor = await staff_token(api, "supervisor@tandem.example", online=False)
    listed = (await api.get("/api/v1/kb/articles", headers=bearer(agent), params={"locale": "en"})).json()
    slugs = {a["slug"] for a in listed}
    assert "accessibility" in slugs, sorted(slugs)
    before = (await api.get("/api/v1/kb/articles/accessibility", headers=bearer(agent))).json()
    body = before["body"] + "\n\nOur chat window now works with screen readers and keyboard-only navigation."
    response = await api.post(
        "/api/v1/kb/drafts",
        headers=bearer(agent),
        json={
            "edit_of": "accessibility",
            "title": before["title"],
            "body": body,
            "intents": before["intents"],
        },
    )
    assert response.status_code == 201, response.text
    draft = response.json()
    assert (draft["slug"], draft["is_edit"], draft["status"]) == ("accessibility", True, "draft")
    rival = await api.post(  # a colleague edits the same article at the same time
        "/api/v1/kb/drafts",
        headers=bearer(agent),
        json={
            "edit_of": "accessibility",
            "title": before["title"],
            "body": before["body"] + " Also braille.",
        },
    )
    assert rival.status_code == 201, rival.text
    unchanged = (await api.get("/api/v1/kb/articles/accessibility", headers=bearer(agent))).json()
    assert unchanged["body"] == before["body"], "a draft does not change the article"

    response = await api.post(f"/api/v1/kb/drafts/{draft['id']}/publish", headers=bearer(supervisor))
    assert response.status_code == 200, response.text
    after = (await api.get("/api/v1/kb/articles/accessibility", headers=bearer(agent))).json()
    assert after["body"] == body
    assert after["id"] == before["id"], "the same article, a new version of it"
    stale = await api.post(f"/api/v1/kb/drafts/{rival.json()['id']}/publish", headers=bearer(supervisor))
    assert stale.status_code == 409 and "changed after this draft was written" in stale.json()["detail"]
    assert (await api.get("/api/v1/kb/articles/accessibility", headers=bearer(agent))).json()["body"] == body
    listed_after = (
        await api.get("/api/v1/kb/articles", headers=bearer(agent), params={"locale": "en"})
    ).json()
    assert len(listed_after) == len(listed)


async def test_a_rejected_draft_keeps_the_note_and_cannot_be_published(api: httpx.AsyncClient) -> None:
    agent = await staff_token(api, online=False)
    supervisor = await staff_token(api, "supervisor@tandem.example", online=False)
    draft = (await api.post("/api/v1/kb/drafts", headers=bearer(agent), json=_draft())).json()
    response = await api.post(
        f"/api/v1/kb/drafts/{draft['id']}/reject", headers=bearer(agent), json={"note": "no"}
    )
    assert response.status_code == 403, response.text
    response = await api.post(
        f"/api/v1/kb/drafts/{draft['id']}/reject",
        headers=bearer(supervisor),
        json={"note": "We do not engrave lanterns any more."},
    )
    assert response.status_code == 200, response.text
    rejected = response.json()
    assert rejected["status"] == "rejected"
    assert rejected["review_note"] == "We do not engrave lanterns any more."
    assert rejected["reviewer_id"] is not None
    response = await api.post(f"/api/v1/kb/drafts/{draft['id']}/publish", headers=bearer(supervisor))
    assert response.status_code == 409, response.text
    response = await api.get(f"/api/v1/kb/articles/{LANTERN_SLUG}", headers=bearer(agent))
    assert response.status_code == 404
    assert (await api.get("/api/v1/kb/drafts", headers=bearer(agent))).json() == []
    listed = (await api.get("/api/v1/kb/drafts", headers=bearer(agent), params={"status": "rejected"})).json()
    assert [d["id"] for d in listed] == [draft["id"]]
    response = await api.post(f"/api/v1/kb/drafts/{UNKNOWN_ID}/reject", headers=bearer(supervisor))
    assert response.status_code == 404


async def test_knowledge_gaps_are_for_supervisors_and_the_window_is_checked(api: httpx.AsyncClient) -> None:
    agent = await staff_token(api, online=False)
    supervisor = await staff_token(api, "supervisor@tandem.example", online=False)
    assert (await api.get("/api/v1/kb/gaps", headers=bearer(agent))).status_code == 403
    response = await api.get("/api/v1/kb/gaps", headers=bearer(supervisor), params={"days": 7})
    assert response.status_code == 200 and isinstance(response.json(), list)
    assert (
        await api.get("/api/v1/kb/gaps", headers=bearer(supervisor), params={"days": 0})
    ).status_code == 422
