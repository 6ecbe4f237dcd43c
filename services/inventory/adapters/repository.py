"""PostgreSQL repositories of the inventory context; every stock change is a guarded single statement."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.inventory.adapters.tables import (
    reservation_lines,
    reservations,
    sku_controls,
    stock_movements,
    warehouses,
)
from services.inventory.application.ports import BreakerState, HoldOutcome, ReservationSnapshot, SkuTotals
from services.inventory.domain.model import (
    Movement,
    MovementType,
    Reservation,
    ReservationLine,
    ReservationStatus,
    SkuStatus,
    StockDelta,
    StockLevel,
    Warehouse,
    sources,
)
from services.inventory.domain.rules import BreakerPolicy


def _id(value: Any) -> str | None:
    """asyncpg hands uuid columns of textual SQL back as UUID objects; the domain speaks strings."""
    if value is None:
        return None
    return str(value) if isinstance(value, uuid.UUID) else value


def _warehouse(row: Row[Any]) -> Warehouse:
    return Warehouse(
        warehouse_id=_id(row.id) or "",
        code=row.code,
        name=row.name,
        provinces=tuple(row.provinces),
        disabled=row.disabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _level(row: Row[Any]) -> StockLevel:
    return StockLevel(_id(row.warehouse_id) or "", row.sku, row.on_hand, row.reserved, row.safety_stock, row.updated_at)


def _snapshot(rows: Sequence[Row[Any]]) -> ReservationSnapshot:
    """Stock rows joined with their warehouse and the SKU's paused flag, as the allocation needs them."""
    found = {
        _id(row.warehouse_id) or "": Warehouse(
            _id(row.warehouse_id) or "",
            row.code,
            row.name,
            tuple(row.provinces),
            row.disabled,
            row.created_at,
            row.w_updated_at,
        )
        for row in rows
    }
    return ReservationSnapshot(
        levels=tuple(_level(row) for row in rows),
        warehouses=found,
        paused=frozenset(row.sku for row in rows if row.paused),
        pressure_high=frozenset(row.sku for row in rows if row.pressure_high),
    )


def _movement(row: Row[Any]) -> Movement:
    return Movement(
        movement_id=_id(row.id) or "",
        warehouse_id=_id(row.warehouse_id) or "",
        sku=row.sku,
        type=MovementType(row.type),
        on_hand_delta=row.on_hand_delta,
        reserved_delta=row.reserved_delta,
        on_hand_after=row.on_hand_after,
        reserved_after=row.reserved_after,
        safety_stock_after=row.safety_stock_after,
        reason=row.reason,
        reference=row.reference,
        order_id=_id(row.order_id),
        reservation_id=_id(row.reservation_id),
        request_id=row.request_id,
        occurred_at=row.occurred_at,
    )


def _reservations(rows: Sequence[Row[Any]]) -> list[Reservation]:
    """Fold rows of a reservation LEFT JOIN its lines (line columns prefixed line_) into reservations."""
    found: dict[str, Reservation] = {}
    lines: dict[str, list[ReservationLine]] = {}
    for row in rows:
        reservation_id = _id(row.id) or ""
        if reservation_id not in found:
            found[reservation_id] = Reservation(
                reservation_id=reservation_id,
                order_id=_id(row.order_id) or "",
                status=ReservationStatus(row.status),
                lines=(),
                created_at=row.created_at,
                expires_at=row.expires_at,
                closed_at=row.closed_at,
                release_reason=row.release_reason,
                committed_at=row.committed_at,
            )
            lines[reservation_id] = []
        if row.line_sku is not None:
            lines[reservation_id].append(
                ReservationLine(row.line_sku, _id(row.line_warehouse_id) or "", row.line_quantity)
            )
    return [replace(r, lines=tuple(sorted(lines[r.reservation_id], key=lambda line: line.sku))) for r in found.values()]


_RESERVATION_WITH_LINE = """
SELECT r.id, r.order_id, r.status, r.created_at, r.expires_at, r.closed_at, r.release_reason, r.committed_at,
       l.sku AS line_sku, l.warehouse_id AS line_warehouse_id, l.quantity AS line_quantity
"""
_WITH_LINES = _RESERVATION_WITH_LINE + "FROM {source} r LEFT JOIN reservation_lines l ON l.reservation_id = r.id\n"

# The same for reservations the statement has just locked or changed, their lines read FOR SHARE: a line that
# a move changed after the statement began (while it waited for the reservation's row) is then read as the
# move left it, because READ COMMITTED re-reads the newest version of a row it must lock, where a plain join
# would read the statement's older snapshot and give back, ship or announce stock where it no longer is.
_WITH_LOCKED_LINES = (
    _RESERVATION_WITH_LINE
    + """FROM {source} r LEFT JOIN LATERAL (
  SELECT sku, warehouse_id, quantity FROM reservation_lines WHERE reservation_id = r.id FOR SHARE
) l ON true
"""
)


