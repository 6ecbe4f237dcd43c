"""Consumes Redis Streams in a consumer group with an inbox, so each event has its effect exactly once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from oms.events.v1 import events_pb2
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError
from sqlalchemy import text

from shared.aio import wait_any
from shared.db import UnitOfWork
from shared.messaging.relay import ENVELOPE_FIELD
from shared.metrics import EVENT_DELIVERY, EVENTS_CONSUMED
from shared.telemetry.events import consuming

log = logging.getLogger(__name__)

Handler = Callable[[events_pb2.EventEnvelope, Any], Awaitable[None]]


class StreamConsumer:
    """Reads ``streams`` as consumer group ``group``; records each event id in the inbox in the handler's
    transaction and acknowledges after commit. Entries left pending by a crashed consumer are reclaimed
    after ``reclaim_idle_ms``; an entry that failed ``max_deliveries`` times goes to ``<stream>.dead``.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        group: str,
        consumer: str,
        streams: Sequence[str],
        handler: Handler,
        unit_of_work: Callable[[], UnitOfWork],
        batch_size: int = 100,
        block_ms: int = 1000,
        reclaim_idle_ms: int = 30_000,
        max_deliveries: int = 10,
    ) -> None:
        self._redis = redis
        self._group = group
        self._consumer = consumer
        self._streams = list(streams)
        self._handler = handler
        self._unit_of_work = unit_of_work
        self._batch_size = batch_size
        self._block_ms = block_ms
        self._reclaim_idle_ms = reclaim_idle_ms
        self._max_deliveries = max_deliveries

    async def ensure_groups(self) -> None:
        for stream in self._streams:
            try:
                await self._redis.xgroup_create(stream, self._group, id="0", mkstream=True)
            except ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise

    async def handle_entry(self, stream: str, entry_id: bytes | str, fields: dict[bytes, bytes]) -> None:
        """Apply one stream entry at most once, then acknowledge it."""
        envelope = events_pb2.EventEnvelope.FromString(fields[ENVELOPE_FIELD])
        # A new trace linked to the emitting transaction, with its baggage (the order's tags).
        with consuming(envelope, stream=stream, group=self._group):
            async with self._unit_of_work() as uow:
                fresh = await uow.session.execute(
                    text(
                        "INSERT INTO inbox (consumer, event_id) VALUES (:c, :e)"
                        " ON CONFLICT DO NOTHING RETURNING event_id"
                    ),
                    {"c": self._group, "e": envelope.id},
                )
                handled = fresh.first() is not None
                if handled:
                    await self._handler(envelope, uow)
                await uow.commit()
            await self._redis.xack(stream, self._group, entry_id)
        EVENTS_CONSUMED.labels(self._group, "handled" if handled else "duplicate").inc()
        if handled and envelope.HasField("occurred_at"):
            EVENT_DELIVERY.labels(self._group).observe(
                max(0.0, time.time() - envelope.occurred_at.ToMicroseconds() / 1e6)
            )

    async def poll_once(self) -> int:
        """Read and handle one batch of new entries; returns how many were handled."""
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
            for entry_id, fields in entries:
                if await self._try(name, entry_id, fields):
                    handled += 1
        return handled

    async def reclaim(self) -> int:
        """Take over entries another consumer left pending too long, and handle them."""
        handled = 0
        for stream in self._streams:
            # Redis 7 answers (cursor, entries, deleted ids); Redis 6.2, the embedded one, (cursor, entries).
            _, entries, *_ = await self._redis.xautoclaim(
                stream,
                self._group,
                self._consumer,
                self._reclaim_idle_ms,
                start_id="0-0",
                count=self._batch_size,
            )
            for entry_id, fields in entries:
                if not fields:
                    continue
                if await self._deliveries(stream, entry_id) > self._max_deliveries:
                    await self._dead_letter(stream, entry_id, fields)
                elif await self._try(stream, entry_id, fields):
                    handled += 1
        return handled

    async def _deliveries(self, stream: str, entry_id: bytes) -> int:
        pending = await self._redis.xpending_range(stream, self._group, min=entry_id, max=entry_id, count=1)
        return int(pending[0]["times_delivered"]) if pending else 0

    async def _dead_letter(self, stream: str, entry_id: bytes, fields: dict[bytes, bytes]) -> None:
        log.error("event %s on %s failed too often; moved to %s.dead", entry_id, stream, stream)
        EVENTS_CONSUMED.labels(self._group, "dead_lettered").inc()
        await self._redis.xadd(f"{stream}.dead", fields)
        await self._redis.xack(stream, self._group, entry_id)

    async def _try(self, stream: str, entry_id: bytes, fields: dict[bytes, bytes]) -> bool:
        try:
            await self.handle_entry(stream, entry_id, fields)
        except asyncio.CancelledError:
            raise
        except Exception:
            EVENTS_CONSUMED.labels(self._group, "failed").inc()
            log.exception("handling event %s on %s failed; it stays pending for a retry", entry_id, stream)
            return False
        return True

    async def run(self, stop: asyncio.Event) -> None:
        await self.ensure_groups()
        last_reclaim = 0.0
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                if loop.time() - last_reclaim > self._reclaim_idle_ms / 1000:
                    last_reclaim = loop.time()
                    await self.reclaim()
                await self.poll_once()
            except (RedisError, OSError) as error:
                log.warning("consumer %s: %s; retrying", self._group, error)
                await wait_any(stop, timeout=1.0)
