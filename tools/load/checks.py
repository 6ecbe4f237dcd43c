"""The correctness checks of a load run, as pure functions of what was sent and what the services hold now.

Each check passes or fails on its own and says why, with a few examples of what it found.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tools.load.scenarios import Attempt, parse_remark_tag

EXAMPLES = 10
TERMINAL_SAGA_STATES = frozenset({"SUCCEEDED", "FAILED", "COMPENSATION_FAILED", "NOT_FOUND"})
STOCK_OUT_REASONS = frozenset({"INSUFFICIENT_STOCK", "SKU_PAUSED"})
# Reservation states that hold stock (counted in the stock rows' reserved); CONFIRMED ones have shipped it.
HOLDING = frozenset({"HELD", "COMMITTED"})
# A placed order is PAID or has moved on since (review, fulfilment, a hold); these states mean it is not.
UNPAID_STATES = frozenset({"UNSPECIFIED", "PENDING_PAYMENT", "CANCELLED"})
# A payment whose authorization the provider has not answered yet: the payments service settles it (asks the
# provider, then voids it for an order that failed) once its repair grace has passed, so it is not yet a fault.
PENDING_PAYMENT_STATE = "AUTHORIZING"


@dataclass(frozen=True)
class SkuSnapshot:
    """One SKU's totals across warehouses; ``shipped`` is the units of its CONFIRMED reservations."""

    sku: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int
    shipped: int

    @property
    def received(self) -> int:
        """Every unit that came in: what is on hand plus what has left."""
        return self.on_hand + self.shipped


@dataclass(frozen=True)
class OrderFact:
    order_id: str
    status: str
    total_minor: int
    customer_id: str
    remark: str
    lines: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class HoldFact:
    """A reservation that holds (HELD, or COMMITTED once its order is paid) or has shipped (CONFIRMED) stock
    of the run's SKUs."""

    reservation_id: str
    order_id: str
    status: str
    lines: tuple[tuple[str, int], ...]
    expires_at: datetime | None


@dataclass(frozen=True)
class PaymentFact:
    payment_id: str
    order_id: str
    status: str
    captured: int
    refunded: int
    refund_pending: int


@dataclass(frozen=True)
class RefundFact:
    """A refund of one of the run's orders as the refunds service holds it."""

    refund_id: str
    order_id: str
    status: str
    total_minor: int


REFUND_END_STATES = frozenset({"COMPLETED", "FAILED", "REJECTED"})


@dataclass(frozen=True)
class ChannelOrderFact:
    """An order of one of the run's channel order ids as ListOrders (by channel) shows it."""

    channel: str
    channel_order_id: str
    order_id: str
    status: str


@dataclass(frozen=True)
class SagaFact:
    """What GetSaga says of a request whose answer the run did not hear (``NOT_FOUND``: no saga began)."""

    request_id: str
    state: str
    order_id: str = ""
    total_minor: int = 0


@dataclass
class Facts:
    """Everything the checks look at, gathered after the run."""

    run_id: str
    skus: tuple[str, ...]
    hot_sku: str
    flash_units: int
    initial: Mapping[str, SkuSnapshot]
    final: Mapping[str, SkuSnapshot]
    attempts: Sequence[Attempt]
    sagas: Mapping[str, SagaFact]
    fetched: Mapping[str, OrderFact | None]
    listed: Sequence[OrderFact]
    holds: Sequence[HoldFact]
    payments: Mapping[str, Sequence[PaymentFact]]
    now: datetime
    problems: Sequence[str] = ()
    refunds: Mapping[str, Sequence[RefundFact]] = field(default_factory=dict)
    channel_orders: Sequence[ChannelOrderFact] = ()

    def refunded(self, order_id: str) -> int:
        """What the completed refunds of an order paid back."""
        return sum(r.total_minor for r in self.refunds.get(order_id, ()) if r.status == "COMPLETED")

    def refund_open(self, order_id: str) -> bool:
        return any(r.status not in REFUND_END_STATES for r in self.refunds.get(order_id, ()))


@dataclass
class CheckResult:
    name: str
    title: str
    passed: bool
    summary: str
    examples: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "FAIL"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "verdict": self.verdict,
            "summary": self.summary,
            "examples": self.examples,
            "figures": self.figures,
        }


