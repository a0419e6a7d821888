"""What the bot says, in each supported language. One catalogue, so wording is reviewed in one place and a
new language is one more column.

Values are passed as what they are (a ``date``, a ``Money``, a number) and formatted here with Babel in
the customer's locale: "delivered on 3 May 2025" / "el 3 de mayo de 2025", "€129.00" / "129,00 €". A flow
never formats a value for a customer itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

LANGUAGES = ("en", "es", "fr", "de")


@dataclass(frozen=True)
class Money:
    """An amount in a currency (ISO 4217), shown with its symbol where the customer expects it."""

    amount: Decimal
    currency: str


_CATALOGUE: dict[str, dict[str, str]] = {
    "greeting": {
        "en": "Hello! I can check an order, explain returns and refunds, reset a password or change a delivery "
        'address. What can I do for you? (Type "agent" at any time to reach a person.)',
        "es": "¡Hola! Puedo consultar un pedido, explicar devoluciones y reembolsos, restablecer una contraseña o "
        'cambiar una dirección de entrega. ¿En qué puedo ayudarte? (Escribe "agente" para hablar con una persona.)',
        "fr": "Bonjour ! Je peux suivre une commande, expliquer les retours et remboursements, réinitialiser un mot "
        'de passe ou changer une adresse de livraison. Que puis-je faire pour vous ? (Écrivez "conseiller" pour '
        "parler à une personne.)",
        "de": "Hallo! Ich kann Bestellungen prüfen, Rücksendungen und Erstattungen erklären, ein Passwort "
        'zurücksetzen oder eine Lieferadresse ändern. Wie kann ich helfen? (Schreiben Sie "Mitarbeiter", um mit '
        "einem Menschen zu sprechen.)",
    },
    "thanks": {
        "en": "You're welcome! Is there anything else I can help with?",
        "es": "¡De nada! ¿Puedo ayudarte con algo más?",
        "fr": "Avec plaisir ! Puis-je vous aider pour autre chose ?",
        "de": "Gern geschehen! Kann ich sonst noch helfen?",
    },
    "goodbye": {
        "en": "Thanks for chatting with Loom & Lantern. Have a lovely day!",
        "es": "Gracias por escribir a Loom & Lantern. ¡Que tengas un buen día!",
        "fr": "Merci d'avoir contacté Loom & Lantern. Excellente journée !",
        "de": "Danke, dass Sie Loom & Lantern geschrieben haben. Einen schönen Tag noch!",
    },
    "anything_else": {
        "en": "Is there anything else I can help with?",
        "es": "¿Hay algo más en lo que pueda ayudarte?",
        "fr": "Puis-je vous aider pour autre chose ?",
        "de": "Kann ich sonst noch etwas für Sie tun?",
    },
    "not_understood": {
        "en": "Sorry, I'm not sure I understood. Could you say it another way? I can help with orders, returns, "
        'refunds, shipping, passwords and addresses, or type "agent" to reach a person.',
        "es": "Perdona, no estoy seguro de haberte entendido. ¿Puedes decirlo de otra forma? Puedo ayudarte con "
        'pedidos, devoluciones, reembolsos, envíos, contraseñas y direcciones, o escribe "agente" para hablar '
        "con una persona.",
        "fr": "Désolé, je ne suis pas sûr d'avoir compris. Pouvez-vous reformuler ? Je peux aider pour les "
        'commandes, retours, remboursements, livraisons, mots de passe et adresses, ou écrivez "conseiller" '
        "pour parler à une personne.",
        "de": "Entschuldigung, das habe ich nicht sicher verstanden. Können Sie es anders formulieren? Ich helfe "
        "bei Bestellungen, Rücksendungen, Erstattungen, Versand, Passwörtern und Adressen, oder schreiben Sie "
        '"Mitarbeiter", um mit einem Menschen zu sprechen.',
    },
    "unhelpful": {
        "en": "I'm sorry that didn't help. Could you tell me a little more about what you need? If you prefer, "
        'type "agent" and I\'ll bring in a person.',
        "es": 'Siento que no te haya servido. ¿Puedes contarme un poco más? Si lo prefieres, escribe "agente" y '
        "te paso con una persona.",
        "fr": "Désolé que cela ne vous ait pas aidé. Pouvez-vous m'en dire un peu plus ? Si vous préférez, "
        'écrivez "conseiller" et je vous mets en relation avec une personne.',
        "de": "Schade, dass das nicht geholfen hat. Können Sie mir etwas mehr sagen? Wenn Sie möchten, schreiben "
        'Sie "Mitarbeiter" und ich verbinde Sie mit einem Menschen.',
    },
    "empty": {
        "en": "I didn't receive any text. How can I help?",
        "es": "No he recibido ningún texto. ¿En qué puedo ayudarte?",
        "fr": "Je n'ai reçu aucun texte. Comment puis-je vous aider ?",
        "de": "Ich habe keinen Text erhalten. Wie kann ich helfen?",
    },
    "unsupported_language": {
        "en": "Sorry, I can answer in English, Spanish, French and German. Could you write in one of these? If "
        "not, I'll bring in a person from our team.",
    },
    "clarify": {
        "en": "Just to be sure: do you mean {first} or {second}?",
        "es": "Para asegurarme: ¿te refieres a {first} o a {second}?",
        "fr": "Pour être sûr : voulez-vous dire {first} ou {second} ?",
        "de": "Nur zur Sicherheit: Meinen Sie {first} oder {second}?",
    },
    "article": {
        "en": "{answer}\n\n(From our help article \u201c{title}\u201d.)",
        "es": "{answer}\n\n(Del artículo de ayuda \u201c{title}\u201d.)",
        "fr": "{answer}\n\n(Extrait de l'article d'aide \u00ab {title} \u00bb.)",
        "de": "{answer}\n\n(Aus unserem Hilfeartikel \u201e{title}\u201c.)",
    },
    "ask_order": {
        "en": "I can check that for you. What's the order number? It starts with ORD-, for example ORD-10042.",
        "es": "Puedo comprobarlo. ¿Cuál es el número de pedido? Empieza por ORD-, por ejemplo ORD-10042.",
        "fr": "Je peux vérifier. Quel est le numéro de commande ? Il commence par ORD-, par exemple ORD-10042.",
        "de": "Das kann ich prüfen. Wie lautet die Bestellnummer? Sie beginnt mit ORD-, zum Beispiel ORD-10042.",
    },
    "ask_email": {
        "en": "Thanks. To protect your privacy, please send the e-mail address used for order {order}.",
        "es": "Gracias. Para proteger tu privacidad, envíame el correo electrónico usado en el pedido {order}.",
        "fr": "Merci. Pour protéger vos données, envoyez-moi l'adresse e-mail utilisée pour la commande {order}.",
        "de": "Danke. Zum Schutz Ihrer Daten senden Sie bitte die E-Mail-Adresse der Bestellung {order}.",
    },
    # --- flow facts: what the store's policies decided, in the customer's language ---
    "status_placed": {
        "en": "Order {order} has been received and will be packed soon.",
        "es": "Hemos recibido el pedido {order} y pronto lo prepararemos.",
        "fr": "La commande {order} est enregistrée et sera bientôt préparée.",
        "de": "Bestellung {order} ist eingegangen und wird bald verpackt.",
    },
    "status_packed": {
        "en": "Order {order} is packed and waiting for the carrier.",
        "es": "El pedido {order} está empaquetado y espera al transportista.",
        "fr": "La commande {order} est emballée et attend le transporteur.",
        "de": "Bestellung {order} ist verpackt und wartet auf den Versanddienst.",
    },
    "status_shipped": {
        "en": "Order {order} is on its way with {carrier} (tracking {tracking}).",
        "es": "El pedido {order} está en camino con {carrier} (seguimiento {tracking}).",
        "fr": "La commande {order} est en route avec {carrier} (suivi {tracking}).",
        "de": "Bestellung {order} ist mit {carrier} unterwegs (Sendungsnummer {tracking}).",
    },
    "status_on_its_way": {
        "en": "Order {order} is on its way.",
        "es": "El pedido {order} está en camino.",
        "fr": "La commande {order} est en route.",
        "de": "Bestellung {order} ist unterwegs.",
    },
    "status_delivered": {
        "en": "Order {order} was delivered on {date}.",
        "es": "El pedido {order} se entregó el {date}.",
        "fr": "La commande {order} a été livrée le {date}.",
        "de": "Bestellung {order} wurde am {date} zugestellt.",
    },
    "status_returned": {
        "en": "Order {order} was returned.",
        "es": "El pedido {order} fue devuelto.",
        "fr": "La commande {order} a été retournée.",
        "de": "Bestellung {order} wurde zurückgesendet.",
    },
    "status_cancelled": {
        "en": "Order {order} was cancelled.",
        "es": "El pedido {order} fue cancelado.",
        "fr": "La commande {order} a été annulée.",
        "de": "Bestellung {order} wurde storniert.",
    },
    "status_expected": {
        "en": "It is expected by {date}.",
        "es": "Debería llegar a más tardar el {date}.",
        "fr": "Elle est attendue au plus tard le {date}.",
        "de": "Sie wird bis zum {date} erwartet.",
    },
    "status_late": {
        "en": "It was due by {date} and has not arrived; we will ask the carrier to trace it.",
        "es": "Debía llegar a más tardar el {date} y no ha llegado; pediremos al transportista que lo localice.",
        "fr": "Elle était attendue le {date} et n'est pas arrivée ; nous demandons au transporteur une enquête.",
        "de": "Sie war bis zum {date} fällig und ist nicht angekommen; wir lassen sie beim Versanddienst suchen.",
    },
    "return_within_window": {
        "en": "Good news: order {order} was delivered on {date}, within the {days}-day return window for {level} "
        "customers (until {deadline}).",
        "es": "Buenas noticias: el pedido {order} se entregó el {date}, dentro del plazo de devolución de {days} "
        "días para clientes {level} (hasta el {deadline}).",
        "fr": "Bonne nouvelle : la commande {order} a été livrée le {date}, dans le délai de retour de {days} jours "
        "des clients {level} (jusqu'au {deadline}).",
        "de": "Gute Nachricht: Bestellung {order} wurde am {date} zugestellt, innerhalb der {days}-tägigen "
        "Rückgabefrist für {level}-Kunden (bis zum {deadline}).",
    },
    "return_gold": {
        "en": "Good news: Gold members can return items at any time; order {order} qualifies.",
        "es": "Buenas noticias: los miembros Gold pueden devolver artículos en cualquier momento; el pedido {order} "
        "cumple.",
        "fr": "Bonne nouvelle : les membres Gold peuvent retourner leurs articles à tout moment ; la commande {order} "
        "est concernée.",
        "de": "Gute Nachricht: Gold-Mitglieder können jederzeit zurückgeben; Bestellung {order} ist berechtigt.",
    },
    "return_how": {
        "en": "You can start the return from the order page in your account; the return label is free. Once the "
        "parcel reaches us, the refund goes back to your card, to store credit, or as a gift card or check by "
        "post, as you choose.",
        "es": "Puedes iniciar la devolución desde la página del pedido en tu cuenta; la etiqueta es gratuita. "
        "Cuando recibamos el paquete, reembolsamos a tu tarjeta, como saldo en tienda, o con tarjeta regalo o "
        "cheque por correo, como prefieras.",
        "fr": "Vous pouvez lancer le retour depuis la page de la commande dans votre compte ; l'étiquette est "
        "gratuite. Dès réception du colis, le remboursement se fait sur votre carte, en avoir, ou par carte "
        "cadeau ou chèque envoyés par la poste, au choix.",
        "de": "Sie können die Rücksendung auf der Bestellseite in Ihrem Konto starten; das Etikett ist kostenlos. "
        "Sobald das Paket bei uns ist, erstatten wir auf Ihre Karte, als Guthaben oder per Geschenkkarte oder "
        "Scheck per Post, ganz wie Sie möchten.",
    },
    "return_window_passed": {
        "en": "Order {order} was delivered on {date}; the {days}-day return window for {level} customers closed "
        "on {deadline}.",
        "es": "El pedido {order} se entregó el {date}; el plazo de devolución de {days} días para clientes {level} "
        "terminó el {deadline}.",
        "fr": "La commande {order} a été livrée le {date} ; le délai de retour de {days} jours des clients {level} "
        "a pris fin le {deadline}.",
        "de": "Bestellung {order} wurde am {date} zugestellt; die {days}-tägige Rückgabefrist für {level}-Kunden "
        "endete am {deadline}.",
    },
    "return_not_delivered": {
        "en": "Order {order} has not been delivered yet; a return can be started once it arrives, and until it "
        "ships it can be cancelled instead.",
        "es": "El pedido {order} aún no se ha entregado; la devolución se puede iniciar cuando llegue, y hasta que "
        "se envíe se puede cancelar.",
        "fr": "La commande {order} n'est pas encore livrée ; le retour pourra commencer à son arrivée, et tant "
        "qu'elle n'est pas expédiée, elle peut être annulée.",
        "de": "Bestellung {order} ist noch nicht zugestellt; eine Rücksendung ist nach der Ankunft möglich, und "
        "bis zum Versand kann sie storniert werden.",
    },
    "return_closed": {
        "en": "Order {order} was already returned or cancelled, so there is nothing to return.",
        "es": "El pedido {order} ya fue devuelto o cancelado, así que no hay nada que devolver.",
        "fr": "La commande {order} a déjà été retournée ou annulée : il n'y a rien à retourner.",
        "de": "Bestellung {order} wurde bereits zurückgesendet oder storniert; es gibt nichts zurückzugeben.",
    },
    "ask_a_person": {
        "en": 'If you think this is wrong, type "agent" and a person will look at it.',
        "es": 'Si crees que es un error, escribe "agente" y una persona lo revisará.',
        "fr": 'Si vous pensez que c\'est une erreur, écrivez "conseiller" et une personne regardera.',
        "de": 'Wenn Sie das für falsch halten, schreiben Sie "Mitarbeiter" und ein Mensch sieht es sich an.',
    },
    "refund_returned": {
        "en": "Order {order} was returned. We issue the refund of {amount} within 2 business days of the parcel "
        "reaching our warehouse; card refunds then take up to 5 business days to show, store credit is "
        "immediate.",
        "es": "El pedido {order} fue devuelto. Emitimos el reembolso de {amount} en 2 días hábiles desde que el "
        "paquete llega al almacén; en tarjeta tarda hasta 5 días hábiles en verse, el saldo en tienda es "
        "inmediato.",
        "fr": "La commande {order} a été retournée. Nous remboursons {amount} sous 2 jours ouvrés après "
        "réception du colis ; sur carte, comptez jusqu'à 5 jours ouvrés, l'avoir est immédiat.",
        "de": "Bestellung {order} wurde zurückgesendet. Wir erstatten {amount} innerhalb von 2 Werktagen nach "
        "Eingang; auf der Karte dauert es bis zu 5 Werktage, Guthaben ist sofort verfügbar.",
    },
    "refund_none_yet": {
        "en": "We have not received a return for order {order} yet, so no refund has been issued.",
        "es": "Aún no hemos recibido una devolución del pedido {order}, así que no se ha emitido ningún reembolso.",
        "fr": "Nous n'avons pas encore reçu de retour pour la commande {order} : aucun remboursement n'a été émis.",
        "de": "Für Bestellung {order} ist noch keine Rücksendung eingegangen, daher wurde nichts erstattet.",
    },
    "address_allowed": {
        "en": "Order {order} has not shipped yet, so its address can be changed.",
        "es": "El pedido {order} aún no se ha enviado, así que se puede cambiar la dirección.",
        "fr": "La commande {order} n'est pas encore expédiée : son adresse peut être modifiée.",
        "de": "Bestellung {order} ist noch nicht versendet; die Adresse kann geändert werden.",
    },
    "address_shipped": {
        "en": "Order {order} is already with the carrier; the address can no longer be changed, but it can be "
        "redirected with the carrier's tracking link.",
        "es": "El pedido {order} ya está con el transportista; no se puede cambiar la dirección, pero puedes "
        "redirigirlo con el enlace de seguimiento.",
        "fr": "La commande {order} est déjà chez le transporteur ; l'adresse ne peut plus changer, mais vous "
        "pouvez la rediriger avec le lien de suivi.",
        "de": "Bestellung {order} ist schon beim Versanddienst; die Adresse lässt sich nicht mehr ändern, aber Sie "
        "können sie über den Sendungslink umleiten.",
    },
    "address_closed": {
        "en": "Order {order} is {status}; its address can no longer be changed.",
        "es": "El pedido {order} está {status}; ya no se puede cambiar la dirección.",
        "fr": "La commande {order} est {status} ; son adresse ne peut plus changer.",
        "de": "Bestellung {order} ist {status}; die Adresse kann nicht mehr geändert werden.",
    },
    "ask_account_email": {
        "en": "I can help with that. What's the e-mail address on your Loom & Lantern account?",
        "es": "Te ayudo. ¿Cuál es el correo electrónico de tu cuenta de Loom & Lantern?",
        "fr": "Je peux vous aider. Quelle est l'adresse e-mail de votre compte Loom & Lantern ?",
        "de": "Gern. Welche E-Mail-Adresse hat Ihr Loom-&-Lantern-Konto?",
    },
    "password_reset_sent": {
        "en": "On the sign-in page, choose \u201cForgot password\u201d and enter {email}: if there's an account "
        "for it, the reset link arrives within minutes and works for 60 minutes (check the spam folder too).",
        "es": "En la página de acceso, elige \u201c¿Olvidaste tu contraseña?\u201d e introduce {email}: si hay una "
        "cuenta, el enlace llega en minutos y vale 60 minutos (revisa también el spam).",
        "fr": "Sur la page de connexion, choisissez \u00ab Mot de passe oublié \u00bb et saisissez {email} : s'il "
        "existe un compte, le lien arrive en quelques minutes et reste valable 60 minutes (vérifiez les spams).",
        "de": "Wählen Sie auf der Anmeldeseite \u201ePasswort vergessen\u201c und geben Sie {email} ein: Gibt es ein "
        "Konto, kommt der Link in wenigen Minuten und gilt 60 Minuten (auch im Spam-Ordner nachsehen).",
    },
    "no_match": {
        "en": "I couldn't match order {order} with that e-mail address. Please check both in your order "
        "confirmation and send the e-mail used for the order.",
        "es": "No he podido relacionar el pedido {order} con ese correo. Revisa ambos en la confirmación del "
        "pedido y envíame el correo usado en el pedido.",
        "fr": "Je n'ai pas pu associer la commande {order} à cette adresse e-mail. Vérifiez les deux dans la "
        "confirmation de commande et envoyez l'adresse utilisée pour la commande.",
        "de": "Ich konnte Bestellung {order} dieser E-Mail-Adresse nicht zuordnen. Bitte prüfen Sie beides in "
        "der Bestellbestätigung und senden Sie die E-Mail-Adresse der Bestellung.",
    },
    "confirm_address": {
        "en": "Shall I send order {order} to \u201c{address}\u201d? Reply yes to confirm or no to keep the "
        "current address.",
        "es": "¿Envío el pedido {order} a \u201c{address}\u201d? Responde sí para confirmar o no para mantener "
        "la dirección actual.",
        "fr": "J'envoie la commande {order} à \u00ab {address} \u00bb ? Répondez oui pour confirmer ou non pour "
        "garder l'adresse actuelle.",
        "de": "Soll Bestellung {order} an \u201e{address}\u201c gehen? Antworten Sie ja zum Bestätigen oder nein, "
        "um die bisherige Adresse zu behalten.",
    },
    "address_kept": {
        "en": "All right, order {order} keeps its current address.",
        "es": "De acuerdo, el pedido {order} mantiene su dirección actual.",
        "fr": "Très bien, la commande {order} garde son adresse actuelle.",
        "de": "In Ordnung, Bestellung {order} behält die bisherige Adresse.",
    },
    "ask_address": {
        "en": "{reason} What's the new delivery address (street, number, postcode, city)?",
        "es": "{reason} ¿Cuál es la nueva dirección de entrega (calle, número, código postal, ciudad)?",
        "fr": "{reason} Quelle est la nouvelle adresse de livraison (rue, numéro, code postal, ville) ?",
        "de": "{reason} Wie lautet die neue Lieferadresse (Straße, Hausnummer, PLZ, Ort)?",
    },
    "address_changed": {
        "en": "Done: order {order} will now go to {address}.",
        "es": "Hecho: el pedido {order} se enviará a {address}.",
        "fr": "C'est fait : la commande {order} sera livrée à {address}.",
        "de": "Erledigt: Bestellung {order} geht jetzt an {address}.",
    },
}


STATUS_NAMES: dict[str, dict[str, str]] = {
    "placed": {"en": "received", "es": "recibido", "fr": "enregistrée", "de": "eingegangen"},
    "packed": {"en": "packed", "es": "empaquetado", "fr": "emballée", "de": "verpackt"},
    "shipped": {"en": "shipped", "es": "enviado", "fr": "expédiée", "de": "versendet"},
    "delivered": {"en": "delivered", "es": "entregado", "fr": "livrée", "de": "zugestellt"},
    "returned": {"en": "returned", "es": "devuelto", "fr": "retournée", "de": "zurückgesendet"},
    "cancelled": {"en": "cancelled", "es": "cancelado", "fr": "annulée", "de": "storniert"},
}


def language_of(locale: str) -> str:
    """The catalogue's language for a locale ("es-MX" → "es"); English when it is not translated."""
    language = locale.replace("_", "-").split("-")[0].lower()
    return language if language in LANGUAGES else "en"