class SqlWarehouses:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def upsert(self, warehouse: Warehouse) -> tuple[Warehouse, bool]:
        row = (
            await self._session.execute(
                text(
                    "INSERT INTO warehouses (id, code, name, provinces, disabled, created_at, updated_at)"
                    " VALUES (:id, :code, :name, :provinces, :disabled, :now, :now)"
                    " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, provinces = EXCLUDED.provinces,"
                    " disabled = EXCLUDED.disabled, updated_at = EXCLUDED.updated_at"
                    " RETURNING *, (xmax = 0) AS created"
                ),
                {
                    "id": warehouse.warehouse_id,
                    "code": warehouse.code,
                    "name": warehouse.name,
                    "provinces": list(warehouse.provinces),
                    "disabled": warehouse.disabled,
                    "now": warehouse.updated_at,
                },
            )
        ).one()
        return _warehouse(row), row.created

    async def get(self, warehouse_id: str) -> Warehouse | None:
        row = (await self._session.execute(select(warehouses).where(warehouses.c.id == warehouse_id))).first()
        return _warehouse(row) if row is not None else None

    async def page(self, size: int, after: str | None) -> Sequence[Warehouse]:
        query = select(warehouses).order_by(warehouses.c.code).limit(size)
        if after is not None:
            query = query.where(warehouses.c.code > after)
        return [_warehouse(row) for row in await self._session.execute(query)]


# Applies many deltas in one round trip: deltas are summed per stock row for the guarded UPDATE (a row
# joined twice would be updated once), and each delta still gets its own ledger row, whose "after"
# values subtract the deltas that come later in the list for the same row.
_APPLY = text(
    """
WITH d AS (
  SELECT * FROM unnest(
    CAST(:ord AS int[]), CAST(:ids AS uuid[]), CAST(:warehouse_ids AS uuid[]), CAST(:skus AS text[]),
    CAST(:types AS text[]), CAST(:on_hand AS bigint[]), CAST(:reserved AS bigint[]), CAST(:safety AS bigint[]),
    CAST(:reasons AS text[]), CAST(:refs AS text[]), CAST(:order_ids AS uuid[]), CAST(:reservation_ids AS uuid[])
  ) AS d(ord, id, warehouse_id, sku, type, dh, dr, ds, reason, reference, order_id, reservation_id)
), agg AS (
  SELECT warehouse_id, sku, sum(dh)::bigint AS dh, sum(dr)::bigint AS dr, sum(ds)::bigint AS ds
  FROM d GROUP BY warehouse_id, sku
), upd AS (
  UPDATE stock_items s
  SET on_hand = s.on_hand + agg.dh, reserved = s.reserved + agg.dr, safety_stock = s.safety_stock + agg.ds,
      updated_at = :now
  FROM agg
  WHERE s.warehouse_id = agg.warehouse_id AND s.sku = agg.sku
    AND s.on_hand + agg.dh >= s.reserved + agg.dr
    AND s.reserved + agg.dr >= 0
    AND s.safety_stock + agg.ds >= 0
    AND (agg.dr <= 0 OR s.on_hand + agg.dh - s.reserved - agg.dr - s.safety_stock - agg.ds >= 0)
  RETURNING s.warehouse_id, s.sku, s.on_hand, s.reserved, s.safety_stock
)
INSERT INTO stock_movements (id, warehouse_id, sku, type, on_hand_delta, reserved_delta, on_hand_after,
                             reserved_after, safety_stock_after, reason, reference, order_id, reservation_id,
                             request_id, occurred_at)
SELECT d.id, d.warehouse_id, d.sku, d.type, d.dh, d.dr,
       upd.on_hand - coalesce(sum(d.dh) OVER later, 0),
       upd.reserved - coalesce(sum(d.dr) OVER later, 0),
       upd.safety_stock - coalesce(sum(d.ds) OVER later, 0),
       d.reason, d.reference, d.order_id, d.reservation_id, :request_id, :now
FROM d JOIN upd ON upd.warehouse_id = d.warehouse_id AND upd.sku = d.sku
WINDOW later AS (PARTITION BY d.warehouse_id, d.sku ORDER BY d.ord ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
RETURNING *
"""
)

