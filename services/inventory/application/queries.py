"""Read-side handlers: availability, reservations, the ledger and warehouses."""

from __future__ import annotations

from collections.abc import Sequence

from services.inventory.application.commands import Availability, ListReservations, ListStockMovements, Page
from services.inventory.application.ports import InventoryUnitOfWork
from services.inventory.domain import values
from services.inventory.domain.model import Movement, Reservation, SkuAvailability, Warehouse
from shared import metrics
from shared.kernel.errors import InvalidArgument

MAX_AVAILABILITY_SKUS = 500


async def get_availability(skus: Sequence[str], uow: InventoryUnitOfWork) -> Availability:
    """Totals per SKU (in request order, duplicates once) with the level in each warehouse."""
    if not skus:
        raise InvalidArgument.field("skus", "must name at least one SKU")
    if len(skus) > MAX_AVAILABILITY_SKUS:
        raise InvalidArgument.field("skus", f"must name at most {MAX_AVAILABILITY_SKUS} SKUs")
    wanted = list(dict.fromkeys(values.sku(s, f"skus[{i}]") for i, s in enumerate(skus)))
    async with uow:
        levels = await uow.stock.levels(wanted)
        paused = await uow.controls.paused(wanted)
        pressure = await uow.controls.pressure_flags(wanted)
    availability = Availability(
        tuple(
            SkuAvailability(
                sku,
                tuple(sorted((level for level in levels if level.sku == sku), key=lambda level: level.warehouse_id)),
                paused=sku in paused,
                pressure_high=sku in pressure,
            )
            for sku in wanted
        )
    )
    for item in availability.items:
        metrics.HOT_STOCK.observe(item.sku, item.available)
    return availability


async def list_reservations(query: ListReservations, uow: InventoryUnitOfWork) -> Sequence[Reservation]:
    """Newest first; up to one more than the page size, so the caller knows whether a next page exists."""
    order_id = values.optional_id(query.order_id, "order_id")
    sku = values.sku(query.sku) if query.sku else None
    async with uow:
        return await uow.reservations.page(order_id, sku, query.status, query.page.size + 1, query.page.after)


async def list_stock_movements(query: ListStockMovements, uow: InventoryUnitOfWork) -> Sequence[Movement]:
    """Newest first; up to one more than the page size, like :func:`list_reservations`."""
    sku = values.sku(query.sku) if query.sku else None
    warehouse_id = values.optional_id(query.warehouse_id, "warehouse_id")
    order_id = values.optional_id(query.order_id, "order_id")
    async with uow:
        return await uow.stock.movements(sku, warehouse_id, order_id, query.page.size + 1, query.page.after)


async def list_warehouses(page: Page, uow: InventoryUnitOfWork) -> Sequence[Warehouse]:
    """By code; up to one more than the page size, like :func:`list_reservations`."""
    async with uow:
        return await uow.warehouses.page(page.size + 1, page.after)
