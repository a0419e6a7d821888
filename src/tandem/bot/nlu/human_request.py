"""A learned second opinion on "does the customer ask for a person?", beside the rules in ``signals``.

Rules explain themselves and never miss the phrasings they know; customers have more phrasings than any
rule list ("put someone real on", "kann mi wer zurückrufen", "je voudrais un vrai interlocuteur"). This
classifier (word and character n-grams, logistic regression) learns the shape of a request from our
hand-written examples in four languages, from phrases composed of request markers and staff nouns, and
from the deployment's own intent examples as negatives (routine questions must never fire). It trains in
about a second and is cached per process.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from tandem.bot.nlu.signals import fold, mentions_people_or_contact, unquote

ASSETS = Path(__file__).parent / "assets"
THRESHOLD = 0.7  # probability that counts as a request, beside the rules

# Composed requests: (request markers, staff nouns, endings) per language. Each list is ours.
_COMPOSED: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "en": (
        (
            "talk to",
            "speak to",
            "speak with",
            "chat with",
            "connect me to",
            "connect me with",
            "put me through to",
            "transfer me to",
            "get me",
            "give me",
            "i want",
            "i need",
            "i'd like",
            "can i talk to",
            "can i speak to",
            "let me talk to",
            "i want to talk to",
            "i need to speak to",
            "please get",
            "bring in",
            "escalate this to",
            "hand me over to",
            "forward me to",
            "pass me to",
            "is there",
            "can i have",
            "i demand",
            "put on",
            "can i get",
            "i'd rather talk to",
            "get me through to",
            "switch me to",
            "can you get",
            "need",
            "want",
        ),
        (
            "an agent",
            "a human",
            "a person",
            "a human being",
            "a real person",
            "a live agent",
            "a representative",
            "a rep",
            "an operator",
            "a manager",
            "your supervisor",
            "someone",
            "somebody",
            "a member of staff",
            "a staff member",
            "a team member",
            "an employee",
            "a colleague",
            "customer service",
            "customer support",
            "the support team",
            "an advisor",
            "a team leader",
            "a sales assistant",
            "someone real",
            "a real human",
            "an actual person",
            "a live person",
            "someone in charge",
            "a human agent",
            "real people",
            "ppl",
            "a person not a bot",
            "your manager",
            "someone from the store",
            "a shop assistant",
        ),
        (
            "",
            " please",
            " now",
            " asap",
            "!!!",
            ", this bot is useless",
            " about my order",
            " pls",
            ", my parcel is late",
            " right now",
            " thanks",
            "?",
            " straight away",
            ", i have a problem with a refund",
        ),
    ),
    "es": (
        (
            "hablar con",
            "quiero hablar con",
            "necesito hablar con",
            "pásame con",
            "páseme con",
            "ponme con",
            "comunícame con",
            "me comunican con",
            "quiero",
            "necesito",
            "transfiéreme a",
            "me pasas con",
            "conéctame con",
            "me puede atender",
            "exijo hablar con",
            "deriva mi caso a",
            "escala esto a",
            "puedo hablar con",
            "quisiera hablar con",
            "me conectas con",
        ),
        (
            "un agente",
            "una persona",
            "un humano",
            "una persona real",
            "un asesor",
            "un operador",
            "un encargado",
            "el gerente",
            "un supervisor",
            "alguien",
            "alguien de la tienda",
            "un empleado",
            "un ejecutivo",
            "atención al cliente",
            "un representante",
            "alguien del equipo",
            "un superior",
            "una persona de verdad",
        ),
        (
            "",
            " por favor",
            " ya",
            " porfa",
            " ahora",
            ", el bot no me entiende",
            " con mi pedido",
            "!!!",
            "?",
        ),
    ),
    "fr": (
        (
            "parler à",
            "je veux parler à",
            "je voudrais parler à",
            "passez-moi",
            "mettez-moi en relation avec",
            "je veux",
            "il me faut",
            "transférez-moi à",
            "je souhaite parler à",
            "je demande",
            "passez moi",
            "mettez-moi en contact avec",
            "je voudrais échanger avec",
            "est-ce que je peux parler à",
            "pouvez-vous me passer",
            "j'exige",
            "je veux être mis en relation avec",
            "je voudrais",
        ),
        (
            "un conseiller",
            "une conseillère",
            "un humain",
            "une vraie personne",
            "un agent",
            "un responsable",
            "le gérant",
            "un opérateur",
            "quelqu'un",
            "quelqu'un de l'équipe",
            "le service client",
            "un employé",
            "un vrai interlocuteur",
            "votre supérieur",
            "un superviseur",
            "une personne",
            "du vrai monde",
            "un collaborateur",
        ),
        (
            "",
            " svp",
            " s'il vous plaît",
            " maintenant",
            " tout de suite",
            ", le robot ne comprend pas",
            " merci",
            "!!!",
            "?",
        ),
    ),
    "de": (
        (
            "mit",
            "ich möchte mit",
            "ich will mit",
            "kann ich mit",
            "verbinden sie mich mit",
            "bitte verbinden mit",
            "ich brauche",
            "gib mir",
            "geben sie mir",
            "ich will",
            "ich möchte",
            "stellen sie mich durch zu",
            "leiten sie mich weiter an",
            "holen sie",
            "ich hätte gern",
        ),
        (
            "einem mitarbeiter",
            "einer mitarbeiterin",
            "einem menschen",
            "einer echten person",
            "einem berater",
            "dem kundenservice",
            "dem kundendienst",
            "jemandem",
            "jemandem vom team",
            "einem vorgesetzten",
            "dem chef",
            "einem sachbearbeiter",
            "einem kollegen",
            "einem teamleiter",
            "einen menschen",
            "einen mitarbeiter",
            "den vorgesetzten",
            "eine echte person",
        ),
        (
            " sprechen",
            " reden",
            " sprechen bitte",
            " reden bitte",
            " bitte",
            " sofort",
            " jetzt",
            "!!!",
            "?",
            " schreiben",
            "",
        ),
    ),
}
_CALLBACKS = {
    "en": (
        "call me back",
        "can someone call me",
        "please ring me",
        "have someone contact me",
        "can a member of your team email me",
        "please get back to me by phone",
        "i'd like a call back",
        "request a callback",
        "can somebody phone me",
        "please have a colleague contact me",
        "can someone from the team message me back",
        "get someone to email me",
    ),
    "es": (
        "llámenme por favor",
        "que alguien me llame",
        "me pueden llamar",
        "quiero que me llamen",
        "que me contacte alguien del equipo",
        "pueden devolverme la llamada",
    ),
    "fr": (
        "rappelez-moi",
        "pouvez-vous me rappeler",
        "qu'un conseiller me rappelle",
        "on peut m'appeler",
        "quelqu'un peut m'appeler",
        "qu'une personne me contacte",
    ),
    "de": (
        "rufen sie mich zurück",
        "bitte um rückruf",
        "kann mich jemand anrufen",
        "ich hätte gern einen rückruf",
        "kann mich wer zurückrufen",
        "bitte kontaktieren sie mich telefonisch",
    ),
}
# Innocent uses of the same nouns, composed: third parties, the past, products, negation.
_INNOCENT = {
    "en": (
        (
            "the delivery {n} left my parcel outside",
            "my {n} needs an invoice",
            "your {n} told me yesterday that",
            "i spoke to {n} last week and it's sorted",
            "is the {n} icon the account page",
            "do you have {n} discounts",
            "i no longer need {n}, thanks",
            "i don't need {n} any more, the bot answered",
            "the {n} at the parcel shop scanned my return",
            "i'm buying a gift for {n}",
            "can {n} else collect my order",
            "the {n} on the phone was lovely",
            "last time i asked for {n} i waited an hour, today i only need the size chart",
            "which coat suits {n} who is always cold",
        ),
        (
            "agent",
            "manager",
            "person",
            "someone",
            "staff",
            "representative",
            "operator",
            "colleague",
            "employee",
            "a human",
            "an agent",
            "my boss",
        ),
    ),
    "es": (
        (
            "ya no necesito hablar con {n}, gracias",
            "ayer hablé con {n} y ya está resuelto",
            "mi {n} necesita una factura",
            "quiero regalar un abrigo a {n}",
            "la última vez que pedí {n} esperé mucho, hoy solo quiero el plazo",
            "el {n} de reparto dejó el paquete fuera",
            "¿este jersey sirve para {n} friolera?",
        ),
        ("un agente", "una persona", "alguien", "nadie", "una asesora", "jefe", "encargado"),
    ),
    "fr": (
        (
            "plus besoin de parler à {n}, merci",
            "j'ai parlé à {n} hier et tout est réglé",
            "mon {n} a besoin d'une facture",
            "je cherche un cadeau pour {n}",
            "la dernière fois que j'ai demandé {n} j'ai attendu, aujourd'hui je veux juste le guide des tailles",
            "ce pull convient-il à {n} frileuse",
            "le {n} de la boutique m'a dit que les tailles sont les mêmes",
        ),
        ("quelqu'un", "une personne", "un conseiller", "une conseillère", "responsable", "gérant", "cheffe"),
    ),
    "de": (
        (
            "ich brauche keinen {n} mehr, danke",
            "gestern habe ich mit {n} gesprochen, alles erledigt",
            "mein {n} braucht eine rechnung",
            "ich suche ein geschenk für {n}",
            "letztes mal habe ich auf {n} gewartet, heute brauche ich nur die größentabelle",
            "passt der mantel zu {n}, die schnell friert",
            "der {n} im paketshop hat die rücksendung gescannt",
        ),
        ("mitarbeiter", "einen menschen", "jemanden", "eine person", "chef", "chefin", "berater"),
    ),
}
_lock = threading.Lock()


def _load(name: str) -> dict[str, list[str]]:
    data: dict[str, list[str]] = json.loads((ASSETS / name).read_text(encoding="utf-8"))
    return data


def composed_requests(rng: random.Random, *, per_language: int = 400) -> list[str]:
    texts: list[str] = []
    for language, (markers, nouns, endings) in _COMPOSED.items():
        combos = list(itertools.product(markers, nouns, endings))
        for marker, noun, ending in rng.sample(combos, min(per_language, len(combos))):
            texts.append(f"{marker} {noun}{ending}")
        texts.extend(_CALLBACKS[language])
    return texts


def composed_innocent() -> list[str]:
    texts: list[str] = []
    for templates, nouns in _INNOCENT.values():
        texts.extend(template.format(n=noun) for template in templates for noun in nouns)
    return texts


class HumanRequestClassifier:
    """``probability(text)``: how likely the message asks for a person now (0-1)."""

    def __init__(self, *, extra_negatives: Iterable[str] = (), seed: int = 5) -> None:
        rng = random.Random(seed)
        positives = [t for texts in _load("human_requests.json").values() for t in texts]
        positives += composed_requests(rng)
        negatives = [t for texts in _load("not_human_requests.json").values() for t in texts]
        negatives += composed_innocent()
        negatives += [t for texts in _load("generic_oos.json").values() for t in texts]
        negatives += list(extra_negatives)
        texts = [fold(t) for t in [*positives, *negatives]]
        labels = np.array([1] * len(positives) + [0] * len(negatives))
        self._features = FeatureUnion(
            [
                ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
            ]
        )
        self._model = LogisticRegression(C=8.0, max_iter=2000, class_weight="balanced")
        self._model.fit(self._features.fit_transform(texts), labels)

    def probability(self, text: str) -> float:
        return float(self.probabilities([text])[0])

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Per message, the highest probability of any of its sentences: a request is often one sentence
        beside a description of the problem, which would dilute a whole-message score."""
        pieces: list[str] = []
        owners: list[int] = []
        for index, text in enumerate(texts):
            for piece in sentences(text):
                pieces.append(piece)
                owners.append(index)
        result = np.zeros(len(texts))
        if pieces:
            scores = self._model.predict_proba(self._features.transform(pieces))[:, 1]
            np.maximum.at(result, np.array(owners), scores)
        return result


