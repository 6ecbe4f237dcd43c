"""Audit entries, chain heads and retention checkpoints, with the triggers that keep the trail append-only.

Revision ID: audit_0001
Revises:
"""

from alembic import op

from services.audit.adapters.tables import audit_chains, audit_checkpoints, audit_entries

revision = "audit_0001"
down_revision = None
branch_labels = None
depends_on = None

REFUSE = """
CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit: % on % is refused; the audit trail is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""

# Entries leave only behind a checkpoint that covers them (the retention path); checked once per statement.
REMOVAL_NEEDS_CHECKPOINT = """
CREATE FUNCTION audit_entries_removal_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    uncovered record;
BEGIN
    SELECT r.chain, r.sequence INTO uncovered FROM removed r
     WHERE NOT EXISTS (SELECT 1 FROM audit_checkpoints c
                        WHERE c.chain = r.chain AND c.through_sequence >= r.sequence)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'audit: entry % of chain % is not covered by a retention checkpoint',
            uncovered.sequence, uncovered.chain
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END
$$
"""

# A checkpoint must name a real entry with its hash, past the cutoff, moving forward; a cutoff inside the
# 180-day minimum needs forced (the application checks the exact window; this is a coarse guard with a
# day of slack for clock differences between the service and the database).
CHECKPOINT_CHECK = """
CREATE FUNCTION audit_checkpoints_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_entry audit_entries%ROWTYPE;
BEGIN
    SELECT * INTO last_entry FROM audit_entries
     WHERE chain = NEW.chain AND sequence = NEW.through_sequence;
    IF NOT FOUND OR last_entry.hash <> NEW.through_hash OR last_entry.entry_id <> NEW.through_entry_id THEN
        RAISE EXCEPTION 'audit: a checkpoint must name an existing entry of its chain and that entry''s hash'
            USING ERRCODE = 'check_violation';
    END IF;
    IF last_entry.recorded_at >= NEW.cutoff THEN
        RAISE EXCEPTION 'audit: entry % of chain % is not past the retention cutoff', NEW.through_sequence, NEW.chain
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT NEW.forced AND NEW.cutoff > now() - interval '179 days' THEN
        RAISE EXCEPTION 'audit: retention shorter than 180 days must be forced explicitly'
            USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM audit_checkpoints
                WHERE chain = NEW.chain AND through_sequence >= NEW.through_sequence) THEN
        RAISE EXCEPTION 'audit: checkpoints of chain % only move forward', NEW.chain
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$
"""

HEAD_ONLY_FORWARD = """
CREATE FUNCTION audit_chains_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.chain <> OLD.chain OR NEW.last_sequence < OLD.last_sequence THEN
        RAISE EXCEPTION 'audit: the head of chain % only moves forward', OLD.chain
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$
"""

TRIGGERS = [
    "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE OR TRUNCATE ON audit_entries"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse()",
    "CREATE TRIGGER audit_entries_removal AFTER DELETE ON audit_entries REFERENCING OLD TABLE AS removed"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_removal_check()",
    "CREATE TRIGGER audit_checkpoints_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_checkpoints"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse()",
    "CREATE TRIGGER audit_checkpoints_valid BEFORE INSERT ON audit_checkpoints"
    " FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_check()",
    "CREATE TRIGGER audit_chains_kept BEFORE DELETE OR TRUNCATE ON audit_chains"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse()",
    "CREATE TRIGGER audit_chains_only_forward BEFORE UPDATE ON audit_chains"
    " FOR EACH ROW EXECUTE FUNCTION audit_chains_forward()",
]

# The service's own role loses the privileges it never needs, so even a bug cannot use them (a superuser
# or the owner granting them back still can; see services/audit/README.md for a separate service role).
REVOKES = [
    "REVOKE UPDATE, TRUNCATE ON audit_entries FROM PUBLIC, CURRENT_USER",
    "REVOKE UPDATE, DELETE, TRUNCATE ON audit_checkpoints FROM PUBLIC, CURRENT_USER",
    "REVOKE DELETE, TRUNCATE ON audit_chains FROM PUBLIC, CURRENT_USER",
]


def upgrade() -> None:
    bind = op.get_bind()
    for table in (audit_entries, audit_chains, audit_checkpoints):
        table.create(bind)
    for statement in [REFUSE, REMOVAL_NEEDS_CHECKPOINT, CHECKPOINT_CHECK, HEAD_ONLY_FORWARD, *TRIGGERS, *REVOKES]:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("the audit trail is never dropped by a migration")
