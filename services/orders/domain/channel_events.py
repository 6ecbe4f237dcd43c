"""Domain events of channels (past tense): alerts and sync-state changes, published with aggregate "channel"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.orders.domain.values import Actor, Channel


@dataclass(frozen=True)
class ChannelIngestFailed:
    failed_ingest_id: str
    channel: Channel
    channel_order_id: str
    reason: str
    field: str
    detail: str
    received_at: datetime


@dataclass(frozen=True)
class ChannelSyncStalled:
    channel: Channel
    last_sync_at: datetime | None
    detected_at: datetime
    interval_seconds: int
    last_error: str


@dataclass(frozen=True)
class ChannelSyncRecovered:
    channel: Channel
    stalled_since: datetime
    recovered_at: datetime


@dataclass(frozen=True)
class ChannelSyncPaused:
    channel: Channel
    reason: str
    orders_this_hour: int
    orders_previous_hour: int
    threshold_percent: int
    paused_at: datetime


@dataclass(frozen=True)
class ChannelSyncReleased:
    channel: Channel
    actor: Actor
    note: str
    released_at: datetime


ChannelEvent = ChannelIngestFailed | ChannelSyncStalled | ChannelSyncRecovered | ChannelSyncPaused | ChannelSyncReleased
