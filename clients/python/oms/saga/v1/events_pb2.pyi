from oms.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderPlacementSucceeded(_message.Message):
    __slots__ = ("saga_id", "request_id", "order_id", "customer_id", "reservation_id", "payment_id", "total")
    SAGA_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    saga_id: str
    request_id: str
    order_id: str
    customer_id: str
    reservation_id: str
    payment_id: str
    total: _common_pb2.Money
    def __init__(self, saga_id: _Optional[str] = ..., request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., reservation_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class OrderPlacementFailed(_message.Message):
    __slots__ = ("saga_id", "request_id", "order_id", "failed_step", "code", "reason", "metadata", "compensated")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SAGA_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    FAILED_STEP_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    COMPENSATED_FIELD_NUMBER: _ClassVar[int]
    saga_id: str
    request_id: str
    order_id: str
    failed_step: str
    code: str
    reason: str
    metadata: _containers.ScalarMap[str, str]
    compensated: bool
    def __init__(self, saga_id: _Optional[str] = ..., request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., failed_step: _Optional[str] = ..., code: _Optional[str] = ..., reason: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., compensated: _Optional[bool] = ...) -> None: ...

class SagaCompensated(_message.Message):
    __slots__ = ("saga_id", "kind", "order_id", "failed_step", "reason", "compensated_steps")
    SAGA_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    FAILED_STEP_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    COMPENSATED_STEPS_FIELD_NUMBER: _ClassVar[int]
    saga_id: str
    kind: str
    order_id: str
    failed_step: str
    reason: str
    compensated_steps: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, saga_id: _Optional[str] = ..., kind: _Optional[str] = ..., order_id: _Optional[str] = ..., failed_step: _Optional[str] = ..., reason: _Optional[str] = ..., compensated_steps: _Optional[_Iterable[str]] = ...) -> None: ...

class SagaCompensationFailed(_message.Message):
    __slots__ = ("saga_id", "kind", "order_id", "steps", "reason")
    SAGA_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    saga_id: str
    kind: str
    order_id: str
    steps: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    def __init__(self, saga_id: _Optional[str] = ..., kind: _Optional[str] = ..., order_id: _Optional[str] = ..., steps: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ...) -> None: ...
