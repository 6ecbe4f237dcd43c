"""The refunds service over real gRPC, PostgreSQL and Redis: approvals, returns, execution, the ledger under
racing requests, exceptions, bad input and idempotent replays."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import oms_client
import pytest
from oms.common.v1 import common_pb2
from oms.events.v1 import events_pb2 as envelope_pb2
from oms.refunds.v1 import events_pb2, refunds_pb2
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.refunds.bootstrap import Settings, build
from shared.kernel.ids import new_id
from tests.harness import running_service
from tests.support import eventually

pb = refunds_pb2
ST = refunds_pb2.RefundStatus

AGENT = (("x-oms-subject", "agent-7"), ("x-oms-role", "customer_service"))
SUPERVISOR = (("x-oms-subject", "sup-1"), ("x-oms-role", "cs_supervisor"))
FINANCE = (("x-oms-subject", "fin-1"), ("x-oms-role", "finance"))
OPERATIONS = (("x-oms-subject", "ops-1"), ("x-oms-role", "operations"))
WAREHOUSE = (("x-oms-subject", "wh-1"), ("x-oms-role", "warehouse"))
SAGA = (("x-oms-subject", "saga"), ("x-oms-role", "service"))


@pytest.fixture(scope="module")
async def database_url(service_database) -> str:
    return await service_database("refunds")


@pytest.fixture(scope="module")
async def client(database_url: str, redis_url: str, stream_prefix: str) -> AsyncIterator[Any]:
    settings = Settings(
        service_name="refunds", database_url=database_url, redis_url=redis_url, stream_prefix=stream_prefix
    )
    async with running_service(settings, build) as channel:
        yield oms_client.ServiceClient.for_service(channel, "refunds")


@pytest.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


def cny(amount: int) -> common_pb2.Money:
    return common_pb2.Money(amount_minor=amount, currency="CNY")


def refund_request(**overrides: Any) -> pb.RequestRefundRequest:
    fields: dict[str, Any] = {
        "request_id": new_id(),
        "order_id": new_id(),
        "payment_id": new_id(),
        "kind": pb.REFUND_KIND_FULL_BEFORE_SHIPMENT,
        "reason": pb.REFUND_REASON_CHANGED_MIND,
        "order_type": pb.ORDER_TYPE_REGULAR,
        "captured": cny(10_000),
        "already_refunded": cny(0),
        "items": [pb.Item(sku="SKU-1", quantity=2)],
        "amount": cny(9_000),
        "shipping_fee": cny(1_000),
        "description": "买错了 𠮷",
    }
    fields.update(overrides)
    return pb.RequestRefundRequest(**fields)


async def requested(client: Any, **overrides: Any) -> pb.Refund:
    return (await client.RequestRefund(refund_request(**overrides), metadata=AGENT)).refund


async def refused(call: Any) -> oms_client.OmsRpcError:
    with pytest.raises(oms_client.OmsRpcError) as caught:
        await call
    return caught.value


async def approve(client: Any, refund_id: str, caller: Any) -> pb.Refund:
    request = pb.ApproveRefundRequest(request_id=new_id(), refund_id=refund_id, comment="同意")
    return (await client.ApproveRefund(request, metadata=caller)).refund


async def events_of(engine: AsyncEngine, aggregate_id: str) -> list[str]:
    """The integration event types in the outbox for one aggregate, in commit order."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT event_type FROM outbox WHERE aggregate_id = :id ORDER BY position"), {"id": aggregate_id}
        )
        return [row.event_type.removeprefix("oms.refunds.v1.") for row in rows]


async def ledger_of(engine: AsyncEngine, order_id: str) -> tuple[int, int, int]:
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text("SELECT captured_minor, reserved_minor, completed_minor FROM refund_ledgers WHERE order_id = :o"),
                {"o": order_id},
            )
        ).one()
        return row.captured_minor, row.reserved_minor, row.completed_minor


# The happy paths.


