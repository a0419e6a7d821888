"""Deterministic signals in a customer's words: asks for a person, frustration, threats, sensitive topics.

These are rules, not a model, on purpose: "talk to an agent" must work every time, in every phrasing we
know, and never depend on a classifier's mood. Each detector returns the phrase that fired, so the trace
and the handoff packet can show the agent exactly why.

Text is matched lower-cased with accents removed ("opérateur" → "operateur"), and person words are matched
with typo tolerance ("agnet", "reprsentative", "mitarbieter").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz import process as fuzzy

# --- normalisation -----------------------------------------------------------------------------------------


_QUOTED = re.compile(r"«[^»]*»|„[^“”]*[“”]|“[^”]*”|\"[^\"]*\"")


def unquote(text: str) -> str:
    """Quoted text is somebody else's words (a slogan on a T-shirt that says "talk to a human")."""
    return _QUOTED.sub(" ", text)


def fold(text: str) -> str:
    """Lower case, accents removed, apostrophes unified, whitespace collapsed."""
    text = text.replace("\u2019", "'").replace("\u00df", "ss")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", stripped).strip()


# --- asking for a person -----------------------------------------------------------------------------------

# Words that name a member of staff (or staff in general), in the four supported languages, folded.
PERSON_WORDS = frozenset(
    """agent agents agente agentes human humans humain humains humano humanos person persona personne people gente
    someone somebody anyone anybody alguien quelqu'un quelquun jemand jemandem jemanden
    representative representante representant rep operator operador operateur operatrice
    manager managers supervisor supervisora superviseur superieur superior responsable encargado encargada gerente
    gerant gerante prepose preposee
    jefe chef vorgesetzten vorgesetzter staff employee empleado empleada mitarbeiter mitarbeiterin
    mitarbeiterinnen advisor adviser asesor asesora conseiller conseillere berater beraterin
    kundenberater kundenberaterin kundenbetreuer kundenbetreuerin ansprechpartner mensch menschen
    menschlichen""".split()
)
# Whole departments a customer asks to be put through to.
SERVICE_PHRASES = (
    r"customer (?:service|support|care)|support (?:team|staff)|(?:the )?support|help ?desk|"
    r"service client|service clients|support client|atencion al cliente|servicio al cliente|"
    r"kundenservice|kundendienst|kundensupport|support-team|(?:a )?member of (?:your|the) (?:\w+ )?team|"
    r"(?:a )?(?:staff|team) member|(?:un )?membre de l'equipe|miembro del equipo|teammitglied"
)
_FUZZY_PERSON = sorted(w for w in PERSON_WORDS if len(w) >= 5)
# Words that look like person words within the typo tolerance but are not ("humane", "personal").
_NOT_PERSON = frozenset(
    """humane humanly personal personally personnel personas agenda agency agencies agentur manage managed
    managing management manager's supervise""".split()
)
PERSON_TOKEN = "\u2460"  # a placeholder no customer types; the patterns below match it
SERVICE_TOKEN = "\u2461"

