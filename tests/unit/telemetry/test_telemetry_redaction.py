"""Redaction: only registered attribute names leave a process; free text (messages, descriptions) never does."""

from __future__ import annotations

import json
import logging

from opentelemetry.trace import Link, Status, StatusCode

from shared.telemetry.attributes import FOREIGN, ORDER_ID, REASON, REGISTRY, is_allowed
from shared.telemetry.span_store import span_record
from tests.unit.telemetry.telemetry_support import recorder

PII = ("张伟", "13912345678", "文三路 1 号", "buyer@example.com", "4111111111111111", "tok_4111111111111111")


def test_unknown_attributes_messages_and_descriptions_are_dropped(tmp_path, caplog):
    payments = recorder("payments", tmp_path)
    tracer = payments.provider.get_tracer("test")

    with (
        caplog.at_level(logging.WARNING, logger="shared.telemetry.redaction"),
        tracer.start_as_current_span(
            "/oms.payments.v1.PaymentsService/Authorize",
            attributes={"rpc.method": "Authorize", "customer.name": "张伟", "card.number": "4111111111111111"},
            links=[Link(tracer.start_span("other").get_span_context(), {"buyer.phone": "13912345678"})],
        ) as span,
    ):
        span.set_attribute(ORDER_ID, "0190a5b2-7c1d-7e2f-8a3b-4c5d6e7f8091")
        span.set_attribute(REASON, "PAYMENT_DECLINED")
        span.set_attribute("payment.token", "tok_4111111111111111")
        span.add_event("request", {"body": "张伟 13912345678 文三路 1 号 buyer@example.com"})
        span.record_exception(ValueError("address 文三路 1 号 of 张伟 is not deliverable"))
        span.set_status(Status(StatusCode.ERROR, "phone 13912345678 refused"))

    exported = payments.named("/oms.payments.v1.PaymentsService/Authorize")
    assert dict(exported.attributes) == {
        "rpc.method": "Authorize",
        ORDER_ID: "0190a5b2-7c1d-7e2f-8a3b-4c5d6e7f8091",
        REASON: "PAYMENT_DECLINED",
    }
    assert [(e.name, dict(e.attributes)) for e in exported.events] == [
        ("request", {}),
        ("exception", {"exception.type": "ValueError", "exception.escaped": "False"}),
    ]
    assert [dict(link.attributes) for link in exported.links] == [{}]
    assert exported.status.status_code is StatusCode.ERROR
    assert exported.status.description is None
    text = repr((exported.attributes, exported.events, exported.links, exported.status.description))
    text += json.dumps(span_record(exported), ensure_ascii=False)
    assert not [p for p in PII if p in text]
    dropped = {r.args[0] for r in caplog.records}
    assert {"customer.name", "card.number", "payment.token", "buyer.phone", "body"} <= dropped
    assert not {"exception.message", "exception.stacktrace"} & dropped  # dropped by design, quietly


def test_each_unknown_name_is_reported_once(tmp_path, caplog):
    service = recorder("orders", tmp_path)
    tracer = service.provider.get_tracer("test")

    with caplog.at_level(logging.WARNING, logger="shared.telemetry.redaction"):
        for _ in range(3):
            with tracer.start_as_current_span("x", attributes={"customer.email": "buyer@example.com"}):
                pass
        service.spans()

    assert [r.args[0] for r in caplog.records] == ["customer.email"]


def test_long_values_are_clipped(tmp_path):
    service = recorder("orders", tmp_path)
    with service.provider.get_tracer("test").start_as_current_span(
        "SELECT", attributes={"db.statement": "SELECT " + "x, " * 2000, "db.name": "orders"}
    ):
        pass

    attributes = service.named("SELECT").attributes
    assert len(attributes["db.statement"]) == 2048
    assert attributes["db.statement"].endswith("…")
    assert attributes["db.name"] == "orders"


def test_the_registry_and_the_conventions_do_not_overlap_and_are_described():
    assert not set(REGISTRY) & set(FOREIGN)
    assert all(name.startswith("oms.") for name in REGISTRY)
    assert not [name for name in FOREIGN if name.startswith("oms.")]
    assert all(meaning.strip() for meaning in [*REGISTRY.values(), *FOREIGN.values()])
    assert is_allowed(ORDER_ID) and is_allowed("rpc.method")
    assert not is_allowed("oms.customer.phone") and not is_allowed("exception.message")
