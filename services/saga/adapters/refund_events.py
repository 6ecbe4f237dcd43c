"""Starts the refund execution saga for each refund that became ready (refunds' RefundReadyForExecution event)."""

from __future__ import annotations

import logging
from typing import Any

from oms.events.v1 import events_pb2
from oms.refunds.v1 import events_pb2 as refund_events_pb2

from services.saga.application.coordinator import Coordinator
from shared.kernel.errors import InvalidArgument

log = logging.getLogger(__name__)

READY = refund_events_pb2.RefundReadyForExecution.DESCRIPTOR.full_name


class RefundReadyHandler:
    """The StreamConsumer handler: one saga per ready refund, started and left to run (not awaited), so a
    slow payment provider never holds up the stream. The saga is keyed on the refund, so a redelivered
    event finds the saga it already started."""

    def __init__(self, coordinator: Coordinator) -> None:
        self._coordinator = coordinator

    async def __call__(self, envelope: events_pb2.EventEnvelope, uow: Any) -> None:
        if envelope.type != READY:
            return
        event = refund_events_pb2.RefundReadyForExecution()
        if not envelope.payload.Unpack(event):
            # Redelivering cannot repair a payload that is not what its type says: record it and go on.
            log.error("event %s claims %s but carries %s; skipped", envelope.id, READY, envelope.payload.type_url)
            return
        try:
            saga = await self._coordinator.start_refund_execution(event.refund_id)
        except InvalidArgument as bad:
            log.error("event %s: refund id %r refused (%s); skipped", envelope.id, event.refund_id, bad)
            return
        log.info("refund %s: execution saga %s (%s)", event.refund_id, saga.saga_id, saga.state)