async def test_small_refund_before_shipment_from_request_to_completion(client: Any, engine: AsyncEngine) -> None:
    refund = await requested(client)
    assert refund.status == ST.REFUND_STATUS_PENDING_APPROVAL
    assert refund.required_roles == ["cs_supervisor"]
    # Before shipment the whole shipping fee goes back, even for a change of mind.
    assert (refund.shipping_refund.amount_minor, refund.shipping_rule) == (1_000, "not-shipped")
    assert refund.total.amount_minor == 10_000
    assert refund.stock_action == pb.STOCK_ACTION_RELEASE_RESERVATION
    assert refund.requested_by.subject == "agent-7" and refund.description == "买错了 𠮷"
    assert refund.due_at.ToSeconds() - refund.requested_at.ToSeconds() == 24 * 3600

    approved = await approve(client, refund.refund_id, SUPERVISOR)
    assert approved.status == ST.REFUND_STATUS_READY_FOR_EXECUTION
    assert [a.approver.subject for a in approved.approvals] == ["sup-1"]

    executing = (
        await client.MarkRefundExecuting(
            pb.MarkRefundExecutingRequest(request_id=new_id(), refund_id=refund.refund_id, saga_id="saga-1"),
            metadata=SAGA,
        )
    ).refund
    assert executing.status == ST.REFUND_STATUS_EXECUTING and executing.saga_id == "saga-1"
    completed = (
        await client.MarkRefundCompleted(
            pb.MarkRefundCompletedRequest(request_id=new_id(), refund_id=refund.refund_id, payment_refund_id="pr-1")
        )
    ).refund
    assert completed.status == ST.REFUND_STATUS_COMPLETED and completed.HasField("completed_at")
    assert await ledger_of(engine, refund.order_id) == (10_000, 10_000, 10_000)
    assert await events_of(engine, refund.refund_id) == [
        "RefundRequested",
        "RefundApproved",
        "RefundReadyForExecution",
        "RefundCompleted",
    ]
    got = (await client.GetRefund(pb.GetRefundRequest(refund_id=refund.refund_id))).refund
    assert got == completed


async def test_large_refund_needs_finance_and_operations(client: Any) -> None:
    refund = await requested(client, captured=cny(50_000), amount=cny(30_000))
    assert refund.required_roles == ["finance", "operations"]
    error = await refused(approve(client, refund.refund_id, SUPERVISOR))
    assert (error.code, error.reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_NOT_ALLOWED")
    half = await approve(client, refund.refund_id, FINANCE)
    assert half.status == ST.REFUND_STATUS_PENDING_APPROVAL
    error = await refused(approve(client, refund.refund_id, (("x-oms-subject", "fin-2"), ("x-oms-role", "finance"))))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ROLE_ALREADY_SIGNED")
    # The finance signer holding the operations role too is still one person: a second signature is refused.
    error = await refused(approve(client, refund.refund_id, (("x-oms-subject", "fin-1"), ("x-oms-role", "operations"))))
    assert (error.code, error.reason) == (grpc.StatusCode.PERMISSION_DENIED, "APPROVER_ALREADY_SIGNED")
    done = await approve(client, refund.refund_id, OPERATIONS)
    assert done.status == ST.REFUND_STATUS_READY_FOR_EXECUTION
    assert sorted(a.approver.role for a in done.approvals) == ["finance", "operations"]


async def test_both_roles_signing_at_once_approve_exactly_once(client: Any, engine: AsyncEngine) -> None:
    refund = await requested(client, captured=cny(50_000), amount=cny(30_000))
    signed = await asyncio.gather(
        approve(client, refund.refund_id, FINANCE), approve(client, refund.refund_id, OPERATIONS)
    )
    assert sorted(r.status for r in signed) == [ST.REFUND_STATUS_PENDING_APPROVAL, ST.REFUND_STATUS_READY_FOR_EXECUTION]
    assert (await events_of(engine, refund.refund_id)).count("RefundApproved") == 1


async def test_nobody_approves_their_own_request(client: Any) -> None:
    refund = await requested(client)
    own = (("x-oms-subject", "agent-7"), ("x-oms-role", "cs_supervisor"))
    error = await refused(approve(client, refund.refund_id, own))
    assert (error.code, error.reason, error.domain) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "SELF_APPROVAL_FORBIDDEN",
        "oms.refunds",
    )
    error = await refused(
        client.RejectRefund(
            pb.RejectRefundRequest(request_id=new_id(), refund_id=refund.refund_id, reason="x"), metadata=own
        )
    )
    assert error.reason == "SELF_APPROVAL_FORBIDDEN"
    still = (await client.GetRefund(pb.GetRefundRequest(refund_id=refund.refund_id))).refund
    assert still.status == ST.REFUND_STATUS_PENDING_APPROVAL and not still.approvals