class _Findings:
    """Counts problems by kind and keeps a few examples of each."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.examples: list[str] = []

    def add(self, kind: str, example: str) -> None:
        self.counts[kind] += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append(f"{kind}: {example}")

    def __bool__(self) -> bool:
        return bool(self.counts)

    def summary(self, clean: str) -> str:
        if not self.counts:
            return clean
        return "; ".join(f"{count} {kind}" for kind, count in self.counts.most_common())


@dataclass
class Ledger:
    """The run's orders as the client knows them, once the unheard outcomes are settled."""

    acked: dict[str, str] = field(default_factory=dict)  # request id -> order id, as answered
    acked_totals: dict[str, int] = field(default_factory=dict)  # order id -> total answered
    live: set[str] = field(default_factory=set)  # placed and not cancelled
    cancelled: set[str] = field(default_factory=set)
    ambiguous: set[str] = field(default_factory=set)  # orders whose saga had not ended when checked
    unsettled: list[str] = field(default_factory=list)  # request ids without a final outcome
    numbers_ok: set[int] = field(default_factory=set)  # arrival numbers whose order exists and is wanted
    numbers_by_order: dict[str, int] = field(default_factory=dict)


def ledger_of(facts: Facts) -> Ledger:
    ledger = Ledger()
    placed: dict[str, int] = {}
    for attempt in facts.attempts:
        if not attempt.places_order:
            continue
        if attempt.outcome == "ok":
            ledger.acked[attempt.request_id] = attempt.order_id
            ledger.acked_totals[attempt.order_id] = attempt.total_minor
            placed[attempt.order_id] = attempt.number
        elif attempt.outcome in ("error", "pending"):
            saga = facts.sagas.get(attempt.request_id)
            state = saga.state if saga else "UNKNOWN"
            if state == "SUCCEEDED" and saga is not None:
                placed[saga.order_id] = attempt.number
            elif state not in TERMINAL_SAGA_STATES:
                ledger.unsettled.append(attempt.request_id)
                if saga is not None and saga.order_id:
                    ledger.ambiguous.add(saga.order_id)
    for attempt in facts.attempts:
        if attempt.scenario != "cancel":
            continue
        if attempt.outcome == "ok":
            ledger.cancelled.add(attempt.target_order_id)
        elif attempt.outcome in ("error", "pending"):
            saga = facts.sagas.get(attempt.request_id)
            state = saga.state if saga else "UNKNOWN"
            if state == "SUCCEEDED":
                ledger.cancelled.add(attempt.target_order_id)
            elif state not in TERMINAL_SAGA_STATES:
                ledger.unsettled.append(attempt.request_id)
                ledger.ambiguous.add(attempt.target_order_id)
    ledger.live = set(placed) - ledger.cancelled - ledger.ambiguous
    ledger.numbers_by_order = placed
    ledger.numbers_ok = set(placed.values())
    return ledger


def order_facts(facts: Facts) -> dict[str, OrderFact]:
    """Every order of the run the services know: GetOrder's answers over the listing's."""
    known = {order.order_id: order for order in facts.listed}
    known.update({order_id: order for order_id, order in facts.fetched.items() if order is not None})
    return known


def _units(lines: Iterable[tuple[str, int]], skus: Iterable[str]) -> Counter[str]:
    wanted = set(skus)
    units: Counter[str] = Counter()
    for sku, quantity in lines:
        if sku in wanted:
            units[sku] += quantity
    return units