_SENTENCE_END = re.compile(r"[.!?;\n]+|,\s+(?=\w)")


def sentences(text: str) -> list[str]:
    """The message's sentences and clauses, folded, without quoted text (a slogan on a T-shirt that says
    "talk to a human" is not a request)."""
    unquoted = unquote(text[:1000])
    parts = [fold(part) for part in _SENTENCE_END.split(unquoted)]
    return [part for part in parts if part] or [" "]


def asks_for_person(
    text: str, *, rule_phrase: str | None, classifier: HumanRequestClassifier | None
) -> str | None:
    """The rules' phrase when they fired, else the classifier's verdict above ``THRESHOLD`` for a message that
    mentions people or contact at all, else None."""
    if rule_phrase is not None or classifier is None:
        return rule_phrase
    if not mentions_people_or_contact(text):
        return None
    probability = classifier.probability(text)
    return f"learned detector ({probability:.2f})" if probability >= THRESHOLD else None


_shared: dict[int, HumanRequestClassifier] = {}


def shared_classifier(extra_negatives: Sequence[str] = ()) -> HumanRequestClassifier:
    """One per set of extra negatives per process (it takes about a second to train)."""
    key = hash(tuple(extra_negatives))
    with _lock:
        if key not in _shared:
            _shared[key] = HumanRequestClassifier(extra_negatives=extra_negatives)
        return _shared[key]