async def test_after_shipment_waits_for_return_and_qc(client: Any, engine: AsyncEngine) -> None:
    refund = await requested(client, kind=pb.REFUND_KIND_FULL_AFTER_SHIPMENT, reason=pb.REFUND_REASON_QUALITY_PROBLEM)
    assert refund.return_status == pb.RETURN_STATUS_AWAITING and refund.stock_action == pb.STOCK_ACTION_RESTOCK
    assert refund.due_at.ToSeconds() - refund.requested_at.ToSeconds() == 48 * 3600
    approved = await approve(client, refund.refund_id, SUPERVISOR)
    assert approved.status == ST.REFUND_STATUS_AWAITING_RETURN

    qc = pb.RecordQcRequest(request_id=new_id(), refund_id=refund.refund_id, result=pb.QC_RESULT_PASSED)
    error = await refused(client.RecordQc(qc, metadata=WAREHOUSE))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "RETURN_NOT_RECEIVED")
    receive = pb.ReceiveReturnRequest(request_id=new_id(), refund_id=refund.refund_id, notes="顺丰 SF1234")
    error = await refused(client.ReceiveReturn(receive, metadata=SUPERVISOR))
    assert (error.code, error.reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_NOT_ALLOWED")
    received = (await client.ReceiveReturn(receive, metadata=WAREHOUSE)).refund
    assert received.return_status == pb.RETURN_STATUS_RECEIVED and received.return_received_by.subject == "wh-1"

    ready = (await client.RecordQc(qc, metadata=WAREHOUSE)).refund
    assert ready.status == ST.REFUND_STATUS_READY_FOR_EXECUTION and ready.return_status == pb.RETURN_STATUS_QC_PASSED
    assert await events_of(engine, refund.refund_id) == [
        "RefundRequested",
        "RefundApproved",
        "RefundReadyForExecution",
    ]


async def test_failed_qc_rejects_and_gives_the_amount_back(client: Any, engine: AsyncEngine) -> None:
    order_id = new_id()
    refund = await requested(client, order_id=order_id, kind=pb.REFUND_KIND_FULL_AFTER_SHIPMENT)
    assert await ledger_of(engine, order_id) == (10_000, 9_000, 0)  # changed mind after shipment: no shipping
    await client.ReceiveReturn(
        pb.ReceiveReturnRequest(request_id=new_id(), refund_id=refund.refund_id), metadata=WAREHOUSE
    )
    failed = pb.RecordQcRequest(request_id=new_id(), refund_id=refund.refund_id, result=pb.QC_RESULT_FAILED)
    error = await refused(client.RecordQc(failed, metadata=WAREHOUSE))
    assert (error.code, [v.field for v in error.violations]) == (grpc.StatusCode.INVALID_ARGUMENT, ["notes"])
    failed.notes = "使用过 / used"
    rejected = (await client.RecordQc(failed, metadata=WAREHOUSE)).refund
    assert rejected.status == ST.REFUND_STATUS_REJECTED and rejected.return_status == pb.RETURN_STATUS_QC_FAILED
    assert await ledger_of(engine, order_id) == (10_000, 0, 0)
    assert (await events_of(engine, refund.refund_id))[-1] == "RefundRejected"


async def test_rejection_and_failed_execution_release_the_ledger(client: Any, engine: AsyncEngine) -> None:
    order_id = new_id()
    first = await requested(client, order_id=order_id)
    error = await refused(requested(client, order_id=order_id))
    assert (error.code, error.reason, error.metadata["refundable_minor"]) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "REFUND_EXCEEDS_CAPTURED",
        "0",
    )
    rejected = (
        await client.RejectRefund(
            pb.RejectRefundRequest(request_id=new_id(), refund_id=first.refund_id, reason="重复申请"),
            metadata=SUPERVISOR,
        )
    ).refund
    assert rejected.status == ST.REFUND_STATUS_REJECTED and rejected.rejection_reason == "重复申请"

    second = await requested(client, order_id=order_id)
    await approve(client, second.refund_id, SUPERVISOR)
    await client.MarkRefundExecuting(
        pb.MarkRefundExecutingRequest(request_id=new_id(), refund_id=second.refund_id, saga_id="s-2")
    )
    fail = pb.MarkRefundFailedRequest(request_id=new_id(), refund_id=second.refund_id, reason="REFUND_DECLINED")
    failed = (await client.MarkRefundFailed(fail)).refund
    assert failed.status == ST.REFUND_STATUS_FAILED and failed.failure_reason == "REFUND_DECLINED"
    # Failing again (a resumed saga with a new step id) changes nothing and releases nothing twice.
    fail.request_id = new_id()
    assert (await client.MarkRefundFailed(fail)).refund == failed
    assert await ledger_of(engine, order_id) == (10_000, 0, 0)
    assert (await events_of(engine, second.refund_id)).count("RefundFailed") == 1


