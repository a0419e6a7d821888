"""Conversation use cases. Every function takes the caller's unit of work and never commits.

Ordering and idempotency rest on one rule: a message is written while its conversation row is locked
(``SELECT ... FOR UPDATE`` in PostgreSQL, the single-writer lock in SQLite). Under that lock the service
checks the client message id, takes the next ``seq`` and inserts, so ``seq`` is gap-free and commit order
equals ``seq`` order, and a retried or concurrent duplicate finds the first copy instead of a second row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm.attributes import set_committed_value

from tandem.accounts import service as accounts_service
from tandem.accounts.actors import Actor, ActorKind, Role
from tandem.conversation import follow_up, repository
from tandem.conversation.errors import (
    ClientIdTakenError,
    ConversationNotFoundError,
    ConversationResolvedError,
    FollowUpNotPossibleError,
    FollowUpPendingError,
    MessageTooLongError,
    NotOwnerError,
)
from tandem.conversation.events import ConversationRated, ConversationStarted, MessagePosted, OwnershipChanged
from tandem.conversation.models import Conversation, ConversationEvent, ConversationOutcome
from tandem.conversation.notices import notice
from tandem.conversation.schemas import (
    AuthorKind,
    BotFailureIn,
    ConversationCreate,
    ConversationOut,
    ConversationPage,
    EventOut,
    MessageCreate,
    MessageOut,
    OutcomeOut,
    PostedMessage,
    RatingCreate,
    TagsUpdate,
)
from tandem.conversation.schemas import (
    ConversationStarted as ConversationStartedOut,
)
from tandem.conversation.state import Owner, Transition, Trigger, allowed_transitions, next_owner
from tandem.core import observability
from tandem.core.errors import AuthenticationError, InvalidInputError, PermissionDeniedError
from tandem.core.ids import ConversationId, CustomerId, StaffId, new_token
from tandem.core.mail import MailSender, make_message_id
from tandem.core.text import find_email_address
from tandem.core.uow import UnitOfWork, UnitOfWorkFactory
from tandem.customers import service as customers_service
from tandem.customers.schemas import IdentityKind

BOT_TURN_JOB = "bot.take_turn"
"""Job enqueued for every customer message while the bot owns the conversation (handler wired in bootstrap)."""
HANDOFF_JOB = "routing.prepare_handoff"
"""Job enqueued when a conversation starts waiting for a person: packet, queue, customer notice."""
DISPATCH_JOB = "routing.dispatch"
"""Job enqueued whenever an agent's load may have changed, so waiting conversations move at once."""
FOLLOW_UP_MAIL_JOB = "conversation.send_follow_up_mail"
"""Job enqueued with the confirmation of an e-mail follow-up and with every public reply of a person in a
conversation that has one: the e-mail goes out after the commit that recorded the message."""
BOT_CLIENT_ID_PREFIX = "bot:"
"""Client ids of the bot's replies (``bot:{seq}``); nobody else may use them."""

INBOX_CHANNEL = "inbox"
CONVERSATION_TOKEN_PREFIX = "tdc_"


CUSTOMER_META_KEYS = frozenset(
    {
        "event",
        "from",
        "to",
        "transition",
        "author_name",
        "position",
        "expected_wait_seconds",
        "agents_online",
        "email",
    }
)
"""The parts of a message's metadata a customer may see; the bot's trace and the like stay internal."""


def customer_meta(meta: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in meta.items() if key in CUSTOMER_META_KEYS}


