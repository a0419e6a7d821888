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

# Order numbers: the demo store's ORD-12345, and the bare long numbers other shops use when the words
# around them say "order" (so a card or phone number is never taken for one).
ORDER_NUMBER = re.compile(
    r"\b(ORD-\d{4,})\b|\b(?:order|purchase|pedido|commande|bestellung)(?:\s+(?:number|no\.?|nr\.?|id))?"
    r"\s*[#:]?\s*(\d{6,})\b",
    re.IGNORECASE,
)
LONG_NUMBER = re.compile(r"(?<![\w-])\+?\d[\d ]{4,}\d\b")  # a card, phone or account number of someone
_ORDER_SLOT = "\x00order\x00"
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


def order_numbers(text: str) -> list[str]:
    return [match.group(1) or match.group(2) for match in ORDER_NUMBER.finditer(text)]


def _order_slot(match: re.Match[str]) -> str:
    number = 1 if match.group(1) else 2
    return match.group(0)[: match.start(number) - match.start(0)] + _ORDER_SLOT


def fit_to_customer(reply: str, *, name: str | None, order: str | None) -> str:
    """A past reply made safe and personal: the other customer's order numbers become this customer's,
    other long numbers (cards, phones, accounts), e-mail addresses and the greeting's name go."""
    text = ORDER_NUMBER.sub(_order_slot, reply)
    text = LONG_NUMBER.sub("[number]", text)  # never another customer's card, phone or account number
    text = text.replace(_ORDER_SLOT, order or "[order number]")
    text = EMAIL.sub("[e-mail]", text)
    first = (name or "").split(" ")[0]
    return GREETING.sub(
        lambda m: f"{m.group(1)} {first}{m.group(2) or ','}" if first else f"{m.group(1)},", text
    )


class _Snapshot:
    """An immutable BM25 index over some pairs (built in a thread, swapped in whole)."""

    def __init__(self, pairs: list[PastReply], stemmer: Stemmer.Stemmer) -> None:
        self.pairs = pairs
        documents = _tokens([pair.customer_text for pair in pairs], stemmer)
        self.index: bm25s.BM25 | None = None
        if any(documents):  # bm25s cannot index a corpus without a single word ("ok", "?", "👍")
            self.index = bm25s.BM25()
            self.index.index(documents, show_progress=False)

    def nearest(self, words: list[str], wanted: int) -> list[tuple[PastReply, float]]:
        if self.index is None:
            return []
        known = [word for word in words if word in self.index.vocab_dict]
        if not known:
            return []
        scores = np.asarray(self.index.get_scores(known), dtype=float)
        wanted = min(len(scores), wanted)
        top = np.argpartition(-scores, wanted - 1)[:wanted]
        return sorted(
            ((self.pairs[int(i)], float(scores[i])) for i in top if scores[i] > 0), key=lambda pair: -pair[1]
        )


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
    history (up to ``capacity`` pairs, the newest kept) without reading it again. ``add`` only records the
    pairs; ``rebuild`` (seconds at tens of thousands of pairs, so the service runs it in a thread) makes a
    new snapshot and swaps it in, so searches never wait for it and always see one consistent index."""

    def __init__(self, *, capacity: int = 50_000) -> None:
        self.capacity = capacity
        self._stemmer = Stemmer.Stemmer("english")
        self._pairs: list[PastReply] = []
        self._snapshot: _Snapshot | None = None

    def __len__(self) -> int:
        return len(self._pairs)

    @property
    def stale(self) -> bool:
        """Pairs were added since the snapshot searched now was built."""
        built = self._snapshot.pairs if self._snapshot is not None else []
        return built is not self._pairs and (bool(self._pairs) or bool(built))

    def add(self, pairs: list[PastReply]) -> None:
        if pairs:
            self._pairs = (self._pairs + pairs)[
                -self.capacity :
            ]  # a new list: a rebuild in flight keeps its own

    def rebuild(self) -> None:
        pairs = self._pairs
        self._snapshot = _Snapshot(pairs, self._stemmer)

    def search(
        self, query: str, *, limit: int = 3, exclude_conversation: int | None = None, neighbours: int = 30
    ) -> list[tuple[PastReply, float]]:
        """The replies agents gave most often to the messages most like ``query``.

        The ``neighbours`` nearest past messages vote for their reply, weighted by BM25 score (replies agents
        accepted or edited from a suggestion count ``LEARNED_BOOST`` times); the same reply to different
        customers is one candidate, so a team's usual answer wins over a one-off. Scores are scaled so the
        best is 1."""
        snapshot = self._snapshot
        if snapshot is None or not query.strip():
            return []
        words = list(dict.fromkeys(_tokens([query], self._stemmer)[0]))
        votes: dict[str, float] = {}
        chosen: dict[str, PastReply] = {}
        used = 0
        for item, score in snapshot.nearest(words, neighbours * 3):  # spare for the excluded conversation
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
    index.rebuild()
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