async def test_execution_transitions_are_checked(client: Any) -> None:
    refund = await requested(client)
    error = await refused(
        client.MarkRefundExecuting(
            pb.MarkRefundExecutingRequest(request_id=new_id(), refund_id=refund.refund_id, saga_id="s")
        )
    )
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "INVALID_TRANSITION")
    assert (error.metadata["from"], error.metadata["to"]) == ("PENDING_APPROVAL", "EXECUTING")
    await approve(client, refund.refund_id, SUPERVISOR)
    start = pb.MarkRefundExecutingRequest(request_id=new_id(), refund_id=refund.refund_id, saga_id="s-1")
    await client.MarkRefundExecuting(start)
    start.request_id = new_id()
    assert (await client.MarkRefundExecuting(start)).refund.saga_id == "s-1"  # a resumed saga
    other = pb.MarkRefundExecutingRequest(request_id=new_id(), refund_id=refund.refund_id, saga_id="s-2")
    error = await refused(client.MarkRefundExecuting(other))
    assert (error.reason, error.metadata["saga_id"]) == ("REFUND_EXECUTED_BY_OTHER_SAGA", "s-1")


# Never more than captured.


async def test_concurrent_requests_never_exceed_the_capture(client: Any, engine: AsyncEngine) -> None:
    order_id, payment_id = new_id(), new_id()

    async def one() -> pb.Refund | oms_client.OmsRpcError:
        try:
            return await requested(
                client,
                order_id=order_id,
                payment_id=payment_id,
                kind=pb.REFUND_KIND_PARTIAL,
                reason=pb.REFUND_REASON_QUALITY_PROBLEM,
                items=[],
                amount=cny(3_000),
                shipping_fee=cny(0),
            )
        except oms_client.OmsRpcError as error:
            return error

    outcomes = await asyncio.gather(*(one() for _ in range(12)))
    accepted = [o for o in outcomes if isinstance(o, pb.Refund)]
    refusals = [o for o in outcomes if isinstance(o, oms_client.OmsRpcError)]
    # 12 x 30.00 asked against a 100.00 capture: exactly three fit.
    assert len(accepted) == 3
    assert {(e.code, e.reason) for e in refusals} == {(grpc.StatusCode.FAILED_PRECONDITION, "REFUND_EXCEEDS_CAPTURED")}
    assert await ledger_of(engine, order_id) == (10_000, 9_000, 0)
    listed = await client.ListRefunds(pb.ListRefundsRequest(order_id=order_id))
    assert sum(r.total.amount_minor for r in listed.refunds) == 9_000


async def test_refunds_made_elsewhere_count_against_the_capture(client: Any, engine: AsyncEngine) -> None:
    order_id = new_id()
    partial = {"kind": pb.REFUND_KIND_COMPENSATION, "items": [], "shipping_fee": cny(0)}
    await requested(client, order_id=order_id, amount=cny(4_000), **partial)
    # The payment now reports 50.00 refunded: 40.00 of it is unknown here (e.g. a saga compensation).
    error = await refused(
        requested(client, order_id=order_id, amount=cny(2_000), already_refunded=cny(5_000), **partial)
    )
    assert (error.reason, error.metadata["refundable_minor"]) == ("REFUND_EXCEEDS_CAPTURED", "1000")
    await requested(client, order_id=order_id, amount=cny(1_000), already_refunded=cny(5_000), **partial)
    error = await refused(requested(client, order_id=order_id, amount=cny(1), **partial))
    assert error.reason == "REFUND_EXCEEDS_CAPTURED"


