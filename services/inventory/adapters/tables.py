"""The inventory database: warehouses, stock rows, SKU controls, reservations and the stock ledger."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID

metadata = MetaData()

warehouses = Table(
    "warehouses",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("code", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("provinces", ARRAY(Text), nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

stock_items = Table(
    "stock_items",
    metadata,
    Column("sku", Text, nullable=False),
    Column("warehouse_id", UUID(as_uuid=False), ForeignKey("warehouses.id"), nullable=False),
    Column("on_hand", BigInteger, nullable=False),
    Column("reserved", BigInteger, nullable=False),
    Column("safety_stock", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # sku first: every hot query asks for all warehouses of some SKUs.
    PrimaryKeyConstraint("sku", "warehouse_id", name="stock_items_pkey"),
    CheckConstraint("on_hand >= 0 AND reserved >= 0 AND safety_stock >= 0", name="stock_items_not_negative"),
    CheckConstraint("reserved <= on_hand", name="stock_items_reserved_within_on_hand"),
)

sku_controls = Table(
    "sku_controls",
    metadata,
    Column("sku", Text, primary_key=True),
    Column("paused", Boolean, nullable=False),
    Column("paused_at", DateTime(timezone=True)),
    Column("recent_failures", ARRAY(DateTime(timezone=True)), nullable=False),
    Column("pressure_high", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

reservations = Table(
    "reservations",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("order_id", UUID(as_uuid=False), nullable=False, unique=True),
    Column("status", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # None once COMMITTED: a paid order's hold lasts until it ships or is released.
    Column("expires_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("release_reason", Text, nullable=False),
    Column("request_id", Text, nullable=False),
    Column("committed_at", DateTime(timezone=True)),
    CheckConstraint(
        "status IN ('HELD', 'COMMITTED', 'CONFIRMED', 'RELEASED', 'EXPIRED')", name="reservations_status_known"
    ),
    CheckConstraint("status <> 'HELD' OR expires_at IS NOT NULL", name="reservations_held_expire"),
    Index("reservations_held_by_expiry", "expires_at", postgresql_where=text("status = 'HELD'")),
)

reservation_lines = Table(
    "reservation_lines",
    metadata,
    Column("reservation_id", UUID(as_uuid=False), ForeignKey("reservations.id"), nullable=False),
    Column("sku", Text, nullable=False),
    Column("warehouse_id", UUID(as_uuid=False), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    PrimaryKeyConstraint("reservation_id", "sku", name="reservation_lines_pkey"),
    CheckConstraint("quantity > 0", name="reservation_lines_quantity_positive"),
    Index("reservation_lines_by_sku", "sku", "reservation_id"),
)

stock_movements = Table(
    "stock_movements",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("warehouse_id", UUID(as_uuid=False), nullable=False),
    Column("sku", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("on_hand_delta", BigInteger, nullable=False),
    Column("reserved_delta", BigInteger, nullable=False),
    Column("on_hand_after", BigInteger, nullable=False),
    Column("reserved_after", BigInteger, nullable=False),
    Column("safety_stock_after", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("reference", Text, nullable=False),
    Column("order_id", UUID(as_uuid=False)),
    Column("reservation_id", UUID(as_uuid=False)),
    Column("request_id", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Index("stock_movements_by_sku", "sku", "id"),
    Index("stock_movements_by_warehouse", "warehouse_id", "id"),
    Index("stock_movements_by_order", "order_id", "id", postgresql_where=text("order_id IS NOT NULL")),
)
