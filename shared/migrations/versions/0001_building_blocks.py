"""Outbox, inbox and idempotency keys.

Revision ID: shared_0001
Revises:
"""

from alembic import op

from shared.tables import idempotency_keys, inbox, outbox

revision = "shared_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    for table in (outbox, inbox, idempotency_keys):
        table.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for table in (idempotency_keys, inbox, outbox):
        table.drop(bind)
