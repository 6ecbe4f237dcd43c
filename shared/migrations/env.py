"""Alembic environment of the shared tables (outbox, inbox, idempotency keys) in every service database."""

from shared.migrations import run_migrations_online

run_migrations_online()
