"""The RefundsService servicer: proto -> command -> handler -> proto, nothing more."""

from __future__ import annotations

from collections.abc import Callable

import grpc
from oms.refunds.v1 import refunds_pb2 as pb
from oms.refunds.v1 import refunds_pb2_grpc
from opentelemetry import trace

from services.refunds.adapters import protos
from services.refunds.adapters.caller import current_actor
from services.refunds.adapters.unit_of_work import RefundsUnitOfWork
from services.refunds.application import handlers
from services.refunds.application.commands import (
    ApproveRefund,
    ListExceptions,
    ListRefunds,
    MarkRefundCompleted,
    MarkRefundExecuting,
    MarkRefundFailed,
    RaiseException,
    ReceiveReturn,
    RecordQc,
    RejectRefund,
    RequestRefund,
    Reship,
    ResolveException,
)
from services.refunds.application.ports import Clock, RefundsConfig
from shared.telemetry import attributes


def _traced(order_id: str = "", request_id: str = "") -> None:
    span = trace.get_current_span()
    if order_id:
        span.set_attribute(attributes.ORDER_ID, order_id)
    if request_id:
        span.set_attribute(attributes.REQUEST_ID, request_id)


class RefundsServicer(refunds_pb2_grpc.RefundsServiceServicer):
    def __init__(self, unit_of_work: Callable[[], RefundsUnitOfWork], config: RefundsConfig, clock: Clock) -> None:
        self._uow = unit_of_work
        self._config = config
        self._clock = clock

    async def RequestRefund(
        self, request: pb.RequestRefundRequest, context: grpc.aio.ServicerContext
    ) -> pb.RequestRefundResponse:
        _traced(request.order_id, request.request_id)
        command = RequestRefund(
            request_id=request.request_id,
            spec=protos.spec_in(request, order_id=request.order_id),
            actor=current_actor(),
        )
        refund = await handlers.request_refund(command, self._uow(), self._config, self._clock)
        return pb.RequestRefundResponse(refund=protos.refund_out(refund))

    async def ApproveRefund(
        self, request: pb.ApproveRefundRequest, context: grpc.aio.ServicerContext
    ) -> pb.ApproveRefundResponse:
        _traced(request_id=request.request_id)
        command = ApproveRefund(request.request_id, request.refund_id, request.comment, current_actor())
        refund = await handlers.approve_refund(command, self._uow(), self._clock)
        return pb.ApproveRefundResponse(refund=protos.refund_out(refund))

    async def RejectRefund(
        self, request: pb.RejectRefundRequest, context: grpc.aio.ServicerContext
    ) -> pb.RejectRefundResponse:
        _traced(request_id=request.request_id)
        command = RejectRefund(request.request_id, request.refund_id, request.reason, current_actor())
        refund = await handlers.reject_refund(command, self._uow(), self._clock)
        return pb.RejectRefundResponse(refund=protos.refund_out(refund))

    async def ReceiveReturn(
        self, request: pb.ReceiveReturnRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReceiveReturnResponse:
        _traced(request_id=request.request_id)
        command = ReceiveReturn(request.request_id, request.refund_id, request.notes, current_actor())
        refund = await handlers.receive_return(command, self._uow(), self._clock)
        return pb.ReceiveReturnResponse(refund=protos.refund_out(refund))

    async def RecordQc(self, request: pb.RecordQcRequest, context: grpc.aio.ServicerContext) -> pb.RecordQcResponse:
        _traced(request_id=request.request_id)
        command = RecordQc(
            request.request_id, request.refund_id, protos.qc_passed_in(request.result), request.notes, current_actor()
        )
        refund = await handlers.record_qc(command, self._uow(), self._clock)
        return pb.RecordQcResponse(refund=protos.refund_out(refund))

    async def GetRefund(self, request: pb.GetRefundRequest, context: grpc.aio.ServicerContext) -> pb.GetRefundResponse:
        refund = await handlers.get_refund(request.refund_id, self._uow())
        _traced(refund.order_id)
        return pb.GetRefundResponse(refund=protos.refund_out(refund))

    async def ListRefunds(
        self, request: pb.ListRefundsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListRefundsResponse:
        _traced(request.order_id)
        query = ListRefunds(
            order_id=request.order_id,
            status=protos.refund_status_in(request.status),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        page = await handlers.list_refunds(query, self._uow())
        return pb.ListRefundsResponse(
            refunds=[protos.refund_out(refund) for refund in page.refunds],
            page={"next_page_token": page.next_page_token},
        )

    async def MarkRefundExecuting(
        self, request: pb.MarkRefundExecutingRequest, context: grpc.aio.ServicerContext
    ) -> pb.MarkRefundExecutingResponse:
        _traced(request_id=request.request_id)
        command = MarkRefundExecuting(request.request_id, request.refund_id, request.saga_id)
        refund = await handlers.mark_refund_executing(command, self._uow(), self._clock)
        return pb.MarkRefundExecutingResponse(refund=protos.refund_out(refund))

    async def MarkRefundCompleted(
        self, request: pb.MarkRefundCompletedRequest, context: grpc.aio.ServicerContext
    ) -> pb.MarkRefundCompletedResponse:
        _traced(request_id=request.request_id)
        command = MarkRefundCompleted(request.request_id, request.refund_id, request.payment_refund_id)
        refund = await handlers.mark_refund_completed(command, self._uow(), self._clock)
        return pb.MarkRefundCompletedResponse(refund=protos.refund_out(refund))

    async def MarkRefundFailed(
        self, request: pb.MarkRefundFailedRequest, context: grpc.aio.ServicerContext
    ) -> pb.MarkRefundFailedResponse:
        _traced(request_id=request.request_id)
        command = MarkRefundFailed(request.request_id, request.refund_id, request.reason)
        refund = await handlers.mark_refund_failed(command, self._uow(), self._clock)
        return pb.MarkRefundFailedResponse(refund=protos.refund_out(refund))

    async def RaiseException(
        self, request: pb.RaiseExceptionRequest, context: grpc.aio.ServicerContext
    ) -> pb.RaiseExceptionResponse:
        _traced(request.order_id, request.request_id)
        command = RaiseException(
            request_id=request.request_id,
            order_id=request.order_id,
            type=protos.exception_type_in(request.type),
            responsibility=protos.responsibility_in(request.responsibility),
            description=request.description,
            items=protos.items_in(request.items),
            actor=current_actor(),
        )
        exception = await handlers.raise_exception(command, self._uow(), self._clock)
        return pb.RaiseExceptionResponse(exception=protos.exception_out(exception))

    async def ResolveException(
        self, request: pb.ResolveExceptionRequest, context: grpc.aio.ServicerContext
    ) -> pb.ResolveExceptionResponse:
        _traced(request_id=request.request_id)
        chosen = request.WhichOneof("remedy")
        command = ResolveException(
            request_id=request.request_id,
            exception_id=request.exception_id,
            responsibility=protos.responsibility_in(request.responsibility),
            note=request.note,
            actor=current_actor(),
            reship=Reship(protos.items_in(request.reship.items), request.reship.warehouse_id)
            if chosen == "reship"
            else None,
            # The order comes from the exception; the handler fills it in.
            refund=protos.spec_in(request.refund, order_id="", prefix="refund.") if chosen == "refund" else None,
            gift=protos.gift_in(request.gift) if chosen == "gift" else None,
        )
        resolution = await handlers.resolve_exception(command, self._uow(), self._config, self._clock)
        return pb.ResolveExceptionResponse(
            exception=protos.exception_out(resolution.exception),
            refund=protos.refund_out(resolution.refund) if resolution.refund is not None else None,
        )

    async def ListExceptions(
        self, request: pb.ListExceptionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListExceptionsResponse:
        _traced(request.order_id)
        query = ListExceptions(
            order_id=request.order_id,
            status=protos.exception_status_in(request.status),
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        page = await handlers.list_exceptions(query, self._uow())
        return pb.ListExceptionsResponse(
            exceptions=[protos.exception_out(exception) for exception in page.exceptions],
            page={"next_page_token": page.next_page_token},
        )
