"""The consistency rules: each a named, pure function over one order's facts returning what it found wrong.

A rule returns ``Finding``s (what was found, the likely cause); ``judge`` runs every rule and names each
difference after the rule that found it (the function's name is the rule's stable id). An order whose saga
or refund is still executing is "in flight": its records are legitimately between two states, so it is
not judged until it settles; one that stays there past ``Policy.stuck_after`` is judged, and the stuck saga
or refund is a difference of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from shared.kernel.money import Money
from tools.reconcile.facts import (
    CANCELLED,
    LIVE_RESERVATION,
    PAID_STAGES,
    PENDING_PAYMENT,
    RUNNING_SAGA,
    SHIPPED_STAGES,
    OrderFacts,
    PaymentView,
    ReservationView,
    units_by_sku,
)


@dataclass(frozen=True)
class Policy:
    # A placement saga normally ends within seconds and a refund execution within minutes; one still
    # running after this long is stuck (the coordinator's recovery should have finished it).
    stuck_after: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Finding:
    found: str
    cause: str


@dataclass(frozen=True)
class Difference:
    order_id: str
    rule: str
    found: str
    cause: str


@dataclass(frozen=True)
class Verdict:
    order_id: str
    status: str
    # Why the order was not judged (a saga or refund still executing), or None once judged.
    in_flight: str | None
    differences: tuple[Difference, ...] = ()

    @property
    def consistent(self) -> bool:
        return self.in_flight is None and not self.differences


Rule = Callable[[OrderFacts, Policy], list[Finding]]


def _sum(amounts: Iterable[Money], currency: str) -> Money:
    """The sum of the amounts in ``currency`` (amounts in another one are a difference of their own)."""
    return Money(sum(a.amount_minor for a in amounts if a.currency == currency), currency)


def _payments(payments: Iterable[PaymentView]) -> str:
    return ", ".join(f"{p.payment_id} {p.status}" for p in payments) or "none"


def _reservations(reservations: Iterable[ReservationView]) -> str:
    return ", ".join(f"{r.reservation_id} {r.status}" for r in reservations) or "none"


def _compensation(facts: OrderFacts, what: str, step: str) -> str:
    """The likely cause of money or stock a cancelled order still holds, from its placement saga's state."""
    saga = facts.saga
    if saga is not None and saga.state in RUNNING_SAGA:
        return f"{what}: saga compensation pending (saga {saga.state})"
    if saga is not None and saga.state == "COMPENSATION_FAILED":
        return f"{what}: saga compensation refused (saga COMPENSATION_FAILED)"
    return f"{what}: the {step} was skipped or failed"


def _live_payments(facts: OrderFacts) -> bool:
    return not facts.order.paid_by_channel


# --- The rules ----------------------------------------------------------------------------------------


def amounts_in_order_currency(facts: OrderFacts, policy: Policy) -> list[Finding]:
    """Every captured and refunded amount of the order is in the order's currency."""
    currency = facts.order.total.currency
    strange = [
        f"payment {p.payment_id} captured {p.captured}" for p in facts.captures if p.captured.currency != currency
    ] + [f"refund {r.refund_id} of {r.total}" for r in facts.refunds if r.total.currency != currency]
    if not strange:
        return []
    return [Finding(f"order in {currency}; " + "; ".join(strange), "money moved in another currency than the order's")]


def paid_order_has_one_capture(facts: OrderFacts, policy: Policy) -> list[Finding]:
    """A paid (or later) order has exactly one captured payment, the one the order names."""
    order = facts.order
    if order.stage not in PAID_STAGES or not _live_payments(facts):
        return []
    captures = facts.captures
    payments = _payments(facts.payments)
    if not captures:
        found = f"order {order.stage} names payment {order.payment_id or '-'}; payments: {payments}"
        if any(p.status == "AUTHORIZED" for p in facts.payments):
            cause = "authorized but never captured: the order was marked paid before the capture"
        elif not facts.payments:
            cause = "no payment at payments for a paid order: marked paid by hand or the payment record is lost"
        else:
            cause = "the money was never taken: the order was marked paid on a payment that did not capture"
        return [Finding(found, cause)]
    if len(captures) > 1:
        return [
            Finding(
                f"{len(captures)} captured payments: {_payments(captures)}",
                "captured twice: a duplicate payment for one order (a placement retried under a new request id?)",
            )
        ]
    if captures[0].payment_id != order.payment_id:
        return [
            Finding(
                f"order names payment {order.payment_id or '-'}, the capture is on {captures[0].payment_id}",
                "the order was marked paid with another payment than the one captured",
            )
        ]
    return []