def check_orders(facts: Facts, ledger: Ledger) -> CheckResult:
    """Every acknowledged PlaceOrder has exactly one order (found by GetOrder, as answered), each request
    id maps to one order and each order to one request, and no order of the run exists that nobody asked for."""
    found = _Findings()
    for request_id, order_id in ledger.acked.items():
        order = facts.fetched.get(order_id)
        if order is None:
            found.add("lost", f"request {request_id} was answered with order {order_id}, which GetOrder does not find")
            continue
        if order_id in ledger.cancelled:
            wrong, wanted = order.status != "CANCELLED", "CANCELLED"
        else:
            wrong, wanted = order.status in UNPAID_STATES, "PAID or later"
        if order_id not in ledger.ambiguous and wrong:
            found.add("in the wrong state", f"order {order_id} is {order.status}, expected {wanted}")
        if order.total_minor != ledger.acked_totals.get(order_id, order.total_minor):
            found.add(
                "with another total",
                f"order {order_id} totals {order.total_minor}, PlaceOrder said {ledger.acked_totals[order_id]}",
            )
    by_order: defaultdict[str, set[str]] = defaultdict(set)
    for request_id, order_id in ledger.acked.items():
        by_order[order_id].add(request_id)
    for order_id, requests in by_order.items():
        if len(requests) > 1:
            found.add("shared by several requests", f"order {order_id} answers {len(requests)} request ids")
    for attempt in facts.attempts:
        orders = {reply.removeprefix("order:") for reply in attempt.replies if reply.startswith("order:")}
        refusals = [reply for reply in attempt.replies if reply.startswith("refused:")]
        if len(orders) > 1:
            found.add("split", f"request {attempt.request_id} got {len(orders)} different orders: {sorted(orders)}")
        elif orders and refusals:
            found.add("contradicted", f"request {attempt.request_id} got an order and also {refusals[0]}")
    per_number: Counter[int] = Counter()
    for order in facts.listed:
        number = parse_remark_tag(order.remark, facts.run_id)
        if number is None:
            found.add("not asked for", f"order {order.order_id} sells the run's SKUs but carries no arrival tag")
            continue
        per_number[number] += 1
        placed = number in ledger.numbers_ok or order.order_id in ledger.ambiguous
        if order.status != "CANCELLED" and not placed:
            found.add(
                "unknown to the client",
                f"order {order.order_id} ({order.status}) of arrival {number}, which was not placed",
            )
    for number, count in per_number.items():
        if count > 1:
            found.add("duplicated", f"arrival {number} has {count} orders")
    return CheckResult(
        "orders",
        "0 lost or duplicated orders",
        not found,
        found.summary(f"{len(ledger.acked)} acknowledged orders, each found once; {len(facts.listed)} listed"),
        found.examples,
        {"acknowledged": len(ledger.acked), "listed": len(facts.listed), **dict(found.counts)},
    )


def check_oversold(facts: Facts, ledger: Ledger, orders: Mapping[str, OrderFact]) -> CheckResult:
    """Reserved + shipped never above what was received, and the run's live orders never hold more than
    was for sale when it began."""
    found = _Findings()
    sold: Counter[str] = Counter()
    for order_id in ledger.live:
        order = orders.get(order_id)
        if order is not None:
            sold.update(_units(order.lines, facts.skus))
    figures: dict[str, Any] = {}
    for sku in facts.skus:
        initial, final = facts.initial.get(sku), facts.final.get(sku)
        if initial is None or final is None:
            found.add("unmeasured", f"{sku} has no stock figures")
            continue
        figures[sku] = {"received": initial.received, "reserved": final.reserved, "shipped": final.shipped}
        if final.reserved + final.shipped > initial.received:
            found.add(
                "oversold",
                f"{sku}: reserved {final.reserved} + shipped {final.shipped} > received {initial.received}",
            )
        if sold[sku] > initial.available:
            found.add("oversold", f"{sku}: live orders hold {sold[sku]} units, {initial.available} were for sale")
    return CheckResult(
        "oversold",
        "0 oversold",
        not found,
        found.summary(f"{len(facts.skus)} SKUs; none sold beyond its stock"),
        found.examples,
        {"skus": figures, "sold": dict(sold)},
    )


def check_stock(facts: Facts, ledger: Ledger, orders: Mapping[str, OrderFact]) -> CheckResult:
    """Stock conserved: for each SKU, received = available + reserved + shipped + safety; the reservations
    add up to the stock rows; each live order holds exactly its units; nothing else holds any."""
    found = _Findings()
    skus = set(facts.skus)
    run_orders = set(orders) | set(ledger.live)
    held_by_order: defaultdict[str, Counter[str]] = defaultdict(Counter)
    held_rows: Counter[str] = Counter()
    for hold in facts.holds:
        units = _units(hold.lines, skus)
        held_by_order[hold.order_id].update(units)
        if hold.status in HOLDING:
            held_rows.update(units)
        if hold.order_id in ledger.ambiguous:
            continue
        if hold.order_id not in run_orders:
            found.add("held for an order not of the run", f"reservation {hold.reservation_id} of {hold.order_id}")
        elif hold.order_id not in ledger.live and hold.status in HOLDING:
            found.add("held for a failed or cancelled order", f"reservation {hold.reservation_id} of {hold.order_id}")
        elif hold.order_id in ledger.live and hold.status == "HELD":
            # The saga commits a paid order's hold; one still HELD would expire and free sold stock.
            found.add("paid but still expiring", f"reservation {hold.reservation_id} of {hold.order_id}")
    for sku in facts.skus:
        initial, final = facts.initial.get(sku), facts.final.get(sku)
        if initial is None or final is None:
            found.add("unmeasured", f"{sku} has no stock figures")
            continue
        accounted = final.available + final.reserved + final.shipped + final.safety_stock
        if accounted != initial.received:
            found.add(
                "not conserved",
                f"{sku}: received {initial.received} != available {final.available} + reserved {final.reserved}"
                f" + shipped {final.shipped} + safety {final.safety_stock}",
            )
        if held_rows[sku] != final.reserved:
            found.add("ledger mismatch", f"{sku}: stock rows reserve {final.reserved}, reservations {held_rows[sku]}")
    for order_id in sorted(ledger.live):
        order = orders.get(order_id)
        if order is None:
            continue  # the orders check reports it lost
        wanted = _units(order.lines, skus)
        held = held_by_order.get(order_id, Counter())
        if held != wanted:
            kind = "paid without stock held" if not held else "holding other units than it bought"
            found.add(kind, f"order {order_id} bought {dict(wanted)}, holds {dict(held)}")
    return CheckResult(
        "stock",
        "stock conserved",
        not found,
        found.summary(f"{len(facts.skus)} SKUs balance; {len(ledger.live)} live orders hold exactly their units"),
        found.examples,
        dict(found.counts),
    )


