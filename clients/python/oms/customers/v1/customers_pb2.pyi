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

class CustomerTier(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CUSTOMER_TIER_UNSPECIFIED: _ClassVar[CustomerTier]
    CUSTOMER_TIER_REGULAR: _ClassVar[CustomerTier]
    CUSTOMER_TIER_SILVER: _ClassVar[CustomerTier]
    CUSTOMER_TIER_GOLD: _ClassVar[CustomerTier]
    CUSTOMER_TIER_VIP: _ClassVar[CustomerTier]

class CustomerKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CUSTOMER_KIND_UNSPECIFIED: _ClassVar[CustomerKind]
    CUSTOMER_KIND_PERSON: _ClassVar[CustomerKind]
    CUSTOMER_KIND_COMPANY: _ClassVar[CustomerKind]

class CustomerStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CUSTOMER_STATUS_UNSPECIFIED: _ClassVar[CustomerStatus]
    CUSTOMER_STATUS_ACTIVE: _ClassVar[CustomerStatus]
    CUSTOMER_STATUS_MERGED: _ClassVar[CustomerStatus]

class SimilarityReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIMILARITY_REASON_UNSPECIFIED: _ClassVar[SimilarityReason]
    SIMILARITY_REASON_SAME_PHONE: _ClassVar[SimilarityReason]
    SIMILARITY_REASON_SAME_EMAIL: _ClassVar[SimilarityReason]
    SIMILARITY_REASON_SAME_TAX_ID: _ClassVar[SimilarityReason]
    SIMILARITY_REASON_SAME_CORE_NAME: _ClassVar[SimilarityReason]
    SIMILARITY_REASON_SAME_CITY: _ClassVar[SimilarityReason]
    SIMILARITY_REASON_SURNAME_HONORIFIC: _ClassVar[SimilarityReason]
    SIMILARITY_REASON_PHONE_FRAGMENT: _ClassVar[SimilarityReason]
CUSTOMER_TIER_UNSPECIFIED: CustomerTier
CUSTOMER_TIER_REGULAR: CustomerTier
CUSTOMER_TIER_SILVER: CustomerTier
CUSTOMER_TIER_GOLD: CustomerTier
CUSTOMER_TIER_VIP: CustomerTier
CUSTOMER_KIND_UNSPECIFIED: CustomerKind
CUSTOMER_KIND_PERSON: CustomerKind
CUSTOMER_KIND_COMPANY: CustomerKind
CUSTOMER_STATUS_UNSPECIFIED: CustomerStatus
CUSTOMER_STATUS_ACTIVE: CustomerStatus
CUSTOMER_STATUS_MERGED: CustomerStatus
SIMILARITY_REASON_UNSPECIFIED: SimilarityReason
SIMILARITY_REASON_SAME_PHONE: SimilarityReason
SIMILARITY_REASON_SAME_EMAIL: SimilarityReason
SIMILARITY_REASON_SAME_TAX_ID: SimilarityReason
SIMILARITY_REASON_SAME_CORE_NAME: SimilarityReason
SIMILARITY_REASON_SAME_CITY: SimilarityReason
SIMILARITY_REASON_SURNAME_HONORIFIC: SimilarityReason
SIMILARITY_REASON_PHONE_FRAGMENT: SimilarityReason

class Customer(_message.Message):
    __slots__ = ("customer_id", "kind", "status", "name", "phone", "email", "tax_id", "address", "tier", "tags", "channel", "pii_masked", "version", "created_at", "updated_at", "team")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    TAX_ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    PII_MASKED_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    kind: CustomerKind
    status: CustomerStatus
    name: str
    phone: str
    email: str
    tax_id: str
    address: _common_pb2.Address
    tier: CustomerTier
    tags: _containers.RepeatedScalarFieldContainer[str]
    channel: str
    pii_masked: bool
    version: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    team: str
    def __init__(self, customer_id: _Optional[str] = ..., kind: _Optional[_Union[CustomerKind, str]] = ..., status: _Optional[_Union[CustomerStatus, str]] = ..., name: _Optional[str] = ..., phone: _Optional[str] = ..., email: _Optional[str] = ..., tax_id: _Optional[str] = ..., address: _Optional[_Union[_common_pb2.Address, _Mapping]] = ..., tier: _Optional[_Union[CustomerTier, str]] = ..., tags: _Optional[_Iterable[str]] = ..., channel: _Optional[str] = ..., pii_masked: _Optional[bool] = ..., version: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., team: _Optional[str] = ...) -> None: ...

class UpsertCustomerRequest(_message.Message):
    __slots__ = ("request_id", "name", "phone", "email", "tax_id", "address", "channel", "team")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    TAX_ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    phone: str
    email: str
    tax_id: str
    address: _common_pb2.Address
    channel: str
    team: str
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., phone: _Optional[str] = ..., email: _Optional[str] = ..., tax_id: _Optional[str] = ..., address: _Optional[_Union[_common_pb2.Address, _Mapping]] = ..., channel: _Optional[str] = ..., team: _Optional[str] = ...) -> None: ...

