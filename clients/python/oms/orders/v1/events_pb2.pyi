import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from oms.common.v1 import common_pb2 as _common_pb2
from oms.orders.v1 import orders_pb2 as _orders_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderCreated(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _orders_pb2.Order
    def __init__(self, order: _Optional[_Union[_orders_pb2.Order, _Mapping]] = ...) -> None: ...

class OrderPaid(_message.Message):
    __slots__ = ("order_id", "payment_id", "paid_amount", "paid_at", "customer_id", "channel")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAID_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PAID_AT_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    payment_id: str
    paid_amount: _common_pb2.Money
    paid_at: _timestamp_pb2.Timestamp
    customer_id: str
    channel: _orders_pb2.Channel
    def __init__(self, order_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., paid_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., paid_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., customer_id: _Optional[str] = ..., channel: _Optional[_Union[_orders_pb2.Channel, str]] = ...) -> None: ...

class OrderStatusChanged(_message.Message):
    __slots__ = ("order_id", "from_status", "to_status", "changed_at", "actor", "reason", "tracking_number", "resume_status")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_STATUS_FIELD_NUMBER: _ClassVar[int]
    TO_STATUS_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TRACKING_NUMBER_FIELD_NUMBER: _ClassVar[int]
    RESUME_STATUS_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    from_status: _orders_pb2.OrderStatus
    to_status: _orders_pb2.OrderStatus
    changed_at: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    reason: str
    tracking_number: str
    resume_status: _orders_pb2.OrderStatus
    def __init__(self, order_id: _Optional[str] = ..., from_status: _Optional[_Union[_orders_pb2.OrderStatus, str]] = ..., to_status: _Optional[_Union[_orders_pb2.OrderStatus, str]] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., reason: _Optional[str] = ..., tracking_number: _Optional[str] = ..., resume_status: _Optional[_Union[_orders_pb2.OrderStatus, str]] = ...) -> None: ...

class OrderCancelled(_message.Message):
    __slots__ = ("order_id", "from_status", "reason", "cancelled_at", "actor", "payment_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    from_status: _orders_pb2.OrderStatus
    reason: str
    cancelled_at: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    payment_id: str
    def __init__(self, order_id: _Optional[str] = ..., from_status: _Optional[_Union[_orders_pb2.OrderStatus, str]] = ..., reason: _Optional[str] = ..., cancelled_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., payment_id: _Optional[str] = ...) -> None: ...

class OrderFlagged(_message.Message):
    __slots__ = ("order_id", "reason", "detail", "flagged_at", "resume_status", "total", "expected_total")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    FLAGGED_AT_FIELD_NUMBER: _ClassVar[int]
    RESUME_STATUS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_TOTAL_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    reason: str
    detail: str
    flagged_at: _timestamp_pb2.Timestamp
    resume_status: _orders_pb2.OrderStatus
    total: _common_pb2.Money
    expected_total: _common_pb2.Money
    def __init__(self, order_id: _Optional[str] = ..., reason: _Optional[str] = ..., detail: _Optional[str] = ..., flagged_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resume_status: _Optional[_Union[_orders_pb2.OrderStatus, str]] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., expected_total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class OrderShippingAddressChanged(_message.Message):
    __slots__ = ("order_id", "shipping_address", "changed_at", "actor", "reason")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    shipping_address: _common_pb2.Address
    changed_at: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    reason: str
    def __init__(self, order_id: _Optional[str] = ..., shipping_address: _Optional[_Union[_common_pb2.Address, _Mapping]] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class ChannelIngestFailed(_message.Message):
    __slots__ = ("failed_ingest_id", "channel", "channel_order_id", "reason", "field", "detail", "received_at")
    FAILED_INGEST_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    failed_ingest_id: str
    channel: _orders_pb2.Channel
    channel_order_id: str
    reason: str
    field: str
    detail: str
    received_at: _timestamp_pb2.Timestamp
    def __init__(self, failed_ingest_id: _Optional[str] = ..., channel: _Optional[_Union[_orders_pb2.Channel, str]] = ..., channel_order_id: _Optional[str] = ..., reason: _Optional[str] = ..., field: _Optional[str] = ..., detail: _Optional[str] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ChannelSyncStalled(_message.Message):
    __slots__ = ("channel", "last_sync_at", "detected_at", "interval_seconds", "last_error")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    LAST_SYNC_AT_FIELD_NUMBER: _ClassVar[int]
    DETECTED_AT_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    channel: _orders_pb2.Channel
    last_sync_at: _timestamp_pb2.Timestamp
    detected_at: _timestamp_pb2.Timestamp
    interval_seconds: int
    last_error: str
    def __init__(self, channel: _Optional[_Union[_orders_pb2.Channel, str]] = ..., last_sync_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., detected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., interval_seconds: _Optional[int] = ..., last_error: _Optional[str] = ...) -> None: ...

class ChannelSyncRecovered(_message.Message):
    __slots__ = ("channel", "stalled_since", "recovered_at")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    STALLED_SINCE_FIELD_NUMBER: _ClassVar[int]
    RECOVERED_AT_FIELD_NUMBER: _ClassVar[int]
    channel: _orders_pb2.Channel
    stalled_since: _timestamp_pb2.Timestamp
    recovered_at: _timestamp_pb2.Timestamp
    def __init__(self, channel: _Optional[_Union[_orders_pb2.Channel, str]] = ..., stalled_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recovered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ChannelSyncPaused(_message.Message):
    __slots__ = ("channel", "reason", "orders_this_hour", "orders_previous_hour", "threshold_percent", "paused_at")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ORDERS_THIS_HOUR_FIELD_NUMBER: _ClassVar[int]
    ORDERS_PREVIOUS_HOUR_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_PERCENT_FIELD_NUMBER: _ClassVar[int]
    PAUSED_AT_FIELD_NUMBER: _ClassVar[int]
    channel: _orders_pb2.Channel
    reason: str
    orders_this_hour: int
    orders_previous_hour: int
    threshold_percent: int
    paused_at: _timestamp_pb2.Timestamp
    def __init__(self, channel: _Optional[_Union[_orders_pb2.Channel, str]] = ..., reason: _Optional[str] = ..., orders_this_hour: _Optional[int] = ..., orders_previous_hour: _Optional[int] = ..., threshold_percent: _Optional[int] = ..., paused_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ChannelSyncReleased(_message.Message):
    __slots__ = ("channel", "actor", "note", "released_at")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    RELEASED_AT_FIELD_NUMBER: _ClassVar[int]
    channel: _orders_pb2.Channel
    actor: _common_pb2.Actor
    note: str
    released_at: _timestamp_pb2.Timestamp
    def __init__(self, channel: _Optional[_Union[_orders_pb2.Channel, str]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., note: _Optional[str] = ..., released_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OrderReviewed(_message.Message):
    __slots__ = ("order_id", "rule_set_version", "rule_id", "outcome", "queue", "reason", "reviewed_at", "status")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_SET_VERSION_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REVIEWED_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    rule_set_version: int
    rule_id: str
    outcome: _orders_pb2.ReviewOutcome
    queue: str
    reason: str
    reviewed_at: _timestamp_pb2.Timestamp
    status: _orders_pb2.OrderStatus
    def __init__(self, order_id: _Optional[str] = ..., rule_set_version: _Optional[int] = ..., rule_id: _Optional[str] = ..., outcome: _Optional[_Union[_orders_pb2.ReviewOutcome, str]] = ..., queue: _Optional[str] = ..., reason: _Optional[str] = ..., reviewed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[_orders_pb2.OrderStatus, str]] = ...) -> None: ...

class OrderAllocated(_message.Message):
    __slots__ = ("order_id", "shipments", "allocated_at", "split")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SHIPMENTS_FIELD_NUMBER: _ClassVar[int]
    ALLOCATED_AT_FIELD_NUMBER: _ClassVar[int]
    SPLIT_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    shipments: _containers.RepeatedCompositeFieldContainer[_orders_pb2.Shipment]
    allocated_at: _timestamp_pb2.Timestamp
    split: bool
    def __init__(self, order_id: _Optional[str] = ..., shipments: _Optional[_Iterable[_Union[_orders_pb2.Shipment, _Mapping]]] = ..., allocated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., split: _Optional[bool] = ...) -> None: ...

class OrderOverdue(_message.Message):
    __slots__ = ("order_id", "status", "untouched_since", "detected_at", "threshold_seconds", "order_type")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UNTOUCHED_SINCE_FIELD_NUMBER: _ClassVar[int]
    DETECTED_AT_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    status: _orders_pb2.OrderStatus
    untouched_since: _timestamp_pb2.Timestamp
    detected_at: _timestamp_pb2.Timestamp
    threshold_seconds: int
    order_type: _orders_pb2.OrderType
    def __init__(self, order_id: _Optional[str] = ..., status: _Optional[_Union[_orders_pb2.OrderStatus, str]] = ..., untouched_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., detected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., threshold_seconds: _Optional[int] = ..., order_type: _Optional[_Union[_orders_pb2.OrderType, str]] = ...) -> None: ...

class ShipmentClaimed(_message.Message):
    __slots__ = ("shipment",)
    SHIPMENT_FIELD_NUMBER: _ClassVar[int]
    shipment: _orders_pb2.Shipment
    def __init__(self, shipment: _Optional[_Union[_orders_pb2.Shipment, _Mapping]] = ...) -> None: ...

class ShipmentConfirmed(_message.Message):
    __slots__ = ("shipment", "shipped_order_ids")
    SHIPMENT_FIELD_NUMBER: _ClassVar[int]
    SHIPPED_ORDER_IDS_FIELD_NUMBER: _ClassVar[int]
    shipment: _orders_pb2.Shipment
    shipped_order_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, shipment: _Optional[_Union[_orders_pb2.Shipment, _Mapping]] = ..., shipped_order_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ShipmentOverdue(_message.Message):
    __slots__ = ("shipment", "detected_at")
    SHIPMENT_FIELD_NUMBER: _ClassVar[int]
    DETECTED_AT_FIELD_NUMBER: _ClassVar[int]
    shipment: _orders_pb2.Shipment
    detected_at: _timestamp_pb2.Timestamp
    def __init__(self, shipment: _Optional[_Union[_orders_pb2.Shipment, _Mapping]] = ..., detected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
