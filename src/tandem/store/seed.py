"""Fills the demo store with fictional customers and orders.

Everything is derived from ``rng_seed`` and ``today``: the same inputs give the same store, so screenshots,
docs and tests can name accounts and orders. All contact details use reserved example domains and the
fictional +1-555-01xx and +44 7700 900xxx phone ranges.
"""

from __future__ import annotations

import json
import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.store import repository
from tandem.store.models import StoreAccount, StoreOrder, StoreOrderLine, StoreProduct, StorePromoCode

CENT = Decimal("0.01")

# country -> (currency, cities with a postcode pattern, name pairs)
_COUNTRIES: dict[str, tuple[str, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]] = {
    "US": (
        "USD",
        (("Portland", "972##"), ("Austin", "787##"), ("Columbus", "432##")),
        (
            ("Jordan", "Ellis"),
            ("Priya", "Raman"),
            ("Marcus", "Bell"),
            ("Hannah", "Kowalczyk"),
            ("Diego", "Alvarez"),
            ("Grace", "Whitfield"),
            ("Samuel", "Osei"),
            ("Lily", "Tran"),
            ("Nadia", "Haddad"),
            ("Ethan", "Brooks"),
        ),
    ),
    "CA": (
        "USD",
        (("Halifax", "B3H #A#"), ("Winnipeg", "R3C #B#")),
        (("Chloé", "Tremblay"), ("Owen", "MacLeod"), ("Aisha", "Qureshi")),
    ),
    "GB": (
        "EUR",
        (("Leeds", "LS# #AB"), ("Bristol", "BS# #DE"), ("Glasgow", "G# #FG")),
        (
            ("Oliver", "Pennington"),
            ("Amara", "Nwosu"),
            ("Freya", "Galbraith"),
            ("Rhys", "Llewellyn"),
            ("Imogen", "Hartley"),
            ("Callum", "Fraser"),
            ("Priyanka", "Sharma"),
        ),
    ),
    "IE": ("EUR", (("Galway", "H91 ###"), ("Cork", "T12 ###")), (("Niamh", "Brennan"), ("Cian", "Doherty"))),
    "SE": (
        "EUR",
        (("Uppsala", "75# ##"), ("Malmö", "21# ##")),
        (("Astrid", "Holmberg"), ("Elias", "Sundqvist"), ("Saga", "Berglund")),
    ),
    "DE": (
        "EUR",
        (("Leipzig", "041##"), ("Freiburg", "791##")),
        (
            ("Jonas", "Becker"),
            ("Lena", "Hoffmann"),
            ("Emre", "Yilmaz"),
            ("Mia", "Schröder"),
            ("Felix", "Wagner"),
        ),
    ),
    "FR": (
        "EUR",
        (("Lyon", "6900#"), ("Nantes", "4400#")),
        (("Camille", "Girard"), ("Théo", "Moreau"), ("Inès", "Benali"), ("Margaux", "Lefèvre")),
    ),
    "ES": (
        "EUR",
        (("Valencia", "460##"), ("Bilbao", "480##")),
        (("Javier", "Ortega"), ("Carmen", "Ruiz"), ("Pablo", "Navarro"), ("Irene", "Castillo")),
    ),
    "IT": ("EUR", (("Bologna", "401##"), ("Torino", "101##")), (("Giulia", "Conti"), ("Matteo", "Ricci"))),
    "NL": (
        "EUR",
        (("Utrecht", "35## KL"), ("Groningen", "97## MN")),
        (("Sanne", "de Vries"), ("Daan", "Visser")),
    ),
    "PL": (
        "EUR",
        (("Kraków", "30-###"), ("Gdańsk", "80-###")),
        (("Zofia", "Nowak"), ("Kacper", "Wiśniewski")),
    ),
    "PT": ("EUR", (("Porto", "4000-###"),), (("Beatriz", "Sousa"), ("Tiago", "Ferreira"))),
    "FI": ("EUR", (("Tampere", "331##"),), (("Aino", "Virtanen"), ("Eero", "Laine"))),
    "JP": ("USD", (("Osaka", "530-####"),), (("Yuki", "Tanaka"), ("Haruto", "Sato"))),
    "IN": ("USD", (("Pune", "4110##"),), (("Ananya", "Iyer"), ("Rohan", "Mehta"))),
    "NG": ("USD", (("Lagos", "1012##"),), (("Chiamaka", "Eze"), ("Tunde", "Adeyemi"))),
    "KE": ("USD", (("Nairobi", "00###"),), (("Wanjiru", "Kamau"),)),
    "BR": ("USD", (("Curitiba", "80###-###"),), (("Larissa", "Carvalho"), ("Thiago", "Barbosa"))),
}
_STREETS = (
    "Lantern Row",
    "Weaver's Lane",
    "Spindle Street",
    "Bobbin Court",
    "Shuttle Road",
    "Thimble Way",
    "Selvedge Place",
    "Warp Avenue",
    "Heddle Close",
    "Indigo Terrace",
    "Flax Mews",
    "Carding Hill",
)
_CARRIERS: dict[str, tuple[str, ...]] = {
    "USD": ("UPS", "FedEx", "USPS"),
    "EUR": ("DHL", "DPD", "PostNord", "GLS"),
}
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
_MEMBERSHIP_WEIGHTS = (("guest", 25), ("bronze", 30), ("silver", 25), ("gold", 20))


