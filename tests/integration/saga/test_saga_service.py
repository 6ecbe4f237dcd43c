"""The saga service over real gRPC and PostgreSQL (participants faked): outcomes, bad input, idempotency, races."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import grpc
import oms_client
import pytest
from oms.common.v1 import common_pb2
from oms.saga.v1 import saga_pb2

from services.saga.bootstrap import Settings, build_service
from services.saga.domain.refund import RefundItem
from shared.kernel.ids import new_id
from shared.kernel.money import Money
from tests.harness import running_service
from tests.unit.saga.saga_fakes import FakeRefund, FakeWorld, error

pb = saga_pb2


@pytest.fixture(scope="module")
def world() -> FakeWorld:
    return FakeWorld()


@pytest.fixture(autouse=True)
def fresh_script(world: FakeWorld) -> None:
    world.script.clear()
    world.after.clear()
    world.gates.clear()


@pytest.fixture(scope="module")
async def database_url(service_database) -> str:
    return await service_database("saga")


def settings(database_url: str, redis_url: str, stream_prefix: str) -> Settings:
    return Settings(
        service_name="saga",
        database_url=database_url,
        redis_url=redis_url,
        stream_prefix=stream_prefix,
        saga_step_backoff_seconds=0.0,
        saga_compensation_backoff_seconds=0.0,
        relay_enabled=False,
    )


@contextlib.asynccontextmanager
async def coordinator(world: FakeWorld, database_url: str, redis_url: str, prefix: str) -> AsyncIterator[Any]:
    config = settings(database_url, redis_url, prefix)
    async with running_service(config, lambda s, infra: build_service(s, infra, world.participants)) as channel:
        yield oms_client.ServiceClient.for_service(channel, "saga", timeout=10.0)


@pytest.fixture(scope="module")
async def client(world: FakeWorld, database_url: str, redis_url: str, stream_prefix: str) -> AsyncIterator[Any]:
    async with coordinator(world, database_url, redis_url, stream_prefix) as saga:
        yield saga


def request(**overrides: Any) -> pb.PlaceOrderRequest:
    fields: dict[str, Any] = {
        "request_id": new_id(),
        "customer": pb.CustomerDetails(name="张伟𠮷", phone="13800138000"),
        "lines": [pb.OrderLine(sku="SKU-1", quantity=2), pb.OrderLine(sku="SKU-2", quantity=1)],
        "shipping_address": common_pb2.Address(recipient="张伟", province="浙江省", city="嘉兴", detail="1号"),
        "payment_method": pb.PaymentMethod(provider="sandbox", token="tok_ok"),
        "channel": "tmall",
        "order_type": pb.ORDER_TYPE_RUSH,
    }
    fields.update(overrides)
    return pb.PlaceOrderRequest(**fields)


async def refused(call: Any) -> oms_client.OmsRpcError:
    with pytest.raises(oms_client.OmsRpcError) as caught:
        await call
    return caught.value


async def test_place_order_answers_with_the_paid_order(client: Any, world: FakeWorld) -> None:
    sent = request()

    placed = await client.PlaceOrder(sent)

    assert placed.saga.state == pb.SAGA_STATE_SUCCEEDED
    assert world.orders[placed.order_id] == "PAID"
    assert placed.total.amount_minor == 37_000 and placed.total.currency == "CNY"
    assert placed.payment_id and placed.reservation_id
    assert [s.name for s in placed.saga.steps][:3] == ["upsert_customer", "quote", "create_order"]
    assert all(s.status == pb.STEP_STATUS_SUCCEEDED and s.attempts == 1 for s in placed.saga.steps)
    assert placed.saga.steps[3].request_id == f"{placed.saga.saga_id}:reserve_stock"
    by_request = (await client.GetSaga(pb.GetSagaRequest(request_id=sent.request_id))).saga
    by_order = (await client.GetSaga(pb.GetSagaRequest(order_id=placed.order_id))).saga
    assert by_request == by_order == (await client.GetSaga(pb.GetSagaRequest(saga_id=placed.saga.saga_id))).saga
    assert by_request.kind == pb.SAGA_KIND_PLACE_ORDER
    names = [c.args[0] for c in world.calls if c.method == "customers.upsert"]
    assert "张伟𠮷" in names


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"request_id": ""}, "request_id"),
        ({"lines": []}, "lines"),
        ({"lines": [pb.OrderLine(sku="SKU-1", quantity=0)]}, "lines[0].quantity"),
        ({"lines": [pb.OrderLine(sku="A", quantity=1), pb.OrderLine(sku="A", quantity=1)]}, "lines[1].sku"),
        ({"customer": pb.CustomerDetails(name="x")}, "customer.phone"),
        ({"customer": pb.CustomerDetails(phone="1")}, "customer.name"),
        ({"channel": "ebay"}, "channel"),
        ({"payment_method": pb.PaymentMethod(provider="sandbox")}, "payment_method.token"),
        ({"shipping_address": common_pb2.Address()}, "shipping_address.recipient"),
        ({"currency": "cny"}, "currency"),
        ({"buyer_remark": "x" * 1001}, "buyer_remark"),
        ({"order_type": 42}, "order_type"),
    ],
)
async def test_bad_input_is_refused_with_the_field_before_any_call(
    client: Any, world: FakeWorld, overrides: dict[str, Any], field: str
) -> None:
    before = len(world.calls)

    failure = await refused(client.PlaceOrder(request(**overrides)))

    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT
    assert failure.reason == "INVALID_ARGUMENT"
    assert [v.field for v in failure.violations] == [field]
    assert len(world.calls) == before


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.GetSagaRequest(), "key"),
        (pb.GetSagaRequest(saga_id="not-a-uuid"), "saga_id"),
        (pb.GetSagaRequest(order_id="1"), "order_id"),
    ],
)
async def test_get_saga_bad_keys(client: Any, request_: pb.GetSagaRequest, field: str) -> None:
    failure = await refused(client.GetSaga(request_))

    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in failure.violations] == [field]


async def test_get_saga_unknown(client: Any) -> None:
    failure = await refused(client.GetSaga(pb.GetSagaRequest(saga_id=new_id())))

    assert failure.code == grpc.StatusCode.NOT_FOUND and failure.reason == "SAGA_NOT_FOUND"


async def test_a_participant_refusal_reaches_the_caller_with_its_reason_and_metadata(
    client: Any, world: FakeWorld
) -> None:
    world.fail("inventory.reserve", error("FAILED_PRECONDITION", "INSUFFICIENT_STOCK", sku="SKU-1", available="0"))
    sent = request()

    failure = await refused(client.PlaceOrder(sent))
    again = await refused(client.PlaceOrder(sent))

    assert failure.code == grpc.StatusCode.FAILED_PRECONDITION
    assert failure.reason == "INSUFFICIENT_STOCK"
    assert failure.domain == "oms.saga"
    assert failure.metadata["sku"] == "SKU-1" and failure.metadata["available"] == "0"
    assert failure.metadata["step"] == "reserve_stock"
    assert failure.metadata["participant_domain"] == "oms.fake"
    assert failure.metadata["compensated"] == "true"
    assert (again.code, again.reason, again.metadata) == (failure.code, failure.reason, failure.metadata)
    saga = (await client.GetSaga(pb.GetSagaRequest(saga_id=failure.metadata["saga_id"]))).saga
    assert saga.state == pb.SAGA_STATE_FAILED
    assert saga.failed_step == "reserve_stock" and saga.failure.reason == "INSUFFICIENT_STOCK"
    assert world.orders[saga.order_id] == "CANCELLED"
    statuses = {s.name: s.status for s in saga.steps}
    assert statuses["create_order"] == pb.STEP_STATUS_COMPENSATED
    assert statuses["reserve_stock"] == pb.STEP_STATUS_FAILED
    assert statuses["authorize_payment"] == pb.STEP_STATUS_PENDING


async def test_ten_identical_requests_at_once_make_one_saga_and_one_order(client: Any, world: FakeWorld) -> None:
    sent = request()
    orders_before = len(world.orders)

    answers = await asyncio.gather(*(client.PlaceOrder(sent) for _ in range(10)))

    assert len({a.saga.saga_id for a in answers}) == 1
    assert len({a.order_id for a in answers}) == 1
    assert len(world.orders) == orders_before + 1
    assert world.count("customers.upsert") == len({c.request_id for c in world.calls if c.method == "customers.upsert"})


async def test_identical_requests_to_two_coordinators_make_one_order(
    client: Any, world: FakeWorld, database_url: str, redis_url: str, stream_prefix: str
) -> None:
    sent = request()
    orders_before = len(world.orders)
    async with coordinator(world, database_url, redis_url, stream_prefix) as other:
        answers = await asyncio.gather(*(c.PlaceOrder(sent) for _ in range(5) for c in (client, other)))

    assert len({a.order_id for a in answers}) == 1
    assert {a.saga.state for a in answers} == {pb.SAGA_STATE_SUCCEEDED}
    assert len(world.orders) == orders_before + 1


async def test_a_request_id_reused_with_other_arguments_is_refused(client: Any) -> None:
    sent = request()
    await client.PlaceOrder(sent)

    failure = await refused(client.PlaceOrder(request(request_id=sent.request_id, buyer_remark="changed")))

    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT
    assert failure.reason == "IDEMPOTENCY_KEY_REUSED"
    assert [v.field for v in failure.violations] == ["request_id"]


async def test_a_caller_whose_deadline_comes_first_is_told_to_ask_again(client: Any, world: FakeWorld) -> None:
    gate, entered = world.gate("payments.capture")
    sent = request()
    orders_before = len(world.orders)

    failure = await refused(client.PlaceOrder(sent, timeout=1.0))
    await entered.wait()
    gate.set()
    placed = await client.PlaceOrder(sent)

    assert failure.code == grpc.StatusCode.ABORTED and failure.reason == "SAGA_IN_PROGRESS"
    assert failure.metadata["saga_id"] == placed.saga.saga_id
    assert placed.saga.state == pb.SAGA_STATE_SUCCEEDED
    assert len(world.orders) == orders_before + 1


async def test_cancel_order_releases_the_stock_and_refunds(client: Any, world: FakeWorld) -> None:
    placed = await client.PlaceOrder(request())

    cancelled = await client.CancelOrder(
        pb.CancelOrderRequest(request_id=new_id(), order_id=placed.order_id, reason="买家取消")
    )

    assert cancelled.saga.state == pb.SAGA_STATE_SUCCEEDED
    assert cancelled.saga.kind == pb.SAGA_KIND_CANCEL_ORDER
    assert cancelled.saga.order_id == placed.order_id
    assert world.orders[placed.order_id] == "CANCELLED"
    assert world.reservations[placed.order_id] == "RELEASED"
    payment = world.payment_of(placed.order_id)
    assert payment is not None and payment.status == "REFUNDED"


async def test_cancel_order_of_an_order_still_being_placed_is_refused(client: Any, world: FakeWorld) -> None:
    gate, entered = world.gate("payments.authorize")
    placing = asyncio.ensure_future(client.PlaceOrder(request()))
    await entered.wait()
    order_id = next(iter(reversed(world.orders)))

    failure = await refused(
        client.CancelOrder(pb.CancelOrderRequest(request_id=new_id(), order_id=order_id, reason="x"))
    )
    gate.set()
    await placing

    assert failure.code == grpc.StatusCode.FAILED_PRECONDITION and failure.reason == "SAGA_IN_PROGRESS"


async def test_cancel_order_bad_input(client: Any) -> None:
    failure = await refused(client.CancelOrder(pb.CancelOrderRequest(request_id=new_id(), order_id="x", reason="y")))

    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in failure.violations] == ["order_id"]


async def test_list_sagas_pages_and_filters(client: Any) -> None:
    await client.PlaceOrder(request())
    await client.PlaceOrder(request())

    first = await client.ListSagas(pb.ListSagasRequest(states=[pb.SAGA_STATE_SUCCEEDED], page={"page_size": 1}))
    second = await client.ListSagas(
        pb.ListSagasRequest(
            states=[pb.SAGA_STATE_SUCCEEDED], page={"page_size": 1, "page_token": first.page.next_page_token}
        )
    )
    bad = await refused(client.ListSagas(pb.ListSagasRequest(states=[pb.SAGA_STATE_UNSPECIFIED])))

    assert len(first.sagas) == len(second.sagas) == 1
    assert first.sagas[0].saga_id > second.sagas[0].saga_id
    assert {s.state for s in [*first.sagas, *second.sagas]} == {pb.SAGA_STATE_SUCCEEDED}
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT and [v.field for v in bad.violations] == ["states[0]"]


async def test_execute_refund_pays_back_and_is_found_by_its_request_id(client: Any, world: FakeWorld) -> None:
    placed = await client.PlaceOrder(request())
    refund = FakeRefund(
        new_id(),
        placed.order_id,
        placed.payment_id,
        "FULL_BEFORE_SHIPMENT",
        Money(placed.total.amount_minor, "CNY"),
        (RefundItem("SKU-1", 2), RefundItem("SKU-2", 1)),
        "RELEASE_RESERVATION",
    )
    world.refund_records[refund.refund_id] = refund
    sent = pb.ExecuteRefundRequest(request_id=new_id(), refund_id=refund.refund_id)

    executed = await client.ExecuteRefund(sent)
    again = await client.ExecuteRefund(sent)

    assert executed.saga.state == pb.SAGA_STATE_SUCCEEDED
    assert executed.saga.kind == pb.SAGA_KIND_EXECUTE_REFUND
    assert executed.refund_id == executed.saga.refund_id == refund.refund_id
    assert executed.payment_refund_id == refund.payment_refund_id != ""
    assert executed.saga.total == placed.total
    assert again == executed
    assert refund.status == "COMPLETED"
    assert world.orders[placed.order_id] == "CANCELLED"
    found = (await client.GetSaga(pb.GetSagaRequest(request_id=sent.request_id))).saga
    assert found.saga_id == executed.saga.saga_id
    assert [s.name for s in found.steps] == [
        "mark_refund_executing",
        "refund_payment",
        "move_stock",
        "update_order",
        "mark_refund_completed",
    ]


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        (pb.ExecuteRefundRequest(request_id="", refund_id="01a200b7-2678-7698-8f96-f4cc81db84d6"), "request_id"),
        (pb.ExecuteRefundRequest(request_id="op-1", refund_id="𠮷"), "refund_id"),
    ],
)
async def test_execute_refund_bad_input(client: Any, sent: pb.ExecuteRefundRequest, field: str) -> None:
    failure = await refused(client.ExecuteRefund(sent))

    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in failure.violations] == [field]


async def test_execute_refund_of_an_unknown_refund_passes_not_found_through(client: Any) -> None:
    failure = await refused(client.ExecuteRefund(pb.ExecuteRefundRequest(request_id=new_id(), refund_id=new_id())))

    assert failure.code == grpc.StatusCode.NOT_FOUND
    assert failure.reason == "REFUND_NOT_FOUND"
    assert failure.metadata["step"] == "mark_refund_executing"
