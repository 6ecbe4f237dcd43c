"""The payments service over real gRPC, PostgreSQL and Redis: contract, bad input, idempotency, races, events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import oms_client
import pytest
from oms.common.v1 import common_pb2
from oms.events.v1 import events_pb2 as envelope_pb2
from oms.payments.v1 import events_pb2, payments_pb2
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.payments.bootstrap import Settings, build
from shared.kernel.ids import new_id
from tests.harness import running_service
from tests.support import eventually

pb = payments_pb2
ST = payments_pb2.PaymentStatus
SECRET = "integration-secret"


@pytest.fixture(scope="module")
async def database_url(service_database) -> str:
    return await service_database("payments")


@pytest.fixture(scope="module")
async def client(database_url: str, redis_url: str, stream_prefix: str) -> AsyncIterator[Any]:
    settings = Settings(
        service_name="payments",
        database_url=database_url,
        redis_url=redis_url,
        stream_prefix=stream_prefix,
        payments_sandbox_latency_ms=0,
        # Callbacks are sent by hand here, so each test decides what arrives and when.
        payments_sandbox_callbacks=False,
        payments_sandbox_secret=SECRET,
    )
    async with running_service(settings, build) as channel:
        yield oms_client.ServiceClient.for_service(channel, "payments")


@pytest.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


def cny(amount: int) -> common_pb2.Money:
    return common_pb2.Money(amount_minor=amount, currency="CNY")


def authorize_request(**overrides: Any) -> pb.AuthorizeRequest:
    fields: dict[str, Any] = {
        "request_id": new_id(),
        "order_id": new_id(),
        "amount": cny(10_000),
        "payment_method": pb.PaymentMethod(provider="sandbox", token="tok_ok"),
    }
    fields.update(overrides)
    return pb.AuthorizeRequest(**fields)


async def authorized(client: Any, amount: int = 10_000) -> pb.Payment:
    return (await client.Authorize(authorize_request(amount=cny(amount)))).payment


async def captured(client: Any, amount: int = 10_000) -> pb.Payment:
    payment = await authorized(client, amount)
    request = pb.CaptureRequest(request_id=new_id(), payment_id=payment.payment_id, amount=cny(amount))
    return (await client.Capture(request)).payment


async def refused(call: Any) -> oms_client.OmsRpcError:
    with pytest.raises(oms_client.OmsRpcError) as caught:
        await call
    return caught.value


async def events_of(engine: AsyncEngine, payment_id: str) -> list[str]:
    """The integration event types in the outbox for one payment, oldest first."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT event_type FROM outbox WHERE aggregate_id = :id ORDER BY created_at, id"), {"id": payment_id}
        )
        return [row.event_type for row in rows]


# The happy path and the contract.


async def test_authorize_capture_refund_in_full(client: Any, engine: AsyncEngine) -> None:
    request = authorize_request(amount=cny(12_345))
    payment = (await client.Authorize(request)).payment
    assert payment.status == ST.PAYMENT_STATUS_AUTHORIZED
    assert payment.order_id == request.order_id
    assert payment.authorized.amount_minor == 12_345
    assert payment.captured.amount_minor == 0
    assert payment.provider == "sandbox" and payment.provider_reference

    capture = pb.CaptureRequest(request_id=new_id(), payment_id=payment.payment_id, amount=cny(12_000))
    payment = (await client.Capture(capture)).payment
    assert payment.status == ST.PAYMENT_STATUS_CAPTURED
    assert payment.captured.amount_minor == 12_000

    first = await client.Refund(
        pb.RefundRequest(request_id=new_id(), payment_id=payment.payment_id, amount=cny(2_000), reason="缺货 𠮷")
    )
    assert first.payment.status == ST.PAYMENT_STATUS_PARTIALLY_REFUNDED
    assert first.refund.status == pb.REFUND_STATUS_SUCCEEDED
    assert first.refund.reason == "缺货 𠮷"
    second = await client.Refund(
        pb.RefundRequest(request_id=new_id(), payment_id=payment.payment_id, amount=cny(10_000), reason="rest")
    )
    assert second.payment.status == ST.PAYMENT_STATUS_REFUNDED
    assert second.payment.refunded.amount_minor == 12_000
    assert second.payment.refund_pending.amount_minor == 0

    fetched = (await client.GetPayment(pb.GetPaymentRequest(payment_id=payment.payment_id))).payment
    assert [r.refund_id for r in fetched.refunds] == [first.refund.refund_id, second.refund.refund_id]
    assert await events_of(engine, payment.payment_id) == [
        "oms.payments.v1.PaymentAuthorized",
        "oms.payments.v1.PaymentCaptured",
        "oms.payments.v1.PaymentRefunded",
        "oms.payments.v1.PaymentRefunded",
    ]


