"""Errors of the inventory context, each with the stable reason clients match on."""

from __future__ import annotations

from shared.kernel.errors import Aborted, AlreadyExists, FailedPrecondition, InvalidTransition, NotFound


class InsufficientStock(FailedPrecondition):
    """No warehouse can fill a line (or an adjustment would take away reserved units).

    The root cause wins over a pause: a SKU that is paused and short is refused for the shortage, with
    metadata paused "true", so a caller learns that waiting for the pause to lift would not help.
    """

    reason = "INSUFFICIENT_STOCK"

    def __init__(
        self,
        sku: str,
        *,
        requested: int,
        available: int,
        available_in_one_warehouse: int | None = None,
        warehouse_id: str | None = None,
        paused: bool = False,
    ) -> None:
        metadata = {"sku": sku, "requested": str(requested), "available": str(available)}
        if available_in_one_warehouse is not None:
            metadata["available_in_one_warehouse"] = str(available_in_one_warehouse)
        if warehouse_id is not None:
            metadata["warehouse_id"] = warehouse_id
        if paused:
            metadata["paused"] = "true"
        super().__init__(f"{requested} of SKU {sku} requested, {available} available", metadata=metadata)
        self.sku = sku
        self.requested = requested
        self.available = available
        self.paused = paused


class PausedSku(FailedPrecondition):
    """The breaker paused the SKU and its stock would fill the request; an operator lifts it with ResumeSku."""

    reason = "SKU_PAUSED"

    def __init__(self, sku: str) -> None:
        super().__init__(f"SKU {sku} is paused after repeated failed reservations", metadata={"sku": sku})
        self.sku = sku


class SkuNotFound(NotFound):
    reason = "SKU_NOT_FOUND"

    def __init__(self, sku: str, warehouse_id: str | None = None) -> None:
        where = f" in warehouse {warehouse_id}" if warehouse_id else ""
        metadata = {"sku": sku} | ({"warehouse_id": warehouse_id} if warehouse_id else {})
        super().__init__(f"SKU {sku} is not stocked{where}", metadata=metadata)
        self.sku = sku


class WarehouseNotFound(NotFound):
    reason = "WAREHOUSE_NOT_FOUND"

    def __init__(self, warehouse_id: str) -> None:
        super().__init__(f"warehouse {warehouse_id} does not exist", metadata={"warehouse_id": warehouse_id})


class ReservationNotFound(NotFound):
    reason = "RESERVATION_NOT_FOUND"

    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id} has no reservation", metadata={"order_id": order_id})


class NotHeldThere(FailedPrecondition):
    """A move names a warehouse where the order's reservation holds none of the SKU."""

    reason = "NOT_HELD_THERE"

    def __init__(self, order_id: str, sku: str, warehouse_id: str) -> None:
        super().__init__(
            f"the reservation of order {order_id} holds no {sku} in warehouse {warehouse_id}",
            metadata={"order_id": order_id, "sku": sku, "warehouse_id": warehouse_id},
        )


class ReservationNotLive(FailedPrecondition):
    """Only a HELD or COMMITTED reservation holds stock that can move; a confirmed, released or expired one
    holds none (the reason is the state machine's, INVALID_TRANSITION)."""

    reason = "INVALID_TRANSITION"

    def __init__(self, reservation_id: str, order_id: str, status: str) -> None:
        super().__init__(
            f"reservation {reservation_id} is {status}: it holds no stock to move",
            metadata={"id": reservation_id, "order_id": order_id, "from": status},
        )


class ReservationExpired(InvalidTransition):
    """Commit came too late: the hold expired and its stock went back (the order must reserve anew or refund)."""

    reason = "RESERVATION_EXPIRED"

    def __init__(self, reservation_id: str, order_id: str) -> None:
        super().__init__("reservation", reservation_id, "EXPIRED", "COMMITTED")
        self.metadata["order_id"] = order_id


class ReservationMismatch(AlreadyExists):
    """The order already holds a reservation for other quantities: one order, one reservation."""

    reason = "RESERVATION_MISMATCH"

    def __init__(self, order_id: str, reservation_id: str) -> None:
        super().__init__(
            f"order {order_id} already holds reservation {reservation_id} for other quantities",
            metadata={"order_id": order_id, "reservation_id": reservation_id},
        )


class Contention(Aborted):
    """Competing transactions kept taking the chosen stock; the caller retries with the same request id."""

    reason = "CONTENTION"
