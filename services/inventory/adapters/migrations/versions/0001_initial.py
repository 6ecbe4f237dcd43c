"""Warehouses, stock rows, SKU controls, reservations and the stock ledger.

Revision ID: inventory_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

revision = "inventory_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "warehouses",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("code", sa.Text, nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("provinces", ARRAY(sa.Text), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "stock_items",
        sa.Column("sku", sa.Text, nullable=False),
        sa.Column("warehouse_id", UUID(as_uuid=False), sa.ForeignKey("warehouses.id"), nullable=False),
        sa.Column("on_hand", sa.BigInteger, nullable=False),
        sa.Column("reserved", sa.BigInteger, nullable=False),
        sa.Column("safety_stock", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sku", "warehouse_id", name="stock_items_pkey"),
        sa.CheckConstraint("on_hand >= 0 AND reserved >= 0 AND safety_stock >= 0", name="stock_items_not_negative"),
        sa.CheckConstraint("reserved <= on_hand", name="stock_items_reserved_within_on_hand"),
    )
    op.create_table(
        "sku_controls",
        sa.Column("sku", sa.Text, primary_key=True),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("paused_at", sa.DateTime(timezone=True)),
        sa.Column("recent_failures", ARRAY(sa.DateTime(timezone=True)), nullable=False),
        sa.Column("pressure_high", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "reservations",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("order_id", UUID(as_uuid=False), nullable=False, unique=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("release_reason", sa.Text, nullable=False),
        sa.Column("request_id", sa.Text, nullable=False),
        sa.CheckConstraint("status IN ('HELD', 'CONFIRMED', 'RELEASED', 'EXPIRED')", name="reservations_status_known"),
    )
    op.create_index(
        "reservations_held_by_expiry", "reservations", ["expires_at"], postgresql_where=sa.text("status = 'HELD'")
    )
    op.create_table(
        "reservation_lines",
        sa.Column("reservation_id", UUID(as_uuid=False), sa.ForeignKey("reservations.id"), nullable=False),
        sa.Column("sku", sa.Text, nullable=False),
        sa.Column("warehouse_id", UUID(as_uuid=False), nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("reservation_id", "sku", name="reservation_lines_pkey"),
        sa.CheckConstraint("quantity > 0", name="reservation_lines_quantity_positive"),
    )
    op.create_index("reservation_lines_by_sku", "reservation_lines", ["sku", "reservation_id"])
    op.create_table(
        "stock_movements",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("warehouse_id", UUID(as_uuid=False), nullable=False),
        sa.Column("sku", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("on_hand_delta", sa.BigInteger, nullable=False),
        sa.Column("reserved_delta", sa.BigInteger, nullable=False),
        sa.Column("on_hand_after", sa.BigInteger, nullable=False),
        sa.Column("reserved_after", sa.BigInteger, nullable=False),
        sa.Column("safety_stock_after", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("reference", sa.Text, nullable=False),
        sa.Column("order_id", UUID(as_uuid=False)),
        sa.Column("reservation_id", UUID(as_uuid=False)),
        sa.Column("request_id", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("stock_movements_by_sku", "stock_movements", ["sku", "id"])
    op.create_index("stock_movements_by_warehouse", "stock_movements", ["warehouse_id", "id"])
    op.create_index(
        "stock_movements_by_order",
        "stock_movements",
        ["order_id", "id"],
        postgresql_where=sa.text("order_id IS NOT NULL"),
    )


def downgrade() -> None:
    for table in ("stock_movements", "reservation_lines", "reservations", "sku_controls", "stock_items", "warehouses"):
        op.drop_table(table)
