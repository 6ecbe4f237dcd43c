"""The saga database: one row per saga (state, lease, data) and one row per step."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = MetaData()

ACTIVE = "state IN ('RUNNING', 'COMPENSATING')"

sagas = Table(
    "sagas",
    metadata,
    Column("saga_id", UUID(as_uuid=False), primary_key=True),
    # The caller's idempotency key: INSERT ... ON CONFLICT (request_id) picks the one saga of a request.
    Column("request_id", Text, nullable=False, unique=True),
    Column("kind", Text, nullable=False),
    Column("state", Text, nullable=False),
    # Hash of the command without its request id: the same key with other arguments is refused.
    Column("fingerprint", Text, nullable=False),
    # The command as given (the payment token is blanked once the saga has ended).
    Column("payload", JSONB, nullable=False),
    # What the steps learnt (customer_id, quote, order_id, payment_id, ...).
    Column("data", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("order_id", UUID(as_uuid=False)),
    Column("failed_step", Text),
    Column("failure", JSONB),
    # The coordinator running the saga and until when; another may claim it once expired.
    Column("lease_owner", Text, nullable=False),
    Column("lease_expires_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(
        "state IN ('RUNNING', 'COMPENSATING', 'SUCCEEDED', 'FAILED', 'COMPENSATION_FAILED')", name="sagas_state"
    ),
    CheckConstraint("kind IN ('place_order', 'cancel_order', 'execute_refund')", name="sagas_kind"),
    # Recovery looks only at unfinished sagas, by lease expiry.
    Index("sagas_active_lease", "lease_expires_at", postgresql_where=text(ACTIVE)),
    Index("sagas_order", "order_id", "kind", "saga_id", postgresql_where=text("order_id IS NOT NULL")),
    Index("sagas_state", "state", "saga_id"),
)

saga_steps = Table(
    "saga_steps",
    metadata,
    Column("saga_id", UUID(as_uuid=False), ForeignKey("sagas.saga_id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("compensation_attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", JSONB),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("saga_id", "name", name="saga_steps_pkey"),
    CheckConstraint("attempts >= 0 AND compensation_attempts >= 0", name="saga_steps_attempts"),
)
