"""Customers, their unique identities, tags and the merge log.

Revision ID: customers_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "customers_0001"
down_revision = None
branch_labels = None
depends_on = None


def _text(name: str) -> sa.Column:
    return sa.Column(name, sa.Text, nullable=False, server_default="")


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
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
        sa.Column("tier", sa.Text, nullable=False),
        _text("channel"),
        sa.Column("merged_into", UUID(as_uuid=False), sa.ForeignKey("customers.id")),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _text("email_key"),
        _text("name_core"),
        _text("name_surname"),
        sa.Column("name_honorific", sa.Boolean, nullable=False, server_default="false"),
        _text("name_phone_fragment"),
        _text("city_key"),
        sa.CheckConstraint("kind IN ('PERSON', 'COMPANY')", name="customers_kind"),
        sa.CheckConstraint("status IN ('ACTIVE', 'MERGED')", name="customers_status"),
        sa.CheckConstraint("tier IN ('REGULAR', 'SILVER', 'GOLD', 'VIP')", name="customers_tier"),
        sa.CheckConstraint("(status = 'MERGED') = (merged_into IS NOT NULL)", name="customers_merged_into"),
    )
    op.create_index(
        "customers_phone",
        "customers",
        ["phone"],
        postgresql_ops={"phone": "text_pattern_ops"},
        postgresql_where=sa.text("phone <> ''"),
    )
    op.create_index("customers_email_key", "customers", ["email_key"], postgresql_where=sa.text("email_key <> ''"))
    op.create_index("customers_tax_id", "customers", ["tax_id"], postgresql_where=sa.text("tax_id <> ''"))
    op.create_index("customers_name_core", "customers", ["name_core"], postgresql_where=sa.text("name_core <> ''"))
    op.create_index(
        "customers_surname_city",
        "customers",
        ["name_surname", "city_key"],
        postgresql_where=sa.text("name_surname <> ''"),
    )
    op.create_index("customers_tier", "customers", ["tier", "id"], postgresql_where=sa.text("status = 'ACTIVE'"))
    op.create_index(
        "customers_merged_into", "customers", ["merged_into"], postgresql_where=sa.text("merged_into IS NOT NULL")
    )

    op.create_table(
        "customer_identities",
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("customer_id", UUID(as_uuid=False), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "value", name="customer_identities_pkey"),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="customer_identities_customer",
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.CheckConstraint("kind IN ('PHONE', 'TAX_ID')", name="customer_identities_kind"),
    )
    op.create_index("customer_identities_customer_id", "customer_identities", ["customer_id"])

    op.create_table(
        "customer_tags",
        sa.Column("customer_id", UUID(as_uuid=False), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("tag", sa.Text, nullable=False),
        sa.Column("tagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "tag", name="customer_tags_pkey"),
    )
    op.create_index("customer_tags_tag", "customer_tags", ["tag", "customer_id"])

    op.create_table(
        "customer_merges",
        sa.Column("merged_id", UUID(as_uuid=False), sa.ForeignKey("customers.id"), primary_key=True),
        sa.Column("survivor_id", UUID(as_uuid=False), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("customer_merges_survivor", "customer_merges", ["survivor_id"])


def downgrade() -> None:
    op.drop_table("customer_merges")
    op.drop_table("customer_tags")
    op.drop_table("customer_identities")
    op.drop_table("customers")
