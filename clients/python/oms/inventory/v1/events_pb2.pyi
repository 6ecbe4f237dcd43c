import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from oms.inventory.v1 import inventory_pb2 as _inventory_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StockReserved(_message.Message):
    __slots__ = ("reservation_id", "order_id", "lines", "expires_at")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    order_id: str
    lines: _containers.RepeatedCompositeFieldContainer[_inventory_pb2.ReservationLine]
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, reservation_id: _Optional[str] = ..., order_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[_inventory_pb2.ReservationLine, _Mapping]]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReservationCommitted(_message.Message):
    __slots__ = ("reservation_id", "order_id", "lines", "committed_at")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    order_id: str
    lines: _containers.RepeatedCompositeFieldContainer[_inventory_pb2.ReservationLine]
    committed_at: _timestamp_pb2.Timestamp
    def __init__(self, reservation_id: _Optional[str] = ..., order_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[_inventory_pb2.ReservationLine, _Mapping]]] = ..., committed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReservationReleased(_message.Message):
    __slots__ = ("reservation_id", "order_id", "lines", "reason", "released_at")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RELEASED_AT_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    order_id: str
    lines: _containers.RepeatedCompositeFieldContainer[_inventory_pb2.ReservationLine]
    reason: str
    released_at: _timestamp_pb2.Timestamp
    def __init__(self, reservation_id: _Optional[str] = ..., order_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[_inventory_pb2.ReservationLine, _Mapping]]] = ..., reason: _Optional[str] = ..., released_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReservationConfirmed(_message.Message):
    __slots__ = ("reservation_id", "order_id", "lines", "confirmed_at")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    CONFIRMED_AT_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    order_id: str
    lines: _containers.RepeatedCompositeFieldContainer[_inventory_pb2.ReservationLine]
    confirmed_at: _timestamp_pb2.Timestamp
    def __init__(self, reservation_id: _Optional[str] = ..., order_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[_inventory_pb2.ReservationLine, _Mapping]]] = ..., confirmed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReservationMoved(_message.Message):
    __slots__ = ("reservation_id", "order_id", "sku", "quantity", "from_warehouse_id", "to_warehouse_id", "reason", "lines", "moved_at")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    FROM_WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_WAREHOUSE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    MOVED_AT_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    order_id: str
    sku: str
    quantity: int
    from_warehouse_id: str
    to_warehouse_id: str
    reason: str
    lines: _containers.RepeatedCompositeFieldContainer[_inventory_pb2.ReservationLine]
    moved_at: _timestamp_pb2.Timestamp
    def __init__(self, reservation_id: _Optional[str] = ..., order_id: _Optional[str] = ..., sku: _Optional[str] = ..., quantity: _Optional[int] = ..., from_warehouse_id: _Optional[str] = ..., to_warehouse_id: _Optional[str] = ..., reason: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[_inventory_pb2.ReservationLine, _Mapping]]] = ..., moved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReservationExpired(_message.Message):
    __slots__ = ("reservation_id", "order_id", "lines", "expired_at")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_AT_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    order_id: str
    lines: _containers.RepeatedCompositeFieldContainer[_inventory_pb2.ReservationLine]
    expired_at: _timestamp_pb2.Timestamp
    def __init__(self, reservation_id: _Optional[str] = ..., order_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[_inventory_pb2.ReservationLine, _Mapping]]] = ..., expired_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StockAdjusted(_message.Message):
    __slots__ = ("movement", "stock")
    MOVEMENT_FIELD_NUMBER: _ClassVar[int]
    STOCK_FIELD_NUMBER: _ClassVar[int]
    movement: _inventory_pb2.StockMovement
    stock: _inventory_pb2.StockLevel
    def __init__(self, movement: _Optional[_Union[_inventory_pb2.StockMovement, _Mapping]] = ..., stock: _Optional[_Union[_inventory_pb2.StockLevel, _Mapping]] = ...) -> None: ...

class SkuPaused(_message.Message):
    __slots__ = ("sku", "failures", "window_seconds", "paused_at")
    SKU_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    WINDOW_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PAUSED_AT_FIELD_NUMBER: _ClassVar[int]
    sku: str
    failures: int
    window_seconds: int
    paused_at: _timestamp_pb2.Timestamp
    def __init__(self, sku: _Optional[str] = ..., failures: _Optional[int] = ..., window_seconds: _Optional[int] = ..., paused_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SkuResumed(_message.Message):
    __slots__ = ("sku", "note", "resumed_at")
    SKU_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    RESUMED_AT_FIELD_NUMBER: _ClassVar[int]
    sku: str
    note: str
    resumed_at: _timestamp_pb2.Timestamp
    def __init__(self, sku: _Optional[str] = ..., note: _Optional[str] = ..., resumed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StockPressureHigh(_message.Message):
    __slots__ = ("sku", "reserved", "available", "threshold_percent")
    SKU_FIELD_NUMBER: _ClassVar[int]
    RESERVED_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_PERCENT_FIELD_NUMBER: _ClassVar[int]
    sku: str
    reserved: int
    available: int
    threshold_percent: int
    def __init__(self, sku: _Optional[str] = ..., reserved: _Optional[int] = ..., available: _Optional[int] = ..., threshold_percent: _Optional[int] = ...) -> None: ...
