"""Consumes every context's integration events into the audit trail, a whole read batch per transaction.

The shared StreamConsumer handles one event per transaction; audit reads every stream of the suite, so it
records what one XREADGROUP returned in one transaction instead: one inbox insert, one chain-head lock per
chain, one multi-row insert. If a batch fails, its events are retried one by one through the shared path,
so a single bad event cannot hold up the others (and reaches the dead-letter stream as usual).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from oms.events.v1 import events_pb2
from opentelemetry import propagate, trace
from redis.asyncio import Redis
from sqlalchemy import text

from services.audit.adapters.envelopes import EnvelopeMapper
from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.application.handlers import record
from shared.db import utc_now
from shared.kernel.ids import new_id
from shared.messaging import StreamConsumer
from shared.messaging.relay import ENVELOPE_FIELD

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

GROUP = "audit"


class AuditEventConsumer(StreamConsumer):
    def __init__(
        self,
        redis: Redis,
        *,
        consumer: str,
        streams: Sequence[str],
        mapper: EnvelopeMapper,
        unit_of_work: Callable[[], AuditUnitOfWork],
        batch_size: int = 200,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(
            redis,
            group=GROUP,
            consumer=consumer,
            streams=streams,
            handler=self.record_one,
            unit_of_work=unit_of_work,
            batch_size=batch_size,
        )
        self._mapper = mapper
        self._clock = clock

    async def record_one(self, envelope: events_pb2.EventEnvelope, uow: AuditUnitOfWork) -> None:
        """The per-event handler of the shared path (reclaimed entries, and retries of a failed batch)."""
        now = self._clock()
        await record(uow, [self._mapper.draft(envelope, entry_id=new_id(), now=now)], now)

    async def record_batch(self, envelopes: Sequence[events_pb2.EventEnvelope], uow: AuditUnitOfWork) -> int:
        """Record the events not seen before (by the inbox) in the open transaction; returns how many were new."""
        fresh = await uow.session.execute(
            text(
                "INSERT INTO inbox (consumer, event_id) SELECT :c, unnest(CAST(:ids AS text[]))"
                " ON CONFLICT DO NOTHING RETURNING event_id"
            ),
            # Sorted: two transactions claiming overlapping ids then take their row locks in the same order.
            {"c": GROUP, "ids": sorted({e.id for e in envelopes})},
        )
        new_ids = {row.event_id for row in fresh}
        now = self._clock()
        drafts = [self._mapper.draft(e, entry_id=new_id(), now=now) for e in envelopes if e.id in new_ids]
        await record(uow, drafts, now)
        return len(new_ids)

    async def poll_once(self) -> int:
        response = await self._redis.xreadgroup(
            self._group,
            self._consumer,
            {s: ">" for s in self._streams},
            count=self._batch_size,
            block=self._block_ms,
        )
        handled = 0
        for stream, entries in response or []:
            name = stream.decode() if isinstance(stream, bytes) else stream
            if await self._try_batch(name, entries):
                handled += len(entries)
                continue
            for entry_id, fields in entries:
                if await self._try(name, entry_id, fields):
                    handled += 1
        return handled

    async def _try_batch(self, stream: str, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> bool:
        try:
            envelopes = [events_pb2.EventEnvelope.FromString(fields[ENVELOPE_FIELD]) for _, fields in entries]
            links = [
                trace.Link(
                    trace.get_current_span(
                        propagate.extract({"traceparent": e.traceparent, "tracestate": e.tracestate})
                    ).get_span_context()
                )
                for e in envelopes
            ]
            with tracer.start_as_current_span(
                f"consume {stream} batch", kind=trace.SpanKind.CONSUMER, links=links
            ) as span:
                span.set_attribute("messaging.destination.name", stream)
                span.set_attribute("messaging.batch.message_count", len(envelopes))
                async with self._unit_of_work() as uow:
                    await self.record_batch(envelopes, uow)  # type: ignore[arg-type]
                    await uow.commit()
            await self._redis.xack(stream, self._group, *[entry_id for entry_id, _ in entries])
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning(
                "audit batch of %d events on %s failed; retrying them one by one", len(entries), stream, exc_info=True
            )
            return False
        return True
