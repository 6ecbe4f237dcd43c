import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from oms.common.v1 import common_pb2 as _common_pb2
from oms.refunds.v1 import refunds_pb2 as _refunds_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RefundRequested(_message.Message):
    __slots__ = ("refund_id", "order_id", "payment_id", "kind", "reason", "total", "amount", "shipping_refund", "required_roles", "policy_version", "requested_by", "requested_at", "due_at", "exception_id")
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_REFUND_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_ROLES_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    EXCEPTION_ID_FIELD_NUMBER: _ClassVar[int]
    refund_id: str
    order_id: str
    payment_id: str
    kind: _refunds_pb2.RefundKind
    reason: _refunds_pb2.RefundReason
    total: _common_pb2.Money
    amount: _common_pb2.Money
    shipping_refund: _common_pb2.Money
    required_roles: _containers.RepeatedScalarFieldContainer[str]
    policy_version: str
    requested_by: _common_pb2.Actor
    requested_at: _timestamp_pb2.Timestamp
    due_at: _timestamp_pb2.Timestamp
    exception_id: str
    def __init__(self, refund_id: _Optional[str] = ..., order_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., kind: _Optional[_Union[_refunds_pb2.RefundKind, str]] = ..., reason: _Optional[_Union[_refunds_pb2.RefundReason, str]] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., shipping_refund: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., required_roles: _Optional[_Iterable[str]] = ..., policy_version: _Optional[str] = ..., requested_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., requested_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., exception_id: _Optional[str] = ...) -> None: ...

