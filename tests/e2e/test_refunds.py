"""Refunds across real processes: approval by policy, return and QC, execution by the saga, audit, races, crashes."""

from __future__ import annotations

import asyncio
import secrets

import oms_client
import pytest
from oms.audit.v1 import audit_pb2
from oms.common.v1 import common_pb2
from oms.orders.v1 import orders_pb2
from oms.payments.v1 import payments_pb2
from oms.refunds.v1 import refunds_pb2
from oms.saga.v1 import saga_pb2

from shared.kernel.ids import new_id
from tests.e2e.conftest import Suite, availability, money, stock_sku
from tests.e2e.test_place_order import order_of, order_request, payments_of
from tests.support import eventually

pytestmark = pytest.mark.e2e

# DOMAIN.md: under 200.00 CNY one cs_supervisor signs; from 200.00 finance and operations both sign.
APPROVAL_THRESHOLD_MINOR = 20_000
GENESIS_HASH = "0" * 64
REFUND_EVENT = "oms.refunds.v1.{}"
# The states an order passes on its way to the warehouse; a held order resumes to where it was held.
TOWARDS_APPROVED = {
    orders_pb2.ORDER_STATUS_PAID: orders_pb2.ORDER_STATUS_UNDER_REVIEW,
    orders_pb2.ORDER_STATUS_UNDER_REVIEW: orders_pb2.ORDER_STATUS_APPROVED,
}


def expected_roles(total_minor: int) -> set[str]:
    return {"cs_supervisor"} if total_minor < APPROVAL_THRESHOLD_MINOR else {"finance", "operations"}


async def placed_order(suite: Suite, sku: str, quantity: int) -> orders_pb2.Order:
    placed = await suite.client("saga").PlaceOrder(order_request(sku, quantity=quantity))
    order = await order_of(suite, placed.order_id)
    assert order.payment_id
    return order


async def approve_for_shipping(suite: Suite, order: orders_pb2.Order) -> orders_pb2.Order:
    """Walks a paid order to APPROVED the way reviewers do (auto-review may already have done it)."""
    orders = suite.client("orders", role="operations")
    for _ in range(5):
        if order.status == orders_pb2.ORDER_STATUS_APPROVED:
            return order
        if order.status in (orders_pb2.ORDER_STATUS_ON_HOLD, orders_pb2.ORDER_STATUS_EXCEPTION):
            target = order.resume_status
        else:
            target = TOWARDS_APPROVED[order.status]
        order = (
            await orders.TransitionOrder(
                orders_pb2.TransitionOrderRequest(
                    request_id=new_id(), order_id=order.order_id, target_status=target, reason="e2e review"
                )
            )
        ).order
    raise AssertionError(f"order {order.order_id} did not reach APPROVED: {order.status}")


async def ship(suite: Suite, order: orders_pb2.Order) -> str:
    """Allocates, claims and confirms the order's shipments as the warehouse does; returns the tracking number."""
    await approve_for_shipping(suite, order)
    allocated = await suite.client("orders", role="operations").AllocateOrder(
        orders_pb2.AllocateOrderRequest(request_id=new_id(), order_id=order.order_id)
    )
    assert allocated.order.status == orders_pb2.ORDER_STATUS_ALLOCATED
    assert allocated.shipments
    warehouse = suite.client("orders", role="warehouse")
    tracking = f"SF{secrets.token_hex(5).upper()}"
    for shipment in allocated.shipments:
        await warehouse.ClaimShipment(
            orders_pb2.ClaimShipmentRequest(request_id=new_id(), shipment_id=shipment.shipment_id)
        )
        await warehouse.ConfirmShipment(
            orders_pb2.ConfirmShipmentRequest(
                request_id=new_id(), shipment_id=shipment.shipment_id, tracking_number=tracking
            )
        )
    assert (await order_of(suite, order.order_id)).status == orders_pb2.ORDER_STATUS_SHIPPED
    return tracking


def full_refund_request(
    order: orders_pb2.Order, sku: str, quantity: int, kind: refunds_pb2.RefundKind
) -> refunds_pb2.RequestRefundRequest:
    goods = order.total.amount_minor - order.shipping_fee.amount_minor
    return refunds_pb2.RequestRefundRequest(
        request_id=new_id(),
        order_id=order.order_id,
        payment_id=order.payment_id,
        kind=kind,
        reason=refunds_pb2.REFUND_REASON_QUALITY_PROBLEM,
        order_type=refunds_pb2.ORDER_TYPE_REGULAR,
        captured=order.total,
        already_refunded=money(0),
        items=[refunds_pb2.Item(sku=sku, quantity=quantity)],
        amount=money(goods),
        shipping_fee=order.shipping_fee,
        description="质量问题 𠮷",
    )


