"""The ports handlers depend on: the unit of work with its repositories, the admission gate, the clock."""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, Self, TypeVar

from services.inventory.domain.events import DomainEvent
from services.inventory.domain.model import (
    Movement,
    Reservation,
    ReservationStatus,
    SkuStatus,
    StockDelta,
    StockLevel,
    Warehouse,
)
from services.inventory.domain.rules import BreakerPolicy, PressurePolicy

R = TypeVar("R")


@dataclass(frozen=True)
class ReservationSnapshot:
    """The stock rows of the requested SKUs (every warehouse), their warehouses, which of the SKUs are
    paused and which have their pressure flag up."""

    levels: tuple[StockLevel, ...]
    warehouses: Mapping[str, Warehouse]
    paused: frozenset[str]
    pressure_high: frozenset[str] = frozenset()


@dataclass(frozen=True)
class HoldOutcome:
    """What the statement that holds a reservation's stock did."""

    # Stock rows whose guard held (a ledger row each); fewer than the lines means the stock moved.
    applied: int
    # SKUs whose pressure flag this statement changed (to the value it was asked for).
    flipped: frozenset[str]
    # Whether the answer was stored under the request id (False: no claim of it in this transaction).
    remembered: bool


@dataclass(frozen=True)
class SkuTotals:
    sku: str
    reserved: int
    available: int
    pressure_high: bool


@dataclass(frozen=True)
class BreakerState:
    sku: str
    paused: bool
    paused_at: datetime | None
    recent_failures: tuple[datetime, ...]


class WarehouseRepository(Protocol):
    async def upsert(self, warehouse: Warehouse) -> tuple[Warehouse, bool]:
        """Insert, or update the one with the same code; returns the stored row and whether it was created."""

    async def get(self, warehouse_id: str) -> Warehouse | None: ...

    async def page(self, size: int, after: str | None) -> Sequence[Warehouse]: ...


class StockRepository(Protocol):
    async def snapshot(self, skus: Sequence[str]) -> ReservationSnapshot:
        """Every stock row of ``skus``, read without locks (good for refusals only)."""

    async def lock_snapshot(self, skus: Sequence[str]) -> ReservationSnapshot:
        """Every stock row of ``skus``, locked in (sku, warehouse) order until the transaction ends."""

    async def lock(self, warehouse_id: str, sku: str) -> StockLevel | None: ...

    async def receive(self, delta: StockDelta, movement_id: str, request_id: str, now: datetime) -> Movement:
        """Add to on_hand, creating the row (and the SKU's control row) on first receipt."""

    async def apply(
        self,
        deltas: Sequence[StockDelta],
        movement_ids: Sequence[str],
        request_id: str,
        now: datetime,
        *,
        lock_first: bool,
    ) -> tuple[Movement, ...]:
        """Apply ``deltas`` by conditional updates and write their ledger rows.

        Returns the ledger rows of the stock rows whose guards held (none may go negative, reserved
        never above on_hand, new holds within available); ``lock_first`` locks the rows in key order first.
        """

    async def levels(self, skus: Sequence[str]) -> Sequence[StockLevel]: ...

    async def level(self, warehouse_id: str, sku: str) -> StockLevel | None: ...

    async def totals(self, skus: Collection[str]) -> Sequence[SkuTotals]: ...

    async def flag_pressure(self, changes: Mapping[str, bool]) -> Collection[str]:
        """Set pressure_high to the given values where it differs; returns the SKUs this call changed."""

    async def sold_out_and_paused(self, skus: Collection[str] | None = None) -> tuple[set[str], set[str]]:
        """SKUs with nothing available in any enabled warehouse, and paused SKUs (of ``skus`` if given)."""

    async def total_available(self, sku: str) -> int: ...

    async def movements(
        self, sku: str | None, warehouse_id: str | None, order_id: str | None, size: int, after: str | None
    ) -> Sequence[Movement]: ...


class ControlRepository(Protocol):
    async def lock_breaker(self, sku: str) -> BreakerState | None: ...

    async def save_breaker(self, state: BreakerState, now: datetime) -> None: ...

    async def resume(self, sku: str, now: datetime) -> bool:
        """Lift the pause if set; True when this call lifted it."""

    async def status(self, sku: str, policy: BreakerPolicy, now: datetime) -> SkuStatus | None: ...

    async def paused(self, skus: Collection[str]) -> set[str]: ...

    async def pressure_flags(self, skus: Collection[str]) -> set[str]: ...


