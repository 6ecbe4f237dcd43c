"""Fulfilment: versioned review and routing rules (seeded with DOMAIN.md's defaults, active), review
decisions, shipments and their lines, untouched-order alerts and the index the SLA sweeper searches.

Revision ID: orders_0003
Revises: orders_0002
"""

from datetime import UTC, datetime

from alembic import op
from sqlalchemy import insert

from services.orders.adapters.fulfilment_tables import (
    FULFILMENT_TABLES,
    orders_waiting_untouched,
    rule_set_activations,
    rule_set_heads,
    rule_sets,
)
from services.orders.domain.review import DEFAULT_REVIEW_RULES_JSON
from services.orders.domain.routing import DEFAULT_ROUTING_RULES_JSON

revision = "orders_0003"
down_revision = "orders_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    for table in FULFILMENT_TABLES:
        table.create(bind)
    orders_waiting_untouched.create(bind)
    now = datetime.now(UTC)
    defaults = {"REVIEW": DEFAULT_REVIEW_RULES_JSON, "ROUTING": DEFAULT_ROUTING_RULES_JSON}
    bind.execute(insert(rule_set_heads), [{"kind": k, "latest_version": 1, "active_version": 1} for k in defaults])
    who = {"subject": "defaults", "role": "service"}
    bind.execute(
        insert(rule_sets),
        [
            {
                "kind": kind,
                "version": 1,
                "rules": document,
                "note": "DOMAIN.md defaults",
                "created_by_subject": who["subject"],
                "created_by_role": who["role"],
                "created_at": now,
                "activated_by_subject": who["subject"],
                "activated_by_role": who["role"],
                "activated_at": now,
            }
            for kind, document in defaults.items()
        ],
    )
    bind.execute(
        insert(rule_set_activations),
        [
            {
                "kind": kind,
                "version": 1,
                "activated_by_subject": who["subject"],
                "activated_by_role": who["role"],
                "activated_at": now,
            }
            for kind in defaults
        ],
    )


def downgrade() -> None:
    bind = op.get_bind()
    orders_waiting_untouched.drop(bind)
    for table in reversed(FULFILMENT_TABLES):
        table.drop(bind)
