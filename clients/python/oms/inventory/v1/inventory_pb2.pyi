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

class MovementType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MOVEMENT_TYPE_UNSPECIFIED: _ClassVar[MovementType]
    MOVEMENT_TYPE_RECEIPT: _ClassVar[MovementType]
    MOVEMENT_TYPE_ADJUSTMENT: _ClassVar[MovementType]
    MOVEMENT_TYPE_RESERVATION: _ClassVar[MovementType]
    MOVEMENT_TYPE_RELEASE: _ClassVar[MovementType]
    MOVEMENT_TYPE_EXPIRY: _ClassVar[MovementType]
    MOVEMENT_TYPE_SHIPMENT: _ClassVar[MovementType]
    MOVEMENT_TYPE_RETURN: _ClassVar[MovementType]
    MOVEMENT_TYPE_SAFETY_STOCK: _ClassVar[MovementType]
    MOVEMENT_TYPE_RESERVATION_MOVE: _ClassVar[MovementType]

class ReservationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESERVATION_STATUS_UNSPECIFIED: _ClassVar[ReservationStatus]
    RESERVATION_STATUS_HELD: _ClassVar[ReservationStatus]
    RESERVATION_STATUS_CONFIRMED: _ClassVar[ReservationStatus]
    RESERVATION_STATUS_RELEASED: _ClassVar[ReservationStatus]
    RESERVATION_STATUS_EXPIRED: _ClassVar[ReservationStatus]
    RESERVATION_STATUS_COMMITTED: _ClassVar[ReservationStatus]
MOVEMENT_TYPE_UNSPECIFIED: MovementType
MOVEMENT_TYPE_RECEIPT: MovementType
MOVEMENT_TYPE_ADJUSTMENT: MovementType
MOVEMENT_TYPE_RESERVATION: MovementType
MOVEMENT_TYPE_RELEASE: MovementType
MOVEMENT_TYPE_EXPIRY: MovementType
MOVEMENT_TYPE_SHIPMENT: MovementType
MOVEMENT_TYPE_RETURN: MovementType
MOVEMENT_TYPE_SAFETY_STOCK: MovementType
MOVEMENT_TYPE_RESERVATION_MOVE: MovementType
RESERVATION_STATUS_UNSPECIFIED: ReservationStatus
RESERVATION_STATUS_HELD: ReservationStatus
RESERVATION_STATUS_CONFIRMED: ReservationStatus
RESERVATION_STATUS_RELEASED: ReservationStatus
RESERVATION_STATUS_EXPIRED: ReservationStatus
RESERVATION_STATUS_COMMITTED: ReservationStatus

