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

class ChannelSyncState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_SYNC_STATE_UNSPECIFIED: _ClassVar[ChannelSyncState]
    CHANNEL_SYNC_STATE_ACTIVE: _ClassVar[ChannelSyncState]
    CHANNEL_SYNC_STATE_PAUSED: _ClassVar[ChannelSyncState]

class ChannelMappingKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_MAPPING_KIND_UNSPECIFIED: _ClassVar[ChannelMappingKind]
    CHANNEL_MAPPING_KIND_FIELD: _ClassVar[ChannelMappingKind]
    CHANNEL_MAPPING_KIND_STATUS: _ClassVar[ChannelMappingKind]
    CHANNEL_MAPPING_KIND_SKU: _ClassVar[ChannelMappingKind]
    CHANNEL_MAPPING_KIND_DEFAULT: _ClassVar[ChannelMappingKind]
    CHANNEL_MAPPING_KIND_FORMAT: _ClassVar[ChannelMappingKind]

class IngestOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INGEST_OUTCOME_UNSPECIFIED: _ClassVar[IngestOutcome]
    INGEST_OUTCOME_CREATED: _ClassVar[IngestOutcome]
    INGEST_OUTCOME_UPDATED: _ClassVar[IngestOutcome]
    INGEST_OUTCOME_UNCHANGED: _ClassVar[IngestOutcome]
    INGEST_OUTCOME_FAILED: _ClassVar[IngestOutcome]

class FailedIngestState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FAILED_INGEST_STATE_UNSPECIFIED: _ClassVar[FailedIngestState]
    FAILED_INGEST_STATE_PENDING: _ClassVar[FailedIngestState]
    FAILED_INGEST_STATE_RESOLVED: _ClassVar[FailedIngestState]

class ReviewOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REVIEW_OUTCOME_UNSPECIFIED: _ClassVar[ReviewOutcome]
    REVIEW_OUTCOME_APPROVE: _ClassVar[ReviewOutcome]
    REVIEW_OUTCOME_HOLD: _ClassVar[ReviewOutcome]
    REVIEW_OUTCOME_REJECT: _ClassVar[ReviewOutcome]

class ShipmentStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SHIPMENT_STATUS_UNSPECIFIED: _ClassVar[ShipmentStatus]
    SHIPMENT_STATUS_PENDING: _ClassVar[ShipmentStatus]
    SHIPMENT_STATUS_CLAIMED: _ClassVar[ShipmentStatus]
    SHIPMENT_STATUS_SHIPPED: _ClassVar[ShipmentStatus]
    SHIPMENT_STATUS_CANCELLED: _ClassVar[ShipmentStatus]
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
CHANNEL_SYNC_STATE_UNSPECIFIED: ChannelSyncState
CHANNEL_SYNC_STATE_ACTIVE: ChannelSyncState
CHANNEL_SYNC_STATE_PAUSED: ChannelSyncState
CHANNEL_MAPPING_KIND_UNSPECIFIED: ChannelMappingKind
CHANNEL_MAPPING_KIND_FIELD: ChannelMappingKind
CHANNEL_MAPPING_KIND_STATUS: ChannelMappingKind
CHANNEL_MAPPING_KIND_SKU: ChannelMappingKind
CHANNEL_MAPPING_KIND_DEFAULT: ChannelMappingKind
CHANNEL_MAPPING_KIND_FORMAT: ChannelMappingKind
INGEST_OUTCOME_UNSPECIFIED: IngestOutcome
INGEST_OUTCOME_CREATED: IngestOutcome
INGEST_OUTCOME_UPDATED: IngestOutcome
INGEST_OUTCOME_UNCHANGED: IngestOutcome
INGEST_OUTCOME_FAILED: IngestOutcome
FAILED_INGEST_STATE_UNSPECIFIED: FailedIngestState
FAILED_INGEST_STATE_PENDING: FailedIngestState
FAILED_INGEST_STATE_RESOLVED: FailedIngestState
REVIEW_OUTCOME_UNSPECIFIED: ReviewOutcome
REVIEW_OUTCOME_APPROVE: ReviewOutcome
REVIEW_OUTCOME_HOLD: ReviewOutcome
REVIEW_OUTCOME_REJECT: ReviewOutcome
SHIPMENT_STATUS_UNSPECIFIED: ShipmentStatus
SHIPMENT_STATUS_PENDING: ShipmentStatus
SHIPMENT_STATUS_CLAIMED: ShipmentStatus
SHIPMENT_STATUS_SHIPPED: ShipmentStatus
SHIPMENT_STATUS_CANCELLED: ShipmentStatus

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

