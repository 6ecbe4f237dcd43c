"""The customers unit of work: the shared transaction, outbox and idempotency, plus the repository."""

from __future__ import annotations

from collections.abc import Sequence

from oms.common.v1 import common_pb2

from services.customers.adapters.events import AGGREGATE_TYPE, to_integration_event
from services.customers.adapters.repository import SqlCustomerRepository
from services.customers.domain.events import DomainEvent
from shared.context import current_call
from shared.db import UnitOfWork


class SqlCustomersUnitOfWork(UnitOfWork):
    customers: SqlCustomerRepository

    def _open(self) -> None:
        self.customers = SqlCustomerRepository(self.session)

    def publish(self, customer_id: str, events: Sequence[DomainEvent]) -> None:
        if not events:
            return
        call = current_call.get()
        actor = common_pb2.Actor(subject=call.subject, role=call.role)
        self.emit(
            *(to_integration_event(event, actor) for event in events),
            aggregate_type=AGGREGATE_TYPE,
            aggregate_id=customer_id,
        )
