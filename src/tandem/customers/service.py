"""One customer across channels.

Identity is the security boundary of a support desk: whoever is linked to a customer record is shown that
customer's history by the agents. So only *verified* identities (asserted by staff, a server-side API
integration, or a widget whose HMAC the server checked) merge conversations onto an existing record. An
unverified widget visitor gets a record of their own, kept stable across visits by a widget token.
"""

from __future__ import annotations

import hashlib
import hmac

import structlog

from tandem.accounts.actors import Actor
from tandem.core.errors import NotFoundError, PermissionDeniedError
from tandem.core.ids import CustomerId, new_token
from tandem.core.uow import UnitOfWork
from tandem.customers import repository
from tandem.customers.crm import CrmConnector, CrmLookup, CustomerProfile
from tandem.customers.models import Customer, CustomerIdentity
from tandem.customers.schemas import CustomerOut, IdentityClaims, IdentityKind, IdentityOut

log = structlog.get_logger(__name__)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def verify_identity_signature(*, secret: str | None, identifier: str, signature: str | None) -> bool:
    """Widget identity check: HMAC-SHA256(secret, identifier), compared in constant time."""
    if not secret or not signature:
        return False
    expected = hmac.new(secret.encode(), identifier.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


async def resolve_customer(
    uow: UnitOfWork,
    *,
    claims: IdentityClaims,
    verified_kinds: set[IdentityKind],
    locale: str | None = None,
    widget_token: str | None = None,
) -> tuple[CustomerId, str | None]:
    """The customer this conversation belongs to, and a new widget token when one was minted.

    Only the identities in ``verified_kinds`` were proven; only they may find an existing customer or be
    stored as verified. The other claims are kept as unverified hints.
    """
    session = uow.session
    pairs = [(kind.value, value, kind in verified_kinds) for kind, value in claims.normalised()]
    proven = [(kind, value) for kind, value, verified in pairs if verified]
    customer: Customer | None = None
    if proven:
        matches = await repository.find_verified(session, proven)
        if matches:
            customer = await repository.get_customer(session, matches[0].customer_id)
    if customer is None and widget_token:
        customer = await repository.get_by_widget_token(session, _hash(widget_token))
    minted: str | None = None
    now = uow.clock.now()
    if customer is None:
        minted = new_token()
        customer = Customer(
            display_name=claims.name, locale=locale, widget_token_hash=_hash(minted), created_at=now
        )
        session.add(customer)
        await session.flush()
    elif claims.name and not customer.display_name:
        customer.display_name = claims.name
    for kind, value, verified in pairs:
        if not await repository.identity_exists(session, customer_id=customer.id, kind=kind, value=value):
            taken = verified and bool(await repository.find_verified(session, [(kind, value)]))
            session.add(
                CustomerIdentity(
                    customer_id=customer.id,
                    kind=kind,
                    value=value,
                    verified=verified and not taken,
                    created_at=now,
                )
            )
    await session.flush()
    return CustomerId(customer.id), minted


async def display_names(uow: UnitOfWork, customer_ids: list[int]) -> dict[int, str | None]:
    """Names for a list of conversations, in one query."""
    return await repository.display_names(uow.session, sorted(set(customer_ids)))


async def training_consents(uow: UnitOfWork, customer_ids: list[int], *, default: bool) -> dict[int, bool]:
    """Whether each customer's words may train the bot: what they said, else the deployment's default."""
    said = await repository.training_consents(uow.session, sorted(set(customer_ids)))
    return {cid: default if said.get(cid) is None else bool(said[cid]) for cid in customer_ids}


async def require_customer(uow: UnitOfWork, *, customer_id: CustomerId) -> CustomerOut:
    customer = await repository.get_customer(uow.session, customer_id)
    if customer is None:
        raise NotFoundError(f"No customer with id {customer_id}.")
    identities = await repository.list_identities(uow.session, customer.id)
    out = CustomerOut.model_validate(customer)
    out.identities = [IdentityOut.model_validate(identity) for identity in identities]
    return out


async def access_customer(uow: UnitOfWork, *, actor: Actor, customer_id: CustomerId) -> CustomerOut:
    """Staff read any customer; a customer only their own record."""
    if not actor.is_staff and actor.customer_id != customer_id:
        raise PermissionDeniedError("Customer records are for staff only.")
    return await require_customer(uow, customer_id=customer_id)


async def find_crm_profile(crm: CrmConnector | None, customer: CustomerOut) -> CustomerProfile | None:
    """The CRM's profile of a customer, looked up by *verified* identities only: an unverified e-mail must
    not show a stranger's orders to an agent or change how the bot treats them. A CRM outage is logged
    and reads as "unknown", never as an error for the caller."""
    if crm is None:
        return None
    verified = {identity.kind.value: identity.value for identity in customer.identities if identity.verified}
    if not verified:
        return None
    try:
        return await crm.find_profile(
            CrmLookup(
                email=verified.get("email"), phone=verified.get("phone"), external_id=verified.get("external")
            )
        )
    except Exception as exc:
        log.warning("crm_lookup_failed", error=type(exc).__name__)
        return None