async def sign(suite: Suite, refund: refunds_pb2.Refund) -> list[str]:
    """Every required role signs, each as its own person; returns the request ids, in signing order."""
    request_ids = []
    for role in sorted(refund.required_roles):
        request_id = new_id()
        await suite.client("refunds", role=role).ApproveRefund(
            refunds_pb2.ApproveRefundRequest(request_id=request_id, refund_id=refund.refund_id, comment="同意")
        )
        request_ids.append(request_id)
    return request_ids


async def refund_of(suite: Suite, refund_id: str) -> refunds_pb2.Refund:
    reply = await suite.client("refunds").GetRefund(refunds_pb2.GetRefundRequest(refund_id=refund_id))
    return reply.refund


async def completed(suite: Suite, refund_id: str, timeout: float = 60) -> refunds_pb2.Refund:
    async def done() -> refunds_pb2.Refund | None:
        refund = await refund_of(suite, refund_id)
        if refund.status in (refunds_pb2.REFUND_STATUS_FAILED, refunds_pb2.REFUND_STATUS_REJECTED):
            raise AssertionError(f"refund ended {refunds_pb2.RefundStatus.Name(refund.status)}: {refund}")
        return refund if refund.status == refunds_pb2.REFUND_STATUS_COMPLETED else None

    return await eventually(done, timeout=timeout, interval=0.1, message=f"refund {refund_id} is COMPLETED")


async def audit_entries(suite: Suite, entity_type: str, entity_id: str = "") -> list[audit_pb2.AuditEntry]:
    audit = suite.client("audit")
    entries: list[audit_pb2.AuditEntry] = []
    token = ""
    while True:
        reply = await audit.QueryEntries(
            audit_pb2.QueryEntriesRequest(
                entity_type=entity_type,
                entity_id=entity_id,
                page=common_pb2.PageRequest(page_size=500, page_token=token),
            )
        )
        entries.extend(reply.entries)
        token = reply.page.next_page_token
        if not token:
            return entries