class IngestResult(_message.Message):
    __slots__ = ("index", "outcome", "channel_order_id", "order_id", "failed_ingest_id", "reason", "field", "detail")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    FAILED_INGEST_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    index: int
    outcome: IngestOutcome
    channel_order_id: str
    order_id: str
    failed_ingest_id: str
    reason: str
    field: str
    detail: str
    def __init__(self, index: _Optional[int] = ..., outcome: _Optional[_Union[IngestOutcome, str]] = ..., channel_order_id: _Optional[str] = ..., order_id: _Optional[str] = ..., failed_ingest_id: _Optional[str] = ..., reason: _Optional[str] = ..., field: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class IngestChannelOrdersRequest(_message.Message):
    __slots__ = ("request_id", "channel", "records")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    channel: Channel
    records: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, request_id: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., records: _Optional[_Iterable[bytes]] = ...) -> None: ...

class IngestChannelOrdersResponse(_message.Message):
    __slots__ = ("results", "created", "updated", "unchanged", "failed")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[IngestResult]
    created: int
    updated: int
    unchanged: int
    failed: int
    def __init__(self, results: _Optional[_Iterable[_Union[IngestResult, _Mapping]]] = ..., created: _Optional[int] = ..., updated: _Optional[int] = ..., unchanged: _Optional[int] = ..., failed: _Optional[int] = ...) -> None: ...

class ReceiveChannelWebhookRequest(_message.Message):
    __slots__ = ("request_id", "channel", "payload", "signature")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    channel: Channel
    payload: bytes
    signature: str
    def __init__(self, request_id: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., payload: _Optional[bytes] = ..., signature: _Optional[str] = ...) -> None: ...

class ReceiveChannelWebhookResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: IngestResult
    def __init__(self, result: _Optional[_Union[IngestResult, _Mapping]] = ...) -> None: ...

class ConfigureChannelRequest(_message.Message):
    __slots__ = ("request_id", "channel", "pull_enabled", "endpoint_url", "interval_seconds", "page_size", "webhook_secret", "pull_since", "reset_cursor", "pull_now")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    PULL_ENABLED_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_URL_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_SECRET_FIELD_NUMBER: _ClassVar[int]
    PULL_SINCE_FIELD_NUMBER: _ClassVar[int]
    RESET_CURSOR_FIELD_NUMBER: _ClassVar[int]
    PULL_NOW_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    channel: Channel
    pull_enabled: bool
    endpoint_url: str
    interval_seconds: int
    page_size: int
    webhook_secret: str
    pull_since: _timestamp_pb2.Timestamp
    reset_cursor: bool
    pull_now: bool
    def __init__(self, request_id: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., pull_enabled: _Optional[bool] = ..., endpoint_url: _Optional[str] = ..., interval_seconds: _Optional[int] = ..., page_size: _Optional[int] = ..., webhook_secret: _Optional[str] = ..., pull_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reset_cursor: _Optional[bool] = ..., pull_now: _Optional[bool] = ...) -> None: ...

class ConfigureChannelResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: ChannelStatus
    def __init__(self, status: _Optional[_Union[ChannelStatus, _Mapping]] = ...) -> None: ...

class ChannelSyncHour(_message.Message):
    __slots__ = ("hour_start", "attempts", "successes", "success_rate", "records", "orders_created", "orders_updated", "failures")
    HOUR_START_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    SUCCESSES_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_RATE_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    ORDERS_CREATED_FIELD_NUMBER: _ClassVar[int]
    ORDERS_UPDATED_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    hour_start: _timestamp_pb2.Timestamp
    attempts: int
    successes: int
    success_rate: float
    records: int
    orders_created: int
    orders_updated: int
    failures: int
    def __init__(self, hour_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempts: _Optional[int] = ..., successes: _Optional[int] = ..., success_rate: _Optional[float] = ..., records: _Optional[int] = ..., orders_created: _Optional[int] = ..., orders_updated: _Optional[int] = ..., failures: _Optional[int] = ...) -> None: ...