@dataclass(frozen=True)
class SeedReport:
    accounts: int = 0
    products: int = 0
    orders: int = 0
    order_lines: int = 0
    promo_codes: int = 0
    skipped: bool = False  # True when the store already had accounts and nothing was written


@dataclass(frozen=True)
class _DemoOrder:
    number: str
    status: str
    placed_days_ago: int
    delivered_days_ago: int | None
    skus: tuple[tuple[str, int], ...]


# The accounts and orders that the README, the demo script and tests name. Keep them stable.
_DEMO_ACCOUNTS: tuple[tuple[dict[str, Any], tuple[_DemoOrder, ...]], ...] = (
    (
        {
            "account_code": "LL-100001",
            "full_name": "Maya Lindqvist",
            "username": "mlindqvist1",
            "email": "maya@example.com",
            "phone": "+44 7700 900001",
            "membership": "gold",
            "premium": True,
            "since_days_ago": 1460,
            "street": "14 Lantern Row",
            "city": "Edinburgh",
            "postcode": "EH3 9ZZ",
            "country": "GB",
            "store_credit": Decimal("12.50"),
            "currency": "EUR",
        },
        (
            _DemoOrder("ORD-10001", "shipped", 2, None, (("KNT-2003", 1), ("ACC-7003", 1))),
            _DemoOrder("ORD-10002", "delivered", 24, 20, (("DNM-3003", 1), ("TOP-1005", 2))),
            _DemoOrder("ORD-10003", "delivered", 125, 120, (("OUT-4002", 1),)),
        ),
    ),
    (
        {
            "account_code": "LL-100002",
            "full_name": "Tom Okafor",
            "username": "tokafor1",
            "email": "tom@example.com",
            "phone": "+1-555-0101",
            "membership": "guest",
            "premium": False,
            "since_days_ago": 1,
            "street": "220 Spindle Street",
            "city": "Chicago",
            "postcode": "60607",
            "country": "US",
            "store_credit": Decimal("0.00"),
            "currency": "USD",
        },
        (_DemoOrder("ORD-10004", "placed", 0, None, (("SHO-6004", 1), ("TOP-1001", 3))),),
    ),
    (
        {
            "account_code": "LL-100003",
            "full_name": "Lucía Fernández",
            "username": "lfernandez1",
            "email": "lucia@example.net",
            "phone": "+44 7700 900003",
            "membership": "silver",
            "premium": False,
            "since_days_ago": 700,
            "street": "Calle del Telar 8",
            "city": "Sevilla",
            "postcode": "41003",
            "country": "ES",
            "store_credit": Decimal("0.00"),
            "currency": "EUR",
        },
        (_DemoOrder("ORD-10005", "delivered", 9, 5, (("DRS-5001", 1), ("SHO-6001", 1))),),
    ),
)


