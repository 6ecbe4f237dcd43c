"""What executing a refund involves: the refund as the refunds service hands it over, and where returned goods go."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from shared.kernel.errors import FailedPrecondition, InvalidArgument
from shared.kernel.ids import is_valid_id
from shared.kernel.money import Money


class StockAction(enum.StrEnum):
    """What the refund does with stock (names as in oms.refunds.v1.StockAction, without the prefix)."""

    NONE = "NONE"
    RELEASE_RESERVATION = "RELEASE_RESERVATION"
    RESTOCK = "RESTOCK"


# The refund kind whose order is cancelled once the money is back: nothing of it will ship.
FULL_BEFORE_SHIPMENT = "FULL_BEFORE_SHIPMENT"


@dataclass(frozen=True)
class RefundItem:
    sku: str
    quantity: int


@dataclass(frozen=True)
class RefundExecution:
    """The refund as MarkRefundExecuting answered: what to pay back, on which payment, and what to do with stock."""

    refund_id: str
    order_id: str
    payment_id: str
    kind: str
    total: Money
    items: tuple[RefundItem, ...]
    # A StockAction name as the refunds service gave it (checked by the saga before money moves).
    stock_action: str


@dataclass(frozen=True)
class ReservedLine:
    """One line of an order's stock reservation: which warehouse the SKU was (or is) held in."""

    sku: str
    warehouse_id: str
    quantity: int


@dataclass(frozen=True)
class Restock:
    warehouse_id: str
    sku: str
    quantity: int


class UnknownStockAction(FailedPrecondition):
    """The refunds service asked for a stock action this saga does not know: refuse before money moves."""

    reason = "UNKNOWN_STOCK_ACTION"


def stock_action_of(name: str) -> StockAction:
    try:
        return StockAction(name)
    except ValueError:
        raise UnknownStockAction(
            f"stock action {name!r} is not one this saga knows", metadata={"stock_action": name}
        ) from None


class RestockWarehouseUnknown(FailedPrecondition):
    """A returned SKU was never reserved for the order, so nothing says which warehouse takes it back."""

    reason = "RESTOCK_WAREHOUSE_UNKNOWN"


def restock_plan(order_id: str, items: Sequence[RefundItem], reserved: Sequence[ReservedLine]) -> list[Restock]:
    """Each returned item goes back to the warehouse its order's reservation took it from.

    Inventory fills each SKU of an order from one warehouse, so the SKU names the warehouse.
    """
    warehouse_of: dict[str, str] = {}
    for line in reserved:
        warehouse_of.setdefault(line.sku, line.warehouse_id)
    plan = []
    for item in items:
        warehouse_id = warehouse_of.get(item.sku)
        if warehouse_id is None:
            raise RestockWarehouseUnknown(
                f"order {order_id} reserved no {item.sku}; restock it by hand",
                metadata={"order_id": order_id, "sku": item.sku},
            )
        plan.append(Restock(warehouse_id, item.sku, item.quantity))
    return plan


def validate_refund_id(refund_id: str) -> None:
    if not is_valid_id(refund_id):
        raise InvalidArgument.field("refund_id", "must be a UUID")