async def test_void_releases_the_hold_and_voiding_again_changes_nothing(client: Any, engine: AsyncEngine) -> None:
    payment = await authorized(client)
    voided = (await client.Void(pb.VoidRequest(request_id=new_id(), payment_id=payment.payment_id))).payment
    assert voided.status == ST.PAYMENT_STATUS_VOIDED
    again = (await client.Void(pb.VoidRequest(request_id=new_id(), payment_id=payment.payment_id))).payment
    assert again.status == ST.PAYMENT_STATUS_VOIDED
    assert await events_of(engine, payment.payment_id) == [
        "oms.payments.v1.PaymentAuthorized",
        "oms.payments.v1.PaymentVoided",
    ]


async def test_list_payments_by_order_pages_oldest_first(client: Any) -> None:
    order_id = new_id()
    made = []
    for _ in range(3):
        made.append((await client.Authorize(authorize_request(order_id=order_id))).payment.payment_id)
    first = await client.ListPaymentsByOrder(
        pb.ListPaymentsByOrderRequest(order_id=order_id, page=common_pb2.PageRequest(page_size=2))
    )
    assert [p.payment_id for p in first.payments] == made[:2]
    assert first.page.next_page_token
    rest = await client.ListPaymentsByOrder(
        pb.ListPaymentsByOrderRequest(
            order_id=order_id, page=common_pb2.PageRequest(page_size=2, page_token=first.page.next_page_token)
        )
    )
    assert [p.payment_id for p in rest.payments] == made[2:]
    assert rest.page.next_page_token == ""
    bad = await refused(
        client.ListPaymentsByOrder(
            pb.ListPaymentsByOrderRequest(order_id=order_id, page=common_pb2.PageRequest(page_token="bm9wZQ"))
        )
    )
    assert bad.code.name == "INVALID_ARGUMENT"
    assert [v.field for v in bad.violations] == ["page.page_token"]


async def test_events_reach_the_stream(client: Any, redis_url: str, stream_prefix: str) -> None:
    payment = await authorized(client)
    redis = Redis.from_url(redis_url)
    try:

        async def published() -> list[events_pb2.PaymentAuthorized]:
            found = []
            for _, fields in await redis.xrange(f"{stream_prefix}.payments"):
                envelope = envelope_pb2.EventEnvelope.FromString(fields[b"envelope"])
                if envelope.type == "oms.payments.v1.PaymentAuthorized" and envelope.aggregate_id == payment.payment_id:
                    event = events_pb2.PaymentAuthorized()
                    envelope.payload.Unpack(event)
                    found.append(event)
            return found

        [event] = await eventually(published, message="PaymentAuthorized on the stream")
        assert event.amount.amount_minor == 10_000 and event.order_id == payment.order_id
    finally:
        await redis.aclose()