def capture_matches_total(facts: OrderFacts, policy: Policy) -> list[Finding]:
    """The captured amount equals the order total, and what payments gave back equals the completed refunds."""
    order = facts.order
    if order.stage not in PAID_STAGES or not _live_payments(facts) or len(facts.captures) != 1:
        return []
    (payment,) = facts.captures
    currency = order.total.currency
    if payment.captured.currency != currency:
        return []  # amounts_in_order_currency names it; the amounts cannot be compared
    findings = []
    if payment.captured != order.total:
        findings.append(
            Finding(
                f"captured {payment.captured}, order total {order.total}",
                "a capture of another amount than the order total (the order's amounts changed after payment?)",
            )
        )
    given_back = _sum((p.given_back for p in facts.payments), currency)
    completed = _sum((r.total for r in facts.refunds if r.status == "COMPLETED"), currency)
    if given_back.amount_minor > completed.amount_minor:
        named = {r.payment_refund_id for r in facts.refunds if r.payment_refund_id}
        unnamed = [
            f"{refund.refund_id} {refund.amount} {refund.status}"
            for p in facts.payments
            for refund in p.refunds
            if refund.status != "FAILED" and refund.refund_id not in named
        ]
        executing = [r.refund_id for r in facts.refunds if r.status == "EXECUTING"]
        cause = (
            f"refund execution not finished (refund {', '.join(executing)} still EXECUTING)"
            if executing
            else "money refunded at payments without a completed refund: refunded behind the refunds service"
        )
        found = f"payments gave back {given_back} of {payment.captured}, completed refunds total {completed}"
        if unnamed:
            found += f"; payment refunds no refund names: {', '.join(unnamed)}"
        findings.append(Finding(found, cause))
    return findings


def paid_order_has_stock(facts: OrderFacts, policy: Policy) -> list[Finding]:
    """A paid (or later) order has a COMMITTED or CONFIRMED reservation covering its lines (a marketplace
    order, whose stock the orders service holds on ingest, may still be HELD)."""
    order = facts.order
    if order.stage not in PAID_STAGES:
        return []
    accepted = {"COMMITTED", "CONFIRMED"} | ({"HELD"} if order.paid_by_channel else set())
    good = [r for r in facts.reservations if r.status in accepted]
    if not good:
        if not facts.reservations:
            if order.hold_reason.startswith("OUT_OF_STOCK"):
                cause = f"inventory refused the hold: the order waits in {order.status} ({order.hold_reason})"
            else:
                cause = "stock was never reserved for a paid order"
            return [Finding(f"order {order.stage}, no reservation", cause)]
        latest = facts.reservations[0]
        found = f"order {order.stage}, reservation {latest.reservation_id} {latest.status}"
        if latest.status == "RELEASED":
            reason = f" (reason: {latest.release_reason})" if latest.release_reason else ""
            cause = f"the reservation was released while the order is paid{reason}: released behind the saga's back"
        elif latest.status == "EXPIRED":
            cause = "the hold expired before it was committed: the saga's commit step did not run"
        elif latest.status == "HELD":
            cause = "the reservation is still HELD: the saga's commit step did not run, so the hold will expire"
        else:
            cause = f"the reservation is {latest.status}, not holding the stock of a paid order"
        return [Finding(found, cause)]
    reserved = units_by_sku(line for r in good for line in r.lines)
    short = [
        f"{sku} {reserved.get(sku, 0)} of {quantity}"
        for sku, quantity in sorted(units_by_sku(order.lines).items())
        if reserved.get(sku, 0) < quantity
    ]
    if short:
        return [
            Finding(
                f"reservation {', '.join(r.reservation_id for r in good)} holds {'; '.join(short)}",
                "the reservation covers fewer units than the order's lines",
            )
        ]
    return []


def shipped_reservation_confirmed(facts: OrderFacts, policy: Policy) -> list[Finding]:
    """A shipped (or delivered, completed) order's reservation is CONFIRMED."""
    order = facts.order
    if order.stage not in SHIPPED_STAGES or any(r.status == "CONFIRMED" for r in facts.reservations):
        return []
    live = [r for r in facts.reservations if r.status in LIVE_RESERVATION]
    if not live:
        return []  # no stock held at all: paid_order_has_stock names it
    return [
        Finding(
            f"order {order.stage}, reservation {_reservations(live)}",
            "the shipment was not confirmed at inventory: the shipped stock still counts as reserved",
        )
    ]


