"""The unit of work of payments: the shared transaction with the repositories, savepoints and event publishing."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from services.payments.adapters.events import aggregate_id, integration_event
from services.payments.adapters.repository import SqlCallbackRepository, SqlPaymentRepository
from services.payments.domain.events import PaymentEvent
from shared.db import UnitOfWork

AGGREGATE_TYPE = "payment"


class PaymentsUnitOfWork(UnitOfWork):
    payments: SqlPaymentRepository
    callbacks: SqlCallbackRepository

    def _open(self) -> None:
        self.payments = SqlPaymentRepository(self.session)
        self.callbacks = SqlCallbackRepository(self.session)
        # Domain events wait here until commit, so a savepoint rolled back can take its own events back.
        self._events: list[PaymentEvent] = []

    def publish(self, *events: PaymentEvent) -> None:
        self._events.extend(events)

    @contextlib.asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        mark = len(self._events)
        nested = await self.session.begin_nested()
        try:
            yield
        except BaseException:
            await nested.rollback()
            del self._events[mark:]
            raise
        await nested.commit()

    async def commit(self) -> None:
        for event in self._events:
            self.emit(integration_event(event), aggregate_type=AGGREGATE_TYPE, aggregate_id=aggregate_id(event))
        self._events = []
        await super().commit()
