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

class SagaKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SAGA_KIND_UNSPECIFIED: _ClassVar[SagaKind]
    SAGA_KIND_PLACE_ORDER: _ClassVar[SagaKind]
    SAGA_KIND_CANCEL_ORDER: _ClassVar[SagaKind]
    SAGA_KIND_EXECUTE_REFUND: _ClassVar[SagaKind]

class SagaState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SAGA_STATE_UNSPECIFIED: _ClassVar[SagaState]
    SAGA_STATE_RUNNING: _ClassVar[SagaState]
    SAGA_STATE_COMPENSATING: _ClassVar[SagaState]
    SAGA_STATE_SUCCEEDED: _ClassVar[SagaState]
    SAGA_STATE_FAILED: _ClassVar[SagaState]
    SAGA_STATE_COMPENSATION_FAILED: _ClassVar[SagaState]

class StepStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STEP_STATUS_UNSPECIFIED: _ClassVar[StepStatus]
    STEP_STATUS_PENDING: _ClassVar[StepStatus]
    STEP_STATUS_RUNNING: _ClassVar[StepStatus]
    STEP_STATUS_SUCCEEDED: _ClassVar[StepStatus]
    STEP_STATUS_FAILED: _ClassVar[StepStatus]
    STEP_STATUS_INDETERMINATE: _ClassVar[StepStatus]
    STEP_STATUS_COMPENSATING: _ClassVar[StepStatus]
    STEP_STATUS_COMPENSATED: _ClassVar[StepStatus]
    STEP_STATUS_COMPENSATION_FAILED: _ClassVar[StepStatus]

class OrderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_TYPE_UNSPECIFIED: _ClassVar[OrderType]
    ORDER_TYPE_REGULAR: _ClassVar[OrderType]
    ORDER_TYPE_RUSH: _ClassVar[OrderType]
    ORDER_TYPE_SAMPLE: _ClassVar[OrderType]
SAGA_KIND_UNSPECIFIED: SagaKind
SAGA_KIND_PLACE_ORDER: SagaKind
SAGA_KIND_CANCEL_ORDER: SagaKind
SAGA_KIND_EXECUTE_REFUND: SagaKind
SAGA_STATE_UNSPECIFIED: SagaState
SAGA_STATE_RUNNING: SagaState
SAGA_STATE_COMPENSATING: SagaState
SAGA_STATE_SUCCEEDED: SagaState
SAGA_STATE_FAILED: SagaState
SAGA_STATE_COMPENSATION_FAILED: SagaState
STEP_STATUS_UNSPECIFIED: StepStatus
STEP_STATUS_PENDING: StepStatus
STEP_STATUS_RUNNING: StepStatus
STEP_STATUS_SUCCEEDED: StepStatus
STEP_STATUS_FAILED: StepStatus
STEP_STATUS_INDETERMINATE: StepStatus
STEP_STATUS_COMPENSATING: StepStatus
STEP_STATUS_COMPENSATED: StepStatus
STEP_STATUS_COMPENSATION_FAILED: StepStatus
ORDER_TYPE_UNSPECIFIED: OrderType
ORDER_TYPE_REGULAR: OrderType
ORDER_TYPE_RUSH: OrderType
ORDER_TYPE_SAMPLE: OrderType

class CustomerDetails(_message.Message):
    __slots__ = ("name", "phone", "email", "tax_id", "address")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    TAX_ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    name: str
    phone: str
    email: str
    tax_id: str
    address: _common_pb2.Address
    def __init__(self, name: _Optional[str] = ..., phone: _Optional[str] = ..., email: _Optional[str] = ..., tax_id: _Optional[str] = ..., address: _Optional[_Union[_common_pb2.Address, _Mapping]] = ...) -> None: ...

