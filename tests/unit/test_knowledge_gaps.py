"""Knowledge gaps, the pure part, with words only (no encoder): topics found, named, counted and trended;
one-off questions are no topic; nothing in, nothing out."""

from __future__ import annotations

from tandem.learning.gaps import Question, draft_body, find_gaps

GIFT = [
    "do you offer gift wrapping",
    "can you gift wrap my order",
    "is gift wrapping available",
    "gift wrap please",
]
WARRANTY = [
    "what is the warranty on lamps",
    "lamp warranty period",
    "is my lamp under warranty",
    "warranty claim",
]


def _asked(texts: list[str], *, before: bool = False, out: bool = True) -> list[Question]:
    return [
        Question(t, "unanswered", out, None if out else "store_policy", previous_window=before) for t in texts
    ]


def test_topics_are_named_by_their_words_and_counted_with_a_trend() -> None:
    found = find_gaps(
        _asked(GIFT)
        + _asked(WARRANTY, out=False)
        + _asked(["sing me a song"])
        + _asked(GIFT[:1], before=True)
    )
    assert len(found) == 2, [gap.name for gap in found]  # the song request is no topic
    gift = next(gap for gap in found if gap.name.startswith("gift"))
    warranty = next(gap for gap in found if "warranty" in gap.name)
    assert (gift.volume, gift.previous_volume, gift.trend, gift.proposal) == (4, 1, "rising", "intent")
    assert (warranty.trend, warranty.proposal, warranty.intent) == ("new", "article", "store_policy")
    assert "gift wrap my order" in draft_body(gift)


def test_too_few_questions_make_no_topic() -> None:
    assert find_gaps([]) == []
    assert find_gaps(_asked(["sing me a song", "are you a robot", "what is the meaning of life"])) == []
