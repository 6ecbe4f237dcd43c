"""The relay and the consumers record their metrics: outbox lag and publications, consumed events by outcome."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from oms.events.v1 import events_pb2
from prometheus_client import REGISTRY

from shared.messaging import OutboxRelay, StreamConsumer
from shared.messaging.relay import ENVELOPE_FIELD


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@dataclass
class Row:
    id: str
    stream: str
    envelope: bytes
    age: float


@dataclass
class FakeDatabase:
    """Answers the relay's SELECT with ``rows`` (once), records the UPDATE."""

    rows: list[Row]
    updated: list[list[str]] = field(default_factory=list)

    async def execute(self, statement: Any, parameters: dict[str, Any]) -> Any:
        text = str(statement)
        if text.startswith("SELECT"):
            rows, self.rows = self.rows, []
            return type("Result", (), {"all": lambda _: rows})()
        self.updated.append(parameters["ids"])
        return None

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[FakeDatabase]:
        yield self


class FakeRedis:
    def __init__(self) -> None:
        self.added: list[tuple[str, dict[bytes, bytes]]] = []
        self.acked: list[tuple[str, str, Any]] = []
        self.waiting: list[tuple[str, dict[bytes, bytes]]] = []

    def pipeline(self, transaction: bool = False) -> FakeRedis:
        return self

    def xadd(self, stream: str, fields: dict[bytes, bytes], **_: Any) -> None:
        self.added.append((stream, fields))

    async def execute(self) -> None:
        return None

    async def xack(self, stream: str, group: str, entry_id: Any) -> None:
        self.acked.append((stream, group, entry_id))

    async def xreadgroup(self, group: str, consumer: str, streams: dict[str, str], **_: Any) -> Any:
        entries, self.waiting = self.waiting, []
        return [(next(iter(streams)).encode(), entries)]


def envelope(event_id: str) -> bytes:
    occurred = Timestamp()
    occurred.GetCurrentTime()
    return events_pb2.EventEnvelope(
        id=event_id, type="oms.orders.v1.OrderPlaced", occurred_at=occurred
    ).SerializeToString()


async def test_the_relay_reports_the_oldest_waiting_event_and_what_it_published():
    stream = "oms_test_relay.orders"
    rows = [
        Row("1", stream, envelope("e-1"), 4.5),
        Row("2", stream, envelope("e-2"), 2.0),
        Row("3", stream, b"\xff", 1.0),
    ]
    database = FakeDatabase(rows)
    relay = OutboxRelay(database, FakeRedis(), batch_size=3)  # type: ignore[arg-type]
    before = sample("oms_outbox_published_total", stream=stream)

    assert await relay.publish_batch() == 3

    assert sample("oms_outbox_published_total", stream=stream) - before == 3
    assert database.updated == [["1", "2", "3"]]
    # A full batch: more may wait, so the age seen stays until the next look.
    assert sample("oms_outbox_oldest_unpublished_age_seconds") == 4.5

    assert await relay.publish_batch() == 0
    assert sample("oms_outbox_oldest_unpublished_age_seconds") == 0.0


async def test_a_partial_batch_leaves_nothing_waiting():
    stream = "oms_test_relay.payments"
    relay = OutboxRelay(FakeDatabase([Row("1", stream, envelope("e-1"), 9.0)]), FakeRedis(), batch_size=10)  # type: ignore[arg-type]

    assert await relay.publish_batch() == 1

    assert sample("oms_outbox_oldest_unpublished_age_seconds") == 0.0


class FakeUnitOfWork:
    seen: ClassVar[set[str]] = set()

    def __init__(self) -> None:
        self.session = self

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    async def execute(self, statement: Any, parameters: dict[str, str]) -> Any:
        fresh = parameters["e"] not in FakeUnitOfWork.seen
        FakeUnitOfWork.seen.add(parameters["e"])
        return type("Result", (), {"first": lambda _: (parameters["e"],) if fresh else None})()

    async def commit(self) -> None:
        return None


@pytest.mark.parametrize("group", ["telemetry_test_group"])
async def test_the_consumer_counts_handled_duplicate_and_failed_events(group):
    handled: list[str] = []

    async def handler(event: events_pb2.EventEnvelope, uow: Any) -> None:
        if event.id == "boom":
            raise RuntimeError("handler bug")
        handled.append(event.id)

    redis = FakeRedis()
    consumer = StreamConsumer(
        redis,  # type: ignore[arg-type]
        group=group,
        consumer="c-1",
        streams=["oms.orders"],
        handler=handler,
        unit_of_work=FakeUnitOfWork,  # type: ignore[arg-type]
    )
    deliveries_before = sample("oms_event_delivery_seconds_count", group=group)

    redis.waiting = [
        (entry, {ENVELOPE_FIELD: envelope(event)}) for entry, event in [("1-0", "a"), ("2-0", "a"), ("3-0", "boom")]
    ]

    assert await consumer.poll_once() == 2

    assert handled == ["a"]
    assert [entry for _, _, entry in redis.acked] == ["1-0", "2-0"]
    assert sample("oms_events_consumed_total", group=group, outcome="handled") == 1
    assert sample("oms_events_consumed_total", group=group, outcome="duplicate") == 1
    assert sample("oms_events_consumed_total", group=group, outcome="failed") == 1
    assert sample("oms_event_delivery_seconds_count", group=group) - deliveries_before == 1
