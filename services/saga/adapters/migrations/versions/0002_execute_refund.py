"""Refund execution sagas.

Revision ID: saga_0002
Revises: saga_0001
"""

from alembic import op

revision = "saga_0002"
down_revision = "saga_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("sagas_kind", "sagas", type_="check")
    op.create_check_constraint("sagas_kind", "sagas", "kind IN ('place_order', 'cancel_order', 'execute_refund')")


def downgrade() -> None:
    op.execute("DELETE FROM sagas WHERE kind = 'execute_refund'")
    op.drop_constraint("sagas_kind", "sagas", type_="check")
    op.create_check_constraint("sagas_kind", "sagas", "kind IN ('place_order', 'cancel_order')")
