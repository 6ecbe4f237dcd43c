"""Domain outcome -> integration events (oms.saga.v1), written to the outbox with the terminal transition."""

from __future__ import annotations

from google.protobuf import message
from oms.common.v1 import common_pb2
from oms.saga.v1 import events_pb2

from services.saga.application.place_order import (
    CUSTOMER_ID,
    ORDER_ID,
    PAYMENT_ID,
    RESERVATION_ID,
    total_of,
)
from services.saga.domain.model import SagaEnded, SagaKind, SagaState


def integration_events(ended: SagaEnded) -> list[message.Message]:
    """OrderPlacementSucceeded / OrderPlacementFailed for placements, SagaCompensated when steps were
    undone, SagaCompensationFailed when a participant refused an undo (a person must look)."""
    data = ended.data
    order_id = str(data.get(ORDER_ID, ""))
    failure = ended.failure
    reason = failure.reason if failure else ""
    found: list[message.Message] = []
    if ended.kind is SagaKind.PLACE_ORDER and ended.state is SagaState.SUCCEEDED:
        total = total_of(data)
        found.append(
            events_pb2.OrderPlacementSucceeded(
                saga_id=ended.saga_id,
                request_id=ended.request_id,
                order_id=order_id,
                customer_id=str(data.get(CUSTOMER_ID, "")),
                reservation_id=str(data.get(RESERVATION_ID, "")),
                payment_id=str(data.get(PAYMENT_ID, "")),
                total=common_pb2.Money(amount_minor=total.amount_minor, currency=total.currency) if total else None,
            )
        )
    elif ended.kind is SagaKind.PLACE_ORDER:
        found.append(
            events_pb2.OrderPlacementFailed(
                saga_id=ended.saga_id,
                request_id=ended.request_id,
                order_id=order_id,
                failed_step=ended.failed_step or "",
                code=failure.code if failure else "",
                reason=reason,
                metadata=dict(failure.metadata) if failure else {},
                compensated=ended.state is SagaState.FAILED,
            )
        )
    if ended.compensated_steps:
        found.append(
            events_pb2.SagaCompensated(
                saga_id=ended.saga_id,
                kind=ended.kind.value,
                order_id=order_id,
                failed_step=ended.failed_step or "",
                reason=reason,
                compensated_steps=list(ended.compensated_steps),
            )
        )
    if ended.state is SagaState.COMPENSATION_FAILED:
        found.append(
            events_pb2.SagaCompensationFailed(
                saga_id=ended.saga_id,
                kind=ended.kind.value,
                order_id=order_id,
                steps=list(ended.refused_steps) or [ended.failed_step or ""],
                reason=reason,
            )
        )
    return found
