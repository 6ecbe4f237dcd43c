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

class PromotionKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROMOTION_KIND_UNSPECIFIED: _ClassVar[PromotionKind]
    PROMOTION_KIND_AMOUNT_OFF: _ClassVar[PromotionKind]
    PROMOTION_KIND_PERCENT_OFF: _ClassVar[PromotionKind]

class RejectionReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REJECTION_REASON_UNSPECIFIED: _ClassVar[RejectionReason]
    REJECTION_REASON_NOT_STACKABLE: _ClassVar[RejectionReason]
    REJECTION_REASON_THRESHOLD_NOT_MET: _ClassVar[RejectionReason]
    REJECTION_REASON_COUPON_UNKNOWN: _ClassVar[RejectionReason]
    REJECTION_REASON_COUPON_EXPIRED: _ClassVar[RejectionReason]
    REJECTION_REASON_COUPON_NOT_YET_VALID: _ClassVar[RejectionReason]
    REJECTION_REASON_TIER_NOT_ELIGIBLE: _ClassVar[RejectionReason]
    REJECTION_REASON_CAPPED: _ClassVar[RejectionReason]
    REJECTION_REASON_NOT_APPLICABLE: _ClassVar[RejectionReason]
    REJECTION_REASON_CURRENCY_MISMATCH: _ClassVar[RejectionReason]

class PromotionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROMOTION_STATUS_UNSPECIFIED: _ClassVar[PromotionStatus]
    PROMOTION_STATUS_DRAFT: _ClassVar[PromotionStatus]
    PROMOTION_STATUS_ACTIVE: _ClassVar[PromotionStatus]
    PROMOTION_STATUS_INACTIVE: _ClassVar[PromotionStatus]

class ViolationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VIOLATION_KIND_UNSPECIFIED: _ClassVar[ViolationKind]
    VIOLATION_KIND_BELOW_FLOOR: _ClassVar[ViolationKind]
    VIOLATION_KIND_BELOW_COST: _ClassVar[ViolationKind]
PROMOTION_KIND_UNSPECIFIED: PromotionKind
PROMOTION_KIND_AMOUNT_OFF: PromotionKind
PROMOTION_KIND_PERCENT_OFF: PromotionKind
REJECTION_REASON_UNSPECIFIED: RejectionReason
REJECTION_REASON_NOT_STACKABLE: RejectionReason
REJECTION_REASON_THRESHOLD_NOT_MET: RejectionReason
REJECTION_REASON_COUPON_UNKNOWN: RejectionReason
REJECTION_REASON_COUPON_EXPIRED: RejectionReason
REJECTION_REASON_COUPON_NOT_YET_VALID: RejectionReason
REJECTION_REASON_TIER_NOT_ELIGIBLE: RejectionReason
REJECTION_REASON_CAPPED: RejectionReason
REJECTION_REASON_NOT_APPLICABLE: RejectionReason
REJECTION_REASON_CURRENCY_MISMATCH: RejectionReason
PROMOTION_STATUS_UNSPECIFIED: PromotionStatus
PROMOTION_STATUS_DRAFT: PromotionStatus
PROMOTION_STATUS_ACTIVE: PromotionStatus
PROMOTION_STATUS_INACTIVE: PromotionStatus
VIOLATION_KIND_UNSPECIFIED: ViolationKind
VIOLATION_KIND_BELOW_FLOOR: ViolationKind
VIOLATION_KIND_BELOW_COST: ViolationKind

class SkuPrice(_message.Message):
    __slots__ = ("sku", "unit_price", "cost", "floor", "category", "version", "updated_at")
    SKU_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    FLOOR_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    sku: str
    unit_price: _common_pb2.Money
    cost: _common_pb2.Money
    floor: _common_pb2.Money
    category: str
    version: int
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, sku: _Optional[str] = ..., unit_price: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., cost: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., floor: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., category: _Optional[str] = ..., version: _Optional[int] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SetPricesRequest(_message.Message):
    __slots__ = ("request_id", "prices")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PRICES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    prices: _containers.RepeatedCompositeFieldContainer[SkuPrice]
    def __init__(self, request_id: _Optional[str] = ..., prices: _Optional[_Iterable[_Union[SkuPrice, _Mapping]]] = ...) -> None: ...

class SetPricesResponse(_message.Message):
    __slots__ = ("prices", "changed_count")
    PRICES_FIELD_NUMBER: _ClassVar[int]
    CHANGED_COUNT_FIELD_NUMBER: _ClassVar[int]
    prices: _containers.RepeatedCompositeFieldContainer[SkuPrice]
    changed_count: int
    def __init__(self, prices: _Optional[_Iterable[_Union[SkuPrice, _Mapping]]] = ..., changed_count: _Optional[int] = ...) -> None: ...

