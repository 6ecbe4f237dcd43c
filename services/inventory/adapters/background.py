"""Background tasks of the inventory process: the reservation sweeper and the gate reconciler."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from services.inventory.adapters.unit_of_work import InventoryUnitOfWork
from services.inventory.application.breaker import reconcile_gate
from services.inventory.application.ports import Dependencies
from services.inventory.application.reservations import expire_reservations
from shared.aio import every


class ReservationSweeper:
    """Releases expired reservations every ``interval`` seconds (in batches; replicas share the work)."""

    def __init__(self, unit_of_work: Callable[[], InventoryUnitOfWork], deps: Dependencies, interval: float) -> None:
        self._uow = unit_of_work
        self._deps = deps
        self._interval = interval

    async def sweep(self) -> int:
        return await expire_reservations(self._uow(), self._deps)

    async def run(self, stop: asyncio.Event) -> None:
        await every(self._interval, stop, self.sweep, name="inventory.sweeper")


class GateReconciler:
    """Recomputes the Redis admission markers from the database every ``interval`` seconds."""

    def __init__(self, unit_of_work: Callable[[], InventoryUnitOfWork], deps: Dependencies, interval: float) -> None:
        self._uow = unit_of_work
        self._deps = deps
        self._interval = interval

    async def reconcile(self) -> None:
        await reconcile_gate(self._uow(), self._deps)

    async def run(self, stop: asyncio.Event) -> None:
        await every(self._interval, stop, self.reconcile, name="inventory.gate")
