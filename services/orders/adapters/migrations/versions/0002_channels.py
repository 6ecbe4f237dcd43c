"""Channel ingest: channels, their mapping tables (seeded from channel_defaults/), channel orders, the
failed-ingest queue, hourly sync counts and stock holds.

Revision ID: orders_0002
Revises: orders_0001
"""

from datetime import UTC, datetime

from alembic import op
from sqlalchemy import insert

from services.orders.adapters.channel_defaults import default_tables
from services.orders.adapters.channel_tables import CHANNEL_TABLES, channel_mappings, channels

revision = "orders_0002"
down_revision = "orders_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    for table in CHANNEL_TABLES:
        table.create(bind)
    now = datetime.now(UTC)
    tables = default_tables()
    bind.execute(
        insert(channels),
        [{"channel": t.channel.value, "platform": t.platform, "watch_from": now, "updated_at": now} for t in tables],
    )
    rows = [
        {
            "channel": t.channel.value,
            "kind": entry.kind.value,
            "key": entry.key,
            "value": entry.value,
            "updated_at": now,
            "updated_by": "defaults",
        }
        for t in tables
        for entry in t.entries
    ]
    bind.execute(insert(channel_mappings), rows)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(CHANNEL_TABLES):
        table.drop(bind)