class GetPricesRequest(_message.Message):
    __slots__ = ("skus", "currency")
    SKUS_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    skus: _containers.RepeatedScalarFieldContainer[str]
    currency: str
    def __init__(self, skus: _Optional[_Iterable[str]] = ..., currency: _Optional[str] = ...) -> None: ...

class GetPricesResponse(_message.Message):
    __slots__ = ("prices", "missing_skus")
    PRICES_FIELD_NUMBER: _ClassVar[int]
    MISSING_SKUS_FIELD_NUMBER: _ClassVar[int]
    prices: _containers.RepeatedCompositeFieldContainer[SkuPrice]
    missing_skus: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, prices: _Optional[_Iterable[_Union[SkuPrice, _Mapping]]] = ..., missing_skus: _Optional[_Iterable[str]] = ...) -> None: ...

class ShippingRule(_message.Message):
    __slots__ = ("country", "province", "flat_fee", "free_over")
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    FLAT_FEE_FIELD_NUMBER: _ClassVar[int]
    FREE_OVER_FIELD_NUMBER: _ClassVar[int]
    country: str
    province: str
    flat_fee: _common_pb2.Money
    free_over: _common_pb2.Money
    def __init__(self, country: _Optional[str] = ..., province: _Optional[str] = ..., flat_fee: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., free_over: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class SetShippingRuleRequest(_message.Message):
    __slots__ = ("request_id", "rule")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    rule: ShippingRule
    def __init__(self, request_id: _Optional[str] = ..., rule: _Optional[_Union[ShippingRule, _Mapping]] = ...) -> None: ...

class SetShippingRuleResponse(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: ShippingRule
    def __init__(self, rule: _Optional[_Union[ShippingRule, _Mapping]] = ...) -> None: ...

class QuoteLineRequest(_message.Message):
    __slots__ = ("sku", "quantity")
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    sku: str
    quantity: int
    def __init__(self, sku: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class QuoteRequest(_message.Message):
    __slots__ = ("request_id", "lines", "customer_tier", "coupon_codes", "shipping_address", "currency")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_TIER_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODES_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    lines: _containers.RepeatedCompositeFieldContainer[QuoteLineRequest]
    customer_tier: str
    coupon_codes: _containers.RepeatedScalarFieldContainer[str]
    shipping_address: _common_pb2.Address
    currency: str
    def __init__(self, request_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[QuoteLineRequest, _Mapping]]] = ..., customer_tier: _Optional[str] = ..., coupon_codes: _Optional[_Iterable[str]] = ..., shipping_address: _Optional[_Union[_common_pb2.Address, _Mapping]] = ..., currency: _Optional[str] = ...) -> None: ...

class QuoteLine(_message.Message):
    __slots__ = ("sku", "quantity", "unit_price", "discount", "line_total")
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    LINE_TOTAL_FIELD_NUMBER: _ClassVar[int]
    sku: str
    quantity: int
    unit_price: _common_pb2.Money
    discount: _common_pb2.Money
    line_total: _common_pb2.Money
    def __init__(self, sku: _Optional[str] = ..., quantity: _Optional[int] = ..., unit_price: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., discount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., line_total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class AppliedPromotion(_message.Message):
    __slots__ = ("promotion_id", "name", "kind", "coupon_code", "amount", "capped")
    PROMOTION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CAPPED_FIELD_NUMBER: _ClassVar[int]
    promotion_id: str
    name: str
    kind: PromotionKind
    coupon_code: str
    amount: _common_pb2.Money
    capped: bool
    def __init__(self, promotion_id: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[PromotionKind, str]] = ..., coupon_code: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., capped: _Optional[bool] = ...) -> None: ...

class RejectedPromotion(_message.Message):
    __slots__ = ("promotion_id", "name", "coupon_code", "reason", "detail")
    PROMOTION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    promotion_id: str
    name: str
    coupon_code: str
    reason: RejectionReason
    detail: str
    def __init__(self, promotion_id: _Optional[str] = ..., name: _Optional[str] = ..., coupon_code: _Optional[str] = ..., reason: _Optional[_Union[RejectionReason, str]] = ..., detail: _Optional[str] = ...) -> None: ...

class PriceQuote(_message.Message):
    __slots__ = ("quote_id", "lines", "subtotal", "discount_total", "shipping_fee", "total", "issued_at", "valid_until", "applied", "rejected", "customer_tier", "coupon_codes")
    QUOTE_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    SUBTOTAL_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_TOTAL_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_FEE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    VALID_UNTIL_FIELD_NUMBER: _ClassVar[int]
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_TIER_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODES_FIELD_NUMBER: _ClassVar[int]
    quote_id: str
    lines: _containers.RepeatedCompositeFieldContainer[QuoteLine]
    subtotal: _common_pb2.Money
    discount_total: _common_pb2.Money
    shipping_fee: _common_pb2.Money
    total: _common_pb2.Money
    issued_at: _timestamp_pb2.Timestamp
    valid_until: _timestamp_pb2.Timestamp
    applied: _containers.RepeatedCompositeFieldContainer[AppliedPromotion]
    rejected: _containers.RepeatedCompositeFieldContainer[RejectedPromotion]
    customer_tier: str
    coupon_codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, quote_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[QuoteLine, _Mapping]]] = ..., subtotal: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., discount_total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., shipping_fee: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., issued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., valid_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., applied: _Optional[_Iterable[_Union[AppliedPromotion, _Mapping]]] = ..., rejected: _Optional[_Iterable[_Union[RejectedPromotion, _Mapping]]] = ..., customer_tier: _Optional[str] = ..., coupon_codes: _Optional[_Iterable[str]] = ...) -> None: ...

