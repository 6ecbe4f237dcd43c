"""The unit of work of refunds: the shared transaction with the refunds repositories and event publishing."""

from __future__ import annotations

from services.refunds.adapters.events import aggregate_of, integration_event
from services.refunds.adapters.repository import SqlExceptionRepository, SqlLedgerRepository, SqlRefundRepository
from services.refunds.domain.events import DomainEvent
from shared.db import UnitOfWork


class RefundsUnitOfWork(UnitOfWork):
    refunds: SqlRefundRepository
    ledgers: SqlLedgerRepository
    exceptions: SqlExceptionRepository

    def _open(self) -> None:
        self.refunds = SqlRefundRepository(self.session)
        self.ledgers = SqlLedgerRepository(self.session)
        self.exceptions = SqlExceptionRepository(self.session)
        self._events: list[DomainEvent] = []

    def publish(self, *events: DomainEvent) -> None:
        """Queue domain events; they become integration events in the outbox at commit."""
        self._events.extend(events)

    async def commit(self) -> None:
        for event in self._events:
            aggregate_type, aggregate_id = aggregate_of(event)
            self.emit(integration_event(event), aggregate_type=aggregate_type, aggregate_id=aggregate_id)
        self._events = []
        await super().commit()
