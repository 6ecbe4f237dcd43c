"""Migrations: one database per service, its own Alembic history, after the shared tables' history.

`migrate(url, context)` brings a service database to head under an advisory lock, so several replicas
starting at once migrate it once. `prepare_database` creates a database first (tests and `oms up`).
"""

from __future__ import annotations

import zlib
from pathlib import Path

from alembic import command
from alembic import context as alembic_context
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from shared.settings import project_root

SHARED_SCRIPTS = Path(__file__).resolve().parent
SHARED_VERSION_TABLE = "oms_shared_version"


def service_scripts(context: str) -> Path:
    return project_root() / "services" / context / "adapters" / "migrations"


def asyncpg_url(url: str) -> str:
    return "postgresql+asyncpg://" + url.split("://", 1)[1]


def _upgrade(connection: Connection, scripts: Path, version_table: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(scripts))
    config.attributes["connection"] = connection
    config.attributes["version_table"] = version_table
    command.upgrade(config, "head")


async def migrate(database_url: str, context: str) -> None:
    """Apply the shared and then the service's migrations to ``database_url``."""
    engine = create_async_engine(asyncpg_url(database_url), poolclass=None)
    try:
        async with engine.connect() as connection:
            lock = zlib.crc32(f"oms-migrate-{context}".encode())
            await connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": lock})
            try:
                await connection.run_sync(_upgrade, SHARED_SCRIPTS, SHARED_VERSION_TABLE)
                if (service_scripts(context) / "versions").is_dir():
                    await connection.run_sync(_upgrade, service_scripts(context), "alembic_version")
                await connection.commit()
            finally:
                await connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock})
                await connection.commit()
    finally:
        await engine.dispose()


async def ensure_database(admin_url: str, database_name: str) -> str:
    """Create ``database_name`` on the server of ``admin_url`` unless it exists; return its asyncpg URL."""
    engine = create_async_engine(asyncpg_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            exists = await connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": database_name})
            if not exists:
                quoted = database_name.replace('"', '""')
                await connection.execute(text(f"CREATE DATABASE \"{quoted}\" ENCODING 'UTF8' TEMPLATE template0"))
    finally:
        await engine.dispose()
    return make_url(asyncpg_url(admin_url)).set(database=database_name).render_as_string(hide_password=False)


async def prepare_database(admin_url: str, database_name: str, context: str) -> str:
    """Create and migrate a database for ``context``; return its postgresql+asyncpg URL."""
    url = await ensure_database(admin_url, database_name)
    await migrate(url, context)
    return url


def run_migrations_online() -> None:
    """The body of every env.py: run the migrations on the connection the caller handed to Alembic."""
    config = alembic_context.config
    alembic_context.configure(
        connection=config.attributes["connection"],
        version_table=config.attributes["version_table"],
        transaction_per_migration=False,
    )
    with alembic_context.begin_transaction():
        alembic_context.run_migrations()
