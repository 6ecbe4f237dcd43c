"""Mapping integration events to audit entries, generically, from the envelope and the payload's JSON."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from google.protobuf import any_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from oms.common.v1 import common_pb2
from oms.customers.v1 import customers_pb2
from oms.customers.v1 import events_pb2 as customer_events
from oms.events.v1 import events_pb2
from oms.orders.v1 import events_pb2 as order_events
from oms.orders.v1 import orders_pb2

from services.audit.adapters.envelopes import EnvelopeMapper, load_event_modules, trace_id_of
from services.audit.domain.model import Actor, Change
from shared.kernel.ids import new_id

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
OCCURRED = datetime(2026, 3, 1, 7, 59, 58, 123456, tzinfo=UTC)
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
mapper = EnvelopeMapper(["orders", "customers", "refunds", "nonexistent"])


def envelope(payload, **fields) -> events_pb2.EventEnvelope:
    packed = any_pb2.Any()
    if isinstance(payload, any_pb2.Any):
        packed = payload
    else:
        packed.Pack(payload)
    occurred = Timestamp()
    occurred.FromDatetime(OCCURRED)
    values = {
        "id": new_id(),
        "type": packed.TypeName(),
        "source": "orders",
        "occurred_at": occurred,
        "traceparent": TRACEPARENT,
        "request_id": "saga-1:mark_paid",
        "aggregate_type": "order",
        "aggregate_id": "o-1",
        "payload": packed,
    }
    values.update(fields)
    return events_pb2.EventEnvelope(**values)


def test_only_existing_event_modules_are_loaded():
    assert load_event_modules(["orders", "nonexistent"]) == ["orders"]
    assert "nonexistent" not in mapper.known_contexts


def test_a_known_event_maps_with_its_actor_changes_trace_and_payload():
    event = order_events.OrderStatusChanged(
        order_id="o-1",
        from_status=orders_pb2.ORDER_STATUS_PAID,
        to_status=orders_pb2.ORDER_STATUS_UNDER_REVIEW,
        actor=common_pb2.Actor(subject="zhang.wei", role="supervisor"),
        reason="审核 𠮷",
    )
    source = envelope(event)
    draft = mapper.draft(source, entry_id="e-1", now=NOW)
    assert draft.entry_id == "e-1"
    assert draft.actor == Actor("zhang.wei", "supervisor")
    assert (draft.entity_type, draft.entity_id, draft.chain) == ("order", "o-1", "order")
    assert draft.action == "OrderStatusChanged"
    assert draft.occurred_at == OCCURRED
    assert draft.changes == (Change("status", "ORDER_STATUS_PAID", "ORDER_STATUS_UNDER_REVIEW"),)
    assert draft.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert draft.request_id == "saga-1:mark_paid"
    assert (draft.source_event_id, draft.source_event_type) == (source.id, "oms.orders.v1.OrderStatusChanged")
    payload = json.loads(draft.payload_json)
    assert payload["order_id"] == "o-1" and payload["reason"] == "审核 𠮷"
    assert payload["actor"] == {"subject": "zhang.wei", "role": "supervisor"}
    assert "𠮷" in draft.payload_json


def test_previous_value_pairs_become_changes():
    event = customer_events.CustomerTierChanged(
        customer_id="c-1", previous_tier=customers_pb2.CUSTOMER_TIER_GOLD, tier=customers_pb2.CUSTOMER_TIER_VIP
    )
    draft = mapper.draft(
        envelope(event, source="customers", aggregate_type="customer", aggregate_id="c-1"), entry_id="e", now=NOW
    )
    assert draft.changes == (Change("tier", "CUSTOMER_TIER_GOLD", "CUSTOMER_TIER_VIP"),)
    assert draft.actor == Actor("customers", "service")


def test_an_event_naming_nobody_is_the_publishing_service():
    draft = mapper.draft(envelope(order_events.OrderPaid(order_id="o-1")), entry_id="e", now=NOW)
    assert draft.actor == Actor("orders", "service")
    assert draft.changes == ()
    assert draft.peer_address == ""


def test_an_unknown_payload_is_kept_raw_and_still_recorded():
    unknown = any_pb2.Any(type_url="type.googleapis.com/oms.refunds.v9.RefundSomething", value=b"\x0a\x03abc")
    draft = mapper.draft(envelope(unknown, source="refunds", aggregate_type="refund"), entry_id="e", now=NOW)
    assert draft.action == "RefundSomething"
    assert draft.source_event_type == "oms.refunds.v9.RefundSomething"
    raw = json.loads(draft.payload_json)
    assert raw["@type"] == unknown.type_url
    assert base64.b64decode(raw["raw_base64"]) == unknown.value
    assert draft.actor == Actor("refunds", "service")


def test_a_payload_that_does_not_decode_is_kept_raw():
    broken = any_pb2.Any(type_url="type.googleapis.com/oms.orders.v1.OrderStatusChanged", value=b"\xff\xff\xff")
    draft = mapper.draft(envelope(broken), entry_id="e", now=NOW)
    assert json.loads(draft.payload_json)["raw_base64"] == base64.b64encode(b"\xff\xff\xff").decode()
    assert draft.changes == ()


def test_odd_envelopes_still_make_storable_entries():
    source = envelope(
        order_events.OrderPaid(order_id="o-1"),
        aggregate_type="Sku-Price",
        aggregate_id="a\x00b" + "x" * 400,
        traceparent="garbage",
        occurred_at=Timestamp(seconds=-70_000_000_000),
    )
    draft = mapper.draft(source, entry_id="e", now=NOW)
    assert draft.entity_type == "sku_price"
    assert draft.entity_id.startswith("a\ufffdb") and len(draft.entity_id) == 256
    assert draft.trace_id == ""
    assert draft.occurred_at == NOW
    empty = events_pb2.EventEnvelope(id=new_id(), source="saga")
    draft = mapper.draft(empty, entry_id="e", now=NOW)
    assert (draft.entity_type, draft.action, draft.occurred_at) == ("unknown", "unknown", NOW)


def test_trace_ids():
    assert trace_id_of(TRACEPARENT) == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert trace_id_of("") == ""
    assert trace_id_of("00-00000000000000000000000000000000-00f067aa0ba902b7-01") == ""
    assert trace_id_of("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01") == ""