def load_catalogue() -> dict[str, Any]:
    """The packaged products and promo codes (``store/data/catalogue.json``)."""
    text = resources.files("tandem.store").joinpath("data/catalogue.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


async def seed_demo_store(session: AsyncSession, *, today: date, rng_seed: int = 7) -> SeedReport:
    """Create the demo store unless it already has accounts. Flushes; the caller commits."""
    if await repository.count_accounts(session) > 0:
        return SeedReport(skipped=True)
    rng = random.Random(rng_seed)
    catalogue = load_catalogue()
    products = [_product(p) for p in catalogue["products"]]
    promos = [_promo(p, today=today) for p in catalogue["promo_codes"]]
    session.add_all(products)
    session.add_all(promos)
    by_sku = {p.sku: p for p in products}

    accounts: list[StoreAccount] = []
    orders: list[StoreOrder] = []
    for spec, demo_orders in _DEMO_ACCOUNTS:
        account = _demo_account(spec, today=today)
        accounts.append(account)
        for demo in demo_orders:
            orders.append(
                _demo_order(
                    demo, account=account, currency=spec["currency"], by_sku=by_sku, today=today, rng=rng
                )
            )

    generated = _generate_accounts(rng, today=today, taken_phones={a.phone for a in accounts if a.phone})
    accounts.extend(account for account, _currency in generated)
    used_numbers = {o.number for o in orders}
    in_stock = [p for p in products if p.stock > 0]
    for _ in range(195):
        account, currency = generated[rng.randrange(len(generated))]
        orders.append(
            _random_order(
                rng,
                account=account,
                currency=currency,
                products=in_stock,
                today=today,
                used_numbers=used_numbers,
            )
        )

    session.add_all(accounts)
    session.add_all(orders)
    await session.flush()
    return SeedReport(
        accounts=len(accounts),
        products=len(products),
        orders=len(orders),
        order_lines=sum(len(o.lines) for o in orders),
        promo_codes=len(promos),
    )


def _product(raw: dict[str, Any]) -> StoreProduct:
    return StoreProduct(
        sku=raw["sku"],
        name=raw["name"],
        category=raw["category"],
        colour=raw["colour"],
        size_range=raw["size_range"],
        price=Decimal(raw["price"]),
        stock=int(raw["stock"]),
    )


def _promo(raw: dict[str, Any], *, today: date) -> StorePromoCode:
    return StorePromoCode(
        code=raw["code"],
        percent_off=int(raw["percent_off"]),
        valid_until=today + timedelta(days=int(raw["valid_days"])),
        min_membership=raw["min_membership"],
        description=raw["description"],
    )


def digits_only(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _ascii(value: str) -> str:
    folded = unicodedata.normalize("NFKD", value.replace("\u0142", "l"))  # NFKD keeps "ł" whole
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum()).lower()


def _demo_account(spec: dict[str, Any], *, today: date) -> StoreAccount:
    return StoreAccount(
        account_code=spec["account_code"],
        full_name=spec["full_name"],
        username=spec["username"],
        email=spec["email"],
        phone=spec["phone"],
        phone_digits=digits_only(spec["phone"]),
        membership=spec["membership"],
        premium_subscription=spec["premium"],
        premium_renews_on=today + timedelta(days=11) if spec["premium"] else None,
        customer_since=today - timedelta(days=spec["since_days_ago"]),
        street=spec["street"],
        city=spec["city"],
        postcode=spec["postcode"],
        country=spec["country"],
        store_credit=spec["store_credit"],
    )


def _demo_order(
    demo: _DemoOrder,
    *,
    account: StoreAccount,
    currency: str,
    by_sku: dict[str, StoreProduct],
    today: date,
    rng: random.Random,
) -> StoreOrder:
    lines = [
        StoreOrderLine(sku=sku, name=by_sku[sku].name, quantity=qty, unit_price=by_sku[sku].price)
        for sku, qty in demo.skus
    ]
    order = _order(
        number=demo.number,
        account=account,
        currency=currency,
        lines=lines,
        placed_on=today - timedelta(days=demo.placed_days_ago),
        status=demo.status,
    )
    if demo.status in ("shipped", "delivered", "returned"):
        order.carrier, order.tracking_number = _tracking(rng, currency=currency)
    if demo.delivered_days_ago is not None:
        order.delivered_on = today - timedelta(days=demo.delivered_days_ago)
    return order


def _order(
    *,
    number: str,
    account: StoreAccount,
    currency: str,
    lines: list[StoreOrderLine],
    placed_on: date,
    status: str,
) -> StoreOrder:
    total = sum((line.unit_price * line.quantity for line in lines), Decimal("0")).quantize(CENT)
    return StoreOrder(
        number=number,
        account=account,
        placed_on=placed_on,
        status=status,
        currency=currency,
        shipping_address=f"{account.full_name}, {account.address_line}",
        total=total,
        lines=lines,
    )


def _tracking(rng: random.Random, *, currency: str) -> tuple[str, str]:
    carrier = rng.choice(_CARRIERS[currency])
    return carrier, f"LLT{carrier[:2].upper()}{rng.randrange(10**9, 10**10)}"


def _fill(pattern: str, rng: random.Random) -> str:
    return "".join(str(rng.randrange(10)) if ch == "#" else ch for ch in pattern)


def _generate_accounts(
    rng: random.Random, *, today: date, taken_phones: set[str]
) -> list[tuple[StoreAccount, str]]:
    people = [
        (country, first, last)
        for country, (_c, _cities, names) in _COUNTRIES.items()
        for first, last in names
    ]
    rng.shuffle(people)
    levels = [level for level, _w in _MEMBERSHIP_WEIGHTS]
    weights = [w for _l, w in _MEMBERSHIP_WEIGHTS]
    codes: set[str] = {"LL-100001", "LL-100002", "LL-100003"}
    result: list[tuple[StoreAccount, str]] = []
    for country, first, last in people:
        currency, cities, _names = _COUNTRIES[country]
        city, postcode = rng.choice(cities)
        code = "LL-100001"
        while code in codes:
            code = f"LL-{rng.randrange(100100, 199999)}"
        codes.add(code)
        phone = ""
        while not phone or phone in taken_phones:
            phone = (
                f"+1-555-01{rng.randrange(100):02d}"
                if country in ("US", "CA")
                else f"+44 7700 900{rng.randrange(1000):03d}"
            )
        taken_phones.add(phone)
        membership = rng.choices(levels, weights)[0]
        premium = rng.random() < 0.25
        handle = f"{_ascii(first)}.{_ascii(last)}"
        account = StoreAccount(
            account_code=code,
            full_name=f"{first} {last}",
            username=f"{_ascii(first)[0]}{_ascii(last)}1",
            email=f"{handle}@{rng.choice(_EMAIL_DOMAINS)}",
            phone=phone,
            phone_digits=digits_only(phone),
            membership=membership,
            premium_subscription=premium,
            premium_renews_on=today + timedelta(days=rng.randrange(1, 31)) if premium else None,
            customer_since=today - timedelta(days=rng.randrange(30, 2200)),
            street=f"{rng.randrange(1, 240)} {rng.choice(_STREETS)}",
            city=city,
            postcode=_fill(postcode, rng),
            country=country,
            store_credit=Decimal(rng.choice((0, 0, 0, 5, 10, 25))).quantize(CENT),
        )
        result.append((account, currency))
    return result


def _random_order(
    rng: random.Random,
    *,
    account: StoreAccount,
    currency: str,
    products: list[StoreProduct],
    today: date,
    used_numbers: set[str],
) -> StoreOrder:
    number = "ORD-10001"
    while number in used_numbers:
        number = f"ORD-{rng.randrange(10100, 99999)}"
    used_numbers.add(number)
    # One order in six is from the last week, so the demo always has parcels in flight.
    age = rng.randrange(0, 8) if rng.random() < 0.16 else rng.randrange(8, 200)
    picks = rng.sample(products, k=rng.choice((1, 1, 2, 2, 3)))
    lines = [
        StoreOrderLine(sku=p.sku, name=p.name, quantity=rng.choice((1, 1, 1, 2)), unit_price=p.price)
        for p in picks
    ]
    status = _status_for_age(rng, age)
    order = _order(
        number=number,
        account=account,
        currency=currency,
        lines=lines,
        placed_on=today - timedelta(days=age),
        status=status,
    )
    if status in ("shipped", "delivered", "returned"):
        order.carrier, order.tracking_number = _tracking(rng, currency=currency)
    if status in ("delivered", "returned"):
        order.delivered_on = today - timedelta(days=age - min(age, rng.randrange(3, 7)))
    return order


def _status_for_age(rng: random.Random, age: int) -> str:
    """Young orders are still moving; older ones arrived, with a few returned or cancelled."""
    if age <= 1:
        return rng.choice(("placed", "placed", "packed"))
    if age <= 3:
        return rng.choice(("packed", "shipped", "shipped"))
    if age <= 6:
        return rng.choice(("shipped", "shipped", "delivered"))
    roll = rng.random()
    if roll < 0.04:
        return "cancelled"
    if roll < 0.13 and age >= 12:
        return "returned"
    return "delivered"