def conversation_channel(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


def customer_presence_channel(conversation_id: int) -> str:
    """Subscribed by the customer's live connections only, never published to: whether anyone listens on
    it says whether the customer still has the chat open."""
    return f"presence:{conversation_id}"


def hash_access_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class MessageLimits:
    max_chars: int = 10_000


# --- starting and reading -------------------------------------------------------------------------


async def start_conversation(
    uow: UnitOfWork,
    *,
    actor: Actor | None,
    data: ConversationCreate,
    identity_secret: str | None = None,
    limits: MessageLimits = MessageLimits(),
) -> ConversationStartedOut:
    """Open a conversation owned by the bot. Staff and API integrations assert identities; a widget
    proves one with an HMAC signature of the e-mail or external id."""
    verified_kinds: set[IdentityKind] = set()
    if actor is not None and actor.is_staff:
        verified_kinds = set(IdentityKind)  # staff and server-side integrations assert every identity
    elif data.identity_signature:
        # the widget's signature covers exactly one identifier: the e-mail, else the external id
        signed_kind = IdentityKind.EMAIL if data.customer.email else IdentityKind.EXTERNAL
        identifier = data.customer.email or data.customer.external_id or ""
        if not customers_service.verify_identity_signature(
            secret=identity_secret, identifier=identifier, signature=data.identity_signature
        ):
            raise AuthenticationError("The identity signature does not match; the visitor stays unverified.")
        verified_kinds = {signed_kind}
    customer_id, widget_token = await customers_service.resolve_customer(
        uow,
        claims=data.customer,
        verified_kinds=verified_kinds,
        locale=data.locale,
        widget_token=data.widget_token,
    )
    now = uow.clock.now()
    token = CONVERSATION_TOKEN_PREFIX + new_token()
    conversation = Conversation(
        customer_id=customer_id,
        channel=data.channel.value,
        locale=data.locale,
        subject=data.subject,
        state=Owner.BOT.value,
        tier=0,
        episode=1,
        last_seq=0,
        priority=0,
        access_token_hash=hash_access_token(token),
        created_at=now,
        updated_at=now,
        state_changed_at=now,
    )
    uow.session.add(conversation)
    await uow.session.flush()
    uow.session.add(
        ConversationOutcome(
            conversation_id=conversation.id,
            channel=conversation.channel,
            locale=conversation.locale,
            started_at=now,
        )
    )
    _log_event(
        uow, conversation, "started", actor=actor or Actor.system(), data={"verified": sorted(verified_kinds)}
    )
    uow.emit(
        ConversationStarted(conversation_id=conversation.id, channel=conversation.channel, locale=data.locale)
    )
    messages: list[MessageOut] = []
    if data.first_message is not None:
        customer = Actor.customer(ConversationId(conversation.id), customer_id)
        posted = await post_message(
            uow,
            actor=customer,
            conversation_id=ConversationId(conversation.id),
            data=data.first_message,
            limits=limits,
        )
        messages.append(posted.message)
    return ConversationStartedOut(
        conversation=await _out(uow, conversation),
        access_token=token,
        widget_token=widget_token,
        messages=messages,
    )


async def authenticate_access_token(uow: UnitOfWork, *, conversation_id: ConversationId, token: str) -> Actor:
    """The customer actor behind a conversation token. A valid token of another conversation is 403."""
    conversation = await repository.find_by_token_hash(uow.session, hash_access_token(token))
    if conversation is None:
        raise AuthenticationError("The conversation token is not valid.")
    if conversation.id != conversation_id:
        await _require(uow, conversation_id)  # an unknown id is 404 whoever asks
        raise PermissionDeniedError("This conversation token belongs to another conversation.")
    return Actor.customer(ConversationId(conversation.id), CustomerId(conversation.customer_id))


async def access_conversation(
    uow: UnitOfWork, *, actor: Actor, conversation_id: ConversationId
) -> ConversationOut:
    actor.require_conversation(conversation_id)
    out = await _out(uow, await _require(uow, conversation_id))
    if actor.is_customer:
        out.tags = []  # internal labels
    return out


async def list_conversations(
    uow: UnitOfWork,
    *,
    actor: Actor,
    states: list[Owner] | None = None,
    assignee_id: StaffId | None = None,
    customer_id: CustomerId | None = None,
    before_id: int | None = None,
    limit: int = 50,
    oldest_first: bool = False,
) -> ConversationPage:
    """Newest first (pages with ``before_id``), or ``oldest_first``: the longest in their state first."""
    actor.require_staff()
    rows = await repository.list_conversations(
        uow.session,
        states=[state.value for state in states] if states else None,
        assignee_id=assignee_id,
        customer_id=customer_id,
        before_id=before_id,
        limit=limit + 1,
        oldest_first=oldest_first,
    )
    page = rows[:limit]
    tags = await repository.list_tags(uow.session, [row.id for row in page])
    items = [_to_out(row, tags.get(row.id, [])) for row in page]
    return ConversationPage(items=items, next_cursor=page[-1].id if len(rows) > limit else None)


async def list_messages(
    uow: UnitOfWork, *, actor: Actor, conversation_id: ConversationId, after_seq: int = 0, limit: int = 200
) -> list[MessageOut]:
    """Messages after ``after_seq`` in order. Customers never receive private notes."""
    actor.require_conversation(conversation_id)
    await _require(uow, conversation_id)
    rows = await repository.list_messages(
        uow.session,
        conversation_id=conversation_id,
        after_seq=after_seq,
        limit=limit,
        include_private=actor.kind is not ActorKind.CUSTOMER,
    )
    messages = [message_out(row) for row in rows]
    if actor.is_customer:
        for message in messages:
            message.meta = customer_meta(message.meta)
    return messages


async def list_events(uow: UnitOfWork, *, actor: Actor, conversation_id: ConversationId) -> list[EventOut]:
    actor.require_staff()
    await _require(uow, conversation_id)
    return [
        EventOut.model_validate(row) for row in await repository.list_events(uow.session, conversation_id)
    ]


async def get_outcome(uow: UnitOfWork, *, actor: Actor, conversation_id: ConversationId) -> OutcomeOut:
    actor.require_staff()
    outcome = await repository.get_outcome(uow.session, conversation_id)
    if outcome is None:
        raise ConversationNotFoundError(f"No conversation with id {conversation_id}.")
    return OutcomeOut.model_validate(outcome)


# --- messages -------------------------------------------------------------------------------------


async def post_message(
    uow: UnitOfWork,
    *,
    actor: Actor,
    conversation_id: ConversationId,
    data: MessageCreate,
    limits: MessageLimits = MessageLimits(),
    meta: dict[str, Any] | None = None,
) -> PostedMessage:
    """Store one message, exactly once per ``client_message_id``, with the next sequence number."""
    actor.require_conversation(conversation_id)
    if len(data.body) > limits.max_chars:
        raise MessageTooLongError(
            f"The message has {len(data.body):,} characters; the limit is {limits.max_chars:,}. "
            "Split it into shorter messages.",
            limit=limits.max_chars,
        )
    author = _author_kind(actor)
    if data.private and author not in (AuthorKind.AGENT, AuthorKind.SYSTEM):
        raise PermissionDeniedError("Only staff can write private notes.")
    if (
        data.client_message_id
        and data.client_message_id.startswith(BOT_CLIENT_ID_PREFIX)
        and author is not (AuthorKind.BOT)
    ):
        raise InvalidInputError(
            f"client_message_id values starting with '{BOT_CLIENT_ID_PREFIX}' are reserved."
        )
    extra = dict(meta or {})
    if actor.name and author in (AuthorKind.AGENT, AuthorKind.BOT):
        extra.setdefault("author_name", actor.name)
    fast = await _post_message_fast(
        uow, actor=actor, author=author, conversation_id=conversation_id, data=data, meta=extra
    )
    if fast is not None:
        return fast
    return await _post_message_checked(
        uow, actor=actor, author=author, conversation_id=conversation_id, data=data, meta=extra
    )


async def _post_message_fast(
    uow: UnitOfWork,
    *,
    actor: Actor,
    author: AuthorKind,
    conversation_id: ConversationId,
    data: MessageCreate,
    meta: dict[str, Any],
) -> PostedMessage | None:
    """The common case in two statements: claim the next ``seq`` (which also locks the row and reads the
    owner), then insert unless the client id is already stored. Returns None, having given the number
    back, whenever the careful path must decide (resolved, not the owner, a takeover)."""
    now = uow.clock.now()
    claimed = await repository.claim_seq(uow.session, conversation_id=conversation_id, now=now)
    if claimed is None:
        return None
    state = Owner(claimed.state)
    takeover = author is AuthorKind.AGENT and not data.private and state in (Owner.BOT, Owner.WAITING)
    if (author is AuthorKind.BOT and state is not Owner.BOT) or takeover:
        await repository.release_seq(uow.session, conversation_id=conversation_id)
        return None
    values = _message_values(
        conversation_id=conversation_id,
        seq=claimed.seq,
        episode=claimed.episode,
        author=author,
        actor=actor,
        data=data,
        meta=meta,
        now=now,
    )
    message_id = await repository.insert_message_once(uow.session, dialect=uow.dialect, values=values)
    if message_id is None:
        await repository.release_seq(uow.session, conversation_id=conversation_id)
        existing = await repository.get_message_by_client_id(
            uow.session, conversation_id=conversation_id, client_message_id=data.client_message_id or ""
        )
        return _retried(existing, author=author, actor=actor)
    out = MessageOut(id=message_id, author_name=meta.get("author_name"), **values)
    _stored(uow, conversation_id=conversation_id, state=state, message=out, follow_up=claimed.follow_up_email)
    await _follow_up_from_message(uow, state=state, current=claimed.follow_up_email, message=out, actor=actor)
    return PostedMessage(message=out, created=True)


async def _post_message_checked(
    uow: UnitOfWork,
    *,
    actor: Actor,
    author: AuthorKind,
    conversation_id: ConversationId,
    data: MessageCreate,
    meta: dict[str, Any],
) -> PostedMessage:
    """Every rule spelled out, under an explicit row lock: retries, resolved conversations, the bot
    writing without owning the conversation, and an agent's reply that takes it over."""
    target = await repository.lock_for_post(uow.session, conversation_id=conversation_id)
    if target is None:
        raise ConversationNotFoundError(f"No conversation with id {conversation_id}.")
    if data.client_message_id is not None:
        existing = await repository.get_message_by_client_id(
            uow.session, conversation_id=conversation_id, client_message_id=data.client_message_id
        )
        if existing is not None:
            return _retried(existing, author=author, actor=actor)
    state = Owner(target.state)
    if state is Owner.RESOLVED:
        raise ConversationResolvedError(
            "This conversation is resolved. Reopen it (POST /api/v1/conversations/"
            f"{conversation_id}/reopen) or start a new one.",
            conversation_id=conversation_id,
        )
    if author is AuthorKind.BOT and state is not Owner.BOT:
        raise NotOwnerError(f"The bot cannot reply: the conversation is '{state.value}'.")
    if author is AuthorKind.AGENT and not data.private and state in (Owner.BOT, Owner.WAITING):
        # An agent's public reply is a takeover; the bot must never answer over a human.
        conversation = await _lock(uow, conversation_id)
        await _transition(
            uow,
            conversation,
            Transition.ASSIGN,
            actor=actor,
            trigger=Trigger.AGENT,
            reason="agent replied",
            assignee=actor.staff_id,
        )
        state = Owner(conversation.state)
    out = await _append(
        uow,
        conversation_id=conversation_id,
        episode=target.episode,
        state=state,
        author=author,
        actor=actor,
        data=data,
        meta=meta,
        follow_up=target.follow_up_email,
    )
    await _follow_up_from_message(uow, state=state, current=target.follow_up_email, message=out, actor=actor)
    return PostedMessage(message=out, created=True)


def _retried(existing: Any, *, author: AuthorKind, actor: Actor) -> PostedMessage:
    """The stored copy of a retried message, but only for its own author: a client id is no key to
    someone else's message (a private note, or the bot's reply)."""
    same_author = existing.author_kind == author.value and (
        author is not AuthorKind.AGENT or existing.author_id == actor.staff_id
    )
    if not same_author:
        raise ClientIdTakenError(
            "This client_message_id is already used in this conversation; use a new one."
        )
    return PostedMessage(message=message_out(existing), created=False)


def _stored(
    uow: UnitOfWork, *, conversation_id: int, state: Owner, message: MessageOut, follow_up: str | None = None
) -> None:
    """After-commit effects of a new message: signals, the event, the bot's turn when it owns it, and the
    e-mail of a person's public reply when the customer asked for a follow-up."""
    observability.MESSAGES.labels(message.author_kind.value).inc()
    _announce(uow, conversation_id=conversation_id, state=state, message=message)
    if message.author_kind is AuthorKind.CUSTOMER and state is Owner.BOT:
        _ask_bot(uow, conversation_id=conversation_id, seq=message.seq)
    if follow_up and message.author_kind is AuthorKind.AGENT and not message.private:
        _mail_follow_up(uow, conversation_id=conversation_id, seq=message.seq)


def _mail_follow_up(uow: UnitOfWork, *, conversation_id: int, seq: int) -> None:
    uow.enqueue(
        FOLLOW_UP_MAIL_JOB,
        {"conversation_id": conversation_id, "seq": seq},
        dedupe_key=f"follow-up-mail:{conversation_id}:{seq}",
    )


def enqueue_dispatch(uow: UnitOfWork) -> None:
    """Ask routing for a round after commit. One pending job per second is enough; a per-second key also
    means a dead-lettered job never blocks the ones after it."""
    uow.enqueue(DISPATCH_JOB, {}, dedupe_key=f"routing-dispatch:{int(uow.clock.now().timestamp())}")


def _ask_bot(uow: UnitOfWork, *, conversation_id: int, seq: int) -> None:
    uow.enqueue(
        BOT_TURN_JOB,
        {"conversation_id": conversation_id, "seq": seq},
        dedupe_key=f"bot-turn:{conversation_id}:{seq}",
    )


def _message_values(
    *,
    conversation_id: int,
    seq: int,
    episode: int,
    author: AuthorKind,
    actor: Actor,
    data: MessageCreate,
    meta: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "seq": seq,
        "episode": episode,
        "author_kind": author.value,
        "author_id": actor.staff_id if author is AuthorKind.AGENT else None,
        "body": data.body,
        "private": data.private,
        "client_message_id": data.client_message_id,
        "meta": meta,
        "created_at": now,
    }


# --- ownership ------------------------------------------------------------------------------------


async def request_human(
    uow: UnitOfWork,
    *,
    actor: Actor,
    conversation_id: ConversationId,
    trigger: Trigger = Trigger.CUSTOMER_REQUEST,
    reason: str | None = None,
    evidence: dict[str, Any] | None = None,
) -> ConversationOut:
    """ "Talk to an agent" works from every state: a resolved conversation is reopened first, and asking
    again while waiting or with a human changes nothing."""
    actor.require_conversation(conversation_id)
    conversation = await _lock(uow, conversation_id)
    if actor.kind is ActorKind.BOT and Owner(conversation.state) is not Owner.BOT:
        # the bot decided while it still owned the conversation; someone else has it (or closed it) now
        raise NotOwnerError(f"The bot cannot hand off: the conversation is '{conversation.state}'.")
    if Owner(conversation.state) is Owner.RESOLVED:
        await _transition(uow, conversation, Transition.REOPEN, actor=actor, trigger=trigger, reason=reason)
    if Owner(conversation.state) is Owner.BOT:
        await _transition(
            uow,
            conversation,
            Transition.REQUEST_HUMAN,
            actor=actor,
            trigger=trigger,
            reason=reason,
            data=evidence,
        )
    return await _out(uow, conversation)


async def assign(
    uow: UnitOfWork,
    *,
    actor: Actor,
    conversation_id: ConversationId,
    staff_id: StaffId | None = None,
    reason: str | None = None,
    transfer: bool = False,
    data: dict[str, Any] | None = None,
) -> ConversationOut:
    """A human takes the conversation: from the queue, over the bot, or as a transfer. Giving it to someone
    else takes a supervisor, or (``transfer``) the person who has it now."""
    caller = actor.require_staff()
    target = staff_id or caller
    if target is None:
        raise InvalidInputError("Say which staff member takes the conversation (staff_id).")
    names = await accounts_service.get_staff_names(uow, {target})
    if target not in names:
        raise InvalidInputError(f"No staff account with id {target}.")
    conversation = await _lock(uow, conversation_id)
    with_colleague = Owner(conversation.state) is Owner.HUMAN and conversation.assignee_id not in (
        None,
        caller,
    )
    if caller is not None and (target != caller or with_colleague):
        # giving a conversation away, or taking one a colleague has: the holder (a transfer) or a supervisor
        holder = transfer and conversation.assignee_id == caller and Owner(conversation.state) is Owner.HUMAN
        if not holder:
            actor.require_staff(Role.SUPERVISOR)
    if Owner(conversation.state) is Owner.HUMAN and conversation.assignee_id == target:
        return await _out(uow, conversation)
    trigger = Trigger.AGENT if target == caller or transfer else Trigger.SUPERVISOR
    await _transition(
        uow,
        conversation,
        Transition.ASSIGN,
        actor=actor,
        trigger=trigger,
        reason=reason,
        data=data,
        assignee=target,
        assignee_name=names[target],
    )
    return await _out(uow, conversation)


async def hand_back(
    uow: UnitOfWork, *, actor: Actor, conversation_id: ConversationId, reason: str | None = None
) -> ConversationOut:
    actor.require_staff()
    conversation = await _lock(uow, conversation_id)
    await _transition(
        uow, conversation, Transition.HAND_BACK, actor=actor, trigger=Trigger.AGENT, reason=reason
    )
    return await _out(uow, conversation)


async def requeue(
    uow: UnitOfWork,
    *,
    actor: Actor,
    conversation_id: ConversationId,
    tier: int,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    notice_key: str = "requeued",
) -> ConversationOut:
    """A person sends the conversation back to a queue: up to Tier 2 or a supervisor, or to another skill.
    The routing domain picks the queue; this records the transition and tells the customer (``notice_key``:
    which notice; the system returning the conversation of an agent who lost their connection says so)."""
    caller = actor.require_staff()
    conversation = await _lock(uow, conversation_id)
    if caller is not None and conversation.assignee_id not in (None, caller):
        actor.require_staff(Role.SUPERVISOR)  # only the person who has it, or a supervisor
    await _transition(
        uow,
        conversation,
        Transition.REQUEUE,
        actor=actor,
        trigger=Trigger.AGENT if actor.is_staff else Trigger.SYSTEM,
        reason=reason,
        data={**(data or {}), "tier": tier},
        notice_key=notice_key,
    )
    return await _out(uow, conversation)


async def close(
    uow: UnitOfWork,
    *,
    actor: Actor,
    conversation_id: ConversationId,
    reason: str | None = None,
    abandoned: bool = False,
) -> ConversationOut:
    actor.require_conversation(conversation_id)
    conversation = await _lock(uow, conversation_id)
    if (
        not (actor.is_customer or actor.is_staff)
        and conversation.follow_up_email
        and Owner(conversation.state) is Owner.WAITING
    ):
        # No sweep, timeout or script closes a case a person still owes an answer by e-mail.
        raise FollowUpPendingError(
            "This customer is waiting for a person's reply by e-mail; a person answers or closes it.",
            conversation_id=conversation.id,
        )
    trigger = Trigger.CUSTOMER if actor.is_customer else Trigger.AGENT if actor.is_staff else Trigger.SYSTEM
    await _transition(
        uow,
        conversation,
        Transition.RESOLVE,
        actor=actor,
        trigger=trigger,
        reason=reason,
        data={"abandoned": abandoned},
    )
    return await _out(uow, conversation)


async def reopen(
    uow: UnitOfWork, *, actor: Actor, conversation_id: ConversationId, reason: str | None = None
) -> ConversationOut:
    """A new episode, owned by the bot again; staff who reopen take it themselves."""
    actor.require_conversation(conversation_id)
    conversation = await _lock(uow, conversation_id)
    trigger = Trigger.CUSTOMER if actor.is_customer else Trigger.AGENT
    await _transition(uow, conversation, Transition.REOPEN, actor=actor, trigger=trigger, reason=reason)
    if actor.is_staff:
        names = await accounts_service.get_staff_names(uow, {actor.staff_id} if actor.staff_id else set())
        await _transition(
            uow,
            conversation,
            Transition.ASSIGN,
            actor=actor,
            trigger=Trigger.AGENT,
            reason="reopened by staff",
            assignee=actor.staff_id,
            assignee_name=names.get(actor.staff_id or 0),
        )
    return await _out(uow, conversation)


async def rate(
    uow: UnitOfWork, *, actor: Actor, conversation_id: ConversationId, data: RatingCreate
) -> OutcomeOut:
    """CSAT (1-5) and NPS (0-10) from the customer. Answering again replaces the earlier answer."""
    if not actor.is_customer:
        raise PermissionDeniedError("Only the customer can rate a conversation.")
    actor.require_conversation(conversation_id)
    if data.is_empty():
        raise InvalidInputError("Give a CSAT score (1-5), an NPS score (0-10) or a comment.")
    conversation = await _lock(uow, conversation_id)
    outcome = await _require_outcome(uow, conversation.id)
    if data.csat is not None:
        outcome.csat = data.csat
    if data.nps is not None:
        outcome.nps = data.nps
    if data.comment:
        outcome.rating_comment = data.comment
    outcome.rated_at = uow.clock.now()
    _log_event(uow, conversation, "rated", actor=actor, data={"csat": data.csat, "nps": data.nps})
    uow.emit(ConversationRated(conversation_id=conversation.id, csat=data.csat, nps=data.nps))
    return OutcomeOut.model_validate(outcome)


async def flag_bot_reply(
    uow: UnitOfWork, *, actor: Actor, conversation_id: ConversationId, seq: int, data: BotFailureIn
) -> EventOut:
    """ "The bot failed here": an agent marks one bot reply as wrong, with the right intent or article.
    Stored as an event with the customer's words it answered, for the learning loop."""
    actor.require_staff()
    conversation = await _require(uow, conversation_id)
    reply = await repository.get_message(uow.session, conversation_id=conversation_id, seq=seq)
    if reply is None or reply.author_kind != AuthorKind.BOT.value:
        raise InvalidInputError(f"Message {seq} of this conversation is not a bot reply.")
    asked = await repository.customer_text_before(uow.session, conversation_id=conversation_id, seq=seq)
    trace: dict[str, Any] = reply.meta.get("trace") or {}
    intent = trace.get("intent")
    article = trace.get("article")
    event = _log_event(
        uow,
        conversation,
        "bot_failed_here",
        actor=actor,
        reason=data.note,
        data={
            "seq": seq,
            "customer_text": asked,
            "bot_intent": intent.get("intent") if isinstance(intent, dict) else None,
            "bot_article": article.get("slug") if isinstance(article, dict) else None,
            "correct_intent": data.correct_intent,
            "correct_article": data.correct_article,
        },
    )
    await uow.session.flush()
    return EventOut.model_validate(event)


async def update_tags(
    uow: UnitOfWork, *, actor: Actor, conversation_id: ConversationId, data: TagsUpdate
) -> ConversationOut:
    staff_id = actor.require_staff()
    conversation = await _lock(uow, conversation_id)
    now = uow.clock.now()
    for tag in data.add:
        await repository.add_tag(
            uow.session,
            dialect=uow.dialect,
            values={
                "conversation_id": conversation.id,
                "tag": tag,
                "created_by": staff_id,
                "created_at": now,
            },
        )
    for tag in data.remove:
        await repository.remove_tag(uow.session, conversation_id=conversation.id, tag=tag)
    if data.add or data.remove:
        _log_event(uow, conversation, "tagged", actor=actor, data={"add": data.add, "remove": data.remove})
    await uow.session.flush()
    return await _out(uow, conversation)


# --- e-mail follow-up -----------------------------------------------------------------------------


class FollowUpSource(StrEnum):
    CUSTOMER = "customer"  # the widget's form or the API
    CHAT = "chat"  # an address the customer wrote in the chat while waiting for a person
    VERIFIED_IDENTITY = "verified_identity"  # the customer left the chat; their verified address


FOLLOW_UP_STATES = (Owner.WAITING, Owner.HUMAN)


async def request_follow_up(
    uow: UnitOfWork,
    *,
    actor: Actor,
    conversation_id: ConversationId,
    email: str,
    source: FollowUpSource = FollowUpSource.CUSTOMER,
) -> ConversationOut:
    """The customer wants a person's answer by e-mail when they are not in the chat. The conversation
    stays open for a person (it is never abandoned), the customer is told so in the chat at once and by
    e-mail after commit, and every public reply of a person while their chat is closed goes there too.
    Asking again with the same address changes nothing; a new address replaces the old one."""
    actor.require_conversation(conversation_id)
    if not (actor.is_customer or actor.kind is ActorKind.SYSTEM):
        raise PermissionDeniedError("Only the customer can say where to reply to them.")
    address = email.strip().lower()
    if find_email_address(address) != address:
        raise InvalidInputError(f"'{email}' is not an e-mail address.")
    conversation = await _lock(uow, conversation_id)
    await _set_follow_up(uow, conversation, address=address, actor=actor, source=source)
    return await _out(uow, conversation)


async def _set_follow_up(
    uow: UnitOfWork, conversation: Conversation, *, address: str, actor: Actor, source: FollowUpSource
) -> bool:
    state = Owner(conversation.state)
    if state not in FOLLOW_UP_STATES:
        raise FollowUpNotPossibleError(
            "An e-mail follow-up is for a conversation waiting for a person or with one; this one is "
            f"'{state.value}'. Ask for a person first (POST /api/v1/conversations/{conversation.id}/handoff).",
            state=state.value,
        )
    if conversation.follow_up_email == address:
        return False
    conversation.follow_up_email = address
    _log_event(
        uow,
        conversation,
        "follow_up_requested",
        actor=actor,
        data={"channel": "email", "source": source.value},
    )
    await uow.session.flush()  # the address is written before the notice takes its seq
    key = "follow_up_departed" if source is FollowUpSource.VERIFIED_IDENTITY else "follow_up"
    message = await _append(
        uow,
        conversation_id=conversation.id,
        episode=conversation.episode,
        state=state,
        author=AuthorKind.SYSTEM,
        actor=Actor.system(),
        data=MessageCreate(body=notice(conversation.locale, key, email=address)),
        meta={"event": "follow_up", "email": address, "source": source.value},
    )
    set_committed_value(conversation, "last_seq", message.seq)
    set_committed_value(conversation, "updated_at", message.created_at)
    _mail_follow_up(uow, conversation_id=conversation.id, seq=message.seq)
    return True


async def _follow_up_from_message(
    uow: UnitOfWork, *, state: Owner, current: str | None, message: MessageOut, actor: Actor
) -> None:
    """A waiting customer who writes an e-mail address ("nobody online? reach me at maya@example.com") has
    left a way to answer them: the same as the follow-up form, confirmed the same way."""
    if message.author_kind is not AuthorKind.CUSTOMER or state is not Owner.WAITING:
        return
    address = find_email_address(message.body)
    if address is None or address == current:
        return
    conversation = await _lock(uow, message.conversation_id)
    if Owner(conversation.state) is Owner.WAITING:
        await _set_follow_up(uow, conversation, address=address, actor=actor, source=FollowUpSource.CHAT)


async def verified_email(uow: UnitOfWork, *, conversation_id: int) -> str | None:
    """The customer's verified e-mail address (signed by the shop, or asserted by staff), if any."""
    conversation = await _require(uow, conversation_id)
    customer = await customers_service.require_customer(uow, customer_id=CustomerId(conversation.customer_id))
    return next((i.value for i in customer.identities if i.verified and i.kind is IdentityKind.EMAIL), None)


async def send_follow_up_mail(
    uows: UnitOfWorkFactory, *, mail: MailSender, conversation_id: int, seq: int
) -> str | None:
    """The job behind ``FOLLOW_UP_MAIL_JOB``: e-mail message ``seq`` (a follow-up confirmation, or a
    person's public reply) to the customer's follow-up address, and log it. A reply is not sent while
    the customer has the chat open (they read it there). Runs after the commit that stored the message;
    safe to retry: an e-mail already logged is not sent again, and one sent but not yet logged goes out
    with the same Message-ID. Returns the Message-ID sent, or None."""
    async with uows(write=False) as uow:
        conversation = await repository.get(uow.session, conversation_id)
        message = await repository.get_message(uow.session, conversation_id=conversation_id, seq=seq)
        if conversation is None or message is None or not conversation.follow_up_email:
            return None
        address = conversation.follow_up_email
        meta = message.meta or {}
        confirmation = message.author_kind == AuthorKind.SYSTEM.value and meta.get("event") == "follow_up"
        reply = message.author_kind == AuthorKind.AGENT.value and not message.private
        if not (confirmation or reply) or (confirmation and meta.get("email") != address):
            return (
                None  # only confirmations and people's public replies go out; a changed address has its own
            )
        sent = await repository.events_of(uow.session, [conversation_id], ["follow_up_emailed"])
        if any((event.data or {}).get("seq") == seq for event in sent):
            return None
        customer = await customers_service.require_customer(
            uow, customer_id=CustomerId(conversation.customer_id)
        )
    if reply:
        listening = await uows.broker.listeners([customer_presence_channel(conversation_id)])
        if listening and listening.get(customer_presence_channel(conversation_id), 0) > 0:
            return None  # the customer is in the chat and reads it there
    thread = follow_up.Thread(
        conversation_id=conversation_id,
        root_id=make_message_id(follow_up.thread_root_key(conversation_id), from_address=mail.from_address),
        sent_ids=tuple(str(e.data["message_id"]) for e in sent if (e.data or {}).get("message_id")),
    )
    message_id = make_message_id(follow_up.message_key(conversation_id, seq), from_address=mail.from_address)
    if reply:
        email = follow_up.reply_email(
            to=address, locale=conversation.locale, thread=thread, message_id=message_id,
            customer_name=customer.display_name, agent_name=meta.get("author_name"), body=message.body,
        )  # fmt: skip
    else:
        email = follow_up.confirmation_email(
            to=address, locale=conversation.locale, thread=thread, message_id=message_id,
            customer_name=customer.display_name,
            departed=meta.get("source") == FollowUpSource.VERIFIED_IDENTITY.value,
        )  # fmt: skip
    await mail.send(email)
    async with uows() as uow:
        row = await _require(uow, conversation_id)
        _log_event(
            uow,
            row,
            "follow_up_emailed",
            actor=Actor.system(),
            data={"seq": seq, "kind": "reply" if reply else "confirmation", "message_id": message_id},
        )
    return message_id


# --- for routing: read in bulk, record what routing did ---------------------------------------------


@dataclass(frozen=True)
class RoutingView:
    id: int
    state: Owner
    episode: int
    locale: str
    channel: str
    customer_id: int
    assignee_id: int | None
    tier: int
    state_changed_at: datetime
    follow_up_email: str | None = None


async def routing_views(uow: UnitOfWork, conversation_ids: list[int]) -> dict[int, RoutingView]:
    rows = await repository.routing_rows(uow.session, conversation_ids=conversation_ids)
    return {row.id: RoutingView(**{**row._asdict(), "state": Owner(row.state)}) for row in rows}


async def lock_for_routing(uow: UnitOfWork, conversation_id: int) -> RoutingView:
    """Lock the conversation row (always before routing's own rows: one lock order, no deadlocks) and
    return what routing needs to decide."""
    row = await _lock(uow, conversation_id)
    return RoutingView(
        id=row.id,
        state=Owner(row.state),
        episode=row.episode,
        locale=row.locale,
        channel=row.channel,
        customer_id=row.customer_id,
        assignee_id=row.assignee_id,
        tier=row.tier,
        state_changed_at=row.state_changed_at,
        follow_up_email=row.follow_up_email,
    )


async def waiting_conversation_ids(uow: UnitOfWork) -> list[int]:
    return await repository.ids_in_state(uow.session, Owner.WAITING.value)


async def held_conversations(uow: UnitOfWork, staff_ids: list[int]) -> list[tuple[int, int]]:
    """(staff id, conversation id) of the open conversations these people hold, oldest first."""
    return await repository.assigned_ids(uow.session, Owner.HUMAN.value, staff_ids)


async def assigned_loads(uow: UnitOfWork) -> dict[int, int]:
    """Open conversations per assigned person (the load routing compares with capacity)."""
    return await repository.assigned_counts(uow.session, Owner.HUMAN.value)


async def latest_escalation(
    uow: UnitOfWork, conversation_id: int, *, include_requeues: bool = True
) -> EventOut | None:
    """The newest event that sent this conversation to the queue: a handoff (request_human), or also a
    person sending it back to a queue (requeue)."""
    types = [Transition.REQUEST_HUMAN.value] + ([Transition.REQUEUE.value] if include_requeues else [])
    row = await repository.latest_event(uow.session, conversation_id=conversation_id, types=types)
    return EventOut.model_validate(row) if row is not None else None


async def episode_messages(
    uow: UnitOfWork, conversation_id: int, *, include_private: bool
) -> list[MessageOut]:
    conversation = await _require(uow, conversation_id)
    rows = await repository.list_messages(
        uow.session,
        conversation_id=conversation_id,
        after_seq=0,
        limit=10_000,
        include_private=include_private,
    )
    return [message_out(row) for row in rows if row.episode == conversation.episode]


async def record_event(
    uow: UnitOfWork,
    *,
    actor: Actor,
    conversation_id: int,
    event_type: str,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """An event of another domain (an offer, an SLA breach, an override) in the conversation's log."""
    conversation = await _require(uow, conversation_id)
    _log_event(uow, conversation, event_type, actor=actor, reason=reason, data=data)


async def response_clocks(uow: UnitOfWork, conversation_ids: list[int]) -> dict[int, ResponseClock]:
    """For each conversation: when a person last replied publicly in this episode, and the oldest customer
    message since then (the one waiting for an answer). SLA timers are computed from these."""
    return {
        row.id: ResponseClock(row.last_agent_at, row.waiting_customer_at)
        for row in await repository.response_clocks(uow.session, conversation_ids=conversation_ids)
    }


@dataclass(frozen=True)
class ResponseClock:
    last_agent_reply_at: datetime | None
    oldest_unanswered_at: datetime | None


# --- internals ------------------------------------------------------------------------------------


async def _require(uow: UnitOfWork, conversation_id: int) -> Conversation:
    conversation = await repository.get(uow.session, conversation_id)
    if conversation is None:
        raise ConversationNotFoundError(f"No conversation with id {conversation_id}.")
    return conversation


async def _lock(uow: UnitOfWork, conversation_id: int) -> Conversation:
    conversation = await repository.lock(uow.session, conversation_id)
    if conversation is None:
        raise ConversationNotFoundError(f"No conversation with id {conversation_id}.")
    return conversation


async def _require_outcome(uow: UnitOfWork, conversation_id: int) -> ConversationOutcome:
    outcome = await repository.get_outcome(uow.session, conversation_id)
    if outcome is None:  # every conversation gets one at start; a missing row is a bug, not user error
        raise RuntimeError(f"conversation {conversation_id} has no outcome row")
    return outcome


def _author_kind(actor: Actor) -> AuthorKind:
    return {
        ActorKind.CUSTOMER: AuthorKind.CUSTOMER,
        ActorKind.STAFF: AuthorKind.AGENT,
        ActorKind.BOT: AuthorKind.BOT,
        ActorKind.SYSTEM: AuthorKind.SYSTEM,
    }[actor.kind]


async def _append(
    uow: UnitOfWork,
    *,
    conversation_id: int,
    episode: int,
    state: Owner,
    author: AuthorKind,
    actor: Actor,
    data: MessageCreate,
    meta: dict[str, Any] | None = None,
    follow_up: str | None = None,
) -> MessageOut:
    """Take the next ``seq`` and insert (the caller holds the row lock); effects fire after commit."""
    now = uow.clock.now()
    seq = await repository.advance_seq(uow.session, conversation_id=conversation_id, now=now)
    values = _message_values(
        conversation_id=conversation_id,
        seq=seq,
        episode=episode,
        author=author,
        actor=actor,
        data=data,
        meta=meta or {},
        now=now,
    )
    message_id = await repository.insert_message(uow.session, values)
    out = MessageOut(id=message_id, author_name=values["meta"].get("author_name"), **values)
    _stored(uow, conversation_id=conversation_id, state=state, message=out, follow_up=follow_up)
    return out


def _announce(uow: UnitOfWork, *, conversation_id: int, state: Owner, message: MessageOut) -> None:
    uow.publish(
        conversation_channel(conversation_id), {"kind": "message", "message": message.model_dump(mode="json")}
    )
    uow.publish(
        INBOX_CHANNEL,
        {
            "kind": "conversation",
            "conversation_id": conversation_id,
            "state": state.value,
            "last_seq": message.seq,
        },
    )
    uow.emit(
        MessagePosted(
            conversation_id=conversation_id,
            message_id=message.id,
            seq=message.seq,
            author_kind=message.author_kind.value,
            private=message.private,
        )
    )


async def _transition(
    uow: UnitOfWork,
    conversation: Conversation,
    transition: Transition,
    *,
    actor: Actor,
    trigger: Trigger,
    reason: str | None,
    data: dict[str, Any] | None = None,
    assignee: StaffId | None = None,
    assignee_name: str | None = None,
    notice_key: str | None = None,
) -> None:
    """Apply one checked transition: state, tier, assignee, outcome, event log, and a notice the
    customer can read, all in the caller's transaction."""
    before = Owner(conversation.state)
    after = next_owner(before, transition)
    now = uow.clock.now()
    outcome = await _require_outcome(uow, conversation.id)
    details = dict(data or {})
    if before is Owner.WAITING:
        waited = max(0.0, (now - conversation.state_changed_at).total_seconds())
        outcome.waited_seconds = round((outcome.waited_seconds or 0.0) + waited, 3)
        details["waited_seconds"] = round(waited, 3)
    conversation.state = after.value
    conversation.state_changed_at = now
    if transition is Transition.REOPEN:
        conversation.episode += 1
        conversation.resolved_at = None
        conversation.assignee_id = None
        conversation.tier = 0
        outcome.reopen_count += 1
        outcome.resolved_at = None
        outcome.resolved_by = None
        outcome.resolved_by_staff_id = None
    elif transition is Transition.REQUEST_HUMAN:
        conversation.tier = max(conversation.tier, 1)
        if not outcome.escalated:
            outcome.escalated = True
            outcome.escalated_at = now
            outcome.escalation_trigger = trigger.value
            outcome.escalation_reason = reason
    elif transition is Transition.ASSIGN:
        conversation.assignee_id = assignee
        conversation.tier = max(conversation.tier, 1)
        details["assignee_id"] = assignee
        outcome.human_involved = True
        if outcome.first_human_at is None:
            outcome.first_human_at = now
            outcome.first_human_id = assignee
    elif transition is Transition.HAND_BACK:
        conversation.assignee_id = None
        conversation.tier = 0
    elif transition is Transition.REQUEUE:
        conversation.assignee_id = None
        conversation.tier = max(conversation.tier, int(details.get("tier") or 1))
    elif transition is Transition.RESOLVE:
        conversation.resolved_at = now
        # Leaving the queue is abandonment whoever records it (the customer, or a timeout of the system).
        abandoned = bool(details.get("abandoned")) or (before is Owner.WAITING and not actor.is_staff)
        details["abandoned"] = abandoned
        outcome.resolved_at = now
        human = outcome.human_involved or before is Owner.HUMAN or actor.is_staff
        outcome.resolved_by = "abandoned" if abandoned else "human" if human else "bot"
        outcome.resolved_by_staff_id = actor.staff_id
    _log_event(
        uow,
        conversation,
        transition.value,
        actor=actor,
        trigger=trigger,
        reason=reason,
        from_state=before,
        to_state=after,
        data=details,
    )
    notice_key = notice_key or {Transition.REOPEN: "reopened", Transition.REQUEUE: "requeued"}.get(
        transition, after.value
    )
    text = notice(conversation.locale, notice_key, agent=assignee_name or (actor.name or "An agent"))
    system_meta = {
        "event": "state_changed",
        "from": before.value,
        "to": after.value,
        "transition": transition.value,
        "trigger": trigger.value,
        "assignee_id": conversation.assignee_id,
    }
    await uow.session.flush()  # the state change is written before the notice takes its seq
    message = await _append(
        uow,
        conversation_id=conversation.id,
        episode=conversation.episode,
        state=after,
        author=AuthorKind.SYSTEM,
        actor=Actor.system(),
        data=MessageCreate(body=text),
        meta=system_meta,
    )
    # keep the loaded object in step with the columns the Core UPDATE just wrote
    set_committed_value(conversation, "last_seq", message.seq)
    set_committed_value(conversation, "updated_at", message.created_at)
    if after is Owner.WAITING:
        # The packet, the queue entry and the customer's queue position, after commit and retried.
        uow.enqueue(
            HANDOFF_JOB,
            {"conversation_id": conversation.id, "seq": message.seq},
            dedupe_key=f"handoff:{conversation.id}:{message.seq}",
        )
    elif before in (Owner.WAITING, Owner.HUMAN):
        enqueue_dispatch(uow)
    observability.TRANSITIONS.labels(after.value).inc()
    uow.emit(
        OwnershipChanged(
            conversation_id=conversation.id,
            from_state=before.value,
            to_state=after.value,
            transition=transition.value,
            trigger=trigger.value,
            reason=reason,
        )
    )


def _log_event(
    uow: UnitOfWork,
    conversation: Conversation,
    event_type: str,
    *,
    actor: Actor,
    trigger: Trigger | None = None,
    reason: str | None = None,
    from_state: Owner | None = None,
    to_state: Owner | None = None,
    data: dict[str, Any] | None = None,
) -> ConversationEvent:
    event = ConversationEvent(
        conversation_id=conversation.id,
        type=event_type,
        from_state=from_state.value if from_state else None,
        to_state=to_state.value if to_state else None,
        trigger=trigger.value if trigger else None,
        reason=reason,
        actor_kind=actor.kind.value,
        actor_id=actor.staff_id,
        data=data or {},
        created_at=uow.clock.now(),
    )
    uow.session.add(event)
    return event


def message_out(message: Any) -> MessageOut:
    """From a ``Message`` or a Core row of the messages table."""
    out = MessageOut.model_validate(message)
    out.author_name = message.meta.get("author_name") if message.meta else None
    return out


def _to_out(conversation: Conversation, tags: list[str]) -> ConversationOut:
    out = ConversationOut.model_validate(conversation)
    out.tags = tags
    out.allowed_transitions = allowed_transitions(Owner(conversation.state))
    return out


async def _out(uow: UnitOfWork, conversation: Conversation) -> ConversationOut:
    tags = await repository.list_tags(uow.session, [conversation.id])
    return _to_out(conversation, tags.get(conversation.id, []))


async def conversation_ids_in(uow: UnitOfWork, states: list[Owner]) -> list[int]:
    ids: list[int] = []
    for state in states:
        ids.extend(await repository.ids_in_state(uow.session, state.value))
    return ids


async def recent_handle_seconds(uow: UnitOfWork, *, since: datetime, limit: int = 500) -> list[float]:
    """Seconds from the first person joining to resolution, for conversations people resolved since
    ``since`` (newest first, at most ``limit``)."""
    rows = await repository.handled_spans(uow.session, since=since, limit=limit)
    return [max(0.0, (resolved - joined).total_seconds()) for joined, resolved in rows]


async def escalations_by_locale(uow: UnitOfWork, *, trigger: str, since: datetime) -> dict[str, int]:
    """Handoffs with this trigger since ``since``, per language of the conversation."""
    counts: dict[str, int] = {}
    for locale, count in await repository.escalation_counts(uow.session, trigger=trigger, since=since):
        language = locale.split("-")[0].lower()
        counts[language] = counts.get(language, 0) + count
    return counts


async def recent_messages(
    uow: UnitOfWork, *, conversation_ids: list[int], per_conversation: int = 6
) -> dict[int, list[Any]]:
    """The last public messages of each conversation (seq, author_kind, body, created_at), oldest first."""
    found: dict[int, list[Any]] = {}
    for row in await repository.recent_messages(
        uow.session, conversation_ids=conversation_ids, per_conversation=per_conversation
    ):
        found.setdefault(row.conversation_id, []).append(row)
    return found


@dataclass(frozen=True)
class FeedbackEvent:
    id: int
    conversation_id: int
    customer_id: int
    locale: str
    type: str
    actor_id: int | None
    data: dict[str, Any]


async def feedback_events(
    uow: UnitOfWork, *, types: list[str], after_id: int, limit: int = 5_000
) -> list[FeedbackEvent]:
    """Agents' corrections ("bot failed here" and the like) after ``after_id``, oldest first: the
    learning loop's input."""
    rows = await repository.events_after(uow.session, types=types, after_id=after_id, limit=limit)
    return [
        FeedbackEvent(e.id, e.conversation_id, customer_id, locale, e.type, e.actor_id, dict(e.data or {}))
        for e, customer_id, locale in rows
    ]


async def conversation_parties(uow: UnitOfWork, conversation_ids: list[int]) -> dict[int, tuple[int, str]]:
    """conversation id → (customer id, locale): whose words they are, for consent."""
    return await repository.parties(uow.session, conversation_ids)


async def customer_words(uow: UnitOfWork, conversation_ids: list[int], *, first: int = 3) -> dict[int, str]:
    """The customer's first ``first`` messages of each conversation, joined: what they came for."""
    said: dict[int, list[str]] = {}
    for line in await repository.customer_lines(uow.session, conversation_ids):
        said.setdefault(int(line.conversation_id), []).append(str(line.body))
    return {cid: " ".join(lines[:first])[:2000] for cid, lines in said.items()}


@dataclass(frozen=True)
class EscalatedConversation:
    conversation_id: int
    escalated_at: datetime
    trigger: str | None
    reason: str | None
    tags: list[str]
    question: str  # what the customer came for
    csat: int | None


async def escalations_between(
    uow: UnitOfWork, *, since: datetime, until: datetime, limit: int = 50_000
) -> list[EscalatedConversation]:
    """Conversations handed to a person in [since, until), with why, their tags and the customer's words."""
    rows = await repository.escalations_between(uow.session, since=since, until=until, limit=limit)
    ids = [int(row.conversation_id) for row in rows]
    tags: dict[int, list[str]] = {}
    for start in range(0, len(ids), 500):
        tags.update(await repository.list_tags(uow.session, ids[start : start + 500]))
    words = await customer_words(uow, ids, first=1)
    return [
        EscalatedConversation(
            int(row.conversation_id), row.escalated_at, row.escalation_trigger, row.escalation_reason,
            tags.get(int(row.conversation_id), []), words.get(int(row.conversation_id), ""), row.csat,
        )
        for row in rows
    ]  # fmt: skip


@dataclass(frozen=True)
class ArticleAnswer:
    conversation_id: int
    slug: str
    answered_at: datetime
    resolved_by: str | None  # bot | human | abandoned | None (still open)
    escalated_after: bool  # a person took over after this answer


async def article_answers(
    uow: UnitOfWork, *, since: datetime, until: datetime, limit: int = 100_000
) -> list[ArticleAnswer]:
    """The bot's answers that cited a knowledge article in [since, until), with how each conversation
    ended: the raw material of per-article success."""
    replies = await repository.bot_replies_between(uow.session, since=since, until=until, limit=limit)
    cited = []
    for reply in replies:
        article = ((reply.meta or {}).get("trace") or {}).get("article")
        if isinstance(article, dict) and isinstance(article.get("slug"), str):
            cited.append((int(reply.conversation_id), article["slug"], reply.created_at))
    outcomes = {
        o.conversation_id: o for o in await repository.outcome_rows(uow.session, [c for c, _, _ in cited])
    }
    found = []
    for conversation_id, slug, at in cited:
        outcome = outcomes.get(conversation_id)
        escalated_at = outcome.escalated_at if outcome is not None else None
        found.append(
            ArticleAnswer(
                conversation_id, slug, at, outcome.resolved_by if outcome is not None else None,
                escalated_at is not None and escalated_at >= at,
            )
        )  # fmt: skip
    return found


async def flagged_articles(uow: UnitOfWork, *, since: datetime, until: datetime) -> dict[str, int]:
    """How often agents marked "bot failed here" on an answer that cited each article."""
    events = await repository.events_between(
        uow.session, event_type="bot_failed_here", since=since, until=until, limit=100_000
    )
    counts: dict[str, int] = {}
    for event in events:
        slug = (event.data or {}).get("bot_article")
        if isinstance(slug, str):
            counts[slug] = counts.get(slug, 0) + 1
    return counts


NOT_UNDERSTOOD = frozenset({"not_understood", "unhelpful"})  # bot outcomes that answered nothing


@dataclass(frozen=True)
class OpenQuestion:
    conversation_id: int
    asked_at: datetime
    text: str
    reason: str  # unanswered (the bot did not understand or did not help) | escalated (a person took over)
    intent: str | None
    out_of_scope: bool


async def open_questions(
    uow: UnitOfWork, *, since: datetime, until: datetime, limit: int = 20_000
) -> list[OpenQuestion]:
    """What customers asked that the bot could not answer, and the first question of each conversation
    that went to a person, in [since, until): the raw material of knowledge gaps."""
    replies = await repository.bot_replies_between(uow.session, since=since, until=until, limit=limit)
    handoffs = await repository.events_between(
        uow.session, event_type=Transition.REQUEST_HUMAN.value, since=since, until=until, limit=limit
    )
    lines = await repository.customer_lines(
        uow.session, [r.conversation_id for r in replies] + [e.conversation_id for e in handoffs]
    )
    by_seq = {(line.conversation_id, line.seq): line for line in lines}
    first: dict[int, Any] = {}
    for line in lines:
        first.setdefault(line.conversation_id, line)
    found: list[OpenQuestion] = []
    for reply in replies:
        trace = (reply.meta or {}).get("trace") or {}
        if trace.get("outcome") not in NOT_UNDERSTOOD:
            continue
        asked = by_seq.get((reply.conversation_id, (reply.meta or {}).get("in_reply_to")))
        if asked is not None:
            intent, out = _intent_of(trace)
            found.append(
                OpenQuestion(reply.conversation_id, asked.created_at, asked.body, "unanswered", intent, out)
            )
    for event in handoffs:
        goal = first.get(event.conversation_id)
        if goal is not None:
            intent, out = _intent_of((event.data or {}).get("trace") or {})
            found.append(
                OpenQuestion(event.conversation_id, goal.created_at, goal.body, "escalated", intent, out)
            )
    return found


def _intent_of(trace: dict[str, Any]) -> tuple[str | None, bool]:
    intent = trace.get("intent")
    if not isinstance(intent, dict):
        return None, True
    return intent.get("intent"), bool(intent.get("out_of_scope")) or intent.get("intent") is None


async def past_agent_replies(
    uow: UnitOfWork, *, after_message_id: int, limit: int
) -> list[tuple[int, int, str, str]]:
    """(message id, conversation id, customer message, the agent's public reply to it) newer than
    ``after_message_id``, oldest first: what agent assist searches for replies to similar messages."""
    return await repository.reply_pairs(uow.session, after_message_id=after_message_id, limit=limit)


# --- what analytics reads ------------------------------------------------------------------------------

ANALYTICS_EVENTS = (Transition.REQUEST_HUMAN.value, Transition.RESOLVE.value, "intent_corrected", "tagged")


@dataclass(frozen=True)
class ConversationFacts:
    """One conversation as analytics reads it: the outcome row, the events that time it, the bot's
    traces (intent, signals), a person's first public reply, and the same customer's conversations
    around it (repeat contacts)."""

    conversation_id: int
    customer_id: int
    channel: str
    locale: str
    started_at: datetime
    outcome: OutcomeOut
    events: list[tuple[str, str | None, dict[str, Any], datetime]]  # (type, from state, data, at)
    bot_traces: list[tuple[datetime, dict[str, Any]]]  # (at, trace) of each bot reply, in order
    first_agent_reply_at: datetime | None
    next_started_at: datetime | None
    previous_id: int | None


async def changed_since(uow: UnitOfWork, *, after_event_id: int, limit: int) -> tuple[list[int], int]:
    """The conversations that logged one of the next ``limit`` events after ``after_event_id``, and the
    last event id read (``after_event_id`` when there is none)."""
    found = await repository.event_positions_after(uow.session, after_id=after_event_id, limit=limit)
    if not found:
        return [], after_event_id
    return sorted({conversation_id for _, conversation_id in found}), found[-1][0]


async def analytics_facts(uow: UnitOfWork, conversation_ids: list[int]) -> list[ConversationFacts]:
    facts: list[ConversationFacts] = []
    for start in range(0, len(conversation_ids), 500):
        ids = conversation_ids[start : start + 500]
        heads = await repository.conversation_heads(uow.session, ids)
        outcomes = {o.conversation_id: o for o in await repository.outcome_rows(uow.session, ids)}
        events: dict[int, list[tuple[str, str | None, dict[str, Any], datetime]]] = {}
        for row in await repository.events_of(uow.session, ids, ANALYTICS_EVENTS):
            events.setdefault(row.conversation_id, []).append(
                (row.type, row.from_state, row.data or {}, row.created_at)
            )
        traces: dict[int, list[tuple[datetime, dict[str, Any]]]] = {}
        for row in await repository.bot_reply_traces(uow.session, ids):
            trace = (row.meta or {}).get("trace")
            if isinstance(trace, dict):
                traces.setdefault(row.conversation_id, []).append((row.created_at, trace))
        replies = await repository.first_agent_replies(uow.session, ids)
        for head in heads:
            outcome = outcomes.get(head.id)
            if outcome is None:
                continue
            facts.append(
                ConversationFacts(
                    conversation_id=head.id,
                    customer_id=head.customer_id,
                    channel=head.channel,
                    locale=head.locale,
                    started_at=head.created_at,
                    outcome=OutcomeOut.model_validate(outcome),
                    events=events.get(head.id, []),
                    bot_traces=traces.get(head.id, []),
                    first_agent_reply_at=replies.get(head.id),
                    next_started_at=head.next_started_at,
                    previous_id=head.previous_id,
                )
            )
    return facts


async def customer_messages_since(uow: UnitOfWork, *, since: datetime, limit: int = 20_000) -> list[str]:
    """What customers wrote since ``since``, newest first, at most ``limit``: the deployment's own
    unlabelled history, from which the bot estimates how much of its traffic is out of scope."""
    return await repository.customer_message_bodies(uow.session, since=since, limit=limit)