def cancelled_order_released(facts: OrderFacts, policy: Policy) -> list[Finding]:
    """A cancelled order holds no stock (no HELD or COMMITTED reservation)."""
    if facts.order.status != CANCELLED:
        return []
    live = [r for r in facts.reservations if r.status in LIVE_RESERVATION]
    if not live:
        return []
    cause = _compensation(facts, "stock still held for a cancelled order", "release")
    return [Finding(f"order CANCELLED, reservation {_reservations(live)}", cause)]


def cancelled_order_refunded(facts: OrderFacts, policy: Policy) -> list[Finding]:
    """A cancelled order keeps no money: no authorization still held and no capture left un-refunded."""
    if facts.order.status != CANCELLED:
        return []
    findings = []
    held = [p for p in facts.payments if p.status in ("AUTHORIZED", "AUTHORIZING")]
    if held:
        cause = _compensation(facts, "authorization without paid order", "void")
        findings.append(Finding(f"order CANCELLED, payment {_payments(held)}", cause))
    for payment in facts.captures:
        if payment.kept.amount_minor > 0:
            cause = _compensation(facts, "capture without paid order", "refund of the capture")
            findings.append(
                Finding(
                    f"order CANCELLED, payment {payment.payment_id} captured {payment.captured},"
                    f" gave back {payment.given_back}",
                    cause,
                )
            )
    return findings


def refunds_within_capture(facts: OrderFacts, policy: Policy) -> list[Finding]:
    """Refunds never exceed the money captured: neither the completed refunds nor any payment's refunds."""
    currency = facts.order.total.currency
    captured = _sum((p.captured for p in facts.captures), currency)
    completed = _sum((r.total for r in facts.refunds if r.status == "COMPLETED"), currency)
    findings = []
    if completed.amount_minor > captured.amount_minor:
        findings.append(
            Finding(
                f"completed refunds total {completed}, captured {captured}",
                "more refunded than was captured: a refund completed twice or without a capture",
            )
        )
    for payment in facts.payments:
        same = payment.captured.currency == payment.given_back.currency
        if same and payment.given_back.amount_minor > payment.captured.amount_minor:
            findings.append(
                Finding(
                    f"payment {payment.payment_id} gave back {payment.given_back} of {payment.captured}",
                    "the payment refunded more than it captured: a refund paid twice",
                )
            )
    return findings


def completed_refund_paid(facts: OrderFacts, policy: Policy) -> list[Finding]:
    """Each COMPLETED refund names a payment refund that SUCCEEDED for the same amount."""
    findings = []
    for refund in facts.refunds:
        if refund.status != "COMPLETED":
            continue
        if not refund.payment_refund_id:
            findings.append(
                Finding(f"refund {refund.refund_id} COMPLETED names no payment refund", "completed without paying")
            )
            continue
        paid = facts.payment_refund(refund.payment_refund_id)
        if paid is None:
            findings.append(
                Finding(
                    f"refund {refund.refund_id} COMPLETED names payment refund {refund.payment_refund_id},"
                    " which payments does not know for this order",
                    "the refund was marked completed without the money paid back",
                )
            )
        elif paid.status != "SUCCEEDED":
            findings.append(
                Finding(
                    f"refund {refund.refund_id} COMPLETED, payment refund {paid.refund_id} {paid.status}",
                    "the refund was marked completed before the provider paid it out"
                    if paid.status == "PENDING"
                    else "the refund was marked completed although the provider refused to pay it",
                )
            )
        elif paid.amount != refund.total:
            findings.append(
                Finding(
                    f"refund {refund.refund_id} of {refund.total}, payment refund {paid.refund_id} of {paid.amount}",
                    "the money paid back differs from the refund granted",
                )
            )
    return findings


def succeeded_saga_paid_order(facts: OrderFacts, policy: Policy) -> list[Finding]:
    """A SUCCEEDED placement saga's order was paid with the saga's payment."""
    saga, order = facts.saga, facts.order
    if saga is None or saga.state != "SUCCEEDED":
        return []
    if order.stage == PENDING_PAYMENT or not order.payment_id:
        return [
            Finding(
                f"saga {saga.saga_id} SUCCEEDED, order {order.status} without a payment",
                "the saga succeeded but the order was never marked paid",
            )
        ]
    if saga.payment_id and order.payment_id != saga.payment_id:
        return [
            Finding(
                f"saga {saga.saga_id} paid with {saga.payment_id}, order names {order.payment_id}",
                "the order records another payment than its placement saga took",
            )
        ]
    return []


