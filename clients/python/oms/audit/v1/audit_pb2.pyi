import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from oms.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BreakKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BREAK_KIND_UNSPECIFIED: _ClassVar[BreakKind]
    BREAK_KIND_HASH_MISMATCH: _ClassVar[BreakKind]
    BREAK_KIND_PREV_HASH_MISMATCH: _ClassVar[BreakKind]
    BREAK_KIND_SEQUENCE_GAP: _ClassVar[BreakKind]
    BREAK_KIND_HEAD_MISMATCH: _ClassVar[BreakKind]
BREAK_KIND_UNSPECIFIED: BreakKind
BREAK_KIND_HASH_MISMATCH: BreakKind
BREAK_KIND_PREV_HASH_MISMATCH: BreakKind
BREAK_KIND_SEQUENCE_GAP: BreakKind
BREAK_KIND_HEAD_MISMATCH: BreakKind

class FieldChange(_message.Message):
    __slots__ = ("field", "before", "after")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    field: str
    before: _struct_pb2.Value
    after: _struct_pb2.Value
    def __init__(self, field: _Optional[str] = ..., before: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., after: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class AuditEntry(_message.Message):
    __slots__ = ("entry_id", "chain", "sequence", "actor", "peer_address", "occurred_at", "recorded_at", "entity_type", "entity_id", "action", "changes", "trace_id", "request_id", "source_event_id", "source_event_type", "payload_json", "prev_hash", "hash")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    PEER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    ENTITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    ENTITY_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_JSON_FIELD_NUMBER: _ClassVar[int]
    PREV_HASH_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    chain: str
    sequence: int
    actor: _common_pb2.Actor
    peer_address: str
    occurred_at: _timestamp_pb2.Timestamp
    recorded_at: _timestamp_pb2.Timestamp
    entity_type: str
    entity_id: str
    action: str
    changes: _containers.RepeatedCompositeFieldContainer[FieldChange]
    trace_id: str
    request_id: str
    source_event_id: str
    source_event_type: str
    payload_json: str
    prev_hash: str
    hash: str
    def __init__(self, entry_id: _Optional[str] = ..., chain: _Optional[str] = ..., sequence: _Optional[int] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., peer_address: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., entity_type: _Optional[str] = ..., entity_id: _Optional[str] = ..., action: _Optional[str] = ..., changes: _Optional[_Iterable[_Union[FieldChange, _Mapping]]] = ..., trace_id: _Optional[str] = ..., request_id: _Optional[str] = ..., source_event_id: _Optional[str] = ..., source_event_type: _Optional[str] = ..., payload_json: _Optional[str] = ..., prev_hash: _Optional[str] = ..., hash: _Optional[str] = ...) -> None: ...

class AppendRequest(_message.Message):
    __slots__ = ("request_id", "actor", "peer_address", "entity_type", "entity_id", "action", "changes", "occurred_at", "note")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    PEER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ENTITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    ENTITY_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    actor: _common_pb2.Actor
    peer_address: str
    entity_type: str
    entity_id: str
    action: str
    changes: _containers.RepeatedCompositeFieldContainer[FieldChange]
    occurred_at: _timestamp_pb2.Timestamp
    note: str
    def __init__(self, request_id: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., peer_address: _Optional[str] = ..., entity_type: _Optional[str] = ..., entity_id: _Optional[str] = ..., action: _Optional[str] = ..., changes: _Optional[_Iterable[_Union[FieldChange, _Mapping]]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., note: _Optional[str] = ...) -> None: ...

class AppendResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: AuditEntry
    def __init__(self, entry: _Optional[_Union[AuditEntry, _Mapping]] = ...) -> None: ...

class QueryEntriesRequest(_message.Message):
    __slots__ = ("entity_type", "entity_id", "actor_subject", "occurred_after", "occurred_before", "newest_first", "page")
    ENTITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    ENTITY_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_SUBJECT_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AFTER_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    NEWEST_FIRST_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    entity_type: str
    entity_id: str
    actor_subject: str
    occurred_after: _timestamp_pb2.Timestamp
    occurred_before: _timestamp_pb2.Timestamp
    newest_first: bool
    page: _common_pb2.PageRequest
    def __init__(self, entity_type: _Optional[str] = ..., entity_id: _Optional[str] = ..., actor_subject: _Optional[str] = ..., occurred_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., occurred_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., newest_first: _Optional[bool] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class QueryEntriesResponse(_message.Message):
    __slots__ = ("entries", "page")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[AuditEntry]
    page: _common_pb2.PageResponse
    def __init__(self, entries: _Optional[_Iterable[_Union[AuditEntry, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class GetEntryRequest(_message.Message):
    __slots__ = ("entry_id",)
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    def __init__(self, entry_id: _Optional[str] = ...) -> None: ...

class GetEntryResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: AuditEntry
    def __init__(self, entry: _Optional[_Union[AuditEntry, _Mapping]] = ...) -> None: ...

class VerifyRequest(_message.Message):
    __slots__ = ("chain", "from_sequence", "to_sequence")
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    FROM_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TO_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    chain: str
    from_sequence: int
    to_sequence: int
    def __init__(self, chain: _Optional[str] = ..., from_sequence: _Optional[int] = ..., to_sequence: _Optional[int] = ...) -> None: ...

class BrokenLink(_message.Message):
    __slots__ = ("kind", "entry_id", "sequence", "expected", "found", "detail")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    FOUND_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    kind: BreakKind
    entry_id: str
    sequence: int
    expected: str
    found: str
    detail: str
    def __init__(self, kind: _Optional[_Union[BreakKind, str]] = ..., entry_id: _Optional[str] = ..., sequence: _Optional[int] = ..., expected: _Optional[str] = ..., found: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class ChainVerification(_message.Message):
    __slots__ = ("chain", "first_sequence", "last_sequence", "entries_checked", "last_hash", "broken")
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    FIRST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_CHECKED_FIELD_NUMBER: _ClassVar[int]
    LAST_HASH_FIELD_NUMBER: _ClassVar[int]
    BROKEN_FIELD_NUMBER: _ClassVar[int]
    chain: str
    first_sequence: int
    last_sequence: int
    entries_checked: int
    last_hash: str
    broken: BrokenLink
    def __init__(self, chain: _Optional[str] = ..., first_sequence: _Optional[int] = ..., last_sequence: _Optional[int] = ..., entries_checked: _Optional[int] = ..., last_hash: _Optional[str] = ..., broken: _Optional[_Union[BrokenLink, _Mapping]] = ...) -> None: ...

class VerifyResponse(_message.Message):
    __slots__ = ("intact", "chains")
    INTACT_FIELD_NUMBER: _ClassVar[int]
    CHAINS_FIELD_NUMBER: _ClassVar[int]
    intact: bool
    chains: _containers.RepeatedCompositeFieldContainer[ChainVerification]
    def __init__(self, intact: _Optional[bool] = ..., chains: _Optional[_Iterable[_Union[ChainVerification, _Mapping]]] = ...) -> None: ...