class RefundApproved(_message.Message):
    __slots__ = ("refund_id", "order_id", "total", "approvals", "status", "approved_at")
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    APPROVALS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    APPROVED_AT_FIELD_NUMBER: _ClassVar[int]
    refund_id: str
    order_id: str
    total: _common_pb2.Money
    approvals: _containers.RepeatedCompositeFieldContainer[_refunds_pb2.Approval]
    status: _refunds_pb2.RefundStatus
    approved_at: _timestamp_pb2.Timestamp
    def __init__(self, refund_id: _Optional[str] = ..., order_id: _Optional[str] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., approvals: _Optional[_Iterable[_Union[_refunds_pb2.Approval, _Mapping]]] = ..., status: _Optional[_Union[_refunds_pb2.RefundStatus, str]] = ..., approved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RefundRejected(_message.Message):
    __slots__ = ("refund_id", "order_id", "total", "reason", "rejected_by", "qc_failed", "rejected_at")
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REJECTED_BY_FIELD_NUMBER: _ClassVar[int]
    QC_FAILED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_AT_FIELD_NUMBER: _ClassVar[int]
    refund_id: str
    order_id: str
    total: _common_pb2.Money
    reason: str
    rejected_by: _common_pb2.Actor
    qc_failed: bool
    rejected_at: _timestamp_pb2.Timestamp
    def __init__(self, refund_id: _Optional[str] = ..., order_id: _Optional[str] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., reason: _Optional[str] = ..., rejected_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., qc_failed: _Optional[bool] = ..., rejected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RefundReadyForExecution(_message.Message):
    __slots__ = ("refund_id", "order_id", "payment_id", "total", "items", "stock_action", "ready_at")
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    STOCK_ACTION_FIELD_NUMBER: _ClassVar[int]
    READY_AT_FIELD_NUMBER: _ClassVar[int]
    refund_id: str
    order_id: str
    payment_id: str
    total: _common_pb2.Money
    items: _containers.RepeatedCompositeFieldContainer[_refunds_pb2.Item]
    stock_action: _refunds_pb2.StockAction
    ready_at: _timestamp_pb2.Timestamp
    def __init__(self, refund_id: _Optional[str] = ..., order_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., items: _Optional[_Iterable[_Union[_refunds_pb2.Item, _Mapping]]] = ..., stock_action: _Optional[_Union[_refunds_pb2.StockAction, str]] = ..., ready_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RefundCompleted(_message.Message):
    __slots__ = ("refund_id", "order_id", "payment_id", "total", "payment_refund_id", "stock_action", "items", "completed_at")
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    STOCK_ACTION_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    refund_id: str
    order_id: str
    payment_id: str
    total: _common_pb2.Money
    payment_refund_id: str
    stock_action: _refunds_pb2.StockAction
    items: _containers.RepeatedCompositeFieldContainer[_refunds_pb2.Item]
    completed_at: _timestamp_pb2.Timestamp
    def __init__(self, refund_id: _Optional[str] = ..., order_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., payment_refund_id: _Optional[str] = ..., stock_action: _Optional[_Union[_refunds_pb2.StockAction, str]] = ..., items: _Optional[_Iterable[_Union[_refunds_pb2.Item, _Mapping]]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RefundFailed(_message.Message):
    __slots__ = ("refund_id", "order_id", "payment_id", "total", "reason", "failed_at")
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FAILED_AT_FIELD_NUMBER: _ClassVar[int]
    refund_id: str
    order_id: str
    payment_id: str
    total: _common_pb2.Money
    reason: str
    failed_at: _timestamp_pb2.Timestamp
    def __init__(self, refund_id: _Optional[str] = ..., order_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., reason: _Optional[str] = ..., failed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RefundOverdue(_message.Message):
    __slots__ = ("refund_id", "order_id", "kind", "status", "requested_at", "due_at", "detected_at")
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    DETECTED_AT_FIELD_NUMBER: _ClassVar[int]
    refund_id: str
    order_id: str
    kind: _refunds_pb2.RefundKind
    status: _refunds_pb2.RefundStatus
    requested_at: _timestamp_pb2.Timestamp
    due_at: _timestamp_pb2.Timestamp
    detected_at: _timestamp_pb2.Timestamp
    def __init__(self, refund_id: _Optional[str] = ..., order_id: _Optional[str] = ..., kind: _Optional[_Union[_refunds_pb2.RefundKind, str]] = ..., status: _Optional[_Union[_refunds_pb2.RefundStatus, str]] = ..., requested_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., detected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RefundEscalated(_message.Message):
    __slots__ = ("refund_id", "order_id", "total", "required_roles", "missing_roles", "decision_due_at", "escalated_at")
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_ROLES_FIELD_NUMBER: _ClassVar[int]
    MISSING_ROLES_FIELD_NUMBER: _ClassVar[int]
    DECISION_DUE_AT_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_AT_FIELD_NUMBER: _ClassVar[int]
    refund_id: str
    order_id: str
    total: _common_pb2.Money
    required_roles: _containers.RepeatedScalarFieldContainer[str]
    missing_roles: _containers.RepeatedScalarFieldContainer[str]
    decision_due_at: _timestamp_pb2.Timestamp
    escalated_at: _timestamp_pb2.Timestamp
    def __init__(self, refund_id: _Optional[str] = ..., order_id: _Optional[str] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., required_roles: _Optional[_Iterable[str]] = ..., missing_roles: _Optional[_Iterable[str]] = ..., decision_due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., escalated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OrderExceptionRaised(_message.Message):
    __slots__ = ("exception_id", "order_id", "type", "responsibility", "description", "items", "raised_by", "raised_at")
    EXCEPTION_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    RESPONSIBILITY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    RAISED_BY_FIELD_NUMBER: _ClassVar[int]
    RAISED_AT_FIELD_NUMBER: _ClassVar[int]
    exception_id: str
    order_id: str
    type: _refunds_pb2.ExceptionType
    responsibility: _refunds_pb2.Responsibility
    description: str
    items: _containers.RepeatedCompositeFieldContainer[_refunds_pb2.Item]
    raised_by: _common_pb2.Actor
    raised_at: _timestamp_pb2.Timestamp
    def __init__(self, exception_id: _Optional[str] = ..., order_id: _Optional[str] = ..., type: _Optional[_Union[_refunds_pb2.ExceptionType, str]] = ..., responsibility: _Optional[_Union[_refunds_pb2.Responsibility, str]] = ..., description: _Optional[str] = ..., items: _Optional[_Iterable[_Union[_refunds_pb2.Item, _Mapping]]] = ..., raised_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., raised_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OrderExceptionResolved(_message.Message):
    __slots__ = ("exception_id", "order_id", "type", "responsibility", "remedy", "refund_id", "warehouse_task_id", "resolved_by", "raised_at", "resolved_at")
    EXCEPTION_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    RESPONSIBILITY_FIELD_NUMBER: _ClassVar[int]
    REMEDY_FIELD_NUMBER: _ClassVar[int]
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_BY_FIELD_NUMBER: _ClassVar[int]
    RAISED_AT_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    exception_id: str
    order_id: str
    type: _refunds_pb2.ExceptionType
    responsibility: _refunds_pb2.Responsibility
    remedy: _refunds_pb2.Remedy
    refund_id: str
    warehouse_task_id: str
    resolved_by: _common_pb2.Actor
    raised_at: _timestamp_pb2.Timestamp
    resolved_at: _timestamp_pb2.Timestamp
    def __init__(self, exception_id: _Optional[str] = ..., order_id: _Optional[str] = ..., type: _Optional[_Union[_refunds_pb2.ExceptionType, str]] = ..., responsibility: _Optional[_Union[_refunds_pb2.Responsibility, str]] = ..., remedy: _Optional[_Union[_refunds_pb2.Remedy, str]] = ..., refund_id: _Optional[str] = ..., warehouse_task_id: _Optional[str] = ..., resolved_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., raised_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OrderExceptionEscalated(_message.Message):
    __slots__ = ("exception_id", "order_id", "type", "responsibility", "level", "escalated_to", "raised_at", "escalated_at")
    EXCEPTION_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    RESPONSIBILITY_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_TO_FIELD_NUMBER: _ClassVar[int]
    RAISED_AT_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_AT_FIELD_NUMBER: _ClassVar[int]
    exception_id: str
    order_id: str
    type: _refunds_pb2.ExceptionType
    responsibility: _refunds_pb2.Responsibility
    level: int
    escalated_to: str
    raised_at: _timestamp_pb2.Timestamp
    escalated_at: _timestamp_pb2.Timestamp
    def __init__(self, exception_id: _Optional[str] = ..., order_id: _Optional[str] = ..., type: _Optional[_Union[_refunds_pb2.ExceptionType, str]] = ..., responsibility: _Optional[_Union[_refunds_pb2.Responsibility, str]] = ..., level: _Optional[int] = ..., escalated_to: _Optional[str] = ..., raised_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., escalated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WarehouseTaskRequested(_message.Message):
    __slots__ = ("task_id", "order_id", "exception_id", "task_type", "items", "warehouse_id", "requested_at")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EXCEPTION_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_TYPE_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_AT_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    order_id: str
    exception_id: str
    task_type: str
    items: _containers.RepeatedCompositeFieldContainer[_refunds_pb2.Item]
    warehouse_id: str
    requested_at: _timestamp_pb2.Timestamp
    def __init__(self, task_id: _Optional[str] = ..., order_id: _Optional[str] = ..., exception_id: _Optional[str] = ..., task_type: _Optional[str] = ..., items: _Optional[_Iterable[_Union[_refunds_pb2.Item, _Mapping]]] = ..., warehouse_id: _Optional[str] = ..., requested_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
