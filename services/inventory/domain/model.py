"""Stock levels, warehouses, ledger movements and the reservation state machine."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from services.inventory.domain.errors import InsufficientStock, NotHeldThere, ReservationExpired, ReservationNotLive
from shared.kernel.errors import InvalidTransition


class MovementType(enum.Enum):
    """What a ledger row records; the names match the contract's MovementType."""

    RECEIPT = "RECEIPT"
    ADJUSTMENT = "ADJUSTMENT"
    RESERVATION = "RESERVATION"
    RELEASE = "RELEASE"
    EXPIRY = "EXPIRY"
    SHIPMENT = "SHIPMENT"
    RETURN = "RETURN"
    SAFETY_STOCK = "SAFETY_STOCK"
    RESERVATION_MOVE = "RESERVATION_MOVE"


@dataclass(frozen=True)
class Warehouse:
    warehouse_id: str
    code: str
    name: str
    provinces: tuple[str, ...]
    disabled: bool
    created_at: datetime
    updated_at: datetime

    def serves(self, province: str | None) -> bool:
        return province is not None and province in self.provinces


@dataclass(frozen=True)
class StockLevel:
    """One SKU in one warehouse. The database keeps reserved <= on_hand; safety stock is only a buffer."""

    warehouse_id: str
    sku: str
    on_hand: int
    reserved: int
    safety_stock: int
    updated_at: datetime

    @property
    def available(self) -> int:
        """What new reservations may take; 0 when safety stock exceeds what is free."""
        return max(0, self.on_hand - self.reserved - self.safety_stock)

    @property
    def removable(self) -> int:
        """What an adjustment may take away: everything not reserved (safety stock is only a buffer)."""
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class Movement:
    """One ledger row: the change of a stock row and the state it left."""

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
    order_id: str | None
    reservation_id: str | None
    request_id: str
    occurred_at: datetime


@dataclass(frozen=True)
class SkuAvailability:
    """Totals of one SKU across warehouses, with the level in each."""

    sku: str
    levels: tuple[StockLevel, ...]
    paused: bool
    pressure_high: bool

    @property
    def on_hand(self) -> int:
        return sum(level.on_hand for level in self.levels)

    @property
    def reserved(self) -> int:
        return sum(level.reserved for level in self.levels)

    @property
    def safety_stock(self) -> int:
        return sum(level.safety_stock for level in self.levels)

    @property
    def available(self) -> int:
        return sum(level.available for level in self.levels)

    @property
    def available_in_one_warehouse(self) -> int:
        return max((level.available for level in self.levels), default=0)


@dataclass(frozen=True)
class SkuStatus:
    sku: str
    paused: bool
    paused_at: datetime | None
    recent_failures: int


class ReservationStatus(enum.Enum):
    HELD = "HELD"
    COMMITTED = "COMMITTED"
    CONFIRMED = "CONFIRMED"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"

    @property
    def is_final(self) -> bool:
        """Whether nothing can happen to it any more (its stock shipped or went back)."""
        return self not in (ReservationStatus.HELD, ReservationStatus.COMMITTED)


# A hold moves on; a committed hold (the order is paid) no longer expires; every other state is final.
_TRANSITIONS: dict[ReservationStatus, frozenset[ReservationStatus]] = {
    ReservationStatus.HELD: frozenset(
        {
            ReservationStatus.COMMITTED,
            ReservationStatus.CONFIRMED,
            ReservationStatus.RELEASED,
            ReservationStatus.EXPIRED,
        }
    ),
    ReservationStatus.COMMITTED: frozenset({ReservationStatus.CONFIRMED, ReservationStatus.RELEASED}),
    ReservationStatus.CONFIRMED: frozenset(),
    ReservationStatus.RELEASED: frozenset(),
    ReservationStatus.EXPIRED: frozenset(),
}
# A repeated Commit, Release or Confirm finds its work done when the reservation is already in one of these.
_ALREADY_THERE: dict[ReservationStatus, frozenset[ReservationStatus]] = {
    ReservationStatus.COMMITTED: frozenset({ReservationStatus.COMMITTED}),
    ReservationStatus.CONFIRMED: frozenset({ReservationStatus.CONFIRMED}),
    ReservationStatus.RELEASED: frozenset({ReservationStatus.RELEASED, ReservationStatus.EXPIRED}),
    ReservationStatus.EXPIRED: frozenset({ReservationStatus.EXPIRED, ReservationStatus.RELEASED}),
}


def sources(to: ReservationStatus) -> frozenset[ReservationStatus]:
    """The states a reservation may move to ``to`` from (what a conditional update may match)."""
    return frozenset(status for status, targets in _TRANSITIONS.items() if to in targets)


@dataclass(frozen=True)
class RequestedLine:
    """A SKU and quantity an order asks for (lines of the same SKU already merged)."""

    sku: str
    quantity: int


def merge_lines(lines: Iterable[RequestedLine]) -> tuple[RequestedLine, ...]:
    """One line per SKU, sorted by SKU: the order in which rows are locked, so no two reservations deadlock."""
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        totals[line.sku] += line.quantity
    return tuple(RequestedLine(sku, quantity) for sku, quantity in sorted(totals.items()))


@dataclass(frozen=True)
class ReservationLine:
    sku: str
    warehouse_id: str
    quantity: int


