"""E-mail follow-ups: what a customer who is not in the chat receives, in their language.

Two kinds of message, both composed here from plain facts (no I/O) and sent by ``core.mail``:

- the **confirmation**, when the customer leaves an address (or leaves the chat with a verified one):
  we will answer here, the conversation stays open, no need to write again;
- a person's **reply**: the public message an agent wrote, with who wrote it. Internal notes, the bot's
  messages and system notices never go out.

Every message of a conversation threads under one root Message-ID (``thread_root_key``); each one
names the earlier ones in ``References`` and the latest in ``In-Reply-To``, and they share one subject,
so mail clients show the conversation as one thread.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from tandem.core.mail import OutboundEmail, text_to_html

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "subject": "Your conversation with our support team (#{ref})",
        "hello": "Hello {name},",
        "hello_anonymous": "Hello,",
        "confirmation": "Thank you for contacting us. If you are no longer in the chat when someone from our "
        "team answers, their reply will come to this address. You don't need to write again: your "
        "conversation stays open, and whoever answers sees all of it.",
        "departed": "You left our chat before someone from our team could answer. Your conversation stays "
        "open: we will reply to you at this address as soon as someone is available, and you don't need to "
        "write again.",
        "reply": "{agent} from our team answered you:",
        "footer": "You receive this e-mail because you asked our support team for help in the chat "
        "(conversation #{ref}).",
    },
    "es": {
        "subject": "Tu conversación con nuestro equipo de atención al cliente (#{ref})",
        "hello": "Hola, {name}:",
        "hello_anonymous": "Hola:",
        "confirmation": "Gracias por escribirnos. Si ya no estás en el chat cuando alguien de nuestro equipo "
        "responda, su respuesta llegará a esta dirección. No hace falta que vuelvas a escribir: tu "
        "conversación sigue abierta y quien responda la verá entera.",
        "departed": "Saliste del chat antes de que alguien de nuestro equipo pudiera responderte. Tu "
        "conversación sigue abierta: te responderemos a esta dirección en cuanto haya alguien disponible, y "
        "no hace falta que vuelvas a escribir.",
        "reply": "{agent}, de nuestro equipo, te ha respondido:",
        "footer": "Recibes este correo porque pediste ayuda a nuestro equipo en el chat (conversación #{ref}).",
    },
    "fr": {
        "subject": "Votre conversation avec notre service client (n° {ref})",
        "hello": "Bonjour {name},",
        "hello_anonymous": "Bonjour,",
        "confirmation": "Merci de nous avoir contactés. Si vous n'êtes plus dans la discussion quand une "
        "personne de notre équipe répondra, sa réponse arrivera à cette adresse. Inutile de nous réécrire : "
        "votre conversation reste ouverte et la personne qui répond la voit en entier.",
        "departed": "Vous avez quitté la discussion avant qu'une personne de notre équipe puisse vous répondre. "
        "Votre conversation reste ouverte : nous vous répondrons à cette adresse dès que quelqu'un sera "
        "disponible, inutile de nous réécrire.",
        "reply": "{agent}, de notre équipe, vous a répondu :",
        "footer": "Vous recevez cet e-mail parce que vous avez demandé de l'aide à notre équipe dans la "
        "discussion (conversation n° {ref}).",
    },
    "de": {
        "subject": "Ihr Gespräch mit unserem Kundenservice (Nr. {ref})",
        "hello": "Hallo {name},",
        "hello_anonymous": "Hallo,",
        "confirmation": "Danke für Ihre Nachricht. Wenn Sie nicht mehr im Chat sind, wenn jemand aus unserem "
        "Team antwortet, kommt die Antwort an diese Adresse. Sie müssen nicht noch einmal schreiben: Ihr "
        "Gespräch bleibt offen, und wer antwortet, sieht es vollständig.",
        "departed": "Sie haben den Chat verlassen, bevor jemand aus unserem Team antworten konnte. Ihr Gespräch "
        "bleibt offen: Wir antworten Ihnen an diese Adresse, sobald jemand verfügbar ist, und Sie müssen "
        "nicht noch einmal schreiben.",
        "reply": "{agent} aus unserem Team hat Ihnen geantwortet:",
        "footer": "Sie erhalten diese E-Mail, weil Sie unser Team im Chat um Hilfe gebeten haben "
        "(Gespräch Nr. {ref}).",
    },
}
AGENT_FALLBACK = {"en": "A colleague", "es": "Un compañero", "fr": "Un collègue", "de": "Ein Kollege"}
CONVERSATION_HEADER = "X-Tandem-Conversation"


def language_of(locale: str) -> str:
    language = locale.split("-")[0].lower()
    return language if language in _TEXTS else "en"


def thread_root_key(conversation_id: int) -> str:
    """The Message-ID key every e-mail of the conversation refers to first."""
    return f"tandem-conversation-{conversation_id}"


def message_key(conversation_id: int, seq: int) -> str:
    """One e-mail per message of the conversation: a retried job reuses the id."""
    return f"tandem-conversation-{conversation_id}-message-{seq}"


@dataclass(frozen=True, kw_only=True)
class Thread:
    """Where a new e-mail goes in the conversation's mail thread: the root and the ids sent so far."""

    conversation_id: int
    root_id: str
    sent_ids: tuple[str, ...] = ()

    @property
    def references(self) -> tuple[str, ...]:
        return (self.root_id, *self.sent_ids)


def confirmation_email(
    *,
    to: str,
    locale: str,
    thread: Thread,
    message_id: str,
    customer_name: str | None,
    departed: bool,
) -> OutboundEmail:
    texts = _TEXTS[language_of(locale)]
    body = texts["departed" if departed else "confirmation"]
    return _email(to=to, locale=locale, thread=thread, message_id=message_id, customer_name=customer_name,
                  paragraphs=[body], auto_generated=True)  # fmt: skip


def reply_email(
    *,
    to: str,
    locale: str,
    thread: Thread,
    message_id: str,
    customer_name: str | None,
    agent_name: str | None,
    body: str,
) -> OutboundEmail:
    language = language_of(locale)
    intro = _TEXTS[language]["reply"].format(agent=agent_name or AGENT_FALLBACK[language])
    return _email(to=to, locale=locale, thread=thread, message_id=message_id, customer_name=customer_name,
                  paragraphs=[intro, body], auto_generated=False)  # fmt: skip


def _email(
    *,
    to: str,
    locale: str,
    thread: Thread,
    message_id: str,
    customer_name: str | None,
    paragraphs: list[str],
    auto_generated: bool,
) -> OutboundEmail:
    language = language_of(locale)
    texts = _TEXTS[language]
    ref = str(thread.conversation_id)
    hello = texts["hello"].format(name=customer_name) if customer_name else texts["hello_anonymous"]
    footer = texts["footer"].format(ref=ref)
    text = "\n\n".join([hello, *paragraphs, "--", footer]) + "\n"
    subject = texts["subject"].format(ref=ref)
    return OutboundEmail(
        to=to,
        subject=f"Re: {subject}" if thread.sent_ids else subject,
        text=text,
        html="".join(text_to_html(part) for part in [hello, *paragraphs])
        + f"<hr>\n<p><small>{html.escape(footer)}</small></p>\n",
        message_id=message_id,
        in_reply_to=thread.references[-1],
        references=thread.references,
        language=language,
        auto_generated=auto_generated,
        headers={CONVERSATION_HEADER: ref},
    )
