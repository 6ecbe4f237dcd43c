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

class RefundKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REFUND_KIND_UNSPECIFIED: _ClassVar[RefundKind]
    REFUND_KIND_FULL_BEFORE_SHIPMENT: _ClassVar[RefundKind]
    REFUND_KIND_FULL_AFTER_SHIPMENT: _ClassVar[RefundKind]
    REFUND_KIND_PARTIAL: _ClassVar[RefundKind]
    REFUND_KIND_COMPENSATION: _ClassVar[RefundKind]

class RefundReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REFUND_REASON_UNSPECIFIED: _ClassVar[RefundReason]
    REFUND_REASON_QUALITY_PROBLEM: _ClassVar[RefundReason]
    REFUND_REASON_CHANGED_MIND: _ClassVar[RefundReason]
    REFUND_REASON_WRONG_ITEM: _ClassVar[RefundReason]
    REFUND_REASON_DAMAGED: _ClassVar[RefundReason]
    REFUND_REASON_SHORT_SHIPPED: _ClassVar[RefundReason]
    REFUND_REASON_CARRIER_PROBLEM: _ClassVar[RefundReason]
    REFUND_REASON_PRICE_ADJUSTMENT: _ClassVar[RefundReason]
    REFUND_REASON_OTHER: _ClassVar[RefundReason]

class OrderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_TYPE_UNSPECIFIED: _ClassVar[OrderType]
    ORDER_TYPE_REGULAR: _ClassVar[OrderType]
    ORDER_TYPE_RUSH: _ClassVar[OrderType]
    ORDER_TYPE_SAMPLE: _ClassVar[OrderType]

class RefundStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REFUND_STATUS_UNSPECIFIED: _ClassVar[RefundStatus]
    REFUND_STATUS_PENDING_APPROVAL: _ClassVar[RefundStatus]
    REFUND_STATUS_AWAITING_RETURN: _ClassVar[RefundStatus]
    REFUND_STATUS_READY_FOR_EXECUTION: _ClassVar[RefundStatus]
    REFUND_STATUS_EXECUTING: _ClassVar[RefundStatus]
    REFUND_STATUS_COMPLETED: _ClassVar[RefundStatus]
    REFUND_STATUS_REJECTED: _ClassVar[RefundStatus]
    REFUND_STATUS_FAILED: _ClassVar[RefundStatus]

class ReturnStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RETURN_STATUS_UNSPECIFIED: _ClassVar[ReturnStatus]
    RETURN_STATUS_NOT_REQUIRED: _ClassVar[ReturnStatus]
    RETURN_STATUS_AWAITING: _ClassVar[ReturnStatus]
    RETURN_STATUS_RECEIVED: _ClassVar[ReturnStatus]
    RETURN_STATUS_QC_PASSED: _ClassVar[ReturnStatus]
    RETURN_STATUS_QC_FAILED: _ClassVar[ReturnStatus]

class StockAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STOCK_ACTION_UNSPECIFIED: _ClassVar[StockAction]
    STOCK_ACTION_NONE: _ClassVar[StockAction]
    STOCK_ACTION_RELEASE_RESERVATION: _ClassVar[StockAction]
    STOCK_ACTION_RESTOCK: _ClassVar[StockAction]

