"""The relay now deletes what it published instead of marking it: forget the rows marked before.

Revision ID: shared_0003
Revises: shared_0002
"""

from alembic import op

revision = "shared_0003"
down_revision = "shared_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM outbox WHERE published_at IS NOT NULL")


def downgrade() -> None:
    """Nothing to restore: published rows were only kept to be pruned."""