async def test_a_returned_order_is_refunded_restocked_and_on_the_record(suite: Suite):
    sku = await stock_sku(suite, units=5, price=9_900, prefix="RFD")
    order = await placed_order(suite, sku, quantity=3)
    (payment,) = await payments_of(suite, order.order_id)
    assert payment.captured.amount_minor == order.total.amount_minor
    await ship(suite, order)
    shipped = await availability(suite, sku)
    assert (shipped.on_hand, shipped.reserved) == (2, 0)

    request = full_refund_request(order, sku, 3, refunds_pb2.REFUND_KIND_FULL_AFTER_SHIPMENT)
    refund = (await suite.client("refunds", role="customer_service").RequestRefund(request)).refund
    assert refund.status == refunds_pb2.REFUND_STATUS_PENDING_APPROVAL
    assert refund.return_status == refunds_pb2.RETURN_STATUS_AWAITING
    assert refund.stock_action == refunds_pb2.STOCK_ACTION_RESTOCK
    assert refund.requested_by.subject == "e2e-customer_service"
    assert set(refund.required_roles) == expected_roles(refund.total.amount_minor)
    assert refund.total.amount_minor <= order.total.amount_minor

    # The requester may not decide on their own request, whatever the policy.
    with pytest.raises(oms_client.OmsRpcError) as refused:
        await suite.client("refunds", role="customer_service").ApproveRefund(
            refunds_pb2.ApproveRefundRequest(request_id=new_id(), refund_id=refund.refund_id)
        )
    assert refused.value.reason in {"ROLE_NOT_ALLOWED", "SELF_APPROVAL_FORBIDDEN"}

    approvals = await sign(suite, refund)
    assert (await refund_of(suite, refund.refund_id)).status == refunds_pb2.REFUND_STATUS_AWAITING_RETURN
    warehouse = suite.client("refunds", role="warehouse")
    await warehouse.ReceiveReturn(
        refunds_pb2.ReceiveReturnRequest(request_id=new_id(), refund_id=refund.refund_id, notes="退货单 SF123")
    )
    qc_request = new_id()
    await warehouse.RecordQc(
        refunds_pb2.RecordQcRequest(
            request_id=qc_request, refund_id=refund.refund_id, result=refunds_pb2.QC_RESULT_PASSED
        )
    )

    done = await completed(suite, refund.refund_id)

    assert done.return_status == refunds_pb2.RETURN_STATUS_QC_PASSED
    assert done.payment_refund_id and done.saga_id
    (payment,) = await payments_of(suite, order.order_id)
    assert payment.refunded.amount_minor == done.total.amount_minor
    assert [(r.refund_id, r.amount.amount_minor) for r in payment.refunds] == [
        (done.payment_refund_id, done.total.amount_minor)
    ]
    if done.total.amount_minor == payment.captured.amount_minor:
        assert payment.status == payments_pb2.PAYMENT_STATUS_REFUNDED
    restocked = await availability(suite, sku)
    assert (restocked.on_hand, restocked.reserved, restocked.available) == (5, 0, 5)
    saga = (await suite.client("saga").GetSaga(saga_pb2.GetSagaRequest(saga_id=done.saga_id))).saga
    assert saga.state == saga_pb2.SAGA_STATE_SUCCEEDED

    names = ["RefundRequested", "RefundApproved", "RefundReadyForExecution", "RefundCompleted"]

    async def recorded() -> list[audit_pb2.AuditEntry]:
        entries = await audit_entries(suite, "refund", refund.refund_id)
        return entries if len(entries) >= len(names) else []

    entries = await eventually(recorded, timeout=30, message="the refund's events reach the audit log")
    assert [e.source_event_type for e in entries] == [REFUND_EVENT.format(n) for n in names]
    assert [e.action for e in entries] == names
    requested, approved, ready, paid = entries
    assert (requested.actor.subject, requested.actor.role) == ("e2e-customer_service", "customer_service")
    assert requested.request_id == request.request_id
    last_role = sorted(refund.required_roles)[-1]
    assert (approved.actor.subject, approved.actor.role) == (f"e2e-{last_role}", last_role)
    assert approved.request_id == approvals[-1]
    assert (ready.actor.subject, ready.actor.role) == ("e2e-warehouse", "warehouse")
    assert ready.request_id == qc_request
    assert paid.actor.role == "service" and paid.actor.subject
    assert paid.request_id
    assert all(e.entity_type == "refund" and e.entity_id == refund.refund_id for e in entries)
    assert [e.sequence for e in entries] == sorted(e.sequence for e in entries)

    # Each entry is chained to the one before it in the refunds' chain (other refunds may sit in between).
    chain = {e.sequence: e for e in await audit_entries(suite, "refund")}
    for entry in entries:
        before = chain[entry.sequence - 1].hash if entry.sequence > 1 else GENESIS_HASH
        assert entry.prev_hash == before, entry.sequence
        assert len(entry.hash) == 64 and entry.hash != entry.prev_hash
        assert chain[entry.sequence].hash == entry.hash


async def test_concurrent_refunds_never_add_up_to_more_than_was_captured(suite: Suite):
    sku = await stock_sku(suite, units=2, price=9_900, prefix="RFD")
    order = await placed_order(suite, sku, quantity=1)
    captured = order.total.amount_minor
    share = captured * 2 // 5  # two fit, a third would exceed the capture

    async def request() -> refunds_pb2.Refund | oms_client.OmsRpcError:
        try:
            reply = await suite.client("refunds", role="customer_service").RequestRefund(
                refunds_pb2.RequestRefundRequest(
                    request_id=new_id(),
                    order_id=order.order_id,
                    payment_id=order.payment_id,
                    kind=refunds_pb2.REFUND_KIND_PARTIAL,
                    reason=refunds_pb2.REFUND_REASON_PRICE_ADJUSTMENT,
                    order_type=refunds_pb2.ORDER_TYPE_REGULAR,
                    captured=order.total,
                    already_refunded=money(0),
                    amount=money(share),
                    shipping_fee=money(0),
                    description="价保",
                )
            )
        except oms_client.OmsRpcError as error:
            return error
        return reply.refund

    outcomes = await asyncio.gather(*(request() for _ in range(8)))

    passed = [o for o in outcomes if isinstance(o, refunds_pb2.Refund)]
    refused = [o for o in outcomes if isinstance(o, oms_client.OmsRpcError)]
    assert len(passed) == 2
    assert sum(r.total.amount_minor for r in passed) <= captured
    assert [(e.code.name, e.reason) for e in refused] == [("FAILED_PRECONDITION", "REFUND_EXCEEDS_CAPTURED")] * 6
    listed = await suite.client("refunds").ListRefunds(refunds_pb2.ListRefundsRequest(order_id=order.order_id))
    assert sorted(r.refund_id for r in listed.refunds) == sorted(r.refund_id for r in passed)


