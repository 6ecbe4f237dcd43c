"""The payments database: payments, provider operations (intents), provider callbacks and their retries."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

metadata = MetaData()

_INSTANT = DateTime(timezone=True)

payments = Table(
    "payments",
    metadata,
    Column("payment_id", UUID(as_uuid=False), primary_key=True),
    Column("order_id", UUID(as_uuid=False), nullable=False),
    Column("status", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("authorized_minor", BigInteger, nullable=False),
    Column("captured_minor", BigInteger, nullable=False),
    Column("refunded_minor", BigInteger, nullable=False),
    Column("refund_pending_minor", BigInteger, nullable=False),
    Column("provider", Text, nullable=False),
    Column("provider_reference", Text, nullable=False),
    Column("failure_reason", Text, nullable=False),
    Column("created_at", _INSTANT, nullable=False),
    Column("updated_at", _INSTANT, nullable=False),
    Index("payments_order", "order_id", "created_at", "payment_id"),
)

payment_operations = Table(
    "payment_operations",
    metadata,
    Column("operation_id", UUID(as_uuid=False), primary_key=True),
    Column(
        "payment_id",
        UUID(as_uuid=False),
        # Deferred: an authorization records its intent before the payment row, in the same transaction.
        ForeignKey("payments.payment_id", deferrable=True, initially="DEFERRED"),
        nullable=False,
    ),
    Column("kind", Text, nullable=False),
    Column("request_id", Text, nullable=False, unique=True),
    Column("fingerprint", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("status", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("provider_reference", Text, nullable=False),
    Column("failure_reason", Text, nullable=False),
    Column("created_at", _INSTANT, nullable=False),
    Column("updated_at", _INSTANT, nullable=False),
    Index("payment_operations_payment", "payment_id", "created_at"),
    Index(
        "payment_operations_one_in_flight",
        "payment_id",
        unique=True,
        postgresql_where=text("status = 'PENDING' AND kind IN ('CAPTURE', 'VOID')"),
    ),
    Index("payment_operations_pending", "created_at", postgresql_where=text("status = 'PENDING'")),
)

provider_callbacks = Table(
    "provider_callbacks",
    metadata,
    Column("callback_id", UUID(as_uuid=False), primary_key=True),
    Column("provider", Text, nullable=False),
    Column("provider_event_id", Text, nullable=False),
    Column("callback_type", Text, nullable=False),
    Column("payment_reference", Text, nullable=False),
    Column("provider_reference", Text, nullable=False),
    Column("refund_reference", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("occurred_at", _INSTANT),
    Column("received_at", _INSTANT, nullable=False),
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=False),
    Column("processed_at", _INSTANT),
    UniqueConstraint("provider", "provider_event_id", name="provider_callbacks_event_unique"),
)

callback_retries = Table(
    "callback_retries",
    metadata,
    Column("callback_id", UUID(as_uuid=False), ForeignKey("provider_callbacks.callback_id"), primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", _INSTANT, nullable=False),
    Index("callback_retries_due", "next_attempt_at"),
)
