"""Conversions between the saga contract (oms.saga.v1) and the saga's commands and model."""

from __future__ import annotations

from oms.common.v1 import common_pb2
from oms.saga.v1 import saga_pb2

from services.saga.application.commands import CancelOrder, ExecuteRefund, GetSaga, ListSagas, PlaceOrder
from services.saga.application.execute_refund import PAYMENT_REFUND_ID, REFUND_ID
from services.saga.application.place_order import CUSTOMER_ID, ORDER_ID, PAYMENT_ID, RESERVATION_ID, total_of
from services.saga.domain.model import Saga, SagaState, StepError, StepRecord
from services.saga.domain.placement import Address, Buyer, Line, PaymentMethod, Placement
from shared.grpc.convert import timestamp_out as _timestamp
from shared.kernel.errors import InvalidArgument

ORDER_TYPES = {
    saga_pb2.ORDER_TYPE_UNSPECIFIED: "regular",
    saga_pb2.ORDER_TYPE_REGULAR: "regular",
    saga_pb2.ORDER_TYPE_RUSH: "rush",
    saga_pb2.ORDER_TYPE_SAMPLE: "sample",
}


def address_in(address: common_pb2.Address) -> Address:
    return Address(
        recipient=address.recipient,
        phone=address.phone,
        country=address.country,
        province=address.province,
        city=address.city,
        district=address.district,
        detail=address.detail,
        postal_code=address.postal_code,
    )


def address_out(address: Address) -> common_pb2.Address:
    return common_pb2.Address(
        recipient=address.recipient,
        phone=address.phone,
        country=address.country,
        province=address.province,
        city=address.city,
        district=address.district,
        detail=address.detail,
        postal_code=address.postal_code,
    )


def place_order_in(request: saga_pb2.PlaceOrderRequest) -> PlaceOrder:
    if request.order_type not in ORDER_TYPES:
        raise InvalidArgument.field("order_type", "is not a known order type")
    customer = request.customer
    placement = Placement(
        customer=Buyer(
            name=customer.name,
            phone=customer.phone,
            email=customer.email,
            tax_id=customer.tax_id,
            address=address_in(customer.address) if customer.HasField("address") else None,
        ),
        lines=tuple(Line(line.sku, line.quantity) for line in request.lines),
        shipping_address=address_in(request.shipping_address),
        payment_method=PaymentMethod(request.payment_method.provider, request.payment_method.token),
        channel=request.channel.strip().lower(),
        coupon_codes=tuple(request.coupon_codes),
        channel_order_id=request.channel_order_id,
        order_type=ORDER_TYPES[request.order_type],
        buyer_remark=request.buyer_remark,
        currency=request.currency or "CNY",
    )
    return PlaceOrder(request.request_id, placement)


def cancel_order_in(request: saga_pb2.CancelOrderRequest) -> CancelOrder:
    return CancelOrder(request.request_id, request.order_id, request.reason)


def execute_refund_in(request: saga_pb2.ExecuteRefundRequest) -> ExecuteRefund:
    return ExecuteRefund(request.request_id, request.refund_id)


def get_saga_in(request: saga_pb2.GetSagaRequest) -> GetSaga:
    return GetSaga(saga_id=request.saga_id, request_id=request.request_id, order_id=request.order_id)


def list_sagas_in(request: saga_pb2.ListSagasRequest) -> ListSagas:
    states = []
    for i, value in enumerate(request.states):
        if value == saga_pb2.SAGA_STATE_UNSPECIFIED or value not in saga_pb2.SagaState.values():
            raise InvalidArgument.field(f"states[{i}]", "is not a saga state")
        states.append(SagaState(saga_pb2.SagaState.Name(value).removeprefix("SAGA_STATE_")))
    return ListSagas(tuple(dict.fromkeys(states)), request.page.page_size, request.page.page_token)


def error_out(error: StepError | None) -> saga_pb2.StepError | None:
    if error is None:
        return None
    return saga_pb2.StepError(
        code=error.code, reason=error.reason, message=error.message, domain=error.domain, metadata=dict(error.metadata)
    )


def step_out(saga: Saga, step: StepRecord) -> saga_pb2.SagaStep:
    undoing = step.compensation_attempts > 0
    return saga_pb2.SagaStep(
        name=step.name,
        status=saga_pb2.StepStatus.Value(f"STEP_STATUS_{step.status.value}"),
        attempts=step.attempts,
        compensation_attempts=step.compensation_attempts,
        last_error=error_out(step.last_error),
        request_id=saga.step_request_id(step.name, undo=undoing),
        started_at=_timestamp(step.started_at),
        finished_at=_timestamp(step.finished_at),
    )


def saga_out(saga: Saga) -> saga_pb2.Saga:
    total = total_of(saga.data)
    return saga_pb2.Saga(
        saga_id=saga.saga_id,
        request_id=saga.request_id,
        kind=saga_pb2.SagaKind.Value(f"SAGA_KIND_{saga.kind.value.upper()}"),
        state=saga_pb2.SagaState.Value(f"SAGA_STATE_{saga.state.value}"),
        order_id=str(saga.data.get(ORDER_ID, "")),
        customer_id=str(saga.data.get(CUSTOMER_ID, "")),
        reservation_id=str(saga.data.get(RESERVATION_ID, "")),
        payment_id=str(saga.data.get(PAYMENT_ID, "")),
        total=common_pb2.Money(amount_minor=total.amount_minor, currency=total.currency) if total else None,
        steps=[step_out(saga, s) for s in saga.steps],
        failed_step=saga.failed_step or "",
        failure=error_out(saga.failure),
        created_at=_timestamp(saga.created_at),
        updated_at=_timestamp(saga.updated_at),
        refund_id=str(saga.data.get(REFUND_ID, "")),
        payment_refund_id=str(saga.data.get(PAYMENT_REFUND_ID, "")),
    )


def place_order_out(saga: Saga) -> saga_pb2.PlaceOrderResponse:
    out = saga_out(saga)
    return saga_pb2.PlaceOrderResponse(
        saga=out, order_id=out.order_id, payment_id=out.payment_id, reservation_id=out.reservation_id, total=out.total
    )


def execute_refund_out(saga: Saga) -> saga_pb2.ExecuteRefundResponse:
    out = saga_out(saga)
    return saga_pb2.ExecuteRefundResponse(saga=out, refund_id=out.refund_id, payment_refund_id=out.payment_refund_id)
