"""Alembic environment of the pricing database."""

from shared.migrations import run_migrations_online

run_migrations_online()