class QuoteResponse(_message.Message):
    __slots__ = ("quote",)
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    quote: PriceQuote
    def __init__(self, quote: _Optional[_Union[PriceQuote, _Mapping]] = ...) -> None: ...

class GetQuoteRequest(_message.Message):
    __slots__ = ("quote_id",)
    QUOTE_ID_FIELD_NUMBER: _ClassVar[int]
    quote_id: str
    def __init__(self, quote_id: _Optional[str] = ...) -> None: ...

class GetQuoteResponse(_message.Message):
    __slots__ = ("quote",)
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    quote: PriceQuote
    def __init__(self, quote: _Optional[_Union[PriceQuote, _Mapping]] = ...) -> None: ...

class PromotionScope(_message.Message):
    __slots__ = ("all_skus", "skus", "categories")
    ALL_SKUS_FIELD_NUMBER: _ClassVar[int]
    SKUS_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    all_skus: bool
    skus: _containers.RepeatedScalarFieldContainer[str]
    categories: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, all_skus: _Optional[bool] = ..., skus: _Optional[_Iterable[str]] = ..., categories: _Optional[_Iterable[str]] = ...) -> None: ...

class PromotionDefinition(_message.Message):
    __slots__ = ("name", "currency", "amount_off", "percent_off_bps", "threshold", "scope", "eligible_tiers", "coupon_code", "stacking_group", "stackable_with", "starts_at", "ends_at", "max_combined_discount_bps")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_OFF_FIELD_NUMBER: _ClassVar[int]
    PERCENT_OFF_BPS_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    ELIGIBLE_TIERS_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODE_FIELD_NUMBER: _ClassVar[int]
    STACKING_GROUP_FIELD_NUMBER: _ClassVar[int]
    STACKABLE_WITH_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    MAX_COMBINED_DISCOUNT_BPS_FIELD_NUMBER: _ClassVar[int]
    name: str
    currency: str
    amount_off: _common_pb2.Money
    percent_off_bps: int
    threshold: _common_pb2.Money
    scope: PromotionScope
    eligible_tiers: _containers.RepeatedScalarFieldContainer[str]
    coupon_code: str
    stacking_group: str
    stackable_with: _containers.RepeatedScalarFieldContainer[str]
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    max_combined_discount_bps: int
    def __init__(self, name: _Optional[str] = ..., currency: _Optional[str] = ..., amount_off: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., percent_off_bps: _Optional[int] = ..., threshold: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., scope: _Optional[_Union[PromotionScope, _Mapping]] = ..., eligible_tiers: _Optional[_Iterable[str]] = ..., coupon_code: _Optional[str] = ..., stacking_group: _Optional[str] = ..., stackable_with: _Optional[_Iterable[str]] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_combined_discount_bps: _Optional[int] = ...) -> None: ...

class Promotion(_message.Message):
    __slots__ = ("promotion_id", "definition", "status", "kind", "version", "created_at", "updated_at")
    PROMOTION_ID_FIELD_NUMBER: _ClassVar[int]
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    promotion_id: str
    definition: PromotionDefinition
    status: PromotionStatus
    kind: PromotionKind
    version: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, promotion_id: _Optional[str] = ..., definition: _Optional[_Union[PromotionDefinition, _Mapping]] = ..., status: _Optional[_Union[PromotionStatus, str]] = ..., kind: _Optional[_Union[PromotionKind, str]] = ..., version: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreatePromotionRequest(_message.Message):
    __slots__ = ("request_id", "promotion")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROMOTION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    promotion: PromotionDefinition
    def __init__(self, request_id: _Optional[str] = ..., promotion: _Optional[_Union[PromotionDefinition, _Mapping]] = ...) -> None: ...

