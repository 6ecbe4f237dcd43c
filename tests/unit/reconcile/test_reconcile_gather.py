"""Gathering an order's facts through the contracts and running the report over a window, on in-memory services."""

from __future__ import annotations

from datetime import UTC, timedelta

import grpc
import pytest
from oms.inventory.v1 import inventory_pb2
from oms.orders.v1 import orders_pb2
from oms.payments.v1 import payments_pb2
from oms.saga.v1 import saga_pb2

from shared.kernel.ids import new_id
from shared.kernel.money import Money
from tests.unit.reconcile.reconcile_fakes import CREATED, World, cny, failure
from tools.reconcile.gather import Reader, ReadError, order_view, payment_view
from tools.reconcile.report import Unchecked
from tools.reconcile.rules import Policy
from tools.reconcile.run import check, reconcile

NOW = CREATED + timedelta(hours=4)
SINCE, UNTIL = CREATED - timedelta(hours=1), CREATED + timedelta(hours=1)


def reader(world: World, concurrency: int = 8) -> Reader:
    return Reader(world.clients(), concurrency=concurrency, backoff=0.0, clock=lambda: NOW)


async def run(world: World, concurrency: int = 8):
    return await reconcile(reader(world, concurrency), since=SINCE, until=UNTIL, generated_at=NOW)


def test_an_order_reads_as_plain_values_with_statuses_unprefixed():
    order = orders_pb2.Order(
        order_id=new_id(),
        status=orders_pb2.ORDER_STATUS_EXCEPTION,
        resume_status=orders_pb2.ORDER_STATUS_PAID,
        hold_reason="OUT_OF_STOCK: 𠮷",
        channel=orders_pb2.CHANNEL_TMALL,
        total=cny(12_000),
        payment_id="TMALL:88",
        lines=[orders_pb2.OrderLine(sku="𠮷-1", quantity=3)],
    )
    order.created_at.FromDatetime(CREATED)

    view = order_view(order)

    assert (view.status, view.resume_status, view.stage, view.channel) == ("EXCEPTION", "PAID", "PAID", "TMALL")
    assert view.total == Money(12_000, "CNY")
    assert view.paid_by_channel
    assert view.created_at == CREATED
    assert view.updated_at == CREATED  # unset: taken as the creation time
    assert [(line.sku, line.quantity) for line in view.lines] == [("𠮷-1", 3)]


def test_a_status_a_newer_server_added_is_kept_visible_and_an_unset_amount_is_zero():
    payment = payments_pb2.Payment(payment_id="p", status=42, captured=cny(0))

    view = payment_view(payment, "CNY")

    assert view.status == "UNKNOWN_42"
    assert view.captured == view.refunded == Money(0, "CNY")


def test_an_amount_without_a_currency_is_a_read_error_naming_it():
    payment = payments_pb2.Payment(payment_id="p-1", captured=payments_pb2.Payment().captured)
    payment.captured.amount_minor = 500

    with pytest.raises(ReadError, match="payment p-1 captured"):
        payment_view(payment, "CNY")


async def test_every_page_of_every_list_is_read():
    world = World(page_size=2)
    ids = [world.paid_order() for _ in range(5)]
    first_payment = world.payments[ids[0]][0]
    for status in (payments_pb2.PAYMENT_STATUS_DECLINED, payments_pb2.PAYMENT_STATUS_VOIDED):
        world.payments[ids[0]].append(payments_pb2.Payment(payment_id=new_id(), order_id=ids[0], status=status))

    report = await run(world)
    facts = await reader(world).facts(ids[0])

    assert (report.orders_listed, report.judged, report.consistent) == (5, 5, 5)
    assert facts.payments[0].payment_id == first_payment.payment_id
    assert len(facts.payments) == 3
    (listed, *_) = [r for m, r in world.requests if m == "ListOrders"]
    assert listed.oldest_first
    assert listed.created_after.ToDatetime(tzinfo=UTC) == SINCE
    assert listed.created_before.ToDatetime(tzinfo=UTC) == UNTIL
    assert len([m for m, _ in world.requests if m == "ListOrders"]) == 3


async def test_a_difference_is_listed_with_its_order_and_rule():
    world = World()
    broken, *_ = [world.paid_order() for _ in range(3)]
    world.reservations[broken][0].status = inventory_pb2.RESERVATION_STATUS_RELEASED
    world.reservations[broken][0].release_reason = "手工释放 𠮷"

    report = await run(world)

    assert (report.judged, report.consistent) == (3, 2)
    [(status, difference)] = report.differences
    assert (difference.order_id, difference.rule, status) == (broken, "paid_order_has_stock", "PAID")
    assert "手工释放 𠮷" in difference.cause
    assert report.health.cross_system_consistency == pytest.approx(2 / 3)


