"""Translation between the HTTP models (adapters.schemas) and the services' protobuf messages."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from google.protobuf import timestamp_pb2
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from google.protobuf.message import Message
from oms.common.v1 import common_pb2
from oms.inventory.v1 import inventory_pb2
from oms.orders.v1 import orders_pb2
from oms.payments.v1 import payments_pb2
from oms.pricing.v1 import pricing_pb2
from oms.refunds.v1 import refunds_pb2
from oms.saga.v1 import saga_pb2

from services.gateway.adapters import schemas as s
from services.gateway.application.use_cases import MissingSection, Panorama


def _enum(value: int, wrapper: EnumTypeWrapper, prefix: str, kind: type[enum.StrEnum]) -> Any:
    """The HTTP value of a contract enum value; None for UNSPECIFIED or a value this build does not know."""
    try:
        name = wrapper.Name(value)
    except ValueError:
        return None
    if name.endswith("_UNSPECIFIED"):
        return None
    return kind(name.removeprefix(prefix).lower())


def enum_value(member: enum.StrEnum, wrapper: EnumTypeWrapper, prefix: str) -> int:
    """The contract value of an HTTP enum member (``tmall`` -> CHANNEL_TMALL)."""
    return wrapper.Value(prefix + member.value.upper())


def _time(parent: Message, name: str) -> datetime | None:
    if not parent.HasField(name):
        return None
    stamp: timestamp_pb2.Timestamp = getattr(parent, name)
    return stamp.ToDatetime(tzinfo=UTC)


def _money(parent: Message, name: str) -> s.Money | None:
    if not parent.HasField(name):
        return None
    value: common_pb2.Money = getattr(parent, name)
    if not value.currency:
        return None
    return s.Money(amount_minor=value.amount_minor, currency=value.currency)


def _address(parent: Message, name: str) -> s.Address | None:
    if not parent.HasField(name):
        return None
    value: common_pb2.Address = getattr(parent, name)
    return s.Address(
        recipient=value.recipient,
        phone=value.phone,
        country=value.country,
        province=value.province,
        city=value.city,
        district=value.district,
        detail=value.detail,
        postal_code=value.postal_code,
    )


# HTTP -> contract


def address_message(address: s.Address | None) -> common_pb2.Address | None:
    if address is None:
        return None
    return common_pb2.Address(**address.model_dump())


def place_order_request(body: s.PlaceOrderBody) -> saga_pb2.PlaceOrderRequest:
    """The saga request of a placement; the request id is set by the use case from the Idempotency-Key."""
    customer = body.customer
    return saga_pb2.PlaceOrderRequest(
        customer=saga_pb2.CustomerDetails(
            name=customer.name,
            phone=customer.phone,
            email=customer.email,
            tax_id=customer.tax_id,
            address=address_message(customer.address),
        ),
        lines=[saga_pb2.OrderLine(sku=line.sku, quantity=line.quantity) for line in body.lines],
        shipping_address=address_message(body.shipping_address),
        coupon_codes=body.coupon_codes,
        payment_method=saga_pb2.PaymentMethod(provider=body.payment_method.provider, token=body.payment_method.token),
        channel=body.channel.value,
        channel_order_id=body.channel_order_id,
        order_type=enum_value(body.order_type, saga_pb2.OrderType, "ORDER_TYPE_"),
        buyer_remark=body.buyer_remark,
        currency=body.currency,
    )


def refund_request(body: s.RefundBody) -> refunds_pb2.RequestRefundRequest:
    """The client's part of a refund request; the use case adds what the services know about the order."""
    return refunds_pb2.RequestRefundRequest(
        payment_id=body.payment_id or "",
        kind=enum_value(body.kind, refunds_pb2.RefundKind, "REFUND_KIND_"),
        reason=enum_value(body.reason, refunds_pb2.RefundReason, "REFUND_REASON_"),
        amount=common_pb2.Money(amount_minor=body.amount.amount_minor, currency=body.amount.currency),
        items=[refunds_pb2.Item(sku=item.sku, quantity=item.quantity) for item in body.items],
        description=body.description,
    )


def quote_request(body: s.QuoteBody) -> pricing_pb2.QuoteRequest:
    return pricing_pb2.QuoteRequest(
        lines=[pricing_pb2.QuoteLineRequest(sku=line.sku, quantity=line.quantity) for line in body.lines],
        customer_tier=body.customer_tier,
        coupon_codes=body.coupon_codes,
        shipping_address=address_message(body.shipping_address),
        currency=body.currency,
    )


# Contract -> HTTP


