"""Which warehouse fills each line of a reservation: one warehouse per line, all lines or none."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from services.inventory.domain.errors import InsufficientStock, PausedSku, SkuNotFound
from services.inventory.domain.model import RequestedLine, ReservationLine, StockLevel, Warehouse


@dataclass(frozen=True)
class AllocationRequest:
    lines: tuple[RequestedLine, ...]
    preferred_warehouse_id: str | None = None
    shipping_province: str | None = None


def allocate(
    request: AllocationRequest,
    stock: Sequence[StockLevel],
    warehouses: Mapping[str, Warehouse],
    paused: Collection[str],
) -> tuple[ReservationLine, ...]:
    """Choose a warehouse for every line, or raise the root reason the order cannot be reserved.

    Unknown SKUs come first, then shortages (a paused SKU that is also short is refused for the
    shortage, marked paused), and only an order the stock could fill hears that a SKU is paused. Among
    the warehouses that can fill a line the preferred one wins, then one serving the shipping province,
    then the one with most available (ties by warehouse id, so the choice is deterministic).
    """
    by_sku: dict[str, list[StockLevel]] = {}
    for level in stock:
        by_sku.setdefault(level.sku, []).append(level)
    for line in request.lines:
        if line.sku not in by_sku:
            raise SkuNotFound(line.sku)
    chosen: list[ReservationLine] = []
    for line in request.lines:
        usable = [
            level
            for level in by_sku[line.sku]
            if level.warehouse_id in warehouses and not warehouses[level.warehouse_id].disabled
        ]
        fillable = [level for level in usable if level.available >= line.quantity]
        if not fillable:
            raise InsufficientStock(
                line.sku,
                requested=line.quantity,
                available=sum(level.available for level in usable),
                available_in_one_warehouse=max((level.available for level in usable), default=0),
                paused=line.sku in paused,
            )
        best = min(fillable, key=lambda level: _preference(level, request, warehouses[level.warehouse_id]))
        chosen.append(ReservationLine(line.sku, best.warehouse_id, line.quantity))
    for line in request.lines:
        if line.sku in paused:
            raise PausedSku(line.sku)
    return tuple(chosen)


def _preference(level: StockLevel, request: AllocationRequest, warehouse: Warehouse) -> tuple[int, int, int, str]:
    return (
        0 if level.warehouse_id == request.preferred_warehouse_id else 1,
        0 if warehouse.serves(request.shipping_province) else 1,
        -level.available,
        level.warehouse_id,
    )
