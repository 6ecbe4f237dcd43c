"""Translation between the orders contract (oms.orders.v1 protos) and the domain, checking wire input.

Inbound: enums, money and timestamps are checked here so a bad request names its proto field
(``lines[0].unit_price.currency``); business rules stay in the domain.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import TypeVar

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from google.protobuf.timestamp_pb2 import Timestamp
from oms.common.v1 import common_pb2
from oms.orders.v1 import orders_pb2

from services.orders.domain.model import Order
from services.orders.domain.values import (
    Actor,
    Address,
    Channel,
    OrderLine,
    OrderStatus,
    OrderType,
    StatusChange,
)
from shared.context import current_call
from shared.grpc.convert import money_out
from shared.grpc.convert import timestamp_out as instant_out
from shared.kernel.errors import InvalidArgument
from shared.kernel.money import Money

E = TypeVar("E", bound=enum.Enum)
ANONYMOUS = Actor("anonymous", "service")


def enum_in(kind: type[E], wire: EnumTypeWrapper, prefix: str, field: str, number: int) -> E:
    """The domain value of a wire enum number; UNSPECIFIED or a number this server does not know is bad input."""
    try:
        name = wire.Name(number)
    except ValueError:
        name = ""
    if not name or name == f"{prefix}UNSPECIFIED":
        allowed = [v.name for v in wire.DESCRIPTOR.values if v.number != 0]
        raise InvalidArgument.field(field, "must be one of " + ", ".join(allowed))
    return kind(name.removeprefix(prefix))


def channel_in(number: int, field: str = "channel") -> Channel:
    return enum_in(Channel, orders_pb2.Channel, "CHANNEL_", field, number)


def status_in(number: int, field: str) -> OrderStatus:
    return enum_in(OrderStatus, orders_pb2.OrderStatus, "ORDER_STATUS_", field, number)


def order_type_in(number: int) -> OrderType:
    if number == orders_pb2.ORDER_TYPE_UNSPECIFIED:
        return OrderType.REGULAR
    return enum_in(OrderType, orders_pb2.OrderType, "ORDER_TYPE_", "order_type", number)


# Domain enum -> wire number, computed once: the batch ingest path converts tens of thousands per second.
_CHANNELS = {c: orders_pb2.Channel.Value("CHANNEL_" + c.value) for c in Channel}
_STATUSES = {s: orders_pb2.OrderStatus.Value("ORDER_STATUS_" + s.value) for s in OrderStatus}
_ORDER_TYPES = {t: orders_pb2.OrderType.Value("ORDER_TYPE_" + t.value) for t in OrderType}


def channel_out(channel: Channel) -> int:
    return _CHANNELS[channel]


def status_out(status: OrderStatus | None) -> int:
    return _STATUSES[status] if status else 0


def order_type_out(order_type: OrderType) -> int:
    return _ORDER_TYPES[order_type]


def money_in(message: common_pb2.Money, field: str, *, present: bool = True) -> Money | None:
    """The amount of a Money field, or None when it is absent (unset, or zero without a currency)."""
    if not present or (message.amount_minor == 0 and not message.currency):
        return None
    currency = message.currency
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha() and currency.isupper()):
        raise InvalidArgument.field(f"{field}.currency", "must be a 3-letter ISO 4217 code such as CNY")
    return Money(message.amount_minor, currency)


def instant_in(message: Timestamp, field: str) -> datetime:
    try:
        return message.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError) as error:
        raise InvalidArgument.field(field, "is not a valid timestamp") from error


def address_in(message: common_pb2.Address) -> Address:
    return Address(
        recipient=message.recipient,
        phone=message.phone,
        country=message.country,
        province=message.province,
        city=message.city,
        district=message.district,
        detail=message.detail,
        postal_code=message.postal_code,
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


def actor_in(message: common_pb2.Actor, present: bool) -> Actor:
    """The actor the request names, else the caller the edge identified, else an anonymous service."""
    if present and message.subject:
        return Actor(message.subject, message.role or "service")
    call = current_call.get()
    if call.subject:
        return Actor(call.subject, call.role or "service")
    return ANONYMOUS


def actor_out(actor: Actor) -> common_pb2.Actor:
    return common_pb2.Actor(subject=actor.subject, role=actor.role)


def line_out(line: OrderLine) -> orders_pb2.OrderLine:
    return orders_pb2.OrderLine(
        line_no=line.line_no,
        sku=line.sku,
        quantity=line.quantity,
        unit_price=money_out(line.unit_price),
        discount=money_out(line.discount),
        line_total=money_out(line.line_total),
    )


def change_out(change: StatusChange) -> orders_pb2.StatusChange:
    return orders_pb2.StatusChange(
        from_status=status_out(change.from_status),
        to_status=status_out(change.to_status),
        changed_at=instant_out(change.changed_at),
        actor=actor_out(change.actor),
        reason=change.reason,
    )


def order_out(order: Order) -> orders_pb2.Order:
    return orders_pb2.Order(
        order_id=order.order_id,
        channel=channel_out(order.channel),
        channel_order_id=order.channel_order_id,
        customer_id=order.customer_id,
        customer_tier=order.customer_tier,
        customer_name=order.customer_name,
        order_type=order_type_out(order.order_type),
        status=status_out(order.status),
        resume_status=status_out(order.resume_status),
        hold_reason=order.hold_reason,
        lines=[line_out(line) for line in order.lines],
        subtotal=money_out(order.subtotal),
        discount_total=money_out(order.discount_total),
        shipping_fee=money_out(order.shipping_fee),
        total=money_out(order.total),
        shipping_address=address_out(order.shipping_address),
        buyer_remark=order.buyer_remark,
        seller_remark=order.seller_remark,
        quote_id=order.quote_id,
        payment_id=order.payment_id,
        tracking_number=order.tracking_number,
        created_at=instant_out(order.created_at),
        updated_at=instant_out(order.updated_at),
        history=[change_out(change) for change in order.history],
    )