_RECEIVE = text(
    """
WITH upd AS (
  INSERT INTO stock_items (sku, warehouse_id, on_hand, reserved, safety_stock, updated_at)
  VALUES (:sku, :warehouse_id, :quantity, 0, 0, :now)
  ON CONFLICT (sku, warehouse_id)
  DO UPDATE SET on_hand = stock_items.on_hand + EXCLUDED.on_hand, updated_at = EXCLUDED.updated_at
  RETURNING warehouse_id, sku, on_hand, reserved, safety_stock
), control AS (
  INSERT INTO sku_controls (sku, paused, recent_failures, pressure_high, updated_at)
  VALUES (:sku, false, '{}', false, :now)
  ON CONFLICT (sku) DO NOTHING
)
INSERT INTO stock_movements (id, warehouse_id, sku, type, on_hand_delta, reserved_delta, on_hand_after,
                             reserved_after, safety_stock_after, reason, reference, order_id, reservation_id,
                             request_id, occurred_at)
SELECT :id, warehouse_id, sku, :type, :quantity, 0, on_hand, reserved, safety_stock, :reason, :reference,
       :order_id, NULL, :request_id, :now
FROM upd
RETURNING *
"""
)

# The columns a reservation's allocation needs: every warehouse row of the SKUs, the warehouse, and the
# SKU's controls (paused, pressure flag).
_RESERVATION_ROWS = """
SELECT s.warehouse_id, s.sku, s.on_hand, s.reserved, s.safety_stock, s.updated_at,
       w.code, w.name, w.provinces, w.disabled, w.created_at, w.updated_at AS w_updated_at,
       coalesce(c.paused, false) AS paused, coalesce(c.pressure_high, false) AS pressure_high
FROM stock_items s JOIN warehouses w ON w.id = s.warehouse_id LEFT JOIN sku_controls c ON c.sku = s.sku
WHERE s.sku = ANY(CAST(:skus AS text[]))
"""

_SNAPSHOT = text(_RESERVATION_ROWS + "ORDER BY s.sku, s.warehouse_id")

# Claims the order and, only when this statement claimed it, locks every warehouse row of the SKUs in
# (sku, warehouse) order: two reservations touching the same SKUs queue up instead of deadlocking, and the
# choice of warehouse sees settled numbers. ON CONFLICT waits for a concurrent claim of the same order to
# commit or roll back, so exactly one Reserve per order goes on to take stock, and a repeat locks nothing.
_CLAIM_AND_LOCK = text(
    """
WITH claimed AS (
  INSERT INTO reservations (id, order_id, status, created_at, expires_at, closed_at, release_reason, request_id)
  VALUES (:id, :order_id, :status, :created_at, :expires_at, NULL, '', :request_id)
  ON CONFLICT (order_id) DO NOTHING RETURNING id
)"""
    + _RESERVATION_ROWS
    + "AND EXISTS (SELECT 1 FROM claimed) ORDER BY s.sku, s.warehouse_id FOR NO KEY UPDATE OF s"
)

# Holds a claimed reservation's stock in one round trip: the guarded updates (a new hold stays within
# available; each line is its own stock row, lines being one per SKU), the ledger rows with the state each
# update left, the reservation's lines, the pressure flags that change (only where they differ, so of
# two transactions seeing the same rise one announces it), and the answer under the request's idempotency
# key, which UnitOfWork.replay claimed in this transaction (what UnitOfWork.remember would write, folded
# in to spare Reserve a round trip).
_HOLD = text(
    """
WITH d AS (
  SELECT * FROM unnest(
    CAST(:ids AS uuid[]), CAST(:warehouse_ids AS uuid[]), CAST(:skus AS text[]), CAST(:quantities AS bigint[])
  ) AS d(id, warehouse_id, sku, quantity)
), upd AS (
  UPDATE stock_items s SET reserved = s.reserved + d.quantity, updated_at = :now
  FROM d
  WHERE s.warehouse_id = d.warehouse_id AND s.sku = d.sku AND s.on_hand - s.reserved - s.safety_stock >= d.quantity
  RETURNING s.warehouse_id, s.sku, s.on_hand, s.reserved, s.safety_stock
), ledger AS (
  INSERT INTO stock_movements (id, warehouse_id, sku, type, on_hand_delta, reserved_delta, on_hand_after,
                               reserved_after, safety_stock_after, reason, reference, order_id, reservation_id,
                               request_id, occurred_at)
  SELECT d.id, d.warehouse_id, d.sku, :type, 0, d.quantity, upd.on_hand, upd.reserved, upd.safety_stock, '', '',
         CAST(:order_id AS uuid), CAST(:reservation_id AS uuid), :request_id, :now
  FROM d JOIN upd ON upd.warehouse_id = d.warehouse_id AND upd.sku = d.sku
  RETURNING 1
), lines AS (
  INSERT INTO reservation_lines (reservation_id, sku, warehouse_id, quantity)
  SELECT CAST(:reservation_id AS uuid), d.sku, d.warehouse_id, d.quantity FROM d
), flags AS (
  UPDATE sku_controls c SET pressure_high = f.high, updated_at = :now
  FROM unnest(CAST(:flag_skus AS text[]), CAST(:flag_highs AS boolean[])) AS f(sku, high)
  WHERE c.sku = f.sku AND c.pressure_high <> f.high
  RETURNING c.sku
), remembered AS (
  UPDATE idempotency_keys SET result = :result WHERE request_id = :request_id RETURNING 1
)
SELECT (SELECT count(*) FROM ledger) AS applied, ARRAY(SELECT sku FROM flags) AS flipped,
       EXISTS (SELECT 1 FROM remembered) AS remembered
"""
)

