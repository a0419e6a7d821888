"""Agent assist, the pure part: rank reply suggestions, make a past reply fit this customer, and say what
to do next and how. No I/O; the service feeds it the conversation, the history and the CRM record.

Suggestions come from three places, best first:
- the handoff packet's first reply (it already knows what the customer tried),
- replies agents wrote to similar customer messages before (retrieval over the history; replies agents
  accepted or edited from suggestions count more, which is how the engine learns),
- knowledge articles that match the customer's words.
Past replies are scrubbed of the other customer's order numbers, e-mail addresses and name before they
are shown: a suggestion must never leak someone else's data.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date

import bm25s
import numpy as np
import Stemmer

from tandem.customers.crm import CustomerProfile
from tandem.store import policies

# The demo store's ORD-12345, and the bare long numbers other shops use (6+ digits).
ORDER_NUMBER = re.compile(r"\b(?:ORD-\d{4,}|\d{6,})\b", re.IGNORECASE)
EMAIL = re.compile(r"\b[^@\s]+@[^@\s]+\.[a-z]{2,}\b", re.IGNORECASE)
GREETING = re.compile(r"^(hi|hello|hey|hola|bonjour|hallo|guten tag)\b[ ,]+[^\s,!.]+([,!.])?", re.IGNORECASE)
LEARNED_BOOST = 1.5  # a reply an agent accepted or edited from a suggestion before
MIN_SCORE = 0.2


@dataclass(frozen=True)
class PastReply:
    customer_text: str
    reply: str
    learned: bool = False  # it came from an accepted or edited suggestion
    conversation_id: int | None = None


@dataclass(frozen=True)
class Suggestion:
    id: str
    kind: str  # handoff | past_reply | article
    text: str
    source: str
    score: float


def suggestion_id(kind: str, text: str) -> str:
    return hashlib.sha256(f"{kind}:{text}".encode()).hexdigest()[:32]


def fit_to_customer(reply: str, *, name: str | None, order: str | None) -> str:
    """A past reply made safe and personal: the other customer's order numbers, e-mails and name go."""
    text = ORDER_NUMBER.sub(order or "[order number]", reply)
    text = EMAIL.sub("[e-mail]", text)
    first = (name or "").split(" ")[0]
    return GREETING.sub(
        lambda m: f"{m.group(1)} {first}{m.group(2) or ','}" if first else f"{m.group(1)},", text
    )


class _Segment:
    """An immutable BM25 index over some pairs."""

    def __init__(self, pairs: list[PastReply], stemmer: Stemmer.Stemmer) -> None:
        self.pairs = pairs
        self.index = bm25s.BM25()
        self.index.index(_tokens([pair.customer_text for pair in pairs], stemmer), show_progress=False)

    def nearest(self, words: list[str], wanted: int) -> list[tuple[PastReply, float]]:
        known = [word for word in words if word in self.index.vocab_dict]
        if not known:
            return []
        scores = np.asarray(self.index.get_scores(known), dtype=float)
        wanted = min(len(scores), wanted)
        top = np.argpartition(-scores, wanted - 1)[:wanted]
        return [(self.pairs[int(i)], float(scores[i])) for i in top if scores[i] > 0]


def _tokens(texts: list[str], stemmer: Stemmer.Stemmer) -> list[list[str]]:
    found = bm25s.tokenize(
        [text.lower() for text in texts],
        stopwords="en",
        stemmer=stemmer,
        return_ids=False,
        show_progress=False,
    )
    return [list(words) for words in found]


