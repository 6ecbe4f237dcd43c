"""Watching channels: the stall alarm (the 47-minute silent outage must page someone) and the automatic
retries of the failed-ingest queue."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from services.orders.application.channel_commands import RetryFailedIngest
from services.orders.application.channel_ingest import IngestContext, retry_failed_ingest
from services.orders.application.channel_ports import ChannelsUnitOfWork, StalledChannel
from services.orders.domain import channel_events as cev
from services.orders.domain.errors_channels import ChannelSyncPaused

log = logging.getLogger(__name__)


async def detect_stalls(uow: ChannelsUnitOfWork, ctx: IngestContext, grace_seconds: float) -> Sequence[StalledChannel]:
    """Mark and announce (once per stall) every channel silent for longer than its interval plus the grace."""
    now = ctx.clock()
    async with uow:
        stalled = await uow.channels.mark_stalled(now, grace_seconds)
        for channel in stalled:
            log.error(
                "channel %s stalled: no successful sync since %s (interval %ss) %s",
                channel.channel.value,
                channel.last_sync_at.isoformat() if channel.last_sync_at else "ever",
                channel.interval_seconds,
                channel.last_error,
            )
            uow.publish_channel(
                channel.channel,
                [
                    cev.ChannelSyncStalled(
                        channel.channel, channel.last_sync_at, now, channel.interval_seconds, channel.last_error
                    )
                ],
            )
        await uow.commit()
    return stalled


async def retry_due_failures(unit_of_work: Callable[[], ChannelsUnitOfWork], ctx: IngestContext, limit: int) -> int:
    """Retry the failed ingests whose back-off has run out; returns how many were tried."""
    async with unit_of_work() as uow:
        due = await uow.ingest.due_failures(ctx.clock(), limit)
    for failed_ingest_id in due:
        try:
            await retry_failed_ingest(RetryFailedIngest("", failed_ingest_id), unit_of_work(), ctx)
        except ChannelSyncPaused:
            # Its channel is held by the surge guard: the entry waits, it is not given up.
            continue
    return len(due)