# Locks every warehouse row of the SKUs in (sku, warehouse) order, as _CLAIM_AND_LOCK does for one order.
_LOCK_SNAPSHOT = text(_RESERVATION_ROWS + "ORDER BY s.sku, s.warehouse_id FOR NO KEY UPDATE OF s")

# Claims many orders at once, in order id order, so two batches sharing orders queue up instead of deadlocking.
_CLAIM_MANY = text(
    """
INSERT INTO reservations (id, order_id, status, created_at, expires_at, closed_at, release_reason, request_id)
SELECT r.id, r.order_id, :status, :created_at, r.expires_at, NULL, '', :request_id
FROM unnest(CAST(:ids AS uuid[]), CAST(:order_ids AS uuid[]), CAST(:expires AS timestamptz[]))
     AS r(id, order_id, expires_at)
ORDER BY r.order_id
ON CONFLICT (order_id) DO NOTHING RETURNING order_id
"""
)

# _HOLD for the reservations of a batch: lines are summed per stock row for the guarded update (several
# orders may take from one row), each line still gets its own ledger row, whose reserved_after subtracts
# the lines that come later in the batch for the same row (as _APPLY does). The claims of refused orders
# are deleted by the same statement.
_HOLD_MANY = text(
    """
WITH d AS (
  SELECT * FROM unnest(
    CAST(:ord AS int[]), CAST(:ids AS uuid[]), CAST(:reservation_ids AS uuid[]), CAST(:order_ids AS uuid[]),
    CAST(:warehouse_ids AS uuid[]), CAST(:skus AS text[]), CAST(:quantities AS bigint[])
  ) AS d(ord, id, reservation_id, order_id, warehouse_id, sku, quantity)
), agg AS (
  SELECT warehouse_id, sku, sum(quantity)::bigint AS quantity FROM d GROUP BY warehouse_id, sku
), upd AS (
  UPDATE stock_items s SET reserved = s.reserved + agg.quantity, updated_at = :now
  FROM agg
  WHERE s.warehouse_id = agg.warehouse_id AND s.sku = agg.sku
    AND s.on_hand - s.reserved - s.safety_stock >= agg.quantity
  RETURNING s.warehouse_id, s.sku, s.on_hand, s.reserved, s.safety_stock
), ledger AS (
  INSERT INTO stock_movements (id, warehouse_id, sku, type, on_hand_delta, reserved_delta, on_hand_after,
                               reserved_after, safety_stock_after, reason, reference, order_id, reservation_id,
                               request_id, occurred_at)
  SELECT d.id, d.warehouse_id, d.sku, :type, 0, d.quantity, upd.on_hand,
         upd.reserved - coalesce(sum(d.quantity) OVER later, 0), upd.safety_stock, '', '',
         d.order_id, d.reservation_id, :request_id, :now
  FROM d JOIN upd ON upd.warehouse_id = d.warehouse_id AND upd.sku = d.sku
  WINDOW later AS (PARTITION BY d.warehouse_id, d.sku ORDER BY d.ord ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
  RETURNING 1
), lines AS (
  INSERT INTO reservation_lines (reservation_id, sku, warehouse_id, quantity)
  SELECT d.reservation_id, d.sku, d.warehouse_id, d.quantity FROM d
), unclaimed AS (
  DELETE FROM reservations WHERE id = ANY(CAST(:unclaimed AS uuid[]))
), flags AS (
  UPDATE sku_controls c SET pressure_high = f.high, updated_at = :now
  FROM unnest(CAST(:flag_skus AS text[]), CAST(:flag_highs AS boolean[])) AS f(sku, high)
  WHERE c.sku = f.sku AND c.pressure_high <> f.high
  RETURNING c.sku
), remembered AS (
  UPDATE idempotency_keys SET result = :result WHERE request_id = :request_id RETURNING 1
)
SELECT (SELECT count(*) FROM upd) AS applied, ARRAY(SELECT sku FROM flags) AS flipped,
       EXISTS (SELECT 1 FROM remembered) AS remembered
"""
)