def failed_saga_cancelled_order(facts: OrderFacts, policy: Policy) -> list[Finding]:
    """A FAILED placement saga's order is CANCELLED."""
    saga, order = facts.saga, facts.order
    if saga is None or saga.state != "FAILED" or order.status == CANCELLED:
        return []
    failure = f" at {saga.failed_step} ({saga.failure_reason})" if saga.failed_step else ""
    return [
        Finding(
            f"saga {saga.saga_id} FAILED{failure}, order {order.status}",
            "the placement failed but its order was not cancelled: the cancel compensation did not run",
        )
    ]


def saga_settled(facts: OrderFacts, policy: Policy) -> list[Finding]:
    """The placement saga ended: not stuck running, and no compensation refused."""
    saga = facts.saga
    if saga is None:
        return []
    if saga.state == "COMPENSATION_FAILED":
        failure = f" after {saga.failed_step} failed ({saga.failure_reason})" if saga.failed_step else ""
        return [
            Finding(
                f"saga {saga.saga_id} COMPENSATION_FAILED{failure}",
                "a participant refused a compensation: the order needs a person",
            )
        ]
    if saga.state in RUNNING_SAGA and facts.as_of - saga.created_at >= policy.stuck_after:
        return [
            Finding(
                f"saga {saga.saga_id} {saga.state} since {saga.created_at.isoformat()}",
                "the saga is stuck: the coordinator's recovery is not resuming it",
            )
        ]
    return []


def refund_execution_settled(facts: OrderFacts, policy: Policy) -> list[Finding]:
    """No refund stays EXECUTING: its execution saga pays it and marks it completed or failed."""
    return [
        Finding(
            f"refund {refund.refund_id} EXECUTING since {refund.updated_at.isoformat()}",
            "the refund execution is stuck: its saga neither completed nor failed it",
        )
        for refund in facts.refunds
        if refund.status == "EXECUTING" and facts.as_of - refund.updated_at >= policy.stuck_after
    ]


RULES: tuple[Rule, ...] = (
    amounts_in_order_currency,
    paid_order_has_one_capture,
    capture_matches_total,
    paid_order_has_stock,
    shipped_reservation_confirmed,
    cancelled_order_released,
    cancelled_order_refunded,
    refunds_within_capture,
    completed_refund_paid,
    succeeded_saga_paid_order,
    failed_saga_cancelled_order,
    saga_settled,
    refund_execution_settled,
)


def describe(rules: Sequence[Rule] = RULES) -> dict[str, str]:
    """Each rule's id and what it demands (its docstring's first paragraph)."""
    return {rule.__name__: " ".join((rule.__doc__ or "").split("\n\n")[0].split()) for rule in rules}


def in_flight(facts: OrderFacts, policy: Policy) -> str | None:
    """Why the order is legitimately between two states right now, or None when it should be settled."""
    saga = facts.saga
    if saga is not None and saga.state in RUNNING_SAGA and facts.as_of - saga.created_at < policy.stuck_after:
        return f"placement saga {saga.saga_id} {saga.state}"
    for refund in facts.refunds:
        if refund.status == "EXECUTING" and facts.as_of - refund.updated_at < policy.stuck_after:
            return f"refund {refund.refund_id} EXECUTING"
    order = facts.order
    if (
        order.paid_by_channel
        and order.stage in PAID_STAGES
        and not any(r.status in LIVE_RESERVATION or r.status == "CONFIRMED" for r in facts.reservations)
        and not order.hold_reason
        and facts.as_of - order.updated_at < policy.stuck_after
    ):
        # The orders service reserves a paid marketplace order's stock right after ingest, asynchronously.
        return "stock hold of the channel order pending"
    return None


def judge(facts: OrderFacts, policy: Policy = Policy(), rules: Sequence[Rule] = RULES) -> Verdict:
    """Run every rule over one order (unless it is in flight)."""
    waiting = in_flight(facts, policy)
    if waiting is not None:
        return Verdict(facts.order_id, facts.order.status, waiting)
    differences = tuple(
        Difference(facts.order_id, rule.__name__, finding.found, finding.cause)
        for rule in rules
        for finding in rule(facts, policy)
    )
    return Verdict(facts.order_id, facts.order.status, None, differences)
