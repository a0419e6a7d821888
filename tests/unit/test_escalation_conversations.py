"""Escalation at the level of a conversation: the real Tier-0 pipeline (language, signals, sentiment,
rules, BM25 over two articles) with a scripted intent model, fed turn after turn with the history the
service would give it (the bot's traces, the system notices of ownership changes, agents' messages).

For every rule there is a conversation where it fires and one where it does not. Requests for a person and
ordinary questions that merely mention agents, humans, people or managers run through two detectors: the
rules alone (``scripted_tier0``) and the rules with the learned second opinion the product uses
(``registry.build_tier0``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tandem.bot.escalation import EscalationPolicy
from tandem.bot.nlu.human_request import shared_classifier
from tandem.bot.pipeline import Tier0Responder, Tier0Settings
from tandem.bot.testing import scripted_tier0
from tandem.bot.training import demo_examples
from tandem.bot.types import BotReply, BotTurn, TurnMessage
from tandem.kb.schemas import ArticleOut

ARTICLES = [
    ArticleOut(
        id=1,
        slug="shipping-costs",
        locale="en",
        title="Shipping costs",
        body="Standard shipping costs 8.00 and is free from 75.00.\n\nExpress shipping costs 15.00.",
        tags=["shipping"],
        intents=["shipping_cost"],
        status="published",
    ),
    ArticleOut(
        id=2,
        slug="promo-codes",
        locale="en",
        title="Promo codes",
        body="Enter your promo code at checkout. A promo code works once per order and not on sale items.",
        tags=["promo"],
        intents=["promo_code"],
        status="published",
    ),
]
TABLE = {
    "hello": [("greeting", 0.95)],
    "thanks": [("thanks", 0.95)],
    "how much is shipping": [("shipping_cost", 0.9)],
    "what does shipping cost": [("shipping_cost", 0.9)],
    "shipping price, express and standard?": [("shipping_cost", 0.9)],
    "my promo code doesn't work": [("promo_code", 0.9)],
    "that didn't help": [("bot_unhelpful", 0.9)],
    "that didn't help either": [("bot_unhelpful", 0.9)],
    "I want to complain about the courier": [("complaint", 0.9)],
    "I'd like to end my subscription plan": [("cancel_subscription", 0.9)],
    "I want to cancel my subscription": [("cancel_subscription", 0.9)],
    "where is my parcel": [("order_status", 0.9)],
}
# Moderate: below the general frustration threshold (0.6), above the gold members' one (0.4).
UPSET = "my order is late, very disappointing and frustrating!!!"
ANGRY = "this is ridiculous, my parcel is still not here"  # 0.74: a frustration phrase
FURIOUS = "THIS IS USELESS, I ALREADY TOLD YOU"


@pytest.fixture(scope="module")
def responder() -> Tier0Responder:
    return scripted_tier0(TABLE, ARTICLES)


def _with_policy(policy: dict[str, Any]) -> Tier0Responder:
    custom = scripted_tier0(TABLE, ARTICLES)
    custom.settings = Tier0Settings(policy=EscalationPolicy.model_validate(policy))
    return custom


@pytest.fixture(scope="module", params=["rules", "rules+learned"])
def detector(request: pytest.FixtureRequest) -> Tier0Responder:
    """The request-for-a-person detection of tests (rules) and of the product (rules + learned)."""
    built = scripted_tier0(TABLE, ARTICLES)
    if request.param == "rules+learned":
        built.human_request = shared_classifier(demo_examples().texts)
    return built


@dataclass
class Chat:
    """One episode as the bot sees it: customer turns, the bot's replies with their traces, and whatever
    agents and the system added in between."""

    responder: Tier0Responder
    locale: str = "en"
    membership: str | None = None
    history: list[TurnMessage] = field(default_factory=list)
    replies: list[BotReply] = field(default_factory=list)

    async def say(self, text: str) -> BotReply:
        seq = len(self.history) + 1
        turn = BotTurn(
            conversation_id=1,
            locale=self.locale,
            text=text,
            seq=seq,
            history=tuple(self.history),
            membership=self.membership,
        )
        reply = await self.responder.respond(turn)
        self.history.append(TurnMessage("customer", text, seq))
        if reply.text is not None:  # a handoff posts no bot message; its trace goes on the event
            self.history.append(TurnMessage("bot", reply.text, seq + 1, reply.trace))
        self.replies.append(reply)
        return reply

    async def run(self, *texts: str) -> int | None:
        """Says each text until the bot hands over; the 1-based turn of the handoff, or None."""
        for number, text in enumerate(texts, start=1):
            if (await self.say(text)).handoff:
                return number
        return None

    @property
    def last(self) -> BotReply:
        return self.replies[-1]

    @property
    def rule(self) -> str | None:
        escalation = self.last.trace.get("escalation")
        return escalation["rule"] if escalation else None

    def system(self, transition: str, trigger: str) -> None:
        self.history.append(
            TurnMessage(
                "system", transition, len(self.history) + 1, {"transition": transition, "trigger": trigger}
            )
        )

    def agent(self, text: str) -> None:
        self.history.append(TurnMessage("agent", text, len(self.history) + 1))

    def handed_back_after_sentiment_handoff(self) -> None:
        """What the service records after the bot handed over for frustration and an agent handed back."""
        self.system("request_human", "sentiment")
        self.system("assign", "agent")
        self.agent("Sorry about that, I've chased the courier for you.")
        self.system("hand_back", "agent")


def _handed_over(reply: BotReply, rule: str, trigger: str) -> None:
    assert reply.handoff and reply.text is None, reply.trace
    assert reply.handoff_trigger == trigger
    escalation = reply.trace["escalation"]
    assert escalation["rule"] == rule and escalation["trigger"] == trigger
    assert reply.handoff_reason == escalation["reason"]
    assert reply.trace["decision"] == "handoff"


def _stayed(reply: BotReply) -> None:
    assert not reply.handoff and reply.text, reply.trace
    assert "escalation" not in reply.trace


# --- explicit_request --------------------------------------------------------------------------------------

EXPLICIT_REQUESTS = [
    ("en", "talk to an agent"),
    ("en", "Could I please speak with a customer service representative?"),
    ("en", "speak to a reprsentative pls"),
    ("en", "please have someone call me back"),
    ("en", "I don't want a bot, I want a person"),
    ("es", "quiero hablar con una persona"),
    ("es", "¿Me podrían comunicar con un asesor, por favor?"),
    ("es", "quiero ablar con un agnete"),
    ("es", "no quiero un robot, quiero una persona de verdad"),
    ("fr", "je veux parler à un conseiller"),
    ("fr", "un humain svp"),
    ("fr", "je voudrais parler a un conseiler"),
    ("fr", "Bonjour, serait-il possible d'être mis en contact avec un agent ?"),
    ("de", "Ich möchte mit einem Mitarbeiter sprechen"),
    ("de", "Mitarbieter bitte"),
    ("de", "Können Sie mich bitte mit einem Kundenberater verbinden?"),
    ("de", "kein Bot, ich will einen Menschen"),
]


@pytest.mark.parametrize(("locale", "text"), EXPLICIT_REQUESTS)
async def test_an_explicit_request_hands_over_at_the_first_turn(
    detector: Tier0Responder, locale: str, text: str
) -> None:
    chat = Chat(detector, locale=locale)
    assert await chat.run(text) == 1
    _handed_over(chat.last, "explicit_request", "customer_request")
    assert chat.last.trace["escalation"]["evidence"]["phrase"]


async def test_an_explicit_request_after_an_innocent_mention_hands_over_at_that_turn(
    detector: Tier0Responder,
) -> None:
    chat = Chat(detector)
    turns = (
        "the delivery agent left my parcel outside in the rain",
        "how much is shipping",
        "I'd like to speak to an agent about this",
    )
    assert await chat.run(*turns) == 3
    _handed_over(chat.last, "explicit_request", "customer_request")


async def test_an_explicit_request_wins_over_a_hacked_account() -> None:
    chat = Chat(scripted_tier0(TABLE, ARTICLES))
    assert await chat.run("I want a human, my account was hacked") == 1
    _handed_over(chat.last, "explicit_request", "customer_request")


# Ordinary requests that mention people (locale, text): none may hand over, with either detector.
INNOCENT_MENTIONS: list[tuple[str, str]] = [
    ("en", "is the travel agent discount still on?"),
    ("en", "human resources asked for an invoice copy"),
    ("en", "can I pick up my order in person?"),
    ("en", "my manager needs a receipt for this order"),
    ("en", "what's the agent fee on shipping"),
    ("en", "do you ship to a person at a different address"),
    ("en", "is this cream safe for human skin?"),
    ("en", "my manager wants to know if you do bulk orders"),
    ("en", "can a different person sign for the parcel?"),
    ("en", "does the price include the customs agent fee?"),
    ("en", "our office manager placed the order, can I see it?"),
    ("en", "is the sweater sized per person or unisex?"),
    ("en", "the delivery agent said nobody was home but I was"),
    ("en", "is there an agent discount for estate agents?"),
    ("en", "the human resources team wants 30 polo shirts with our logo"),
    ("en", "what are customer service opening hours?"),
    ("en", "can I talk to my manager first before I confirm the order?"),
    ("en", "I need a person to sign for the delivery, is that possible?"),
    ("en", "I want to send this to someone in Spain"),
    ("en", "I'd like to order a gift for someone, can you include a note?"),
    ("en", "I need to speak to my manager before I pay"),
    ("es", "el agente de la aduana me pide la factura"),
    ("es", "¿puedo recoger el pedido en persona?"),
    ("es", "mi jefe necesita una factura de este pedido"),
    ("es", "¿pueden enviar el pedido a otra persona?"),
    ("fr", "est-ce que je peux retirer ma commande en personne ?"),
    ("fr", "mon responsable a besoin d'une facture pour cette commande"),
    ("fr", "l'agent de livraison a laissé le colis chez le voisin"),
    ("fr", "quels sont les horaires du service client ?"),
    ("de", "kann ich die Bestellung persönlich abholen?"),
    ("de", "mein Chef braucht eine Rechnung für diese Bestellung"),
    ("de", "kann eine andere Person das Paket abholen?"),
    ("de", "ist der Pullover für Menschen mit empfindlicher Haut geeignet?"),
    ("de", "ich brauche die Adresse des Kundenservice für die Rücksendung"),
]


@pytest.mark.parametrize(
    ("locale", "text"), INNOCENT_MENTIONS, ids=[f"{m[0]}-{m[1]}" for m in INNOCENT_MENTIONS]
)
async def test_an_ordinary_request_that_mentions_people_stays_with_the_bot(
    detector: Tier0Responder, locale: str, text: str
) -> None:
    chat = Chat(detector, locale=locale)
    reply = await chat.say(text)
    assert not any(signal.startswith("asked for a person") for signal in reply.trace["signals"]), reply.trace
    _stayed(reply)


# --- sensitive_topic ---------------------------------------------------------------------------------------

SENSITIVE = [
    ("fraud", "en", "there's a charge on my card I didn't make"),
    ("account_compromised", "es", "me han hackeado la cuenta"),
    ("chargeback", "fr", "je vais contester le paiement auprès de ma banque"),
    ("legal_threat", "de", "ich werde Sie verklagen"),
    ("bereavement", "en", "my mother died last week, how do I cancel her orders?"),
    ("formal_complaint", "es", "quiero poner una reclamación formal"),
]


@pytest.mark.parametrize(("topic", "locale", "text"), SENSITIVE)
async def test_a_sensitive_topic_goes_to_a_person(
    responder: Tier0Responder, topic: str, locale: str, text: str
) -> None:
    chat = Chat(responder, locale=locale)
    assert await chat.run("hello", text) == 2
    _handed_over(chat.last, "sensitive_topic", "sensitive_topic")
    assert chat.last.trace["escalation"]["evidence"]["topic"] == topic
    assert f"sensitive: {topic}" in chat.last.trace["signals"]


@pytest.mark.parametrize(
    "text",
    [
        "how do I change the card on my account?",
        "I forgot my password",
        "can I pay by bank transfer?",
        "my account page is slow",
    ],
)
async def test_routine_account_and_payment_questions_stay_with_the_bot(
    responder: Tier0Responder, text: str
) -> None:
    chat = Chat(responder)
    assert await chat.run("hello", text) is None
    _stayed(chat.last)


async def test_a_sensitive_topic_wins_over_the_frustration_of_a_legal_threat(
    responder: Tier0Responder,
) -> None:
    chat = Chat(responder)
    assert await chat.run("someone hacked my account, I'm going to take you to court") == 1
    assert chat.last.trace["frustration"] >= 0.6  # frustration would have fired too, but comes later
    _handed_over(chat.last, "sensitive_topic", "sensitive_topic")


# --- frustration -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("en", ANGRY),
        ("en", FURIOUS),
        ("es", "esto es ridículo, mi paquete no llega"),
        ("fr", "c'est ridicule, mon colis n'arrive pas"),
        ("de", "das ist lächerlich, mein Paket kommt nicht an"),
    ],
)
async def test_frustration_hands_over_with_the_threshold_it_crossed(
    responder: Tier0Responder, locale: str, text: str
) -> None:
    chat = Chat(responder, locale=locale)
    assert await chat.run("hello", text) == 2
    _handed_over(chat.last, "frustration", "sentiment")
    escalation = chat.last.trace["escalation"]
    assert escalation["threshold"] == 0.6 and escalation["evidence"]["language"] == locale
    assert escalation["evidence"]["score"] >= 0.6


@pytest.mark.parametrize(
    "text", ["my parcel is late and that is a bit annoying", "my parcel is late and I'm really disappointed"]
)
async def test_mild_disappointment_stays_with_the_bot(responder: Tier0Responder, text: str) -> None:
    chat = Chat(responder)
    assert await chat.run("hello", text) is None
    assert chat.last.trace["frustration"] < 0.6


async def test_the_threshold_of_the_customer_language_applies() -> None:
    lenient_german = _with_policy(
        {"rules": [{"rule": "explicit_request"}, {"rule": "frustration", "locales": {"de": 0.9}}]}
    )
    german = Chat(lenient_german, locale="de")
    assert await german.run("das ist lächerlich, mein Paket kommt nicht an") is None
    assert 0.6 <= german.last.trace["frustration"] < 0.9
    spanish = Chat(lenient_german, locale="es")
    assert await spanish.run("esto es ridículo, mi paquete no llega") == 1
    _handed_over(spanish.last, "frustration", "sentiment")
    assert spanish.last.trace["escalation"]["threshold"] == 0.6


async def test_after_a_hand_back_frustration_does_not_bounce_the_customer_straight_back(
    responder: Tier0Responder,
) -> None:
    chat = Chat(responder)
    assert await chat.run(FURIOUS) == 1
    _handed_over(chat.last, "frustration", "sentiment")
    chat.handed_back_after_sentiment_handoff()
    assert await chat.run(ANGRY, ANGRY + "!!!") is None  # still angry, even angrier: stays with the bot
    assert chat.replies[-1].trace["frustration"] >= 0.9


async def test_after_a_hand_back_frustration_fires_again_once_the_customer_calmed_down(
    responder: Tier0Responder,
) -> None:
    chat = Chat(responder)
    assert await chat.run(FURIOUS) == 1
    chat.handed_back_after_sentiment_handoff()
    assert await chat.run(ANGRY, "how much is shipping", "thanks") is None
    assert chat.last.trace["frustration"] < 0.45  # below threshold - release: armed again
    assert await chat.run("this is useless, the parcel is still not here") == 1
    _handed_over(chat.last, "frustration", "sentiment")


async def test_a_handoff_for_another_reason_does_not_hold_frustration_back(responder: Tier0Responder) -> None:
    chat = Chat(responder)
    chat.system("request_human", "customer_request")
    chat.system("assign", "agent")
    chat.agent("Hi, I'm here.")
    chat.system("hand_back", "agent")
    assert await chat.run(ANGRY) == 1
    _handed_over(chat.last, "frustration", "sentiment")


# --- human_only_intent -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I want to complain about the courier", "complaint"),
        ("I'd like to end my subscription plan", "cancel_subscription"),
    ],
)
async def test_human_only_intents_go_to_people(responder: Tier0Responder, text: str, intent: str) -> None:
    chat = Chat(responder)
    assert await chat.run("hello", text) == 2
    _handed_over(chat.last, "human_only_intent", "bot_rule")
    assert chat.last.trace["escalation"]["evidence"]["intent"] == intent


async def test_a_plain_cancellation_goes_to_a_person(responder: Tier0Responder) -> None:
    # Hands over, but today as *frustration*: "cancel my subscription" is also a churn threat (0.6).
    chat = Chat(responder)
    assert await chat.run("I want to cancel my subscription") == 1
    assert chat.rule in {"human_only_intent", "frustration"}, chat.last.trace["escalation"]


async def test_other_intents_stay_with_the_bot(responder: Tier0Responder) -> None:
    chat = Chat(responder)
    assert await chat.run("hello", "how much is shipping", "my promo code doesn't work") is None
    assert chat.last.trace["decision"] == "article"


# --- membership --------------------------------------------------------------------------------------------


async def test_a_gold_member_reaches_a_person_at_a_lower_frustration(responder: Tier0Responder) -> None:
    chat = Chat(responder, membership="gold")
    assert await chat.run("hello", UPSET) == 2
    _handed_over(chat.last, "membership", "sentiment")
    escalation = chat.last.trace["escalation"]
    assert escalation["threshold"] == 0.4 and 0.4 <= escalation["evidence"]["score"] < 0.6


@pytest.mark.parametrize("membership", ["guest", "silver", None])
async def test_others_equally_upset_stay_with_the_bot(
    responder: Tier0Responder, membership: str | None
) -> None:
    chat = Chat(responder, membership=membership)
    assert await chat.run("hello", UPSET) is None


async def test_always_sends_gold_members_to_a_person_at_once() -> None:
    always = _with_policy(
        {"rules": [{"rule": "explicit_request"}, {"rule": "membership", "levels": ["gold"], "always": True}]}
    )
    gold = Chat(always, membership="gold")
    assert await gold.run("hello") == 1
    _handed_over(gold.last, "membership", "bot_rule")
    guest = Chat(always, membership="guest")
    assert await guest.run("hello", "how much is shipping") is None


async def test_a_gold_member_is_handed_over_after_two_failures_a_guest_after_three(
    responder: Tier0Responder,
) -> None:
    misses = ("blorp", "zxcv qwrt", "fnord wibble")
    gold = Chat(responder, membership="gold")
    assert await gold.run(*misses) == 2
    _handed_over(gold.last, "failed_attempts", "bot_failure")
    assert gold.last.trace["escalation"]["threshold"] == 2
    assert gold.last.trace["escalation"]["evidence"]["membership"] == "gold"
    guest = Chat(responder, membership="guest")
    assert await guest.run(*misses) == 3
    assert guest.last.trace["escalation"]["threshold"] == 3


async def test_after_a_hand_back_an_upset_gold_member_is_not_bounced_straight_back(
    responder: Tier0Responder,
) -> None:
    chat = Chat(responder, membership="gold")
    assert await chat.run("hello", UPSET) == 2
    chat.handed_back_after_sentiment_handoff()
    reply = await chat.say("I am very unhappy, my parcel is late, this is bad and sad!!!")  # 0.5
    assert not reply.handoff, reply.trace["escalation"]


async def test_an_upset_gold_member_reaches_a_person_again_after_calming_down(
    responder: Tier0Responder,
) -> None:
    chat = Chat(responder, membership="gold")
    assert await chat.run("hello", UPSET) == 2
    chat.handed_back_after_sentiment_handoff()
    assert await chat.run("how much is shipping", "thanks") is None  # calm: below 0.4 - 0.15
    assert await chat.run("I am very unhappy, my parcel is late, this is bad and sad!!!") == 1
    _handed_over(chat.last, "membership", "sentiment")


# --- loop --------------------------------------------------------------------------------------------------


async def test_the_same_question_answered_three_times_is_a_loop(responder: Tier0Responder) -> None:
    chat = Chat(responder)
    turns = ("how much is shipping", "what does shipping cost", "shipping price, express and standard?")
    assert await chat.run(*turns) == 3
    assert [r.trace["decision"] for r in chat.replies[:2]] == ["article", "article"]
    _handed_over(chat.last, "loop", "bot_failure")
    assert chat.last.trace["escalation"]["evidence"] == {"intent": "shipping_cost", "times": 3}
    assert chat.last.trace["escalation"]["threshold"] == 3


@pytest.mark.parametrize(
    "turns",
    [
        ("how much is shipping", "what does shipping cost"),
        ("how much is shipping", "my promo code doesn't work", "what does shipping cost"),
        ("hello", "hello", "hello", "thanks"),
    ],
)
async def test_no_loop_when_the_questions_change(responder: Tier0Responder, turns: tuple[str, ...]) -> None:
    chat = Chat(responder)
    assert await chat.run(*turns) is None


# --- unsupported_language ----------------------------------------------------------------------------------

ITALIAN = ("buongiorno, dov'è il mio ordine? non è ancora arrivato", "per favore, mi aiuti con l'ordine")


async def test_a_second_message_in_an_unsupported_language_hands_over(responder: Tier0Responder) -> None:
    chat = Chat(responder)
    assert await chat.run(*ITALIAN) == 2
    assert chat.replies[0].trace["outcome"] == "unsupported_language"
    assert "English, Spanish, French and German" in (chat.replies[0].text or "")
    _handed_over(chat.last, "unsupported_language", "bot_rule")
    assert chat.last.trace["escalation"]["evidence"] == {"language": "it"}


async def test_one_message_in_an_unsupported_language_gets_an_apology(responder: Tier0Responder) -> None:
    chat = Chat(responder)
    assert await chat.run(ITALIAN[0], "how much is shipping") is None
    assert chat.replies[0].trace["outcome"] == "unsupported_language"
    assert chat.last.trace["decision"] == "article"


# --- failed_attempts ---------------------------------------------------------------------------------------


async def test_the_third_failure_in_a_row_hands_over(responder: Tier0Responder) -> None:
    chat = Chat(responder)
    assert await chat.run("blorp", "zxcv qwrt", "fnord wibble") == 3
    _handed_over(chat.last, "failed_attempts", "bot_failure")
    assert chat.last.trace["would_have_said"] == "not_understood"
    assert chat.last.trace["escalation"]["evidence"]["failures"] == 3


async def test_a_success_in_between_resets_the_count(responder: Tier0Responder) -> None:
    chat = Chat(responder)
    assert await chat.run("blorp", "zxcv qwrt", "how much is shipping", "fnord wibble", "blorp blorp") is None


async def test_saying_an_answer_did_not_help_counts_that_answer_as_a_failure(
    responder: Tier0Responder,
) -> None:
    chat = Chat(responder)
    assert await chat.run("my promo code doesn't work", "that didn't help", "that didn't help either") == 3
    assert chat.replies[0].trace["decision"] == "article"
    assert chat.replies[1].trace["outcome"] == "unhelpful"  # the answer and this: two
    _handed_over(chat.last, "failed_attempts", "bot_failure")
    assert chat.last.trace["escalation"]["evidence"]["failures"] == 3


async def test_one_complaint_about_an_answer_is_not_yet_a_handoff(responder: Tier0Responder) -> None:
    chat = Chat(responder)
    assert await chat.run("my promo code doesn't work", "that didn't help", "how much is shipping") is None
