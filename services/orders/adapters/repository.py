"""The PostgreSQL repository of orders: one statement to create an order, one to load it, one per change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, func, insert, literal, select, text, tuple_, union_all, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from services.orders.adapters.tables import order_lines, order_status_history, orders
from services.orders.application.commands import OrderFilter
from services.orders.application.ports import Cursor
from services.orders.domain.model import Order
from services.orders.domain.values import (
    Actor,
    Address,
    Channel,
    OrderLine,
    OrderStatus,
    OrderType,
    StatusChange,
)
from shared.db import json_rows
from shared.kernel.errors import Aborted
from shared.kernel.money import Money

_ORDER_COLUMNS = [column.name for column in orders.columns]
_LINE_COLUMNS = ["line_no", "sku", "quantity", "unit_price_minor", "discount_minor"]
_LINE_TYPES = ["integer", "text", "integer", "bigint", "bigint"]
_HISTORY_COLUMNS = ["seq", "from_status", "to_status", "changed_at", "actor_subject", "actor_role", "reason"]
_HISTORY_TYPES = ["integer", "text", "text", "timestamptz", "text", "text", "text"]
_INSTANT = DateTime(timezone=True)
_HISTORY_SQL_TYPES = {name: order_status_history.c[name].type for name in _HISTORY_COLUMNS}


def _unnest(columns: list[str], types: list[str], prefix: str) -> str:
    arrays = ", ".join(f"CAST(:{prefix}{c} AS {t}[])" for c, t in zip(columns, types, strict=True))
    return f"unnest({arrays}) AS {prefix}rows({', '.join(columns)})"


# The hot path in one round trip: the order, all its lines and its history rows (arrays unnested in
# the database), or nothing at all when the channel order already exists.
_CREATE = text(
    f"""
    WITH new_order AS (
        INSERT INTO orders ({", ".join(_ORDER_COLUMNS)})
        VALUES ({", ".join(":" + c for c in _ORDER_COLUMNS)})
        ON CONFLICT (channel, channel_order_id) DO NOTHING
        RETURNING order_id
    ), new_lines AS (
        INSERT INTO order_lines (order_id, {", ".join(_LINE_COLUMNS)})
        SELECT new_order.order_id, {", ".join("l_rows." + c for c in _LINE_COLUMNS)}
        FROM new_order, {_unnest(_LINE_COLUMNS, _LINE_TYPES, "l_")}
    ), new_history AS (
        INSERT INTO order_status_history (order_id, {", ".join(_HISTORY_COLUMNS)})
        SELECT new_order.order_id, {", ".join("h_rows." + c for c in _HISTORY_COLUMNS)}
        FROM new_order, {_unnest(_HISTORY_COLUMNS, _HISTORY_TYPES, "h_")}
    )
    SELECT order_id FROM new_order
    """
)

# Many orders in one round trip: the rows travel as one JSON document each for orders, lines and history,
# which PostgreSQL turns back into rows of those tables (cheaper on both sides than thousands of array
# elements), or nothing at all for an order whose channel order already exists.
_CREATE_MANY = text(
    f"""
    WITH new_orders AS (
        INSERT INTO orders ({", ".join(_ORDER_COLUMNS)})
        SELECT {", ".join(_ORDER_COLUMNS)} FROM json_populate_recordset(NULL::orders, CAST(:orders AS json))
        ON CONFLICT (channel, channel_order_id) DO NOTHING
        RETURNING order_id
    ), new_lines AS (
        INSERT INTO order_lines (order_id, {", ".join(_LINE_COLUMNS)})
        SELECT order_id, {", ".join(_LINE_COLUMNS)}
        FROM json_populate_recordset(NULL::order_lines, CAST(:lines AS json))
        WHERE order_id IN (SELECT order_id FROM new_orders)
    ), new_history AS (
        INSERT INTO order_status_history (order_id, {", ".join(_HISTORY_COLUMNS)})
        SELECT order_id, {", ".join(_HISTORY_COLUMNS)}
        FROM json_populate_recordset(NULL::order_status_history, CAST(:history AS json))
        WHERE order_id IN (SELECT order_id FROM new_orders)
    )
    SELECT order_id FROM new_orders
    """
)

_lines_json = (
    select(
        func.json_agg(
            aggregate_order_by(
                func.json_build_array(*[order_lines.c[c] for c in _LINE_COLUMNS]), order_lines.c.line_no
            ),
            type_=JSON,
        )
    )
    .where(order_lines.c.order_id == orders.c.order_id)
    .scalar_subquery()
    .label("lines_json")
)
_history_json = (
    select(
        func.json_agg(
            aggregate_order_by(
                func.json_build_array(*[order_status_history.c[c] for c in _HISTORY_COLUMNS[1:]]),
                order_status_history.c.seq,
            ),
            type_=JSON,
        )
    )
    .where(order_status_history.c.order_id == orders.c.order_id)
    .scalar_subquery()
    .label("history_json")
)


def _status(value: str | None) -> OrderStatus | None:
    return OrderStatus(value) if value else None


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def _order_row(order: Order) -> dict[str, Any]:
    address = order.shipping_address
    return {
        "order_id": order.order_id,
        "channel": order.channel.value,
        "channel_order_id": order.channel_order_id or None,
        "customer_id": order.customer_id,
        "customer_tier": order.customer_tier,
        "customer_name": order.customer_name,
        "order_type": order.order_type.value,
        "status": order.status.value,
        "resume_status": order.resume_status.value if order.resume_status else None,
        "hold_reason": order.hold_reason,
        "currency": order.currency,
        "subtotal_minor": order.subtotal.amount_minor,
        "discount_total_minor": order.discount_total.amount_minor,
        "shipping_fee_minor": order.shipping_fee.amount_minor,
        "total_minor": order.total.amount_minor,
        "ship_recipient": address.recipient,
        "ship_phone": address.phone,
        "ship_country": address.country,
        "ship_province": address.province,
        "ship_city": address.city,
        "ship_district": address.district,
        "ship_detail": address.detail,
        "ship_postal_code": address.postal_code,
        "buyer_remark": order.buyer_remark,
        "seller_remark": order.seller_remark,
        "quote_id": order.quote_id,
        "payment_id": order.payment_id,
        "tracking_number": order.tracking_number,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


def _history_values(changes: Sequence[StatusChange], first_seq: int) -> list[dict[str, Any]]:
    return [
        {
            "seq": first_seq + index,
            "from_status": change.from_status.value if change.from_status else None,
            "to_status": change.to_status.value,
            "changed_at": change.changed_at,
            "actor_subject": change.actor.subject,
            "actor_role": change.actor.role,
            "reason": change.reason,
        }
        for index, change in enumerate(changes)
    ]


def _from_row(row: Mapping[str, Any], *, with_history: bool) -> Order:
    currency = row["currency"]
    lines = tuple(
        OrderLine(line_no, sku, quantity, Money(unit, currency), Money(discount, currency))
        for line_no, sku, quantity, unit, discount in row["lines_json"] or ()
    )
    history: tuple[StatusChange, ...] = ()
    if with_history:
        history = tuple(
            StatusChange(_status(from_), OrderStatus(to), _instant(at), Actor(subject, role), reason)
            for from_, to, at, subject, role, reason in row["history_json"] or ()
        )
    return Order(
        order_id=str(row["order_id"]),
        channel=Channel(row["channel"]),
        channel_order_id=row["channel_order_id"] or "",
        customer_id=str(row["customer_id"]),
        customer_tier=row["customer_tier"],
        customer_name=row["customer_name"],
        order_type=OrderType(row["order_type"]),
        status=OrderStatus(row["status"]),
        resume_status=_status(row["resume_status"]),
        hold_reason=row["hold_reason"],
        lines=lines,
        subtotal=Money(row["subtotal_minor"], currency),
        discount_total=Money(row["discount_total_minor"], currency),
        shipping_fee=Money(row["shipping_fee_minor"], currency),
        total=Money(row["total_minor"], currency),
        shipping_address=Address(
            recipient=row["ship_recipient"],
            phone=row["ship_phone"],
            country=row["ship_country"],
            province=row["ship_province"],
            city=row["ship_city"],
            district=row["ship_district"],
            detail=row["ship_detail"],
            postal_code=row["ship_postal_code"],
        ),
        buyer_remark=row["buyer_remark"],
        seller_remark=row["seller_remark"],
        quote_id=row["quote_id"],
        payment_id=row["payment_id"],
        tracking_number=row["tracking_number"],
        created_at=row["created_at"].astimezone(UTC),
        updated_at=row["updated_at"].astimezone(UTC),
        history=history,
    )


class SqlOrderRepository:
    """Orders in PostgreSQL through the unit of work's session (never its own transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, order: Order) -> bool:
        parameters = _order_row(order)
        for column in _LINE_COLUMNS:
            parameters["l_" + column] = []
        for line in order.lines:
            parameters["l_line_no"].append(line.line_no)
            parameters["l_sku"].append(line.sku)
            parameters["l_quantity"].append(line.quantity)
            parameters["l_unit_price_minor"].append(line.unit_price.amount_minor)
            parameters["l_discount_minor"].append(line.discount.amount_minor)
        history = _history_values(order.history, 1)
        for column in _HISTORY_COLUMNS:
            parameters["h_" + column] = [entry[column] for entry in history]
        inserted = await self._session.execute(_CREATE, parameters)
        return inserted.first() is not None

    async def get(self, order_id: str, *, lock: bool = False) -> Order | None:
        statement = select(orders, _lines_json, _history_json).where(orders.c.order_id == order_id)
        if lock:
            statement = statement.with_for_update(of=orders)
        row = (await self._session.execute(statement)).mappings().first()
        return None if row is None else _from_row(row, with_history=True)

    async def get_many(self, order_ids: Sequence[str], *, lock: bool = False) -> dict[str, Order]:
        """The orders of ``order_ids`` that exist; ``lock`` takes their rows in id order (no deadlock between
        two callers locking overlapping sets)."""
        if not order_ids:
            return {}
        statement = (
            select(orders, _lines_json, _history_json)
            .where(orders.c.order_id.in_(sorted(order_ids)))
            .order_by(orders.c.order_id)
        )
        if lock:
            statement = statement.with_for_update(of=orders)
        rows = (await self._session.execute(statement)).mappings()
        return {str(row["order_id"]): _from_row(row, with_history=True) for row in rows}

    async def add_many(self, new_orders: Sequence[Order]) -> set[str]:
        """Insert many new orders with their lines and history in one statement; returns the ids inserted
        (an order whose (channel, channel_order_id) already exists is skipped, with its lines)."""
        if not new_orders:
            return set()
        order_rows, line_rows, history_rows = [], [], []
        for order in new_orders:
            row = _order_row(order)
            row["created_at"] = order.created_at
            row["updated_at"] = order.updated_at
            order_rows.append(row)
            for line in order.lines:
                line_rows.append(
                    {
                        "order_id": order.order_id,
                        "line_no": line.line_no,
                        "sku": line.sku,
                        "quantity": line.quantity,
                        "unit_price_minor": line.unit_price.amount_minor,
                        "discount_minor": line.discount.amount_minor,
                    }
                )
            for entry in _history_values(order.history, 1):
                entry["order_id"] = order.order_id
                history_rows.append(entry)
        inserted = await self._session.execute(
            _CREATE_MANY,
            {
                "orders": json_rows(order_rows),
                "lines": json_rows(line_rows),
                "history": json_rows(history_rows),
            },
        )
        return {str(row[0]) for row in inserted}

    async def change_address(self, before: Order, after: Order) -> None:
        """Persist a new shipping address of ``before`` (loaded under lock), guarded by its status."""
        address = after.shipping_address
        changed = await self._session.execute(
            update(orders)
            .where(orders.c.order_id == before.order_id, orders.c.status == before.status.value)
            .values(
                ship_recipient=address.recipient,
                ship_phone=address.phone,
                ship_country=address.country,
                ship_province=address.province,
                ship_city=address.city,
                ship_district=address.district,
                ship_detail=address.detail,
                ship_postal_code=address.postal_code,
                updated_at=after.updated_at,
            )
            .returning(orders.c.order_id)
        )
        if changed.first() is None:
            raise Aborted(f"order {before.order_id} changed concurrently; retry")

    async def get_by_channel_order(self, channel: Channel, channel_order_id: str) -> Order | None:
        statement = select(orders, _lines_json, _history_json).where(
            orders.c.channel == channel.value, orders.c.channel_order_id == channel_order_id
        )
        row = (await self._session.execute(statement)).mappings().first()
        return None if row is None else _from_row(row, with_history=True)

    async def update(self, before: Order, after: Order) -> None:
        added = after.history[len(before.history) :]
        if not added:
            raise ValueError("an order change must add a history entry")
        # Guarded by the status it was loaded with: if the row changed anyway, nothing is written.
        moved = (
            update(orders)
            .where(orders.c.order_id == before.order_id, orders.c.status == before.status.value)
            .values(
                status=after.status.value,
                resume_status=after.resume_status.value if after.resume_status else None,
                hold_reason=after.hold_reason,
                payment_id=after.payment_id,
                tracking_number=after.tracking_number,
                updated_at=after.updated_at,
            )
            .returning(orders.c.order_id)
            .cte("moved")
        )
        rows = [
            select(
                moved.c.order_id,
                *[literal(value, _HISTORY_SQL_TYPES[name]).label(name) for name, value in entry.items()],
            )
            for entry in _history_values(added, len(before.history) + 1)
        ]
        source = rows[0] if len(rows) == 1 else union_all(*rows)
        statement = (
            insert(order_status_history)
            .from_select(["order_id", *_HISTORY_COLUMNS], source)
            .returning(order_status_history.c.seq)
            .add_cte(moved)
        )
        written = (await self._session.execute(statement)).all()
        if len(written) != len(added):
            raise Aborted(f"order {before.order_id} changed concurrently; retry")

    async def set_hold_reason(self, before: Order, after: Order) -> None:
        # Guarded like update: the row must still be in the status and hold it was loaded with.
        changed = await self._session.execute(
            update(orders)
            .where(
                orders.c.order_id == before.order_id,
                orders.c.status == before.status.value,
                orders.c.hold_reason == before.hold_reason,
            )
            .values(hold_reason=after.hold_reason, updated_at=after.updated_at)
            .returning(orders.c.order_id)
        )
        if changed.first() is None:
            raise Aborted(f"order {before.order_id} changed concurrently; retry")

    async def list(self, query: OrderFilter, after: Cursor | None, limit: int) -> Sequence[Order]:
        statement = select(orders, _lines_json)
        if query.statuses:
            statement = statement.where(orders.c.status.in_([s.value for s in query.statuses]))
        if query.channel is not None:
            statement = statement.where(orders.c.channel == query.channel.value)
        if query.channels:
            statement = statement.where(orders.c.channel.in_([c.value for c in query.channels]))
        if query.customer_id is not None:
            statement = statement.where(orders.c.customer_id == query.customer_id)
        if query.created_after is not None:
            statement = statement.where(orders.c.created_at >= query.created_after)
        if query.created_before is not None:
            statement = statement.where(orders.c.created_at < query.created_before)
        key = tuple_(orders.c.created_at, orders.c.order_id)
        if after is not None:
            position = tuple_(literal(after.created_at, _INSTANT), literal(after.order_id, orders.c.order_id.type))
            statement = statement.where(key > position if query.oldest_first else key < position)
        if query.oldest_first:
            statement = statement.order_by(orders.c.created_at.asc(), orders.c.order_id.asc())
        else:
            statement = statement.order_by(orders.c.created_at.desc(), orders.c.order_id.desc())
        result = await self._session.execute(statement.limit(limit))
        return [_from_row(row, with_history=False) for row in result.mappings()]
