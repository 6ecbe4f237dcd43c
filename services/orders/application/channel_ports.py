"""What the channel use cases need from the outside: channel and ingest repositories in the unit of work,
a source of pulled pages, and inventory; plus the plain records they exchange."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.orders.application.ports import OrdersUnitOfWork
from services.orders.domain.channel_events import ChannelEvent
from services.orders.domain.channel_mapping import MappingEntry, MappingKind
from services.orders.domain.channels import FailedIngestState, SyncGate, SyncState
from services.orders.domain.values import Actor, Channel


@dataclass(frozen=True)
class KnownChannelOrder:
    channel_order_id: str
    order_id: str
    version: int
    rank: int

    @property
    def order_key(self) -> tuple[int, int]:
        return (self.version, self.rank)


@dataclass(frozen=True)
class ChannelOrderRecord:
    """The row a channel order keeps: its unified order and the latest snapshot applied to it."""

    channel_order_id: str
    order_id: str
    platform_status: str
    version: int
    rank: int
    buyer_member_id: str
    buyer_nickname: str


@dataclass(frozen=True)
class FailureRecord:
    channel_order_id: str
    payload: bytes
    payload_sha256: str
    reason: str
    field: str
    detail: str


@dataclass(frozen=True)
class RecordedFailure:
    failed_ingest_id: str
    payload_sha256: str
    # True for a new entry (an alert is due); False for a payload that had failed before.
    inserted: bool


@dataclass(frozen=True)
class RetryPolicy:
    """Automatic retries of failed ingests: after ``base`` seconds, doubling up to ``cap``, ``max_attempts``."""

    base_seconds: float = 60.0
    cap_seconds: float = 3600.0
    max_attempts: int = 10


@dataclass(frozen=True)
class FailedIngestView:
    failed_ingest_id: str
    channel: Channel
    channel_order_id: str
    reason: str
    field: str
    detail: str
    payload: bytes
    state: FailedIngestState
    attempts: int
    occurrences: int
    received_at: datetime
    last_attempt_at: datetime
    next_retry_at: datetime | None
    resolved_at: datetime | None
    order_id: str


@dataclass(frozen=True)
class FailedIngestFilter:
    channel: Channel | None = None
    state: FailedIngestState | None = None


@dataclass(frozen=True)
class HourCounts:
    attempts: int = 0
    successes: int = 0
    records: int = 0
    orders_created: int = 0
    orders_updated: int = 0
    failures: int = 0


@dataclass(frozen=True)
class SyncHour:
    hour_start: datetime
    counts: HourCounts


@dataclass(frozen=True)
class ChannelStatusView:
    channel: Channel
    platform: str
    pull_enabled: bool
    endpoint_url: str
    interval_seconds: int
    page_size: int
    webhook_secret_set: bool
    state: SyncState
    pause_reason: str
    paused_at: datetime | None
    last_sync_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str
    stalled_since: datetime | None
    pull_since: datetime | None
    cursor: str
    mapping_version: int
    pending_failed_ingests: int
    surge_exempt_until: datetime | None
    recent_hours: tuple[SyncHour, ...] = ()


@dataclass(frozen=True)
class ChannelSettingsChange:
    """A partial change of a channel's sync settings; None keeps the current value."""

    pull_enabled: bool | None = None
    endpoint_url: str | None = None
    interval_seconds: int | None = None
    page_size: int | None = None
    webhook_secret: str | None = None
    pull_since: datetime | None = None
    reset_cursor: bool = False
    pull_now: bool = False


@dataclass(frozen=True)
class MappingChange:
    kind: MappingKind
    key: str
    value: str
    remove: bool = False


@dataclass(frozen=True)
class PullTarget:
    """A channel due for a pull round, as claimed (its lease held) by this process."""

    channel: Channel
    platform: str
    endpoint_url: str
    page_size: int
    cursor: str
    pull_since: datetime | None
    interval_seconds: int


@dataclass(frozen=True)
class StalledChannel:
    channel: Channel
    last_sync_at: datetime | None
    interval_seconds: int
    last_error: str


@dataclass(frozen=True)
class StockWork:
    """A stock hold to bring in line with what its order needs: reserve (HELD) or give back (RELEASED)."""

    order_id: str
    desired: str
    applied: str
    attempts: int
    lines: tuple[tuple[str, int], ...]
    shipping_province: str


@dataclass(frozen=True)
class StockSettlement:
    """Where a stock hold ended up after the reconciler's call: applied HELD, RELEASED or REFUSED."""

    order_id: str
    applied: str
    reservation_id: str = ""
    error: str = ""


