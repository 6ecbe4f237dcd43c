"""Errors of the orders context, each with the stable reason clients match on."""

from __future__ import annotations

from shared.kernel.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied


class OrderNotFound(NotFound):
    reason = "ORDER_NOT_FOUND"

    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id} does not exist", metadata={"order_id": order_id})


class ChannelNotAllowed(PermissionDenied):
    """A caller limited to some channels may not place orders of another (nor learn of its orders that way)."""

    reason = "CHANNEL_NOT_ALLOWED"

    def __init__(self, channel: str) -> None:
        super().__init__(f"this caller may not place orders of channel {channel}", metadata={"channel": channel})


class PaidAmountMismatch(FailedPrecondition):
    """A payment whose amount is not the order total must not mark the order paid."""

    reason = "PAID_AMOUNT_MISMATCH"

    def __init__(self, order_id: str, paid: str, total: str) -> None:
        super().__init__(
            f"order {order_id} totals {total} but {paid} was paid",
            metadata={"order_id": order_id, "paid": paid, "total": total},
        )


class ShippingAddressLocked(FailedPrecondition):
    """Once an order has shipped, its address is history: a change must go through the carrier."""

    reason = "SHIPPING_ADDRESS_LOCKED"

    def __init__(self, order_id: str, status: str) -> None:
        super().__init__(
            f"order {order_id} is {status}: its shipping address can no longer change",
            metadata={"order_id": order_id, "status": status},
        )


def currency_mismatch(field: str, expected: str, got: str) -> InvalidArgument:
    """One currency per order: an amount in another currency is bad input on ``field``."""
    return InvalidArgument.field(
        f"{field}.currency", f"must be {expected} like the order total, not {got}", reason="CURRENCY_MISMATCH"
    )