def check_money(facts: Facts, ledger: Ledger, orders: Mapping[str, OrderFact]) -> CheckResult:
    """Captured = paid: the captures of the live orders add up to their totals, one by one; a cancelled or
    failed order keeps nothing (captured - refunded = 0) and no authorization left holding money."""
    found = _Findings()
    paid_total = captured_total = pending = 0
    for order_id in sorted(ledger.live):
        order = orders.get(order_id)
        if order is None or facts.refund_open(order_id):
            continue  # a refund still executing: its money is in motion (the settled check reports it)
        payments = facts.payments.get(order_id, ())
        captured = sum(p.captured for p in payments)
        refunded = sum(p.refunded for p in payments)
        owed = order.total_minor - facts.refunded(order_id)
        paid_total += owed
        captured_total += captured - refunded
        if not payments:
            found.add("paid without a payment", f"order {order_id}")
        elif captured - refunded != owed:
            found.add(
                "captured another amount",
                f"order {order_id} totals {order.total_minor} less {facts.refunded(order_id)} refunded,"
                f" captured {captured}, refunded {refunded}",
            )
    for order_id, order in sorted(orders.items()):
        if order_id in ledger.live or order_id in ledger.ambiguous:
            continue
        for payment in facts.payments.get(order_id, ()):
            kept = payment.captured - payment.refunded
            if kept:
                found.add("money kept", f"order {order_id} ({order.status}) keeps {kept} ({payment.payment_id})")
            if payment.status == "AUTHORIZED":
                found.add("authorization left", f"order {order_id} ({order.status}) payment {payment.payment_id}")
            elif payment.status == PENDING_PAYMENT_STATE:
                pending += 1
    summary = f"captured {captured_total} = paid {paid_total} (less refunds) over {len(ledger.live)} live orders"
    if pending:
        summary += f" ({pending} authorizations of failed orders still pending at the provider)"
    return CheckResult(
        "money",
        "captured = paid",
        not found,
        found.summary(summary),
        found.examples,
        {"captured_minor": captured_total, "paid_minor": paid_total, "pending": pending, **dict(found.counts)},
    )


def check_refunds(facts: Facts) -> CheckResult:
    """Refunds never above captures, per payment (pending refunds included), and every completed refund of
    the run paid exactly once: the payments refunded what the refunds service completed, no more, no less."""
    found = _Findings()
    count = refunded_total = 0
    for payments in facts.payments.values():
        for payment in payments:
            count += 1
            refunded_total += payment.refunded
            if payment.refunded + payment.refund_pending > payment.captured:
                found.add(
                    "refunded beyond the capture",
                    f"payment {payment.payment_id}: captured {payment.captured}, refunded {payment.refunded}"
                    f" (+{payment.refund_pending} pending)",
                )
    completed = 0
    for order_id, refunds in facts.refunds.items():
        completed += sum(1 for r in refunds if r.status == "COMPLETED")
        if facts.refund_open(order_id):
            continue
        paid_back = sum(p.refunded for p in facts.payments.get(order_id, ()))
        if paid_back != facts.refunded(order_id):
            kind = "refunded twice" if paid_back > facts.refunded(order_id) else "refund not paid"
            found.add(kind, f"order {order_id}: refunds completed {facts.refunded(order_id)}, payments {paid_back}")
    return CheckResult(
        "refunds",
        "refunds <= captured",
        not found,
        found.summary(f"{count} payments, {completed} refunds completed; {refunded_total} refunded, each once"),
        found.examples,
        {"payments": count, "refunds_completed": completed, "refunded_minor": refunded_total, **dict(found.counts)},
    )