async def test_a_ledger_in_one_currency_refuses_another(client: Any) -> None:
    order_id = new_id()
    await requested(client, order_id=order_id, kind=pb.REFUND_KIND_PARTIAL, items=[], amount=cny(100))
    usd = common_pb2.Money(amount_minor=100, currency="USD")
    error = await refused(
        requested(
            client,
            order_id=order_id,
            kind=pb.REFUND_KIND_PARTIAL,
            items=[],
            captured=common_pb2.Money(amount_minor=10_000, currency="USD"),
            amount=usd,
            shipping_fee=common_pb2.Money(amount_minor=0, currency="USD"),
            already_refunded=common_pb2.Money(amount_minor=0, currency="USD"),
        )
    )
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "CURRENCY_MISMATCH")


# Bad input.


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"order_id": "42"}, "order_id"),
        ({"payment_id": ""}, "payment_id"),
        ({"kind": pb.REFUND_KIND_UNSPECIFIED}, "kind"),
        ({"kind": 99}, "kind"),
        ({"reason": pb.REFUND_REASON_UNSPECIFIED}, "reason"),
        ({"captured": None}, "captured"),
        ({"amount": None}, "amount"),
        ({"amount": cny(-1)}, "amount"),
        ({"amount": common_pb2.Money(amount_minor=1, currency="cny")}, "amount.currency"),
        ({"items": []}, "items"),
        ({"items": [pb.Item(sku="SKU-1", quantity=0)]}, "items[0].quantity"),
        ({"items": [pb.Item(sku="", quantity=1)]}, "items[0].sku"),
        ({"description": "x" * 1001}, "description"),
        ({"description": "bad\x00text"}, "description"),
    ],
)
async def test_bad_requests_name_the_field(client: Any, overrides: dict[str, Any], field: str) -> None:
    request = refund_request(**{k: v for k, v in overrides.items() if v is not None})
    for name, value in overrides.items():
        if value is None:
            request.ClearField(name)
    error = await refused(client.RequestRefund(request, metadata=AGENT))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == [field]


async def test_over_the_caller_known_capture_is_refused(client: Any) -> None:
    error = await refused(requested(client, already_refunded=cny(500)))
    assert (error.code, error.reason, error.metadata["refundable_minor"]) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "REFUND_EXCEEDS_CAPTURED",
        "9500",
    )


async def test_roles_outside_the_permission_matrix_are_refused_at_the_edge(client: Any) -> None:
    refund = await requested(client)
    approval = pb.ApproveRefundRequest(request_id=new_id(), refund_id=refund.refund_id)
    error = await refused(client.ApproveRefund(approval, metadata=WAREHOUSE))
    assert (error.code, error.reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_NOT_ALLOWED")
    error = await refused(
        client.RequestRefund(refund_request(), metadata=(("x-oms-subject", "x"), ("x-oms-role", "pirate")))
    )
    assert (error.code, error.reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_NOT_ALLOWED")
    error = await refused(
        client.MarkRefundExecuting(
            pb.MarkRefundExecutingRequest(request_id=new_id(), refund_id=refund.refund_id, saga_id="s"),
            metadata=SUPERVISOR,
        )
    )
    assert error.reason == "ROLE_NOT_ALLOWED"


async def test_unknown_and_malformed_refund_ids(client: Any) -> None:
    error = await refused(client.GetRefund(pb.GetRefundRequest(refund_id=new_id())))
    assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "REFUND_NOT_FOUND")
    error = await refused(client.GetRefund(pb.GetRefundRequest(refund_id="nope")))
    assert (error.code, [v.field for v in error.violations]) == (grpc.StatusCode.INVALID_ARGUMENT, ["refund_id"])
    error = await refused(
        client.ApproveRefund(pb.ApproveRefundRequest(request_id=new_id(), refund_id=new_id()), metadata=SUPERVISOR)
    )
    assert error.reason == "REFUND_NOT_FOUND"


# Idempotency.


async def test_replay_returns_the_first_answer_and_reuse_is_refused(client: Any, engine: AsyncEngine) -> None:
    request = refund_request()
    first, again = await asyncio.gather(
        client.RequestRefund(request, metadata=AGENT), client.RequestRefund(request, metadata=AGENT)
    )
    assert first.refund == again.refund
    assert await ledger_of(engine, request.order_id) == (10_000, 10_000, 0)
    assert await events_of(engine, first.refund.refund_id) == ["RefundRequested"]
    other = refund_request(request_id=request.request_id)
    error = await refused(client.RequestRefund(other, metadata=AGENT))
    assert (error.code, error.reason, [v.field for v in error.violations]) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "IDEMPOTENCY_KEY_REUSED",
        ["request_id"],
    )
    approval = pb.ApproveRefundRequest(request_id=new_id(), refund_id=first.refund.refund_id)
    signed = await client.ApproveRefund(approval, metadata=SUPERVISOR)
    assert (await client.ApproveRefund(approval, metadata=SUPERVISOR)) == signed