# Available stock of enabled warehouses, the quantity a new reservation could take.
_AVAILABLE = "CASE WHEN w.disabled THEN 0 ELSE greatest(s.on_hand - s.reserved - s.safety_stock, 0) END"


class SqlStock:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def snapshot(self, skus: Sequence[str]) -> ReservationSnapshot:
        rows = (await self._session.execute(_SNAPSHOT, {"skus": list(skus)})).all()
        return _snapshot(rows)

    async def lock_snapshot(self, skus: Sequence[str]) -> ReservationSnapshot:
        rows = (await self._session.execute(_LOCK_SNAPSHOT, {"skus": list(skus)})).all()
        return _snapshot(rows)

    async def lock(self, warehouse_id: str, sku: str) -> StockLevel | None:
        row = (
            await self._session.execute(
                text("SELECT * FROM stock_items WHERE sku = :sku AND warehouse_id = :warehouse_id FOR NO KEY UPDATE"),
                {"sku": sku, "warehouse_id": warehouse_id},
            )
        ).first()
        return _level(row) if row is not None else None

    async def receive(self, delta: StockDelta, movement_id: str, request_id: str, now: datetime) -> Movement:
        row = (
            await self._session.execute(
                _RECEIVE,
                {
                    "sku": delta.sku,
                    "warehouse_id": delta.warehouse_id,
                    "quantity": delta.on_hand,
                    "now": now,
                    "id": movement_id,
                    "type": delta.type.value,
                    "reason": delta.reason,
                    "reference": delta.reference,
                    "order_id": delta.order_id,
                    "request_id": request_id,
                },
            )
        ).one()
        return _movement(row)

    async def apply(
        self,
        deltas: Sequence[StockDelta],
        movement_ids: Sequence[str],
        request_id: str,
        now: datetime,
        *,
        lock_first: bool,
    ) -> tuple[Movement, ...]:
        if not deltas:
            return ()
        if lock_first:
            keys = sorted({(d.sku, d.warehouse_id) for d in deltas})
            await self._session.execute(
                text(
                    "SELECT 1 FROM stock_items s"
                    " JOIN unnest(CAST(:skus AS text[]), CAST(:warehouse_ids AS uuid[])) AS k(sku, warehouse_id)"
                    " ON s.sku = k.sku AND s.warehouse_id = k.warehouse_id"
                    " ORDER BY s.sku, s.warehouse_id FOR NO KEY UPDATE OF s"
                ),
                {"skus": [k[0] for k in keys], "warehouse_ids": [k[1] for k in keys]},
            )
        rows = (
            await self._session.execute(
                _APPLY,
                {
                    "ord": list(range(len(deltas))),
                    "ids": list(movement_ids),
                    "warehouse_ids": [d.warehouse_id for d in deltas],
                    "skus": [d.sku for d in deltas],
                    "types": [d.type.value for d in deltas],
                    "on_hand": [d.on_hand for d in deltas],
                    "reserved": [d.reserved for d in deltas],
                    "safety": [d.safety_stock for d in deltas],
                    "reasons": [d.reason for d in deltas],
                    "refs": [d.reference for d in deltas],
                    "order_ids": [d.order_id for d in deltas],
                    "reservation_ids": [d.reservation_id for d in deltas],
                    "request_id": request_id,
                    "now": now,
                },
            )
        ).all()
        by_id = {m.movement_id: m for m in map(_movement, rows)}
        return tuple(by_id[i] for i in movement_ids if i in by_id)

    async def levels(self, skus: Sequence[str]) -> Sequence[StockLevel]:
        rows = await self._session.execute(
            text("SELECT * FROM stock_items WHERE sku = ANY(CAST(:skus AS text[])) ORDER BY sku, warehouse_id"),
            {"skus": list(skus)},
        )
        return [_level(row) for row in rows]

    async def level(self, warehouse_id: str, sku: str) -> StockLevel | None:
        row = (
            await self._session.execute(
                text("SELECT * FROM stock_items WHERE sku = :sku AND warehouse_id = :warehouse_id"),
                {"sku": sku, "warehouse_id": warehouse_id},
            )
        ).first()
        return _level(row) if row is not None else None

    async def totals(self, skus: Collection[str]) -> Sequence[SkuTotals]:
        rows = await self._session.execute(
            text(
                "SELECT c.sku, c.pressure_high, coalesce(sum(s.reserved), 0) AS reserved,"
                " coalesce(sum(greatest(s.on_hand - s.reserved - s.safety_stock, 0)), 0) AS available"
                " FROM sku_controls c LEFT JOIN stock_items s ON s.sku = c.sku"
                " WHERE c.sku = ANY(CAST(:skus AS text[])) GROUP BY c.sku, c.pressure_high"
            ),
            {"skus": list(skus)},
        )
        return [SkuTotals(row.sku, int(row.reserved), int(row.available), row.pressure_high) for row in rows]

    async def flag_pressure(self, changes: Mapping[str, bool]) -> Collection[str]:
        ordered = sorted(changes)
        await self._session.execute(
            text("SELECT 1 FROM sku_controls WHERE sku = ANY(CAST(:skus AS text[])) ORDER BY sku FOR NO KEY UPDATE"),
            {"skus": ordered},
        )
        rows = await self._session.execute(
            text(
                "UPDATE sku_controls c SET pressure_high = v.high, updated_at = now()"
                " FROM unnest(CAST(:skus AS text[]), CAST(:highs AS boolean[])) AS v(sku, high)"
                " WHERE c.sku = v.sku AND c.pressure_high <> v.high RETURNING c.sku"
            ),
            {"skus": ordered, "highs": [changes[sku] for sku in ordered]},
        )
        return {row.sku for row in rows}

    async def sold_out_and_paused(self, skus: Collection[str] | None = None) -> tuple[set[str], set[str]]:
        among = " WHERE s.sku = ANY(CAST(:skus AS text[]))" if skus is not None else ""
        parameters = {"skus": list(skus)} if skus is not None else {}
        sold_out = await self._session.execute(
            text(
                "SELECT s.sku FROM stock_items s JOIN warehouses w ON w.id = s.warehouse_id"
                f"{among} GROUP BY s.sku HAVING sum({_AVAILABLE}) = 0"
            ),
            parameters,
        )
        paused = await self._session.execute(
            text(f"SELECT sku FROM sku_controls s WHERE paused{among.replace(' WHERE', ' AND')}"), parameters
        )
        return {row.sku for row in sold_out}, {row.sku for row in paused}

    async def total_available(self, sku: str) -> int:
        value = await self._session.scalar(
            text(
                f"SELECT coalesce(sum({_AVAILABLE}), 0) FROM stock_items s"
                " JOIN warehouses w ON w.id = s.warehouse_id WHERE s.sku = :sku"
            ),
            {"sku": sku},
        )
        return int(value or 0)

    async def movements(
        self, sku: str | None, warehouse_id: str | None, order_id: str | None, size: int, after: str | None
    ) -> Sequence[Movement]:
        conditions = []
        if sku is not None:
            conditions.append(stock_movements.c.sku == sku)
        if warehouse_id is not None:
            conditions.append(stock_movements.c.warehouse_id == warehouse_id)
        if order_id is not None:
            conditions.append(stock_movements.c.order_id == order_id)
        if after is not None:
            conditions.append(stock_movements.c.id < after)
        query = select(stock_movements).where(and_(True, *conditions)).order_by(stock_movements.c.id.desc())
        return [_movement(row) for row in await self._session.execute(query.limit(size))]


