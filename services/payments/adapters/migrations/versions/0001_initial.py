"""Payments, provider operations, provider callbacks and the callback retry schedule.

Revision ID: payments_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "payments_0001"
down_revision = None
branch_labels = None
depends_on = None

_STATUSES = "'AUTHORIZING', 'AUTHORIZED', 'CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED', 'VOIDED', 'DECLINED', 'FAILED'"


def _instant(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "payments",
        sa.Column("payment_id", UUID(as_uuid=False), primary_key=True),
        sa.Column("order_id", UUID(as_uuid=False), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("authorized_minor", sa.BigInteger, nullable=False),
        sa.Column("captured_minor", sa.BigInteger, nullable=False),
        sa.Column("refunded_minor", sa.BigInteger, nullable=False),
        sa.Column("refund_pending_minor", sa.BigInteger, nullable=False),
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("provider_reference", sa.Text, nullable=False),
        sa.Column("failure_reason", sa.Text, nullable=False),
        _instant("created_at"),
        _instant("updated_at"),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name="payments_status_known"),
        sa.CheckConstraint("amount_minor > 0", name="payments_amount_positive"),
        sa.CheckConstraint(
            "authorized_minor >= 0 AND captured_minor >= 0 AND refunded_minor >= 0 AND refund_pending_minor >= 0",
            name="payments_amounts_not_negative",
        ),
        sa.CheckConstraint("captured_minor <= authorized_minor", name="payments_capture_within_authorized"),
        # The last line of defence against paying a refund twice: whatever the code does, the database
        # refuses settled plus in-flight refunds above the captured amount.
        sa.CheckConstraint(
            "refunded_minor + refund_pending_minor <= captured_minor", name="payments_refunds_within_captured"
        ),
    )
    op.create_index("payments_order", "payments", ["order_id", "created_at", "payment_id"])
    op.create_table(
        "payment_operations",
        sa.Column("operation_id", UUID(as_uuid=False), primary_key=True),
        sa.Column(
            "payment_id",
            UUID(as_uuid=False),
            sa.ForeignKey("payments.payment_id", deferrable=True, initially="DEFERRED"),
            nullable=False,
        ),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("request_id", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("provider_reference", sa.Text, nullable=False),
        sa.Column("failure_reason", sa.Text, nullable=False),
        _instant("created_at"),
        _instant("updated_at"),
        sa.UniqueConstraint("request_id", name="payment_operations_request_unique"),
        sa.CheckConstraint("kind IN ('AUTHORIZE', 'CAPTURE', 'VOID', 'REFUND')", name="payment_operations_kind"),
        sa.CheckConstraint("status IN ('PENDING', 'SUCCEEDED', 'FAILED')", name="payment_operations_status"),
        sa.CheckConstraint("amount_minor >= 0", name="payment_operations_amount_not_negative"),
    )
    op.create_index("payment_operations_payment", "payment_operations", ["payment_id", "created_at"])
    # At most one capture or void of a payment at the provider at a time.
    op.create_index(
        "payment_operations_one_in_flight",
        "payment_operations",
        ["payment_id"],
        unique=True,
        postgresql_where=sa.text("status = 'PENDING' AND kind IN ('CAPTURE', 'VOID')"),
    )
    op.create_index(
        "payment_operations_pending",
        "payment_operations",
        ["created_at"],
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.create_table(
        "provider_callbacks",
        sa.Column("callback_id", UUID(as_uuid=False), primary_key=True),
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("provider_event_id", sa.Text, nullable=False),
        sa.Column("callback_type", sa.Text, nullable=False),
        sa.Column("payment_reference", sa.Text, nullable=False),
        sa.Column("provider_reference", sa.Text, nullable=False),
        sa.Column("refund_reference", sa.Text, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        _instant("occurred_at", nullable=True),
        _instant("received_at"),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=False),
        _instant("processed_at", nullable=True),
        sa.UniqueConstraint("provider", "provider_event_id", name="provider_callbacks_event_unique"),
        sa.CheckConstraint(
            "status IN ('RECEIVED', 'APPLIED', 'IGNORED', 'RETRYING', 'FAILED')", name="provider_callbacks_status"
        ),
    )
    op.create_table(
        "callback_retries",
        sa.Column(
            "callback_id",
            UUID(as_uuid=False),
            sa.ForeignKey("provider_callbacks.callback_id"),
            primary_key=True,
        ),
        sa.Column("attempts", sa.Integer, nullable=False),
        _instant("next_attempt_at"),
    )
    op.create_index("callback_retries_due", "callback_retries", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_table("callback_retries")
    op.drop_table("provider_callbacks")
    op.drop_table("payment_operations")
    op.drop_table("payments")
