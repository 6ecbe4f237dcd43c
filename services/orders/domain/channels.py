"""Sales channels as sources of orders: platforms, sync states, the surge guard, the stall rule, webhooks."""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.orders.domain.errors_channels import ChannelSyncPaused
from services.orders.domain.values import Channel

# The platform whose payload format each channel speaks; the mapping tables are per channel.
PLATFORMS: dict[Channel, str] = {
    Channel.TMALL: "taobao",
    Channel.JD: "jd",
    Channel.DOUYIN: "douyin",
    Channel.PINDUODUO: "pinduoduo",
    Channel.SHOPIFY: "shopify",
    Channel.OWN_SITE: "mini_program",
}


class SyncState(enum.Enum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"


class ChannelState(enum.Enum):
    """Where an order stands on its channel, as the status mapping table translates the platform's status.

    Only UNPAID, PAID and CANCELLED move the unified order; SHIPPED and COMPLETED on the channel are the
    echo of what the hub itself did (or an order the hub never handled), so they change nothing.
    """

    UNPAID = "UNPAID"
    PAID = "PAID"
    SHIPPED = "SHIPPED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"

    @property
    def rank(self) -> int:
        """Tie-break between two snapshots with the same modified time: the later life stage wins."""
        return _RANKS[self]


_RANKS = {
    ChannelState.UNPAID: 1,
    ChannelState.PAID: 2,
    ChannelState.SHIPPED: 3,
    ChannelState.COMPLETED: 4,
    ChannelState.CANCELLED: 5,
}


class StockIntent(enum.Enum):
    """What ingesting a snapshot asks of inventory for its order."""

    NONE = "NONE"
    HOLD = "HOLD"
    RELEASE = "RELEASE"


@dataclass(frozen=True)
class SurgePolicy:
    """Pause a channel when its new orders this hour exceed ``percent`` of the previous hour's.

    A quiet previous hour counts as ``floor`` orders, so the first orders of the morning (or of a new
    channel) do not look like a surge of infinite percent.
    """

    percent: int = 300
    floor: int = 100

    def threshold(self, previous_hour: int) -> int:
        return max(previous_hour, self.floor) * self.percent // 100

    def surging(self, this_hour: int, previous_hour: int) -> bool:
        return this_hour > self.threshold(previous_hour)


def hour_start(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class SyncGate:
    """The part of a channel's sync state an ingest must respect."""

    channel: Channel
    state: SyncState
    surge_exempt_until: datetime | None

    def check_open(self) -> None:
        if self.state is SyncState.PAUSED:
            raise ChannelSyncPaused(self.channel.value)

    def surge_guarded(self, now: datetime) -> bool:
        return self.surge_exempt_until is None or now >= self.surge_exempt_until


def stalled(last_heartbeat: datetime, interval_seconds: int, grace: timedelta, now: datetime) -> bool:
    """A channel is stalled when it has been silent for longer than its interval plus ``grace``."""
    return now - last_heartbeat > timedelta(seconds=interval_seconds) + grace


def retry_delay(attempts: int, base: float, cap: float) -> float:
    """Exponential back-off: ``base`` seconds after the first failure, doubling, at most ``cap``."""
    if attempts <= 0:
        return 0.0
    return min(cap, base * 2 ** min(attempts - 1, 30))


def signature_of(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), payload, hashlib.sha256).digest()


def signature_valid(secret: str, payload: bytes, signature: str) -> bool:
    """Whether ``signature`` is HMAC-SHA256(payload) under ``secret``, as 64 hex digits or base64."""
    text = signature.strip()
    try:
        # 64 characters is hex; a base64 digest is 44.
        given = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(given, signature_of(secret, payload))


class IngestOutcome(enum.Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"
    FAILED = "FAILED"


class FailedIngestState(enum.Enum):
    PENDING = "PENDING"
    RESOLVED = "RESOLVED"
