"""The weekly review's grouping, trends, opportunities and product section, on hand-made weeks."""

from __future__ import annotations

from datetime import UTC, datetime

from tandem.learning.review import Escalated, TopicLike, build, to_markdown

START, END = datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 27, tzinfo=UTC)
LABELS = {"missing_knowledge": "No article covers it", "product_issue": "A product or site problem"}


def _week() -> list[Escalated]:
    now = (
        [Escalated("do you ship to Iceland?", "customer_request", "missing_knowledge")] * 6
        + [Escalated("the checkout button doesn't work", "bot_failure", "product_issue")] * 3
        + [Escalated("how do I change my | address", "failed_attempts", None)] * 2
        + [Escalated("I want a person", "customer_request", "customer_preference")] * 4
    )
    before = [Escalated("do you ship to Iceland?", "customer_request", "missing_knowledge", True)] * 2 + [
        Escalated("I want a person", "customer_request", "customer_preference", True)
    ] * 4
    return now + before


def test_escalations_are_grouped_with_their_trend_and_share() -> None:
    review = build(_week(), [], start=START, end=END, reason_labels=LABELS)
    assert (review.escalated, review.previous_escalated, review.untagged) == (15, 6, 2)
    by_reason = {g.key: g for g in review.by_reason}
    assert (by_reason["missing_knowledge"].volume, by_reason["missing_knowledge"].previous) == (6, 2)
    assert by_reason["missing_knowledge"].trend == "rising" and by_reason["missing_knowledge"].share == 0.4
    assert by_reason["missing_knowledge"].label == "No article covers it"
    assert by_reason["customer_preference"].trend == "steady" and by_reason["product_issue"].trend == "new"
    assert [g.key for g in review.by_trigger][:1] == ["customer_request"]


def test_opportunities_put_rising_problems_first_and_skip_mere_preference() -> None:
    topics = [TopicLike("ship iceland", 8, 0, "new", 6, "article", ["do you ship to Iceland?"])]
    review = build(_week(), topics, start=START, end=END, reason_labels=LABELS, held_corrections=2)
    titles = [o.title for o in review.opportunities]
    assert titles[0] == "Topic: ship iceland" and review.opportunities[0].action == "Write an article"
    assert "Reason: No article covers it" in titles and "Corrections waiting for review" in titles
    assert not any("preferred" in t or "customer preference" in t for t in titles)
    assert len(review.opportunities) <= 10
    assert [o.score for o in review.opportunities] == sorted(
        (o.score for o in review.opportunities), reverse=True
    )


def test_product_feedback_has_product_problems_and_confusing_features() -> None:
    review = build(_week(), [], start=START, end=END, reason_labels=LABELS)
    product = {g.key: g for g in review.product}
    assert product["product_issue"].volume == 3
    confusing = product["confusing_features"]
    assert confusing.volume == 5  # "doesn't work" x3 and "how do I" x2
    assert "how do I change my | address" in confusing.examples


def test_the_markdown_has_every_section_and_escapes_table_cells() -> None:
    text = to_markdown(build(_week(), [], start=START, end=END, reason_labels=LABELS))
    assert text.startswith("# Weekly review: 2026-11-20 to 2026-11-27\n")
    for heading in (
        "## Top opportunities",
        "## Escalations by reason",
        "## Escalations by topic",
        "## Product feedback",
    ):
        assert heading in text
    assert "| No article covers it | 6 | 2 | rising | do you ship to Iceland? |" in text
    assert "how do I change my \\| address" in text


def test_an_empty_week_says_so() -> None:
    text = to_markdown(build([], [], start=START, end=END, reason_labels=LABELS))
    assert "**0** conversations went to a person" in text and "Nothing stands out this week." in text
    assert "No product problems" in text
