"""Alembic environment of the customers database (run by shared.migrations.migrate)."""

from shared.migrations import run_migrations_online

run_migrations_online()
