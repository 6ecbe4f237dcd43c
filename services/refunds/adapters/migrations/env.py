"""Alembic environment of the refunds database."""

from shared.migrations import run_migrations_online

run_migrations_online()
