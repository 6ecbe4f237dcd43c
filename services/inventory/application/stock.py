"""Handlers that change stock outside reservations: warehouses, receipts, adjustments, safety stock, returns."""

from __future__ import annotations

from services.inventory.application.commands import (
    AdjustStock,
    ReceiveStock,
    RestockReturn,
    SetSafetyStock,
    StockChange,
    UpsertWarehouse,
    WarehouseResult,
)
from services.inventory.application.ports import Dependencies, InventoryUnitOfWork, Marker
from services.inventory.application.pressure import refresh_pressure
from services.inventory.domain import values
from services.inventory.domain.errors import Contention, SkuNotFound, WarehouseNotFound
from services.inventory.domain.events import StockAdjusted
from services.inventory.domain.model import (
    Movement,
    MovementType,
    StockDelta,
    StockLevel,
    Warehouse,
    adjustment,
    safety_stock_change,
)
from shared.kernel.errors import InvalidArgument
from shared.kernel.ids import new_id

MAX_PROVINCES = 64


def level_after(movement: Movement) -> StockLevel:
    """The stock row as the movement left it."""
    return StockLevel(
        movement.warehouse_id,
        movement.sku,
        movement.on_hand_after,
        movement.reserved_after,
        movement.safety_stock_after,
        movement.occurred_at,
    )


async def upsert_warehouse(cmd: UpsertWarehouse, uow: InventoryUnitOfWork, deps: Dependencies) -> WarehouseResult:
    code = values.warehouse_code(cmd.code)
    name = values.name(cmd.name, "name", max_length=200)
    if len(cmd.provinces) > MAX_PROVINCES:
        raise InvalidArgument.field("provinces", f"must list at most {MAX_PROVINCES} provinces")
    provinces = tuple(
        dict.fromkeys(values.name(p, f"provinces[{i}]", max_length=64) for i, p in enumerate(cmd.provinces))
    )
    async with uow:
        if (previous := await uow.replay(cmd, WarehouseResult)) is not None:
            return previous
        now = deps.clock()
        stored, created = await uow.warehouses.upsert(
            Warehouse(new_id(), code, name, provinces, cmd.disabled, now, now)
        )
        result = WarehouseResult(stored, created)
        await uow.remember(cmd, result)
        await uow.commit()
    return result


async def _require_warehouse(uow: InventoryUnitOfWork, warehouse_id: str) -> None:
    if await uow.warehouses.get(warehouse_id) is None:
        raise WarehouseNotFound(warehouse_id)


async def _book_incoming(
    cmd: ReceiveStock | RestockReturn, delta: StockDelta, uow: InventoryUnitOfWork, deps: Dependencies
) -> StockChange:
    async with uow:
        if (previous := await uow.replay(cmd, StockChange)) is not None:
            return previous
        await _require_warehouse(uow, delta.warehouse_id)
        movement = await uow.stock.receive(delta, new_id(), cmd.request_id, deps.clock())
        result = StockChange(level_after(movement), movement)
        uow.publish(StockAdjusted(movement, result.stock))
        await refresh_pressure(uow, deps, [delta.sku])
        await uow.remember(cmd, result)
        await uow.commit()
    await deps.gate.clear([delta.sku], Marker.SOLD_OUT)
    return result


async def receive_stock(cmd: ReceiveStock, uow: InventoryUnitOfWork, deps: Dependencies) -> StockChange:
    delta = StockDelta(
        warehouse_id=values.entity_id(cmd.warehouse_id, "warehouse_id"),
        sku=values.sku(cmd.sku),
        type=MovementType.RECEIPT,
        on_hand=values.quantity(cmd.quantity),
        reference=values.text(cmd.reference, "reference", max_length=values.MAX_REFERENCE_LENGTH),
    )
    return await _book_incoming(cmd, delta, uow, deps)


async def restock_return(cmd: RestockReturn, uow: InventoryUnitOfWork, deps: Dependencies) -> StockChange:
    delta = StockDelta(
        warehouse_id=values.entity_id(cmd.warehouse_id, "warehouse_id"),
        sku=values.sku(cmd.sku),
        type=MovementType.RETURN,
        on_hand=values.quantity(cmd.quantity),
        reference=values.text(cmd.reference, "reference", max_length=values.MAX_REFERENCE_LENGTH),
        order_id=values.entity_id(cmd.order_id, "order_id"),
    )
    return await _book_incoming(cmd, delta, uow, deps)


async def _apply_one(
    cmd: AdjustStock | SetSafetyStock, delta: StockDelta, uow: InventoryUnitOfWork, deps: Dependencies
) -> StockChange:
    movements = await uow.stock.apply([delta], [new_id()], cmd.request_id, deps.clock(), lock_first=False)
    if not movements:
        # The row is locked and the domain checked the change, so a refused guard means a bug, not a race.
        raise Contention(f"stock of {delta.sku} in {delta.warehouse_id} changed under a lock")
    result = StockChange(level_after(movements[0]), movements[0])
    uow.publish(StockAdjusted(movements[0], result.stock))
    await refresh_pressure(uow, deps, [delta.sku])
    return result


async def adjust_stock(cmd: AdjustStock, uow: InventoryUnitOfWork, deps: Dependencies) -> StockChange:
    warehouse_id = values.entity_id(cmd.warehouse_id, "warehouse_id")
    sku = values.sku(cmd.sku)
    if (cmd.delta is None) == (cmd.set_on_hand is None):
        raise InvalidArgument.field("delta", "exactly one of delta and set_on_hand is required")
    if cmd.delta is not None:
        if cmd.delta == 0:
            raise InvalidArgument.field("delta", "must not be zero")
        if abs(cmd.delta) > values.MAX_QUANTITY:
            raise InvalidArgument.field("delta", f"must be at most {values.MAX_QUANTITY} either way")
    if cmd.set_on_hand is not None:
        values.non_negative(cmd.set_on_hand, "set_on_hand")
    reason = values.text(cmd.reason, "reason", max_length=values.MAX_REASON_LENGTH, required=True)
    async with uow:
        if (previous := await uow.replay(cmd, StockChange)) is not None:
            return previous
        await _require_warehouse(uow, warehouse_id)
        level = await uow.stock.lock(warehouse_id, sku)
        if level is None:
            raise SkuNotFound(sku, warehouse_id)
        delta = adjustment(level, delta=cmd.delta, set_on_hand=cmd.set_on_hand, reason=reason)
        result = await _apply_one(cmd, delta, uow, deps)
        await uow.remember(cmd, result)
        await uow.commit()
    if result.movement.on_hand_delta > 0:
        await deps.gate.clear([sku], Marker.SOLD_OUT)
    return result


async def set_safety_stock(cmd: SetSafetyStock, uow: InventoryUnitOfWork, deps: Dependencies) -> StockChange:
    warehouse_id = values.entity_id(cmd.warehouse_id, "warehouse_id")
    sku = values.sku(cmd.sku)
    safety_stock = values.non_negative(cmd.safety_stock, "safety_stock")
    async with uow:
        if (previous := await uow.replay(cmd, StockChange)) is not None:
            return previous
        await _require_warehouse(uow, warehouse_id)
        level = await uow.stock.lock(warehouse_id, sku)
        if level is None:
            raise SkuNotFound(sku, warehouse_id)
        result = await _apply_one(cmd, safety_stock_change(level, safety_stock), uow, deps)
        await uow.remember(cmd, result)
        await uow.commit()
    if safety_stock < level.safety_stock:
        await deps.gate.clear([sku], Marker.SOLD_OUT)
    return result
