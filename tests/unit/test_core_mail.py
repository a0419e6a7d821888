"""Composing outbound e-mail: the headers that make replies thread, a plain-text part and an escaped HTML
part, and the follow-up messages in the customer's language with nothing internal in them."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

from tandem.conversation import follow_up
from tandem.core.mail import MAX_REFERENCES, OutboundEmail, build_mime, make_message_id, text_to_html

FROM = "Loom & Lantern support <support@loom.example>"


def _parsed(message: OutboundEmail) -> EmailMessage:
    raw = build_mime(message, from_address=FROM).as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_a_message_has_threading_headers_and_both_parts() -> None:
    message = OutboundEmail(
        to="maya@example.com",
        subject="Re: Your conversation (#7)",
        text="Hello Maya,\n\nYour refund is on its way.\n",
        html=text_to_html("Hello Maya,\n\nYour refund is on its way."),
        message_id="<m2@loom.example>",
        in_reply_to="<m1@loom.example>",
        references=("<root@loom.example>", "<m1@loom.example>"),
        language="es",
        auto_generated=True,
        headers={"X-Tandem-Conversation": "7"},
    )
    parsed = _parsed(message)
    assert parsed["Message-ID"] == "<m2@loom.example>"
    assert parsed["In-Reply-To"] == "<m1@loom.example>"
    assert parsed["References"] == "<root@loom.example> <m1@loom.example>"
    assert parsed["Content-Language"] == "es" and parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["From"] == FROM and parsed["To"] == "maya@example.com"
    assert parsed["X-Tandem-Conversation"] == "7" and parsed["Date"]
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert text is not None and "Your refund is on its way." in text.get_content()
    assert html is not None and "<p>Your refund is on its way.</p>" in html.get_content()


def test_html_from_a_person_is_escaped_in_the_html_part() -> None:
    attack = '<img src=x onerror="alert(1)"> & <b>bold</b>\nsecond line'
    rendered = text_to_html(attack)
    assert "<img" not in rendered and "<b>" not in rendered
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;b&gt;bold&lt;/b&gt;<br>" in rendered


def test_a_long_reference_chain_keeps_the_root_and_the_latest() -> None:
    refs = tuple(f"<m{i}@loom.example>" for i in range(30))
    parsed = _parsed(OutboundEmail(to="a@b.example", subject="s", text="t", message_id="<x@loom.example>",
                                   references=refs))  # fmt: skip
    kept = parsed["References"].split()
    assert len(kept) == MAX_REFERENCES and kept[0] == refs[0] and kept[-1] == refs[-1]


def test_message_ids_are_named_after_the_sender_domain() -> None:
    assert (
        make_message_id("tandem-conversation-7", from_address=FROM) == "<tandem-conversation-7@loom.example>"
    )
    assert make_message_id("a b<c>", from_address="nobody") == "<a-b-c-@localhost>"


def _thread(sent: tuple[str, ...] = ()) -> follow_up.Thread:
    return follow_up.Thread(conversation_id=42, root_id="<root@loom.example>", sent_ids=sent)


def test_the_confirmation_is_in_the_customer_language_and_opens_the_thread() -> None:
    email = follow_up.confirmation_email(
        to="ana@example.com", locale="es-ES", thread=_thread(), message_id="<c@loom.example>",
        customer_name="Ana", departed=False,
    )  # fmt: skip
    assert email.language == "es" and email.auto_generated
    assert email.subject == "Tu conversación con nuestro equipo de atención al cliente (#42)"
    assert email.text.startswith("Hola, Ana:") and "conversación sigue abierta" in email.text
    assert email.in_reply_to == "<root@loom.example>" and email.references == ("<root@loom.example>",)
    departed = follow_up.confirmation_email(
        to="ana@example.com", locale="de", thread=_thread(), message_id="<c@loom.example>",
        customer_name=None, departed=True,
    )  # fmt: skip
    assert departed.text.startswith("Hallo,") and "Sie haben den Chat verlassen" in departed.text


def test_a_reply_threads_under_what_was_sent_and_names_the_agent() -> None:
    email = follow_up.reply_email(
        to="maya@example.com", locale="fr", thread=_thread(("<c@loom.example>",)), message_id="<r@loom.example>",
        customer_name="Maya", agent_name="Chloé Martin", body="Votre colis <arrive> demain.",
    )  # fmt: skip
    assert email.subject.startswith("Re: Votre conversation avec notre service client")
    assert email.in_reply_to == "<c@loom.example>"
    assert email.references == ("<root@loom.example>", "<c@loom.example>")
    assert "Chloé Martin, de notre équipe, vous a répondu :" in email.text
    assert "Votre colis <arrive> demain." in email.text
    assert email.html is not None and "Votre colis &lt;arrive&gt; demain." in email.html
    assert not email.auto_generated  # a person wrote it
    unknown = follow_up.reply_email(
        to="x@example.com", locale="it", thread=_thread(), message_id="<r@loom.example>",
        customer_name=None, agent_name=None, body="Hi",
    )  # fmt: skip
    assert unknown.language == "en" and "A colleague from our team answered you:" in unknown.text
