"""Handlers of the reservation lifecycle: Reserve, ReserveMany, Commit, Confirm, Release, MoveReservation, and the
expiry sweep."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from itertools import chain

from services.inventory.application.breaker import record_shortage
from services.inventory.application.commands import (
    CommitReservation,
    ConfirmReservation,
    MoveReservation,
    OrderToReserve,
    ReleaseReservation,
    ReservationResult,
    ReserveMany,
    ReserveManyResult,
    ReserveOutcome,
    ReserveRefusal,
    ReserveResult,
    ReserveStock,
)
from services.inventory.application.ports import Dependencies, InventoryUnitOfWork, Marker, ReservationSnapshot
from services.inventory.application.pressure import pressure_after_hold, refresh_pressure
from services.inventory.domain import values
from services.inventory.domain.allocation import AllocationRequest, allocate
from services.inventory.domain.errors import (
    Contention,
    InsufficientStock,
    PausedSku,
    ReservationMismatch,
    ReservationNotFound,
    SkuNotFound,
)
from services.inventory.domain.events import (
    ReservationCommitted,
    ReservationConfirmed,
    ReservationExpired,
    ReservationMoved,
    ReservationReleased,
    StockReserved,
)
from services.inventory.domain.model import (
    MovementType,
    RequestedLine,
    Reservation,
    ReservationLine,
    ReservationStatus,
    StockLevel,
    hold_move,
    merge_lines,
    reservation_deltas,
)
from shared import metrics
from shared.kernel import codec
from shared.kernel.errors import InvalidArgument, OmsError
from shared.kernel.ids import new_id

log = logging.getLogger(__name__)

MAX_LINES = 200
MAX_BATCH_ORDERS = 1000
# The states in which a reservation is for the lines it was made with (a repeat must ask for the same).
_HOLDS_LINES = (ReservationStatus.HELD, ReservationStatus.COMMITTED, ReservationStatus.CONFIRMED)
# Release meets a concurrent Reserve of the same order at most once per attempt; three is plenty.
RELEASE_ATTEMPTS = 3


@dataclass(frozen=True)
class _Reservation:
    """A validated Reserve request."""

    order_id: str
    allocation: AllocationRequest
    ttl: timedelta


def _validated(cmd: ReserveStock | OrderToReserve, deps: Dependencies) -> _Reservation:
    order_id = values.entity_id(cmd.order_id, "order_id")
    if not cmd.lines:
        raise InvalidArgument.field("lines", "must have at least one line")
    if len(cmd.lines) > MAX_LINES:
        raise InvalidArgument.field("lines", f"must have at most {MAX_LINES} lines")
    for i, line in enumerate(cmd.lines):
        values.sku(line.sku, f"lines[{i}].sku")
        values.quantity(line.quantity, f"lines[{i}].quantity")
    lines = merge_lines(cmd.lines)
    for line in lines:
        if line.quantity > values.MAX_QUANTITY:
            first = next(i for i, requested in enumerate(cmd.lines) if requested.sku == line.sku)
            raise InvalidArgument.field(f"lines[{first}].quantity", "lines of one SKU add up to too many units")
    if cmd.ttl_seconds < 0 or cmd.ttl_seconds > deps.max_ttl.total_seconds():
        raise InvalidArgument.field(
            "ttl_seconds", f"must be between 0 (the default) and {int(deps.max_ttl.total_seconds())}"
        )
    ttl = timedelta(seconds=cmd.ttl_seconds) if cmd.ttl_seconds else deps.default_ttl
    preferred = values.optional_id(cmd.preferred_warehouse_id, "preferred_warehouse_id")
    province = values.text(cmd.shipping_province, "shipping_province", max_length=64) or None
    return _Reservation(order_id, AllocationRequest(lines, preferred, province), ttl)


async def reserve_stock(cmd: ReserveStock, uow: InventoryUnitOfWork, deps: Dependencies) -> ReserveResult:
    """Hold every line of an order, all or nothing; the database decides under row locks in SKU order."""
    request = _validated(cmd, deps)
    try:
        if deps.gate.enabled:
            await _admit(request, uow, deps)
        try:
            return await _reserve(cmd, request, uow, deps)
        except InsufficientStock as shortage:
            # The reservation rolled back; the failure is counted in its own short transaction.
            await record_shortage(shortage.sku, uow, deps)
            raise
    except (InsufficientStock, PausedSku) as refused:
        metrics.record_reservation_failure(refused.reason)
        raise


async def _admit(request: _Reservation, uow: InventoryUnitOfWork, deps: Dependencies) -> None:
    """Refuse early what the gate's markers decide, unless the order already reserved.

    A SOLD_OUT marker answers INSUFFICIENT_STOCK without the database (marked paused when the SKU is
    also paused; that refusal is not counted again, the breaker has already tripped). A PAUSED marker
    alone cannot tell a shortage from a pause, so the stock is read, without locks (the answer is a
    refusal either way, so the hot rows are spared). One indexed read of the order's reservation keeps
    Reserve idempotent per order (a repeat must get the first answer, even for a SKU sold out since).
    """
    markers = await deps.gate.markers([line.sku for line in request.allocation.lines])
    if not markers:
        return
    sold_out = [line for line in request.allocation.lines if Marker.SOLD_OUT in markers.get(line.sku, ())]
    snapshot: ReservationSnapshot | None = None
    async with uow:
        if await uow.reservations.by_order(request.order_id) is not None:
            return
        if not sold_out:
            snapshot = await uow.stock.snapshot([line.sku for line in request.allocation.lines])
    if sold_out:
        line = sold_out[0]
        paused = Marker.PAUSED in markers[line.sku]
        if not paused:
            await record_shortage(line.sku, uow, deps)
        raise InsufficientStock(
            line.sku, requested=line.quantity, available=0, available_in_one_warehouse=0, paused=paused
        )
    if snapshot is not None and snapshot.paused:
        try:
            # Always raises here: SKU_NOT_FOUND, INSUFFICIENT_STOCK (marked paused where it is) or SKU_PAUSED.
            allocate(request.allocation, snapshot.levels, snapshot.warehouses, snapshot.paused)
        except InsufficientStock as shortage:
            await record_shortage(shortage.sku, uow, deps)
            raise


async def _reserve(
    cmd: ReserveStock, request: _Reservation, uow: InventoryUnitOfWork, deps: Dependencies
) -> ReserveResult:
    """The database part of Reserve, lean on purpose (it is on the path of every order placed).

    Besides the unit of work's own statements (the idempotency claim, the outbox row at commit) it is two
    round trips: one claims the order and locks its stock rows, one holds the stock, writes the ledger,
    the lines and the idempotent answer, and moves the pressure flags (computed here from the locked
    rows, which are every warehouse's rows of the SKUs, so no read of totals is needed).
    """
    async with uow:
        if (previous := await uow.replay(cmd, ReserveResult)) is not None:
            return previous
        now = deps.clock()
        reservation = Reservation(new_id(), request.order_id, ReservationStatus.HELD, (), now, now + request.ttl)
        skus = [line.sku for line in request.allocation.lines]
        snapshot = await uow.reservations.claim_and_lock(reservation, cmd.request_id, skus)
        if snapshot is None:
            result = ReserveResult(await _existing(request.order_id, request.allocation.lines, uow), created=False)
            await uow.remember(cmd, result)
        else:
            result = await _hold(cmd, request, reservation, snapshot, uow, deps)
        await uow.commit()
    return result


async def _hold(
    cmd: ReserveStock,
    request: _Reservation,
    claimed: Reservation,
    snapshot: ReservationSnapshot,
    uow: InventoryUnitOfWork,
    deps: Dependencies,
) -> ReserveResult:
    """Allocate from the locked rows and hold the stock; the answer is remembered by the same statement."""
    lines = allocate(request.allocation, snapshot.levels, snapshot.warehouses, snapshot.paused)
    reservation = replace(claimed, lines=lines)
    pressure = pressure_after_hold(snapshot, lines, deps.pressure)
    result = ReserveResult(reservation, created=True)
    movement_ids = [new_id() for _ in lines]
    now = claimed.created_at
    outcome = await uow.reservations.hold(
        reservation, movement_ids, cmd.request_id, now, pressure.changes, codec.dumps(result)
    )
    if outcome.applied != len(lines):
        raise Contention(f"stock of order {request.order_id} changed under its locks")
    if not outcome.remembered:
        raise RuntimeError(f"request {cmd.request_id} was not claimed in this transaction")
    uow.publish(StockReserved(reservation), *pressure.alerts(outcome.flipped))
    return result


async def _existing(order_id: str, lines: tuple[RequestedLine, ...], uow: InventoryUnitOfWork) -> Reservation:
    return _repeated(order_id, lines, await uow.reservations.by_order(order_id))


def _repeated(order_id: str, lines: tuple[RequestedLine, ...], existing: Reservation | None) -> Reservation:
    """The answer to a repeated Reserve of an order: its reservation, unless that is for other quantities."""
    if existing is None:
        # claim() saw a committed reservation of this order; it cannot vanish (reservations are never deleted).
        raise Contention(f"the reservation of order {order_id} is not visible yet")
    if existing.status in _HOLDS_LINES and not existing.holds(lines):
        raise ReservationMismatch(order_id, existing.reservation_id)
    return existing


async def reserve_many(cmd: ReserveMany, uow: InventoryUnitOfWork, deps: Dependencies) -> ReserveManyResult:
    """Hold stock for many orders in one transaction, each order all or nothing and on its own.

    The orders are claimed at once (in order id order), the stock rows of every SKU of the batch locked once
    in SKU order (the lock order of Reserve), and each order is decided in memory, in request order, by the
    allocation Reserve uses, against the locked quantities less what earlier orders of the batch took. Then
    one statement holds the stock, writes the ledger and the lines, drops the claims of refused orders and
    stores the answer. Refusals are counted by the breaker after the commit, as Reserve counts its own.
    """
    if not cmd.orders:
        raise InvalidArgument.field("orders", "must have at least one order")
    if len(cmd.orders) > MAX_BATCH_ORDERS:
        raise InvalidArgument.field("orders", f"must have at most {MAX_BATCH_ORDERS} orders")
    requests = [_validated_in_batch(order, i, deps) for i, order in enumerate(cmd.orders)]
    async with uow:
        if (previous := await uow.replay(cmd, ReserveManyResult)) is not None:
            return previous
        result, shortages = await _reserve_batch(cmd, requests, uow, deps)
        await uow.commit()
    await _count_refusals(result, shortages, uow, deps)
    return result


def _validated_in_batch(order: OrderToReserve, index: int, deps: Dependencies) -> _Reservation | ReserveRefusal:
    try:
        return _validated(order, deps)
    except InvalidArgument as invalid:
        return _refusal(invalid, f"orders[{index}].")


def _refusal(error: OmsError, prefix: str = "") -> ReserveRefusal:
    """``error`` as one order's refusal; fields are named from the ReserveMany request (``prefix``)."""
    fields = tuple(prefix + violation.field for violation in error.violations)
    message = "; ".join(f"{prefix}{v.field}: {v.description}" for v in error.violations) or error.message
    return ReserveRefusal(error.kind.value, error.reason, message, dict(error.metadata), fields)


class _LockedStock:
    """The locked stock rows of a batch, less what the orders decided so far took."""

    def __init__(self, levels: Iterable[StockLevel]) -> None:
        self._by_sku: dict[str, list[StockLevel]] = {}
        for level in levels:
            self._by_sku.setdefault(level.sku, []).append(level)

    def of(self, lines: Iterable[RequestedLine]) -> list[StockLevel]:
        return [level for line in lines for level in self._by_sku.get(line.sku, ())]

    def take(self, lines: Iterable[ReservationLine]) -> None:
        for line in lines:
            self._by_sku[line.sku] = [
                replace(level, reserved=level.reserved + line.quantity)
                if level.warehouse_id == line.warehouse_id
                else level
                for level in self._by_sku[line.sku]
            ]


async def _reserve_batch(
    cmd: ReserveMany,
    requests: Sequence[_Reservation | ReserveRefusal],
    uow: InventoryUnitOfWork,
    deps: Dependencies,
) -> tuple[ReserveManyResult, list[str]]:
    """The database part of ReserveMany; returns the answer and the SKU of every shortage, for the breaker."""
    now = deps.clock()
    claims: dict[str, Reservation] = {}
    for request in requests:
        if isinstance(request, _Reservation) and request.order_id not in claims:
            claims[request.order_id] = Reservation(
                new_id(), request.order_id, ReservationStatus.HELD, (), now, now + request.ttl
            )
    claimed = await uow.reservations.claim_many(sorted(claims.values(), key=lambda r: r.order_id), cmd.request_id)
    existing = await uow.reservations.by_orders([order_id for order_id in claims if order_id not in claimed])
    deciding = [r for r in requests if isinstance(r, _Reservation) and r.order_id in claimed]
    skus = sorted({line.sku for request in deciding for line in request.allocation.lines})
    snapshot = await uow.stock.lock_snapshot(skus) if skus else ReservationSnapshot((), {}, frozenset())
    stock = _LockedStock(snapshot.levels)
    held: dict[str, Reservation] = {}
    outcomes: list[ReserveOutcome] = []
    shortages: list[str] = []
    for order, request in zip(cmd.orders, requests, strict=True):
        if isinstance(request, ReserveRefusal):
            outcomes.append(ReserveOutcome(order.order_id, refusal=request))
            continue
        try:
            if request.order_id in held or request.order_id not in claimed:
                previous = held.get(request.order_id) or existing.get(request.order_id)
                reservation = _repeated(request.order_id, request.allocation.lines, previous)
                outcomes.append(ReserveOutcome(order.order_id, reservation, created=False))
                continue
            allocation = request.allocation
            lines = allocate(allocation, stock.of(allocation.lines), snapshot.warehouses, snapshot.paused)
        except (SkuNotFound, InsufficientStock, PausedSku, ReservationMismatch) as refused:
            if isinstance(refused, InsufficientStock):
                shortages.append(refused.sku)
            outcomes.append(ReserveOutcome(order.order_id, refusal=_refusal(refused)))
            continue
        stock.take(lines)
        held[request.order_id] = replace(claims[request.order_id], lines=lines)
        outcomes.append(ReserveOutcome(order.order_id, held[request.order_id], created=True))
    result = ReserveManyResult(tuple(outcomes))
    reservations = list(held.values())
    taken: Counter[tuple[str, str]] = Counter()
    for reservation in reservations:
        for line in reservation.lines:
            taken[(line.sku, line.warehouse_id)] += line.quantity
    pressure = pressure_after_hold(
        snapshot, [ReservationLine(sku, warehouse_id, q) for (sku, warehouse_id), q in taken.items()], deps.pressure
    )
    unclaimed = [claims[order_id].reservation_id for order_id in claimed if order_id not in held]
    movement_ids = [new_id() for reservation in reservations for _ in reservation.lines]
    outcome = await uow.reservations.hold_many(
        reservations, movement_ids, unclaimed, cmd.request_id, now, pressure.changes, codec.dumps(result)
    )
    if outcome.applied != len(taken):
        raise Contention("stock of the batch changed under its locks")
    if not outcome.remembered:
        raise RuntimeError(f"request {cmd.request_id} was not claimed in this transaction")
    uow.publish(*(StockReserved(reservation) for reservation in reservations), *pressure.alerts(outcome.flipped))
    return result, shortages


async def _count_refusals(
    result: ReserveManyResult, shortages: Sequence[str], uow: InventoryUnitOfWork, deps: Dependencies
) -> None:
    """What Reserve's refusals do, after the batch committed: the failure metric, and the breaker and the
    gate's markers told of each shortage. A SKU is counted at most ``threshold`` times per batch: by then
    its breaker has tripped (the failures share one instant) and further counts change nothing."""
    for outcome in result.results:
        if outcome.refusal is not None and outcome.refusal.reason in (InsufficientStock.reason, PausedSku.reason):
            metrics.record_reservation_failure(outcome.refusal.reason)
    for sku, count in sorted(Counter(shortages).items()):
        for _ in range(min(count, deps.breaker.threshold)):
            await record_shortage(sku, uow, deps)


async def commit_reservation(cmd: CommitReservation, uow: InventoryUnitOfWork, deps: Dependencies) -> ReservationResult:
    """Make the hold of a paid order firm: HELD -> COMMITTED, no expiry until it ships or is released.

    The stock stays reserved as it was. A hold past its expiry that the sweeper has not reached yet still
    holds its stock and can be committed; the database decides which of Commit and the sweeper comes first.
    """
    order_id = values.entity_id(cmd.order_id, "order_id")
    async with uow:
        if (previous := await uow.replay(cmd, ReservationResult)) is not None:
            return previous
        committed = await uow.reservations.commit(order_id, deps.clock())
        if committed is None:
            existing = await uow.reservations.by_order(order_id)
            if existing is None:
                raise ReservationNotFound(order_id)
            if existing.needs(ReservationStatus.COMMITTED):
                raise Contention(f"reservation of order {order_id} is held but could not be committed")
            result = ReservationResult(existing)
        else:
            uow.publish(ReservationCommitted(committed))
            result = ReservationResult(committed)
        await uow.remember(cmd, result)
        await uow.commit()
    return result


async def confirm_reservation(
    cmd: ConfirmReservation, uow: InventoryUnitOfWork, deps: Dependencies
) -> ReservationResult:
    """Ship a HELD or COMMITTED reservation: its stock leaves on_hand and reserved."""
    order_id = values.entity_id(cmd.order_id, "order_id")
    async with uow:
        if (previous := await uow.replay(cmd, ReservationResult)) is not None:
            return previous
        now = deps.clock()
        confirmed = await uow.reservations.close(order_id, ReservationStatus.CONFIRMED, now, "")
        if confirmed is None:
            existing = await uow.reservations.by_order(order_id)
            if existing is None:
                raise ReservationNotFound(order_id)
            if existing.needs(ReservationStatus.CONFIRMED):
                raise Contention(f"reservation of order {order_id} is held but could not be confirmed")
            result = ReservationResult(existing)
        else:
            await _move(confirmed, MovementType.SHIPMENT, cmd.request_id, uow, deps)
            uow.publish(ReservationConfirmed(confirmed))
            result = ReservationResult(confirmed)
        await uow.remember(cmd, result)
        await uow.commit()
    return result


async def release_reservation(
    cmd: ReleaseReservation, uow: InventoryUnitOfWork, deps: Dependencies
) -> ReservationResult:
    """Give a HELD or COMMITTED reservation back; a no-op for one already given back, a marker when there is none."""
    order_id = values.entity_id(cmd.order_id, "order_id")
    reason = values.text(cmd.reason, "reason", max_length=values.MAX_REASON_LENGTH)
    released: Reservation | None = None
    async with uow:
        if (previous := await uow.replay(cmd, ReservationResult)) is not None:
            return previous
        now = deps.clock()
        for _ in range(RELEASE_ATTEMPTS):
            released = await uow.reservations.close(order_id, ReservationStatus.RELEASED, now, reason)
            if released is not None:
                await _move(released, MovementType.RELEASE, cmd.request_id, uow, deps, reason)
                uow.publish(ReservationReleased(released))
                result = ReservationResult(released)
                break
            existing = await uow.reservations.by_order(order_id)
            if existing is not None and not existing.needs(ReservationStatus.RELEASED):
                result = ReservationResult(existing)
                break
            if existing is None:
                # Remember the release, so a Reserve arriving late cannot hold stock for a cancelled order.
                marker = Reservation(
                    new_id(), order_id, ReservationStatus.RELEASED, (), now, now, closed_at=now, release_reason=reason
                )
                if await uow.reservations.claim(marker, cmd.request_id):
                    result = ReservationResult(marker)
                    break
        else:
            raise Contention(f"the reservation of order {order_id} kept changing during Release")
        await uow.remember(cmd, result)
        await uow.commit()
    if released is not None:
        await deps.gate.clear({line.sku for line in released.lines}, Marker.SOLD_OUT)
    return result


async def move_reservation(cmd: MoveReservation, uow: InventoryUnitOfWork, deps: Dependencies) -> ReservationResult:
    """Move what a live reservation holds of one SKU to another warehouse, in one transaction.

    Locks are taken in the order every reservation change takes them, the reservation first and then the
    stock rows in (sku, warehouse) order, so a move waits for a concurrent Confirm, Release, expiry or
    Reserve of the same rows instead of deadlocking with it, and decides on settled numbers.
    """
    order_id = values.entity_id(cmd.order_id, "order_id")
    sku = values.sku(cmd.sku)
    source = values.entity_id(cmd.from_warehouse_id, "from_warehouse_id")
    target = values.entity_id(cmd.to_warehouse_id, "to_warehouse_id")
    if target == source:
        raise InvalidArgument.field("to_warehouse_id", "must differ from from_warehouse_id")
    reason = values.text(cmd.reason, "reason", max_length=values.MAX_REASON_LENGTH)
    async with uow:
        if (previous := await uow.replay(cmd, ReservationResult)) is not None:
            return previous
        reservation = await uow.reservations.lock(order_id)
        if reservation is None:
            raise ReservationNotFound(order_id)
        levels: dict[str, StockLevel | None] = {}
        for warehouse_id in sorted((source, target)):
            levels[warehouse_id] = await uow.stock.lock(warehouse_id, sku)
        warehouse = await uow.warehouses.get(target)
        taking = levels[target] if warehouse is not None and not warehouse.disabled else None
        moved, deltas = hold_move(reservation, sku, source, target, taking, reason)
        now = deps.clock()
        applied = await uow.stock.apply(deltas, [new_id() for _ in deltas], cmd.request_id, now, lock_first=False)
        if len(applied) != len(deltas):
            # The rows are locked and the domain checked the move, so a refused guard means a bug, not a race.
            raise Contention(f"stock of {sku} held by order {order_id} changed under its locks")
        if not await uow.reservations.move_line(reservation.reservation_id, sku, source, target):
            raise Contention(f"the reservation of order {order_id} changed under its lock")
        await refresh_pressure(uow, deps, [sku])
        quantity = deltas[1].reserved
        uow.publish(ReservationMoved(moved, sku, quantity, source, target, reason, now))
        result = ReservationResult(moved)
        await uow.remember(cmd, result)
        await uow.commit()
    # The source has stock free again.
    await deps.gate.clear([sku], Marker.SOLD_OUT)
    return result


async def _move(
    reservation: Reservation,
    movement: MovementType,
    request_id: str,
    uow: InventoryUnitOfWork,
    deps: Dependencies,
    reason: str = "",
) -> None:
    deltas = reservation_deltas(reservation, movement, reason)
    if not deltas:
        return
    applied = await uow.stock.apply(deltas, [new_id() for _ in deltas], request_id, deps.clock(), lock_first=True)
    if len(applied) != len(deltas):
        raise Contention(f"stock held by reservation {reservation.reservation_id} is not there")
    await refresh_pressure(uow, deps, {line.sku for line in reservation.lines})


async def expire_reservations(uow: InventoryUnitOfWork, deps: Dependencies) -> int:
    """Release every HELD reservation past its expiry, in batches; returns how many expired."""
    expired_total = 0
    while True:
        async with uow:
            now = deps.clock()
            expired = await uow.reservations.expire_due(now, deps.sweep_batch_size)
            if not expired:
                return expired_total
            deltas = list(chain.from_iterable(reservation_deltas(r, MovementType.EXPIRY, "expired") for r in expired))
            if deltas:
                applied = await uow.stock.apply(deltas, [new_id() for _ in deltas], "", now, lock_first=True)
                if len(applied) != len(deltas):
                    raise Contention("stock held by expiring reservations is not there")
            skus = {line.sku for r in expired for line in r.lines}
            await refresh_pressure(uow, deps, skus)
            uow.publish(*(ReservationExpired(r) for r in expired))
            await uow.commit()
        expired_total += len(expired)
        log.info("expired %d reservations", len(expired))
        await deps.gate.clear(skus, Marker.SOLD_OUT)
        if len(expired) < deps.sweep_batch_size:
            return expired_total
