"""Alembic environment of the audit database."""

from shared.migrations import run_migrations_online

run_migrations_online()
