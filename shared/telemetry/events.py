"""Trace context through the event streams: what an envelope carries, and the spans of publishing and consuming.

An envelope carries the W3C trace context and baggage of the transaction that emitted it. The relay's
publish span is that transaction's child (it runs from the event's time to its publication, so the outbox
lag shows in the order's waterfall); a consumer starts a new trace linked to it, with the same baggage, so
its spans carry the order's tags.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from oms.events.v1 import events_pb2
from opentelemetry import context, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.telemetry.attributes import EVENT_TYPE, OUTBOX_LAG_MS

tracer = trace.get_tracer(__name__)

# The envelope's fields are W3C headers whatever OTEL_PROPAGATORS says: they are a contract between services.
_TRACE_CONTEXT = TraceContextTextMapPropagator()
_BAGGAGE = W3CBaggagePropagator()


def trace_headers() -> dict[str, str]:
    """The current ``traceparent``, ``tracestate`` and ``baggage`` (missing keys: nothing to carry)."""
    carrier: dict[str, str] = {}
    _TRACE_CONTEXT.inject(carrier)
    _BAGGAGE.inject(carrier)
    return carrier


def _carrier(envelope: events_pb2.EventEnvelope) -> dict[str, str]:
    return {"traceparent": envelope.traceparent, "tracestate": envelope.tracestate, "baggage": envelope.baggage}


def producer_context(envelope: events_pb2.EventEnvelope) -> Context:
    """The emitting transaction's span as parent, with its baggage."""
    carrier = _carrier(envelope)
    return _BAGGAGE.extract(carrier, context=_TRACE_CONTEXT.extract(carrier, context=Context()))


def consumer_context(envelope: events_pb2.EventEnvelope) -> tuple[Context, Link | None]:
    """A context with the envelope's baggage and no parent span, and a link to the emitting span."""
    carrier = _carrier(envelope)
    producer = trace.get_current_span(_TRACE_CONTEXT.extract(carrier, context=Context())).get_span_context()
    link = Link(producer) if producer.is_valid else None
    return _BAGGAGE.extract(carrier, context=Context()), link


def _tracer(provider: trace.TracerProvider | None) -> trace.Tracer:
    return tracer if provider is None else trace.get_tracer(__name__, tracer_provider=provider)


@contextmanager
def consuming(
    envelope: events_pb2.EventEnvelope,
    *,
    stream: str,
    group: str,
    tracer_provider: trace.TracerProvider | None = None,
) -> Iterator[trace.Span]:
    """A CONSUMER span for handling ``envelope``, current (with the envelope's baggage) inside the block."""
    baggage_context, link = consumer_context(envelope)
    # Attached first, so the span and everything under it (database calls, events emitted) see the baggage.
    token = context.attach(baggage_context)
    try:
        with _tracer(tracer_provider).start_as_current_span(
            f"consume {envelope.type}",
            kind=SpanKind.CONSUMER,
            links=[link] if link is not None else [],
            attributes={
                "messaging.system": "redis",
                "messaging.operation": "process",
                "messaging.destination.name": stream,
                "messaging.consumer.group.name": group,
                "messaging.message.id": envelope.id,
                EVENT_TYPE: envelope.type,
            },
        ) as span:
            yield span
    finally:
        context.detach(token)


def record_publication(
    envelopes: Sequence[tuple[str, events_pb2.EventEnvelope]],
    *,
    published_ns: int,
    tracer_provider: trace.TracerProvider | None = None,
) -> None:
    """A PRODUCER span, child of the transaction that emitted them, per group of published events of one
    emitting span, stream and type: from the earliest event's time to ``published_ns``. A transaction of one
    order emits a few events of different types (a span each, with its event id); a batch transaction that
    emitted a thousand OrderCreated gets one span counting them, not a thousand."""
    publisher = _tracer(tracer_provider)
    groups: dict[tuple[str, str, str, str, str], list[events_pb2.EventEnvelope]] = {}
    for stream, envelope in envelopes:
        key = (envelope.traceparent, envelope.tracestate, envelope.baggage, stream, envelope.type)
        groups.setdefault(key, []).append(envelope)
    for (_, _, _, stream, event_type), group in groups.items():
        first = group[0]
        started = min(
            (e.occurred_at.ToNanoseconds() if e.HasField("occurred_at") else published_ns for e in group),
            default=published_ns,
        )
        started = min(started, published_ns)
        attributes: dict[str, str | int] = {
            "messaging.system": "redis",
            "messaging.operation": "publish",
            "messaging.destination.name": stream,
            EVENT_TYPE: event_type,
            OUTBOX_LAG_MS: (published_ns - started) // 1_000_000,
        }
        if len(group) == 1:
            attributes["messaging.message.id"] = first.id
        else:
            attributes["messaging.batch.message_count"] = len(group)
        span = publisher.start_span(
            f"publish {event_type}",
            context=producer_context(first),
            kind=SpanKind.PRODUCER,
            start_time=started,
            attributes=attributes,
        )
        span.end(end_time=published_ns)
