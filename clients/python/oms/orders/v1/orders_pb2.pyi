import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from oms.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Channel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_UNSPECIFIED: _ClassVar[Channel]
    CHANNEL_OWN_SITE: _ClassVar[Channel]
    CHANNEL_TMALL: _ClassVar[Channel]
    CHANNEL_JD: _ClassVar[Channel]
    CHANNEL_DOUYIN: _ClassVar[Channel]
    CHANNEL_PINDUODUO: _ClassVar[Channel]
    CHANNEL_SHOPIFY: _ClassVar[Channel]

class OrderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_TYPE_UNSPECIFIED: _ClassVar[OrderType]
    ORDER_TYPE_REGULAR: _ClassVar[OrderType]
    ORDER_TYPE_RUSH: _ClassVar[OrderType]
    ORDER_TYPE_SAMPLE: _ClassVar[OrderType]

class OrderStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATUS_UNSPECIFIED: _ClassVar[OrderStatus]
    ORDER_STATUS_PENDING_PAYMENT: _ClassVar[OrderStatus]
    ORDER_STATUS_PAID: _ClassVar[OrderStatus]
    ORDER_STATUS_UNDER_REVIEW: _ClassVar[OrderStatus]
    ORDER_STATUS_APPROVED: _ClassVar[OrderStatus]
    ORDER_STATUS_ALLOCATED: _ClassVar[OrderStatus]
    ORDER_STATUS_PICKING: _ClassVar[OrderStatus]
    ORDER_STATUS_SHIPPED: _ClassVar[OrderStatus]
    ORDER_STATUS_DELIVERED: _ClassVar[OrderStatus]
    ORDER_STATUS_COMPLETED: _ClassVar[OrderStatus]
    ORDER_STATUS_CANCELLED: _ClassVar[OrderStatus]
    ORDER_STATUS_ON_HOLD: _ClassVar[OrderStatus]
    ORDER_STATUS_EXCEPTION: _ClassVar[OrderStatus]
CHANNEL_UNSPECIFIED: Channel
CHANNEL_OWN_SITE: Channel
CHANNEL_TMALL: Channel
CHANNEL_JD: Channel
CHANNEL_DOUYIN: Channel
CHANNEL_PINDUODUO: Channel
CHANNEL_SHOPIFY: Channel
ORDER_TYPE_UNSPECIFIED: OrderType
ORDER_TYPE_REGULAR: OrderType
ORDER_TYPE_RUSH: OrderType
ORDER_TYPE_SAMPLE: OrderType
ORDER_STATUS_UNSPECIFIED: OrderStatus
ORDER_STATUS_PENDING_PAYMENT: OrderStatus
ORDER_STATUS_PAID: OrderStatus
ORDER_STATUS_UNDER_REVIEW: OrderStatus
ORDER_STATUS_APPROVED: OrderStatus
ORDER_STATUS_ALLOCATED: OrderStatus
ORDER_STATUS_PICKING: OrderStatus
ORDER_STATUS_SHIPPED: OrderStatus
ORDER_STATUS_DELIVERED: OrderStatus
ORDER_STATUS_COMPLETED: OrderStatus
ORDER_STATUS_CANCELLED: OrderStatus
ORDER_STATUS_ON_HOLD: OrderStatus
ORDER_STATUS_EXCEPTION: OrderStatus

