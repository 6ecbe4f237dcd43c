"""Errors of review rules, routing, shipments and SLA queries, each with the stable reason clients match on."""

from __future__ import annotations

from shared.kernel.errors import Aborted, FailedPrecondition, NotFound, Unavailable


class RuleSetNotFound(NotFound):
    reason = "RULE_SET_NOT_FOUND"

    def __init__(self, kind: str, version: int) -> None:
        what = f"version {version}" if version else "an active version"
        super().__init__(f"the {kind.lower()} rules have no {what}", metadata={"kind": kind, "version": str(version)})


class NoWarehouseCanFill(FailedPrecondition):
    """No candidate warehouse of a line has the stock for it: the order stays APPROVED until stock arrives
    (or a person changes the rules or the order)."""

    reason = "NO_WAREHOUSE_CAN_FILL"

    def __init__(self, order_id: str, line_no: int, sku: str, quantity: int) -> None:
        super().__init__(
            f"no warehouse can ship {quantity} x {sku} (line {line_no}) of order {order_id}",
            metadata={"order_id": order_id, "line_no": str(line_no), "sku": sku, "quantity": str(quantity)},
        )


class AllocationInProgress(Aborted):
    """Another AllocateOrder of the same order is under way: the caller retries (with its own request id)."""

    reason = "ALLOCATION_IN_PROGRESS"

    def __init__(self, order_id: str) -> None:
        super().__init__(
            f"order {order_id} is being allocated by another request; retry", metadata={"order_id": order_id}
        )


class ShipmentNotFound(NotFound):
    reason = "SHIPMENT_NOT_FOUND"

    def __init__(self, shipment_id: str) -> None:
        super().__init__(f"shipment {shipment_id} does not exist", metadata={"shipment_id": shipment_id})


class AlreadyClaimed(FailedPrecondition):
    """Another warehouse subject holds the shipment; to everyone else it is read-only."""

    reason = "ALREADY_CLAIMED"

    def __init__(self, shipment_id: str, claimed_by: str) -> None:
        super().__init__(
            f"shipment {shipment_id} is claimed by {claimed_by}",
            metadata={"shipment_id": shipment_id, "claimed_by": claimed_by},
        )


class ShipmentNotClaimed(FailedPrecondition):
    reason = "SHIPMENT_NOT_CLAIMED"

    def __init__(self, shipment_id: str) -> None:
        super().__init__(
            f"shipment {shipment_id} must be claimed before it is confirmed", metadata={"shipment_id": shipment_id}
        )


class OrderNotShippable(FailedPrecondition):
    """An order of the shipment is held, in exception or cancelled: its goods must not be picked or leave."""

    reason = "ORDER_NOT_SHIPPABLE"

    def __init__(self, shipment_id: str, order_id: str, status: str) -> None:
        super().__init__(
            f"order {order_id} of shipment {shipment_id} is {status}",
            metadata={"shipment_id": shipment_id, "order_id": order_id, "status": status},
        )


class StockNotConfirmed(FailedPrecondition):
    """Inventory refused to turn the order's reservation into shipped stock; the shipment stays unconfirmed
    so the stock books never disagree with what left."""

    reason = "STOCK_NOT_CONFIRMED"

    def __init__(self, order_id: str, inventory_reason: str, detail: str) -> None:
        super().__init__(
            f"inventory did not confirm the stock of order {order_id}: {inventory_reason} {detail}".strip(),
            metadata={"order_id": order_id, "reason": inventory_reason},
        )


class InventoryRefused(FailedPrecondition):
    """Inventory would not describe the stock of the order (e.g. it rejects one of its SKUs): asking again
    will not change that."""

    reason = "INVENTORY_REFUSED"

    def __init__(self, order_id: str, inventory_reason: str, detail: str) -> None:
        super().__init__(
            f"inventory refused the stock query of order {order_id}: {inventory_reason} {detail}".strip(),
            metadata={"order_id": order_id, "reason": inventory_reason},
        )


class InventoryUnavailable(Unavailable):
    reason = "INVENTORY_UNAVAILABLE"

    def __init__(self, detail: str) -> None:
        super().__init__(f"inventory did not answer: {detail}; retry with the same request_id")