_POLITE = (
    r"(?:please|pls|plz|plse|now|asap|right now|thanks|thank you|por favor|porfa|porfavor|ya|ahora|"
    r"s'il vous plait|s'il te plait|svp|stp|merci|maintenant|bitte|sofort|jetzt|danke|hello|hi|hola|"
    r"bonjour|hallo|real|live|actual|reel|reelle|vraie?|echten?|echter|de verdad|physique|humaine?|"
    r"human|humano|a|an|the|un|une|una|uno|ein|eine|einen|einem|mit|to|with|au|al|con|le|la|el|des|"
    r"some|one|any|being|customer|de|du|del|pas un bot|not a bot|no bot|kein bot|someone|help)"
)
# The customer's whole message is a person word with only greetings and politeness around it.
_ONLY_PERSON = re.compile(rf"^(?:{_POLITE}\s*)*[{PERSON_TOKEN}{SERVICE_TOKEN}](?:\s*{_POLITE})*$")
_REQUEST_VERBS = (
    # English
    r"talk|speak|chat|connect|transfer|put me through|put me on|pass me|patch me|get me|give me|"
    r"i want|i need|i'd like|i would like|i'd prefer|need to reach|reach|escalate|hand me|hand this|"
    r"send me to|let me have|is there|are there|is anyone|is there anyone|any chance of|can i have|"
    r"could i have|may i have|bring in|bring me"
    # Spanish
    r"|hablar|habla|comunicar|comunicame|comunicarme|pasame|pasar|pasen|ponme|ponerme|transfiereme|"
    r"transferir|quiero|necesito|me puede atender|me pueden atender|me atienda|hay|conectar|conectame"
    # French
    r"|parler|parle|discuter|echanger|passez|passe|passer|mettez-moi|mettre en relation|en relation|en contact|"
    r"transferez|transferer|je veux|je voudrais|je souhaite|il me faut|je demande|y a-t-il|"
    r"est-ce qu'il y a|avoir"
    # German
    r"|sprechen|reden|schreiben|verbinden|verbinde|durchstellen|stellen sie mich|weiterleiten|"
    r"ich will|ich mochte|ich moechte|ich hatte gern|ich brauche|brauche|gibt es|ist da|"
    r"telefonieren|kontakt"
)
_NEGATION = re.compile(
    r"\b(?:don't|dont|do not|no need|no longer|not|never|sin|nunca|ya no|pas besoin|plus besoin|ne veux pas|"
    r"kein|keinen|nicht)\b(?:[^\w,]+\w+){0,3}[^\w,]*$"  # not across a comma: "no bot, a person"
)
# "ich brauche keinen Mitarbeiter mehr": the negation sits between the verb and the person.
_NEGATED_OBJECT = re.compile(r"\b(?:keine?n?|no|nadie|ningun\w*|aucun\w*|not any|no one|nobody)\b")
# "so the courier can call me": somebody else is to call, not our staff.
_NOT_OUR_CALL = re.compile(
    r"\b(?:so|so that|damit|para que|pour que|courier|driver|repartidor|livreur|zusteller|paketbote|bote)\b"
)
_REQUEST = re.compile(
    rf"(?P<verb>\b(?:{_REQUEST_VERBS}))\b(?:\W+(?!{PERSON_TOKEN}|{SERVICE_TOKEN})[\w'-]+){{0,5}}?"
    rf"\W*(?P<who>[{PERSON_TOKEN}{SERVICE_TOKEN}])"
)
# A person word used as a noun modifier or a third party, not the one asked for.
_NOT_THE_ONE_ASKED = re.compile(
    rf"\b(?:my|our|his|her|their|mi|mis|nuestro|su|mon|ma|notre|son|sa|mein|meine|meinem|meinen|unser|"
    rf"unsere|another|other|otra|otro|autre|andere|anderen|delivery|courier|travel|real estate|shipping|"
    rf"local|every|each|per|one|la otra)[\s-]+[{PERSON_TOKEN}]"
)
_CALLBACK = re.compile(
    r"\b(?:call|ring|phone) me(?: back)?\b|\bcall ?back\b|\bcall me\b|\bhave someone (?:call|ring|phone)\b|"
    r"\bllam(?:e|adme|arme|enme|ame)\b|\bme (?:pueden|puede|podeis|podrian) llamar\b|"
    r"\brappel(?:ez|er)-moi\b|\brappelez moi\b|\betre rappelee?\b|\bme faire rappeler\b|"
    r"\bruf(?:en sie)? mich\b.*\b(?:zuruck|an)\b|\bruckruf\b|\bmich (?:bitte )?(?:zuruck)?rufen\b|"
    r"\bmich\b.{0,30}\banrufen\b|\b(?:a )?(?:phone )?call from\b|\bget in touch with me\b|"
    r"\b(?:contact|call) me (?:by|on the) phone\b"
)
_AWAY_FROM_BOT = re.compile(
    r"\b(?:stop the bot|skip the bot|no more bot|not a bot|not a robot|no bot|without the bot|bot aus|kein(?:en)? bot|"
    r"pas un robot|pas une machine|no quiero (?:hablar con )?(?:un )?(?:bot|robot|maquina)|"
    r"de carne y hueso|personne physique)\b"
)


@lru_cache(maxsize=4096)
def _person_like(token: str) -> bool:
    if token in PERSON_WORDS:
        return True
    if len(token) < 5 or token in _NOT_PERSON or not token.isalpha():
        return False
    match = fuzzy.extractOne(token, _FUZZY_PERSON, scorer=fuzz.ratio, score_cutoff=80)
    return match is not None and abs(len(match[0]) - len(token)) <= 2