# Bad input: a clear error with the field, and nothing written.


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"order_id": "not-a-uuid"}, "order_id"),
        ({"order_id": ""}, "order_id"),
        ({"amount": cny(0)}, "amount.amount_minor"),
        ({"amount": cny(-5)}, "amount.amount_minor"),
        ({"amount": common_pb2.Money(amount_minor=100, currency="cny")}, "amount.currency"),
        ({"payment_method": pb.PaymentMethod(token="tok_ok", provider="paypal")}, "payment_method.provider"),
        ({"payment_method": pb.PaymentMethod(token="")}, "payment_method.token"),
        ({"payment_method": pb.PaymentMethod(token="4111111111111111")}, "payment_method.token"),
        ({"payment_method": pb.PaymentMethod(token="4111 1111 1111 1111")}, "payment_method.token"),
        ({"request_id": ""}, "request_id"),
    ],
)
async def test_authorize_refuses_bad_input_naming_the_field(
    client: Any, engine: AsyncEngine, overrides: dict[str, Any], field: str
) -> None:
    request = authorize_request(**overrides)
    error = await refused(client.Authorize(request))
    assert error.code.name == "INVALID_ARGUMENT"
    assert [v.field for v in error.violations] == [field]
    assert "4111" not in error.message
    async with engine.connect() as connection:
        count = await connection.scalar(
            text("SELECT count(*) FROM payments WHERE order_id::text = :o"), {"o": request.order_id}
        )
    assert count == 0


async def test_authorize_without_amount_names_it(client: Any) -> None:
    request = authorize_request()
    request.ClearField("amount")
    error = await refused(client.Authorize(request))
    assert error.code.name == "INVALID_ARGUMENT" and [v.field for v in error.violations] == ["amount"]


async def test_unknown_payment_is_not_found(client: Any) -> None:
    error = await refused(client.GetPayment(pb.GetPaymentRequest(payment_id=new_id())))
    assert (error.code.name, error.reason) == ("NOT_FOUND", "PAYMENT_NOT_FOUND")
    error = await refused(client.Capture(pb.CaptureRequest(request_id=new_id(), payment_id=new_id(), amount=cny(1))))
    assert (error.code.name, error.reason) == ("NOT_FOUND", "PAYMENT_NOT_FOUND")


# Idempotency: a replay answers the first answer; the same key with other arguments is refused.


async def test_replays_return_the_first_answer_and_act_once(client: Any, engine: AsyncEngine) -> None:
    request = authorize_request()
    first = (await client.Authorize(request)).payment
    again = (await client.Authorize(request)).payment
    assert again == first

    capture = pb.CaptureRequest(request_id=new_id(), payment_id=first.payment_id, amount=cny(10_000))
    assert (await client.Capture(capture)).payment == (await client.Capture(capture)).payment

    refund = pb.RefundRequest(request_id=new_id(), payment_id=first.payment_id, amount=cny(4_000), reason="r")
    one, two = await client.Refund(refund), await client.Refund(refund)
    assert one == two
    assert two.payment.refunded.amount_minor == 4_000
    assert await events_of(engine, first.payment_id) == [
        "oms.payments.v1.PaymentAuthorized",
        "oms.payments.v1.PaymentCaptured",
        "oms.payments.v1.PaymentRefunded",
    ]

    other = await authorized(client)
    void = pb.VoidRequest(request_id=new_id(), payment_id=other.payment_id)
    assert (await client.Void(void)).payment == (await client.Void(void)).payment


async def test_concurrent_duplicates_authorize_once(client: Any, engine: AsyncEngine) -> None:
    request = authorize_request()
    answers = await asyncio.gather(*(client.Authorize(request) for _ in range(8)))
    assert len({a.payment.payment_id for a in answers}) == 1
    async with engine.connect() as connection:
        count = await connection.scalar(
            text("SELECT count(*) FROM payments WHERE order_id::text = :o"), {"o": request.order_id}
        )
    assert count == 1


