"""Knowledge articles in and out as Markdown and JSON, and each article's health (use, success, flags)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tandem.kb.schemas import ArticleOut
from tandem.kb.transfer import TransferError, from_json, from_markdown, markdown_name, to_json, to_markdown
from tandem.learning.knowledge import health

NOW = datetime(2026, 11, 27, tzinfo=UTC)
ARTICLE = ArticleOut(
    id=1, slug="returns", locale="de", title="Rücksendungen: so geht's", body="Sie haben 30 Tage.\n\n| a | b |",
    tags=["returns"], intents=["return_item"], status="published",
)  # fmt: skip


def test_markdown_and_json_carry_every_field_back() -> None:
    text = to_markdown(ARTICLE)
    assert markdown_name(ARTICLE) == "returns.de.md" and text.startswith("---\nslug: returns\n")
    back = from_markdown(text, name="returns.de.md")
    assert (back.slug, back.locale, back.title, back.body, back.tags, back.intents) == (
        "returns", "de", ARTICLE.title, ARTICLE.body, ["returns"], ["return_item"],
    )  # fmt: skip
    [again] = from_json(to_json([ARTICLE]), name="kb.json")
    assert again == back


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("slug: a\n", "expected front matter"),
        ("---\nslug: a\n", "no closing '---'"),
        ("---\nslug: [a\n---\nbody", "not YAML"),
        ("---\nslug: a\ntitle: T\n---\n", "body: String should have at least 1 character"),
        ("---\nslug: Not A Slug\ntitle: T\n---\ntext", "slug: String should match pattern"),
        ("---\nslug: a\ntitle: T\ncolour: red\n---\ntext", "unknown field 'colour'"),
        ("---\nslug: a\ntitle: T\nlocale: english\n---\ntext", "locale: String should match pattern"),
    ],
)
def test_a_wrong_markdown_file_names_the_file_and_the_field(text: str, message: str) -> None:
    with pytest.raises(TransferError, match=message) as raised:
        from_markdown(text, name="kb/a.en.md")
    assert raised.value.where.startswith("kb/a.en.md")


def test_a_wrong_json_file_names_the_article() -> None:
    with pytest.raises(TransferError, match="not valid JSON") as raised:
        from_json('[{"slug": "a",', name="kb.json")
    assert raised.value.where == "kb.json, line 1"
    with pytest.raises(TransferError, match="title: Field required") as missing:
        from_json('[{"slug": "a", "title": "T", "body": "x"}, {"slug": "b", "body": "x"}]', name="kb.json")
    assert missing.value.where == "kb.json, article 2"


@dataclass
class Variant:
    slug: str
    locale: str
    title: str
    updated_at: datetime | None


@dataclass
class Answer:
    conversation_id: int
    slug: str
    resolved_by: str | None
    escalated_after: bool


def test_success_is_the_share_of_ended_conversations_without_a_person_and_flags_explain_themselves() -> None:
    variants = [
        Variant("returns", "en", "Returns", NOW - timedelta(days=10)),
        Variant("returns", "de", "Rücksendungen", NOW - timedelta(days=90)),  # left behind
        Variant("shipping", "en", "Shipping", NOW - timedelta(days=400)),  # stale
        Variant("gift-cards", "en", "Gift cards", NOW - timedelta(days=5)),  # never used
    ]
    answers = (
        [Answer(i, "returns", "bot", False) for i in range(2)]
        + [Answer(i, "returns", "human", True) for i in range(2, 6)]
        + [Answer(6, "returns", None, False)]  # still open: not judged yet
        + [Answer(6, "returns", None, False)]  # the same conversation twice counts once
        + [Answer(i, "shipping", "bot", False) for i in range(10, 16)]
    )
    rows = {row.slug: row for row in health(variants, answers, {"returns": 3}, now=NOW)}
    returns = rows["returns"]
    assert (returns.uses, returns.resolved_without_person, returns.escalated_after, returns.still_open) == (
        7,
        2,
        4,
        1,
    )
    assert returns.success_rate == round(2 / 6, 4) and returns.locales == ["de", "en"]
    assert returns.flags == ["low_success", "flagged_wrong", "locale_behind"]
    assert "the de version(s) were not updated" in returns.notes[-1]
    assert rows["shipping"].success_rate == 1.0 and rows["shipping"].flags == ["stale"]
    assert rows["gift-cards"].flags == ["unused"] and rows["gift-cards"].success_rate is None
    assert next(iter(rows)) == "returns"  # the most flagged first


def test_success_is_not_judged_on_a_handful() -> None:
    answers = [Answer(i, "returns", "human", True) for i in range(4)]
    [row] = health([Variant("returns", "en", "Returns", NOW)], answers, {}, now=NOW)
    assert row.success_rate is None and "low_success" not in row.flags
