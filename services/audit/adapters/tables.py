"""Tables of the audit database: entries, chain heads and retention checkpoints (SQLAlchemy Core)."""

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
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import UUID

metadata = MetaData()

HASH_CHECK = "{column} ~ '^[0-9a-f]{{64}}$'"

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("entry_id", UUID(as_uuid=False), primary_key=True),
    Column("chain", Text, nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("actor_subject", Text, nullable=False),
    Column("actor_role", Text, nullable=False),
    Column("peer_address", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("entity_type", Text, nullable=False),
    Column("entity_id", Text, nullable=False),
    Column("action", Text, nullable=False),
    # Canonical JSON text, kept verbatim (not jsonb, which would re-encode it) so the hash input is exact.
    Column("changes", Text, nullable=False),
    Column("trace_id", Text, nullable=False),
    Column("request_id", Text, nullable=False),
    # NULL for operator entries; unique otherwise, so an event can never make two entries.
    Column("source_event_id", Text, unique=True),
    Column("source_event_type", Text, nullable=False),
    Column("payload_json", Text, nullable=False),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),
    UniqueConstraint("chain", "sequence", name="audit_entries_chain_sequence"),
    CheckConstraint("sequence > 0", name="audit_entries_sequence_positive"),
    CheckConstraint(HASH_CHECK.format(column="hash"), name="audit_entries_hash_hex"),
    CheckConstraint(HASH_CHECK.format(column="prev_hash"), name="audit_entries_prev_hash_hex"),
    Index("audit_entries_by_entity", "entity_type", "entity_id", "occurred_at", "entry_id"),
    Index("audit_entries_by_actor", "actor_subject", "occurred_at", "entry_id"),
    Index("audit_entries_by_time", "occurred_at", "entry_id"),
)

audit_chains = Table(
    "audit_chains",
    metadata,
    Column("chain", Text, primary_key=True),
    Column("last_sequence", BigInteger, nullable=False, server_default="0"),
    Column("last_hash", Text, nullable=False, server_default="0" * 64),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("last_sequence >= 0", name="audit_chains_sequence_not_negative"),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("chain", Text, primary_key=True),
    Column("through_sequence", BigInteger, primary_key=True),
    Column("through_hash", Text, nullable=False),
    Column("through_entry_id", UUID(as_uuid=False), nullable=False),
    Column("through_recorded_at", DateTime(timezone=True), nullable=False),
    Column("removed", BigInteger, nullable=False),
    Column("cutoff", DateTime(timezone=True), nullable=False),
    Column("retention_days", Integer, nullable=False),
    Column("forced", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(HASH_CHECK.format(column="through_hash"), name="audit_checkpoints_hash_hex"),
)