def _mark_people(folded: str) -> str:
    marked = re.sub(SERVICE_PHRASES, SERVICE_TOKEN, folded)
    return re.sub(r"[\w'][\w']*", lambda m: PERSON_TOKEN if _person_like(m.group(0)) else m.group(0), marked)


def detect_human_request(text: str) -> str | None:
    """The phrase that asks for a person, or None. Innocent uses ("the delivery agent left my parcel",
    "is this safe for human skin", "my manager needs an invoice") do not fire."""
    folded = fold(unquote(text))
    if not folded:
        return None
    if (callback := _CALLBACK.search(folded)) and not _NOT_OUR_CALL.search(
        folded[max(0, callback.start() - 40) : callback.start()]
    ):
        return callback.group(0)
    marked = _mark_people(folded)
    plain = re.sub(r"[^\w\s'\u2460\u2461-]+", " ", marked)
    plain = re.sub(r"\s+", " ", plain).strip()
    if _ONLY_PERSON.match(plain):
        return text.strip()
    if (PERSON_TOKEN in plain or SERVICE_TOKEN in plain) and _AWAY_FROM_BOT.search(folded):
        return _AWAY_FROM_BOT.search(folded).group(0)  # type: ignore[union-attr]
    for sentence in re.split(r"[.;!?]+", plain):
        if _ONLY_PERSON.match(sentence.strip()):
            return sentence.strip()
    if found := _PERSON_FIRST.search(marked):
        return found.group(0).replace(PERSON_TOKEN, "<person>").replace(SERVICE_TOKEN, "<support>")
    for clause in re.split(r"[.;!?]|,\s*(?:but|and|pero|mais|aber)\b", marked):
        clause = clause.strip()
        for match in _REQUEST.finditer(clause):
            before = clause[: match.start()]
            if _NEGATION.search(before):
                continue
            span = clause[match.start() : match.end() + 1]
            if _NOT_THE_ONE_ASKED.search(span) or _NEGATED_OBJECT.search(span):
                continue
            if _PAST_OR_THIRD_PARTY.search(clause[match.end() :]):
                continue
            if _NOT_A_CONTACT_GAP.search(clause[match.end("verb") : match.start("who")]):
                continue
            return match.group(0).replace(PERSON_TOKEN, "<person>").replace(SERVICE_TOKEN, "<support>")
    return None


# Verb after the person: German word order ("mit einem Mitarbeiter sprechen") and "can a human take over".
_PERSON_FIRST = re.compile(
    rf"\b(?:mit|an|zu)\s+(?:\w+\s+){{0,2}}[{PERSON_TOKEN}{SERVICE_TOKEN}]\s+(?:\w+\s+)?"
    rf"(?:sprechen|reden|verbinden|weiterleiten|schreiben|telefonieren|durchstellen)\b"
    rf"|\b(?:can|could|will|may)\s+(?:a|an|some|the)?\s*[{PERSON_TOKEN}{SERVICE_TOKEN}]\s+"
    rf"(?:take over|help me|call me|contact me|look at this|join)\b"
)
_CONTACT_CUES = re.compile(
    r"\b(?:call|phone|ring|contact|email|e-mail|message|reply|answer|escalat\w*|transfer\w*|forward|hand|"
    r"staff\w*|team\w*|colleague\w*|employee\w*|assistant\w*|ppl|someone|somebody|anyone|anybody|"
    r"whoever|in charge|bot|robot|chatbot|superior|gerant\w*|prepose\w*|vrai monde|responsable\w*|"
    r"llam\w*|marca\w*|contact\w*|escal\w*|transfi\w*|deriv\w*|compa\w*|equipo|ejecutivo|"
    r"rappel\w*|appel\w*|telephon\w*|contact\w*|escalad\w*|transf\w*|relais|equipe|employe|qqn|vendeu\w*|"
    r"anruf\w*|ruf\w*|ruckruf|telefon\w*|kontakt\w*|eskal\w*|weiterleit\w*|team\w*|kolleg\w*|jmd|wer|"
    r"jemand\w*|irgendwer|opper|filial\w*|\w*mitarbeiter\w*|sachbearbeit\w*|verkauf\w*)\b"
)