class OrderLineInput(_message.Message):
    __slots__ = ("sku", "quantity", "unit_price", "discount")
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    sku: str
    quantity: int
    unit_price: _common_pb2.Money
    discount: _common_pb2.Money
    def __init__(self, sku: _Optional[str] = ..., quantity: _Optional[int] = ..., unit_price: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., discount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class OrderLine(_message.Message):
    __slots__ = ("line_no", "sku", "quantity", "unit_price", "discount", "line_total")
    LINE_NO_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    LINE_TOTAL_FIELD_NUMBER: _ClassVar[int]
    line_no: int
    sku: str
    quantity: int
    unit_price: _common_pb2.Money
    discount: _common_pb2.Money
    line_total: _common_pb2.Money
    def __init__(self, line_no: _Optional[int] = ..., sku: _Optional[str] = ..., quantity: _Optional[int] = ..., unit_price: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., discount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., line_total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class StatusChange(_message.Message):
    __slots__ = ("from_status", "to_status", "changed_at", "actor", "reason")
    FROM_STATUS_FIELD_NUMBER: _ClassVar[int]
    TO_STATUS_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    from_status: OrderStatus
    to_status: OrderStatus
    changed_at: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    reason: str
    def __init__(self, from_status: _Optional[_Union[OrderStatus, str]] = ..., to_status: _Optional[_Union[OrderStatus, str]] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("order_id", "channel", "channel_order_id", "customer_id", "customer_tier", "customer_name", "order_type", "status", "resume_status", "hold_reason", "lines", "subtotal", "discount_total", "shipping_fee", "total", "shipping_address", "buyer_remark", "seller_remark", "quote_id", "payment_id", "tracking_number", "created_at", "updated_at", "history")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_TIER_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_NAME_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RESUME_STATUS_FIELD_NUMBER: _ClassVar[int]
    HOLD_REASON_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    SUBTOTAL_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_TOTAL_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_FEE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    BUYER_REMARK_FIELD_NUMBER: _ClassVar[int]
    SELLER_REMARK_FIELD_NUMBER: _ClassVar[int]
    QUOTE_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    TRACKING_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    channel: Channel
    channel_order_id: str
    customer_id: str
    customer_tier: str
    customer_name: str
    order_type: OrderType
    status: OrderStatus
    resume_status: OrderStatus
    hold_reason: str
    lines: _containers.RepeatedCompositeFieldContainer[OrderLine]
    subtotal: _common_pb2.Money
    discount_total: _common_pb2.Money
    shipping_fee: _common_pb2.Money
    total: _common_pb2.Money
    shipping_address: _common_pb2.Address
    buyer_remark: str
    seller_remark: str
    quote_id: str
    payment_id: str
    tracking_number: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    history: _containers.RepeatedCompositeFieldContainer[StatusChange]
    def __init__(self, order_id: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., channel_order_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., customer_tier: _Optional[str] = ..., customer_name: _Optional[str] = ..., order_type: _Optional[_Union[OrderType, str]] = ..., status: _Optional[_Union[OrderStatus, str]] = ..., resume_status: _Optional[_Union[OrderStatus, str]] = ..., hold_reason: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[OrderLine, _Mapping]]] = ..., subtotal: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., discount_total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., shipping_fee: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., shipping_address: _Optional[_Union[_common_pb2.Address, _Mapping]] = ..., buyer_remark: _Optional[str] = ..., seller_remark: _Optional[str] = ..., quote_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., tracking_number: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., history: _Optional[_Iterable[_Union[StatusChange, _Mapping]]] = ...) -> None: ...

class CreateOrderRequest(_message.Message):
    __slots__ = ("request_id", "channel", "channel_order_id", "customer_id", "customer_tier", "customer_name", "order_type", "lines", "shipping_fee", "discount_total", "total", "shipping_address", "buyer_remark", "seller_remark", "quote_id", "actor", "subtotal")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_TIER_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_NAME_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_FEE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_TOTAL_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    BUYER_REMARK_FIELD_NUMBER: _ClassVar[int]
    SELLER_REMARK_FIELD_NUMBER: _ClassVar[int]
    QUOTE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    SUBTOTAL_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    channel: Channel
    channel_order_id: str
    customer_id: str
    customer_tier: str
    customer_name: str
    order_type: OrderType
    lines: _containers.RepeatedCompositeFieldContainer[OrderLineInput]
    shipping_fee: _common_pb2.Money
    discount_total: _common_pb2.Money
    total: _common_pb2.Money
    shipping_address: _common_pb2.Address
    buyer_remark: str
    seller_remark: str
    quote_id: str
    actor: _common_pb2.Actor
    subtotal: _common_pb2.Money
    def __init__(self, request_id: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., channel_order_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., customer_tier: _Optional[str] = ..., customer_name: _Optional[str] = ..., order_type: _Optional[_Union[OrderType, str]] = ..., lines: _Optional[_Iterable[_Union[OrderLineInput, _Mapping]]] = ..., shipping_fee: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., discount_total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., shipping_address: _Optional[_Union[_common_pb2.Address, _Mapping]] = ..., buyer_remark: _Optional[str] = ..., seller_remark: _Optional[str] = ..., quote_id: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., subtotal: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class CreateOrderResponse(_message.Message):
    __slots__ = ("order", "created")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    order: Order
    created: bool
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetOrderRequest(_message.Message):
    __slots__ = ("order_id",)
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    def __init__(self, order_id: _Optional[str] = ...) -> None: ...

class GetOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class ListOrdersRequest(_message.Message):
    __slots__ = ("page", "statuses", "channel", "customer_id", "created_after", "created_before", "oldest_first")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    OLDEST_FIRST_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    statuses: _containers.RepeatedScalarFieldContainer[OrderStatus]
    channel: Channel
    customer_id: str
    created_after: _timestamp_pb2.Timestamp
    created_before: _timestamp_pb2.Timestamp
    oldest_first: bool
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., statuses: _Optional[_Iterable[_Union[OrderStatus, str]]] = ..., channel: _Optional[_Union[Channel, str]] = ..., customer_id: _Optional[str] = ..., created_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., oldest_first: _Optional[bool] = ...) -> None: ...

class ListOrdersResponse(_message.Message):
    __slots__ = ("orders", "page")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    page: _common_pb2.PageResponse
    def __init__(self, orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class MarkOrderPaidRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "payment_id", "paid_amount", "actor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAID_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    payment_id: str
    paid_amount: _common_pb2.Money
    actor: _common_pb2.Actor
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., paid_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class MarkOrderPaidResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class CancelOrderRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "reason", "actor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    reason: str
    actor: _common_pb2.Actor
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., reason: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class CancelOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class TransitionOrderRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "target_status", "reason", "tracking_number", "actor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TRACKING_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    target_status: OrderStatus
    reason: str
    tracking_number: str
    actor: _common_pb2.Actor
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., target_status: _Optional[_Union[OrderStatus, str]] = ..., reason: _Optional[str] = ..., tracking_number: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class TransitionOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...
