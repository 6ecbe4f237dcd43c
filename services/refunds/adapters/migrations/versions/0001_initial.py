"""Refunds, the per-order refund ledger and order exceptions.

Revision ID: refunds_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision = "refunds_0001"
down_revision = None
branch_labels = None
depends_on = None

_STATUSES = (
    "'PENDING_APPROVAL', 'AWAITING_RETURN', 'READY_FOR_EXECUTION', 'EXECUTING', 'COMPLETED', 'REJECTED', 'FAILED'"
)
_OPEN = "'PENDING_APPROVAL', 'AWAITING_RETURN', 'READY_FOR_EXECUTION', 'EXECUTING'"


def _instant(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "refunds",
        sa.Column("refund_id", UUID(as_uuid=False), primary_key=True),
        sa.Column("order_id", UUID(as_uuid=False), nullable=False),
        sa.Column("payment_id", UUID(as_uuid=False), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("order_type", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("return_status", sa.Text, nullable=False),
        sa.Column("items", JSONB, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("shipping_fee_minor", sa.BigInteger, nullable=False),
        sa.Column("shipping_refund_minor", sa.BigInteger, nullable=False),
        sa.Column("shipping_rule", sa.Text, nullable=False),
        sa.Column("captured_minor", sa.BigInteger, nullable=False),
        sa.Column("already_refunded_minor", sa.BigInteger, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("requested_by_subject", sa.Text, nullable=False),
        sa.Column("requested_by_role", sa.Text, nullable=False),
        sa.Column("policy_version", sa.Text, nullable=False),
        sa.Column("required_roles", ARRAY(sa.Text), nullable=False),
        sa.Column("approvals", JSONB, nullable=False),
        sa.Column("rejection_reason", sa.Text, nullable=False),
        sa.Column("rejected_by", JSONB),
        sa.Column("return_received_by", JSONB),
        _instant("return_received_at", nullable=True),
        sa.Column("return_notes", sa.Text, nullable=False),
        sa.Column("qc_by", JSONB),
        _instant("qc_at", nullable=True),
        sa.Column("qc_notes", sa.Text, nullable=False),
        sa.Column("saga_id", sa.Text, nullable=False),
        sa.Column("payment_refund_id", sa.Text, nullable=False),
        sa.Column("failure_reason", sa.Text, nullable=False),
        sa.Column("exception_id", sa.Text, nullable=False),
        _instant("requested_at"),
        _instant("due_at"),
        _instant("decision_due_at"),
        _instant("escalated_at", nullable=True),
        _instant("overdue_at", nullable=True),
        _instant("completed_at", nullable=True),
        _instant("updated_at"),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name="refunds_status_known"),
        sa.CheckConstraint(
            "return_status IN ('NOT_REQUIRED', 'AWAITING', 'RECEIVED', 'QC_PASSED', 'QC_FAILED')",
            name="refunds_return_status_known",
        ),
        sa.CheckConstraint("amount_minor > 0", name="refunds_amount_positive"),
        sa.CheckConstraint(
            "shipping_refund_minor >= 0 AND shipping_refund_minor <= shipping_fee_minor",
            name="refunds_shipping_refund_within_fee",
        ),
        sa.CheckConstraint(
            "amount_minor + shipping_refund_minor + already_refunded_minor <= captured_minor",
            name="refunds_total_within_reported_capture",
        ),
    )
    op.create_index("refunds_order", "refunds", ["order_id", "refund_id"])
    op.create_index("refunds_status", "refunds", ["status", "refund_id"])
    # The sweeper's two questions, each answered from a small partial index.
    op.create_index(
        "refunds_undecided",
        "refunds",
        ["decision_due_at"],
        postgresql_where=sa.text("status = 'PENDING_APPROVAL' AND escalated_at IS NULL"),
    )
    op.create_index(
        "refunds_open_not_overdue",
        "refunds",
        ["due_at"],
        postgresql_where=sa.text(f"overdue_at IS NULL AND status IN ({_OPEN})"),
    )
    op.create_table(
        "refund_ledgers",
        sa.Column("order_id", UUID(as_uuid=False), primary_key=True),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("captured_minor", sa.BigInteger, nullable=False),
        sa.Column("reserved_minor", sa.BigInteger, nullable=False),
        sa.Column("completed_minor", sa.BigInteger, nullable=False),
        sa.Column("reported_refunded_minor", sa.BigInteger, nullable=False),
        _instant("updated_at"),
        sa.CheckConstraint(
            "reserved_minor >= 0 AND completed_minor >= 0 AND reported_refunded_minor >= 0",
            name="refund_ledgers_not_negative",
        ),
        sa.CheckConstraint("completed_minor <= reserved_minor", name="refund_ledgers_completed_within_reserved"),
        # The last line of defence against refunding twice: whatever the code does, the database refuses
        # open plus completed refunds above the captured amount.
        sa.CheckConstraint("reserved_minor <= captured_minor", name="refund_ledgers_reserved_within_captured"),
    )
    op.create_table(
        "order_exceptions",
        sa.Column("exception_id", UUID(as_uuid=False), primary_key=True),
        sa.Column("order_id", UUID(as_uuid=False), nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("responsibility", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("items", JSONB, nullable=False),
        sa.Column("raised_by_subject", sa.Text, nullable=False),
        sa.Column("raised_by_role", sa.Text, nullable=False),
        _instant("raised_at"),
        sa.Column("escalation_level", sa.Integer, nullable=False),
        _instant("escalated_at", nullable=True),
        sa.Column("remedy", sa.Text),
        sa.Column("resolution", JSONB),
        _instant("updated_at"),
        sa.CheckConstraint("status IN ('OPEN', 'RESOLVED')", name="order_exceptions_status_known"),
        sa.CheckConstraint(
            "(status = 'RESOLVED') = (resolution IS NOT NULL AND remedy IS NOT NULL)",
            name="order_exceptions_resolved_with_remedy",
        ),
        sa.CheckConstraint("escalation_level >= 0", name="order_exceptions_level_not_negative"),
    )
    op.create_index("order_exceptions_order", "order_exceptions", ["order_id", "exception_id"])
    op.create_index("order_exceptions_status", "order_exceptions", ["status", "exception_id"])
    op.create_index(
        "order_exceptions_open", "order_exceptions", ["raised_at"], postgresql_where=sa.text("status = 'OPEN'")
    )


def downgrade() -> None:
    op.drop_table("order_exceptions")
    op.drop_table("refund_ledgers")
    op.drop_table("refunds")
