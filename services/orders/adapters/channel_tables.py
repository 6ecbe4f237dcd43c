"""The channel tables of the orders database: sync state, mapping tables, channel orders, failed ingests,
hourly sync counts and the stock holds that channel orders ask of inventory (SQLAlchemy Core)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from services.orders.adapters.tables import metadata

_NOW = text("now()")

channels = Table(
    "channels",
    metadata,
    Column("channel", Text, primary_key=True),
    Column("platform", Text, nullable=False),
    Column("pull_enabled", Boolean, nullable=False, server_default=text("false")),
    Column("endpoint_url", Text, nullable=False, server_default=""),
    Column("interval_seconds", Integer, nullable=False, server_default=text("300")),
    Column("page_size", Integer, nullable=False, server_default=text("100")),
    # Needed in clear to check HMACs; never returned by any call.
    Column("webhook_secret", Text),
    Column("state", Text, nullable=False, server_default="ACTIVE"),
    Column("pause_reason", Text, nullable=False, server_default=""),
    Column("paused_at", DateTime(timezone=True)),
    Column("surge_exempt_until", DateTime(timezone=True)),
    Column("pull_since", DateTime(timezone=True)),
    Column("cursor", Text, nullable=False, server_default=""),
    Column("next_pull_at", DateTime(timezone=True), nullable=False, server_default=_NOW),
    # A pull round in progress holds the channel until then, so replicas never pull one channel twice.
    Column("pull_lease_until", DateTime(timezone=True)),
    Column("last_sync_at", DateTime(timezone=True)),
    Column("last_attempt_at", DateTime(timezone=True)),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("stalled_since", DateTime(timezone=True)),
    # Where the stall watchdog starts counting for a channel that never synced.
    Column("watch_from", DateTime(timezone=True), nullable=False, server_default=_NOW),
    Column("mapping_version", BigInteger, nullable=False, server_default=text("1")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=_NOW),
    CheckConstraint("state IN ('ACTIVE', 'PAUSED')", name="channels_state"),
    CheckConstraint("interval_seconds > 0 AND page_size > 0", name="channels_positive"),
)

channel_mappings = Table(
    "channel_mappings",
    metadata,
    Column("channel", Text, ForeignKey("channels.channel"), primary_key=True),
    Column("kind", Text, primary_key=True),
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=_NOW),
    Column("updated_by", Text, nullable=False),
    CheckConstraint("kind IN ('FIELD', 'STATUS', 'SKU', 'DEFAULT', 'FORMAT')", name="channel_mappings_kind"),
)

# One row per order a channel ever sent; its (version, rank) is the latest snapshot applied, and the
# conditional update on it is what keeps updates in order and never backwards.
channel_orders = Table(
    "channel_orders",
    metadata,
    Column("channel", Text, primary_key=True),
    Column("channel_order_id", Text, primary_key=True),
    Column("order_id", UUID(as_uuid=False), nullable=False),
    Column("platform_status", Text, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("rank", Integer, nullable=False),
    Column("buyer_member_id", Text, nullable=False),
    Column("buyer_nickname", Text, nullable=False),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Index("channel_orders_order", "order_id"),
)

failed_ingests = Table(
    "failed_ingests",
    metadata,
    Column("failed_ingest_id", UUID(as_uuid=False), primary_key=True),
    Column("channel", Text, nullable=False),
    Column("channel_order_id", Text, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("payload_sha256", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("field", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("occurrences", Integer, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("last_attempt_at", DateTime(timezone=True), nullable=False),
    Column("next_retry_at", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("order_id", UUID(as_uuid=False)),
    # The same payload failing again is one entry seen twice, not a second entry.
    UniqueConstraint("channel", "payload_sha256", name="failed_ingests_payload"),
    CheckConstraint("state IN ('PENDING', 'RESOLVED')", name="failed_ingests_state"),
    Index("failed_ingests_listing", "received_at", "failed_ingest_id"),
    Index("failed_ingests_due", "next_retry_at", postgresql_where=text("next_retry_at IS NOT NULL")),
)

channel_sync_hours = Table(
    "channel_sync_hours",
    metadata,
    Column("channel", Text, primary_key=True),
    Column("hour_start", DateTime(timezone=True), primary_key=True),
    Column("attempts", BigInteger, nullable=False, server_default=text("0")),
    Column("successes", BigInteger, nullable=False, server_default=text("0")),
    Column("records", BigInteger, nullable=False, server_default=text("0")),
    Column("orders_created", BigInteger, nullable=False, server_default=text("0")),
    Column("orders_updated", BigInteger, nullable=False, server_default=text("0")),
    Column("failures", BigInteger, nullable=False, server_default=text("0")),
)

# What inventory should hold for a channel order (desired) and what it is known to hold (applied); the
# stock reconciler works off the rows whose next_attempt_at is set.
stock_holds = Table(
    "stock_holds",
    metadata,
    Column("order_id", UUID(as_uuid=False), primary_key=True),
    Column("desired", Text, nullable=False),
    Column("applied", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("lease_until", DateTime(timezone=True)),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("reservation_id", Text, nullable=False, server_default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("desired IN ('HELD', 'RELEASED')", name="stock_holds_desired"),
    CheckConstraint("applied IN ('NONE', 'HELD', 'RELEASED', 'REFUSED')", name="stock_holds_applied"),
    Index("stock_holds_due", "next_attempt_at", postgresql_where=text("next_attempt_at IS NOT NULL")),
)

CHANNEL_TABLES = [channels, channel_mappings, channel_orders, failed_ingests, channel_sync_hours, stock_holds]