def mentions_people_or_contact(text: str) -> bool:
    """A cheap gate for the learned detector: a request for a person names people, staff, the bot or a
    way of being contacted. Messages without any such word skip the model."""
    folded = fold(unquote(text))
    # "my manager", "another person", "send it to someone": people of the customer's, not ours
    marked = _NOT_THE_ONE_ASKED.sub(" ", _mark_people(folded))
    marked = _THIRD_PARTY_OBJECT.sub(" ", marked)
    return bool(_CONTACT_CUES.search(marked)) or PERSON_TOKEN in marked or SERVICE_TOKEN in marked


# Somebody the customer sends, gives or buys something to or for.
_THIRD_PARTY_OBJECT = re.compile(
    rf"\b(?:send|ship|mail|post|gift|deliver|order|buy|enviar|envoyer|schicken|senden)\w*\b(?! me\b)[^.!?]{{0,40}}?"
    rf"\b(?:to|for|para|a|pour|an|fur)\s+(?:a |an |un |une |una |ein |eine )?[{PERSON_TOKEN}]"
)


# "... a representative sample", "an agent jacket", "human skin": the person word is a modifier.
_PAST_OR_THIRD_PARTY = re.compile(
    r"^\s*(?:'s|s')?\s*(?:skin|rights|resources|sample|colour|color|jacket|icon|discount|told|said|"
    r"asked|left|says|yesterday|at the|in the photo|of the year|choice|collection|size|"
    r"to (?:sign|receive|collect|pick|accept|open|take delivery|deliver)|"
    r"para (?:firmar|recibir|recoger)|pour (?:signer|recevoir|recuperer)|zum (?:unterschreiben|annehmen))\b"
)
# Between "I want" and the person: the customer wants to do something *for* or *to* someone (send a parcel
# to someone, a gift for someone, the returns address of customer service), not to talk to them.
_NOT_A_CONTACT_GAP = re.compile(
    r"\b(?:send|ship|mail|post|gift|order|buy|deliver|for|address|adresse|direccion|enviar|regalo|para|"
    r"envoyer|cadeau|pour|schicken|senden|geschenk|fur)\b"
)


# --- frustration ----------------------------------------------------------------------------------------

