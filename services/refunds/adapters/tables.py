"""The refunds database (SQLAlchemy Core): refunds, the per-order refund ledger, order exceptions."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

metadata = MetaData()


def _instant(name: str, *, nullable: bool = False) -> Column:
    return Column(name, DateTime(timezone=True), nullable=nullable)


refunds = Table(
    "refunds",
    metadata,
    Column("refund_id", UUID(as_uuid=False), primary_key=True),
    Column("order_id", UUID(as_uuid=False), nullable=False),
    Column("payment_id", UUID(as_uuid=False), nullable=False),
    Column("kind", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("order_type", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("return_status", Text, nullable=False),
    # [{"sku": ..., "quantity": ...}]: read and written with the refund, never queried apart.
    Column("items", JSONB, nullable=False),
    Column("currency", Text, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("shipping_fee_minor", BigInteger, nullable=False),
    Column("shipping_refund_minor", BigInteger, nullable=False),
    Column("shipping_rule", Text, nullable=False),
    Column("captured_minor", BigInteger, nullable=False),
    Column("already_refunded_minor", BigInteger, nullable=False),
    Column("description", Text, nullable=False),
    Column("requested_by_subject", Text, nullable=False),
    Column("requested_by_role", Text, nullable=False),
    Column("policy_version", Text, nullable=False),
    Column("required_roles", ARRAY(Text), nullable=False),
    Column("approvals", JSONB, nullable=False),
    Column("rejection_reason", Text, nullable=False),
    Column("rejected_by", JSONB),
    Column("return_received_by", JSONB),
    _instant("return_received_at", nullable=True),
    Column("return_notes", Text, nullable=False),
    Column("qc_by", JSONB),
    _instant("qc_at", nullable=True),
    Column("qc_notes", Text, nullable=False),
    Column("saga_id", Text, nullable=False),
    Column("payment_refund_id", Text, nullable=False),
    Column("failure_reason", Text, nullable=False),
    Column("exception_id", Text, nullable=False),
    _instant("requested_at"),
    _instant("due_at"),
    _instant("decision_due_at"),
    _instant("escalated_at", nullable=True),
    _instant("overdue_at", nullable=True),
    _instant("completed_at", nullable=True),
    _instant("updated_at"),
)

refund_ledgers = Table(
    "refund_ledgers",
    metadata,
    Column("order_id", UUID(as_uuid=False), primary_key=True),
    Column("currency", Text, nullable=False),
    # The highest captured amount any requester reported for the order.
    Column("captured_minor", BigInteger, nullable=False),
    # Totals of this service's open and completed refunds of the order.
    Column("reserved_minor", BigInteger, nullable=False),
    # Totals of its completed refunds (a part of reserved_minor).
    Column("completed_minor", BigInteger, nullable=False),
    # The highest already-refunded amount any requester reported: refunds made elsewhere show up here.
    Column("reported_refunded_minor", BigInteger, nullable=False),
    _instant("updated_at"),
)

order_exceptions = Table(
    "order_exceptions",
    metadata,
    Column("exception_id", UUID(as_uuid=False), primary_key=True),
    Column("order_id", UUID(as_uuid=False), nullable=False),
    Column("type", Text, nullable=False),
    Column("responsibility", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("items", JSONB, nullable=False),
    Column("raised_by_subject", Text, nullable=False),
    Column("raised_by_role", Text, nullable=False),
    _instant("raised_at"),
    Column("escalation_level", Integer, nullable=False),
    _instant("escalated_at", nullable=True),
    Column("remedy", Text),
    # The whole resolution (remedy, note, who, when, refund / task / gift), set once when RESOLVED.
    Column("resolution", JSONB),
    _instant("updated_at"),
)