class OrderLine(_message.Message):
    __slots__ = ("sku", "quantity")
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    sku: str
    quantity: int
    def __init__(self, sku: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class PaymentMethod(_message.Message):
    __slots__ = ("provider", "token")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    provider: str
    token: str
    def __init__(self, provider: _Optional[str] = ..., token: _Optional[str] = ...) -> None: ...

class PlaceOrderRequest(_message.Message):
    __slots__ = ("request_id", "customer", "lines", "shipping_address", "coupon_codes", "payment_method", "channel", "channel_order_id", "order_type", "buyer_remark", "currency")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODES_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    BUYER_REMARK_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    customer: CustomerDetails
    lines: _containers.RepeatedCompositeFieldContainer[OrderLine]
    shipping_address: _common_pb2.Address
    coupon_codes: _containers.RepeatedScalarFieldContainer[str]
    payment_method: PaymentMethod
    channel: str
    channel_order_id: str
    order_type: OrderType
    buyer_remark: str
    currency: str
    def __init__(self, request_id: _Optional[str] = ..., customer: _Optional[_Union[CustomerDetails, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[OrderLine, _Mapping]]] = ..., shipping_address: _Optional[_Union[_common_pb2.Address, _Mapping]] = ..., coupon_codes: _Optional[_Iterable[str]] = ..., payment_method: _Optional[_Union[PaymentMethod, _Mapping]] = ..., channel: _Optional[str] = ..., channel_order_id: _Optional[str] = ..., order_type: _Optional[_Union[OrderType, str]] = ..., buyer_remark: _Optional[str] = ..., currency: _Optional[str] = ...) -> None: ...

class PlaceOrderResponse(_message.Message):
    __slots__ = ("saga", "order_id", "payment_id", "reservation_id", "total")
    SAGA_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    saga: Saga
    order_id: str
    payment_id: str
    reservation_id: str
    total: _common_pb2.Money
    def __init__(self, saga: _Optional[_Union[Saga, _Mapping]] = ..., order_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., reservation_id: _Optional[str] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class CancelOrderRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelOrderResponse(_message.Message):
    __slots__ = ("saga",)
    SAGA_FIELD_NUMBER: _ClassVar[int]
    saga: Saga
    def __init__(self, saga: _Optional[_Union[Saga, _Mapping]] = ...) -> None: ...

class ExecuteRefundRequest(_message.Message):
    __slots__ = ("request_id", "refund_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    refund_id: str
    def __init__(self, request_id: _Optional[str] = ..., refund_id: _Optional[str] = ...) -> None: ...

class ExecuteRefundResponse(_message.Message):
    __slots__ = ("saga", "refund_id", "payment_refund_id")
    SAGA_FIELD_NUMBER: _ClassVar[int]
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    saga: Saga
    refund_id: str
    payment_refund_id: str
    def __init__(self, saga: _Optional[_Union[Saga, _Mapping]] = ..., refund_id: _Optional[str] = ..., payment_refund_id: _Optional[str] = ...) -> None: ...

class GetSagaRequest(_message.Message):
    __slots__ = ("saga_id", "request_id", "order_id")
    SAGA_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    saga_id: str
    request_id: str
    order_id: str
    def __init__(self, saga_id: _Optional[str] = ..., request_id: _Optional[str] = ..., order_id: _Optional[str] = ...) -> None: ...

class GetSagaResponse(_message.Message):
    __slots__ = ("saga",)
    SAGA_FIELD_NUMBER: _ClassVar[int]
    saga: Saga
    def __init__(self, saga: _Optional[_Union[Saga, _Mapping]] = ...) -> None: ...

class ListSagasRequest(_message.Message):
    __slots__ = ("states", "page")
    STATES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    states: _containers.RepeatedScalarFieldContainer[SagaState]
    page: _common_pb2.PageRequest
    def __init__(self, states: _Optional[_Iterable[_Union[SagaState, str]]] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListSagasResponse(_message.Message):
    __slots__ = ("sagas", "page")
    SAGAS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    sagas: _containers.RepeatedCompositeFieldContainer[Saga]
    page: _common_pb2.PageResponse
    def __init__(self, sagas: _Optional[_Iterable[_Union[Saga, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class StepError(_message.Message):
    __slots__ = ("code", "reason", "message", "domain", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    code: str
    reason: str
    message: str
    domain: str
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, code: _Optional[str] = ..., reason: _Optional[str] = ..., message: _Optional[str] = ..., domain: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class SagaStep(_message.Message):
    __slots__ = ("name", "status", "attempts", "compensation_attempts", "last_error", "request_id", "started_at", "finished_at")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    COMPENSATION_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    name: str
    status: StepStatus
    attempts: int
    compensation_attempts: int
    last_error: StepError
    request_id: str
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., status: _Optional[_Union[StepStatus, str]] = ..., attempts: _Optional[int] = ..., compensation_attempts: _Optional[int] = ..., last_error: _Optional[_Union[StepError, _Mapping]] = ..., request_id: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Saga(_message.Message):
    __slots__ = ("saga_id", "request_id", "kind", "state", "order_id", "customer_id", "reservation_id", "payment_id", "total", "steps", "failed_step", "failure", "created_at", "updated_at", "refund_id", "payment_refund_id")
    SAGA_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    FAILED_STEP_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    saga_id: str
    request_id: str
    kind: SagaKind
    state: SagaState
    order_id: str
    customer_id: str
    reservation_id: str
    payment_id: str
    total: _common_pb2.Money
    steps: _containers.RepeatedCompositeFieldContainer[SagaStep]
    failed_step: str
    failure: StepError
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    refund_id: str
    payment_refund_id: str
    def __init__(self, saga_id: _Optional[str] = ..., request_id: _Optional[str] = ..., kind: _Optional[_Union[SagaKind, str]] = ..., state: _Optional[_Union[SagaState, str]] = ..., order_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., reservation_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., steps: _Optional[_Iterable[_Union[SagaStep, _Mapping]]] = ..., failed_step: _Optional[str] = ..., failure: _Optional[_Union[StepError, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., refund_id: _Optional[str] = ..., payment_refund_id: _Optional[str] = ...) -> None: ...
