"""What the customer is told when the owner changes: nobody is moved silently (a top complaint about
peers). Plain words in the customer's language; unknown locales fall back to English."""

from __future__ import annotations

NOTICES: dict[str, dict[str, str]] = {
    "en": {
        "agent_lost": "The person helping you lost their connection. I'm passing your conversation to a "
        "colleague; you don't need to repeat anything.",
        "requeued": "I'm passing your conversation to a colleague who specialises in this. You don't need to "
        "repeat anything.",
        "queue_position": "You're number {position} in the queue. Expected wait: about {wait}.",
        "queue_next": "You're next in the queue. Expected wait: about {wait}.",
        "no_agents": "Nobody from our team is online right now, so I can't say how long it will take. Your "
        "place in the queue is kept: stay here, or leave your e-mail address and we'll reply by e-mail.",
        "minutes": "{n} minutes",
        "minute": "1 minute",
        "waiting": "I'm bringing in a person from our team. You don't need to repeat anything: they will see "
        "this whole conversation.",
        "human": "{agent} from our team has joined the conversation.",
        "bot": 'You\'re back with the virtual assistant. Type "agent" at any time to reach a person.',
        "resolved": "This conversation is closed. Write again at any time to reopen it.",
        "reopened": "Welcome back: the conversation is open again.",
        "follow_up": "Thanks! If you're no longer in this chat when someone from our team answers, we'll send "
        "the reply to {email}. Your conversation stays open: you can close this window.",
        "follow_up_departed": "You left the chat before someone from our team could answer, so we'll reply to "
        "{email} by e-mail.",
    },
    "es": {
        "agent_lost": "La persona que te atendía ha perdido la conexión. Paso la conversación a un compañero; "
        "no hace falta repetir nada.",
        "requeued": "Paso la conversación a un compañero especializado en esto. No hace falta repetir nada.",
        "queue_position": "Eres el número {position} de la cola. Espera estimada: unos {wait}.",
        "queue_next": "Eres el siguiente en la cola. Espera estimada: unos {wait}.",
        "no_agents": "Ahora mismo no hay nadie de nuestro equipo conectado, así que no puedo decirte cuánto "
        "tardaremos. Mantienes tu lugar en la cola: quédate aquí o déjanos tu correo y te responderemos por "
        "correo.",
        "minutes": "{n} minutos",
        "minute": "1 minuto",
        "waiting": "Estoy pasando la conversación a una persona de nuestro equipo. No hace falta repetir nada: "
        "verá toda la conversación.",
        "human": "{agent}, de nuestro equipo, se ha unido a la conversación.",
        "bot": 'Vuelves a estar con el asistente virtual. Escribe "agente" cuando quieras hablar con una persona.',
        "resolved": "Esta conversación está cerrada. Escríbenos cuando quieras para reabrirla.",
        "reopened": "Bienvenido de nuevo: la conversación está abierta otra vez.",
        "follow_up": "¡Gracias! Si ya no estás en este chat cuando alguien de nuestro equipo responda, "
        "enviaremos la respuesta a {email}. Tu conversación sigue abierta: puedes cerrar esta ventana.",
        "follow_up_departed": "Saliste del chat antes de que alguien de nuestro equipo pudiera responder, así "
        "que te responderemos a {email} por correo.",
    },
    "fr": {
        "agent_lost": "La personne qui vous aidait a perdu la connexion. Je transmets la conversation à un "
        "collègue ; inutile de répéter quoi que ce soit.",
        "requeued": "Je transmets la conversation à un collègue spécialisé. Inutile de répéter quoi que ce soit.",
        "queue_position": "Vous êtes numéro {position} dans la file. Attente estimée : environ {wait}.",
        "queue_next": "Vous êtes le prochain dans la file. Attente estimée : environ {wait}.",
        "no_agents": "Personne de notre équipe n'est en ligne pour le moment, je ne peux donc pas estimer "
        "l'attente. Vous gardez votre place : restez ici, ou laissez votre adresse e-mail et nous vous "
        "répondrons par e-mail.",
        "minutes": "{n} minutes",
        "minute": "1 minute",
        "waiting": "Je transmets la conversation à une personne de notre équipe. Inutile de répéter quoi que ce "
        "soit : elle verra toute la conversation.",
        "human": "{agent}, de notre équipe, a rejoint la conversation.",
        "bot": "Vous êtes de nouveau avec l'assistant virtuel. Écrivez « agent » à tout moment pour parler à "
        "une personne.",
        "resolved": "Cette conversation est close. Écrivez-nous à tout moment pour la rouvrir.",
        "reopened": "Bon retour : la conversation est de nouveau ouverte.",
        "follow_up": "Merci ! Si vous n'êtes plus dans cette discussion quand une personne de notre équipe "
        "répondra, nous enverrons la réponse à {email}. Votre conversation reste ouverte : vous pouvez fermer "
        "cette fenêtre.",
        "follow_up_departed": "Vous avez quitté la discussion avant qu'une personne de notre équipe puisse "
        "répondre : nous vous répondrons à {email} par e-mail.",
    },
    "de": {
        "agent_lost": "Die Person, die Ihnen geholfen hat, hat die Verbindung verloren. Ich gebe das Gespräch "
        "an eine Kollegin oder einen Kollegen weiter; Sie müssen nichts wiederholen.",
        "requeued": "Ich gebe das Gespräch an eine Kollegin oder einen Kollegen mit Fachwissen weiter. Sie "
        "müssen nichts wiederholen.",
        "queue_position": "Sie sind Nummer {position} in der Warteschlange. Geschätzte Wartezeit: etwa {wait}.",
        "queue_next": "Sie sind als Nächstes dran. Geschätzte Wartezeit: etwa {wait}.",
        "no_agents": "Gerade ist niemand aus unserem Team online, daher kann ich keine Wartezeit nennen. Ihr "
        "Platz in der Warteschlange bleibt erhalten: Bleiben Sie hier, oder hinterlassen Sie Ihre "
        "E-Mail-Adresse, und wir antworten per E-Mail.",
        "minutes": "{n} Minuten",
        "minute": "1 Minute",
        "waiting": "Ich hole eine Person aus unserem Team dazu. Sie müssen nichts wiederholen: Sie sieht das "
        "ganze Gespräch.",
        "human": "{agent} aus unserem Team ist dem Gespräch beigetreten.",
        "bot": 'Sie sind wieder beim virtuellen Assistenten. Schreiben Sie jederzeit "Mitarbeiter", um eine '
        "Person zu erreichen.",
        "resolved": "Dieses Gespräch ist beendet. Schreiben Sie uns jederzeit, um es wieder zu öffnen.",
        "reopened": "Willkommen zurück: Das Gespräch ist wieder offen.",
        "follow_up": "Danke! Wenn Sie nicht mehr im Chat sind, wenn jemand aus unserem Team antwortet, senden "
        "wir die Antwort an {email}. Ihr Gespräch bleibt offen: Sie können dieses Fenster schließen.",
        "follow_up_departed": "Sie haben den Chat verlassen, bevor jemand aus unserem Team antworten konnte; "
        "wir antworten Ihnen per E-Mail an {email}.",
    },
}


def notice(locale: str, key: str, **values: str) -> str:
    language = locale.split("-")[0].lower()
    template = NOTICES.get(language, NOTICES["en"]).get(key) or NOTICES["en"][key]
    return template.format(**values)


def wait_text(locale: str, seconds: float) -> str:
    """An expected wait in whole minutes, never "0 minutes"."""
    minutes = max(1, round(seconds / 60))
    return notice(locale, "minute") if minutes == 1 else notice(locale, "minutes", n=str(minutes))
