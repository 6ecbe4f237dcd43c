"""The unit of work of orders: the shared transaction with the order repository and event publishing."""

from __future__ import annotations

from collections.abc import Sequence

from services.orders.adapters.events import integration_event
from services.orders.adapters.repository import SqlOrderRepository
from services.orders.domain.events import DomainEvent
from shared.db import UnitOfWork

AGGREGATE_TYPE = "order"


class OrdersUnitOfWork(UnitOfWork):
    orders: SqlOrderRepository

    def _open(self) -> None:
        self.orders = SqlOrderRepository(self.session)

    def publish(self, order_id: str, events: Sequence[DomainEvent]) -> None:
        if events:
            self.emit(*(integration_event(e) for e in events), aggregate_type=AGGREGATE_TYPE, aggregate_id=order_id)
