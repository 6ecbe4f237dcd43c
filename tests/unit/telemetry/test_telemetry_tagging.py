"""tag_order: tags on the current span and in the baggage; every later span (here and across gRPC) gets them."""

from __future__ import annotations

import json

import grpc
import pytest
from opentelemetry import baggage, propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.instrumentation.grpc import aio_client_interceptors, aio_server_interceptor
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.telemetry import tag_order
from shared.telemetry.attributes import CHANNEL, CUSTOMER_TIER, ORDER_ID, SAGA_ID
from tests.unit.telemetry.telemetry_support import recorder

ORDER = "0190a5b2-7c1d-7e2f-8a3b-4c5d6e7f8091"
SAGA = "0190a5b2-7c1d-7e2f-8a3b-000000000001"


def test_tags_go_on_the_current_span_and_on_every_span_started_after(tmp_path):
    saga = recorder("saga", tmp_path)
    tracer = saga.provider.get_tracer("test")

    with tracer.start_as_current_span("place order"):
        with tracer.start_as_current_span("before the order exists"):
            pass
        with (
            tag_order(order_id=ORDER, saga_id=SAGA, channel="TMALL", customer_tier="VIP"),
            tracer.start_as_current_span("reserve stock"),
        ):
            pass
        with tracer.start_as_current_span("after the tags were detached"):
            pass

    tagged = {ORDER_ID: ORDER, SAGA_ID: SAGA, CHANNEL: "TMALL", CUSTOMER_TIER: "VIP"}
    assert {k: saga.named("place order").attributes[k] for k in tagged} == tagged
    assert {k: saga.named("reserve stock").attributes[k] for k in tagged} == tagged
    assert ORDER_ID not in saga.named("before the order exists").attributes
    assert ORDER_ID not in saga.named("after the tags were detached").attributes
    assert baggage.get_all() == {}


def test_a_later_call_adds_tags_and_keeps_the_earlier_ones(tmp_path):
    saga = recorder("saga", tmp_path)
    tracer = saga.provider.get_tracer("test")

    with (
        tag_order(saga_id=SAGA, channel="JD"),
        tag_order(order_id=ORDER, customer_tier=""),
        tracer.start_as_current_span("mark paid"),
    ):
        assert baggage.get_all() == {SAGA_ID: SAGA, CHANNEL: "JD", ORDER_ID: ORDER}

    attributes = saga.named("mark paid").attributes
    assert (attributes[SAGA_ID], attributes[CHANNEL], attributes[ORDER_ID]) == (SAGA, "JD", ORDER)
    assert CUSTOMER_TIER not in attributes


@pytest.mark.parametrize("value", ["张伟 13912345678", "a b", "x" * 129, "id;drop", "𠮷"])
def test_a_value_that_is_not_an_id_is_refused_not_propagated(tmp_path, value):
    saga = recorder("saga", tmp_path)
    tracer = saga.provider.get_tracer("test")

    with tracer.start_as_current_span("step"), tag_order(order_id=value, saga_id=SAGA):
        assert baggage.get_all() == {SAGA_ID: SAGA}

    assert ORDER_ID not in saga.named("step").attributes


def test_baggage_crafted_upstream_only_lends_registered_id_like_entries(tmp_path):
    service = recorder("orders", tmp_path)
    carrier = {"baggage": f"{ORDER_ID}={ORDER},customer.phone=13912345678,oms.unknown=1,{CHANNEL}=a%20b"}
    context = W3CBaggagePropagator().extract(carrier)

    with service.provider.get_tracer("test").start_as_current_span("handle", context=context):
        pass

    attributes = dict(service.named("handle").attributes)
    assert attributes == {ORDER_ID: ORDER}


async def test_baggage_crosses_grpc_through_the_instrumentation(tmp_path):
    propagate.set_global_textmap(CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()]))
    caller = recorder("saga", tmp_path)
    callee = recorder("inventory", tmp_path)
    callee_tracer = callee.provider.get_tracer("test")

    async def echo(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        with callee_tracer.start_as_current_span("reserve rows"):
            return json.dumps(dict(baggage.get_all())).encode()

    server = grpc.aio.server(interceptors=[aio_server_interceptor(tracer_provider=callee.provider)])
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                "test.Inventory",
                {"Reserve": grpc.unary_unary_rpc_method_handler(echo, lambda b: b, lambda b: b)},
            )
        ]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(
            f"127.0.0.1:{port}", interceptors=aio_client_interceptors(tracer_provider=caller.provider)
        ) as channel:
            reserve = channel.unary_unary("/test.Inventory/Reserve", lambda b: b, lambda b: b)
            with (
                caller.provider.get_tracer("test").start_as_current_span("saga step"),
                tag_order(order_id=ORDER, saga_id=SAGA),
            ):
                answer = json.loads(await reserve(b"{}", timeout=5))
    finally:
        await server.stop(None)

    assert answer == {ORDER_ID: ORDER, SAGA_ID: SAGA}
    (served,) = [s for s in callee.spans() if s.kind is SpanKind.SERVER]
    work = callee.named("reserve rows")
    step = caller.named("saga step")
    for span in (served, work):
        assert span.attributes[ORDER_ID] == ORDER
        assert span.attributes[SAGA_ID] == SAGA
        assert span.context.trace_id == step.context.trace_id
    assert work.parent.span_id == served.context.span_id


def test_without_a_recording_span_tagging_still_fills_the_baggage():
    with tag_order(order_id=ORDER):
        assert baggage.get_all() == {ORDER_ID: ORDER}
        assert not trace.get_current_span().is_recording()
    assert baggage.get_all() == {}
