"""With signed caller tokens required, refunds take the approver's identity from the token, never from headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import oms_client
import pytest
from oms.common.v1 import common_pb2
from oms.refunds.v1 import refunds_pb2 as pb

from services.refunds.bootstrap import Settings, build
from shared.auth import Principal, TokenAuthority
from shared.kernel.ids import new_id
from tests.harness import running_service

SECRET = "refunds-integration-secret-0123456789abcdef"
AUTHORITY = TokenAuthority(SECRET)


def bearer(subject: str, role: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {AUTHORITY.issue(Principal(subject, role))}"),)


@pytest.fixture(scope="module")
async def client(service_database, redis_url: str, stream_prefix: str) -> AsyncIterator[Any]:
    settings = Settings(
        service_name="refunds",
        database_url=await service_database("refunds"),
        redis_url=redis_url,
        stream_prefix=stream_prefix,
        auth_secret=SECRET,
        auth_required=True,
    )
    async with running_service(settings, build) as channel:
        yield oms_client.ServiceClient.for_service(channel, "refunds")


def cny(amount: int) -> common_pb2.Money:
    return common_pb2.Money(amount_minor=amount, currency="CNY")


async def test_the_token_names_the_requester_and_the_approver(client: Any) -> None:
    request = pb.RequestRefundRequest(
        request_id=new_id(),
        order_id=new_id(),
        payment_id=new_id(),
        kind=pb.REFUND_KIND_COMPENSATION,
        reason=pb.REFUND_REASON_PRICE_ADJUSTMENT,
        captured=cny(5_000),
        amount=cny(500),
    )
    with pytest.raises(oms_client.OmsRpcError) as missing:
        await client.RequestRefund(request)
    assert (missing.value.code, missing.value.reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_MISSING")

    refund = (await client.RequestRefund(request, metadata=bearer("agent-7", "customer_service"))).refund
    assert (refund.requested_by.subject, refund.requested_by.role) == ("agent-7", "customer_service")

    # The requester holding a supervisor token cannot approve; claiming another name in headers changes nothing.
    own = (*bearer("agent-7", "cs_supervisor"), ("x-oms-subject", "someone-else"))
    approval = pb.ApproveRefundRequest(request_id=new_id(), refund_id=refund.refund_id)
    with pytest.raises(oms_client.OmsRpcError) as refused:
        await client.ApproveRefund(approval, metadata=own)
    assert (refused.value.code, refused.value.reason) == (grpc.StatusCode.PERMISSION_DENIED, "SELF_APPROVAL_FORBIDDEN")

    approval.request_id = new_id()
    approved = (await client.ApproveRefund(approval, metadata=bearer("sup-9", "cs_supervisor"))).refund
    assert approved.status == pb.REFUND_STATUS_READY_FOR_EXECUTION
    assert [(a.approver.subject, a.approver.role) for a in approved.approvals] == [("sup-9", "cs_supervisor")]
