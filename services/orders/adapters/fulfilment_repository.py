"""PostgreSQL repositories of rule sets, review decisions, shipments and SLA facts, on the unit of work's
session (never a transaction of their own). Every decision that two replicas could race for is one
conditional statement: the version counter, the merge target's lock, the overdue claims."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import TextClause, delete, exists, func, insert, literal, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.orders.adapters.fulfilment_tables import (
    order_overdue_alerts,
    review_decisions,
    rule_set_activations,
    rule_set_heads,
    rule_sets,
    shipment_lines,
    shipments,
)
from services.orders.adapters.tables import orders
from services.orders.application.fulfilment_ports import (
    ExceptionCounts,
    QueuePosition,
    RecordedVerdict,
    RuleKind,
    RuleSetHead,
    ShipmentFilter,
    StoredRuleSet,
    UntouchedOrder,
    WaitingCounts,
)
from services.orders.domain.review import ReviewDecision, ReviewOutcome
from services.orders.domain.shipments import Shipment, ShipmentLine, ShipmentStatus
from services.orders.domain.sla import STEP_OF, StepStats
from services.orders.domain.values import Actor, OrderStatus, OrderType
from shared.db import json_rows
from shared.kernel.errors import Aborted


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _actor(subject: str | None, role: str | None) -> Actor | None:
    return None if subject is None else Actor(subject, role or "")


class SqlRuleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @staticmethod
    def _stored(row: Mapping[str, Any], active_version: int | None) -> StoredRuleSet:
        return StoredRuleSet(
            kind=RuleKind(row["kind"]),
            version=row["version"],
            rules=row["rules"],
            note=row["note"],
            created_by=Actor(row["created_by_subject"], row["created_by_role"]),
            created_at=row["created_at"].astimezone(UTC),
            active=row["version"] == active_version,
            activated_by=_actor(row["activated_by_subject"], row["activated_by_role"]),
            activated_at=_utc(row["activated_at"]),
        )

    async def add(self, kind: RuleKind, rules: str, note: str, actor: Actor, now: datetime) -> StoredRuleSet:
        bumped = await self._session.execute(
            update(rule_set_heads)
            .where(rule_set_heads.c.kind == kind.value)
            .values(latest_version=rule_set_heads.c.latest_version + 1)
            .returning(rule_set_heads.c.latest_version, rule_set_heads.c.active_version)
        )
        version, active_version = bumped.one()
        row = {
            "kind": kind.value,
            "version": version,
            "rules": rules,
            "note": note,
            "created_by_subject": actor.subject,
            "created_by_role": actor.role,
            "created_at": now,
            "activated_by_subject": None,
            "activated_by_role": None,
            "activated_at": None,
        }
        await self._session.execute(insert(rule_sets).values(**row))
        return self._stored(row, active_version)

    async def activate(self, kind: RuleKind, version: int, actor: Actor, now: datetime) -> StoredRuleSet | None:
        activated = await self._session.execute(
            update(rule_sets)
            .where(rule_sets.c.kind == kind.value, rule_sets.c.version == version)
            .values(activated_by_subject=actor.subject, activated_by_role=actor.role, activated_at=now)
            .returning(*rule_sets.c)
        )
        row = activated.mappings().first()
        if row is None:
            return None
        await self._session.execute(
            update(rule_set_heads).where(rule_set_heads.c.kind == kind.value).values(active_version=version)
        )
        await self._session.execute(
            insert(rule_set_activations).values(
                kind=kind.value,
                version=version,
                activated_by_subject=actor.subject,
                activated_by_role=actor.role,
                activated_at=now,
            )
        )
        return self._stored(row, version)

    async def get(self, kind: RuleKind, version: int) -> StoredRuleSet | None:
        found = await self._session.execute(
            select(rule_sets, rule_set_heads.c.active_version)
            .join(rule_set_heads, rule_set_heads.c.kind == rule_sets.c.kind)
            .where(rule_sets.c.kind == kind.value, rule_sets.c.version == version)
        )
        row = found.mappings().first()
        return None if row is None else self._stored(row, row["active_version"])

    async def head(self, kind: RuleKind, *, lock: bool = False) -> RuleSetHead:
        statement = select(rule_set_heads.c.latest_version, rule_set_heads.c.active_version).where(
            rule_set_heads.c.kind == kind.value
        )
        if lock:
            statement = statement.with_for_update()
        found = await self._session.execute(statement)
        row = found.first()
        return RuleSetHead(0, None) if row is None else RuleSetHead(row[0], row[1])


class SqlReviewDecisionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, decisions: Sequence[ReviewDecision]) -> None:
        """Keep the decisions, all in one statement (batch ingest decides a thousand at once)."""
        if not decisions:
            return
        await self._session.execute(
            text(
                """
                INSERT INTO review_decisions (order_id, rule_set_version, rule_id, outcome, queue, reason, status,
                                              decided_at)
                SELECT order_id, rule_set_version, rule_id, outcome, queue, reason, status, decided_at
                FROM json_populate_recordset(NULL::review_decisions, CAST(:rows AS json))
                """
            ),
            {
                "rows": json_rows(
                    [
                        {
                            "order_id": d.order_id,
                            "rule_set_version": d.rule_set_version,
                            "rule_id": d.rule_id,
                            "outcome": d.outcome,
                            "queue": d.queue,
                            "reason": d.reason,
                            "status": d.status,
                            "decided_at": d.decided_at,
                        }
                        for d in decisions
                    ]
                )
            },
        )

    async def latest(self, order_ids: Sequence[str]) -> dict[str, RecordedVerdict]:
        if not order_ids:
            return {}
        found = await self._session.execute(
            select(review_decisions.c.order_id, review_decisions.c.outcome, review_decisions.c.queue)
            .where(review_decisions.c.order_id.in_(list(order_ids)))
            .ext(distinct_on(review_decisions.c.order_id))
            .order_by(
                review_decisions.c.order_id,
                review_decisions.c.decided_at.desc(),
                review_decisions.c.decision_id.desc(),
            )
        )
        return {str(row[0]): RecordedVerdict(ReviewOutcome(row[1]), row[2]) for row in found}


_lines_json = (
    select(
        func.json_agg(
            func.json_build_array(
                shipment_lines.c.order_id, shipment_lines.c.line_no, shipment_lines.c.sku, shipment_lines.c.quantity
            )
        )
    )
    .where(shipment_lines.c.shipment_id == shipments.c.shipment_id)
    .scalar_subquery()
    .label("lines_json")
)


def _shipment(row: Mapping[str, Any]) -> Shipment:
    lines = sorted(
        (
            ShipmentLine(str(order_id), line_no, sku, quantity)
            for order_id, line_no, sku, quantity in row["lines_json"] or ()
        ),
        key=lambda line: (line.order_id, line.line_no),
    )
    return Shipment(
        shipment_id=str(row["shipment_id"]),
        warehouse_code=row["warehouse_code"],
        status=ShipmentStatus(row["status"]),
        lines=tuple(lines),
        rush=row["rush"],
        paid_at=row["paid_at"].astimezone(UTC),
        merge_key=row["merge_key"],
        created_at=row["created_at"].astimezone(UTC),
        updated_at=row["updated_at"].astimezone(UTC),
        claimed_by=_actor(row["claimed_by_subject"], row["claimed_by_role"]),
        claimed_at=_utc(row["claimed_at"]),
        confirm_by=_utc(row["confirm_by"]),
        tracking_number=row["tracking_number"],
        shipped_at=_utc(row["shipped_at"]),
        shipped_by=_actor(row["shipped_by_subject"], row["shipped_by_role"]),
        overdue_at=_utc(row["overdue_at"]),
    )


def _line_rows(shipment_id: str, lines: Sequence[ShipmentLine]) -> list[dict[str, Any]]:
    return [
        {
            "shipment_id": shipment_id,
            "order_id": line.order_id,
            "line_no": line.line_no,
            "sku": line.sku,
            "quantity": line.quantity,
        }
        for line in lines
    ]


class SqlShipmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, shipment: Shipment) -> None:
        await self._session.execute(
            insert(shipments).values(
                shipment_id=shipment.shipment_id,
                warehouse_code=shipment.warehouse_code,
                status=shipment.status.value,
                rush=shipment.rush,
                paid_at=shipment.paid_at,
                merge_key=shipment.merge_key,
                created_at=shipment.created_at,
                updated_at=shipment.updated_at,
            )
        )
        await self._session.execute(insert(shipment_lines), _line_rows(shipment.shipment_id, shipment.lines))

    async def mergeable(
        self, warehouse_code: str, merge_key: str, paid_from: datetime, paid_to: datetime
    ) -> Shipment | None:
        held_order = (
            select(literal(1))
            .select_from(shipment_lines.join(orders, orders.c.order_id == shipment_lines.c.order_id))
            .where(shipment_lines.c.shipment_id == shipments.c.shipment_id, orders.c.status != "ALLOCATED")
        )
        found = await self._session.execute(
            select(shipments, _lines_json)
            .where(
                shipments.c.status == ShipmentStatus.PENDING.value,
                shipments.c.merge_key == merge_key,
                shipments.c.warehouse_code == warehouse_code,
                shipments.c.paid_at.between(paid_from, paid_to),
                ~exists(held_order),
            )
            .order_by(shipments.c.paid_at, shipments.c.shipment_id)
            .limit(1)
            .with_for_update(of=shipments)
        )
        row = found.mappings().first()
        return None if row is None else _shipment(row)

    async def merge_into(
        self, shipment_id: str, lines: Sequence[ShipmentLine], rush: bool, paid_at: datetime, now: datetime
    ) -> None:
        await self._session.execute(insert(shipment_lines), _line_rows(shipment_id, lines))
        await self._session.execute(
            update(shipments)
            .where(shipments.c.shipment_id == shipment_id)
            .values(
                rush=shipments.c.rush | rush,
                paid_at=func.least(shipments.c.paid_at, paid_at),
                updated_at=now,
            )
        )

    async def get(self, shipment_id: str, *, lock: bool = False) -> Shipment | None:
        statement = select(shipments, _lines_json).where(shipments.c.shipment_id == shipment_id)
        if lock:
            statement = statement.with_for_update(of=shipments)
        row = (await self._session.execute(statement)).mappings().first()
        return None if row is None else _shipment(row)

    async def of_orders(self, order_ids: Sequence[str]) -> list[Shipment]:
        if not order_ids:
            return []
        carrying = select(shipment_lines.c.shipment_id).where(shipment_lines.c.order_id.in_(list(order_ids)))
        found = await self._session.execute(
            select(shipments, _lines_json)
            .where(shipments.c.shipment_id.in_(carrying))
            .order_by(shipments.c.warehouse_code, shipments.c.shipment_id)
        )
        return [_shipment(row) for row in found.mappings()]

    async def save(self, before: Shipment, after: Shipment) -> None:
        saved = await self._session.execute(
            update(shipments)
            .where(shipments.c.shipment_id == before.shipment_id, shipments.c.status == before.status.value)
            .values(
                status=after.status.value,
                claimed_by_subject=after.claimed_by.subject if after.claimed_by else None,
                claimed_by_role=after.claimed_by.role if after.claimed_by else None,
                claimed_at=after.claimed_at,
                confirm_by=after.confirm_by,
                tracking_number=after.tracking_number,
                shipped_at=after.shipped_at,
                shipped_by_subject=after.shipped_by.subject if after.shipped_by else None,
                shipped_by_role=after.shipped_by.role if after.shipped_by else None,
                updated_at=after.updated_at,
            )
            .returning(shipments.c.shipment_id)
        )
        if saved.first() is None:
            raise Aborted(f"shipment {before.shipment_id} changed concurrently; retry")

    async def list(self, query: ShipmentFilter, after: QueuePosition | None, limit: int) -> list[Shipment]:
        statement = select(shipments, _lines_json)
        if query.warehouse_code is not None:
            statement = statement.where(shipments.c.warehouse_code == query.warehouse_code)
        if query.statuses:
            statement = statement.where(shipments.c.status.in_([s.value for s in query.statuses]))
        if query.order_id is not None:
            carrying = select(shipment_lines.c.shipment_id).where(shipment_lines.c.order_id == query.order_id)
            statement = statement.where(shipments.c.shipment_id.in_(carrying))
        if query.channels:
            # A shipment carrying any order of another channel is hidden whole: its lines would tell of it.
            foreign = (
                select(literal(1))
                .select_from(shipment_lines.join(orders, orders.c.order_id == shipment_lines.c.order_id))
                .where(
                    shipment_lines.c.shipment_id == shipments.c.shipment_id,
                    orders.c.channel.not_in([c.value for c in query.channels]),
                )
            )
            statement = statement.where(~exists(foreign))
        if after is not None:
            # Rush (true) sorts first: (NOT rush, paid_at, id) ascending is the queue order.
            position = tuple_(
                literal(not after.rush),
                literal(after.paid_at, shipments.c.paid_at.type),
                literal(after.shipment_id, shipments.c.shipment_id.type),
            )
            statement = statement.where(
                tuple_(~shipments.c.rush, shipments.c.paid_at, shipments.c.shipment_id) > position
            )
        statement = statement.order_by(shipments.c.rush.desc(), shipments.c.paid_at, shipments.c.shipment_id)
        found = await self._session.execute(statement.limit(limit))
        return [_shipment(row) for row in found.mappings()]

    async def detach_order(self, order_id: str, now: datetime) -> None:
        open_shipments = select(shipments.c.shipment_id).where(
            shipments.c.status.in_([ShipmentStatus.PENDING.value, ShipmentStatus.CLAIMED.value])
        )
        detached = await self._session.execute(
            delete(shipment_lines)
            .where(shipment_lines.c.order_id == order_id, shipment_lines.c.shipment_id.in_(open_shipments))
            .returning(shipment_lines.c.shipment_id)
        )
        touched = sorted({str(row[0]) for row in detached})
        if not touched:
            return
        # A second statement sees the deletion above, so a shipment left without lines is cancelled.
        remaining = select(literal(1)).where(shipment_lines.c.shipment_id == shipments.c.shipment_id)
        await self._session.execute(
            update(shipments)
            .where(shipments.c.shipment_id.in_(touched), ~exists(remaining))
            .values(status=ShipmentStatus.CANCELLED.value, updated_at=now)
        )
        await self._session.execute(
            update(shipments).where(shipments.c.shipment_id.in_(touched), exists(remaining)).values(updated_at=now)
        )

    async def claim_overdue(self, now: datetime, limit: int) -> list[Shipment]:
        due = (
            select(shipments.c.shipment_id)
            .where(
                shipments.c.status == ShipmentStatus.CLAIMED.value,
                shipments.c.overdue_at.is_(None),
                shipments.c.confirm_by <= now,
            )
            .order_by(shipments.c.confirm_by)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        # The status and overdue_at conditions are checked again on the row itself: a replica that got here
        # second (or a confirmation that committed meanwhile) marks nothing.
        marked = await self._session.execute(
            update(shipments)
            .where(
                shipments.c.shipment_id.in_(due),
                shipments.c.status == ShipmentStatus.CLAIMED.value,
                shipments.c.overdue_at.is_(None),
            )
            .values(overdue_at=now)
            .returning(shipments.c.shipment_id)
        )
        ids = [str(row[0]) for row in marked]
        if not ids:
            return []
        found = await self._session.execute(
            select(shipments, _lines_json).where(shipments.c.shipment_id.in_(ids)).order_by(shipments.c.confirm_by)
        )
        return [_shipment(row) for row in found.mappings()]


_STEP_CASE = "CASE h.to_status " + " ".join(f"WHEN '{s.value}' THEN '{step}'" for s, step in STEP_OF.items())
_STEP_CASE += " WHEN 'ON_HOLD' THEN NULL WHEN 'EXCEPTION' THEN NULL ELSE '-' END"

# Per order and step, the seconds spent (holds counting toward the step held in) and the state the order
# left the step for; then per step and kind (rush or not) the statistics against the standard. Mirrors
# services.orders.domain.sla.step_entries.
_STEP_STATS = text(
    f"""
    WITH entries AS (
        SELECT h.order_id, h.seq, h.changed_at,
               lead(h.changed_at) OVER w AS left_at,
               lead(h.to_status) OVER w AS next_status,
               o.order_type = 'RUSH' AS rush,
               {_STEP_CASE} AS own_step
        FROM orders o JOIN order_status_history h ON h.order_id = o.order_id
        WHERE o.created_at >= :after AND o.created_at < :before
        WINDOW w AS (PARTITION BY h.order_id ORDER BY h.seq)
    ), grouped AS (
        SELECT *, count(own_step) OVER (PARTITION BY order_id ORDER BY seq) AS grp FROM entries
    ), attributed AS (
        SELECT *, max(own_step) OVER (PARTITION BY order_id, grp) AS step FROM grouped
    ), per_order AS (
        SELECT order_id, step, rush,
               sum(extract(epoch FROM left_at - changed_at)) AS seconds,
               (array_agg(next_status ORDER BY seq DESC))[1] AS exit_status
        FROM attributed
        WHERE step IS NOT NULL AND step <> '-'
        GROUP BY order_id, step, rush
    ), standards AS (
        SELECT * FROM unnest(CAST(:steps AS text[]), CAST(:rush AS boolean[]), CAST(:limits AS float8[]))
            AS t(step, rush, limit_seconds)
    )
    SELECT p.step, p.rush, count(*) AS orders,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY p.seconds) AS median_seconds,
           avg(p.seconds) AS mean_seconds,
           max(s.limit_seconds) AS standard_seconds,
           count(*) FILTER (WHERE p.seconds > s.limit_seconds) AS over_standard,
           avg(greatest(0, p.seconds - s.limit_seconds) / s.limit_seconds) AS deviation
    FROM per_order p JOIN standards s ON s.step = p.step AND s.rush = p.rush
    WHERE p.exit_status IS NOT NULL AND p.exit_status <> 'CANCELLED'
    GROUP BY p.step, p.rush
    """
)

# An exception is opened by a move into EXCEPTION and closed by the first later move out of the hold states.
_EXCEPTIONS = text(
    """
    SELECT count(*) AS due,
           count(*) FILTER (WHERE closed.at IS NOT NULL AND closed.at <= e.changed_at + :allowed) AS closed_in_time
    FROM orders o
    JOIN order_status_history e ON e.order_id = o.order_id
    LEFT JOIN LATERAL (
        SELECT min(n.changed_at) AS at FROM order_status_history n
        WHERE n.order_id = e.order_id AND n.seq > e.seq AND n.to_status NOT IN ('ON_HOLD', 'EXCEPTION')
    ) closed ON true
    WHERE o.created_at >= :after AND o.created_at < :before
      AND e.to_status = 'EXCEPTION' AND e.from_status IS DISTINCT FROM 'EXCEPTION'
      AND e.changed_at <= :due_before
    """
)


def _status_in(statuses: Sequence[OrderStatus]) -> TextClause:
    """``status IN (...)`` with the values written out, so the planner can match the partial index of
    waiting orders (it cannot prove a predicate over bound parameters)."""
    return text("orders.status IN (" + ", ".join(f"'{OrderStatus(s).value}'" for s in statuses) + ")")


class SqlSlaRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim_untouched(
        self, statuses: Sequence[OrderStatus], cutoff: datetime, now: datetime, limit: int
    ) -> list[UntouchedOrder]:
        alerts = order_overdue_alerts
        candidates = (
            select(orders.c.order_id, orders.c.updated_at, orders.c.status, literal(now).label("alerted_at"))
            .select_from(orders.outerjoin(alerts, alerts.c.order_id == orders.c.order_id))
            .where(
                _status_in(statuses),
                orders.c.updated_at <= cutoff,
                or_(alerts.c.order_id.is_(None), alerts.c.untouched_since < orders.c.updated_at),
            )
            .order_by(orders.c.updated_at)
            .limit(limit)
        )
        upsert = pg_insert(alerts).from_select(["order_id", "untouched_since", "status", "alerted_at"], candidates)
        # The stretch is claimed by whoever moves untouched_since forward; a replica arriving second finds it
        # equal and updates (and returns) nothing.
        upsert = upsert.on_conflict_do_update(
            index_elements=[alerts.c.order_id],
            set_={
                "untouched_since": upsert.excluded.untouched_since,
                "status": upsert.excluded.status,
                "alerted_at": upsert.excluded.alerted_at,
            },
            where=alerts.c.untouched_since < upsert.excluded.untouched_since,
        ).returning(alerts.c.order_id, alerts.c.untouched_since, alerts.c.status)
        claimed = (await self._session.execute(upsert)).all()
        if not claimed:
            return []
        types = await self._session.execute(
            select(orders.c.order_id, orders.c.order_type).where(orders.c.order_id.in_([row[0] for row in claimed]))
        )
        type_of = {str(row[0]): OrderType(row[1]) for row in types}
        return [
            UntouchedOrder(str(order_id), OrderStatus(status), since.astimezone(UTC), type_of[str(order_id)])
            for order_id, since, status in sorted(claimed, key=lambda row: row[1])
        ]

    async def waiting_counts(self, statuses: Sequence[OrderStatus], cutoff: datetime) -> WaitingCounts:
        found = await self._session.execute(
            select(
                orders.c.status,
                func.count(),
                func.count().filter(orders.c.updated_at <= cutoff),
            )
            .where(_status_in(statuses))
            .group_by(orders.c.status)
        )
        by_status: dict[OrderStatus, int] = {}
        over = 0
        for status, total, red in found:
            by_status[OrderStatus(status)] = total
            over += red
        return WaitingCounts(by_status, over)

    async def step_stats(
        self, created_after: datetime, created_before: datetime, standards: dict[tuple[str, bool], timedelta]
    ) -> list[StepStats]:
        keys = sorted(standards)
        found = await self._session.execute(
            _STEP_STATS,
            {
                "after": created_after,
                "before": created_before,
                "steps": [step for step, _ in keys],
                "rush": [rush for _, rush in keys],
                "limits": [standards[key].total_seconds() for key in keys],
            },
        )
        order = {step: index for index, step in enumerate(dict.fromkeys(STEP_OF.values()))}
        stats = [
            StepStats(
                step=row.step,
                rush=row.rush,
                orders=row.orders,
                median_seconds=float(row.median_seconds),
                mean_seconds=float(row.mean_seconds),
                standard_seconds=int(row.standard_seconds),
                over_standard=row.over_standard,
                deviation=float(row.deviation),
            )
            for row in found
        ]
        return sorted(stats, key=lambda s: (order[s.step], s.rush))

    async def exceptions(
        self, created_after: datetime, created_before: datetime, due_before: datetime, allowed: timedelta
    ) -> ExceptionCounts:
        row = (
            await self._session.execute(
                _EXCEPTIONS,
                {"after": created_after, "before": created_before, "due_before": due_before, "allowed": allowed},
            )
        ).one()
        return ExceptionCounts(row.due, row.closed_in_time)
