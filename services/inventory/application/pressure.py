"""Keeps each SKU's pressure flag in step with its stock and announces when it goes high."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace

from services.inventory.application.ports import Dependencies, InventoryUnitOfWork, ReservationSnapshot
from services.inventory.domain.events import StockPressureHigh
from services.inventory.domain.model import ReservationLine
from services.inventory.domain.rules import PressurePolicy


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


@dataclass(frozen=True)
class PressureAfterHold:
    """The flags a hold should change (SKU -> new value) and the totals behind them."""

    changes: Mapping[str, bool]
    totals: Mapping[str, tuple[int, int]]
    threshold_percent: int

    def alerts(self, flipped: Iterable[str]) -> tuple[StockPressureHigh, ...]:
        """StockPressureHigh for each SKU whose flag this transaction raised (a flip it did not make is
        someone else's to announce)."""
        return tuple(
            StockPressureHigh(sku, *self.totals[sku], self.threshold_percent)
            for sku in sorted(flipped)
            if self.changes.get(sku)
        )


def pressure_after_hold(
    snapshot: ReservationSnapshot, lines: Iterable[ReservationLine], policy: PressurePolicy
) -> PressureAfterHold:
    """Totals (reserved, available) of each SKU once ``lines`` are held, from the locked rows of every
    warehouse (the same sums ``refresh_pressure`` reads), and the flags that differ from them."""
    held = {(line.sku, line.warehouse_id): line.quantity for line in lines}
    totals: dict[str, tuple[int, int]] = {}
    for level in snapshot.levels:
        after = replace(level, reserved=level.reserved + held.get((level.sku, level.warehouse_id), 0))
        reserved, available = totals.get(level.sku, (0, 0))
        totals[level.sku] = (reserved + after.reserved, available + after.available)
    changes = {
        sku: high
        for sku, (reserved, available) in totals.items()
        if (high := policy.is_high(reserved, available)) != (sku in snapshot.pressure_high)
    }
    return PressureAfterHold(changes, totals, policy.threshold_percent)