async def test_same_request_id_with_other_arguments_is_refused(client: Any) -> None:
    request = authorize_request()
    payment = (await client.Authorize(request)).payment
    changed = authorize_request(request_id=request.request_id, order_id=request.order_id, amount=cny(1))
    error = await refused(client.Authorize(changed))
    assert (error.code.name, error.reason) == ("INVALID_ARGUMENT", "IDEMPOTENCY_KEY_REUSED")
    assert [v.field for v in error.violations] == ["request_id"]

    capture = pb.CaptureRequest(request_id=new_id(), payment_id=payment.payment_id, amount=cny(5_000))
    await client.Capture(capture)
    capture.amount.amount_minor = 6_000
    error = await refused(client.Capture(capture))
    assert error.reason == "IDEMPOTENCY_KEY_REUSED"

    refund = pb.RefundRequest(request_id=new_id(), payment_id=payment.payment_id, amount=cny(1_000), reason="a")
    await client.Refund(refund)
    refund.reason = "b"
    assert (await refused(client.Refund(refund))).reason == "IDEMPOTENCY_KEY_REUSED"

    # A key used by one kind of command cannot be used by another.
    other = await authorized(client)
    error = await refused(client.Void(pb.VoidRequest(request_id=capture.request_id, payment_id=other.payment_id)))
    assert error.reason == "IDEMPOTENCY_KEY_REUSED"
    void = pb.VoidRequest(request_id=new_id(), payment_id=other.payment_id)
    await client.Void(void)
    assert (
        await refused(client.Void(pb.VoidRequest(request_id=void.request_id, payment_id=payment.payment_id)))
    ).reason == ("IDEMPOTENCY_KEY_REUSED")


# The state machine.


async def test_invalid_transitions_are_refused(client: Any) -> None:
    payment = await authorized(client)
    error = await refused(
        client.Refund(pb.RefundRequest(request_id=new_id(), payment_id=payment.payment_id, amount=cny(1), reason="x"))
    )
    assert (error.code.name, error.reason) == ("FAILED_PRECONDITION", "INVALID_TRANSITION")
    await client.Void(pb.VoidRequest(request_id=new_id(), payment_id=payment.payment_id))
    error = await refused(
        client.Capture(pb.CaptureRequest(request_id=new_id(), payment_id=payment.payment_id, amount=cny(1)))
    )
    assert (error.code.name, error.reason) == ("FAILED_PRECONDITION", "INVALID_TRANSITION")
    assert error.metadata["from"] == "VOIDED" and error.metadata["to"] == "CAPTURED"

    taken = await captured(client)
    error = await refused(client.Void(pb.VoidRequest(request_id=new_id(), payment_id=taken.payment_id)))
    assert error.reason == "INVALID_TRANSITION"


async def test_capture_above_the_authorization_is_refused(client: Any) -> None:
    payment = await authorized(client, 5_000)
    error = await refused(
        client.Capture(pb.CaptureRequest(request_id=new_id(), payment_id=payment.payment_id, amount=cny(5_001)))
    )
    assert (error.code.name, error.reason) == ("FAILED_PRECONDITION", "CAPTURE_EXCEEDS_AUTHORIZED")
    error = await refused(
        client.Capture(
            pb.CaptureRequest(
                request_id=new_id(),
                payment_id=payment.payment_id,
                amount=common_pb2.Money(amount_minor=100, currency="USD"),
            )
        )
    )
    assert (error.code.name, error.reason) == ("INVALID_ARGUMENT", "CURRENCY_MISMATCH")
    assert [v.field for v in error.violations] == ["amount.currency"]


# Refunds never exceed the capture, also when they race.


async def test_refund_above_the_capture_is_refused(client: Any) -> None:
    payment = await captured(client, 3_000)
    error = await refused(
        client.Refund(pb.RefundRequest(request_id=new_id(), payment_id=payment.payment_id, amount=cny(3_001)))
    )
    assert (error.code.name, error.reason) == ("FAILED_PRECONDITION", "REFUND_EXCEEDS_CAPTURED")
    assert error.metadata["refundable_minor"] == "3000"


async def test_racing_refunds_never_exceed_the_capture(client: Any, engine: AsyncEngine) -> None:
    payment = await captured(client, 10_000)
    requests = [
        pb.RefundRequest(request_id=new_id(), payment_id=payment.payment_id, amount=cny(3_000), reason="race")
        for _ in range(10)
    ]
    outcomes = await asyncio.gather(*(client.Refund(r) for r in requests), return_exceptions=True)
    passed = [o for o in outcomes if isinstance(o, pb.RefundResponse)]
    failed = [o for o in outcomes if not isinstance(o, pb.RefundResponse)]
    assert len(passed) == 3
    assert {(e.code.name, e.reason) for e in failed} == {("FAILED_PRECONDITION", "REFUND_EXCEEDS_CAPTURED")}
    final = (await client.GetPayment(pb.GetPaymentRequest(payment_id=payment.payment_id))).payment
    assert final.refunded.amount_minor == 9_000 and final.refund_pending.amount_minor == 0
    assert len(final.refunds) == 3
    assert (await events_of(engine, payment.payment_id)).count("oms.payments.v1.PaymentRefunded") == 3


