"""Prices, promotions, shipping rules and quotes.

Revision ID: pricing_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision = "pricing_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prices",
        sa.Column("sku", sa.Text, primary_key=True),
        sa.Column("currency", sa.Text, primary_key=True),
        sa.Column("unit_price_minor", sa.BigInteger, nullable=False),
        sa.Column("cost_minor", sa.BigInteger, nullable=False),
        sa.Column("floor_minor", sa.BigInteger, nullable=False),
        sa.Column("category", sa.Text, nullable=False, server_default=""),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "unit_price_minor >= 0 AND cost_minor >= 0 AND floor_minor >= 0 AND floor_minor <= unit_price_minor",
            name="prices_amounts",
        ),
    )
    op.create_index("prices_currency_category", "prices", ["currency", "category"])
    op.create_table(
        "promotions",
        sa.Column("promotion_id", UUID(as_uuid=False), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("amount_off_minor", sa.BigInteger, nullable=False),
        sa.Column("percent_off_bps", sa.Integer, nullable=False),
        sa.Column("threshold_minor", sa.BigInteger, nullable=False),
        sa.Column("all_skus", sa.Boolean, nullable=False),
        sa.Column("skus", ARRAY(sa.Text), nullable=False),
        sa.Column("categories", ARRAY(sa.Text), nullable=False),
        sa.Column("eligible_tiers", ARRAY(sa.Text), nullable=False),
        sa.Column("coupon_code", sa.Text, nullable=False),
        sa.Column("stacking_group", sa.Text, nullable=False),
        sa.Column("stackable_with", ARRAY(sa.Text), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True)),
        sa.Column("ends_at", sa.DateTime(timezone=True)),
        sa.Column("max_combined_discount_bps", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("status_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('DRAFT', 'ACTIVE', 'INACTIVE')", name="promotions_status"),
        sa.CheckConstraint("kind IN ('AMOUNT_OFF', 'PERCENT_OFF')", name="promotions_kind"),
    )
    op.create_index(
        "promotions_coupon_code",
        "promotions",
        ["coupon_code"],
        unique=True,
        postgresql_where=sa.text("coupon_code <> ''"),
    )
    op.create_index("promotions_created", "promotions", ["created_at", "promotion_id"])
    op.create_index("promotions_status_created", "promotions", ["status", "created_at", "promotion_id"])
    op.create_table(
        "shipping_rules",
        sa.Column("currency", sa.Text, primary_key=True),
        sa.Column("country", sa.Text, primary_key=True),
        sa.Column("province", sa.Text, primary_key=True),
        sa.Column("flat_fee_minor", sa.BigInteger, nullable=False),
        sa.Column("free_over_minor", sa.BigInteger),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "quotes",
        sa.Column("quote_id", UUID(as_uuid=False), primary_key=True),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("total_minor", sa.BigInteger, nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", JSONB, nullable=False),
    )
    op.create_index("quotes_valid_until", "quotes", ["valid_until"])


def downgrade() -> None:
    op.drop_table("quotes")
    op.drop_table("shipping_rules")
    op.drop_table("promotions")
    op.drop_table("prices")