class SqlControls:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock_breaker(self, sku: str) -> BreakerState | None:
        row = (
            await self._session.execute(
                text(
                    "SELECT sku, paused, paused_at, recent_failures FROM sku_controls"
                    " WHERE sku = :sku FOR NO KEY UPDATE"
                ),
                {"sku": sku},
            )
        ).first()
        if row is None:
            return None
        return BreakerState(row.sku, row.paused, row.paused_at, tuple(row.recent_failures))

    async def save_breaker(self, state: BreakerState, now: datetime) -> None:
        await self._session.execute(
            sku_controls.update()
            .where(sku_controls.c.sku == state.sku)
            .values(
                paused=state.paused,
                paused_at=state.paused_at,
                recent_failures=list(state.recent_failures),
                updated_at=now,
            )
        )

    async def resume(self, sku: str, now: datetime) -> bool:
        row = (
            await self._session.execute(
                sku_controls.update()
                .where(sku_controls.c.sku == sku, sku_controls.c.paused)
                .values(paused=False, paused_at=None, recent_failures=[], updated_at=now)
                .returning(sku_controls.c.sku)
            )
        ).first()
        return row is not None

    async def status(self, sku: str, policy: BreakerPolicy, now: datetime) -> SkuStatus | None:
        row = (await self._session.execute(select(sku_controls).where(sku_controls.c.sku == sku))).first()
        if row is None:
            return None
        return SkuStatus(sku, row.paused, row.paused_at, len(policy.recent(tuple(row.recent_failures), now)))

    async def paused(self, skus: Collection[str]) -> set[str]:
        rows = await self._session.execute(
            select(sku_controls.c.sku).where(sku_controls.c.sku.in_(list(skus)), sku_controls.c.paused)
        )
        return {row.sku for row in rows}

    async def pressure_flags(self, skus: Collection[str]) -> set[str]:
        rows = await self._session.execute(
            select(sku_controls.c.sku).where(sku_controls.c.sku.in_(list(skus)), sku_controls.c.pressure_high)
        )
        return {row.sku for row in rows}


