"""The upstream ports over gRPC (oms_client): caller metadata on every call, errors decoded into OmsErrors.

Channels come from ``oms_client.connect``, which carries the OpenTelemetry client interceptor, so each call
is a child span of the HTTP request's span and the trace context travels in the gRPC metadata.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import grpc
import oms_client
from grpc_health.v1 import health_pb2, health_pb2_grpc
from oms.common.v1 import common_pb2
from oms.inventory.v1 import inventory_pb2
from oms.orders.v1 import orders_pb2
from oms.payments.v1 import payments_pb2
from oms.pricing.v1 import pricing_pb2
from oms.refunds.v1 import refunds_pb2
from oms.saga.v1 import saga_pb2

from services.gateway.application.ports import Caller, Upstreams
from shared.kernel import errors

SERVICES = ("orders", "saga", "payments", "inventory", "pricing")
OPTIONAL_SERVICES = ("refunds",)

_KINDS: Mapping[str, type[errors.OmsError]] = {
    "INVALID_ARGUMENT": errors.InvalidArgument,
    "OUT_OF_RANGE": errors.InvalidArgument,
    "NOT_FOUND": errors.NotFound,
    "ALREADY_EXISTS": errors.AlreadyExists,
    "FAILED_PRECONDITION": errors.FailedPrecondition,
    "ABORTED": errors.Aborted,
    "RESOURCE_EXHAUSTED": errors.ResourceExhausted,
    "PERMISSION_DENIED": errors.PermissionDenied,
    "UNAUTHENTICATED": errors.Unauthenticated,
    "UNAVAILABLE": errors.Unavailable,
    "CANCELLED": errors.Unavailable,
    "DEADLINE_EXCEEDED": errors.DeadlineExceeded,
}

# An order has a handful of payments and refunds at most; the bound keeps one panorama from paging without end.
_MAX_PAGES = 10
_PAYMENTS_PAGE = 100
_REFUNDS_PAGE = 100
_RESERVATIONS_PAGE = 50
_HEALTH_TIMEOUT_SECONDS = 1.0


def as_oms_error(error: oms_client.OmsRpcError) -> errors.OmsError:
    """The one error model's form of a failed call; codes the suite does not use become INTERNAL (a 502)."""
    kind = _KINDS.get(error.code.name, errors.OmsError)
    return kind(
        error.message or error.code.name.lower().replace("_", " "),
        reason=error.reason or error.code.name,
        metadata=error.metadata,
        violations=[errors.FieldViolation(v.field, v.description) for v in error.violations],
    )


def caller_metadata(caller: Caller) -> tuple[tuple[str, str], ...]:
    """What the services see of the caller. gRPC metadata values are ASCII, so a subject outside it is
    percent-encoded (a token's subject may be a name such as "张伟")."""
    subject = caller.subject if caller.subject.isascii() and caller.subject.isprintable() else quote(caller.subject)
    return (
        ("authorization", f"Bearer {caller.token}"),
        ("x-oms-subject", subject),
        ("x-oms-role", caller.role),
    )


@dataclass(frozen=True)
class Timeouts:
    """Deadlines of upstream calls; the sagas run several steps, so they get a longer one."""

    call_seconds: float = 5.0
    saga_seconds: float = 30.0


class _Upstream:
    def __init__(self, channel: grpc.aio.Channel, context: str, timeouts: Timeouts) -> None:
        self._client = oms_client.ServiceClient.for_service(channel, context, timeout=timeouts.call_seconds)
        self._timeouts = timeouts

    async def _call(self, method: str, request: Any, caller: Caller, *, timeout: float | None = None) -> Any:
        rpc: Callable[..., Awaitable[Any]] = getattr(self._client, method)
        try:
            return await rpc(request, timeout=timeout, metadata=caller_metadata(caller))
        except oms_client.OmsRpcError as error:
            raise as_oms_error(error) from None


class OrdersUpstream(_Upstream):
    async def get_order(self, order_id: str, caller: Caller) -> orders_pb2.Order:
        reply = await self._call("GetOrder", orders_pb2.GetOrderRequest(order_id=order_id), caller)
        return reply.order

    async def list_orders(self, request: orders_pb2.ListOrdersRequest, caller: Caller) -> orders_pb2.ListOrdersResponse:
        reply: orders_pb2.ListOrdersResponse = await self._call("ListOrders", request, caller)
        return reply