def order(message: orders_pb2.Order) -> s.Order:
    return s.Order(
        order_id=message.order_id,
        channel=_enum(message.channel, orders_pb2.Channel, "CHANNEL_", s.Channel),
        channel_order_id=message.channel_order_id,
        customer_id=message.customer_id,
        customer_tier=message.customer_tier,
        customer_name=message.customer_name,
        order_type=_enum(message.order_type, orders_pb2.OrderType, "ORDER_TYPE_", s.OrderType),
        status=_status(message.status),
        resume_status=_status(message.resume_status),
        hold_reason=message.hold_reason,
        lines=[
            s.OrderLine(
                line_no=line.line_no,
                sku=line.sku,
                quantity=line.quantity,
                unit_price=_money(line, "unit_price"),
                discount=_money(line, "discount"),
                line_total=_money(line, "line_total"),
            )
            for line in message.lines
        ],
        subtotal=_money(message, "subtotal"),
        discount_total=_money(message, "discount_total"),
        shipping_fee=_money(message, "shipping_fee"),
        total=_money(message, "total"),
        shipping_address=_address(message, "shipping_address"),
        buyer_remark=message.buyer_remark,
        seller_remark=message.seller_remark,
        quote_id=message.quote_id,
        payment_id=message.payment_id,
        tracking_number=message.tracking_number,
        created_at=_time(message, "created_at"),
        updated_at=_time(message, "updated_at"),
        history=[
            s.StatusChange(
                from_status=_status(change.from_status),
                to_status=_status(change.to_status),
                changed_at=_time(change, "changed_at"),
                actor=_actor(change, "actor"),
                reason=change.reason,
            )
            for change in message.history
        ],
    )


def _status(value: int) -> Any:
    return _enum(value, orders_pb2.OrderStatus, "ORDER_STATUS_", s.OrderStatus)


def _step_error(parent: Message, name: str) -> s.StepError | None:
    if not parent.HasField(name):
        return None
    error: saga_pb2.StepError = getattr(parent, name)
    return s.StepError(
        code=error.code, reason=error.reason, message=error.message, domain=error.domain, metadata=dict(error.metadata)
    )


def saga(message: saga_pb2.Saga) -> s.Saga:
    return s.Saga(
        saga_id=message.saga_id,
        request_id=message.request_id,
        kind=_enum(message.kind, saga_pb2.SagaKind, "SAGA_KIND_", s.SagaKind),
        state=_enum(message.state, saga_pb2.SagaState, "SAGA_STATE_", s.SagaState),
        order_id=message.order_id,
        customer_id=message.customer_id,
        reservation_id=message.reservation_id,
        payment_id=message.payment_id,
        total=_money(message, "total"),
        steps=[
            s.SagaStep(
                name=step.name,
                status=_enum(step.status, saga_pb2.StepStatus, "STEP_STATUS_", s.StepStatus),
                attempts=step.attempts,
                compensation_attempts=step.compensation_attempts,
                last_error=_step_error(step, "last_error"),
                request_id=step.request_id,
                started_at=_time(step, "started_at"),
                finished_at=_time(step, "finished_at"),
            )
            for step in message.steps
        ],
        failed_step=message.failed_step,
        failure=_step_error(message, "failure"),
        created_at=_time(message, "created_at"),
        updated_at=_time(message, "updated_at"),
    )


def placed_order(message: saga_pb2.PlaceOrderResponse) -> s.PlacedOrder:
    return s.PlacedOrder(
        order_id=message.order_id,
        payment_id=message.payment_id,
        reservation_id=message.reservation_id,
        total=_money(message, "total"),
        saga=saga(message.saga) if message.HasField("saga") else None,
    )


def payment(message: payments_pb2.Payment) -> s.Payment:
    return s.Payment(
        payment_id=message.payment_id,
        order_id=message.order_id,
        status=_enum(message.status, payments_pb2.PaymentStatus, "PAYMENT_STATUS_", s.PaymentStatus),
        amount=_money(message, "amount"),
        authorized=_money(message, "authorized"),
        captured=_money(message, "captured"),
        refunded=_money(message, "refunded"),
        refund_pending=_money(message, "refund_pending"),
        provider=message.provider,
        failure_reason=message.failure_reason,
        created_at=_time(message, "created_at"),
        updated_at=_time(message, "updated_at"),
        refunds=[
            s.PaymentRefund(
                refund_id=refund.refund_id,
                amount=_money(refund, "amount"),
                reason=refund.reason,
                status=_enum(refund.status, payments_pb2.RefundStatus, "REFUND_STATUS_", s.PaymentRefundStatus),
                failure_reason=refund.failure_reason,
                created_at=_time(refund, "created_at"),
                updated_at=_time(refund, "updated_at"),
            )
            for refund in message.refunds
        ],
    )


def reservation(message: inventory_pb2.Reservation) -> s.Reservation:
    return s.Reservation(
        reservation_id=message.reservation_id,
        order_id=message.order_id,
        status=_enum(message.status, inventory_pb2.ReservationStatus, "RESERVATION_STATUS_", s.ReservationStatus),
        lines=[
            s.ReservationLine(sku=line.sku, warehouse_id=line.warehouse_id, quantity=line.quantity)
            for line in message.lines
        ],
        created_at=_time(message, "created_at"),
        expires_at=_time(message, "expires_at"),
        committed_at=_time(message, "committed_at"),
        closed_at=_time(message, "closed_at"),
        release_reason=message.release_reason,
    )