async def test_two_refunds_whose_sum_exceeds_the_capture_cannot_both_pass(client: Any) -> None:
    for _ in range(5):
        payment = await captured(client, 10_000)
        pair = [
            pb.RefundRequest(request_id=new_id(), payment_id=payment.payment_id, amount=cny(6_000), reason="twice")
            for _ in range(2)
        ]
        outcomes = await asyncio.gather(*(client.Refund(r) for r in pair), return_exceptions=True)
        assert sum(isinstance(o, pb.RefundResponse) for o in outcomes) == 1


# Provider outcomes chosen by the sandbox tokens.


async def test_decline_token_is_payment_declined_and_replays_the_same(client: Any, engine: AsyncEngine) -> None:
    request = authorize_request(payment_method=pb.PaymentMethod(token="tok_decline"))
    error = await refused(client.Authorize(request))
    assert (error.code.name, error.reason) == ("FAILED_PRECONDITION", "PAYMENT_DECLINED")
    payment_id = error.metadata["payment_id"]
    again = await refused(client.Authorize(request))
    assert (again.reason, again.metadata["payment_id"]) == ("PAYMENT_DECLINED", payment_id)
    payment = (await client.GetPayment(pb.GetPaymentRequest(payment_id=payment_id))).payment
    assert payment.status == ST.PAYMENT_STATUS_DECLINED and payment.failure_reason == "card_declined"
    assert await events_of(engine, payment_id) == ["oms.payments.v1.PaymentDeclined"]


async def test_timeout_token_is_unavailable_and_leaves_the_intent(client: Any, engine: AsyncEngine) -> None:
    request = authorize_request(payment_method=pb.PaymentMethod(token="tok_timeout"))
    error = await refused(client.Authorize(request))
    assert (error.code.name, error.reason) == ("UNAVAILABLE", "PROVIDER_UNAVAILABLE")
    payment_id = error.metadata["payment_id"]
    payment = (await client.GetPayment(pb.GetPaymentRequest(payment_id=payment_id))).payment
    assert payment.status == ST.PAYMENT_STATUS_AUTHORIZING
    # Retrying with the same request id reuses the intent rather than opening a second payment.
    again = await refused(client.Authorize(request))
    assert again.metadata["payment_id"] == payment_id
    assert await events_of(engine, payment_id) == []


async def test_racing_captures_and_voids_settle_on_one_outcome(client: Any, engine: AsyncEngine) -> None:
    payment = await authorized(client)
    calls = [
        client.Capture(pb.CaptureRequest(request_id=new_id(), payment_id=payment.payment_id, amount=cny(10_000)))
        for _ in range(4)
    ] + [client.Void(pb.VoidRequest(request_id=new_id(), payment_id=payment.payment_id)) for _ in range(4)]
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    passed = [o for o in outcomes if not isinstance(o, oms_client.OmsRpcError)]
    refusals = {o.reason for o in outcomes if isinstance(o, oms_client.OmsRpcError)}
    final = (await client.GetPayment(pb.GetPaymentRequest(payment_id=payment.payment_id))).payment
    assert final.status in (ST.PAYMENT_STATUS_CAPTURED, ST.PAYMENT_STATUS_VOIDED)
    assert refusals <= {"OPERATION_IN_PROGRESS", "INVALID_TRANSITION"}
    # Voiding a voided payment answers success, so several voids may pass; never a capture and a void.
    passed_kinds = {type(o).__name__ for o in passed}
    assert passed_kinds in ({"CaptureResponse"}, {"VoidResponse"})
    if final.status == ST.PAYMENT_STATUS_CAPTURED:
        assert len(passed) == 1 and final.captured.amount_minor == 10_000
    events = await events_of(engine, payment.payment_id)
    assert events[0] == "oms.payments.v1.PaymentAuthorized" and len(events) == 2
