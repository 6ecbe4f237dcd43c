"""Orders, order lines and the status history.

Revision ID: orders_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "orders_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("order_id", UUID(as_uuid=False), primary_key=True),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("channel_order_id", sa.Text),
        sa.Column("customer_id", UUID(as_uuid=False), nullable=False),
        sa.Column("customer_tier", sa.Text, nullable=False),
        sa.Column("customer_name", sa.Text, nullable=False),
        sa.Column("order_type", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("resume_status", sa.Text),
        sa.Column("hold_reason", sa.Text, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("subtotal_minor", sa.BigInteger, nullable=False),
        sa.Column("discount_total_minor", sa.BigInteger, nullable=False),
        sa.Column("shipping_fee_minor", sa.BigInteger, nullable=False),
        sa.Column("total_minor", sa.BigInteger, nullable=False),
        sa.Column("ship_recipient", sa.Text, nullable=False),
        sa.Column("ship_phone", sa.Text, nullable=False),
        sa.Column("ship_country", sa.Text, nullable=False),
        sa.Column("ship_province", sa.Text, nullable=False),
        sa.Column("ship_city", sa.Text, nullable=False),
        sa.Column("ship_district", sa.Text, nullable=False),
        sa.Column("ship_detail", sa.Text, nullable=False),
        sa.Column("ship_postal_code", sa.Text, nullable=False),
        sa.Column("buyer_remark", sa.Text, nullable=False),
        sa.Column("seller_remark", sa.Text, nullable=False),
        sa.Column("quote_id", sa.Text, nullable=False),
        sa.Column("payment_id", sa.Text, nullable=False),
        sa.Column("tracking_number", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("channel", "channel_order_id", name="orders_channel_order_unique"),
        sa.CheckConstraint(
            "subtotal_minor >= 0 AND discount_total_minor >= 0 AND shipping_fee_minor >= 0 AND total_minor >= 0",
            name="orders_amounts_not_negative",
        ),
        sa.CheckConstraint("(status IN ('ON_HOLD', 'EXCEPTION')) = (resume_status IS NOT NULL)", name="orders_resume"),
    )
    op.create_index("orders_created", "orders", ["created_at", "order_id"])
    op.create_index("orders_customer_created", "orders", ["customer_id", "created_at", "order_id"])
    op.create_index("orders_status_created", "orders", ["status", "created_at", "order_id"])
    op.create_table(
        "order_lines",
        sa.Column("order_id", UUID(as_uuid=False), sa.ForeignKey("orders.order_id"), primary_key=True),
        sa.Column("line_no", sa.Integer, primary_key=True),
        sa.Column("sku", sa.Text, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger, nullable=False),
        sa.Column("discount_minor", sa.BigInteger, nullable=False),
        sa.CheckConstraint(
            "quantity > 0 AND unit_price_minor >= 0 AND discount_minor >= 0", name="order_lines_positive"
        ),
    )
    op.create_table(
        "order_status_history",
        sa.Column("order_id", UUID(as_uuid=False), sa.ForeignKey("orders.order_id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("from_status", sa.Text),
        sa.Column("to_status", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_subject", sa.Text, nullable=False),
        sa.Column("actor_role", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("order_status_history")
    op.drop_table("order_lines")
    op.drop_table("orders")