FRUSTRATION_PHRASES = re.compile(
    r"\b(?:"
    # English
    r"i (?:already|just) (?:told|said|gave|explained|sent)|i've (?:already )?(?:told|said|explained|asked)|"
    r"(?:going|go|goes|running) (?:round )?in circles|are you (?:even )?(?:reading|listening)|"
    r"not listening|(?:how many|so many) times|(?:told|asked|explained|said|written|wrote|called|repeated) "
    r"(?:you |this |it |that )?(?:\w+ )?(?:two|three|four|five|several|many|\d+) times|"
    r"(?:the )?(?:second|third|fourth|fifth) time|over and over|same (?:answer|link|thing|reply) again|"
    r"useless|pointless|pathetic|ridiculous|unbelievable|unacceptable|outrageous|disgraceful|"
    r"joke|waste of (?:my )?time|thanks for nothing|"
    r"not what i asked|sick of|fed up|had enough|i'm done|im done|so angry|furious|livid|worst|"
    r"terrible|awful|horrible|scam|rip ?off|fraudsters|incompetent|dumb|stupid|idiot|clowns|wtf|"
    r"for god's sake|seriously\?|straight answer|again\?+|(?:faq|link|answer|message|reply|question) again|"
    r"(?:not|didn't|did not|never) answer(?:ed|ing)? my question|so helpful\.|"
    # Spanish
    r"ya (?:te|se lo|os|le) (?:lo )?(?:dije|he dicho|explique|di|he dado)|siquiera|"
    r"ya lo (?:dije|he dicho|explique)|"
    r"vueltas en circulo|damos vueltas|(?:me )?estas (?:leyendo|escuchando)|inutil|ridiculo|"
    r"una verguenza|vergonzoso|harto|harta|estoy cansad[oa]|el peor|pesimo|una estafa|tomadura de pelo|"
    r"(?:tres|dos|cuatro|varias|muchas) veces|perdida de tiempo|no sirve(?:s)? para nada|incompetentes?|"
    # French
    r"je (?:vous|te) (?:l'ai|ai) deja (?:dit|donne|explique|envoye)|n'importe quoi|incapables?|"
    r"je l'ai deja (?:dit|explique)|deja (?:dit|explique)|on tourne en rond|"
    r"vous lisez|vous m'ecoutez|inutile|ridicule|honteux|une honte|inadmissible|inacceptable|"
    r"j'en ai marre|ras le bol|marre|le pire|pire|nul|nulle|arnaque|incompetents?|(?:trois|deux|quatre|"
    r"plusieurs) fois|perte de temps|scandaleux|"
    # German
    r"(?:ich )?habe (?:ihnen|dir|es) (?:das )?(?:doch )?schon (?:gesagt|genannt|erklart|geschrieben)|"
    r"schon (?:gesagt|genannt|erklart)|im kreis|lesen sie (?:uberhaupt|eigentlich)|horen sie (?:mir )?zu|"
    r"nutzlos|lacherlich|unverschamt|frechheit|eine zumutung|mir reicht's|mir reichts|es reicht|"
    r"schlechteste|katastrophe|betrug|abzocke|inkompetent|(?:dreimal|zweimal|viermal|mehrmals|zum dritten mal)|"
    r"zeitverschwendung|unmoglich|sauer|wutend"
    r")"
)
INSULTS = re.compile(
    r"\b(?:idiot|idiots|stupid|moron|morons|clown|clowns|dumb|crap|shit|shitty|bullshit|damn|f+u+c+k\w*|"
    r"wtf|stfu|imbecil|estupido|idiota|mierda|joder|cabron|connard|connards|merde|putain|abruti|"
    r"debile|idiotes?|scheisse|scheiss|idioten|verdammt|mist|arsch|blod|bloder)\b"
)
CHURN = re.compile(
    # Asking to cancel is a routine request (and an intent); threatening to is churn.
    r"\b(?:(?:i will|i'll|ill|i am going to|i'm going to|im going to|gonna|or i'll|or i will|otherwise i'll|"
    r"then i'll) (?:just |simply )?(?:cancel|close) (?:my|the) (?:account|membership|subscription|everything)|"
    r"never (?:shop|order|buy)(?:ing)? (?:here|from you)|never (?:ordering|shopping|buying)|"
    r"take my (?:business|money) elsewhere|go(?:ing)? to (?:a )?competitor|one-star review|1-star review|"
    r"leave a (?:bad|negative) review|(?:post|tweet|write) about (?:this|it) (?:on|online)|social media|"
    r"i'm done with you|im done with you|"
    r"me voy a dar de baja|nunca (?:mas )?(?:vuelvo a )?compr|me voy a la competencia|"
    r"plus jamais|je resilie|fermer mon compte|je vais chez un concurrent|"
    r"no vuelvo a comprar|no volvere a comprar|cloturer mon compte|ne plus jamais commander|"
    r"nie wieder|ich kundige|bestelle nie wieder)\b"
)
LEGAL = re.compile(
    r"\b(?:lawyer|attorney|solicitor|(?:sue|suing) (?:you|your company|the company|them)|lawsuit|legal action|"
    r"(?:take|taking|see) (?:you|this|it|them) to court|small claims|court action|trading standards|"
    r"consumer protection|ombudsman|report you to|abogado|(?:os|les|te) (?:voy a )?demandar|poner una demanda|"
    r"denuncia(?:r|re)?|oficina de consumo|(?:reclamaci\w+|queja) (?:en|a) consumo|avocat|porter plainte|"
    r"en justice|faire un proces|tribunal|anwalt|klage einreichen|verklagen|vor gericht|verbraucherzentrale|"
    r"rechtliche schritte)\b"
)

# --- topics that always go to a person ---------------------------------------------------------------