class SagaUpstream(_Upstream):
    async def place_order(self, request: saga_pb2.PlaceOrderRequest, caller: Caller) -> saga_pb2.PlaceOrderResponse:
        reply: saga_pb2.PlaceOrderResponse = await self._call(
            "PlaceOrder", request, caller, timeout=self._timeouts.saga_seconds
        )
        return reply

    async def cancel_order(self, request: saga_pb2.CancelOrderRequest, caller: Caller) -> saga_pb2.CancelOrderResponse:
        reply: saga_pb2.CancelOrderResponse = await self._call(
            "CancelOrder", request, caller, timeout=self._timeouts.saga_seconds
        )
        return reply

    async def saga_of_order(self, order_id: str, caller: Caller) -> saga_pb2.Saga | None:
        try:
            reply = await self._call("GetSaga", saga_pb2.GetSagaRequest(order_id=order_id), caller)
        except errors.NotFound:
            return None
        return reply.saga


class PaymentsUpstream(_Upstream):
    async def payments_of_order(self, order_id: str, caller: Caller) -> list[payments_pb2.Payment]:
        found: list[payments_pb2.Payment] = []
        token = ""
        for _ in range(_MAX_PAGES):
            request = payments_pb2.ListPaymentsByOrderRequest(
                order_id=order_id, page=common_pb2.PageRequest(page_size=_PAYMENTS_PAGE, page_token=token)
            )
            reply = await self._call("ListPaymentsByOrder", request, caller)
            found.extend(reply.payments)
            token = reply.page.next_page_token
            if not token:
                break
        return found


class InventoryUpstream(_Upstream):
    async def reservations_of_order(self, order_id: str, caller: Caller) -> list[inventory_pb2.Reservation]:
        request = inventory_pb2.ListReservationsRequest(
            order_id=order_id, page=common_pb2.PageRequest(page_size=_RESERVATIONS_PAGE)
        )
        reply = await self._call("ListReservations", request, caller)
        return list(reply.reservations)

    async def availability(self, skus: Sequence[str], caller: Caller) -> list[inventory_pb2.SkuAvailability]:
        reply = await self._call("GetAvailability", inventory_pb2.GetAvailabilityRequest(skus=skus), caller)
        return list(reply.items)


class PricingUpstream(_Upstream):
    async def quote(self, request: pricing_pb2.QuoteRequest, caller: Caller) -> pricing_pb2.PriceQuote:
        reply = await self._call("Quote", request, caller)
        return reply.quote


class RefundsUpstream(_Upstream):
    async def request_refund(self, request: refunds_pb2.RequestRefundRequest, caller: Caller) -> refunds_pb2.Refund:
        reply = await self._call("RequestRefund", request, caller)
        return reply.refund

    async def refunds_of_order(self, order_id: str, caller: Caller) -> list[refunds_pb2.Refund]:
        found: list[refunds_pb2.Refund] = []
        token = ""
        for _ in range(_MAX_PAGES):
            request = refunds_pb2.ListRefundsRequest(
                order_id=order_id, page=common_pb2.PageRequest(page_size=_REFUNDS_PAGE, page_token=token)
            )
            reply = await self._call("ListRefunds", request, caller)
            found.extend(reply.refunds)
            token = reply.page.next_page_token
            if not token:
                break
        return found


class UpstreamHealth:
    """Readiness of every upstream through the standard gRPC health service (overall status)."""

    def __init__(self, channels: Mapping[str, grpc.aio.Channel]) -> None:
        self._stubs = {name: health_pb2_grpc.HealthStub(channel) for name, channel in channels.items()}

    async def _status(self, stub: health_pb2_grpc.HealthStub) -> str:
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=_HEALTH_TIMEOUT_SECONDS)
        except grpc.aio.AioRpcError as error:
            return error.code().name
        return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)

    async def readiness(self) -> Mapping[str, str]:
        names = sorted(self._stubs)
        statuses = await asyncio.gather(*(self._status(self._stubs[name]) for name in names))
        return dict(zip(names, statuses, strict=True))


def upstreams_over(channels: Mapping[str, grpc.aio.Channel], timeouts: Timeouts = Timeouts()) -> Upstreams:
    """The ports over channels to each service in SERVICES (and to those of OPTIONAL_SERVICES given)."""
    missing = [name for name in SERVICES if name not in channels]
    if missing:
        raise ValueError(f"no channel to {', '.join(missing)}")
    return Upstreams(
        orders=OrdersUpstream(channels["orders"], "orders", timeouts),
        saga=SagaUpstream(channels["saga"], "saga", timeouts),
        payments=PaymentsUpstream(channels["payments"], "payments", timeouts),
        inventory=InventoryUpstream(channels["inventory"], "inventory", timeouts),
        pricing=PricingUpstream(channels["pricing"], "pricing", timeouts),
        health=UpstreamHealth(channels),
        refunds=RefundsUpstream(channels["refunds"], "refunds", timeouts) if "refunds" in channels else None,
    )


def connect_channels(addresses: Mapping[str, str]) -> dict[str, grpc.aio.Channel]:
    """One traced channel per upstream address (call inside the event loop that will use them)."""
    return {name: oms_client.connect(address) for name, address in addresses.items()}