def check_expired_holds(facts: Facts, ledger: Ledger, orders: Mapping[str, OrderFact]) -> CheckResult:
    """No reservation of a failed or cancelled order is still HELD after its expiry time."""
    found = _Findings()
    waiting = 0
    for hold in facts.holds:
        if hold.status != "HELD" or hold.order_id in ledger.live or hold.order_id in ledger.ambiguous:
            continue
        if hold.expires_at is not None and hold.expires_at <= facts.now:
            owner = "failed or cancelled" if hold.order_id in orders else "unknown"
            found.add("held past its TTL", f"reservation {hold.reservation_id} of {owner} order {hold.order_id}")
        else:
            waiting += 1
    summary = "no reservation of a failed order outlived its TTL"
    if waiting:
        summary += f" ({waiting} not yet expired)"
    return CheckResult(
        "reservations",
        "no reservation left after the TTL for failed orders",
        not found,
        found.summary(summary),
        found.examples,
        {"not_yet_expired": waiting, **dict(found.counts)},
    )


def check_settled(facts: Facts, ledger: Ledger) -> CheckResult:
    """Every request whose answer the client did not hear has a saga that ended (or none at all)."""
    unheard = [a for a in facts.attempts if a.outcome in ("error", "pending")]
    found = _Findings()
    for request_id in ledger.unsettled:
        saga = facts.sagas.get(request_id)
        found.add("not ended", f"request {request_id}: saga {saga.state if saga else 'UNKNOWN'}")
    for refunds in facts.refunds.values():
        for refund in refunds:
            if refund.status not in REFUND_END_STATES:
                found.add("refund not ended", f"refund {refund.refund_id} of order {refund.order_id}: {refund.status}")
    return CheckResult(
        "settled",
        "every saga ended",
        not found,
        found.summary(f"{len(unheard)} unheard answers, all settled by GetSaga"),
        found.examples,
        {"unheard": len(unheard), "unsettled": len(ledger.unsettled)},
    )


def check_flash(facts: Facts, ledger: Ledger, orders: Mapping[str, OrderFact]) -> CheckResult:
    """The flash sale sold exactly its stock: never more, and all of it once buyers were turned away."""
    hot = facts.hot_sku
    sold = sum(_units(orders[o].lines, [hot])[hot] for o in ledger.live if o in orders)
    turned_away = sum(
        1 for a in facts.attempts if a.scenario == "flash" and a.outcome == "refused" and a.reason in STOCK_OUT_REASONS
    )
    buyers = sum(1 for a in facts.attempts if a.scenario == "flash")
    exact = sold == facts.flash_units if turned_away else sold <= facts.flash_units
    expectation = f"exactly {facts.flash_units}" if turned_away else f"at most {facts.flash_units}"
    return CheckResult(
        "flash",
        "flash sale sold exactly the stock",
        exact,
        f"{buyers} buyers, {turned_away} turned away for stock; sold {sold} units, {expectation} expected",
        [],
        {"buyers": buyers, "turned_away": turned_away, "sold": sold, "units": facts.flash_units},
    )


def check_declines(facts: Facts) -> CheckResult:
    """Every order paid with a declining card was refused with PAYMENT_DECLINED, none placed."""
    found = _Findings()
    declines = [a for a in facts.attempts if a.scenario == "decline"]
    for attempt in declines:
        if attempt.outcome == "ok":
            found.add("placed with a declining card", f"request {attempt.request_id} -> order {attempt.order_id}")
        elif attempt.outcome == "refused" and attempt.reason not in ("PAYMENT_DECLINED", *STOCK_OUT_REASONS):
            found.add("refused for another reason", f"request {attempt.request_id}: {attempt.reason}")
    return CheckResult(
        "declines",
        "declined cards are refused",
        not found,
        found.summary(f"{len(declines)} orders with declining cards, none placed"),
        found.examples,
        dict(found.counts),
    )