class ChannelStatus(_message.Message):
    __slots__ = ("channel", "platform", "pull_enabled", "endpoint_url", "interval_seconds", "page_size", "webhook_secret_set", "state", "pause_reason", "paused_at", "last_sync_at", "last_attempt_at", "last_error", "stalled_since", "pull_since", "cursor", "mapping_version", "pending_failed_ingests", "recent_hours", "surge_exempt_until")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    PULL_ENABLED_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_URL_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_SECRET_SET_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAUSE_REASON_FIELD_NUMBER: _ClassVar[int]
    PAUSED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_SYNC_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    STALLED_SINCE_FIELD_NUMBER: _ClassVar[int]
    PULL_SINCE_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    MAPPING_VERSION_FIELD_NUMBER: _ClassVar[int]
    PENDING_FAILED_INGESTS_FIELD_NUMBER: _ClassVar[int]
    RECENT_HOURS_FIELD_NUMBER: _ClassVar[int]
    SURGE_EXEMPT_UNTIL_FIELD_NUMBER: _ClassVar[int]
    channel: Channel
    platform: str
    pull_enabled: bool
    endpoint_url: str
    interval_seconds: int
    page_size: int
    webhook_secret_set: bool
    state: ChannelSyncState
    pause_reason: str
    paused_at: _timestamp_pb2.Timestamp
    last_sync_at: _timestamp_pb2.Timestamp
    last_attempt_at: _timestamp_pb2.Timestamp
    last_error: str
    stalled_since: _timestamp_pb2.Timestamp
    pull_since: _timestamp_pb2.Timestamp
    cursor: str
    mapping_version: int
    pending_failed_ingests: int
    recent_hours: _containers.RepeatedCompositeFieldContainer[ChannelSyncHour]
    surge_exempt_until: _timestamp_pb2.Timestamp
    def __init__(self, channel: _Optional[_Union[Channel, str]] = ..., platform: _Optional[str] = ..., pull_enabled: _Optional[bool] = ..., endpoint_url: _Optional[str] = ..., interval_seconds: _Optional[int] = ..., page_size: _Optional[int] = ..., webhook_secret_set: _Optional[bool] = ..., state: _Optional[_Union[ChannelSyncState, str]] = ..., pause_reason: _Optional[str] = ..., paused_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_sync_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_error: _Optional[str] = ..., stalled_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pull_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cursor: _Optional[str] = ..., mapping_version: _Optional[int] = ..., pending_failed_ingests: _Optional[int] = ..., recent_hours: _Optional[_Iterable[_Union[ChannelSyncHour, _Mapping]]] = ..., surge_exempt_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetChannelStatusRequest(_message.Message):
    __slots__ = ("channel",)
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    channel: Channel
    def __init__(self, channel: _Optional[_Union[Channel, str]] = ...) -> None: ...

class GetChannelStatusResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: ChannelStatus
    def __init__(self, status: _Optional[_Union[ChannelStatus, _Mapping]] = ...) -> None: ...

class ListChannelStatusesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListChannelStatusesResponse(_message.Message):
    __slots__ = ("statuses",)
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    statuses: _containers.RepeatedCompositeFieldContainer[ChannelStatus]
    def __init__(self, statuses: _Optional[_Iterable[_Union[ChannelStatus, _Mapping]]] = ...) -> None: ...

class ReleaseChannelSyncRequest(_message.Message):
    __slots__ = ("request_id", "channel", "note", "actor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    channel: Channel
    note: str
    actor: _common_pb2.Actor
    def __init__(self, request_id: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., note: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class ReleaseChannelSyncResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: ChannelStatus
    def __init__(self, status: _Optional[_Union[ChannelStatus, _Mapping]] = ...) -> None: ...

class ChannelMapping(_message.Message):
    __slots__ = ("kind", "key", "value", "updated_at", "updated_by")
    KIND_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    kind: ChannelMappingKind
    key: str
    value: str
    updated_at: _timestamp_pb2.Timestamp
    updated_by: str
    def __init__(self, kind: _Optional[_Union[ChannelMappingKind, str]] = ..., key: _Optional[str] = ..., value: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_by: _Optional[str] = ...) -> None: ...

class ChannelMappingChange(_message.Message):
    __slots__ = ("kind", "key", "value", "remove")
    KIND_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    REMOVE_FIELD_NUMBER: _ClassVar[int]
    kind: ChannelMappingKind
    key: str
    value: str
    remove: bool
    def __init__(self, kind: _Optional[_Union[ChannelMappingKind, str]] = ..., key: _Optional[str] = ..., value: _Optional[str] = ..., remove: _Optional[bool] = ...) -> None: ...

class SetChannelMappingsRequest(_message.Message):
    __slots__ = ("request_id", "channel", "changes", "actor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    channel: Channel
    changes: _containers.RepeatedCompositeFieldContainer[ChannelMappingChange]
    actor: _common_pb2.Actor
    def __init__(self, request_id: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., changes: _Optional[_Iterable[_Union[ChannelMappingChange, _Mapping]]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class SetChannelMappingsResponse(_message.Message):
    __slots__ = ("mapping_version",)
    MAPPING_VERSION_FIELD_NUMBER: _ClassVar[int]
    mapping_version: int
    def __init__(self, mapping_version: _Optional[int] = ...) -> None: ...

class ListChannelMappingsRequest(_message.Message):
    __slots__ = ("channel", "kind", "page")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    channel: Channel
    kind: ChannelMappingKind
    page: _common_pb2.PageRequest
    def __init__(self, channel: _Optional[_Union[Channel, str]] = ..., kind: _Optional[_Union[ChannelMappingKind, str]] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListChannelMappingsResponse(_message.Message):
    __slots__ = ("mappings", "page")
    MAPPINGS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    mappings: _containers.RepeatedCompositeFieldContainer[ChannelMapping]
    page: _common_pb2.PageResponse
    def __init__(self, mappings: _Optional[_Iterable[_Union[ChannelMapping, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class FailedIngest(_message.Message):
    __slots__ = ("failed_ingest_id", "channel", "channel_order_id", "reason", "field", "detail", "raw_payload", "state", "attempts", "occurrences", "received_at", "last_attempt_at", "next_retry_at", "resolved_at", "order_id")
    FAILED_INGEST_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    RAW_PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCES_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    NEXT_RETRY_AT_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    failed_ingest_id: str
    channel: Channel
    channel_order_id: str
    reason: str
    field: str
    detail: str
    raw_payload: bytes
    state: FailedIngestState
    attempts: int
    occurrences: int
    received_at: _timestamp_pb2.Timestamp
    last_attempt_at: _timestamp_pb2.Timestamp
    next_retry_at: _timestamp_pb2.Timestamp
    resolved_at: _timestamp_pb2.Timestamp
    order_id: str
    def __init__(self, failed_ingest_id: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., channel_order_id: _Optional[str] = ..., reason: _Optional[str] = ..., field: _Optional[str] = ..., detail: _Optional[str] = ..., raw_payload: _Optional[bytes] = ..., state: _Optional[_Union[FailedIngestState, str]] = ..., attempts: _Optional[int] = ..., occurrences: _Optional[int] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_retry_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., order_id: _Optional[str] = ...) -> None: ...

class ListFailedIngestsRequest(_message.Message):
    __slots__ = ("channel", "state", "page")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    channel: Channel
    state: FailedIngestState
    page: _common_pb2.PageRequest
    def __init__(self, channel: _Optional[_Union[Channel, str]] = ..., state: _Optional[_Union[FailedIngestState, str]] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListFailedIngestsResponse(_message.Message):
    __slots__ = ("failed_ingests", "page")
    FAILED_INGESTS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    failed_ingests: _containers.RepeatedCompositeFieldContainer[FailedIngest]
    page: _common_pb2.PageResponse
    def __init__(self, failed_ingests: _Optional[_Iterable[_Union[FailedIngest, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class RetryFailedIngestRequest(_message.Message):
    __slots__ = ("request_id", "failed_ingest_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    FAILED_INGEST_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    failed_ingest_id: str
    def __init__(self, request_id: _Optional[str] = ..., failed_ingest_id: _Optional[str] = ...) -> None: ...

class RetryFailedIngestResponse(_message.Message):
    __slots__ = ("failed_ingest", "result")
    FAILED_INGEST_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    failed_ingest: FailedIngest
    result: IngestResult
    def __init__(self, failed_ingest: _Optional[_Union[FailedIngest, _Mapping]] = ..., result: _Optional[_Union[IngestResult, _Mapping]] = ...) -> None: ...

class RuleSet(_message.Message):
    __slots__ = ("version", "rules_json", "note", "created_by", "created_at", "active", "activated_by", "activated_at")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    RULES_JSON_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    ACTIVATED_BY_FIELD_NUMBER: _ClassVar[int]
    ACTIVATED_AT_FIELD_NUMBER: _ClassVar[int]
    version: int
    rules_json: str
    note: str
    created_by: _common_pb2.Actor
    created_at: _timestamp_pb2.Timestamp
    active: bool
    activated_by: _common_pb2.Actor
    activated_at: _timestamp_pb2.Timestamp
    def __init__(self, version: _Optional[int] = ..., rules_json: _Optional[str] = ..., note: _Optional[str] = ..., created_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., active: _Optional[bool] = ..., activated_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., activated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SetReviewRulesRequest(_message.Message):
    __slots__ = ("request_id", "rules_json", "note", "actor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RULES_JSON_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    rules_json: str
    note: str
    actor: _common_pb2.Actor
    def __init__(self, request_id: _Optional[str] = ..., rules_json: _Optional[str] = ..., note: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class SetReviewRulesResponse(_message.Message):
    __slots__ = ("rule_set",)
    RULE_SET_FIELD_NUMBER: _ClassVar[int]
    rule_set: RuleSet
    def __init__(self, rule_set: _Optional[_Union[RuleSet, _Mapping]] = ...) -> None: ...

class ActivateReviewRulesRequest(_message.Message):
    __slots__ = ("request_id", "version", "actor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    version: int
    actor: _common_pb2.Actor
    def __init__(self, request_id: _Optional[str] = ..., version: _Optional[int] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class ActivateReviewRulesResponse(_message.Message):
    __slots__ = ("rule_set",)
    RULE_SET_FIELD_NUMBER: _ClassVar[int]
    rule_set: RuleSet
    def __init__(self, rule_set: _Optional[_Union[RuleSet, _Mapping]] = ...) -> None: ...

class GetReviewRulesRequest(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: int
    def __init__(self, version: _Optional[int] = ...) -> None: ...

class GetReviewRulesResponse(_message.Message):
    __slots__ = ("rule_set", "active_version", "latest_version")
    RULE_SET_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_VERSION_FIELD_NUMBER: _ClassVar[int]
    LATEST_VERSION_FIELD_NUMBER: _ClassVar[int]
    rule_set: RuleSet
    active_version: int
    latest_version: int
    def __init__(self, rule_set: _Optional[_Union[RuleSet, _Mapping]] = ..., active_version: _Optional[int] = ..., latest_version: _Optional[int] = ...) -> None: ...

class DryRunReviewRulesRequest(_message.Message):
    __slots__ = ("rules_json", "version", "created_after", "created_before")
    RULES_JSON_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    rules_json: str
    version: int
    created_after: _timestamp_pb2.Timestamp
    created_before: _timestamp_pb2.Timestamp
    def __init__(self, rules_json: _Optional[str] = ..., version: _Optional[int] = ..., created_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReviewRuleTally(_message.Message):
    __slots__ = ("rule_id", "outcome", "queue", "orders")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    outcome: ReviewOutcome
    queue: str
    orders: int
    def __init__(self, rule_id: _Optional[str] = ..., outcome: _Optional[_Union[ReviewOutcome, str]] = ..., queue: _Optional[str] = ..., orders: _Optional[int] = ...) -> None: ...

class DryRunReviewRulesResponse(_message.Message):
    __slots__ = ("version", "orders_evaluated", "truncated", "tallies", "approved", "held", "rejected", "decided_differently")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ORDERS_EVALUATED_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    TALLIES_FIELD_NUMBER: _ClassVar[int]
    APPROVED_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    DECIDED_DIFFERENTLY_FIELD_NUMBER: _ClassVar[int]
    version: int
    orders_evaluated: int
    truncated: bool
    tallies: _containers.RepeatedCompositeFieldContainer[ReviewRuleTally]
    approved: int
    held: int
    rejected: int
    decided_differently: int
    def __init__(self, version: _Optional[int] = ..., orders_evaluated: _Optional[int] = ..., truncated: _Optional[bool] = ..., tallies: _Optional[_Iterable[_Union[ReviewRuleTally, _Mapping]]] = ..., approved: _Optional[int] = ..., held: _Optional[int] = ..., rejected: _Optional[int] = ..., decided_differently: _Optional[int] = ...) -> None: ...

class SetRoutingRulesRequest(_message.Message):
    __slots__ = ("request_id", "rules_json", "note", "actor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RULES_JSON_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    rules_json: str
    note: str
    actor: _common_pb2.Actor
    def __init__(self, request_id: _Optional[str] = ..., rules_json: _Optional[str] = ..., note: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class SetRoutingRulesResponse(_message.Message):
    __slots__ = ("rule_set",)
    RULE_SET_FIELD_NUMBER: _ClassVar[int]
    rule_set: RuleSet
    def __init__(self, rule_set: _Optional[_Union[RuleSet, _Mapping]] = ...) -> None: ...

class ActivateRoutingRulesRequest(_message.Message):
    __slots__ = ("request_id", "version", "actor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    version: int
    actor: _common_pb2.Actor
    def __init__(self, request_id: _Optional[str] = ..., version: _Optional[int] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class ActivateRoutingRulesResponse(_message.Message):
    __slots__ = ("rule_set",)
    RULE_SET_FIELD_NUMBER: _ClassVar[int]
    rule_set: RuleSet
    def __init__(self, rule_set: _Optional[_Union[RuleSet, _Mapping]] = ...) -> None: ...

class GetRoutingRulesRequest(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: int
    def __init__(self, version: _Optional[int] = ...) -> None: ...

class GetRoutingRulesResponse(_message.Message):
    __slots__ = ("rule_set", "active_version", "latest_version")
    RULE_SET_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_VERSION_FIELD_NUMBER: _ClassVar[int]
    LATEST_VERSION_FIELD_NUMBER: _ClassVar[int]
    rule_set: RuleSet
    active_version: int
    latest_version: int
    def __init__(self, rule_set: _Optional[_Union[RuleSet, _Mapping]] = ..., active_version: _Optional[int] = ..., latest_version: _Optional[int] = ...) -> None: ...

class ShipmentLine(_message.Message):
    __slots__ = ("order_id", "line_no", "sku", "quantity")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    LINE_NO_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    line_no: int
    sku: str
    quantity: int
    def __init__(self, order_id: _Optional[str] = ..., line_no: _Optional[int] = ..., sku: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class Shipment(_message.Message):
    __slots__ = ("shipment_id", "warehouse_code", "status", "lines", "order_ids", "rush", "paid_at", "created_at", "claimed_by", "claimed_at", "confirm_by", "tracking_number", "shipped_at", "shipped_by", "overdue_at")
    SHIPMENT_ID_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    ORDER_IDS_FIELD_NUMBER: _ClassVar[int]
    RUSH_FIELD_NUMBER: _ClassVar[int]
    PAID_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_BY_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_AT_FIELD_NUMBER: _ClassVar[int]
    CONFIRM_BY_FIELD_NUMBER: _ClassVar[int]
    TRACKING_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SHIPPED_AT_FIELD_NUMBER: _ClassVar[int]
    SHIPPED_BY_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_AT_FIELD_NUMBER: _ClassVar[int]
    shipment_id: str
    warehouse_code: str
    status: ShipmentStatus
    lines: _containers.RepeatedCompositeFieldContainer[ShipmentLine]
    order_ids: _containers.RepeatedScalarFieldContainer[str]
    rush: bool
    paid_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    claimed_by: _common_pb2.Actor
    claimed_at: _timestamp_pb2.Timestamp
    confirm_by: _timestamp_pb2.Timestamp
    tracking_number: str
    shipped_at: _timestamp_pb2.Timestamp
    shipped_by: _common_pb2.Actor
    overdue_at: _timestamp_pb2.Timestamp
    def __init__(self, shipment_id: _Optional[str] = ..., warehouse_code: _Optional[str] = ..., status: _Optional[_Union[ShipmentStatus, str]] = ..., lines: _Optional[_Iterable[_Union[ShipmentLine, _Mapping]]] = ..., order_ids: _Optional[_Iterable[str]] = ..., rush: _Optional[bool] = ..., paid_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., claimed_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., claimed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., confirm_by: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tracking_number: _Optional[str] = ..., shipped_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., shipped_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., overdue_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AllocateOrderRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "actor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    actor: _common_pb2.Actor
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class AllocateOrderResponse(_message.Message):
    __slots__ = ("order", "shipments")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    SHIPMENTS_FIELD_NUMBER: _ClassVar[int]
    order: Order
    shipments: _containers.RepeatedCompositeFieldContainer[Shipment]
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ..., shipments: _Optional[_Iterable[_Union[Shipment, _Mapping]]] = ...) -> None: ...

class ListShipmentsRequest(_message.Message):
    __slots__ = ("warehouse_code", "statuses", "order_id", "page")
    WAREHOUSE_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    warehouse_code: str
    statuses: _containers.RepeatedScalarFieldContainer[ShipmentStatus]
    order_id: str
    page: _common_pb2.PageRequest
    def __init__(self, warehouse_code: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[ShipmentStatus, str]]] = ..., order_id: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListShipmentsResponse(_message.Message):
    __slots__ = ("shipments", "page")
    SHIPMENTS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    shipments: _containers.RepeatedCompositeFieldContainer[Shipment]
    page: _common_pb2.PageResponse
    def __init__(self, shipments: _Optional[_Iterable[_Union[Shipment, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class ClaimShipmentRequest(_message.Message):
    __slots__ = ("request_id", "shipment_id", "actor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SHIPMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    shipment_id: str
    actor: _common_pb2.Actor
    def __init__(self, request_id: _Optional[str] = ..., shipment_id: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class ClaimShipmentResponse(_message.Message):
    __slots__ = ("shipment",)
    SHIPMENT_FIELD_NUMBER: _ClassVar[int]
    shipment: Shipment
    def __init__(self, shipment: _Optional[_Union[Shipment, _Mapping]] = ...) -> None: ...

class ConfirmShipmentRequest(_message.Message):
    __slots__ = ("request_id", "shipment_id", "tracking_number", "actor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SHIPMENT_ID_FIELD_NUMBER: _ClassVar[int]
    TRACKING_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    shipment_id: str
    tracking_number: str
    actor: _common_pb2.Actor
    def __init__(self, request_id: _Optional[str] = ..., shipment_id: _Optional[str] = ..., tracking_number: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class ConfirmShipmentResponse(_message.Message):
    __slots__ = ("shipment", "orders")
    SHIPMENT_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    shipment: Shipment
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    def __init__(self, shipment: _Optional[_Union[Shipment, _Mapping]] = ..., orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ...) -> None: ...

class GetOrderSlaRequest(_message.Message):
    __slots__ = ("order_id",)
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    def __init__(self, order_id: _Optional[str] = ...) -> None: ...

class StateTime(_message.Message):
    __slots__ = ("status", "seconds")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    status: OrderStatus
    seconds: float
    def __init__(self, status: _Optional[_Union[OrderStatus, str]] = ..., seconds: _Optional[float] = ...) -> None: ...

class GetOrderSlaResponse(_message.Message):
    __slots__ = ("order_id", "status", "step", "step_standard_seconds", "step_started_at", "step_due_at", "untouched_since", "overdue", "state_times")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    STEP_STANDARD_SECONDS_FIELD_NUMBER: _ClassVar[int]
    STEP_STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    STEP_DUE_AT_FIELD_NUMBER: _ClassVar[int]
    UNTOUCHED_SINCE_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    STATE_TIMES_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    status: OrderStatus
    step: str
    step_standard_seconds: int
    step_started_at: _timestamp_pb2.Timestamp
    step_due_at: _timestamp_pb2.Timestamp
    untouched_since: _timestamp_pb2.Timestamp
    overdue: bool
    state_times: _containers.RepeatedCompositeFieldContainer[StateTime]
    def __init__(self, order_id: _Optional[str] = ..., status: _Optional[_Union[OrderStatus, str]] = ..., step: _Optional[str] = ..., step_standard_seconds: _Optional[int] = ..., step_started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., step_due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., untouched_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., overdue: _Optional[bool] = ..., state_times: _Optional[_Iterable[_Union[StateTime, _Mapping]]] = ...) -> None: ...

class GetOrderHealthRequest(_message.Message):
    __slots__ = ("created_after", "created_before")
    CREATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    created_after: _timestamp_pb2.Timestamp
    created_before: _timestamp_pb2.Timestamp
    def __init__(self, created_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StepTime(_message.Message):
    __slots__ = ("step", "rush", "orders", "median_seconds", "mean_seconds", "standard_seconds", "over_standard", "deviation")
    STEP_FIELD_NUMBER: _ClassVar[int]
    RUSH_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MEAN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    STANDARD_SECONDS_FIELD_NUMBER: _ClassVar[int]
    OVER_STANDARD_FIELD_NUMBER: _ClassVar[int]
    DEVIATION_FIELD_NUMBER: _ClassVar[int]
    step: str
    rush: bool
    orders: int
    median_seconds: float
    mean_seconds: float
    standard_seconds: int
    over_standard: int
    deviation: float
    def __init__(self, step: _Optional[str] = ..., rush: _Optional[bool] = ..., orders: _Optional[int] = ..., median_seconds: _Optional[float] = ..., mean_seconds: _Optional[float] = ..., standard_seconds: _Optional[int] = ..., over_standard: _Optional[int] = ..., deviation: _Optional[float] = ...) -> None: ...

class GetOrderHealthResponse(_message.Message):
    __slots__ = ("created_after", "created_before", "steps", "step_time_deviation", "exceptions_due", "exceptions_closed_in_time", "exceptions_closed_24h", "within_targets")
    class WithinTargetsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: bool
        def __init__(self, key: _Optional[str] = ..., value: _Optional[bool] = ...) -> None: ...
    CREATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    STEP_TIME_DEVIATION_FIELD_NUMBER: _ClassVar[int]
    EXCEPTIONS_DUE_FIELD_NUMBER: _ClassVar[int]
    EXCEPTIONS_CLOSED_IN_TIME_FIELD_NUMBER: _ClassVar[int]
    EXCEPTIONS_CLOSED_24H_FIELD_NUMBER: _ClassVar[int]
    WITHIN_TARGETS_FIELD_NUMBER: _ClassVar[int]
    created_after: _timestamp_pb2.Timestamp
    created_before: _timestamp_pb2.Timestamp
    steps: _containers.RepeatedCompositeFieldContainer[StepTime]
    step_time_deviation: float
    exceptions_due: int
    exceptions_closed_in_time: int
    exceptions_closed_24h: float
    within_targets: _containers.ScalarMap[str, bool]
    def __init__(self, created_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., steps: _Optional[_Iterable[_Union[StepTime, _Mapping]]] = ..., step_time_deviation: _Optional[float] = ..., exceptions_due: _Optional[int] = ..., exceptions_closed_in_time: _Optional[int] = ..., exceptions_closed_24h: _Optional[float] = ..., within_targets: _Optional[_Mapping[str, bool]] = ...) -> None: ...