class CreatePromotionResponse(_message.Message):
    __slots__ = ("promotion",)
    PROMOTION_FIELD_NUMBER: _ClassVar[int]
    promotion: Promotion
    def __init__(self, promotion: _Optional[_Union[Promotion, _Mapping]] = ...) -> None: ...

class GetPromotionRequest(_message.Message):
    __slots__ = ("promotion_id",)
    PROMOTION_ID_FIELD_NUMBER: _ClassVar[int]
    promotion_id: str
    def __init__(self, promotion_id: _Optional[str] = ...) -> None: ...

class GetPromotionResponse(_message.Message):
    __slots__ = ("promotion",)
    PROMOTION_FIELD_NUMBER: _ClassVar[int]
    promotion: Promotion
    def __init__(self, promotion: _Optional[_Union[Promotion, _Mapping]] = ...) -> None: ...

class ListPromotionsRequest(_message.Message):
    __slots__ = ("status", "page")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    status: PromotionStatus
    page: _common_pb2.PageRequest
    def __init__(self, status: _Optional[_Union[PromotionStatus, str]] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListPromotionsResponse(_message.Message):
    __slots__ = ("promotions", "page")
    PROMOTIONS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    promotions: _containers.RepeatedCompositeFieldContainer[Promotion]
    page: _common_pb2.PageResponse
    def __init__(self, promotions: _Optional[_Iterable[_Union[Promotion, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class ValidatePromotionLaunchRequest(_message.Message):
    __slots__ = ("promotion_id", "draft")
    PROMOTION_ID_FIELD_NUMBER: _ClassVar[int]
    DRAFT_FIELD_NUMBER: _ClassVar[int]
    promotion_id: str
    draft: PromotionDefinition
    def __init__(self, promotion_id: _Optional[str] = ..., draft: _Optional[_Union[PromotionDefinition, _Mapping]] = ...) -> None: ...

class LaunchViolation(_message.Message):
    __slots__ = ("sku", "promotion_ids", "kinds", "unit_price", "worst_net_unit_price", "floor", "cost")
    SKU_FIELD_NUMBER: _ClassVar[int]
    PROMOTION_IDS_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    WORST_NET_UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    FLOOR_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    sku: str
    promotion_ids: _containers.RepeatedScalarFieldContainer[str]
    kinds: _containers.RepeatedScalarFieldContainer[ViolationKind]
    unit_price: _common_pb2.Money
    worst_net_unit_price: _common_pb2.Money
    floor: _common_pb2.Money
    cost: _common_pb2.Money
    def __init__(self, sku: _Optional[str] = ..., promotion_ids: _Optional[_Iterable[str]] = ..., kinds: _Optional[_Iterable[_Union[ViolationKind, str]]] = ..., unit_price: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., worst_net_unit_price: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., floor: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., cost: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class ValidatePromotionLaunchResponse(_message.Message):
    __slots__ = ("ok", "skus_checked", "combinations_checked", "violations", "violation_count")
    OK_FIELD_NUMBER: _ClassVar[int]
    SKUS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    COMBINATIONS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    VIOLATION_COUNT_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    skus_checked: int
    combinations_checked: int
    violations: _containers.RepeatedCompositeFieldContainer[LaunchViolation]
    violation_count: int
    def __init__(self, ok: _Optional[bool] = ..., skus_checked: _Optional[int] = ..., combinations_checked: _Optional[int] = ..., violations: _Optional[_Iterable[_Union[LaunchViolation, _Mapping]]] = ..., violation_count: _Optional[int] = ...) -> None: ...

class ActivatePromotionRequest(_message.Message):
    __slots__ = ("request_id", "promotion_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROMOTION_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    promotion_id: str
    def __init__(self, request_id: _Optional[str] = ..., promotion_id: _Optional[str] = ...) -> None: ...

class ActivatePromotionResponse(_message.Message):
    __slots__ = ("promotion", "launch_check")
    PROMOTION_FIELD_NUMBER: _ClassVar[int]
    LAUNCH_CHECK_FIELD_NUMBER: _ClassVar[int]
    promotion: Promotion
    launch_check: ValidatePromotionLaunchResponse
    def __init__(self, promotion: _Optional[_Union[Promotion, _Mapping]] = ..., launch_check: _Optional[_Union[ValidatePromotionLaunchResponse, _Mapping]] = ...) -> None: ...

class DeactivatePromotionRequest(_message.Message):
    __slots__ = ("request_id", "promotion_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROMOTION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    promotion_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., promotion_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class DeactivatePromotionResponse(_message.Message):
    __slots__ = ("promotion",)
    PROMOTION_FIELD_NUMBER: _ClassVar[int]
    promotion: Promotion
    def __init__(self, promotion: _Optional[_Union[Promotion, _Mapping]] = ...) -> None: ...
