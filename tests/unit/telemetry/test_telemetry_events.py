"""Trace context through events: the envelope carries traceparent and baggage; publish spans join the emitting
trace; consumer spans start a linked trace that carries the order's tags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from oms.events.v1 import events_pb2
from opentelemetry import baggage
from opentelemetry.trace import SpanKind

from shared.db import envelopes_for
from shared.telemetry import tag_order
from shared.telemetry.attributes import EVENT_TYPE, ORDER_ID, OUTBOX_LAG_MS, SAGA_ID
from shared.telemetry.events import consuming, record_publication
from tests.unit.telemetry.telemetry_support import recorder

ORDER = "0190a5b2-7c1d-7e2f-8a3b-4c5d6e7f8091"
SAGA = "0190a5b2-7c1d-7e2f-8a3b-000000000001"


def emitted(tmp_path, *, now: datetime) -> tuple[events_pb2.EventEnvelope, object]:
    orders = recorder("orders", tmp_path)
    tracer = orders.provider.get_tracer("test")
    with (
        tracer.start_as_current_span("/oms.orders.v1.OrdersService/MarkOrderPaid"),
        tag_order(order_id=ORDER, saga_id=SAGA),
    ):
        (envelope,) = envelopes_for(
            [Timestamp(seconds=1)], source="orders", aggregate_type="order", aggregate_id=ORDER, now=now
        )
    return envelope, orders.named("/oms.orders.v1.OrdersService/MarkOrderPaid")


def test_the_envelope_carries_the_trace_context_and_the_order_tags(tmp_path):
    envelope, span = emitted(tmp_path, now=datetime.now(UTC))

    _version, trace_id, span_id, flags = envelope.traceparent.split("-")
    assert (trace_id, span_id) == (f"{span.context.trace_id:032x}", f"{span.context.span_id:016x}")
    assert int(flags, 16) & 1  # sampled
    assert sorted(envelope.baggage.split(",")) == sorted([f"{ORDER_ID}={ORDER}", f"{SAGA_ID}={SAGA}"])


def test_a_consumer_starts_a_linked_trace_carrying_the_tags(tmp_path):
    envelope, producer = emitted(tmp_path, now=datetime.now(UTC))
    audit = recorder("audit", tmp_path)

    tracer = audit.provider.get_tracer("test")
    with (
        consuming(envelope, stream="oms.orders", group="audit", tracer_provider=audit.provider),
        tracer.start_as_current_span("INSERT", kind=SpanKind.CLIENT),
    ):
        pass
    assert baggage.get_all() == {}

    spans = audit.spans()
    consumer = next(s for s in spans if s.kind is SpanKind.CONSUMER)
    insert = audit.named("INSERT")
    assert consumer.context.trace_id != producer.context.trace_id
    assert [link.context.span_id for link in consumer.links] == [producer.context.span_id]
    assert insert.parent.span_id == consumer.context.span_id
    for span in (consumer, insert):
        assert (span.attributes[ORDER_ID], span.attributes[SAGA_ID]) == (ORDER, SAGA)
    assert consumer.attributes["messaging.destination.name"] == "oms.orders"
    assert consumer.attributes[EVENT_TYPE] == "google.protobuf.Timestamp"


def test_an_envelope_without_trace_context_is_consumed_in_a_fresh_unlinked_trace(tmp_path):
    audit = recorder("audit", tmp_path)
    envelope = events_pb2.EventEnvelope(id="e-1", type="oms.orders.v1.OrderPlaced")

    with consuming(envelope, stream="oms.orders", group="audit", tracer_provider=audit.provider) as span:
        assert span.is_recording()

    (consumer,) = audit.spans()
    assert list(consumer.links) == []
    assert ORDER_ID not in consumer.attributes


def test_publication_joins_the_emitting_trace_and_spans_the_outbox_lag(tmp_path):
    occurred = datetime.now(UTC) - timedelta(milliseconds=250)
    envelope, producer = emitted(tmp_path, now=occurred)
    relay = recorder("orders", tmp_path)
    published_ns = envelope.occurred_at.ToNanoseconds() + 250_000_000

    record_publication([("oms.orders", envelope)], published_ns=published_ns, tracer_provider=relay.provider)

    (publish,) = relay.spans()
    assert publish.kind is SpanKind.PRODUCER
    assert publish.context.trace_id == producer.context.trace_id
    assert publish.parent.span_id == producer.context.span_id
    assert (publish.start_time, publish.end_time) == (envelope.occurred_at.ToNanoseconds(), published_ns)
    assert publish.attributes[OUTBOX_LAG_MS] == 250
    assert publish.attributes[ORDER_ID] == ORDER
    assert publish.attributes["messaging.message.id"] == envelope.id


def test_the_events_of_one_batch_transaction_share_a_publication_span_per_type(tmp_path):
    occurred = datetime.now(UTC) - timedelta(milliseconds=40)
    first, producer = emitted(tmp_path, now=occurred)
    created = [events_pb2.EventEnvelope() for _ in range(3)]
    for index, envelope in enumerate(created):
        envelope.CopyFrom(first)
        envelope.id = f"e-{index}"
        envelope.type = "oms.orders.v1.OrderCreated"
    reviewed = events_pb2.EventEnvelope()
    reviewed.CopyFrom(first)
    reviewed.type = "oms.orders.v1.OrderReviewed"
    other_stream = events_pb2.EventEnvelope()
    other_stream.CopyFrom(created[0])
    relay = recorder("orders", tmp_path)
    published_ns = first.occurred_at.ToNanoseconds() + 40_000_000

    record_publication(
        [*(("oms.orders", e) for e in created), ("oms.orders", reviewed), ("oms.channels", other_stream)],
        published_ns=published_ns,
        tracer_provider=relay.provider,
    )

    spans = {(s.attributes["messaging.destination.name"], s.attributes[EVENT_TYPE]): s for s in relay.spans()}
    assert len(relay.spans()) == 3
    batch = spans[("oms.orders", "oms.orders.v1.OrderCreated")]
    assert batch.attributes["messaging.batch.message_count"] == 3
    assert "messaging.message.id" not in batch.attributes
    assert batch.parent.span_id == producer.context.span_id
    assert batch.attributes[OUTBOX_LAG_MS] == 40
    single = spans[("oms.orders", "oms.orders.v1.OrderReviewed")]
    assert single.attributes["messaging.message.id"] == reviewed.id
    assert "messaging.batch.message_count" not in single.attributes