async def test_an_order_that_moved_on_between_two_reads_is_read_again_and_found_consistent():
    world = World()
    order_id = world.paid_order()
    listed = world.orders[order_id]
    stale = orders_pb2.Order()
    stale.CopyFrom(listed)
    stale.status = orders_pb2.ORDER_STATUS_PENDING_PAYMENT
    stale.payment_id = ""
    world.orders[order_id] = stale  # what ListOrders saw, before the saga's last step
    world.fresh[order_id] = listed  # what GetOrder answers afterwards

    verdict = await check(reader(world), stale, Policy())

    assert not isinstance(verdict, Unchecked)
    assert verdict.consistent
    assert [m for m, _ in world.requests].count("GetOrder") == 1


async def test_transient_failures_are_retried():
    world = World()
    world.paid_order()
    world.failures["GetSaga"] = [failure(grpc.StatusCode.UNAVAILABLE), failure(grpc.StatusCode.INTERNAL)]
    world.failures["ListRefunds"] = [failure(grpc.StatusCode.RESOURCE_EXHAUSTED)]

    report = await run(world)

    assert (report.judged, report.consistent, report.unchecked) == (1, 1, [])


async def test_an_order_that_cannot_be_read_is_listed_unchecked_and_the_others_judged():
    world = World()
    first = world.paid_order()
    world.paid_order()
    world.failures["ListPaymentsByOrder"] = [failure(grpc.StatusCode.PERMISSION_DENIED)]

    report = await run(world)

    assert (report.orders_listed, report.judged, report.consistent) == (2, 1, 1)
    [unchecked] = report.unchecked
    assert unchecked.order_id == first
    assert "payments ListPaymentsByOrder" in unchecked.error and "PERMISSION_DENIED" in unchecked.error
    assert report.health.cross_system_consistency == 1.0  # unread orders are not counted as consistent


async def test_a_transient_failure_that_lasts_makes_the_order_unchecked():
    world = World()
    world.paid_order()
    world.failures["ListReservations"] = [failure(grpc.StatusCode.UNAVAILABLE)] * 4

    report = await run(world)

    assert report.judged == 0
    assert "UNAVAILABLE" in report.unchecked[0].error


async def test_an_order_without_a_saga_is_judged_without_one():
    world = World()
    order_id = world.paid_order()
    del world.sagas[order_id]

    facts = await reader(world).facts(order_id)

    assert facts.saga is None


async def test_a_listing_of_another_order_is_refused():
    world = World()
    order_id, other = world.paid_order(), world.paid_order()
    world.reservations[order_id].append(world.reservations[other][0])

    report = await run(world)

    assert [u.order_id for u in report.unchecked] == [order_id]
    assert "returned one of order" in report.unchecked[0].error


async def test_a_paging_loop_is_cut_short():
    world = World(page_size=1, loop_tokens=True)
    for _ in range(3):
        world.paid_order()

    with pytest.raises(ReadError, match="twice"):
        await run(world)


async def test_a_failure_to_list_the_orders_fails_the_report():
    world = World()
    world.paid_order()
    world.failures["ListOrders"] = [failure(grpc.StatusCode.PERMISSION_DENIED)]

    with pytest.raises(ReadError, match="orders ListOrders"):
        await run(world)


async def test_at_most_concurrency_orders_are_read_at_once():
    world = World(page_size=500)
    for _ in range(12):
        world.paid_order()

    report = await run(world, concurrency=3)

    assert report.consistent == 12
    assert world.most_orders_at_once == 3


async def test_the_window_must_start_before_it_ends():
    with pytest.raises(ValueError, match="window"):
        await reconcile(reader(World()), since=UNTIL, until=SINCE, generated_at=NOW)


async def test_a_placement_still_running_is_in_flight():
    world = World()
    order_id = world.paid_order()
    saga = world.sagas[order_id]
    saga.state = saga_pb2.SAGA_STATE_RUNNING
    saga.created_at.FromDatetime(NOW - timedelta(seconds=3))

    report = await run(world)

    assert report.judged == 0
    assert report.in_flight == [(order_id, "PAID", f"placement saga {saga.saga_id} RUNNING")]
    assert report.health.cross_system_consistency is None


def test_the_reader_needs_every_service():
    clients = World().clients()
    del clients["refunds"]

    with pytest.raises(ValueError, match="refunds"):
        Reader(clients)