# Listing.


async def test_list_by_order_and_status_pages_through_everything(client: Any) -> None:
    order_id = new_id()
    made = []
    for _ in range(5):
        made.append(
            await requested(
                client, order_id=order_id, kind=pb.REFUND_KIND_PARTIAL, items=[], amount=cny(100), shipping_fee=cny(0)
            )
        )
    await approve(client, made[0].refund_id, SUPERVISOR)
    seen: list[str] = []
    token = ""
    while True:
        page = await client.ListRefunds(
            pb.ListRefundsRequest(order_id=order_id, page=common_pb2.PageRequest(page_size=2, page_token=token))
        )
        seen += [r.refund_id for r in page.refunds]
        token = page.page.next_page_token
        if not token:
            break
    assert seen == [r.refund_id for r in made]
    pending = await client.ListRefunds(
        pb.ListRefundsRequest(order_id=order_id, status=ST.REFUND_STATUS_PENDING_APPROVAL)
    )
    assert [r.refund_id for r in pending.refunds] == seen[1:]
    first_page = await client.ListRefunds(
        pb.ListRefundsRequest(order_id=order_id, page=common_pb2.PageRequest(page_size=2))
    )
    error = await refused(
        client.ListRefunds(
            pb.ListRefundsRequest(
                order_id=new_id(), page=common_pb2.PageRequest(page_token=first_page.page.next_page_token)
            )
        )
    )
    assert [v.field for v in error.violations] == ["page.page_token"]


# Exceptions.


def exception_request(**overrides: Any) -> pb.RaiseExceptionRequest:
    fields: dict[str, Any] = {
        "request_id": new_id(),
        "order_id": new_id(),
        "type": pb.EXCEPTION_TYPE_DAMAGED,
        "responsibility": pb.RESPONSIBILITY_CARRIER,
        "description": "外箱破损 𠮷",
        "items": [pb.Item(sku="SKU-9", quantity=1)],
    }
    fields.update(overrides)
    return pb.RaiseExceptionRequest(**fields)


async def test_reship_asks_the_warehouse(client: Any, engine: AsyncEngine) -> None:
    raised = (await client.RaiseException(exception_request(), metadata=AGENT)).exception
    assert raised.status == pb.EXCEPTION_STATUS_OPEN and raised.description == "外箱破损 𠮷"
    resolve = pb.ResolveExceptionRequest(
        request_id=new_id(),
        exception_id=raised.exception_id,
        responsibility=pb.RESPONSIBILITY_WAREHOUSE,
        reship=pb.ReshipRemedy(warehouse_id="WH-JX"),
    )
    resolved = (await client.ResolveException(resolve, metadata=SUPERVISOR)).exception
    assert resolved.status == pb.EXCEPTION_STATUS_RESOLVED
    assert resolved.responsibility == pb.RESPONSIBILITY_WAREHOUSE
    assert resolved.resolution.remedy == pb.REMEDY_RESHIP and resolved.resolution.warehouse_task_id
    assert await events_of(engine, raised.exception_id) == [
        "OrderExceptionRaised",
        "WarehouseTaskRequested",
        "OrderExceptionResolved",
    ]
    async with engine.connect() as connection:
        envelope = (
            await connection.execute(
                text("SELECT envelope FROM outbox WHERE event_type = :t AND aggregate_id = :a"),
                {"t": "oms.refunds.v1.WarehouseTaskRequested", "a": raised.exception_id},
            )
        ).scalar_one()
    task = events_pb2.WarehouseTaskRequested()
    envelope_pb2.EventEnvelope.FromString(envelope).payload.Unpack(task)
    assert (task.task_type, task.warehouse_id, [(i.sku, i.quantity) for i in task.items]) == (
        "RESHIP",
        "WH-JX",
        [("SKU-9", 1)],
    )
    again = pb.ResolveExceptionRequest(
        request_id=new_id(), exception_id=raised.exception_id, gift=pb.GiftRemedy(description="coupon")
    )
    error = await refused(client.ResolveException(again, metadata=SUPERVISOR))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "INVALID_TRANSITION")


