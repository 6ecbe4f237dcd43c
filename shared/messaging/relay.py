"""Moves committed outbox rows to Redis Streams; at least once, in commit order per relay."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import asyncpg
from google.protobuf.message import DecodeError
from oms.events.v1 import events_pb2
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import Row, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.aio import wait_any
from shared.db import OUTBOX_CHANNEL
from shared.metrics import OUTBOX_OLDEST_AGE, OUTBOX_PUBLISH_ERRORS, OUTBOX_PUBLISHED
from shared.telemetry.events import record_publication

log = logging.getLogger(__name__)

ENVELOPE_FIELD = b"envelope"


class OutboxRelay:
    """Publishes unpublished outbox rows in batches, woken by NOTIFY and by a poll as a fallback.

    Several relays (replicas) may run on one database: ``FOR UPDATE SKIP LOCKED`` gives each batch to
    one of them. A crash between XADD and the UPDATE republishes the batch; consumers deduplicate on id.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        redis: Redis,
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        stream_max_length: int = 1_000_000,
        keep_published_hours: int = 24,
    ) -> None:
        self._engine = engine
        self._redis = redis
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._max_length = stream_max_length
        self._keep_hours = keep_published_hours
        self._wake = asyncio.Event()

    async def publish_batch(self) -> int:
        """Publish up to one batch; returns how many rows it published."""
        async with self._engine.begin() as connection:
            rows = (
                await connection.execute(
                    text(
                        "SELECT id, stream, envelope, extract(epoch FROM clock_timestamp() - created_at) AS age"
                        " FROM outbox WHERE published_at IS NULL"
                        " ORDER BY position LIMIT :n FOR UPDATE SKIP LOCKED"
                    ),
                    {"n": self._batch_size},
                )
            ).all()
            # The outbox lag as the relay sees it: rows locked by another relay are that relay's to measure.
            OUTBOX_OLDEST_AGE.set(max((float(row.age) for row in rows), default=0.0))
            if not rows:
                return 0
            pipeline = self._redis.pipeline(transaction=False)
            for row in rows:
                pipeline.xadd(
                    row.stream,
                    {ENVELOPE_FIELD: row.envelope},
                    maxlen=self._max_length,
                    approximate=True,
                )
            await pipeline.execute()
            published_ns = time.time_ns()
            await connection.execute(
                text("UPDATE outbox SET published_at = now() WHERE id = ANY(:ids)"),
                {"ids": [row.id for row in rows]},
            )
        self._observe(rows, published_ns)
        return len(rows)

    def _observe(self, rows: Sequence[Row[Any]], published_ns: int) -> None:
        """Metrics and one publish span per event (in the trace of the transaction that emitted it)."""
        for stream, count in Counter(row.stream for row in rows).items():
            OUTBOX_PUBLISHED.labels(stream).inc(count)
        if len(rows) < self._batch_size:
            OUTBOX_OLDEST_AGE.set(0.0)
        envelopes = []
        for row in rows:
            try:
                envelopes.append((row.stream, events_pb2.EventEnvelope.FromString(row.envelope)))
            except DecodeError:
                log.warning("outbox row %s holds no readable envelope; published without a span", row.id)
        record_publication(envelopes, published_ns=published_ns)

    async def prune(self) -> None:
        """Forget rows published long ago (the stream and the consumers have them)."""
        async with self._engine.begin() as connection:
            await connection.execute(
                text("DELETE FROM outbox WHERE published_at < now() - make_interval(hours => :h)"),
                {"h": self._keep_hours},
            )

    async def run(self, stop: asyncio.Event) -> None:
        listener = await self._listen()
        try:
            cycles = 0
            while not stop.is_set():
                self._wake.clear()
                try:
                    published = await self.publish_batch()
                except (OSError, asyncpg.PostgresError, DBAPIError, RedisError) as error:
                    OUTBOX_PUBLISH_ERRORS.inc()
                    log.warning("outbox relay: %s; retrying in %.1fs", error, self._poll_interval)
                    await wait_any(stop, timeout=self._poll_interval)
                    continue
                if published == self._batch_size:
                    continue
                cycles += 1
                if cycles % 600 == 0:
                    with contextlib.suppress(OSError, asyncpg.PostgresError, DBAPIError):
                        await self.prune()
                await wait_any(stop, self._wake, timeout=self._poll_interval)
        finally:
            if listener is not None:
                await listener.close()

    async def _listen(self) -> asyncpg.Connection | None:
        """A dedicated connection LISTENing for commits that wrote outbox rows."""
        url = self._engine.url
        try:
            connection = await asyncpg.connect(
                host=url.host, port=url.port, user=url.username, password=url.password, database=url.database
            )
        except (OSError, asyncpg.PostgresError) as error:
            log.warning("outbox relay cannot LISTEN (%s); polling only", error)
            return None
        await connection.add_listener(OUTBOX_CHANNEL, lambda *_: self._wake.set())
        return connection
