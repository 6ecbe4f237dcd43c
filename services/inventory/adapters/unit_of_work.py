"""The unit of work of inventory: the shared transaction with the inventory repositories and event publishing."""

from __future__ import annotations

from services.inventory.adapters.events import integration_event
from services.inventory.adapters.repository import SqlControls, SqlReservations, SqlStock, SqlWarehouses
from services.inventory.domain.events import DomainEvent
from shared.db import UnitOfWork


class InventoryUnitOfWork(UnitOfWork):
    warehouses: SqlWarehouses
    stock: SqlStock
    controls: SqlControls
    reservations: SqlReservations

    def _open(self) -> None:
        self.warehouses = SqlWarehouses(self.session)
        self.stock = SqlStock(self.session)
        self.controls = SqlControls(self.session)
        self.reservations = SqlReservations(self.session)

    def publish(self, *events: DomainEvent) -> None:
        for event in events:
            payload, aggregate_type, aggregate_id = integration_event(event)
            self.emit(payload, aggregate_type=aggregate_type, aggregate_id=aggregate_id)
