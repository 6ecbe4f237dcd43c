"""Prometheus gauges of channel sync, refreshed from the database by the watchdog (so every replica reports
the same numbers): heartbeat, stall and pause flags, failed-ingest backlog and this hour's success ratio."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Gauge

from services.orders.application.channel_ports import ChannelStatusView
from services.orders.domain.channels import SyncState

LAST_SYNC = Gauge(
    "oms_channel_last_sync_timestamp_seconds", "End of the last successful sync of a channel (Unix time)", ["channel"]
)
STALLED = Gauge("oms_channel_stalled", "1 while a channel is silent past its interval plus grace", ["channel"])
PAUSED = Gauge("oms_channel_paused", "1 while the surge guard holds a channel", ["channel"])
FAILED_PENDING = Gauge("oms_channel_failed_ingests_pending", "Failed ingests waiting for a retry", ["channel"])
SUCCESS_RATIO = Gauge(
    "oms_channel_sync_success_ratio", "Successful sync attempts / attempts in the current hour", ["channel"]
)


def refresh(statuses: Sequence[ChannelStatusView]) -> None:
    for status in statuses:
        name = status.channel.value
        if status.last_sync_at is not None:
            LAST_SYNC.labels(name).set(status.last_sync_at.timestamp())
        STALLED.labels(name).set(1 if status.stalled_since is not None else 0)
        PAUSED.labels(name).set(1 if status.state is SyncState.PAUSED else 0)
        FAILED_PENDING.labels(name).set(status.pending_failed_ingests)
        if status.recent_hours and status.recent_hours[0].counts.attempts:
            counts = status.recent_hours[0].counts
            SUCCESS_RATIO.labels(name).set(counts.successes / counts.attempts)