class ChannelRepository(Protocol):
    """The channels table and everything hung on a channel: mappings, hourly counts, sync state."""

    async def gate(self, channel: Channel) -> tuple[SyncGate, int]:
        """The channel's sync gate and its mapping version."""
        ...

    async def mapping_entries(self, channel: Channel) -> Sequence[MappingEntry]: ...

    async def webhook_secret(self, channel: Channel) -> str | None: ...

    async def count_hour(
        self, channel: Channel, hour: datetime, previous_hour: datetime, counts: HourCounts
    ) -> tuple[int, int]:
        """Add ``counts`` to the channel's hour; return the orders created in this hour and the previous."""
        ...

    async def pause(self, channel: Channel, reason: str, now: datetime) -> bool:
        """ACTIVE -> PAUSED unless the surge guard is off for the hour; False when nothing changed."""
        ...

    async def heartbeat(self, channel: Channel, now: datetime) -> datetime | None:
        """Record a successful sync; return since when the channel had been stalled, if it had."""
        ...

    async def record_attempt(self, channel: Channel, now: datetime, error: str) -> None:
        """Remember the last pull attempt and its error (empty when it went well)."""
        ...

    async def status(self, channel: Channel, now: datetime) -> ChannelStatusView: ...

    async def statuses(self, now: datetime) -> Sequence[ChannelStatusView]: ...

    async def configure(self, channel: Channel, change: ChannelSettingsChange, now: datetime) -> None: ...

    async def release(self, channel: Channel, now: datetime, exempt_until: datetime) -> bool:
        """PAUSED -> ACTIVE with the surge guard off until ``exempt_until``; False when it was not paused."""
        ...

    async def set_mappings(
        self, channel: Channel, changes: Sequence[MappingChange], actor: Actor, now: datetime
    ) -> int:
        """Apply the changes and return the new mapping version."""
        ...

    async def list_mappings(
        self, channel: Channel, kind: MappingKind | None, after: tuple[str, str] | None, limit: int
    ) -> Sequence[tuple[MappingEntry, datetime, str]]: ...

    async def claim_due_pulls(self, now: datetime, lease_until: datetime) -> Sequence[PullTarget]:
        """Lease the channels due for a pull and schedule their next round."""
        ...

    async def advance_cursor(self, channel: Channel, before: str, after: str) -> bool:
        """Move the cursor if it is still ``before`` (a concurrent round would have moved it)."""
        ...

    async def end_pull(self, channel: Channel) -> None:
        """Give up the lease of the round (the next one was scheduled when this one was claimed)."""
        ...

    async def mark_stalled(self, now: datetime, grace_seconds: float) -> Sequence[StalledChannel]: ...


class IngestRepository(Protocol):
    """Channel orders, the failed-ingest queue and stock holds."""

    async def lock_known(self, channel: Channel, channel_order_ids: Sequence[str]) -> dict[str, KnownChannelOrder]:
        """The channel orders already known among ``channel_order_ids``, their rows locked in id order."""
        ...

    async def claim(self, channel: Channel, records: Sequence[ChannelOrderRecord], now: datetime) -> set[str]:
        """Insert the rows of new channel orders; return the ids inserted (the others exist already)."""
        ...

    async def link_existing(self, channel: Channel, channel_order_ids: Sequence[str]) -> dict[str, str]:
        """Point channel orders at orders created for them by CreateOrder; returns id -> order id."""
        ...

    async def advance(self, channel: Channel, records: Sequence[ChannelOrderRecord], now: datetime) -> None: ...

    async def want_stock(self, hold: Sequence[str], release: Sequence[str], now: datetime) -> None: ...

    async def release_if_held(self, order_id: str, now: datetime) -> None:
        """Turn the order's stock hold, if it has one, towards RELEASED."""
        ...

    async def hold_again(self, order_id: str, now: datetime) -> bool:
        """Turn the stock of a channel order its channel still reports paid towards HELD when it holds none (never
        asked for, refused by inventory or being given back); False when nothing changed."""
        ...

    async def record_failures(
        self,
        channel: Channel,
        failures: Sequence[FailureRecord],
        now: datetime,
        *,
        retry: bool,
        policy: RetryPolicy,
    ) -> list[RecordedFailure]: ...

    async def resolve_failures(self, channel: Channel, resolved: Sequence[tuple[str, str]], now: datetime) -> None:
        """Mark PENDING entries with these (payload sha256, order id) RESOLVED."""
        ...

    async def failed(self, failed_ingest_id: str, *, lock: bool = False) -> FailedIngestView | None: ...

    async def list_failed(
        self, query: FailedIngestFilter, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[FailedIngestView]: ...

    async def due_failures(self, now: datetime, limit: int) -> Sequence[str]: ...

    async def claim_stock(self, now: datetime, lease_until: datetime, limit: int) -> Sequence[StockWork]: ...

    async def settle_stock(
        self, order_id: str, applied: str, reservation_id: str, error: str, now: datetime
    ) -> None: ...

    async def settle_stock_many(self, settlements: Sequence[StockSettlement], now: datetime) -> None:
        """:meth:`settle_stock` for many holds in one statement (their rows locked in order id order)."""
        ...

    async def retry_stock(self, order_id: str, error: str, next_attempt_at: datetime, now: datetime) -> None: ...


class ChannelsUnitOfWork(OrdersUnitOfWork, Protocol):
    channels: ChannelRepository
    ingest: IngestRepository

    def publish_channel(self, channel: Channel, events: Sequence[ChannelEvent]) -> None: ...
