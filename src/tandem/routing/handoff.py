"""The handoff packet: what the person taking over reads first, so the customer never repeats a word.

Built from what is already stored: the episode's transcript with the bot's traces, the escalation event
(rule, trigger, evidence, threshold) and the CRM profile. Pure functions over plain data; the service
feeds them and stores the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tandem.customers.crm import CustomerProfile

FAILED = frozenset({"not_understood", "unhelpful", "failed", "unsupported_language", "empty", "not_found"})
GOAL_CHARS = 240
SMALL_TALK = frozenset({"greeting", "thanks", "goodbye", "affirm", "deny", "bot_unhelpful"})


@dataclass(frozen=True)
class TranscriptLine:
    seq: int
    author: str  # customer | bot | agent | system
    body: str
    at: str
    trace: dict[str, Any] | None = None
    author_name: str | None = None


def build_packet(
    *,
    transcript: list[TranscriptLine],
    trigger: str | None,
    reason: str | None,
    escalation: dict[str, Any] | None,
    customer_name: str | None,
    profile: CustomerProfile | None,
    locale: str,
    queue: str | None = None,
) -> dict[str, Any]:
    """The packet as JSON-ready data: ``summary`` (the ten-second read), ``customer``, ``transcript``,
    ``suggested_reply`` and ``note`` (the summary as text, posted as a private note)."""
    traces = [line.trace for line in transcript if line.author == "bot" and line.trace]
    customer_lines = [line for line in transcript if line.author == "customer"]
    intent = _intent(traces, escalation)
    entities = _entities(traces)
    tried = _tried(transcript)
    articles = _unique([step["article"] for step in tried if step.get("article")])
    trend = [float(t.get("frustration", 0.0)) for t in traces] + _escalation_score(escalation)
    name = (profile.name if profile else None) or customer_name
    summary = {
        "goal": _goal(customer_lines, traces),
        "intent": intent,
        "entities": entities,
        "bot_tried": tried,
        "failed": [step for step in tried if step["outcome"] in FAILED],
        "articles_offered": articles,
        "sentiment": {"trend": [round(x, 3) for x in trend[-8:]], "direction": _direction(trend)},
        "trigger": trigger,
        "rule": (escalation or {}).get("rule"),
        "reason": reason,
        "evidence": (escalation or {}).get("evidence", {}),
        "threshold": (escalation or {}).get("threshold"),
        "customer_messages": len(customer_lines),
        "queue": queue,
    }
    customer = _customer(name, profile)
    suggested = suggested_reply(
        locale=locale,
        name=name,
        intent=intent.get("intent") if intent else None,
        order=next(iter(entities.get("order_numbers") or []), None),
        tried=tried,
        trigger=trigger,
    )
    packet = {
        "summary": summary,
        "customer": customer,
        "transcript": [
            {
                "seq": line.seq,
                "author": line.author,
                "author_name": line.author_name,
                "body": line.body,
                "at": line.at,
            }
            for line in transcript
        ],
        "suggested_reply": suggested,
        "transfers": [],
    }
    packet["note"] = render_note(packet)
    return packet


def carry_over(previous: dict[str, Any], *, transfer: dict[str, Any]) -> dict[str, Any]:
    """A transfer keeps everything the earlier packet said and adds who sent it where, and why."""
    carried = dict(previous)
    carried["transfers"] = [*previous.get("transfers", []), transfer]
    carried["note"] = render_note(carried)
    return carried


def render_note(packet: dict[str, Any]) -> str:
    """The private note: the few lines an agent reads in ten seconds."""
    summary = packet["summary"]
    customer = packet.get("customer") or {}
    lines = [f"Handoff: {_trigger_text(summary)}"]
    goal = summary.get("goal")
    intent = summary.get("intent") or {}
    if goal:
        about = f" (intent {intent['intent']}, {intent['confidence']:.0%})" if intent.get("intent") else ""
        lines.append(f'Goal: "{goal}"{about}')
    entities = summary.get("entities") or {}
    if entities:
        lines.append(
            "Details: " + "; ".join(f"{k.replace('_', ' ')} {', '.join(v)}" for k, v in entities.items())
        )
    tried = summary.get("bot_tried") or []
    if tried:
        lines.append("Bot tried: " + "; ".join(_step_text(step) for step in tried[-5:]))
    else:
        lines.append("Bot tried: nothing yet (the customer asked for a person straight away).")
    sentiment = summary.get("sentiment") or {}
    if sentiment.get("trend"):
        lines.append(
            f"Sentiment: {sentiment['direction']} ({' → '.join(f'{x:.2f}' for x in sentiment['trend'][-4:])})"
        )
    if customer.get("name") or customer.get("membership"):
        lines.append("Customer: " + _customer_text(customer))
    for transfer in packet.get("transfers", []):
        lines.append(
            f"Transferred by {transfer.get('by') or 'a colleague'} to {transfer.get('to')}: "
            f"{transfer.get('note') or transfer.get('reason') or 'no note'}"
        )
    lines.append(f"Suggested first reply: {packet.get('suggested_reply')}")
    return "\n".join(lines)


# --- suggested first reply -------------------------------------------------------------------------------

_REPLIES: dict[str, dict[str, str]] = {
    "en": {
        "hello": "Hi {name}, thanks for waiting, I'm taking over from our assistant.",
        "hello_anon": "Hi, thanks for waiting, I'm taking over from our assistant.",
        "about": " I can see you're asking about {topic}{order}",
        "tried_failed": " and that the assistant's answers didn't sort it out",
        "tried": " and what the assistant already went through with you",
        "sensitive": " I understand this is important, and I'll handle it personally.",
        "end": ", so you don't need to repeat anything. Let me look into it now.",
        "end_short": "You don't need to repeat anything; I have the whole conversation here. How can I help?",
        "order": " (order {order})",
    },
    "es": {
        "hello": "Hola {name}, gracias por esperar; continúo yo desde aquí.",
        "hello_anon": "Hola, gracias por esperar; continúo yo desde aquí.",
        "about": " Veo que nos consultas sobre {topic}{order}",
        "tried_failed": " y que las respuestas del asistente no lo resolvieron",
        "tried": " y lo que ya revisaste con el asistente",
        "sensitive": " Entiendo que es importante y me ocupo personalmente.",
        "end": ", así que no hace falta que repitas nada. Lo reviso ahora mismo.",
        "end_short": "No hace falta que repitas nada: tengo toda la conversación aquí. ¿En qué puedo ayudarte?",
        "order": " (pedido {order})",
    },
    "fr": {
        "hello": "Bonjour {name}, merci de votre patience, je prends le relais de notre assistant.",
        "hello_anon": "Bonjour, merci de votre patience, je prends le relais de notre assistant.",
        "about": " Je vois que votre demande concerne {topic}{order}",
        "tried_failed": " et que les réponses de l'assistant n'ont pas suffi",
        "tried": " et ce que vous avez déjà vu avec l'assistant",
        "sensitive": " Je comprends que c'est important et je m'en occupe personnellement.",
        "end": " : inutile de répéter quoi que ce soit. Je regarde tout de suite.",
        "end_short": "Inutile de répéter quoi que ce soit, j'ai toute la conversation sous les yeux. "
        "Comment puis-je vous aider ?",
        "order": " (commande {order})",
    },
    "de": {
        "hello": "Hallo {name}, danke fürs Warten, ich übernehme jetzt von unserem Assistenten.",
        "hello_anon": "Hallo, danke fürs Warten, ich übernehme jetzt von unserem Assistenten.",
        "about": " Ich sehe, es geht um {topic}{order}",
        "tried_failed": " und dass die Antworten des Assistenten nicht weitergeholfen haben",
        "tried": " und was Sie mit dem Assistenten schon durchgegangen sind",
        "sensitive": " Ich verstehe, dass das wichtig ist, und kümmere mich persönlich darum.",
        "end": ", Sie müssen also nichts wiederholen. Ich schaue mir das sofort an.",
        "end_short": "Sie müssen nichts wiederholen, ich habe das ganze Gespräch vor mir. Wie kann ich helfen?",
        "order": " (Bestellung {order})",
    },
}


def suggested_reply(
    *,
    locale: str,
    name: str | None,
    intent: str | None,
    order: str | None,
    tried: list[dict[str, Any]],
    trigger: str | None,
) -> str:
    """A first reply in the customer's language that shows the agent already knows the story."""
    words = _REPLIES.get(locale.split("-")[0].lower(), _REPLIES["en"])
    first_name = (name or "").split(" ")[0]
    text = words["hello"].format(name=first_name) if first_name else words["hello_anon"]
    if trigger == "sensitive_topic":
        text += words["sensitive"]
    if intent and intent not in SMALL_TALK:
        text += words["about"].format(
            topic=intent.replace("_", " "), order=words["order"].format(order=order) if order else ""
        )
        if tried:
            failed = any(step["outcome"] in FAILED for step in tried)
            text += words["tried_failed"] if failed else words["tried"]
        return text + words["end"]
    return text + " " + words["end_short"]


