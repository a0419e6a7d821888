"""Knowledge base management over HTTP: import and export round trip, each article's history, and its
health from the conversations the bot answered with it; permissions and bad input."""

from __future__ import annotations

import httpx
import pytest

from helpers import bearer, eventually, staff_token, start_conversation


@pytest.fixture
def backend() -> str:
    """The SQL is plain selects and upserts covered on both databases elsewhere; this is about the API."""
    return "sqlite"


async def test_articles_go_out_and_come_back_with_a_history(api: httpx.AsyncClient) -> None:
    agent = await staff_token(api, online=False)
    supervisor = await staff_token(api, "supervisor@tandem.example", online=False)
    assert (await api.get("/api/v1/kb/export", headers=bearer(agent))).status_code == 403
    exported = (await api.get("/api/v1/kb/export?locale=en", headers=bearer(supervisor))).json()
    assert exported and {a["locale"] for a in exported} == {"en"} and set(exported[0]) == {
        "slug", "locale", "title", "body", "tags", "intents",
    }  # fmt: skip
    first = exported[0]
    changed = {**first, "body": first["body"] + "\n\nUpdated for the winter sale."}
    new = {"slug": "winter-sale", "locale": "de", "title": "Winterschlussverkauf", "body": "Bis 31. Januar."}
    imported = await api.post(
        "/api/v1/kb/import", json=[changed, new, exported[1]], headers=bearer(supervisor)
    )
    assert imported.status_code == 200, imported.text
    assert imported.json() == {
        "created": ["winter-sale/de"], "updated": [f"{first['slug']}/en"], "unchanged": 1,
    }  # fmt: skip
    article = (await api.get(f"/api/v1/kb/articles/{first['slug']}?locale=en", headers=bearer(agent))).json()
    assert article["body"].endswith("Updated for the winter sale.")
    history = (await api.get(f"/api/v1/kb/articles/{first['slug']}/history", headers=bearer(agent))).json()
    assert [(v["status"], v["note"], v["is_edit"]) for v in history] == [("published", "imported", True)]
    assert (await api.get("/api/v1/kb/articles/no-such/history", headers=bearer(agent))).status_code == 404

    twice = await api.post("/api/v1/kb/import", json=[new, new], headers=bearer(supervisor))
    assert twice.status_code == 422 and "winter-sale/de" in twice.json()["detail"]
    bad = await api.post("/api/v1/kb/import", json=[{**new, "locale": "german"}], headers=bearer(supervisor))
    assert bad.status_code == 422
    assert (await api.post("/api/v1/kb/import", json=[new], headers=bearer(agent))).status_code == 403


async def test_health_counts_the_answers_an_article_gave(api: httpx.AsyncClient) -> None:
    supervisor = await staff_token(api, "supervisor@tandem.example", online=False)
    cid, _ = await start_conversation(api, first_message={"body": "how long do I have to return a dress?"})

    async def cited() -> str | None:
        messages = (await api.get(f"/api/v1/conversations/{cid}/messages", headers=bearer(supervisor))).json()
        bot = [m for m in messages if m["author_kind"] == "bot"]
        return ((bot[0]["meta"].get("trace") or {}).get("article") or {}).get("slug") if bot else None

    slug = await eventually(cited)
    rows = (await api.get("/api/v1/kb/health?days=7", headers=bearer(supervisor))).json()
    row = next(r for r in rows if r["slug"] == slug)
    assert (row["uses"], row["still_open"], row["success_rate"]) == (1, 1, None)
    unused = [r for r in rows if r["uses"] == 0]
    assert unused and all("unused" in r["flags"] for r in unused)
    assert (await api.get("/api/v1/kb/health?days=0", headers=bearer(supervisor))).status_code == 422
    agent = await staff_token(api, online=False)
    assert (await api.get("/api/v1/kb/health", headers=bearer(agent))).status_code == 403
