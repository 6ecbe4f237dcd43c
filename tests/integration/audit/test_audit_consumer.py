"""Audit consuming the suite's streams for real: every event becomes one entry, redeliveries none, a batch is
one transaction, and a bad event does not hold up the good ones."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
from google.protobuf import any_pb2
from oms.audit.v1 import audit_pb2
from oms.common.v1 import common_pb2
from oms.customers.v1 import customers_pb2
from oms.customers.v1 import events_pb2 as customer_events
from oms.events.v1 import events_pb2
from oms.orders.v1 import events_pb2 as order_events
from oms.orders.v1 import orders_pb2
from redis.asyncio import Redis
from sqlalchemy import text

from services.audit.adapters.consumer import GROUP, AuditEventConsumer
from services.audit.adapters.envelopes import EnvelopeMapper
from services.audit.application import handlers
from services.audit.application.commands import VerifyChains
from shared.messaging.relay import ENVELOPE_FIELD
from tests.integration.audit.conftest import chain_name
from tests.support import eventually

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def wrap(event, *, aggregate_type: str, aggregate_id: str, source: str) -> events_pb2.EventEnvelope:
    payload = any_pb2.Any()
    payload.Pack(event)
    return events_pb2.EventEnvelope(
        id=secrets.token_hex(16),
        type=event.DESCRIPTOR.full_name,
        source=source,
        traceparent=TRACEPARENT,
        request_id=f"req-{secrets.token_hex(4)}",
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        payload=payload,
    )


def status_changed(order_id: str, chain: str = "order") -> events_pb2.EventEnvelope:
    event = order_events.OrderStatusChanged(
        order_id=order_id,
        from_status=orders_pb2.ORDER_STATUS_PENDING_PAYMENT,
        to_status=orders_pb2.ORDER_STATUS_PAID,
        actor=common_pb2.Actor(subject="saga", role="service"),
        reason="已付款 𠮷",
    )
    return wrap(event, aggregate_type=chain, aggregate_id=order_id, source="orders")


@pytest.fixture(scope="module")
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def publish(redis: Redis, stream: str, *envelopes: events_pb2.EventEnvelope) -> None:
    for envelope in envelopes:
        await redis.xadd(stream, {ENVELOPE_FIELD: envelope.SerializeToString()})


async def settled(redis: Redis, stream: str) -> bool:
    """Every entry of ``stream`` was delivered to the audit group and acknowledged."""
    last = (await redis.xinfo_stream(stream))["last-generated-id"]
    for group in await redis.xinfo_groups(stream):
        if group["name"] in (GROUP, GROUP.encode()):
            # Redis 6.2 (the embedded server) has no "lag" field: compare the group's position instead.
            return group["pending"] == 0 and group["last-delivered-id"] == last
    return False


async def entries_of(client, entity_type: str, entity_id: str) -> list[audit_pb2.AuditEntry]:
    reply = await client.QueryEntries(
        audit_pb2.QueryEntriesRequest(
            entity_type=entity_type, entity_id=entity_id, page=common_pb2.PageRequest(page_size=100)
        )
    )
    return list(reply.entries)


async def test_the_service_records_each_event_of_every_stream_once(client, redis, settings):
    order_id, customer_id = secrets.token_hex(8), secrets.token_hex(8)
    changed = status_changed(order_id)
    tier = wrap(
        customer_events.CustomerTierChanged(
            customer_id=customer_id,
            previous_tier=customers_pb2.CUSTOMER_TIER_GOLD,
            tier=customers_pb2.CUSTOMER_TIER_VIP,
            actor=common_pb2.Actor(subject="rules", role="operations"),
        ),
        aggregate_type="customer",
        aggregate_id=customer_id,
        source="customers",
    )
    orders_stream, customers_stream = settings.stream_name("orders"), settings.stream_name("customers")
    await publish(redis, orders_stream, changed, changed)
    await publish(redis, customers_stream, tier)

    [entry] = await eventually(lambda: entries_of(client, "order", order_id), message="order event recorded")
    assert (entry.actor.subject, entry.actor.role) == ("saga", "service")
    assert entry.action == "OrderStatusChanged"
    assert [(c.field, c.before.string_value, c.after.string_value) for c in entry.changes] == [
        ("status", "ORDER_STATUS_PENDING_PAYMENT", "ORDER_STATUS_PAID")
    ]
    assert entry.trace_id == "0af7651916cd43dd8448eb211c80319c"
    assert entry.request_id == changed.request_id
    assert (entry.source_event_id, entry.source_event_type) == (changed.id, "oms.orders.v1.OrderStatusChanged")
    assert "已付款 𠮷" in entry.payload_json
    [customer] = await eventually(lambda: entries_of(client, "customer", customer_id), message="customer event")
    assert [(c.field, c.before.string_value, c.after.string_value) for c in customer.changes] == [
        ("tier", "CUSTOMER_TIER_GOLD", "CUSTOMER_TIER_VIP")
    ]

    await publish(redis, orders_stream, changed)
    await eventually(lambda: settled(redis, orders_stream), message="redelivery consumed")
    assert [e.entry_id for e in await entries_of(client, "order", order_id)] == [entry.entry_id]
    assert (await client.Verify(audit_pb2.VerifyRequest(chain="order"))).intact


@pytest.fixture
async def consumer(redis, new_uow) -> tuple[AuditEventConsumer, str]:
    """A consumer of its own streams, driven by hand (poll_once), and the orders stream it reads."""
    prefix = f"audit{secrets.token_hex(4)}"
    consumer = AuditEventConsumer(
        redis,
        consumer="test",
        streams=[f"{prefix}.orders", f"{prefix}.payments"],
        mapper=EnvelopeMapper(["orders", "payments"]),
        unit_of_work=new_uow,
        batch_size=500,
    )
    await consumer.ensure_groups()
    return consumer, f"{prefix}.orders"


async def count_entries(engine, chain: str) -> int:
    async with engine.connect() as connection:
        return await connection.scalar(text("SELECT count(*) FROM audit_entries WHERE chain = :c"), {"c": chain})


async def test_a_read_batch_is_recorded_in_one_go_and_a_redelivered_batch_adds_nothing(
    consumer, redis, engine, new_uow
):
    consumer, stream = consumer
    chain = chain_name("order")
    first = [status_changed(f"o-{i}", chain) for i in range(120)]
    await publish(redis, stream, *first)
    assert await consumer.poll_once() == 120
    assert await count_entries(engine, chain) == 120
    async with engine.connect() as connection:
        recorded_at = await connection.scalar(
            text("SELECT count(DISTINCT recorded_at) FROM audit_entries WHERE chain = :c"), {"c": chain}
        )
    assert recorded_at == 1  # one transaction, one instant
    await publish(redis, stream, *first[:50], status_changed("o-new", chain))
    assert await consumer.poll_once() == 51
    assert await count_entries(engine, chain) == 121
    report = await handlers.verify_chains(VerifyChains(chain=chain), new_uow())
    assert report.intact and report.chains[0].last_sequence == 121


async def test_a_bad_event_does_not_hold_up_the_rest_of_its_batch(consumer, redis, engine):
    consumer, stream = consumer
    chain = chain_name("order")
    good = [status_changed(f"o-{i}", chain) for i in range(5)]
    await publish(redis, stream, *good[:2])
    await redis.xadd(stream, {b"not-an-envelope": b"\x00"})
    await publish(redis, stream, *good[2:])
    assert await consumer.poll_once() == 5
    assert await count_entries(engine, chain) == 5
    pending = await redis.xpending(stream, GROUP)
    assert pending["pending"] == 1
