"""Alembic environment of the saga database."""

from shared.migrations import run_migrations_online

run_migrations_online()
