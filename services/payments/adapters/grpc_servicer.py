"""The PaymentsService servicer: proto -> command -> handler -> proto, nothing more."""

from __future__ import annotations

from collections.abc import Callable

import grpc
from oms.payments.v1 import payments_pb2, payments_pb2_grpc
from opentelemetry import trace

from services.payments.adapters import protos
from services.payments.adapters.unit_of_work import PaymentsUnitOfWork
from services.payments.application import callbacks, handlers
from services.payments.application.commands import (
    Authorize,
    Capture,
    GetPayment,
    HandleProviderCallback,
    ListPaymentsByOrder,
    Refund,
    Void,
)
from services.payments.application.handlers import Policy
from services.payments.application.ports import Clock, Providers
from shared.telemetry import attributes


def _tag(request_id: str, *, order_id: str = "") -> None:
    """Name the request (and order) on the RPC's span; never the token or anything about the card."""
    span = trace.get_current_span()
    span.set_attribute(attributes.REQUEST_ID, request_id)
    if order_id:
        span.set_attribute(attributes.ORDER_ID, order_id)


class PaymentsServicer(payments_pb2_grpc.PaymentsServiceServicer):
    def __init__(
        self, unit_of_work: Callable[[], PaymentsUnitOfWork], providers: Providers, clock: Clock, policy: Policy
    ) -> None:
        self._uow = unit_of_work
        self._providers = providers
        self._clock = clock
        self._policy = policy

    async def Authorize(
        self, request: payments_pb2.AuthorizeRequest, context: grpc.aio.ServicerContext
    ) -> payments_pb2.AuthorizeResponse:
        _tag(request.request_id, order_id=request.order_id)
        command = Authorize(
            request_id=request.request_id,
            order_id=request.order_id,
            amount=protos.money_in(request.amount, "amount", present=request.HasField("amount")),
            provider=request.payment_method.provider,
            token=request.payment_method.token,
        )
        result = await handlers.authorize(command, self._uow(), self._providers, self._clock, self._policy)
        return payments_pb2.AuthorizeResponse(payment=protos.payment_out(result.details))

    async def Capture(
        self, request: payments_pb2.CaptureRequest, context: grpc.aio.ServicerContext
    ) -> payments_pb2.CaptureResponse:
        _tag(request.request_id)
        command = Capture(
            request_id=request.request_id,
            payment_id=request.payment_id,
            amount=protos.money_in(request.amount, "amount", present=request.HasField("amount")),
        )
        result = await handlers.capture(command, self._uow(), self._providers, self._clock, self._policy)
        return payments_pb2.CaptureResponse(payment=protos.payment_out(result.details))

    async def Void(
        self, request: payments_pb2.VoidRequest, context: grpc.aio.ServicerContext
    ) -> payments_pb2.VoidResponse:
        _tag(request.request_id)
        command = Void(request_id=request.request_id, payment_id=request.payment_id)
        result = await handlers.void(command, self._uow(), self._providers, self._clock, self._policy)
        return payments_pb2.VoidResponse(payment=protos.payment_out(result.details))

    async def Refund(
        self, request: payments_pb2.RefundRequest, context: grpc.aio.ServicerContext
    ) -> payments_pb2.RefundResponse:
        _tag(request.request_id)
        command = Refund(
            request_id=request.request_id,
            payment_id=request.payment_id,
            amount=protos.money_in(request.amount, "amount", present=request.HasField("amount")),
            reason=request.reason,
        )
        result = await handlers.refund(command, self._uow(), self._providers, self._clock, self._policy)
        return protos.refund_result_out(result)

    async def GetPayment(
        self, request: payments_pb2.GetPaymentRequest, context: grpc.aio.ServicerContext
    ) -> payments_pb2.GetPaymentResponse:
        details = await handlers.get_payment(GetPayment(request.payment_id), self._uow())
        return payments_pb2.GetPaymentResponse(payment=protos.payment_out(details))

    async def ListPaymentsByOrder(
        self, request: payments_pb2.ListPaymentsByOrderRequest, context: grpc.aio.ServicerContext
    ) -> payments_pb2.ListPaymentsByOrderResponse:
        query = ListPaymentsByOrder(
            order_id=request.order_id, page_size=request.page.page_size, page_token=request.page.page_token
        )
        page = await handlers.list_payments_by_order(query, self._uow())
        return payments_pb2.ListPaymentsByOrderResponse(
            payments=[protos.payment_out(details) for details in page.payments],
            page={"next_page_token": page.next_page_token},
        )

    async def HandleProviderCallback(
        self, request: payments_pb2.HandleProviderCallbackRequest, context: grpc.aio.ServicerContext
    ) -> payments_pb2.HandleProviderCallbackResponse:
        command = HandleProviderCallback(
            request_id=request.request_id,
            provider=request.provider,
            provider_event_id=request.provider_event_id,
            callback_type=protos.callback_type_in(request.type),
            payment_reference=request.payment_reference,
            provider_reference=request.provider_reference,
            refund_reference=request.refund_reference,
            amount=(protos.money_in(request.amount, "amount", present=True) if request.HasField("amount") else None),
            occurred_at=protos.instant_in(request.occurred_at, "occurred_at")
            if request.HasField("occurred_at")
            else None,
            signature=request.signature,
        )
        result = await callbacks.handle_provider_callback(
            command, self._uow(), self._providers, self._clock, self._policy
        )
        return protos.callback_result_out(result)
