"""The orders database: orders, their lines and their status history (SQLAlchemy Core)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import UUID

metadata = MetaData()

orders = Table(
    "orders",
    metadata,
    Column("order_id", UUID(as_uuid=False), primary_key=True),
    Column("channel", Text, nullable=False),
    # NULL when the channel gave no id; NULLs never collide in the unique constraint below.
    Column("channel_order_id", Text),
    Column("customer_id", UUID(as_uuid=False), nullable=False),
    Column("customer_tier", Text, nullable=False),
    Column("customer_name", Text, nullable=False),
    Column("order_type", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("resume_status", Text),
    Column("hold_reason", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("subtotal_minor", BigInteger, nullable=False),
    Column("discount_total_minor", BigInteger, nullable=False),
    Column("shipping_fee_minor", BigInteger, nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("ship_recipient", Text, nullable=False),
    Column("ship_phone", Text, nullable=False),
    Column("ship_country", Text, nullable=False),
    Column("ship_province", Text, nullable=False),
    Column("ship_city", Text, nullable=False),
    Column("ship_district", Text, nullable=False),
    Column("ship_detail", Text, nullable=False),
    Column("ship_postal_code", Text, nullable=False),
    Column("buyer_remark", Text, nullable=False),
    Column("seller_remark", Text, nullable=False),
    Column("quote_id", Text, nullable=False),
    Column("payment_id", Text, nullable=False),
    Column("tracking_number", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("channel", "channel_order_id", name="orders_channel_order_unique"),
    CheckConstraint(
        "subtotal_minor >= 0 AND discount_total_minor >= 0 AND shipping_fee_minor >= 0 AND total_minor >= 0",
        name="orders_amounts_not_negative",
    ),
    CheckConstraint("(status IN ('ON_HOLD', 'EXCEPTION')) = (resume_status IS NOT NULL)", name="orders_resume"),
    # Keyset pagination on (created_at, order_id), alone or after the usual equality filters.
    Index("orders_created", "created_at", "order_id"),
    Index("orders_customer_created", "customer_id", "created_at", "order_id"),
    Index("orders_status_created", "status", "created_at", "order_id"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", UUID(as_uuid=False), ForeignKey("orders.order_id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("sku", Text, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_minor", BigInteger, nullable=False),
    Column("discount_minor", BigInteger, nullable=False),
    CheckConstraint("quantity > 0 AND unit_price_minor >= 0 AND discount_minor >= 0", name="order_lines_positive"),
)

order_status_history = Table(
    "order_status_history",
    metadata,
    Column("order_id", UUID(as_uuid=False), ForeignKey("orders.order_id"), primary_key=True),
    # 1-based position in the order's history; the primary key refuses a lost concurrent append.
    Column("seq", Integer, primary_key=True),
    Column("from_status", Text),
    Column("to_status", Text, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("actor_subject", Text, nullable=False),
    Column("actor_role", Text, nullable=False),
    Column("reason", Text, nullable=False),
)