async def test_a_refund_saga_killed_mid_way_resumes_and_pays_exactly_once(suite: Suite):
    sku = await stock_sku(suite, units=4, price=4_900, prefix="RFD")
    order = await placed_order(suite, sku, quantity=2)
    assert (await availability(suite, sku)).reserved == 2
    request = full_refund_request(order, sku, 2, refunds_pb2.REFUND_KIND_FULL_BEFORE_SHIPMENT)
    refund = (await suite.client("refunds", role="customer_service").RequestRefund(request)).refund
    assert refund.stock_action == refunds_pb2.STOCK_ACTION_RELEASE_RESERVATION
    assert set(refund.required_roles) == expected_roles(refund.total.amount_minor)

    # The last signature emits RefundReadyForExecution; the saga picks it up and is killed straight after.
    await sign(suite, refund)
    suite.stack.kill("saga")
    await suite.stack.restart("saga")
    suite.reconnect("saga")

    done = await completed(suite, refund.refund_id, timeout=90)

    (payment,) = await payments_of(suite, order.order_id)
    assert [(r.refund_id, r.amount.amount_minor) for r in payment.refunds] == [
        (done.payment_refund_id, done.total.amount_minor)
    ]
    assert payment.refunded.amount_minor == done.total.amount_minor
    stock = await availability(suite, sku)
    assert (stock.on_hand, stock.reserved, stock.available) == (4, 0, 4)
    saga = (await suite.client("saga").GetSaga(saga_pb2.GetSagaRequest(saga_id=done.saga_id))).saga
    assert saga.state == saga_pb2.SAGA_STATE_SUCCEEDED
    assert saga.kind == saga_pb2.SAGA_KIND_EXECUTE_REFUND
    assert saga.request_id == f"refund-ready:{refund.refund_id}"
    # A full refund before shipment cancels the order.
    assert (await order_of(suite, order.order_id)).status == orders_pb2.ORDER_STATUS_CANCELLED
    # An operator asking again is refused: the refund is no longer ready, and no more money moves.
    with pytest.raises(oms_client.OmsRpcError) as again:
        await suite.client("saga").ExecuteRefund(
            saga_pb2.ExecuteRefundRequest(request_id=new_id(), refund_id=refund.refund_id)
        )
    assert (again.value.code.name, again.value.reason) == ("FAILED_PRECONDITION", "INVALID_TRANSITION")
    (payment,) = await payments_of(suite, order.order_id)
    assert len(payment.refunds) == 1
    assert (await availability(suite, sku)).available == 4


async def test_a_refund_saga_killed_after_the_money_moved_releases_once_and_pays_once(suite: Suite):
    """Inventory is down, so the saga stops after the payment refund (the pivot); it is killed right there."""
    sku = await stock_sku(suite, units=3, price=4_900, prefix="RFD")
    order = await placed_order(suite, sku, quantity=1)
    request = full_refund_request(order, sku, 1, refunds_pb2.REFUND_KIND_FULL_BEFORE_SHIPMENT)
    refund = (await suite.client("refunds", role="customer_service").RequestRefund(request)).refund
    down: list[str] = []
    try:
        suite.stack.kill("inventory")
        down.append("inventory")
        await sign(suite, refund)

        async def money_moved() -> bool:
            (payment,) = await payments_of(suite, order.order_id)
            return payment.refunded.amount_minor == refund.total.amount_minor

        await eventually(money_moved, timeout=30, message="the saga refunded the payment before the stock step")
        assert (await refund_of(suite, refund.refund_id)).status == refunds_pb2.REFUND_STATUS_EXECUTING
        suite.stack.kill("saga")
        down.append("saga")
    finally:
        for name in down:
            await suite.stack.restart(name)
            suite.reconnect(name)

    done = await completed(suite, refund.refund_id, timeout=90)

    (payment,) = await payments_of(suite, order.order_id)
    assert [(r.refund_id, r.amount.amount_minor) for r in payment.refunds] == [
        (done.payment_refund_id, done.total.amount_minor)
    ]
    assert payment.refunded.amount_minor == done.total.amount_minor
    stock = await availability(suite, sku)
    assert (stock.on_hand, stock.reserved, stock.available) == (3, 0, 3)
    assert (await order_of(suite, order.order_id)).status == orders_pb2.ORDER_STATUS_CANCELLED