@dataclass(frozen=True)
class Reservation:
    """The stock held for one order.

    HELD -> COMMITTED | CONFIRMED | RELEASED | EXPIRED, and COMMITTED -> CONFIRMED | RELEASED: a hold
    expires at ``expires_at`` unless its order was paid and it was committed (then ``expires_at`` is
    None); nothing leaves a final state.
    """

    reservation_id: str
    order_id: str
    status: ReservationStatus
    lines: tuple[ReservationLine, ...]
    created_at: datetime
    expires_at: datetime | None
    closed_at: datetime | None = None
    release_reason: str = ""
    committed_at: datetime | None = None

    def needs(self, to: ReservationStatus) -> bool:
        """Whether moving to ``to`` has work to do; False when the reservation already got there, or to
        the equivalent state (an expired hold counts as released). An illegal move raises
        InvalidTransition, e.g. releasing a shipped reservation or confirming one given back; committing
        a hold that expired raises its own reason (ReservationExpired), so a payer can tell."""
        if to in _TRANSITIONS[self.status]:
            return True
        if self.status in _ALREADY_THERE[to]:
            return False
        if self.status is ReservationStatus.EXPIRED and to is ReservationStatus.COMMITTED:
            raise ReservationExpired(self.reservation_id, self.order_id)
        raise InvalidTransition("reservation", self.reservation_id, self.status.value, to.value)

    def quantities(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for line in self.lines:
            totals[line.sku] += line.quantity
        return dict(totals)

    def holds(self, requested: Iterable[RequestedLine]) -> bool:
        """Whether this reservation is for exactly the requested quantities (a repeat of the same Reserve)."""
        return self.quantities() == {line.sku: line.quantity for line in merge_lines(requested)}

    def moved(self, sku: str, source: str, target: str) -> tuple[Reservation, ReservationLine]:
        """This reservation with its line of ``sku`` held in ``target`` instead of ``source``, and that line
        as it was. Only a live reservation holds stock to move (ReservationNotLive), and only from where it
        holds the SKU (NotHeldThere)."""
        if self.status.is_final:
            raise ReservationNotLive(self.reservation_id, self.order_id, self.status.value)
        line = next((line for line in self.lines if line.sku == sku), None)
        if line is None or line.warehouse_id != source:
            raise NotHeldThere(self.order_id, sku, source)
        lines = tuple(replace(held, warehouse_id=target) if held is line else held for held in self.lines)
        return replace(self, lines=lines), line


@dataclass(frozen=True)
class StockDelta:
    """A change to apply to one stock row, and what the ledger says about it."""

    warehouse_id: str
    sku: str
    type: MovementType
    on_hand: int = 0
    reserved: int = 0
    safety_stock: int = 0
    reason: str = ""
    reference: str = ""
    order_id: str | None = None
    reservation_id: str | None = None


# How each reservation event moves the stock of a line: (on_hand, reserved) per unit.
_RESERVATION_EFFECT: dict[MovementType, tuple[int, int]] = {
    MovementType.RESERVATION: (0, 1),
    MovementType.RELEASE: (0, -1),
    MovementType.EXPIRY: (0, -1),
    MovementType.SHIPMENT: (-1, -1),
}


def reservation_deltas(reservation: Reservation, movement: MovementType, reason: str = "") -> tuple[StockDelta, ...]:
    """The stock changes (one per line) of holding, giving back or shipping ``reservation``."""
    on_hand, reserved = _RESERVATION_EFFECT[movement]
    return tuple(
        StockDelta(
            warehouse_id=line.warehouse_id,
            sku=line.sku,
            type=movement,
            on_hand=on_hand * line.quantity,
            reserved=reserved * line.quantity,
            reason=reason,
            order_id=reservation.order_id,
            reservation_id=reservation.reservation_id,
        )
        for line in reservation.lines
    )


def hold_move(
    reservation: Reservation, sku: str, source: str, target: str, target_level: StockLevel | None, reason: str = ""
) -> tuple[Reservation, tuple[StockDelta, StockDelta]]:
    """The reservation once its stock of ``sku`` moves from warehouse ``source`` to ``target``, and the stock
    changes that make it so: reserved down in the source, up in the target. The target must have the whole
    quantity available, as a new hold would (``target_level`` None: the target has none, e.g. it does not
    stock the SKU or takes no new reservations)."""
    moved, line = reservation.moved(sku, source, target)
    available = target_level.available if target_level is not None else 0
    if available < line.quantity:
        raise InsufficientStock(sku, requested=line.quantity, available=available, warehouse_id=target)
    given_back, taken = (
        StockDelta(
            warehouse_id=warehouse_id,
            sku=sku,
            type=MovementType.RESERVATION_MOVE,
            reserved=reserved,
            reason=reason,
            order_id=reservation.order_id,
            reservation_id=reservation.reservation_id,
        )
        for warehouse_id, reserved in ((source, -line.quantity), (target, line.quantity))
    )
    return moved, (given_back, taken)


def adjustment(level: StockLevel, *, delta: int | None, set_on_hand: int | None, reason: str) -> StockDelta:
    """The change a stocktake or correction makes; reserved units cannot be taken away."""
    change = delta if delta is not None else (set_on_hand or 0) - level.on_hand
    if change < 0 and -change > level.removable:
        raise InsufficientStock(
            level.sku, requested=-change, available=level.removable, warehouse_id=level.warehouse_id
        )
    return StockDelta(level.warehouse_id, level.sku, MovementType.ADJUSTMENT, on_hand=change, reason=reason)


def safety_stock_change(level: StockLevel, safety_stock: int) -> StockDelta:
    return StockDelta(
        level.warehouse_id, level.sku, MovementType.SAFETY_STOCK, safety_stock=safety_stock - level.safety_stock
    )