def check_ingest(facts: Facts) -> CheckResult:
    """Every distinct (channel, channel order id) sent appears exactly once: as one order in the channel's
    listing, the very order the hub answered for each of its records; a duplicate was UNCHANGED (no second
    order) and no order of the run's ids exists that was never sent. A batch whose answer was not heard may
    or may not have been ingested (it is one transaction), so its ids may appear once or not at all."""
    found = _Findings()
    answered: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    created: Counter[tuple[str, str]] = Counter()
    unheard: set[tuple[str, str]] = set()
    records = duplicates = 0
    for attempt in facts.attempts:
        if attempt.scenario != "ingest" or attempt.sent is None:
            continue
        records += len(attempt.channel_order_ids)
        duplicates += attempt.duplicates
        if attempt.outcome != "ok":
            if attempt.outcome != "refused":
                unheard.update((attempt.channel, cid) for cid in attempt.channel_order_ids)
            continue
        if len(attempt.ingested) != len(attempt.channel_order_ids):
            found.add(
                "answered short",
                f"request {attempt.request_id}: {len(attempt.ingested)} results for"
                f" {len(attempt.channel_order_ids)} records",
            )
        for sent_id, record in zip(attempt.channel_order_ids, attempt.ingested, strict=False):
            key = (attempt.channel, sent_id)
            if record.outcome == "FAILED":
                found.add("not ingested", f"{attempt.channel} {sent_id}: {record.reason}")
                continue
            if record.channel_order_id != sent_id:
                found.add("answered for another order", f"{attempt.channel} {sent_id}: {record.channel_order_id}")
            answered[key].add(record.order_id)
            if record.outcome == "CREATED":
                created[key] += 1
    listed: defaultdict[tuple[str, str], list[str]] = defaultdict(list)
    for order in facts.channel_orders:
        listed[(order.channel, order.channel_order_id)].append(order.order_id)
    for key, order_ids in sorted(answered.items()):
        channel, cid = key
        if len(order_ids) > 1:
            found.add("split", f"{channel} {cid} was answered with {len(order_ids)} orders: {sorted(order_ids)}")
        if created[key] > 1:
            found.add("created twice", f"{channel} {cid} was CREATED by {created[key]} records")
        shown = listed.get(key, [])
        if not shown:
            found.add("lost", f"{channel} {cid} (order {sorted(order_ids)[0]}) is not listed")
        elif set(shown) - order_ids:
            found.add("another order listed", f"{channel} {cid}: listed {shown}, answered {sorted(order_ids)}")
    for key, shown in sorted(listed.items()):
        channel, cid = key
        if len(shown) > 1:
            found.add("duplicated", f"{channel} {cid} has {len(shown)} orders: {shown}")
        if key not in answered and key not in unheard:
            found.add("not asked for", f"{channel} {cid} (order {shown[0]}) was never sent and acknowledged")
    distinct = len(answered.keys() | unheard)
    return CheckResult(
        "ingest",
        "each channel order ingested exactly once",
        not found,
        found.summary(
            f"{records} records sent ({duplicates} resent duplicates): {distinct} distinct channel orders,"
            f" {len(answered)} acknowledged, each listed once; {len(facts.channel_orders)} listed"
        ),
        found.examples,
        {
            "records": records,
            "duplicates_sent": duplicates,
            "distinct": distinct,
            "acknowledged": len(answered),
            "listed": len(facts.channel_orders),
            **dict(found.counts),
        },
    )


def check_verification(facts: Facts) -> CheckResult:
    """The checks saw everything they needed: no read of the services failed."""
    return CheckResult(
        "verification",
        "verification complete",
        not facts.problems,
        "every read succeeded" if not facts.problems else f"{len(facts.problems)} reads failed",
        list(facts.problems[:EXAMPLES]),
        {"failed_reads": len(facts.problems)},
    )


def evaluate(facts: Facts, *, flash: bool, declines: bool, ingest: bool = False) -> list[CheckResult]:
    """Every check, in the order the report lists them."""
    ledger = ledger_of(facts)
    orders = order_facts(facts)
    results = [
        check_oversold(facts, ledger, orders),
        check_orders(facts, ledger),
        check_stock(facts, ledger, orders),
        check_money(facts, ledger, orders),
        check_refunds(facts),
        check_expired_holds(facts, ledger, orders),
        check_settled(facts, ledger),
    ]
    if flash:
        results.append(check_flash(facts, ledger, orders))
    if declines:
        results.append(check_declines(facts))
    if ingest:
        results.append(check_ingest(facts))
    results.append(check_verification(facts))
    return results
