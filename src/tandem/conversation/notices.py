"""What the customer is told when the owner changes: nobody is moved silently (a top complaint about
peers). Plain words in the customer's language; unknown locales fall back to English."""

from __future__ import annotations

NOTICES: dict[str, dict[str, str]] = {
    "en": {
        "waiting": "I'm bringing in a person from our team. You don't need to repeat anything: they will see "
        "this whole conversation.",
        "human": "{agent} from our team has joined the conversation.",
        "bot": 'You\'re back with the virtual assistant. Type "agent" at any time to reach a person.',
        "resolved": "This conversation is closed. Write again at any time to reopen it.",
        "reopened": "Welcome back: the conversation is open again.",
    },
    "es": {
        "waiting": "Estoy pasando la conversación a una persona de nuestro equipo. No hace falta repetir nada: "
        "verá toda la conversación.",
        "human": "{agent}, de nuestro equipo, se ha unido a la conversación.",
        "bot": 'Vuelves a estar con el asistente virtual. Escribe "agente" cuando quieras hablar con una persona.',
        "resolved": "Esta conversación está cerrada. Escríbenos cuando quieras para reabrirla.",
        "reopened": "Bienvenido de nuevo: la conversación está abierta otra vez.",
    },
    "fr": {
        "waiting": "Je transmets la conversation à une personne de notre équipe. Inutile de répéter quoi que ce "
        "soit : elle verra toute la conversation.",
        "human": "{agent}, de notre équipe, a rejoint la conversation.",
        "bot": "Vous êtes de nouveau avec l'assistant virtuel. Écrivez « agent » à tout moment pour parler à "
        "une personne.",
        "resolved": "Cette conversation est close. Écrivez-nous à tout moment pour la rouvrir.",
        "reopened": "Bon retour : la conversation est de nouveau ouverte.",
    },
    "de": {
        "waiting": "Ich hole eine Person aus unserem Team dazu. Sie müssen nichts wiederholen: Sie sieht das "
        "ganze Gespräch.",
        "human": "{agent} aus unserem Team ist dem Gespräch beigetreten.",
        "bot": 'Sie sind wieder beim virtuellen Assistenten. Schreiben Sie jederzeit "Mitarbeiter", um eine '
        "Person zu erreichen.",
        "resolved": "Dieses Gespräch ist beendet. Schreiben Sie uns jederzeit, um es wieder zu öffnen.",
        "reopened": "Willkommen zurück: Das Gespräch ist wieder offen.",
    },
}


def notice(locale: str, key: str, **values: str) -> str:
    language = locale.split("-")[0].lower()
    template = NOTICES.get(language, NOTICES["en"]).get(key) or NOTICES["en"][key]
    return template.format(**values)
