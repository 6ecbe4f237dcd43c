"""Committed reservations: status COMMITTED, no expiry once committed, and when it was committed.

Revision ID: inventory_0002
Revises: inventory_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "inventory_0002"
down_revision = "inventory_0001"
branch_labels = None
depends_on = None

_STATUSES_BEFORE = "status IN ('HELD', 'CONFIRMED', 'RELEASED', 'EXPIRED')"
_STATUSES = "status IN ('HELD', 'COMMITTED', 'CONFIRMED', 'RELEASED', 'EXPIRED')"


def upgrade() -> None:
    op.drop_constraint("reservations_status_known", "reservations", type_="check")
    op.create_check_constraint("reservations_status_known", "reservations", _STATUSES)
    op.alter_column("reservations", "expires_at", existing_type=sa.DateTime(timezone=True), nullable=True)
    op.add_column("reservations", sa.Column("committed_at", sa.DateTime(timezone=True)))
    # Only a committed hold may lack an expiry: the sweeper must find every other one.
    op.create_check_constraint("reservations_held_expire", "reservations", "status <> 'HELD' OR expires_at IS NOT NULL")


def downgrade() -> None:
    # Committed holds become plain holds again, expiring a full default TTL from now.
    op.execute(
        "UPDATE reservations SET status = 'HELD', expires_at = now() + interval '30 minutes' WHERE status = 'COMMITTED'"
    )
    op.drop_constraint("reservations_held_expire", "reservations", type_="check")
    op.drop_column("reservations", "committed_at")
    op.alter_column("reservations", "expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    op.drop_constraint("reservations_status_known", "reservations", type_="check")
    op.create_check_constraint("reservations_status_known", "reservations", _STATUSES_BEFORE)