async def test_refund_remedy_opens_a_refund_or_nothing(client: Any, engine: AsyncEngine) -> None:
    raised = (await client.RaiseException(exception_request(), metadata=AGENT)).exception
    remedy = pb.RefundRemedy(
        payment_id=new_id(),
        kind=pb.REFUND_KIND_COMPENSATION,
        reason=pb.REFUND_REASON_DAMAGED,
        captured=cny(5_000),
        amount=cny(6_000),
    )
    resolve = pb.ResolveExceptionRequest(request_id=new_id(), exception_id=raised.exception_id, refund=remedy)
    error = await refused(client.ResolveException(resolve, metadata=SUPERVISOR))
    assert error.reason == "REFUND_EXCEEDS_CAPTURED"
    resolve.refund.amount.amount_minor = 0
    resolve.request_id = new_id()
    error = await refused(client.ResolveException(resolve, metadata=SUPERVISOR))
    assert [v.field for v in error.violations] == ["refund.amount"]
    listed = await client.ListExceptions(pb.ListExceptionsRequest(order_id=raised.order_id))
    assert [e.status for e in listed.exceptions] == [pb.EXCEPTION_STATUS_OPEN]

    resolve.refund.amount.amount_minor = 1_500
    resolve.request_id = new_id()
    answer = await client.ResolveException(resolve, metadata=SUPERVISOR)
    assert answer.exception.resolution.refund_id == answer.refund.refund_id
    assert answer.refund.order_id == raised.order_id and answer.refund.exception_id == raised.exception_id
    assert answer.refund.requested_by.subject == "sup-1"
    assert await ledger_of(engine, raised.order_id) == (5_000, 1_500, 0)
    assert await events_of(engine, answer.refund.refund_id) == ["RefundRequested"]
    resolved = await client.ListExceptions(
        pb.ListExceptionsRequest(order_id=raised.order_id, status=pb.EXCEPTION_STATUS_RESOLVED)
    )
    assert [e.exception_id for e in resolved.exceptions] == [raised.exception_id]


async def test_bad_exception_input(client: Any) -> None:
    error = await refused(client.RaiseException(exception_request(type=pb.EXCEPTION_TYPE_UNSPECIFIED), metadata=AGENT))
    assert [v.field for v in error.violations] == ["type"]
    error = await refused(client.RaiseException(exception_request(description=" "), metadata=AGENT))
    assert [v.field for v in error.violations] == ["description"]
    raised = (await client.RaiseException(exception_request(), metadata=AGENT)).exception
    error = await refused(
        client.ResolveException(
            pb.ResolveExceptionRequest(request_id=new_id(), exception_id=raised.exception_id), metadata=SUPERVISOR
        )
    )
    assert [v.field for v in error.violations] == ["remedy"]
    error = await refused(
        client.ResolveException(
            pb.ResolveExceptionRequest(request_id=new_id(), exception_id=new_id(), gift=pb.GiftRemedy(description="x")),
            metadata=SUPERVISOR,
        )
    )
    assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "EXCEPTION_NOT_FOUND")


# Events reach the stream.


async def test_events_are_published_to_the_refunds_stream(client: Any, redis_url: str, stream_prefix: str) -> None:
    refund = await requested(client)
    redis = Redis.from_url(redis_url)
    try:

        async def published() -> bool:
            for _, fields in await redis.xrange(f"{stream_prefix}.refunds"):
                envelope = envelope_pb2.EventEnvelope.FromString(fields[b"envelope"])
                if envelope.aggregate_id == refund.refund_id and envelope.type == "oms.refunds.v1.RefundRequested":
                    event = events_pb2.RefundRequested()
                    envelope.payload.Unpack(event)
                    return event.total.amount_minor == 10_000 and event.required_roles == ["cs_supervisor"]
            return False

        assert await eventually(published, message="RefundRequested on the refunds stream")
    finally:
        await redis.aclose()
