"""Keeps each SKU's pressure flag in step with its stock and announces when it goes high."""

from __future__ import annotations

from collections.abc import Collection

from services.inventory.application.ports import Dependencies, InventoryUnitOfWork
from services.inventory.domain.events import StockPressureHigh


async def refresh_pressure(uow: InventoryUnitOfWork, deps: Dependencies, skus: Collection[str]) -> None:
    """Recompute the flag of ``skus`` inside the caller's transaction; publish StockPressureHigh on a rise.

    The flag flips by a conditional update, so of two transactions seeing the same rise only one announces it.
    """
    totals = await uow.stock.totals(skus)
    wanted = {t.sku: deps.pressure.is_high(t.reserved, t.available) for t in totals}
    changes = {t.sku: wanted[t.sku] for t in totals if wanted[t.sku] != t.pressure_high}
    if not changes:
        return
    flipped = await uow.stock.flag_pressure(changes)
    by_sku = {t.sku: t for t in totals}
    uow.publish(
        *(
            StockPressureHigh(sku, by_sku[sku].reserved, by_sku[sku].available, deps.pressure.threshold_percent)
            for sku in sorted(flipped)
            if changes[sku]
        )
    )
