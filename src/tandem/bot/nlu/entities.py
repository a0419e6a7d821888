"""Entities in a customer message: order numbers, e-mail addresses, phone numbers, amounts, dates.

Plain regular expressions with validation: they are exact about what they accept, fast (microseconds),
and the same in every language, which is what the flows need to look a record up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

ORDER_NUMBER = re.compile(
    r"(?<![\w-])(?:ord(?:er)?[\s#:_-]*(?:n(?:o|r|um(?:ber)?)\.?\s*)?|#)?(\d{5})(?!\d)", re.I
)
_ORDER_CONTEXT = re.compile(r"\b(?:ord|orders?|pedidos?|commandes?|bestell\w*|auftrag\w*)\b|#\s?\d{5}", re.I)
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})*\.[A-Za-z]{2,24}(?![\w-])")
PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d\s().-]{7,17}\d(?!\w)")
AMOUNT = re.compile(
    r"(?P<pre>[$€£])\s?(?P<a>\d{1,7}(?:[.,]\d{1,2})?)|(?P<b>\d{1,7}(?:[.,]\d{1,2})?)\s?(?P<post>[$€£]|eur|euros?|"
    r"usd|dollars?|gbp|pounds?)\b",
    re.I,
)
ISO_DATE = re.compile(r"\b(20\d\d)-(\d\d)-(\d\d)\b")
DMY_DATE = re.compile(r"\b(\d{1,2})[./](\d{1,2})[./](20\d\d|\d\d)\b")
RELATIVE_DAYS = {
    "today": 0,
    "yesterday": -1,
    "tomorrow": 1,
    "hoy": 0,
    "ayer": -1,
    "manana": 1,
    "aujourd'hui": 0,
    "hier": -1,
    "demain": 1,
    "heute": 0,
    "gestern": -1,
    "morgen": 1,
}
_CURRENCY = {
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "usd": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "gbp": "GBP",
    "pound": "GBP",
    "pounds": "GBP",
}


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str


@dataclass(frozen=True)
class Entities:
    order_numbers: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    amounts: tuple[Amount, ...] = ()
    dates: tuple[date, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, list[str]]:
        """For the trace: only what was found."""
        found = {
            "order_numbers": list(self.order_numbers),
            "emails": list(self.emails),
            "phones": list(self.phones),
            "amounts": [f"{a.value} {a.currency}" for a in self.amounts],
            "dates": [d.isoformat() for d in self.dates],
        }
        return {key: value for key, value in found.items() if value}


def extract_entities(text: str, *, today: date | None = None, expecting_order: bool = False) -> Entities:
    """``expecting_order``: the bot just asked for an order number, so a bare "10042" is one."""
    text = text[:5000]
    emails = tuple(dict.fromkeys(m.group(0).lower() for m in EMAIL.finditer(text)))
    without_emails = EMAIL.sub(" ", text)
    orders = []
    for match in ORDER_NUMBER.finditer(without_emails):
        # A bare five-digit number is an order number only when the message talks about an order.
        if match.group(0) != match.group(1) or expecting_order or _ORDER_CONTEXT.search(without_emails):
            orders.append(f"ORD-{match.group(1)}")
    without_orders = ORDER_NUMBER.sub(" ", without_emails)
    phones = []
    for match in PHONE.finditer(without_orders):
        raw = match.group(0).strip()
        digits = re.sub(r"\D", "", raw)
        if not 8 <= len(digits) <= 15 or DMY_DATE.fullmatch(raw):
            continue
        if raw.startswith("00"):
            digits = digits[2:]
        phones.append(("+" if raw.startswith(("+", "00")) else "") + digits)
    return Entities(
        order_numbers=tuple(dict.fromkeys(orders)),
        emails=emails,
        phones=tuple(dict.fromkeys(phones)),
        amounts=tuple(_amounts(without_orders)),
        dates=tuple(_dates(text, today=today)),
    )


def _amounts(text: str) -> list[Amount]:
    found = []
    for match in AMOUNT.finditer(text):
        raw = match.group("a") or match.group("b")
        symbol = (match.group("pre") or match.group("post") or "").lower()
        try:
            value = Decimal(raw.replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            continue
        found.append(Amount(value, _CURRENCY.get(symbol, "EUR")))
    return found


def _dates(text: str, *, today: date | None) -> list[date]:
    found: list[date] = []
    for year, month, day in ISO_DATE.findall(text):
        _append_date(found, int(year), int(month), int(day))
    for day, month, year in DMY_DATE.findall(text):
        full_year = int(year) + (2000 if len(year) == 2 else 0)
        _append_date(found, full_year, int(month), int(day))
    if today is not None:
        lowered = text.lower().replace("ñ", "n")
        for word, offset in RELATIVE_DAYS.items():
            if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", lowered):
                found.append(today + timedelta(days=offset))
    return list(dict.fromkeys(found))


def _append_date(found: list[date], year: int, month: int, day: int) -> None:
    try:
        found.append(date(year, month, day))
    except ValueError:
        return  # 31/02/2026 is not a date; ignore it rather than guess