def say(key: str, locale: str, **values: Any) -> str:
    """The message in the customer's language (English when it has not been translated yet), its dates,
    amounts and numbers formatted for ``locale`` (a region such as "en-GB" is honoured)."""
    texts = _CATALOGUE[key]
    template = texts.get(language_of(locale), texts["en"])
    return template.format(**{name: format_value(value, locale) for name, value in values.items()})


def status_name(status: str, locale: str) -> str:
    """An order status in words of the customer's language ("cancelled" → "cancelado")."""
    names = STATUS_NAMES.get(status)
    return names.get(language_of(locale), names["en"]) if names else status


def format_value(value: Any, locale: str) -> str:
    """A value as a customer of ``locale`` reads it; text is left as it is."""
    where = _babel_locale(locale)
    if isinstance(value, Money):
        return str(format_currency(value.amount, value.currency.upper(), locale=where))
    if isinstance(value, datetime):
        return str(format_date(value.date(), format="long", locale=where))
    if isinstance(value, date):
        return str(format_date(value, format="long", locale=where))
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int | float | Decimal):
        return str(format_decimal(value, locale=where))
    return str(value)


@lru_cache(maxsize=64)
def _babel_locale(locale: str) -> Locale:
    """The locale itself when Babel knows it (with its region), else its language we translate to."""
    try:
        found = Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        found = None
    if found is None or found.language != language_of(locale):
        return Locale.parse(language_of(locale))
    return found


def known_keys() -> set[str]:
    return set(_CATALOGUE)