class ReservationRepository(Protocol):
    async def claim(self, reservation: Reservation, request_id: str) -> bool:
        """Insert the reservation row unless the order has one; waits for a concurrent claim to finish."""

    async def claim_and_lock(
        self, reservation: Reservation, request_id: str, skus: Sequence[str]
    ) -> ReservationSnapshot | None:
        """Claim the order for ``reservation`` (as :meth:`claim`) and, only if this call claimed it, lock
        every stock row of ``skus`` in (sku, warehouse) order and return them; None when the order already
        had a reservation. One round trip."""

    async def hold(
        self,
        reservation: Reservation,
        movement_ids: Sequence[str],
        request_id: str,
        now: datetime,
        pressure: Mapping[str, bool],
        result: str,
    ) -> HoldOutcome:
        """Hold the stock of a claimed reservation's lines by guarded updates (each within available),
        write their ledger rows and the reservation's lines, set the pressure flags that should change to
        the values given, and store ``result`` (the encoded answer) under ``request_id`` as
        ``UnitOfWork.remember`` does. One round trip; the caller rolls back unless every line applied."""

    async def claim_many(self, reservations: Sequence[Reservation], request_id: str) -> set[str]:
        """Claim each order for its reservation (as :meth:`claim`, in order id order); returns the order ids
        this call claimed (the others had a reservation)."""

    async def hold_many(
        self,
        reservations: Sequence[Reservation],
        movement_ids: Sequence[str],
        unclaimed: Sequence[str],
        request_id: str,
        now: datetime,
        pressure: Mapping[str, bool],
        result: str,
    ) -> HoldOutcome:
        """:meth:`hold` for many claimed reservations in one round trip (``movement_ids`` one per line, in
        order), deleting the claims ``unclaimed`` (reservation ids of orders that were refused).
        ``applied`` counts the stock rows updated, once each however many lines they fill."""

    async def by_order(self, order_id: str) -> Reservation | None: ...

    async def by_orders(self, order_ids: Collection[str]) -> dict[str, Reservation]: ...

    async def lock(self, order_id: str) -> Reservation | None:
        """The order's reservation with its row and lines locked until the transaction ends (the lines as
        the last committed change left them, even one made while this call waited)."""

    async def move_line(self, reservation_id: str, sku: str, source: str, target: str) -> bool:
        """Point the reservation's line of ``sku`` at warehouse ``target``; False when it is not in ``source``."""

    async def close(self, order_id: str, to: ReservationStatus, now: datetime, reason: str) -> Reservation | None:
        """Move the order's reservation to the final state ``to`` if it is in a state that may move there
        (HELD, or COMMITTED for CONFIRMED and RELEASED); None when it is not (or absent)."""

    async def commit(self, order_id: str, now: datetime) -> Reservation | None:
        """Move the order's HELD reservation to COMMITTED, clearing its expiry; None when it is not HELD."""

    async def expire_due(self, now: datetime, limit: int) -> Sequence[Reservation]:
        """Mark up to ``limit`` HELD reservations past expires_at EXPIRED (skipping rows others hold)."""

    async def page(
        self, order_id: str | None, sku: str | None, status: ReservationStatus | None, size: int, after: str | None
    ) -> Sequence[Reservation]: ...


class InventoryUnitOfWork(Protocol):
    warehouses: WarehouseRepository
    stock: StockRepository
    controls: ControlRepository
    reservations: ReservationRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def commit(self) -> None: ...

    async def replay(self, command: Any, result_type: type[R]) -> R | None: ...

    async def remember(self, command: Any, result: Any) -> None: ...

    def publish(self, *events: DomainEvent) -> None:
        """Queue integration events for the outbox of this transaction."""


class Marker(enum.Enum):
    """A fact the gate keeps about a SKU; a SKU may carry both (paused, and sold out as well)."""

    SOLD_OUT = "SOLD_OUT"
    PAUSED = "PAUSED"


@dataclass(frozen=True)
class GateChanges:
    markers_set: int = 0
    markers_removed: int = 0


class AdmissionGate(Protocol):
    """Markers in front of the database for hot SKUs. Advisory: the database decides, the gate only
    answers early. Every method of a real gate swallows its own outages (and logs them)."""

    enabled: bool

    async def markers(self, skus: Collection[str]) -> dict[str, frozenset[Marker]]:
        """The markers of each of ``skus`` that has any."""

    async def epochs(self, skus: Collection[str]) -> dict[str, int]:
        """Read before the database, so a marker is only set if no clear happened in between."""

    async def mark(self, sku: str, markers: Collection[Marker], epoch: int) -> None:
        """Set ``markers`` on ``sku`` unless its epoch moved past ``epoch``."""

    async def clear(self, skus: Collection[str], marker: Marker) -> None:
        """Remove ``marker`` from ``skus`` (after the commit that made it stale) and bump their epochs."""

    async def replace(self, sold_out: set[str], paused: set[str], epochs: Mapping[str, int]) -> GateChanges:
        """Make the markers exactly these sets, each kind on its own (added only if the epoch is unchanged)."""


class NoGate:
    """The gate when Redis admission is switched off: never answers, never remembers."""

    enabled = False

    async def markers(self, skus: Collection[str]) -> dict[str, frozenset[Marker]]:
        return {}

    async def epochs(self, skus: Collection[str]) -> dict[str, int]:
        return {}

    async def mark(self, sku: str, markers: Collection[Marker], epoch: int) -> None:
        return None

    async def clear(self, skus: Collection[str], marker: Marker) -> None:
        return None

    async def replace(self, sold_out: set[str], paused: set[str], epochs: Mapping[str, int]) -> GateChanges:
        return GateChanges()


Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Dependencies:
    """What handlers need besides the unit of work: time, the gate and the configured rules."""

    clock: Clock
    gate: AdmissionGate = field(default_factory=NoGate)
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)
    pressure: PressurePolicy = field(default_factory=PressurePolicy)
    default_ttl: timedelta = timedelta(minutes=30)
    max_ttl: timedelta = timedelta(days=7)
    sweep_batch_size: int = 500
