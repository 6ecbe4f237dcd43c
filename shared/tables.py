"""The tables every service database has besides its own: outbox, inbox and idempotency keys."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, LargeBinary, MetaData, Table, Text, func, text
from sqlalchemy.dialects.postgresql import UUID

metadata = MetaData()

outbox = Table(
    "outbox",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    # Commit order within and across transactions: the relay publishes by position.
    Column("position", BigInteger, Identity(always=False), nullable=False, unique=True),
    Column("stream", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("aggregate_id", Text, nullable=False),
    Column("envelope", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True)),
    Index("outbox_unpublished", "position", postgresql_where=text("published_at IS NULL")),
)

inbox = Table(
    "inbox",
    metadata,
    Column("consumer", Text, primary_key=True),
    Column("event_id", Text, primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("request_id", Text, primary_key=True),
    Column("operation", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("result", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
