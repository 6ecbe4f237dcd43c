"""Tracing across the running suite: one order is one trace through every service, every hop after the order
exists carries its id, the asynchronous hops are linked, and no personal or card data reaches any span."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from oms.common.v1 import common_pb2
from oms.saga.v1 import saga_pb2

from shared.kernel.ids import new_id
from shared.telemetry.attributes import ORDER_ID, SAGA_ID
from shared.telemetry.span_store import StoredSpan, read_spans, span_files
from tests.e2e.conftest import Suite, stock_sku
from tests.support import eventually
from tools.oms.trace import LocalSpanStore

pytestmark = pytest.mark.e2e

PLACING_SERVICES = {"customers", "pricing", "orders", "inventory", "payments", "saga"}
# Finished spans wait up to OMS_TRACE_EXPORT_DELAY_MS (1 s unless the stack sets it lower) before export.
PATIENCE = 30.0


def spans_dir(suite: Suite) -> Path:
    return suite.stack.state_dir / "spans"


def buyer() -> dict[str, str]:
    """Personal and payment data nobody could mistake for anything else."""
    mark = secrets.token_hex(4)
    return {
        "name": f"钱多多{mark}𠮷",
        "phone": f"139{secrets.randbelow(10**8):08d}",
        "email": f"buyer.{mark}@example.com",
        "street": f"文三路 {secrets.randbelow(900) + 100} 号 {mark} 室",
        "remark": f"请打电话给我 {mark}",
        # A provider's payment token (payments refuses raw card numbers outright).
        "token": f"tok_visa_{secrets.token_hex(8)}",
    }


def placement(sku: str, who: dict[str, str]) -> saga_pb2.PlaceOrderRequest:
    address = common_pb2.Address(
        recipient=who["name"], phone=who["phone"], country="CN", province="浙江省", city="杭州市", detail=who["street"]
    )
    return saga_pb2.PlaceOrderRequest(
        request_id=new_id(),
        customer=saga_pb2.CustomerDetails(name=who["name"], phone=who["phone"], email=who["email"], address=address),
        lines=[saga_pb2.OrderLine(sku=sku, quantity=1)],
        shipping_address=address,
        payment_method=saga_pb2.PaymentMethod(provider="sandbox", token=who["token"]),
        channel="OWN_SITE",
        buyer_remark=who["remark"],
        currency="CNY",
    )


def placing_trace(spans: list[StoredSpan], order_id: str) -> list[StoredSpan] | None:
    """The spans of the trace in which the saga served PlaceOrder for ``order_id``, once every service is in."""
    roots = [
        s
        for s in spans
        if s.service == "saga"
        and s.kind == "SERVER"
        and s.name.endswith("/PlaceOrder")
        and s.attributes.get(ORDER_ID) == order_id
    ]
    if len(roots) != 1:
        return None
    trace = [s for s in spans if s.trace_id == roots[0].trace_id]
    return trace if {s.service for s in trace} >= PLACING_SERVICES else None


@pytest.fixture(scope="module")
async def placed(suite: Suite) -> tuple[saga_pb2.PlaceOrderResponse, dict[str, str]]:
    sku = await stock_sku(suite, units=2)
    who = buyer()
    return await suite.client("saga").PlaceOrder(placement(sku, who)), who


async def test_one_order_is_one_trace_through_every_service(suite: Suite, placed):
    response, _ = placed
    store = LocalSpanStore(spans_dir(suite))

    trace = await eventually(
        lambda: placing_trace(store.order_spans(response.order_id), response.order_id),
        timeout=PATIENCE,
        message=f"one trace of order {response.order_id} with spans of {sorted(PLACING_SERVICES)}",
    )

    by_service = {service: [s for s in trace if s.service == service] for service in PLACING_SERVICES}
    assert all(by_service[s] for s in PLACING_SERVICES)
    ids = {s.span_id for s in trace}
    roots = [s for s in trace if not s.parent_id or s.parent_id not in ids]
    assert [(r.service, r.kind) for r in roots] == [("saga", "SERVER")]
    # Each service served the saga's call as a child of the saga's client span (W3C context in gRPC metadata).
    for service in PLACING_SERVICES - {"saga"}:
        assert any(s.kind == "SERVER" for s in by_service[service]), service
    # Database work is traced under the calls that did it.
    assert any(s.kind == "CLIENT" and s.attributes.get("db.system") == "postgresql" for s in trace)


async def test_every_hop_after_the_order_exists_carries_its_id(suite: Suite, placed):
    response, _ = placed
    store = LocalSpanStore(spans_dir(suite))
    trace = await eventually(
        lambda: placing_trace(store.order_spans(response.order_id), response.order_id), timeout=PATIENCE
    )

    # Reservation and payment come after CreateOrder answered: the saga's tags reach them through the baggage,
    # down to their database calls, without those services setting anything.
    later = [s for s in trace if s.service in {"inventory", "payments"}]
    assert later
    untagged = [(s.service, s.name) for s in later if s.attributes.get(ORDER_ID) != response.order_id]
    assert not untagged, "the saga must call shared.telemetry.tag_order(order_id=...) once CreateOrder answered"
    assert all(s.attributes.get(SAGA_ID) == response.saga.saga_id for s in later)


async def test_the_events_of_the_order_are_published_in_its_trace_and_consumed_in_linked_ones(suite: Suite, placed):
    response, _ = placed
    store = LocalSpanStore(spans_dir(suite))
    trace = await eventually(
        lambda: placing_trace(store.order_spans(response.order_id), response.order_id), timeout=PATIENCE
    )
    trace_id = trace[0].trace_id

    publications = [s for s in trace if s.kind == "PRODUCER" and s.name.startswith("publish ")]
    assert publications, "the outbox relay publishes the order's events as children of the emitting transaction"
    assert all(s.attributes.get("oms.outbox.lag_ms", -1) >= 0 for s in publications)

    def linked_consumers() -> list[StoredSpan]:
        return [
            s
            for s in read_spans(spans_dir(suite), contains=trace_id)
            if s.kind == "CONSUMER" and any(link.startswith(trace_id) for link in s.links)
        ]

    consumers = await eventually(linked_consumers, timeout=PATIENCE, message="a consumer span linked to the order")
    assert all(s.trace_id != trace_id for s in consumers)


async def test_no_span_carries_personal_or_card_data(suite: Suite, placed):
    response, who = placed
    store = LocalSpanStore(spans_dir(suite))
    await eventually(lambda: placing_trace(store.order_spans(response.order_id), response.order_id), timeout=PATIENCE)

    text = "".join(path.read_text(encoding="utf-8") for path in span_files(spans_dir(suite)))
    assert response.order_id in text  # the scan reads the run's spans
    found = {what: value for what, value in who.items() if value in text}
    assert not found
    # Parts are as telling as the whole: the phone's last eight digits, the e-mail's user, the token's secret.
    assert who["phone"][3:] not in text
    assert who["email"].split("@")[0] not in text
    assert who["token"].removeprefix("tok_visa_") not in text
    for line in text.splitlines():
        record = json.loads(line)
        assert all(
            not str(key).startswith(("customer.", "payment.", "card", "http.request.header"))
            for key in record["attributes"]
        )
