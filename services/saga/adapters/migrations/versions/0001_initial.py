"""Sagas and their steps.

Revision ID: saga_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "saga_0001"
down_revision = None
branch_labels = None
depends_on = None

ACTIVE = "state IN ('RUNNING', 'COMPENSATING')"


def upgrade() -> None:
    op.create_table(
        "sagas",
        sa.Column("saga_id", UUID(as_uuid=False), primary_key=True),
        sa.Column("request_id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("data", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("order_id", UUID(as_uuid=False)),
        sa.Column("failed_step", sa.Text),
        sa.Column("failure", JSONB),
        sa.Column("lease_owner", sa.Text, nullable=False),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("request_id", name="sagas_request_id_key"),
        sa.CheckConstraint(
            "state IN ('RUNNING', 'COMPENSATING', 'SUCCEEDED', 'FAILED', 'COMPENSATION_FAILED')", name="sagas_state"
        ),
        sa.CheckConstraint("kind IN ('place_order', 'cancel_order')", name="sagas_kind"),
    )
    op.create_index("sagas_active_lease", "sagas", ["lease_expires_at"], postgresql_where=sa.text(ACTIVE))
    op.create_index(
        "sagas_order", "sagas", ["order_id", "kind", "saga_id"], postgresql_where=sa.text("order_id IS NOT NULL")
    )
    op.create_index("sagas_state", "sagas", ["state", "saga_id"])
    op.create_table(
        "saga_steps",
        sa.Column("saga_id", UUID(as_uuid=False), sa.ForeignKey("sagas.saga_id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("compensation_attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_error", JSONB),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("saga_id", "name", name="saga_steps_pkey"),
        sa.CheckConstraint("attempts >= 0 AND compensation_attempts >= 0", name="saga_steps_attempts"),
    )


def downgrade() -> None:
    op.drop_table("saga_steps")
    op.drop_table("sagas")