SENSITIVE_TOPICS: dict[str, re.Pattern[str]] = {
    "fraud": re.compile(
        r"\b(?:fraud|fraudulent|(?:charges?|payments?|transactions?|debits?)\b.{0,40}\b(?:i )?(?:don't|do not|"
        r"didn't|did not|can't|cannot) (?:recognise|recognize|make|authori[sz]e|remember)|"
        r"unauthori[sz]ed (?:charge|payment|transaction|purchase)s?|(?:don't|do not) recogni[sz]e (?:this|these|"
        r"the|a|an) (?:charge|payment|transaction|order)|stolen card|card (?:was )?stolen|identity theft|"
        r"cargos?\b.{0,40}\bno (?:reconozco|he hecho|autorice)|no reconozco (?:este|estos|el|un|una) "
        r"(?:cargo|pago|compra)|fraude|(?:prelevements?|debits?|paiements?|achats?)\b.{0,40}\bne reconnais pas|"
        r"je ne reconnais pas (?:ce|cet|cette|ces) (?:prelevement|debit|paiement|achat)|"
        r"(?:abbuchung|belastung|zahlung)\w*\b.{0,40}\bnicht (?:kenne|erkenne|zuordnen|autorisiert)|"
        r"nicht autorisiert|betrug)\b"
    ),
    "account_compromised": re.compile(
        r"\b(?:hacked|hacker|hackers|someone (?:else )?(?:logged|got) into my account|account (?:was )?"
        r"(?:compromised|taken over|breached)|hackead[oa]|hackearon|(?:han|ha) entrado en mi cuenta|"
        r"compte (?:a ete )?piratee?|pirate mon compte|gehackt)\b"
    ),
    "chargeback": re.compile(
        r"\b(?:charge ?back|dispute (?:this|it|the charge|the payment) with my bank|"
        r"(?:reverse|reversing) the (?:charge|payment)|reclamar el cargo al banco|contester le paiement|"
        r"contracargo|devolucion bancaria|"
        r"litige (?:bancaire|avec ma banque)|opposition (?:sur|a) (?:la|ma) carte|"
        r"ruckbuchung|zuruckbuchen|zahlung (?:uber (?:meine|die) bank )?zuruckbuchen)\b"
    ),
    "legal_threat": LEGAL,
    "bereavement": re.compile(
        r"\b(?:passed away|(?:mother|father|mum|mom|dad|husband|wife|partner|son|daughter|brother|sister) "
        r"(?:has |had )?died|died (?:last|this|on|in|recently)|death of my|deceased|funeral|bereavement|"
        r"late (?:husband|wife|mother|father)|"
        r"fallecio|fallecido|fallecida|murio|ha muerto|decede|decedee|est morte?|deces|"
        r"verstorben|gestorben|ist tot|todesfall)\b"
    ),
    "formal_complaint": re.compile(
        r"\b(?:formal complaint|file a complaint|make a complaint|lodge a complaint|complaints procedure|"
        r"queja formal|poner una (?:queja|reclamacion)|reclamacion formal|hoja de reclamaciones|"
        r"plainte formelle|deposer (?:une )?(?:plainte|reclamation)|reclamation officielle|"
        r"formelle beschwerde|beschwerde einreichen|offizielle beschwerde)\b"
    ),
}


@dataclass(frozen=True)
class Signals:
    """What the rules found in one message. Each field holds the matched phrase(s), for the trace."""

    human_request: str | None = None
    frustration: tuple[str, ...] = ()
    insults: tuple[str, ...] = ()
    churn: str | None = None
    legal: str | None = None
    sensitive: dict[str, str] = field(default_factory=dict)
    shouting: bool = False
    exclamations: int = 0

    @property
    def anger_markers(self) -> int:
        return int(self.shouting) + min(self.exclamations, 3) // 2 + len(self.insults)


def detect_signals(text: str) -> Signals:
    folded = fold(text)
    sensitive = {}
    for topic, pattern in SENSITIVE_TOPICS.items():
        if found := pattern.search(folded):
            sensitive[topic] = found.group(0)
    churn = CHURN.search(folded)
    legal = LEGAL.search(folded)
    return Signals(
        human_request=detect_human_request(text),
        frustration=tuple(dict.fromkeys(m.group(0) for m in FRUSTRATION_PHRASES.finditer(folded))),
        insults=tuple(dict.fromkeys(m.group(0) for m in INSULTS.finditer(folded))),
        churn=churn.group(0) if churn else None,
        legal=legal.group(0) if legal else None,
        sensitive=sensitive,
        shouting=is_shouting(text),
        exclamations=text.count("!") + text.count("?!"),
    )


def is_shouting(text: str) -> bool:
    """Mostly capital letters over enough letters to mean it ("OK" and "ORD-10042" are not shouting)."""
    letters = [c for c in re.sub(r"\b[A-Z]{2,5}-?\d+\b", "", text) if c.isalpha()]
    if len(letters) < 8:
        return False
    return sum(c.isupper() for c in letters) / len(letters) >= 0.7
