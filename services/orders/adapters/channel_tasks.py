"""The background work of channel ingest, as tasks of the service process: pulls on schedule, the stall
watchdog, failed-ingest retries and the stock reconciler (woken at once when an ingest wants stock)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from services.orders.adapters import channel_metrics
from services.orders.application.channel_admin import channel_statuses
from services.orders.application.channel_ingest import IngestContext
from services.orders.application.channel_ports import ChannelsUnitOfWork
from services.orders.application.channel_pull import ChannelPuller
from services.orders.application.channel_watch import detect_stalls, retry_due_failures
from services.orders.application.stock_sync import StockReconciler
from shared.aio import every, wait_any

log = logging.getLogger(__name__)


class StopAwareSleep:
    """A back-off sleep that ends early when the service stops (set by the task running the pulls)."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        await wait_any(self.stop, timeout=seconds)


class ChannelPulls:
    def __init__(self, puller: ChannelPuller, sleep: StopAwareSleep, tick_seconds: float) -> None:
        self._puller = puller
        self._sleep = sleep
        self._tick = tick_seconds

    async def run(self, stop: asyncio.Event) -> None:
        self._sleep.stop = stop
        await every(self._tick, stop, self._puller.pull_due, name="orders.channel-pulls")


class ChannelWatchdog:
    def __init__(
        self,
        unit_of_work: Callable[[], ChannelsUnitOfWork],
        ctx: IngestContext,
        grace_seconds: float,
        interval_seconds: float,
    ) -> None:
        self._uow = unit_of_work
        self._ctx = ctx
        self._grace = grace_seconds
        self._interval = interval_seconds

    async def check(self) -> None:
        await detect_stalls(self._uow(), self._ctx, self._grace)
        channel_metrics.refresh(await channel_statuses(self._uow(), clock=self._ctx.clock))

    async def run(self, stop: asyncio.Event) -> None:
        await every(self._interval, stop, self.check, name="orders.channel-watchdog")


class FailedIngestRetrier:
    def __init__(
        self, unit_of_work: Callable[[], ChannelsUnitOfWork], ctx: IngestContext, interval_seconds: float, batch: int
    ) -> None:
        self._uow = unit_of_work
        self._ctx = ctx
        self._interval = interval_seconds
        self._batch = batch

    async def retry(self) -> None:
        await retry_due_failures(self._uow, self._ctx, self._batch)

    async def run(self, stop: asyncio.Event) -> None:
        await every(self._interval, stop, self.retry, name="orders.failed-ingest-retrier")


class StockLoop:
    """Runs the stock reconciler every interval, at once when woken, and back to back while work remains."""

    def __init__(self, reconciler: StockReconciler, interval_seconds: float, batch_size: int) -> None:
        self._reconciler = reconciler
        self._interval = interval_seconds
        self._batch = batch_size
        self.wake = asyncio.Event()

    def wanted(self) -> None:
        self.wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.wake.clear()
            handled = 0
            try:
                handled = await self._reconciler.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("stock reconciliation failed; it runs again in %.1fs", self._interval)
            if handled < self._batch:
                await wait_any(stop, self.wake, timeout=self._interval)
