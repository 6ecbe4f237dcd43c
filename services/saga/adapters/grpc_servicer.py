"""The gRPC face of the saga coordinator: proto -> command -> coordinator -> proto (errors map in the interceptor)."""

from __future__ import annotations

import time

import grpc
from oms.common.v1 import common_pb2
from oms.saga.v1 import saga_pb2, saga_pb2_grpc
from opentelemetry import trace

from services.saga.adapters import protos
from services.saga.application.coordinator import Coordinator
from services.saga.domain.model import Saga
from shared.telemetry import attributes

SERVICE_NAME = saga_pb2.DESCRIPTOR.services_by_name["SagaService"].full_name


def _tag(saga: Saga) -> None:
    span = trace.get_current_span()
    span.set_attribute(attributes.SAGA_ID, saga.saga_id)
    order_id = saga.data.get("order_id")
    if order_id:
        span.set_attribute(attributes.ORDER_ID, str(order_id))
    refund_id = saga.data.get("refund_id")
    if refund_id:
        span.set_attribute(attributes.REFUND_ID, str(refund_id))


class SagaServicer(saga_pb2_grpc.SagaServiceServicer):
    def __init__(self, coordinator: Coordinator, *, default_deadline_seconds: float) -> None:
        self._coordinator = coordinator
        self._default_deadline = default_deadline_seconds

    def _deadline(self, context: grpc.aio.ServicerContext) -> float:
        # The same budget the call-context interceptor enforces, so the saga answers before it strikes.
        remaining = context.time_remaining()
        budget = self._default_deadline if remaining is None else min(remaining, self._default_deadline * 6)
        return time.monotonic() + budget

    async def PlaceOrder(
        self, request: saga_pb2.PlaceOrderRequest, context: grpc.aio.ServicerContext
    ) -> saga_pb2.PlaceOrderResponse:
        saga = await self._coordinator.place_order(protos.place_order_in(request), deadline=self._deadline(context))
        _tag(saga)
        return protos.place_order_out(saga)

    async def CancelOrder(
        self, request: saga_pb2.CancelOrderRequest, context: grpc.aio.ServicerContext
    ) -> saga_pb2.CancelOrderResponse:
        saga = await self._coordinator.cancel_order(protos.cancel_order_in(request), deadline=self._deadline(context))
        _tag(saga)
        return saga_pb2.CancelOrderResponse(saga=protos.saga_out(saga))

    async def ExecuteRefund(
        self, request: saga_pb2.ExecuteRefundRequest, context: grpc.aio.ServicerContext
    ) -> saga_pb2.ExecuteRefundResponse:
        saga = await self._coordinator.execute_refund(
            protos.execute_refund_in(request), deadline=self._deadline(context)
        )
        _tag(saga)
        return protos.execute_refund_out(saga)

    async def GetSaga(
        self, request: saga_pb2.GetSagaRequest, context: grpc.aio.ServicerContext
    ) -> saga_pb2.GetSagaResponse:
        saga = await self._coordinator.get_saga(protos.get_saga_in(request))
        _tag(saga)
        return saga_pb2.GetSagaResponse(saga=protos.saga_out(saga))

    async def ListSagas(
        self, request: saga_pb2.ListSagasRequest, context: grpc.aio.ServicerContext
    ) -> saga_pb2.ListSagasResponse:
        sagas, next_token = await self._coordinator.list_sagas(protos.list_sagas_in(request))
        return saga_pb2.ListSagasResponse(
            sagas=[protos.saga_out(s) for s in sagas], page=common_pb2.PageResponse(next_page_token=next_token)
        )
