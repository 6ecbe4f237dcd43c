"""SQLAlchemy Core tables of the customers database (the migrations create them)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

metadata = MetaData()


def _text(name: str) -> Column:
    return Column(name, Text, nullable=False, server_default="")


customers = Table(
    "customers",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("name", Text, nullable=False),
    _text("phone"),
    _text("email"),
    _text("tax_id"),
    _text("address_recipient"),
    _text("address_phone"),
    _text("address_country"),
    _text("address_province"),
    _text("address_city"),
    _text("address_district"),
    _text("address_detail"),
    _text("address_postal_code"),
    Column("tier", Text, nullable=False),
    _text("channel"),
    # The owning team ("" unassigned); added by migration 0002.
    _text("team"),
    Column("merged_into", UUID(as_uuid=False), ForeignKey("customers.id")),
    Column("version", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # Comparable keys for FindSimilarCustomers, computed by the domain (services.customers.domain.similarity).
    _text("email_key"),
    _text("name_core"),
    _text("name_surname"),
    Column("name_honorific", Boolean, nullable=False, server_default="false"),
    _text("name_phone_fragment"),
    _text("city_key"),
    CheckConstraint("kind IN ('PERSON', 'COMPANY')", name="customers_kind"),
    CheckConstraint("status IN ('ACTIVE', 'MERGED')", name="customers_status"),
    CheckConstraint("tier IN ('REGULAR', 'SILVER', 'GOLD', 'VIP')", name="customers_tier"),
    CheckConstraint("(status = 'MERGED') = (merged_into IS NOT NULL)", name="customers_merged_into"),
    # text_pattern_ops serves both equality and the prefix LIKE of a phone fragment ("138****").
    Index(
        "customers_phone", "phone", postgresql_ops={"phone": "text_pattern_ops"}, postgresql_where=text("phone <> ''")
    ),
    Index("customers_email_key", "email_key", postgresql_where=text("email_key <> ''")),
    Index("customers_tax_id", "tax_id", postgresql_where=text("tax_id <> ''")),
    Index("customers_name_core", "name_core", postgresql_where=text("name_core <> ''")),
    Index("customers_surname_city", "name_surname", "city_key", postgresql_where=text("name_surname <> ''")),
    Index("customers_tier", "tier", "id", postgresql_where=text("status = 'ACTIVE'")),
    Index("customers_merged_into", "merged_into", postgresql_where=text("merged_into IS NOT NULL")),
    # Pages of one team's customers (ListCustomers of a team-limited caller).
    Index("customers_team", "team", "id", postgresql_where=text("status = 'ACTIVE'")),
)

# The uniqueness that makes two upserts of one phone (or tax id) one customer.
customer_identities = Table(
    "customer_identities",
    metadata,
    Column("kind", Text, nullable=False),
    Column("value", Text, nullable=False),
    Column("customer_id", UUID(as_uuid=False), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("kind", "value", name="customer_identities_pkey"),
    # Deferred: the identity is claimed before its customer row is written, so a lost race writes nothing.
    ForeignKeyConstraint(
        ["customer_id"], ["customers.id"], name="customer_identities_customer", deferrable=True, initially="DEFERRED"
    ),
    CheckConstraint("kind IN ('PHONE', 'TAX_ID')", name="customer_identities_kind"),
    Index("customer_identities_customer_id", "customer_id"),
)

customer_tags = Table(
    "customer_tags",
    metadata,
    Column("customer_id", UUID(as_uuid=False), ForeignKey("customers.id"), nullable=False),
    Column("tag", Text, nullable=False),
    Column("tagged_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("customer_id", "tag", name="customer_tags_pkey"),
    Index("customer_tags_tag", "tag", "customer_id"),
)

# The log of merges as they happened (survivor at the time); customers.merged_into holds the current survivor.
customer_merges = Table(
    "customer_merges",
    metadata,
    Column("merged_id", UUID(as_uuid=False), ForeignKey("customers.id"), primary_key=True),
    Column("survivor_id", UUID(as_uuid=False), ForeignKey("customers.id"), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("merged_at", DateTime(timezone=True), nullable=False),
    Index("customer_merges_survivor", "survivor_id"),
)