class UpsertCustomerResponse(_message.Message):
    __slots__ = ("customer", "created")
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    customer: Customer
    created: bool
    def __init__(self, customer: _Optional[_Union[Customer, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetCustomerRequest(_message.Message):
    __slots__ = ("customer_id", "viewer", "purpose")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    VIEWER_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    viewer: _common_pb2.Actor
    purpose: str
    def __init__(self, customer_id: _Optional[str] = ..., viewer: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., purpose: _Optional[str] = ...) -> None: ...

class GetCustomerResponse(_message.Message):
    __slots__ = ("customer", "resolved_from_customer_id", "merged_customer_ids")
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_FROM_CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    MERGED_CUSTOMER_IDS_FIELD_NUMBER: _ClassVar[int]
    customer: Customer
    resolved_from_customer_id: str
    merged_customer_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, customer: _Optional[_Union[Customer, _Mapping]] = ..., resolved_from_customer_id: _Optional[str] = ..., merged_customer_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class CustomerProbe(_message.Message):
    __slots__ = ("name", "phone", "email", "tax_id", "city")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    TAX_ID_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    name: str
    phone: str
    email: str
    tax_id: str
    city: str
    def __init__(self, name: _Optional[str] = ..., phone: _Optional[str] = ..., email: _Optional[str] = ..., tax_id: _Optional[str] = ..., city: _Optional[str] = ...) -> None: ...

class FindSimilarCustomersRequest(_message.Message):
    __slots__ = ("customer_id", "probe", "limit")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    PROBE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    probe: CustomerProbe
    limit: int
    def __init__(self, customer_id: _Optional[str] = ..., probe: _Optional[_Union[CustomerProbe, _Mapping]] = ..., limit: _Optional[int] = ...) -> None: ...

class SimilarCustomer(_message.Message):
    __slots__ = ("customer", "score", "reasons")
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    customer: Customer
    score: int
    reasons: _containers.RepeatedScalarFieldContainer[SimilarityReason]
    def __init__(self, customer: _Optional[_Union[Customer, _Mapping]] = ..., score: _Optional[int] = ..., reasons: _Optional[_Iterable[_Union[SimilarityReason, str]]] = ...) -> None: ...

class FindSimilarCustomersResponse(_message.Message):
    __slots__ = ("candidates",)
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    candidates: _containers.RepeatedCompositeFieldContainer[SimilarCustomer]
    def __init__(self, candidates: _Optional[_Iterable[_Union[SimilarCustomer, _Mapping]]] = ...) -> None: ...

class MergeCustomersRequest(_message.Message):
    __slots__ = ("request_id", "survivor_customer_id", "merged_customer_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SURVIVOR_CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    MERGED_CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    survivor_customer_id: str
    merged_customer_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., survivor_customer_id: _Optional[str] = ..., merged_customer_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class MergeCustomersResponse(_message.Message):
    __slots__ = ("survivor", "merged_customer_id")
    SURVIVOR_FIELD_NUMBER: _ClassVar[int]
    MERGED_CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    survivor: Customer
    merged_customer_id: str
    def __init__(self, survivor: _Optional[_Union[Customer, _Mapping]] = ..., merged_customer_id: _Optional[str] = ...) -> None: ...

class SetCustomerTierRequest(_message.Message):
    __slots__ = ("request_id", "customer_id", "tier", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    customer_id: str
    tier: CustomerTier
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., tier: _Optional[_Union[CustomerTier, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class SetCustomerTierResponse(_message.Message):
    __slots__ = ("customer",)
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    customer: Customer
    def __init__(self, customer: _Optional[_Union[Customer, _Mapping]] = ...) -> None: ...

class SetCustomerTeamRequest(_message.Message):
    __slots__ = ("request_id", "customer_id", "team", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    customer_id: str
    team: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., team: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class SetCustomerTeamResponse(_message.Message):
    __slots__ = ("customer",)
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    customer: Customer
    def __init__(self, customer: _Optional[_Union[Customer, _Mapping]] = ...) -> None: ...

class TagCustomerRequest(_message.Message):
    __slots__ = ("request_id", "customer_id", "tags")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    customer_id: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, request_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ...) -> None: ...

class TagCustomerResponse(_message.Message):
    __slots__ = ("customer",)
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    customer: Customer
    def __init__(self, customer: _Optional[_Union[Customer, _Mapping]] = ...) -> None: ...

class UntagCustomerRequest(_message.Message):
    __slots__ = ("request_id", "customer_id", "tags")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    customer_id: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, request_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ...) -> None: ...

class UntagCustomerResponse(_message.Message):
    __slots__ = ("customer",)
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    customer: Customer
    def __init__(self, customer: _Optional[_Union[Customer, _Mapping]] = ...) -> None: ...

class ListCustomersRequest(_message.Message):
    __slots__ = ("page", "tier", "tag")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    tier: CustomerTier
    tag: str
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., tier: _Optional[_Union[CustomerTier, str]] = ..., tag: _Optional[str] = ...) -> None: ...

class ListCustomersResponse(_message.Message):
    __slots__ = ("customers", "page")
    CUSTOMERS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    customers: _containers.RepeatedCompositeFieldContainer[Customer]
    page: _common_pb2.PageResponse
    def __init__(self, customers: _Optional[_Iterable[_Union[Customer, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...
