"""Translation between the fulfilment part of the orders contract (rules, shipments, SLA clocks, the health
index) and the application's results, checking wire input."""

from __future__ import annotations

from oms.orders.v1 import orders_pb2

from services.orders.adapters.protos import actor_out, enum_in, instant_out, status_out
from services.orders.application.fulfilment_commands import DryRunResult, HealthReport, OrderSla, RuleSetView
from services.orders.application.fulfilment_ports import StoredRuleSet
from services.orders.domain.review import ReviewOutcome
from services.orders.domain.shipments import Shipment, ShipmentStatus

_OUTCOMES = {o: orders_pb2.ReviewOutcome.Value("REVIEW_OUTCOME_" + o.value) for o in ReviewOutcome}
_SHIPMENT_STATUSES = {s: orders_pb2.ShipmentStatus.Value("SHIPMENT_STATUS_" + s.value) for s in ShipmentStatus}


def outcome_out(outcome: ReviewOutcome) -> int:
    return _OUTCOMES[outcome]


def shipment_status_in(number: int, field: str) -> ShipmentStatus:
    return enum_in(ShipmentStatus, orders_pb2.ShipmentStatus, "SHIPMENT_STATUS_", field, number)


def rule_set_out(stored: StoredRuleSet) -> orders_pb2.RuleSet:
    message = orders_pb2.RuleSet(
        version=stored.version,
        rules_json=stored.rules,
        note=stored.note,
        created_by=actor_out(stored.created_by),
        created_at=instant_out(stored.created_at),
        active=stored.active,
    )
    if stored.activated_by is not None:
        message.activated_by.CopyFrom(actor_out(stored.activated_by))
    if stored.activated_at is not None:
        message.activated_at.CopyFrom(instant_out(stored.activated_at))
    return message


def rule_set_view_out(view: RuleSetView) -> dict[str, object]:
    """The fields GetReviewRulesResponse and GetRoutingRulesResponse share."""
    return {
        "rule_set": rule_set_out(view.rule_set),
        "active_version": view.active_version,
        "latest_version": view.latest_version,
    }


def shipment_out(shipment: Shipment) -> orders_pb2.Shipment:
    message = orders_pb2.Shipment(
        shipment_id=shipment.shipment_id,
        warehouse_code=shipment.warehouse_code,
        status=_SHIPMENT_STATUSES[shipment.status],
        lines=[
            orders_pb2.ShipmentLine(order_id=line.order_id, line_no=line.line_no, sku=line.sku, quantity=line.quantity)
            for line in shipment.lines
        ],
        order_ids=list(shipment.order_ids),
        rush=shipment.rush,
        paid_at=instant_out(shipment.paid_at),
        created_at=instant_out(shipment.created_at),
        tracking_number=shipment.tracking_number,
    )
    if shipment.claimed_by is not None:
        message.claimed_by.CopyFrom(actor_out(shipment.claimed_by))
    if shipment.shipped_by is not None:
        message.shipped_by.CopyFrom(actor_out(shipment.shipped_by))
    for name in ("claimed_at", "confirm_by", "shipped_at", "overdue_at"):
        moment = getattr(shipment, name)
        if moment is not None:
            getattr(message, name).CopyFrom(instant_out(moment))
    return message


def dry_run_out(result: DryRunResult) -> orders_pb2.DryRunReviewRulesResponse:
    return orders_pb2.DryRunReviewRulesResponse(
        version=result.version,
        orders_evaluated=result.orders_evaluated,
        truncated=result.truncated,
        tallies=[
            orders_pb2.ReviewRuleTally(
                rule_id=t.rule_id, outcome=outcome_out(t.outcome), queue=t.queue, orders=t.orders
            )
            for t in result.tallies
        ],
        approved=result.count(ReviewOutcome.APPROVE),
        held=result.count(ReviewOutcome.HOLD),
        rejected=result.count(ReviewOutcome.REJECT),
        decided_differently=result.decided_differently,
    )


def order_sla_out(sla: OrderSla) -> orders_pb2.GetOrderSlaResponse:
    clock = sla.clock
    message = orders_pb2.GetOrderSlaResponse(
        order_id=clock.order_id,
        status=status_out(clock.status),
        step=clock.step,
        step_standard_seconds=int(clock.standard.total_seconds()),
        untouched_since=instant_out(clock.untouched_since),
        overdue=clock.overdue,
        state_times=[orders_pb2.StateTime(status=status_out(s), seconds=seconds) for s, seconds in clock.state_times],
    )
    if clock.step_started_at is not None and clock.due_at is not None:
        message.step_started_at.CopyFrom(instant_out(clock.step_started_at))
        message.step_due_at.CopyFrom(instant_out(clock.due_at))
    return message


def health_out(report: HealthReport) -> orders_pb2.GetOrderHealthResponse:
    message = orders_pb2.GetOrderHealthResponse(
        created_after=instant_out(report.created_after),
        created_before=instant_out(report.created_before),
        steps=[
            orders_pb2.StepTime(
                step=s.step,
                rush=s.rush,
                orders=s.orders,
                median_seconds=s.median_seconds,
                mean_seconds=s.mean_seconds,
                standard_seconds=s.standard_seconds,
                over_standard=s.over_standard,
                deviation=s.deviation,
            )
            for s in report.steps
        ],
        exceptions_due=report.exceptions_due,
        exceptions_closed_in_time=report.exceptions_closed_in_time,
        within_targets=report.within_targets,
    )
    if report.step_time_deviation is not None:
        message.step_time_deviation = report.step_time_deviation
    if report.exceptions_closed_24h is not None:
        message.exceptions_closed_24h = report.exceptions_closed_24h
    return message
