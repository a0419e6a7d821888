"""Errors of the demo store, on Tandem's stable error codes."""

from __future__ import annotations

from tandem.core.errors import ConflictError, InvalidInputError, NotFoundError


class OrderNotFoundError(NotFoundError):
    code = "store_order_not_found"

    def __init__(self, *, order_number: str) -> None:
        super().__init__(f"No order {order_number!r} in the store.", order_number=order_number)


class AddressChangeRefusedError(ConflictError):
    """The order has left the warehouse (or finished), so its address is fixed."""

    code = "store_address_change_refused"

    def __init__(self, *, order_number: str, status: str, reason: str) -> None:
        super().__init__(reason, order_number=order_number, status=status)


class InvalidAddressError(InvalidInputError):
    code = "store_invalid_address"
