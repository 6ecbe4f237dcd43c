"""Fixtures of the audit integration tests: a migrated audit database, the service in-process, helpers."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import oms_client
import pytest
from oms.audit.v1 import audit_pb2
from oms.common.v1 import common_pb2
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.bootstrap import Settings, build
from shared.db import session_factory
from shared.kernel.ids import new_id
from tests.harness import running_service


def chain_name(label: str) -> str:
    """A chain (entity type) of one test only, so tests sharing a database never see each other's entries."""
    return f"{label}_{secrets.token_hex(4)}"


def append_request(entity_type: str = "order", **overrides: Any) -> audit_pb2.AppendRequest:
    fields: dict[str, Any] = {
        "request_id": new_id(),
        "actor": common_pb2.Actor(subject="li.na", role="supervisor"),
        "entity_type": entity_type,
        "entity_id": new_id(),
        "action": "order.unlock",
        "note": "warehouse asked, 工单 𠮷",
    }
    fields.update(overrides)
    return audit_pb2.AppendRequest(**fields)


@pytest.fixture(scope="module")
async def database_url(service_database) -> str:
    return await service_database("audit")


@pytest.fixture(scope="module")
async def stream_scope(stream_prefix: str) -> str:
    # Each module's service reads its own streams: the consumer group would otherwise be shared with the
    # audit services of other modules, and take their events into the wrong database.
    return f"{stream_prefix}{secrets.token_hex(3)}"


@pytest.fixture(scope="module")
def settings(database_url: str, redis_url: str, stream_scope: str) -> Settings:
    # A small pool: the machine's PostgreSQL is shared by every team's tests; 8 connections still race.
    return Settings(
        service_name="audit",
        database_url=database_url,
        redis_url=redis_url,
        stream_prefix=stream_scope,
        db_pool_size=4,
        db_max_overflow=4,
    )


@pytest.fixture(scope="module")
async def client(settings: Settings) -> AsyncIterator[Any]:
    async with running_service(settings, build) as channel:
        yield oms_client.ServiceClient.for_service(channel, "audit")


@pytest.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
def new_uow(engine: AsyncEngine):
    sessions = session_factory(engine)
    return lambda: AuditUnitOfWork(sessions, source="audit", stream="test.audit")