# --- parts -----------------------------------------------------------------------------------------------


def _intent(traces: list[dict[str, Any]], escalation: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the customer wants: the latest classified turn, skipping the answers a running flow asked for
    (an e-mail or an order number says nothing about the goal, and the classifier's guess for it is noise)."""
    started: set[str] = set()
    goals: list[dict[str, Any]] = []
    for trace in traces:
        flow = (trace.get("flow") or {}).get("name") if isinstance(trace.get("flow"), dict) else None
        if flow is None or flow not in started:
            goals.append(trace)
        if flow is not None:
            started.add(flow)
    for trace in reversed(goals):
        intent = trace.get("intent")
        if isinstance(intent, dict) and intent.get("intent") and intent["intent"] not in SMALL_TALK:
            return {"intent": intent["intent"], "confidence": float(intent.get("confidence", 0.0))}
    evidence = (escalation or {}).get("evidence") or {}
    if evidence.get("intent"):
        return {"intent": evidence["intent"], "confidence": float(evidence.get("confidence", 0.0))}
    return None


def _entities(traces: list[dict[str, Any]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for trace in traces:
        for kind, values in (trace.get("entities") or {}).items():
            for value in values:
                if value not in merged.setdefault(kind, []):
                    merged[kind].append(value)
    return merged


def _tried(transcript: list[TranscriptLine]) -> list[dict[str, Any]]:
    """One step per bot reply: what it decided, the outcome, the article it offered, and whether the
    customer's next message said it did not help."""
    steps: list[dict[str, Any]] = []
    for line in transcript:
        if line.author != "bot" or not line.trace:
            continue
        trace = line.trace
        article = trace.get("article") if isinstance(trace.get("article"), dict) else None
        flow = trace.get("flow") if isinstance(trace.get("flow"), dict) else None
        steps.append(
            {
                "seq": line.seq,
                "decision": trace.get("decision"),
                "outcome": trace.get("outcome") or "answered",
                "article": article.get("title") if article else None,
                "flow": flow.get("name") if flow else None,
            }
        )
    return steps


def _goal(customer_lines: list[TranscriptLine], traces: list[dict[str, Any]]) -> str | None:
    """The customer's first message that is about something (not "hi" or "agent please")."""
    topical = {
        t.get("in_reply_to")
        for t in traces
        if isinstance(t.get("intent"), dict) and t["intent"].get("intent") not in SMALL_TALK | {None}
    }
    chosen = next((line for line in customer_lines if line.seq in topical), None)
    chosen = chosen or next((line for line in customer_lines if len(line.body.split()) > 3), None)
    chosen = chosen or (customer_lines[0] if customer_lines else None)
    if chosen is None:
        return None
    body = " ".join(chosen.body.split())
    return body if len(body) <= GOAL_CHARS else body[: GOAL_CHARS - 1] + "…"


def _escalation_score(escalation: dict[str, Any] | None) -> list[float]:
    evidence = (escalation or {}).get("evidence") or {}
    return [float(evidence["score"])] if isinstance(evidence.get("score"), int | float) else []


def _direction(trend: list[float]) -> str:
    if len(trend) < 2:
        return "steady" if trend and trend[-1] < 0.5 else ("upset" if trend else "unknown")
    change = trend[-1] - trend[0]
    return "rising" if change > 0.15 else "falling" if change < -0.15 else "steady"


def _customer(name: str | None, profile: CustomerProfile | None) -> dict[str, Any]:
    if profile is None:
        return {"name": name, "known_to_crm": False}
    return {
        "name": profile.name or name,
        "known_to_crm": True,
        "external_id": profile.external_id,
        "email": profile.email,
        "phone": profile.phone,
        "membership": profile.membership,
        "premium_subscription": profile.premium_subscription,
        "customer_since": profile.customer_since.isoformat() if profile.customer_since else None,
        "lifetime_value": str(profile.lifetime_value),
        "orders": [
            {
                "number": order.number,
                "placed_on": order.placed_on.isoformat(),
                "status": order.status,
                "total": f"{order.total} {order.currency}",
                "tracking_number": order.tracking_number,
            }
            for order in profile.orders[:5]
        ],
        "notes": list(profile.notes),
    }


def _trigger_text(summary: dict[str, Any]) -> str:
    text = summary.get("reason") or (summary.get("trigger") or "handoff").replace("_", " ")
    threshold = summary.get("threshold")
    score = (summary.get("evidence") or {}).get("score")
    if threshold is not None and score is not None:
        text += f" (score {float(score):.2f} ≥ {float(threshold):.2f})"
    elif threshold is not None:
        text += f" (limit {threshold})"
    return f"{text} [{summary.get('rule') or summary.get('trigger')}]"


def _step_text(step: dict[str, Any]) -> str:
    what = step.get("flow") or step.get("article") or step.get("decision") or "reply"
    return f"{what} → {step['outcome']}"


def _customer_text(customer: dict[str, Any]) -> str:
    parts = [customer.get("name") or "unknown name"]
    if customer.get("membership"):
        parts.append(f"{customer['membership']} member")
    if customer.get("customer_since"):
        parts.append(f"since {customer['customer_since'][:4]}")
    orders = customer.get("orders") or []
    if orders:
        last = orders[0]
        parts.append(f"{len(orders)} recent orders, last {last['number']} {last['status']}")
    return " · ".join(parts)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