class QcResult(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QC_RESULT_UNSPECIFIED: _ClassVar[QcResult]
    QC_RESULT_PASSED: _ClassVar[QcResult]
    QC_RESULT_FAILED: _ClassVar[QcResult]

class ExceptionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXCEPTION_TYPE_UNSPECIFIED: _ClassVar[ExceptionType]
    EXCEPTION_TYPE_SHORT_SHIPPED: _ClassVar[ExceptionType]
    EXCEPTION_TYPE_WRONG_ITEM: _ClassVar[ExceptionType]
    EXCEPTION_TYPE_DAMAGED: _ClassVar[ExceptionType]
    EXCEPTION_TYPE_CARRIER_PROBLEM: _ClassVar[ExceptionType]

class Responsibility(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESPONSIBILITY_UNSPECIFIED: _ClassVar[Responsibility]
    RESPONSIBILITY_WAREHOUSE: _ClassVar[Responsibility]
    RESPONSIBILITY_CARRIER: _ClassVar[Responsibility]
    RESPONSIBILITY_SUPPLIER: _ClassVar[Responsibility]

class Remedy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REMEDY_UNSPECIFIED: _ClassVar[Remedy]
    REMEDY_RESHIP: _ClassVar[Remedy]
    REMEDY_REFUND: _ClassVar[Remedy]
    REMEDY_GIFT: _ClassVar[Remedy]

class ExceptionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXCEPTION_STATUS_UNSPECIFIED: _ClassVar[ExceptionStatus]
    EXCEPTION_STATUS_OPEN: _ClassVar[ExceptionStatus]
    EXCEPTION_STATUS_RESOLVED: _ClassVar[ExceptionStatus]
REFUND_KIND_UNSPECIFIED: RefundKind
REFUND_KIND_FULL_BEFORE_SHIPMENT: RefundKind
REFUND_KIND_FULL_AFTER_SHIPMENT: RefundKind
REFUND_KIND_PARTIAL: RefundKind
REFUND_KIND_COMPENSATION: RefundKind
REFUND_REASON_UNSPECIFIED: RefundReason
REFUND_REASON_QUALITY_PROBLEM: RefundReason
REFUND_REASON_CHANGED_MIND: RefundReason
REFUND_REASON_WRONG_ITEM: RefundReason
REFUND_REASON_DAMAGED: RefundReason
REFUND_REASON_SHORT_SHIPPED: RefundReason
REFUND_REASON_CARRIER_PROBLEM: RefundReason
REFUND_REASON_PRICE_ADJUSTMENT: RefundReason
REFUND_REASON_OTHER: RefundReason
ORDER_TYPE_UNSPECIFIED: OrderType
ORDER_TYPE_REGULAR: OrderType
ORDER_TYPE_RUSH: OrderType
ORDER_TYPE_SAMPLE: OrderType
REFUND_STATUS_UNSPECIFIED: RefundStatus
REFUND_STATUS_PENDING_APPROVAL: RefundStatus
REFUND_STATUS_AWAITING_RETURN: RefundStatus
REFUND_STATUS_READY_FOR_EXECUTION: RefundStatus
REFUND_STATUS_EXECUTING: RefundStatus
REFUND_STATUS_COMPLETED: RefundStatus
REFUND_STATUS_REJECTED: RefundStatus
REFUND_STATUS_FAILED: RefundStatus
RETURN_STATUS_UNSPECIFIED: ReturnStatus
RETURN_STATUS_NOT_REQUIRED: ReturnStatus
RETURN_STATUS_AWAITING: ReturnStatus
RETURN_STATUS_RECEIVED: ReturnStatus
RETURN_STATUS_QC_PASSED: ReturnStatus
RETURN_STATUS_QC_FAILED: ReturnStatus
STOCK_ACTION_UNSPECIFIED: StockAction
STOCK_ACTION_NONE: StockAction
STOCK_ACTION_RELEASE_RESERVATION: StockAction
STOCK_ACTION_RESTOCK: StockAction
QC_RESULT_UNSPECIFIED: QcResult
QC_RESULT_PASSED: QcResult
QC_RESULT_FAILED: QcResult
EXCEPTION_TYPE_UNSPECIFIED: ExceptionType
EXCEPTION_TYPE_SHORT_SHIPPED: ExceptionType
EXCEPTION_TYPE_WRONG_ITEM: ExceptionType
EXCEPTION_TYPE_DAMAGED: ExceptionType
EXCEPTION_TYPE_CARRIER_PROBLEM: ExceptionType
RESPONSIBILITY_UNSPECIFIED: Responsibility
RESPONSIBILITY_WAREHOUSE: Responsibility
RESPONSIBILITY_CARRIER: Responsibility
RESPONSIBILITY_SUPPLIER: Responsibility
REMEDY_UNSPECIFIED: Remedy
REMEDY_RESHIP: Remedy
REMEDY_REFUND: Remedy
REMEDY_GIFT: Remedy
EXCEPTION_STATUS_UNSPECIFIED: ExceptionStatus
EXCEPTION_STATUS_OPEN: ExceptionStatus
EXCEPTION_STATUS_RESOLVED: ExceptionStatus

class Item(_message.Message):
    __slots__ = ("sku", "quantity")
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    sku: str
    quantity: int
    def __init__(self, sku: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class Approval(_message.Message):
    __slots__ = ("approver", "comment", "approved_at")
    APPROVER_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    APPROVED_AT_FIELD_NUMBER: _ClassVar[int]
    approver: _common_pb2.Actor
    comment: str
    approved_at: _timestamp_pb2.Timestamp
    def __init__(self, approver: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., comment: _Optional[str] = ..., approved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Refund(_message.Message):
    __slots__ = ("refund_id", "order_id", "payment_id", "kind", "reason", "order_type", "status", "return_status", "stock_action", "items", "amount", "shipping_fee", "shipping_refund", "shipping_rule", "total", "captured", "already_refunded", "description", "requested_by", "policy_version", "required_roles", "approvals", "rejection_reason", "rejected_by", "return_received_by", "return_received_at", "return_notes", "qc_by", "qc_at", "qc_notes", "saga_id", "payment_refund_id", "failure_reason", "exception_id", "requested_at", "due_at", "decision_due_at", "escalated_at", "overdue_at", "updated_at", "completed_at")
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RETURN_STATUS_FIELD_NUMBER: _ClassVar[int]
    STOCK_ACTION_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_FEE_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_REFUND_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_RULE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_FIELD_NUMBER: _ClassVar[int]
    ALREADY_REFUNDED_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_ROLES_FIELD_NUMBER: _ClassVar[int]
    APPROVALS_FIELD_NUMBER: _ClassVar[int]
    REJECTION_REASON_FIELD_NUMBER: _ClassVar[int]
    REJECTED_BY_FIELD_NUMBER: _ClassVar[int]
    RETURN_RECEIVED_BY_FIELD_NUMBER: _ClassVar[int]
    RETURN_RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    RETURN_NOTES_FIELD_NUMBER: _ClassVar[int]
    QC_BY_FIELD_NUMBER: _ClassVar[int]
    QC_AT_FIELD_NUMBER: _ClassVar[int]
    QC_NOTES_FIELD_NUMBER: _ClassVar[int]
    SAGA_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    EXCEPTION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    DECISION_DUE_AT_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_AT_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    refund_id: str
    order_id: str
    payment_id: str
    kind: RefundKind
    reason: RefundReason
    order_type: OrderType
    status: RefundStatus
    return_status: ReturnStatus
    stock_action: StockAction
    items: _containers.RepeatedCompositeFieldContainer[Item]
    amount: _common_pb2.Money
    shipping_fee: _common_pb2.Money
    shipping_refund: _common_pb2.Money
    shipping_rule: str
    total: _common_pb2.Money
    captured: _common_pb2.Money
    already_refunded: _common_pb2.Money
    description: str
    requested_by: _common_pb2.Actor
    policy_version: str
    required_roles: _containers.RepeatedScalarFieldContainer[str]
    approvals: _containers.RepeatedCompositeFieldContainer[Approval]
    rejection_reason: str
    rejected_by: _common_pb2.Actor
    return_received_by: _common_pb2.Actor
    return_received_at: _timestamp_pb2.Timestamp
    return_notes: str
    qc_by: _common_pb2.Actor
    qc_at: _timestamp_pb2.Timestamp
    qc_notes: str
    saga_id: str
    payment_refund_id: str
    failure_reason: str
    exception_id: str
    requested_at: _timestamp_pb2.Timestamp
    due_at: _timestamp_pb2.Timestamp
    decision_due_at: _timestamp_pb2.Timestamp
    escalated_at: _timestamp_pb2.Timestamp
    overdue_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    def __init__(self, refund_id: _Optional[str] = ..., order_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., kind: _Optional[_Union[RefundKind, str]] = ..., reason: _Optional[_Union[RefundReason, str]] = ..., order_type: _Optional[_Union[OrderType, str]] = ..., status: _Optional[_Union[RefundStatus, str]] = ..., return_status: _Optional[_Union[ReturnStatus, str]] = ..., stock_action: _Optional[_Union[StockAction, str]] = ..., items: _Optional[_Iterable[_Union[Item, _Mapping]]] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., shipping_fee: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., shipping_refund: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., shipping_rule: _Optional[str] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., captured: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., already_refunded: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., description: _Optional[str] = ..., requested_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., policy_version: _Optional[str] = ..., required_roles: _Optional[_Iterable[str]] = ..., approvals: _Optional[_Iterable[_Union[Approval, _Mapping]]] = ..., rejection_reason: _Optional[str] = ..., rejected_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., return_received_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., return_received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., return_notes: _Optional[str] = ..., qc_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., qc_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., qc_notes: _Optional[str] = ..., saga_id: _Optional[str] = ..., payment_refund_id: _Optional[str] = ..., failure_reason: _Optional[str] = ..., exception_id: _Optional[str] = ..., requested_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decision_due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., escalated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., overdue_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Resolution(_message.Message):
    __slots__ = ("remedy", "note", "resolved_by", "resolved_at", "refund_id", "warehouse_task_id", "gift")
    REMEDY_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_BY_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_TASK_ID_FIELD_NUMBER: _ClassVar[int]
    GIFT_FIELD_NUMBER: _ClassVar[int]
    remedy: Remedy
    note: str
    resolved_by: _common_pb2.Actor
    resolved_at: _timestamp_pb2.Timestamp
    refund_id: str
    warehouse_task_id: str
    gift: GiftRemedy
    def __init__(self, remedy: _Optional[_Union[Remedy, str]] = ..., note: _Optional[str] = ..., resolved_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., resolved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., refund_id: _Optional[str] = ..., warehouse_task_id: _Optional[str] = ..., gift: _Optional[_Union[GiftRemedy, _Mapping]] = ...) -> None: ...

class OrderException(_message.Message):
    __slots__ = ("exception_id", "order_id", "type", "responsibility", "status", "description", "items", "raised_by", "raised_at", "escalation_level", "escalated_at", "resolution", "updated_at")
    EXCEPTION_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    RESPONSIBILITY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    RAISED_BY_FIELD_NUMBER: _ClassVar[int]
    RAISED_AT_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_AT_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    exception_id: str
    order_id: str
    type: ExceptionType
    responsibility: Responsibility
    status: ExceptionStatus
    description: str
    items: _containers.RepeatedCompositeFieldContainer[Item]
    raised_by: _common_pb2.Actor
    raised_at: _timestamp_pb2.Timestamp
    escalation_level: int
    escalated_at: _timestamp_pb2.Timestamp
    resolution: Resolution
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, exception_id: _Optional[str] = ..., order_id: _Optional[str] = ..., type: _Optional[_Union[ExceptionType, str]] = ..., responsibility: _Optional[_Union[Responsibility, str]] = ..., status: _Optional[_Union[ExceptionStatus, str]] = ..., description: _Optional[str] = ..., items: _Optional[_Iterable[_Union[Item, _Mapping]]] = ..., raised_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., raised_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., escalation_level: _Optional[int] = ..., escalated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolution: _Optional[_Union[Resolution, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RequestRefundRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "payment_id", "kind", "reason", "order_type", "captured", "already_refunded", "items", "amount", "shipping_fee", "description")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_FIELD_NUMBER: _ClassVar[int]
    ALREADY_REFUNDED_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_FEE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    payment_id: str
    kind: RefundKind
    reason: RefundReason
    order_type: OrderType
    captured: _common_pb2.Money
    already_refunded: _common_pb2.Money
    items: _containers.RepeatedCompositeFieldContainer[Item]
    amount: _common_pb2.Money
    shipping_fee: _common_pb2.Money
    description: str
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., kind: _Optional[_Union[RefundKind, str]] = ..., reason: _Optional[_Union[RefundReason, str]] = ..., order_type: _Optional[_Union[OrderType, str]] = ..., captured: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., already_refunded: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., items: _Optional[_Iterable[_Union[Item, _Mapping]]] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., shipping_fee: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., description: _Optional[str] = ...) -> None: ...

class RequestRefundResponse(_message.Message):
    __slots__ = ("refund",)
    REFUND_FIELD_NUMBER: _ClassVar[int]
    refund: Refund
    def __init__(self, refund: _Optional[_Union[Refund, _Mapping]] = ...) -> None: ...

class ApproveRefundRequest(_message.Message):
    __slots__ = ("request_id", "refund_id", "comment")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    refund_id: str
    comment: str
    def __init__(self, request_id: _Optional[str] = ..., refund_id: _Optional[str] = ..., comment: _Optional[str] = ...) -> None: ...

class ApproveRefundResponse(_message.Message):
    __slots__ = ("refund",)
    REFUND_FIELD_NUMBER: _ClassVar[int]
    refund: Refund
    def __init__(self, refund: _Optional[_Union[Refund, _Mapping]] = ...) -> None: ...

class RejectRefundRequest(_message.Message):
    __slots__ = ("request_id", "refund_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    refund_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., refund_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RejectRefundResponse(_message.Message):
    __slots__ = ("refund",)
    REFUND_FIELD_NUMBER: _ClassVar[int]
    refund: Refund
    def __init__(self, refund: _Optional[_Union[Refund, _Mapping]] = ...) -> None: ...

class ReceiveReturnRequest(_message.Message):
    __slots__ = ("request_id", "refund_id", "notes")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    refund_id: str
    notes: str
    def __init__(self, request_id: _Optional[str] = ..., refund_id: _Optional[str] = ..., notes: _Optional[str] = ...) -> None: ...

class ReceiveReturnResponse(_message.Message):
    __slots__ = ("refund",)
    REFUND_FIELD_NUMBER: _ClassVar[int]
    refund: Refund
    def __init__(self, refund: _Optional[_Union[Refund, _Mapping]] = ...) -> None: ...

class RecordQcRequest(_message.Message):
    __slots__ = ("request_id", "refund_id", "result", "notes")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    refund_id: str
    result: QcResult
    notes: str
    def __init__(self, request_id: _Optional[str] = ..., refund_id: _Optional[str] = ..., result: _Optional[_Union[QcResult, str]] = ..., notes: _Optional[str] = ...) -> None: ...

class RecordQcResponse(_message.Message):
    __slots__ = ("refund",)
    REFUND_FIELD_NUMBER: _ClassVar[int]
    refund: Refund
    def __init__(self, refund: _Optional[_Union[Refund, _Mapping]] = ...) -> None: ...

class GetRefundRequest(_message.Message):
    __slots__ = ("refund_id",)
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    refund_id: str
    def __init__(self, refund_id: _Optional[str] = ...) -> None: ...

class GetRefundResponse(_message.Message):
    __slots__ = ("refund",)
    REFUND_FIELD_NUMBER: _ClassVar[int]
    refund: Refund
    def __init__(self, refund: _Optional[_Union[Refund, _Mapping]] = ...) -> None: ...

class ListRefundsRequest(_message.Message):
    __slots__ = ("order_id", "status", "page")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    status: RefundStatus
    page: _common_pb2.PageRequest
    def __init__(self, order_id: _Optional[str] = ..., status: _Optional[_Union[RefundStatus, str]] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListRefundsResponse(_message.Message):
    __slots__ = ("refunds", "page")
    REFUNDS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    refunds: _containers.RepeatedCompositeFieldContainer[Refund]
    page: _common_pb2.PageResponse
    def __init__(self, refunds: _Optional[_Iterable[_Union[Refund, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class MarkRefundExecutingRequest(_message.Message):
    __slots__ = ("request_id", "refund_id", "saga_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    SAGA_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    refund_id: str
    saga_id: str
    def __init__(self, request_id: _Optional[str] = ..., refund_id: _Optional[str] = ..., saga_id: _Optional[str] = ...) -> None: ...

class MarkRefundExecutingResponse(_message.Message):
    __slots__ = ("refund",)
    REFUND_FIELD_NUMBER: _ClassVar[int]
    refund: Refund
    def __init__(self, refund: _Optional[_Union[Refund, _Mapping]] = ...) -> None: ...

class MarkRefundCompletedRequest(_message.Message):
    __slots__ = ("request_id", "refund_id", "payment_refund_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    refund_id: str
    payment_refund_id: str
    def __init__(self, request_id: _Optional[str] = ..., refund_id: _Optional[str] = ..., payment_refund_id: _Optional[str] = ...) -> None: ...

class MarkRefundCompletedResponse(_message.Message):
    __slots__ = ("refund",)
    REFUND_FIELD_NUMBER: _ClassVar[int]
    refund: Refund
    def __init__(self, refund: _Optional[_Union[Refund, _Mapping]] = ...) -> None: ...

class MarkRefundFailedRequest(_message.Message):
    __slots__ = ("request_id", "refund_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    refund_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., refund_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class MarkRefundFailedResponse(_message.Message):
    __slots__ = ("refund",)
    REFUND_FIELD_NUMBER: _ClassVar[int]
    refund: Refund
    def __init__(self, refund: _Optional[_Union[Refund, _Mapping]] = ...) -> None: ...

class RaiseExceptionRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "type", "responsibility", "description", "items")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    RESPONSIBILITY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    type: ExceptionType
    responsibility: Responsibility
    description: str
    items: _containers.RepeatedCompositeFieldContainer[Item]
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., type: _Optional[_Union[ExceptionType, str]] = ..., responsibility: _Optional[_Union[Responsibility, str]] = ..., description: _Optional[str] = ..., items: _Optional[_Iterable[_Union[Item, _Mapping]]] = ...) -> None: ...

class RaiseExceptionResponse(_message.Message):
    __slots__ = ("exception",)
    EXCEPTION_FIELD_NUMBER: _ClassVar[int]
    exception: OrderException
    def __init__(self, exception: _Optional[_Union[OrderException, _Mapping]] = ...) -> None: ...

class ReshipRemedy(_message.Message):
    __slots__ = ("items", "warehouse_id")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Item]
    warehouse_id: str
    def __init__(self, items: _Optional[_Iterable[_Union[Item, _Mapping]]] = ..., warehouse_id: _Optional[str] = ...) -> None: ...

class RefundRemedy(_message.Message):
    __slots__ = ("payment_id", "kind", "reason", "order_type", "captured", "already_refunded", "items", "amount", "shipping_fee")
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_FIELD_NUMBER: _ClassVar[int]
    ALREADY_REFUNDED_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_FEE_FIELD_NUMBER: _ClassVar[int]
    payment_id: str
    kind: RefundKind
    reason: RefundReason
    order_type: OrderType
    captured: _common_pb2.Money
    already_refunded: _common_pb2.Money
    items: _containers.RepeatedCompositeFieldContainer[Item]
    amount: _common_pb2.Money
    shipping_fee: _common_pb2.Money
    def __init__(self, payment_id: _Optional[str] = ..., kind: _Optional[_Union[RefundKind, str]] = ..., reason: _Optional[_Union[RefundReason, str]] = ..., order_type: _Optional[_Union[OrderType, str]] = ..., captured: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., already_refunded: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., items: _Optional[_Iterable[_Union[Item, _Mapping]]] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., shipping_fee: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class GiftRemedy(_message.Message):
    __slots__ = ("sku", "quantity", "description")
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    sku: str
    quantity: int
    description: str
    def __init__(self, sku: _Optional[str] = ..., quantity: _Optional[int] = ..., description: _Optional[str] = ...) -> None: ...

class ResolveExceptionRequest(_message.Message):
    __slots__ = ("request_id", "exception_id", "responsibility", "note", "reship", "refund", "gift")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    EXCEPTION_ID_FIELD_NUMBER: _ClassVar[int]
    RESPONSIBILITY_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    RESHIP_FIELD_NUMBER: _ClassVar[int]
    REFUND_FIELD_NUMBER: _ClassVar[int]
    GIFT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    exception_id: str
    responsibility: Responsibility
    note: str
    reship: ReshipRemedy
    refund: RefundRemedy
    gift: GiftRemedy
    def __init__(self, request_id: _Optional[str] = ..., exception_id: _Optional[str] = ..., responsibility: _Optional[_Union[Responsibility, str]] = ..., note: _Optional[str] = ..., reship: _Optional[_Union[ReshipRemedy, _Mapping]] = ..., refund: _Optional[_Union[RefundRemedy, _Mapping]] = ..., gift: _Optional[_Union[GiftRemedy, _Mapping]] = ...) -> None: ...

class ResolveExceptionResponse(_message.Message):
    __slots__ = ("exception", "refund")
    EXCEPTION_FIELD_NUMBER: _ClassVar[int]
    REFUND_FIELD_NUMBER: _ClassVar[int]
    exception: OrderException
    refund: Refund
    def __init__(self, exception: _Optional[_Union[OrderException, _Mapping]] = ..., refund: _Optional[_Union[Refund, _Mapping]] = ...) -> None: ...

class ListExceptionsRequest(_message.Message):
    __slots__ = ("order_id", "status", "page")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    status: ExceptionStatus
    page: _common_pb2.PageRequest
    def __init__(self, order_id: _Optional[str] = ..., status: _Optional[_Union[ExceptionStatus, str]] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListExceptionsResponse(_message.Message):
    __slots__ = ("exceptions", "page")
    EXCEPTIONS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    exceptions: _containers.RepeatedCompositeFieldContainer[OrderException]
    page: _common_pb2.PageResponse
    def __init__(self, exceptions: _Optional[_Iterable[_Union[OrderException, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...