class Warehouse(_message.Message):
    __slots__ = ("warehouse_id", "code", "name", "provinces", "disabled", "created_at", "updated_at")
    WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROVINCES_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    warehouse_id: str
    code: str
    name: str
    provinces: _containers.RepeatedScalarFieldContainer[str]
    disabled: bool
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, warehouse_id: _Optional[str] = ..., code: _Optional[str] = ..., name: _Optional[str] = ..., provinces: _Optional[_Iterable[str]] = ..., disabled: _Optional[bool] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StockLevel(_message.Message):
    __slots__ = ("warehouse_id", "sku", "on_hand", "reserved", "safety_stock", "available", "updated_at")
    WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    ON_HAND_FIELD_NUMBER: _ClassVar[int]
    RESERVED_FIELD_NUMBER: _ClassVar[int]
    SAFETY_STOCK_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    warehouse_id: str
    sku: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, warehouse_id: _Optional[str] = ..., sku: _Optional[str] = ..., on_hand: _Optional[int] = ..., reserved: _Optional[int] = ..., safety_stock: _Optional[int] = ..., available: _Optional[int] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StockMovement(_message.Message):
    __slots__ = ("movement_id", "warehouse_id", "sku", "type", "on_hand_delta", "reserved_delta", "on_hand_after", "reserved_after", "safety_stock_after", "reason", "reference", "order_id", "reservation_id", "request_id", "occurred_at")
    MOVEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ON_HAND_DELTA_FIELD_NUMBER: _ClassVar[int]
    RESERVED_DELTA_FIELD_NUMBER: _ClassVar[int]
    ON_HAND_AFTER_FIELD_NUMBER: _ClassVar[int]
    RESERVED_AFTER_FIELD_NUMBER: _ClassVar[int]
    SAFETY_STOCK_AFTER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    movement_id: str
    warehouse_id: str
    sku: str
    type: MovementType
    on_hand_delta: int
    reserved_delta: int
    on_hand_after: int
    reserved_after: int
    safety_stock_after: int
    reason: str
    reference: str
    order_id: str
    reservation_id: str
    request_id: str
    occurred_at: _timestamp_pb2.Timestamp
    def __init__(self, movement_id: _Optional[str] = ..., warehouse_id: _Optional[str] = ..., sku: _Optional[str] = ..., type: _Optional[_Union[MovementType, str]] = ..., on_hand_delta: _Optional[int] = ..., reserved_delta: _Optional[int] = ..., on_hand_after: _Optional[int] = ..., reserved_after: _Optional[int] = ..., safety_stock_after: _Optional[int] = ..., reason: _Optional[str] = ..., reference: _Optional[str] = ..., order_id: _Optional[str] = ..., reservation_id: _Optional[str] = ..., request_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SkuAvailability(_message.Message):
    __slots__ = ("sku", "on_hand", "reserved", "safety_stock", "available", "available_in_one_warehouse", "paused", "pressure_high", "warehouses")
    SKU_FIELD_NUMBER: _ClassVar[int]
    ON_HAND_FIELD_NUMBER: _ClassVar[int]
    RESERVED_FIELD_NUMBER: _ClassVar[int]
    SAFETY_STOCK_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_IN_ONE_WAREHOUSE_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    PRESSURE_HIGH_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSES_FIELD_NUMBER: _ClassVar[int]
    sku: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int
    available_in_one_warehouse: int
    paused: bool
    pressure_high: bool
    warehouses: _containers.RepeatedCompositeFieldContainer[StockLevel]
    def __init__(self, sku: _Optional[str] = ..., on_hand: _Optional[int] = ..., reserved: _Optional[int] = ..., safety_stock: _Optional[int] = ..., available: _Optional[int] = ..., available_in_one_warehouse: _Optional[int] = ..., paused: _Optional[bool] = ..., pressure_high: _Optional[bool] = ..., warehouses: _Optional[_Iterable[_Union[StockLevel, _Mapping]]] = ...) -> None: ...

class SkuStatus(_message.Message):
    __slots__ = ("sku", "paused", "paused_at", "recent_failures")
    SKU_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    PAUSED_AT_FIELD_NUMBER: _ClassVar[int]
    RECENT_FAILURES_FIELD_NUMBER: _ClassVar[int]
    sku: str
    paused: bool
    paused_at: _timestamp_pb2.Timestamp
    recent_failures: int
    def __init__(self, sku: _Optional[str] = ..., paused: _Optional[bool] = ..., paused_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recent_failures: _Optional[int] = ...) -> None: ...

class ReservationLine(_message.Message):
    __slots__ = ("sku", "warehouse_id", "quantity")
    SKU_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    sku: str
    warehouse_id: str
    quantity: int
    def __init__(self, sku: _Optional[str] = ..., warehouse_id: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class Reservation(_message.Message):
    __slots__ = ("reservation_id", "order_id", "status", "lines", "created_at", "expires_at", "closed_at", "release_reason", "committed_at")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AT_FIELD_NUMBER: _ClassVar[int]
    RELEASE_REASON_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    order_id: str
    status: ReservationStatus
    lines: _containers.RepeatedCompositeFieldContainer[ReservationLine]
    created_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    closed_at: _timestamp_pb2.Timestamp
    release_reason: str
    committed_at: _timestamp_pb2.Timestamp
    def __init__(self, reservation_id: _Optional[str] = ..., order_id: _Optional[str] = ..., status: _Optional[_Union[ReservationStatus, str]] = ..., lines: _Optional[_Iterable[_Union[ReservationLine, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., closed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., release_reason: _Optional[str] = ..., committed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpsertWarehouseRequest(_message.Message):
    __slots__ = ("request_id", "code", "name", "provinces", "disabled")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROVINCES_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    code: str
    name: str
    provinces: _containers.RepeatedScalarFieldContainer[str]
    disabled: bool
    def __init__(self, request_id: _Optional[str] = ..., code: _Optional[str] = ..., name: _Optional[str] = ..., provinces: _Optional[_Iterable[str]] = ..., disabled: _Optional[bool] = ...) -> None: ...

class UpsertWarehouseResponse(_message.Message):
    __slots__ = ("warehouse", "created")
    WAREHOUSE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    warehouse: Warehouse
    created: bool
    def __init__(self, warehouse: _Optional[_Union[Warehouse, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class ListWarehousesRequest(_message.Message):
    __slots__ = ("page",)
    PAGE_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListWarehousesResponse(_message.Message):
    __slots__ = ("warehouses", "page")
    WAREHOUSES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    warehouses: _containers.RepeatedCompositeFieldContainer[Warehouse]
    page: _common_pb2.PageResponse
    def __init__(self, warehouses: _Optional[_Iterable[_Union[Warehouse, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class ReceiveStockRequest(_message.Message):
    __slots__ = ("request_id", "warehouse_id", "sku", "quantity", "reference")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    warehouse_id: str
    sku: str
    quantity: int
    reference: str
    def __init__(self, request_id: _Optional[str] = ..., warehouse_id: _Optional[str] = ..., sku: _Optional[str] = ..., quantity: _Optional[int] = ..., reference: _Optional[str] = ...) -> None: ...

class ReceiveStockResponse(_message.Message):
    __slots__ = ("stock", "movement")
    STOCK_FIELD_NUMBER: _ClassVar[int]
    MOVEMENT_FIELD_NUMBER: _ClassVar[int]
    stock: StockLevel
    movement: StockMovement
    def __init__(self, stock: _Optional[_Union[StockLevel, _Mapping]] = ..., movement: _Optional[_Union[StockMovement, _Mapping]] = ...) -> None: ...

class AdjustStockRequest(_message.Message):
    __slots__ = ("request_id", "warehouse_id", "sku", "delta", "set_on_hand", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    SET_ON_HAND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    warehouse_id: str
    sku: str
    delta: int
    set_on_hand: int
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., warehouse_id: _Optional[str] = ..., sku: _Optional[str] = ..., delta: _Optional[int] = ..., set_on_hand: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class AdjustStockResponse(_message.Message):
    __slots__ = ("stock", "movement")
    STOCK_FIELD_NUMBER: _ClassVar[int]
    MOVEMENT_FIELD_NUMBER: _ClassVar[int]
    stock: StockLevel
    movement: StockMovement
    def __init__(self, stock: _Optional[_Union[StockLevel, _Mapping]] = ..., movement: _Optional[_Union[StockMovement, _Mapping]] = ...) -> None: ...

class SetSafetyStockRequest(_message.Message):
    __slots__ = ("request_id", "warehouse_id", "sku", "safety_stock")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    SAFETY_STOCK_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    warehouse_id: str
    sku: str
    safety_stock: int
    def __init__(self, request_id: _Optional[str] = ..., warehouse_id: _Optional[str] = ..., sku: _Optional[str] = ..., safety_stock: _Optional[int] = ...) -> None: ...

class SetSafetyStockResponse(_message.Message):
    __slots__ = ("stock", "movement")
    STOCK_FIELD_NUMBER: _ClassVar[int]
    MOVEMENT_FIELD_NUMBER: _ClassVar[int]
    stock: StockLevel
    movement: StockMovement
    def __init__(self, stock: _Optional[_Union[StockLevel, _Mapping]] = ..., movement: _Optional[_Union[StockMovement, _Mapping]] = ...) -> None: ...

class RestockReturnRequest(_message.Message):
    __slots__ = ("request_id", "warehouse_id", "sku", "quantity", "order_id", "reference")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    warehouse_id: str
    sku: str
    quantity: int
    order_id: str
    reference: str
    def __init__(self, request_id: _Optional[str] = ..., warehouse_id: _Optional[str] = ..., sku: _Optional[str] = ..., quantity: _Optional[int] = ..., order_id: _Optional[str] = ..., reference: _Optional[str] = ...) -> None: ...

class RestockReturnResponse(_message.Message):
    __slots__ = ("stock", "movement")
    STOCK_FIELD_NUMBER: _ClassVar[int]
    MOVEMENT_FIELD_NUMBER: _ClassVar[int]
    stock: StockLevel
    movement: StockMovement
    def __init__(self, stock: _Optional[_Union[StockLevel, _Mapping]] = ..., movement: _Optional[_Union[StockMovement, _Mapping]] = ...) -> None: ...

class GetAvailabilityRequest(_message.Message):
    __slots__ = ("skus",)
    SKUS_FIELD_NUMBER: _ClassVar[int]
    skus: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, skus: _Optional[_Iterable[str]] = ...) -> None: ...

class GetAvailabilityResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[SkuAvailability]
    def __init__(self, items: _Optional[_Iterable[_Union[SkuAvailability, _Mapping]]] = ...) -> None: ...

class ReserveLine(_message.Message):
    __slots__ = ("sku", "quantity")
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    sku: str
    quantity: int
    def __init__(self, sku: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class ReserveRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "lines", "ttl_seconds", "preferred_warehouse_id", "shipping_province")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    lines: _containers.RepeatedCompositeFieldContainer[ReserveLine]
    ttl_seconds: int
    preferred_warehouse_id: str
    shipping_province: str
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[ReserveLine, _Mapping]]] = ..., ttl_seconds: _Optional[int] = ..., preferred_warehouse_id: _Optional[str] = ..., shipping_province: _Optional[str] = ...) -> None: ...

class ReserveResponse(_message.Message):
    __slots__ = ("reservation", "created")
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    reservation: Reservation
    created: bool
    def __init__(self, reservation: _Optional[_Union[Reservation, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class ReserveManyItem(_message.Message):
    __slots__ = ("order_id", "lines", "ttl_seconds", "preferred_warehouse_id", "shipping_province")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    lines: _containers.RepeatedCompositeFieldContainer[ReserveLine]
    ttl_seconds: int
    preferred_warehouse_id: str
    shipping_province: str
    def __init__(self, order_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[ReserveLine, _Mapping]]] = ..., ttl_seconds: _Optional[int] = ..., preferred_warehouse_id: _Optional[str] = ..., shipping_province: _Optional[str] = ...) -> None: ...

class ReserveManyRequest(_message.Message):
    __slots__ = ("request_id", "orders")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    orders: _containers.RepeatedCompositeFieldContainer[ReserveManyItem]
    def __init__(self, request_id: _Optional[str] = ..., orders: _Optional[_Iterable[_Union[ReserveManyItem, _Mapping]]] = ...) -> None: ...

class ReserveRefusal(_message.Message):
    __slots__ = ("code", "reason", "message", "metadata", "fields")
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
    METADATA_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    code: str
    reason: str
    message: str
    metadata: _containers.ScalarMap[str, str]
    fields: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, code: _Optional[str] = ..., reason: _Optional[str] = ..., message: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., fields: _Optional[_Iterable[str]] = ...) -> None: ...

class ReserveManyResult(_message.Message):
    __slots__ = ("order_id", "reservation", "refusal", "created")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    REFUSAL_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    reservation: Reservation
    refusal: ReserveRefusal
    created: bool
    def __init__(self, order_id: _Optional[str] = ..., reservation: _Optional[_Union[Reservation, _Mapping]] = ..., refusal: _Optional[_Union[ReserveRefusal, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class ReserveManyResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[ReserveManyResult]
    def __init__(self, results: _Optional[_Iterable[_Union[ReserveManyResult, _Mapping]]] = ...) -> None: ...

class CommitRequest(_message.Message):
    __slots__ = ("request_id", "order_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ...) -> None: ...

class CommitResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: Reservation
    def __init__(self, reservation: _Optional[_Union[Reservation, _Mapping]] = ...) -> None: ...

class ConfirmRequest(_message.Message):
    __slots__ = ("request_id", "order_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ...) -> None: ...

class ConfirmResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: Reservation
    def __init__(self, reservation: _Optional[_Union[Reservation, _Mapping]] = ...) -> None: ...

class ReleaseRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ReleaseResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: Reservation
    def __init__(self, reservation: _Optional[_Union[Reservation, _Mapping]] = ...) -> None: ...

class MoveReservationRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "sku", "from_warehouse_id", "to_warehouse_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    FROM_WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    sku: str
    from_warehouse_id: str
    to_warehouse_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., sku: _Optional[str] = ..., from_warehouse_id: _Optional[str] = ..., to_warehouse_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class MoveReservationResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: Reservation
    def __init__(self, reservation: _Optional[_Union[Reservation, _Mapping]] = ...) -> None: ...

class ListReservationsRequest(_message.Message):
    __slots__ = ("order_id", "sku", "status", "page")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    sku: str
    status: ReservationStatus
    page: _common_pb2.PageRequest
    def __init__(self, order_id: _Optional[str] = ..., sku: _Optional[str] = ..., status: _Optional[_Union[ReservationStatus, str]] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListReservationsResponse(_message.Message):
    __slots__ = ("reservations", "page")
    RESERVATIONS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    reservations: _containers.RepeatedCompositeFieldContainer[Reservation]
    page: _common_pb2.PageResponse
    def __init__(self, reservations: _Optional[_Iterable[_Union[Reservation, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class ListStockMovementsRequest(_message.Message):
    __slots__ = ("sku", "warehouse_id", "order_id", "page")
    SKU_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    sku: str
    warehouse_id: str
    order_id: str
    page: _common_pb2.PageRequest
    def __init__(self, sku: _Optional[str] = ..., warehouse_id: _Optional[str] = ..., order_id: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListStockMovementsResponse(_message.Message):
    __slots__ = ("movements", "page")
    MOVEMENTS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    movements: _containers.RepeatedCompositeFieldContainer[StockMovement]
    page: _common_pb2.PageResponse
    def __init__(self, movements: _Optional[_Iterable[_Union[StockMovement, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class ResumeSkuRequest(_message.Message):
    __slots__ = ("request_id", "sku", "note")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    sku: str
    note: str
    def __init__(self, request_id: _Optional[str] = ..., sku: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class ResumeSkuResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: SkuStatus
    def __init__(self, status: _Optional[_Union[SkuStatus, _Mapping]] = ...) -> None: ...

class ReconcileRequest(_message.Message):
    __slots__ = ("request_id",)
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    def __init__(self, request_id: _Optional[str] = ...) -> None: ...

class ReconcileResponse(_message.Message):
    __slots__ = ("gate_enabled", "sold_out_skus", "paused_skus", "markers_set", "markers_removed")
    GATE_ENABLED_FIELD_NUMBER: _ClassVar[int]
    SOLD_OUT_SKUS_FIELD_NUMBER: _ClassVar[int]
    PAUSED_SKUS_FIELD_NUMBER: _ClassVar[int]
    MARKERS_SET_FIELD_NUMBER: _ClassVar[int]
    MARKERS_REMOVED_FIELD_NUMBER: _ClassVar[int]
    gate_enabled: bool
    sold_out_skus: int
    paused_skus: int
    markers_set: int
    markers_removed: int
    def __init__(self, gate_enabled: _Optional[bool] = ..., sold_out_skus: _Optional[int] = ..., paused_skus: _Optional[int] = ..., markers_set: _Optional[int] = ..., markers_removed: _Optional[int] = ...) -> None: ...
