"""Alembic environment of the inventory database."""

from shared.migrations import run_migrations_online

run_migrations_online()