def _actor(parent: Message, name: str) -> s.Actor | None:
    if not parent.HasField(name):
        return None
    actor: common_pb2.Actor = getattr(parent, name)
    return s.Actor(subject=actor.subject, role=actor.role)


def refund(message: refunds_pb2.Refund) -> s.Refund:
    return s.Refund(
        refund_id=message.refund_id,
        order_id=message.order_id,
        payment_id=message.payment_id,
        kind=_enum(message.kind, refunds_pb2.RefundKind, "REFUND_KIND_", s.RefundKind),
        reason=_enum(message.reason, refunds_pb2.RefundReason, "REFUND_REASON_", s.RefundReason),
        status=_enum(message.status, refunds_pb2.RefundStatus, "REFUND_STATUS_", s.RefundStatus),
        return_status=_enum(message.return_status, refunds_pb2.ReturnStatus, "RETURN_STATUS_", s.ReturnStatus),
        items=[s.RefundItem(sku=item.sku, quantity=item.quantity) for item in message.items],
        amount=_money(message, "amount"),
        shipping_refund=_money(message, "shipping_refund"),
        total=_money(message, "total"),
        description=message.description,
        requested_by=_actor(message, "requested_by"),
        required_roles=list(message.required_roles),
        approvals=[
            s.Approval(
                approver=_actor(approval, "approver"),
                comment=approval.comment,
                approved_at=_time(approval, "approved_at"),
            )
            for approval in message.approvals
        ],
        rejection_reason=message.rejection_reason,
        failure_reason=message.failure_reason,
        requested_at=_time(message, "requested_at"),
        due_at=_time(message, "due_at"),
        updated_at=_time(message, "updated_at"),
        completed_at=_time(message, "completed_at"),
    )


def panorama(view: Panorama) -> s.Panorama:
    return s.Panorama(
        order=order(view.order),
        payments=[payment(p) for p in view.payments],
        reservations=[reservation(r) for r in view.reservations],
        refunds=[refund(r) for r in view.refunds],
        saga=saga(view.saga) if view.saga is not None else None,
        incomplete=[_missing(m) for m in view.incomplete],
    )


def _missing(section: MissingSection) -> s.MissingSection:
    return s.MissingSection(section=section.section, reason=section.reason, detail=section.detail)


def availability(items: Iterable[inventory_pb2.SkuAvailability]) -> s.Availability:
    return s.Availability(
        items=[
            s.SkuAvailability(
                sku=item.sku,
                on_hand=item.on_hand,
                reserved=item.reserved,
                safety_stock=item.safety_stock,
                available=item.available,
                available_in_one_warehouse=item.available_in_one_warehouse,
                paused=item.paused,
                pressure_high=item.pressure_high,
                warehouses=[
                    s.WarehouseStock(
                        warehouse_id=level.warehouse_id,
                        on_hand=level.on_hand,
                        reserved=level.reserved,
                        safety_stock=level.safety_stock,
                        available=level.available,
                        updated_at=_time(level, "updated_at"),
                    )
                    for level in item.warehouses
                ],
            )
            for item in items
        ]
    )


def quote(message: pricing_pb2.PriceQuote) -> s.Quote:
    return s.Quote(
        quote_id=message.quote_id,
        lines=[
            s.QuoteLine(
                sku=line.sku,
                quantity=line.quantity,
                unit_price=_money(line, "unit_price"),
                discount=_money(line, "discount"),
                line_total=_money(line, "line_total"),
            )
            for line in message.lines
        ],
        subtotal=_money(message, "subtotal"),
        discount_total=_money(message, "discount_total"),
        shipping_fee=_money(message, "shipping_fee"),
        total=_money(message, "total"),
        issued_at=_time(message, "issued_at"),
        valid_until=_time(message, "valid_until"),
        applied=[
            s.AppliedPromotion(
                promotion_id=applied.promotion_id,
                name=applied.name,
                kind=_enum(applied.kind, pricing_pb2.PromotionKind, "PROMOTION_KIND_", s.PromotionKind),
                coupon_code=applied.coupon_code,
                amount=_money(applied, "amount"),
                capped=applied.capped,
            )
            for applied in message.applied
        ],
        rejected=[
            s.RejectedPromotion(
                promotion_id=rejected.promotion_id,
                name=rejected.name,
                coupon_code=rejected.coupon_code,
                reason=_enum(rejected.reason, pricing_pb2.RejectionReason, "REJECTION_REASON_", s.RejectionReason),
                detail=rejected.detail,
            )
            for rejected in message.rejected
        ],
        customer_tier=message.customer_tier,
        coupon_codes=list(message.coupon_codes),
    )
