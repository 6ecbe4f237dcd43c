"""The pricing database: prices, promotions, shipping rules and stored quotes (SQLAlchemy Core)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

metadata = MetaData()

prices = Table(
    "prices",
    metadata,
    Column("sku", Text, primary_key=True),
    Column("currency", Text, primary_key=True),
    Column("unit_price_minor", BigInteger, nullable=False),
    Column("cost_minor", BigInteger, nullable=False),
    Column("floor_minor", BigInteger, nullable=False),
    Column("category", Text, nullable=False, server_default=""),
    Column("version", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(
        "unit_price_minor >= 0 AND cost_minor >= 0 AND floor_minor >= 0 AND floor_minor <= unit_price_minor",
        name="prices_amounts",
    ),
    Index("prices_currency_category", "currency", "category"),
)

promotions = Table(
    "promotions",
    metadata,
    Column("promotion_id", UUID(as_uuid=False), primary_key=True),
    Column("name", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("amount_off_minor", BigInteger, nullable=False),
    Column("percent_off_bps", Integer, nullable=False),
    Column("threshold_minor", BigInteger, nullable=False),
    Column("all_skus", Boolean, nullable=False),
    Column("skus", ARRAY(Text), nullable=False),
    Column("categories", ARRAY(Text), nullable=False),
    Column("eligible_tiers", ARRAY(Text), nullable=False),
    Column("coupon_code", Text, nullable=False),
    Column("stacking_group", Text, nullable=False),
    Column("stackable_with", ARRAY(Text), nullable=False),
    Column("starts_at", DateTime(timezone=True)),
    Column("ends_at", DateTime(timezone=True)),
    Column("max_combined_discount_bps", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("status_reason", Text, nullable=False, server_default=""),
    Column("version", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("status IN ('DRAFT', 'ACTIVE', 'INACTIVE')", name="promotions_status"),
    CheckConstraint("kind IN ('AMOUNT_OFF', 'PERCENT_OFF')", name="promotions_kind"),
    Index("promotions_coupon_code", "coupon_code", unique=True, postgresql_where=text("coupon_code <> ''")),
    Index("promotions_created", "created_at", "promotion_id"),
    Index("promotions_status_created", "status", "created_at", "promotion_id"),
)

shipping_rules = Table(
    "shipping_rules",
    metadata,
    Column("currency", Text, primary_key=True),
    Column("country", Text, primary_key=True),
    Column("province", Text, primary_key=True),
    Column("flat_fee_minor", BigInteger, nullable=False),
    Column("free_over_minor", BigInteger),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

quotes = Table(
    "quotes",
    metadata,
    Column("quote_id", UUID(as_uuid=False), primary_key=True),
    Column("currency", Text, nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("valid_until", DateTime(timezone=True), nullable=False),
    # The priced basket (lines, applied and rejected promotions) as shared.kernel.codec plain data.
    Column("body", JSONB, nullable=False),
    Index("quotes_valid_until", "valid_until"),
)
