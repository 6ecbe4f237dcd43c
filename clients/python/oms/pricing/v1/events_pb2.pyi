import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from oms.common.v1 import common_pb2 as _common_pb2
from oms.pricing.v1 import pricing_pb2 as _pricing_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PriceChanged(_message.Message):
    __slots__ = ("sku", "price", "changed_at", "actor")
    SKU_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    sku: str
    price: _pricing_pb2.SkuPrice
    changed_at: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    def __init__(self, sku: _Optional[str] = ..., price: _Optional[_Union[_pricing_pb2.SkuPrice, _Mapping]] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class PromotionActivated(_message.Message):
    __slots__ = ("promotion_id", "promotion", "combinations_checked", "activated_at", "actor")
    PROMOTION_ID_FIELD_NUMBER: _ClassVar[int]
    PROMOTION_FIELD_NUMBER: _ClassVar[int]
    COMBINATIONS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    ACTIVATED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    promotion_id: str
    promotion: _pricing_pb2.Promotion
    combinations_checked: int
    activated_at: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    def __init__(self, promotion_id: _Optional[str] = ..., promotion: _Optional[_Union[_pricing_pb2.Promotion, _Mapping]] = ..., combinations_checked: _Optional[int] = ..., activated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class PromotionDeactivated(_message.Message):
    __slots__ = ("promotion_id", "previous_status", "reason", "deactivated_at", "actor")
    PROMOTION_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DEACTIVATED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    promotion_id: str
    previous_status: _pricing_pb2.PromotionStatus
    reason: str
    deactivated_at: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    def __init__(self, promotion_id: _Optional[str] = ..., previous_status: _Optional[_Union[_pricing_pb2.PromotionStatus, str]] = ..., reason: _Optional[str] = ..., deactivated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class QuoteIssued(_message.Message):
    __slots__ = ("quote_id", "total", "discount_total", "applied_promotion_ids", "line_count", "valid_until")
    QUOTE_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_TOTAL_FIELD_NUMBER: _ClassVar[int]
    APPLIED_PROMOTION_IDS_FIELD_NUMBER: _ClassVar[int]
    LINE_COUNT_FIELD_NUMBER: _ClassVar[int]
    VALID_UNTIL_FIELD_NUMBER: _ClassVar[int]
    quote_id: str
    total: _common_pb2.Money
    discount_total: _common_pb2.Money
    applied_promotion_ids: _containers.RepeatedScalarFieldContainer[str]
    line_count: int
    valid_until: _timestamp_pb2.Timestamp
    def __init__(self, quote_id: _Optional[str] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., discount_total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., applied_promotion_ids: _Optional[_Iterable[str]] = ..., line_count: _Optional[int] = ..., valid_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
