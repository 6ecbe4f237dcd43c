"""Each customer's owning team ("" while unassigned), indexed for one team's pages.

Revision ID: customers_0002
Revises: customers_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "customers_0002"
down_revision = "customers_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A constant default: PostgreSQL adds the column without rewriting the table; existing customers
    # become unassigned, visible only to callers without team limits until a supervisor assigns them.
    op.add_column("customers", sa.Column("team", sa.Text, nullable=False, server_default=""))
    op.create_index("customers_team", "customers", ["team", "id"], postgresql_where=sa.text("status = 'ACTIVE'"))


def downgrade() -> None:
    op.drop_index("customers_team", table_name="customers")
    op.drop_column("customers", "team")