class SqlReservations:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, reservation: Reservation, request_id: str) -> bool:
        # ON CONFLICT waits for a concurrent claim of the same order to commit or roll back, so exactly
        # one Reserve per order goes on to take stock.
        row = (
            await self._session.execute(
                text(
                    "INSERT INTO reservations (id, order_id, status, created_at, expires_at, closed_at,"
                    " release_reason, request_id)"
                    " VALUES (:id, :order_id, :status, :created_at, :expires_at, :closed_at, :reason, :request_id)"
                    " ON CONFLICT (order_id) DO NOTHING RETURNING id"
                ),
                {
                    "id": reservation.reservation_id,
                    "order_id": reservation.order_id,
                    "status": reservation.status.value,
                    "created_at": reservation.created_at,
                    "expires_at": reservation.expires_at,
                    "closed_at": reservation.closed_at,
                    "reason": reservation.release_reason,
                    "request_id": request_id,
                },
            )
        ).first()
        return row is not None

    async def claim_and_lock(
        self, reservation: Reservation, request_id: str, skus: Sequence[str]
    ) -> ReservationSnapshot | None:
        rows = (
            await self._session.execute(
                _CLAIM_AND_LOCK,
                {
                    "id": reservation.reservation_id,
                    "order_id": reservation.order_id,
                    "status": reservation.status.value,
                    "created_at": reservation.created_at,
                    "expires_at": reservation.expires_at,
                    "request_id": request_id,
                    "skus": list(skus),
                },
            )
        ).all()
        if rows:
            return _snapshot(rows)
        # No rows: either the order had a reservation, or none of the SKUs is stocked (rare; one more read).
        claimed = await self._session.scalar(
            select(reservations.c.id).where(
                reservations.c.order_id == reservation.order_id, reservations.c.id == reservation.reservation_id
            )
        )
        return _snapshot(()) if claimed is not None else None

    async def hold(
        self,
        reservation: Reservation,
        movement_ids: Sequence[str],
        request_id: str,
        now: datetime,
        pressure: Mapping[str, bool],
        result: str,
    ) -> HoldOutcome:
        flags = sorted(pressure)
        row = (
            await self._session.execute(
                _HOLD,
                {
                    "ids": list(movement_ids),
                    "warehouse_ids": [line.warehouse_id for line in reservation.lines],
                    "skus": [line.sku for line in reservation.lines],
                    "quantities": [line.quantity for line in reservation.lines],
                    "type": MovementType.RESERVATION.value,
                    "order_id": reservation.order_id,
                    "reservation_id": reservation.reservation_id,
                    "request_id": request_id,
                    "now": now,
                    "flag_skus": flags,
                    "flag_highs": [pressure[sku] for sku in flags],
                    "result": result,
                },
            )
        ).one()
        return HoldOutcome(applied=int(row.applied), flipped=frozenset(row.flipped), remembered=row.remembered)

    async def claim_many(self, reservations: Sequence[Reservation], request_id: str) -> set[str]:
        if not reservations:
            return set()
        rows = await self._session.execute(
            _CLAIM_MANY,
            {
                "ids": [r.reservation_id for r in reservations],
                "order_ids": [r.order_id for r in reservations],
                "expires": [r.expires_at for r in reservations],
                "status": ReservationStatus.HELD.value,
                "created_at": reservations[0].created_at,
                "request_id": request_id,
            },
        )
        return {_id(row.order_id) or "" for row in rows}

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
        lines = [(r, line) for r in reservations for line in r.lines]
        flags = sorted(pressure)
        row = (
            await self._session.execute(
                _HOLD_MANY,
                {
                    "ord": list(range(len(lines))),
                    "ids": list(movement_ids),
                    "reservation_ids": [r.reservation_id for r, _ in lines],
                    "order_ids": [r.order_id for r, _ in lines],
                    "warehouse_ids": [line.warehouse_id for _, line in lines],
                    "skus": [line.sku for _, line in lines],
                    "quantities": [line.quantity for _, line in lines],
                    "unclaimed": list(unclaimed),
                    "type": MovementType.RESERVATION.value,
                    "request_id": request_id,
                    "now": now,
                    "flag_skus": flags,
                    "flag_highs": [pressure[sku] for sku in flags],
                    "result": result,
                },
            )
        ).one()
        return HoldOutcome(applied=int(row.applied), flipped=frozenset(row.flipped), remembered=row.remembered)

    async def by_orders(self, order_ids: Collection[str]) -> dict[str, Reservation]:
        if not order_ids:
            return {}
        rows = (
            await self._session.execute(
                text(_WITH_LINES.format(source="reservations") + " WHERE r.order_id = ANY(CAST(:order_ids AS uuid[]))"),
                {"order_ids": list(order_ids)},
            )
        ).all()
        return {r.order_id: r for r in _reservations(rows)}

    async def by_order(self, order_id: str) -> Reservation | None:
        rows = (
            await self._session.execute(
                text(_WITH_LINES.format(source="reservations") + " WHERE r.order_id = :order_id"),
                {"order_id": order_id},
            )
        ).all()
        found = _reservations(rows)
        return found[0] if found else None

    async def lock(self, order_id: str) -> Reservation | None:
        rows = (
            await self._session.execute(
                text(
                    "WITH locked AS (SELECT * FROM reservations WHERE order_id = :order_id FOR NO KEY UPDATE)"
                    + _WITH_LOCKED_LINES.format(source="locked")
                ),
                {"order_id": order_id},
            )
        ).all()
        found = _reservations(rows)
        return found[0] if found else None

    async def move_line(self, reservation_id: str, sku: str, source: str, target: str) -> bool:
        row = (
            await self._session.execute(
                update(reservation_lines)
                .where(
                    reservation_lines.c.reservation_id == reservation_id,
                    reservation_lines.c.sku == sku,
                    reservation_lines.c.warehouse_id == source,
                )
                .values(warehouse_id=target)
                .returning(reservation_lines.c.sku)
            )
        ).first()
        return row is not None

    async def close(self, order_id: str, to: ReservationStatus, now: datetime, reason: str) -> Reservation | None:
        rows = (
            await self._session.execute(
                text(
                    "WITH closed AS (UPDATE reservations SET status = :to, closed_at = :now, release_reason = :reason"
                    " WHERE order_id = :order_id AND status = ANY(CAST(:sources AS text[])) RETURNING *)"
                    + _WITH_LOCKED_LINES.format(source="closed")
                ),
                {
                    "order_id": order_id,
                    "to": to.value,
                    "now": now,
                    "reason": reason,
                    "sources": sorted(status.value for status in sources(to)),
                },
            )
        ).all()
        found = _reservations(rows)
        return found[0] if found else None

    async def commit(self, order_id: str, now: datetime) -> Reservation | None:
        rows = (
            await self._session.execute(
                text(
                    "WITH committed AS (UPDATE reservations SET status = 'COMMITTED', expires_at = NULL,"
                    " committed_at = :now WHERE order_id = :order_id AND status = 'HELD' RETURNING *)"
                    + _WITH_LOCKED_LINES.format(source="committed")
                ),
                {"order_id": order_id, "now": now},
            )
        ).all()
        found = _reservations(rows)
        return found[0] if found else None

    async def expire_due(self, now: datetime, limit: int) -> Sequence[Reservation]:
        # SKIP LOCKED: a reservation being confirmed or released right now is not this sweep's business,
        # and several sweepers (replicas) share the work.
        rows = (
            await self._session.execute(
                text(
                    "WITH due AS (SELECT id FROM reservations WHERE status = 'HELD' AND expires_at <= :now"
                    "   ORDER BY expires_at LIMIT :limit FOR UPDATE SKIP LOCKED),"
                    " closed AS (UPDATE reservations r SET status = 'EXPIRED', closed_at = :now,"
                    "   release_reason = 'expired' FROM due WHERE r.id = due.id AND r.status = 'HELD'"
                    "   RETURNING r.*)" + _WITH_LOCKED_LINES.format(source="closed")
                ),
                {"now": now, "limit": limit},
            )
        ).all()
        return _reservations(rows)

    async def page(
        self, order_id: str | None, sku: str | None, status: ReservationStatus | None, size: int, after: str | None
    ) -> Sequence[Reservation]:
        conditions = []
        if order_id is not None:
            conditions.append(reservations.c.order_id == order_id)
        if status is not None:
            conditions.append(reservations.c.status == status.value)
        if sku is not None:
            conditions.append(
                select(reservation_lines.c.reservation_id)
                .where(reservation_lines.c.reservation_id == reservations.c.id, reservation_lines.c.sku == sku)
                .exists()
            )
        if after is not None:
            conditions.append(reservations.c.id < after)
        ids = [
            row.id
            for row in await self._session.execute(
                select(reservations.c.id).where(and_(True, *conditions)).order_by(reservations.c.id.desc()).limit(size)
            )
        ]
        if not ids:
            return []
        rows = (
            await self._session.execute(
                text(_WITH_LINES.format(source="reservations") + " WHERE r.id = ANY(CAST(:ids AS uuid[]))"),
                {"ids": ids},
            )
        ).all()
        by_id = {r.reservation_id: r for r in _reservations(rows)}
        return [by_id[str(i)] for i in ids]
