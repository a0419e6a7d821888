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

ORDER_NUMBER = re.compile(r"\bORD-\d{4,}\b", re.IGNORECASE)
EMAIL = re.compile(r"\b[^@\s]+@[^@\s]+\.[a-z]{2,}\b", re.IGNORECASE)
GREETING = re.compile(r"^(hi|hello|hey|hola|bonjour|hallo|guten tag)\b[ ,]+[^\s,!.]+([,!.])?", re.IGNORECASE)
LEARNED_BOOST = 1.5  # a reply an agent accepted or edited from a suggestion before
MIN_SCORE = 0.2


@dataclass(frozen=True)
class PastReply:
    customer_text: str
    reply: str
    learned: bool = False  # it came from an accepted or edited suggestion


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


def similar_replies(query: str, history: list[PastReply], *, limit: int = 3) -> list[tuple[PastReply, float]]:
    """The past replies whose customer message is most like ``query`` (BM25, scaled so the best is 1)."""
    if not query.strip() or not history:
        return []
    stemmer = Stemmer.Stemmer("english")

    def tokens(texts: list[str]) -> list[list[str]]:
        found = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False)
        return [list(words) for words in found]

    index = bm25s.BM25()
    index.index(tokens([item.customer_text.lower() for item in history]), show_progress=False)
    known = [word for word in dict.fromkeys(tokens([query.lower()])[0]) if word in index.vocab_dict]
    if not known:
        return []
    scores = np.asarray(index.get_scores(known), dtype=float)
    best = float(scores.max())
    if best <= 0:
        return []
    ranked: list[tuple[PastReply, float]] = []
    for position in np.argsort(-scores)[: limit * 4]:
        item = history[int(position)]
        score = float(scores[position])
        if score <= 0:
            break
        ranked.append((item, score / best * (LEARNED_BOOST if item.learned else 1.0)))
    ranked.sort(key=lambda pair: -pair[1])
    unique: list[tuple[PastReply, float]] = []
    for item, score in ranked:
        if all(item.reply != kept.reply for kept, _ in unique):
            unique.append((item, min(1.0, score)))  # ordered by the boosted score, shown on a 0-1 scale
    return unique[:limit]


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