class ReplyIndex:
    """Past (customer message -> agent reply) pairs, searchable by the customer's words.

    Held for the life of the process and extended as replies arrive, so a request searches the whole
    history (up to ``capacity`` pairs, the newest kept) without reading it again. New pairs go to a small
    recent segment, cheap to rebuild; ``compact`` folds them into the main segment, which takes seconds at
    tens of thousands of pairs, so the service runs it in a thread when ``needs_compaction`` says so."""

    def __init__(self, *, capacity: int = 50_000) -> None:
        self.capacity = capacity
        self._stemmer = Stemmer.Stemmer("english")
        self._main: _Segment | None = None
        self._recent_pairs: list[PastReply] = []
        self._recent: _Segment | None = None

    def __len__(self) -> int:
        return min(self.capacity, len(self._main.pairs if self._main else ()) + len(self._recent_pairs))

    def add(self, pairs: list[PastReply]) -> None:
        if pairs:
            self._recent_pairs = self._recent_pairs + pairs
            self._recent = None

    @property
    def needs_compaction(self) -> bool:
        main = len(self._main.pairs) if self._main else 0
        return len(self._recent_pairs) > min(2_000, max(500, main // 5))

    def compact(self) -> None:
        """Fold the recent pairs into a new main segment (safe to run in a thread beside searches)."""
        taken = len(self._recent_pairs)
        pairs = ((self._main.pairs if self._main else []) + self._recent_pairs[:taken])[-self.capacity :]
        self._main = _Segment(pairs, self._stemmer) if pairs else None
        self._recent_pairs = self._recent_pairs[taken:]
        self._recent = None

    def search(
        self, query: str, *, limit: int = 3, exclude_conversation: int | None = None, neighbours: int = 30
    ) -> list[tuple[PastReply, float]]:
        """The replies agents gave most often to the messages most like ``query``.

        The ``neighbours`` nearest past messages vote for their reply, weighted by BM25 score (replies agents
        accepted or edited from a suggestion count ``LEARNED_BOOST`` times); the same reply to different
        customers is one candidate, so a team's usual answer wins over a one-off. Scores are scaled so the
        best is 1."""
        if not query.strip():
            return []
        if self._recent is None and self._recent_pairs:
            self._recent = _Segment(self._recent_pairs, self._stemmer)
        words = list(dict.fromkeys(_tokens([query], self._stemmer)[0]))
        found: list[tuple[PastReply, float]] = []
        for segment in (self._main, self._recent):
            if segment is not None:
                found += segment.nearest(words, neighbours + 20)  # spare for the excluded conversation
        found.sort(key=lambda pair: -pair[1])
        votes: dict[str, float] = {}
        chosen: dict[str, PastReply] = {}
        used = 0
        for item, score in found:
            if used >= neighbours:
                break
            if exclude_conversation is not None and item.conversation_id == exclude_conversation:
                continue
            used += 1
            key = reply_key(item.reply)
            votes[key] = votes.get(key, 0.0) + score * (LEARNED_BOOST if item.learned else 1.0)
            if key not in chosen or (item.learned and not chosen[key].learned):
                chosen[key] = item
        if not votes:
            return []
        best = max(votes.values())
        ranked = sorted(votes.items(), key=lambda pair: -pair[1])[:limit]
        return [(chosen[key], vote / best) for key, vote in ranked]


def reply_key(reply: str) -> str:
    """A reply without what is personal to one customer, so one answer sent to many counts as one."""
    return " ".join(fit_to_customer(reply, name=None, order=None).lower().split())


def similar_replies(query: str, history: list[PastReply], *, limit: int = 3) -> list[tuple[PastReply, float]]:
    """One-off search over ``history`` (tests and small callers; the service keeps a ``ReplyIndex``)."""
    index = ReplyIndex()
    index.add(history)
    index.compact()
    return index.search(query, limit=limit)


def rank(suggestions: list[Suggestion], *, limit: int = 5) -> list[Suggestion]:
    """Best first; weak ones and the same text twice (from two sources) are dropped."""
    kept: list[Suggestion] = []
    for suggestion in sorted(suggestions, key=lambda s: -s.score):
        if suggestion.score >= MIN_SCORE and all(suggestion.text != other.text for other in kept):
            kept.append(suggestion)
    return kept[:limit]


def next_best_action(intent: str | None, profile: CustomerProfile | None, *, today: date) -> str | None:
    """One concrete step from the intent, the store's policies and the CRM record, or None."""
    orders = profile.orders if profile else ()
    latest = orders[0] if orders else None
    if intent in ("return_item", "start_refund") and latest is not None and profile is not None:
        decision = policies.return_eligibility(latest, membership=profile.membership, today=today)
        verb = "Offer a return" if decision.eligible else "Explain the return policy"
        return f"{verb}: {latest.number} — {decision.reason}"
    if intent in ("order_status", "delivery_time", "missing_package") and latest is not None:
        if latest.status == "delivered" and intent == "missing_package":
            return f"Open a missing-parcel claim for {latest.number} (marked delivered) with the carrier."
        if latest.tracking_number:
            return f"Share the tracking of {latest.number}: {latest.tracking_number} ({latest.carrier or 'carrier'})."
        return f"Tell the customer where {latest.number} is: {policies.describe_status(latest)}"
    if intent == "cancel_subscription" and profile is not None and profile.premium_subscription:
        return "Before cancelling, offer to pause the premium subscription for up to three months."
    if intent == "change_address" and latest is not None:
        change = policies.address_change_allowed(latest)
        verb = "Change" if change.allowed else "Explain why we cannot change"
        return f"{verb} the address of {latest.number}: {change.reason}"
    return None


_TIPS = {
    "sentiment": "The customer is upset. Acknowledge it in your first sentence, say what you will do now, and "
    "do not ask them to repeat anything: the summary above has it.",
    "fraud": "Possible fraud: never ask for a full card number or password. Confirm identity with the order "
    "e-mail, then freeze and escalate per the fraud procedure.",
    "account_compromised": "Possible account takeover: reset the password and sessions first, then check recent "
    "orders and addresses with the customer.",
    "bereavement": "Bereavement: offer condolences simply, keep it short, and offer to close or transfer the "
    "account without asking for documents up front.",
    "legal_threat": "Legal threat: stay factual and polite, make no admissions, and hand the case to a "
    "supervisor.",
    "chargeback": "Chargeback mentioned: explain that a refund from us is faster than a bank dispute, and check "
    "whether a refund is due.",
    "formal_complaint": "Formal complaint: log it with a reference number and tell the customer when they will "
    "hear back.",
}


def coaching_tip(*, trigger: str | None, topic: str | None, direction: str | None) -> str | None:
    """How to handle this one, when the customer is upset or the topic is sensitive."""
    if topic and topic in _TIPS:
        return _TIPS[topic]
    if trigger == "sentiment" or direction == "rising":
        return _TIPS["sentiment"]
    return None
