import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from oms.common.v1 import common_pb2 as _common_pb2
from oms.customers.v1 import customers_pb2 as _customers_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CustomerRegistered(_message.Message):
    __slots__ = ("customer_id", "kind", "name", "phone_masked", "tax_id", "tier", "channel", "registered_at", "actor", "team")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_MASKED_FIELD_NUMBER: _ClassVar[int]
    TAX_ID_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    kind: _customers_pb2.CustomerKind
    name: str
    phone_masked: str
    tax_id: str
    tier: _customers_pb2.CustomerTier
    channel: str
    registered_at: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    team: str
    def __init__(self, customer_id: _Optional[str] = ..., kind: _Optional[_Union[_customers_pb2.CustomerKind, str]] = ..., name: _Optional[str] = ..., phone_masked: _Optional[str] = ..., tax_id: _Optional[str] = ..., tier: _Optional[_Union[_customers_pb2.CustomerTier, str]] = ..., channel: _Optional[str] = ..., registered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., team: _Optional[str] = ...) -> None: ...

class CustomerUpdated(_message.Message):
    __slots__ = ("customer_id", "changed_fields", "version", "updated_at", "actor")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    changed_fields: _containers.RepeatedScalarFieldContainer[str]
    version: int
    updated_at: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    def __init__(self, customer_id: _Optional[str] = ..., changed_fields: _Optional[_Iterable[str]] = ..., version: _Optional[int] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class CustomersMerged(_message.Message):
    __slots__ = ("survivor_customer_id", "merged_customer_id", "filled_fields", "added_tags", "reason", "merged_at", "actor")
    SURVIVOR_CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    MERGED_CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    FILLED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    ADDED_TAGS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MERGED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    survivor_customer_id: str
    merged_customer_id: str
    filled_fields: _containers.RepeatedScalarFieldContainer[str]
    added_tags: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    merged_at: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    def __init__(self, survivor_customer_id: _Optional[str] = ..., merged_customer_id: _Optional[str] = ..., filled_fields: _Optional[_Iterable[str]] = ..., added_tags: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ..., merged_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class CustomerTagged(_message.Message):
    __slots__ = ("customer_id", "added_tags", "tags", "tagged_at", "actor")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    ADDED_TAGS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    TAGGED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    added_tags: _containers.RepeatedScalarFieldContainer[str]
    tags: _containers.RepeatedScalarFieldContainer[str]
    tagged_at: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    def __init__(self, customer_id: _Optional[str] = ..., added_tags: _Optional[_Iterable[str]] = ..., tags: _Optional[_Iterable[str]] = ..., tagged_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class CustomerUntagged(_message.Message):
    __slots__ = ("customer_id", "removed_tags", "tags", "untagged_at", "actor")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    REMOVED_TAGS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    UNTAGGED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    removed_tags: _containers.RepeatedScalarFieldContainer[str]
    tags: _containers.RepeatedScalarFieldContainer[str]
    untagged_at: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    def __init__(self, customer_id: _Optional[str] = ..., removed_tags: _Optional[_Iterable[str]] = ..., tags: _Optional[_Iterable[str]] = ..., untagged_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class CustomerTierChanged(_message.Message):
    __slots__ = ("customer_id", "previous_tier", "tier", "reason", "changed_at", "actor")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_TIER_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    previous_tier: _customers_pb2.CustomerTier
    tier: _customers_pb2.CustomerTier
    reason: str
    changed_at: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    def __init__(self, customer_id: _Optional[str] = ..., previous_tier: _Optional[_Union[_customers_pb2.CustomerTier, str]] = ..., tier: _Optional[_Union[_customers_pb2.CustomerTier, str]] = ..., reason: _Optional[str] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class CustomerPiiViewed(_message.Message):
    __slots__ = ("customer_id", "viewer", "fields", "purpose", "viewed_at")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    VIEWER_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    VIEWED_AT_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    viewer: _common_pb2.Actor
    fields: _containers.RepeatedScalarFieldContainer[str]
    purpose: str
    viewed_at: _timestamp_pb2.Timestamp
    def __init__(self, customer_id: _Optional[str] = ..., viewer: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., fields: _Optional[_Iterable[str]] = ..., purpose: _Optional[str] = ..., viewed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CustomerTeamChanged(_message.Message):
    __slots__ = ("customer_id", "previous_team", "team", "reason", "changed_at", "actor")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_TEAM_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    previous_team: str
    team: str
    reason: str
    changed_at: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    def __init__(self, customer_id: _Optional[str] = ..., previous_team: _Optional[str] = ..., team: _Optional[str] = ..., reason: _Optional[str] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...
