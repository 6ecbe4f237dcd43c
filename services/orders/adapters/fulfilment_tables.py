"""The fulfilment tables of the orders database: versioned review and routing rules, review decisions,
shipments and their lines, and the untouched-order alerts of the SLA sweeper (SQLAlchemy Core)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from services.orders.adapters.tables import metadata, orders

_INSTANT = DateTime(timezone=True)
WAITING_STATUSES = ("PAID", "UNDER_REVIEW", "APPROVED", "ALLOCATED", "ON_HOLD", "EXCEPTION")

# One row per kind of rules: its newest version (a counter bumped in one statement, so two concurrent
# SetReviewRules never pick the same number) and the version in use.
rule_set_heads = Table(
    "rule_set_heads",
    metadata,
    Column("kind", Text, primary_key=True),
    Column("latest_version", BigInteger, nullable=False),
    Column("active_version", BigInteger),
    CheckConstraint("kind IN ('REVIEW', 'ROUTING')", name="rule_set_heads_kind"),
)

rule_sets = Table(
    "rule_sets",
    metadata,
    Column("kind", Text, ForeignKey("rule_set_heads.kind"), primary_key=True),
    Column("version", BigInteger, primary_key=True),
    # The JSON document exactly as it was accepted.
    Column("rules", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("created_by_subject", Text, nullable=False),
    Column("created_by_role", Text, nullable=False),
    Column("created_at", _INSTANT, nullable=False),
    # Its last activation (every activation is in rule_set_activations).
    Column("activated_by_subject", Text),
    Column("activated_by_role", Text),
    Column("activated_at", _INSTANT),
)

rule_set_activations = Table(
    "rule_set_activations",
    metadata,
    Column("activation_id", BigInteger, Identity(), primary_key=True),
    Column("kind", Text, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("activated_by_subject", Text, nullable=False),
    Column("activated_by_role", Text, nullable=False),
    Column("activated_at", _INSTANT, nullable=False),
)

review_decisions = Table(
    "review_decisions",
    metadata,
    Column("decision_id", BigInteger, Identity(), primary_key=True),
    Column("order_id", UUID(as_uuid=False), ForeignKey("orders.order_id"), nullable=False),
    Column("rule_set_version", BigInteger, nullable=False),
    Column("rule_id", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("queue", Text, nullable=False),
    Column("reason", Text, nullable=False),
    # The status the review left the order in.
    Column("status", Text, nullable=False),
    Column("decided_at", _INSTANT, nullable=False),
    CheckConstraint("outcome IN ('APPROVE', 'HOLD', 'REJECT')", name="review_decisions_outcome"),
    Index("review_decisions_order", "order_id", "decided_at"),
)

shipments = Table(
    "shipments",
    metadata,
    Column("shipment_id", UUID(as_uuid=False), primary_key=True),
    Column("warehouse_code", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("rush", Boolean, nullable=False),
    # The earliest payment of its orders: the queue order after rush, and the start of the merge window.
    Column("paid_at", _INSTANT, nullable=False),
    # NULL: never merged with another order (presale).
    Column("merge_key", Text),
    Column("created_at", _INSTANT, nullable=False),
    Column("updated_at", _INSTANT, nullable=False),
    Column("claimed_by_subject", Text),
    Column("claimed_by_role", Text),
    Column("claimed_at", _INSTANT),
    Column("confirm_by", _INSTANT),
    Column("tracking_number", Text, nullable=False, server_default=""),
    Column("shipped_at", _INSTANT),
    Column("shipped_by_subject", Text),
    Column("shipped_by_role", Text),
    Column("overdue_at", _INSTANT),
    CheckConstraint("status IN ('PENDING', 'CLAIMED', 'SHIPPED', 'CANCELLED')", name="shipments_status"),
    CheckConstraint("(status = 'PENDING') = (claimed_at IS NULL) OR status = 'CANCELLED'", name="shipments_claim"),
    CheckConstraint("(status = 'SHIPPED') = (tracking_number <> '')", name="shipments_tracking"),
    # A warehouse's queue: rush first, then by paid time.
    Index("shipments_queue", "warehouse_code", "status", text("rush DESC"), "paid_at", "shipment_id"),
    Index("shipments_mergeable", "merge_key", "warehouse_code", postgresql_where=text("status = 'PENDING'")),
    Index(
        "shipments_due",
        "confirm_by",
        postgresql_where=text("status = 'CLAIMED' AND overdue_at IS NULL"),
    ),
)

# Each order line is in exactly one shipment: the primary key refuses a line allocated twice.
shipment_lines = Table(
    "shipment_lines",
    metadata,
    Column("order_id", UUID(as_uuid=False), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("shipment_id", UUID(as_uuid=False), ForeignKey("shipments.shipment_id"), nullable=False),
    Column("sku", Text, nullable=False),
    Column("quantity", Integer, nullable=False),
    CheckConstraint("quantity > 0", name="shipment_lines_positive"),
    Index("shipment_lines_shipment", "shipment_id"),
)

# The last untouched stretch of each order that raised OrderOverdue: a stretch is alerted once, by the
# replica whose upsert moves untouched_since forward.
order_overdue_alerts = Table(
    "order_overdue_alerts",
    metadata,
    Column("order_id", UUID(as_uuid=False), primary_key=True),
    Column("untouched_since", _INSTANT, nullable=False),
    Column("status", Text, nullable=False),
    Column("alerted_at", _INSTANT, nullable=False),
)

# The SLA sweeper's search: orders waiting for someone, by how long they have been untouched.
orders_waiting_untouched = Index(
    "orders_waiting_untouched",
    orders.c.updated_at,
    postgresql_where=text("status IN (" + ", ".join(f"'{s}'" for s in WAITING_STATUSES) + ")"),
)

FULFILMENT_TABLES = [
    rule_set_heads,
    rule_sets,
    rule_set_activations,
    review_decisions,
    shipments,
    shipment_lines,
    order_overdue_alerts,
]
