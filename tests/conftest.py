"""Session fixtures on real servers: PostgreSQL and Redis from OMS_TEST_* URLs, else Docker, else embedded."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# `from tests.support import eventually` needs the project root on sys.path whichever way pytest is run.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from shared.embedded import LocalServers, admin_database_url, redact_url  # noqa: E402
from shared.migrations import prepare_database  # noqa: E402
from tools.oms.stack import drop_databases  # noqa: E402

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TestServers:
    """The servers this test session uses and where they came from (environment, docker, embedded)."""

    __test__ = False  # not a test class, despite the name

    database_url: str
    redis_url: str
    source: str


def _docker_answers() -> bool:
    """Whether a Docker engine answers within a couple of seconds; any failure means no."""
    try:
        import docker

        client = docker.from_env(timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def _private_state_dir() -> Path:
    # The embedded PostgreSQL runs as "nobody" under root, so the directory must be enterable by others;
    # it is ours (just made), so setting its mode changes no one else's directory.
    directory = Path(tempfile.mkdtemp(prefix="oms-test-"))
    directory.chmod(0o755)
    return directory


@pytest.fixture(scope="session")
def test_servers() -> Iterator[TestServers]:
    """PostgreSQL and Redis for the session: OMS_TEST_DATABASE_URL / OMS_TEST_REDIS_URL where given;
    the rest from testcontainers (postgres:16, redis:7) if Docker answers, else embedded servers."""
    database_url = os.environ.get("OMS_TEST_DATABASE_URL") or None
    redis_url = os.environ.get("OMS_TEST_REDIS_URL") or None
    sources = ["environment"] if database_url or redis_url else []
    with contextlib.ExitStack() as cleanup:
        if (database_url is None or redis_url is None) and _docker_answers():
            if database_url is None:
                from testcontainers.community.postgres import PostgresContainer

                postgres = cleanup.enter_context(
                    PostgresContainer("postgres:16", username="postgres", password="postgres", dbname="postgres")
                )
                database_url = postgres.get_connection_url(driver=None)
            if redis_url is None:
                from testcontainers.community.redis import RedisContainer

                redis = cleanup.enter_context(RedisContainer("redis:7"))
                redis_url = f"redis://{redis.get_container_host_ip()}:{redis.get_exposed_port(6379)}/0"
            sources.append("docker")
        if database_url is None or redis_url is None:
            state_dir = _private_state_dir()
            cleanup.callback(shutil.rmtree, state_dir, ignore_errors=True)
            given = {"OMS_DATABASE_URL": database_url or "", "OMS_REDIS_URL": redis_url or ""}
            urls = cleanup.enter_context(LocalServers(state_dir / "state", env=given))
            database_url, redis_url = urls.database_url, urls.redis_url
            sources.append("embedded")
        servers = TestServers(admin_database_url(database_url), redis_url, "+".join(sources))
        log.info("test servers (%s): %s, %s", servers.source, redact_url(servers.database_url), servers.redis_url)
        yield servers


@pytest.fixture(scope="session")
def postgres_admin_url(test_servers: TestServers) -> str:
    """A postgresql:// URL allowed to create databases."""
    return test_servers.database_url


@pytest.fixture(scope="session")
def redis_url(test_servers: TestServers) -> str:
    return test_servers.redis_url


@pytest.fixture(scope="session")
def stream_prefix() -> str:
    """A Redis stream prefix of this session only, so parallel runs on one Redis never share streams."""
    return f"test{secrets.token_hex(4)}"


@pytest.fixture(scope="session")
async def service_database(postgres_admin_url: str) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """``await service_database("inventory")``: a fresh, migrated database of that service (its
    postgresql+asyncpg URL); every database made this way is dropped when the session ends."""
    created: list[str] = []

    async def create(context: str) -> str:
        name = f"oms_test_{context}_{secrets.token_hex(4)}"
        created.append(name)
        return await prepare_database(postgres_admin_url, name, context)

    yield create
    if created:
        await drop_databases(postgres_admin_url, created)
