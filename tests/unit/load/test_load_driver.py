"""The open-model driver over an in-memory transport: arrivals on the clock, latency from the due time,
the in-flight cap, and what each scenario sends."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from oms.saga.v1 import saga_pb2

from tools.load.catalogue import Catalogue
from tools.load.config import LoadConfig, parse_mix
from tools.load.driver import drive
from tools.load.scenarios import CallFailed, Placed, Refunded, buyer_phone, parse_remark_tag, remark_tag

CATALOGUE = Catalogue("t1", "w1", ("T-A", "T-B", "T-C"), "T-HOT", {"T-A": 100, "T-B": 200, "T-C": 300, "T-HOT": 50})


class FakeSaga:
    """Places orders in memory, one per request id (like the saga), after ``delay`` seconds; declines
    tok_decline; sells the hot SKU until ``hot`` units are gone; ``gate`` holds every call while closed."""

    def __init__(self, delay: float = 0.0, hot: int = 1_000_000, block_loop: float = 0.0) -> None:
        self.delay = delay
        self.hot = hot
        self.block_loop = block_loop
        self.gate = asyncio.Event()
        self.gate.set()
        self.orders: dict[str, str] = {}
        self.calls: Counter[str] = Counter()
        self.cancelled: list[str] = []
        self.in_flight = 0
        self.peak = 0

    async def place(self, request: saga_pb2.PlaceOrderRequest, timeout: float) -> Placed:
        self.calls[request.request_id] += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if self.block_loop:
                blocked, self.block_loop = self.block_loop, 0.0
                time.sleep(blocked)  # noqa: ASYNC251 - on purpose: the sender stalls, as when CPU-starved
            await self.gate.wait()
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        if request.payment_method.token == "tok_decline":
            raise CallFailed("FAILED_PRECONDITION", "PAYMENT_DECLINED")
        if request.request_id not in self.orders:
            if any(line.sku == CATALOGUE.hot for line in request.lines):
                if self.hot <= 0:
                    raise CallFailed("FAILED_PRECONDITION", "INSUFFICIENT_STOCK")
                self.hot -= 1
            self.orders[request.request_id] = f"order-{len(self.orders)}"
        order_id = self.orders[request.request_id]
        return Placed(order_id, f"saga-{order_id}", "customer", 100, f"pay-{order_id}")

    async def cancel(self, request_id: str, order_id: str, reason: str, timeout: float) -> None:
        self.cancelled.append(order_id)

    async def close(self) -> None:
        pass


class FakeRefundDesk:
    """Completes every refund at once, except those of orders named in ``refuse``."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.refunded: list[tuple[str, str, int]] = []
        self.refuse = refuse

    async def refund(self, order_id: str, payment_id: str, amount_minor: int, timeout: float) -> Refunded:
        if order_id in self.refuse:
            raise CallFailed("FAILED_PRECONDITION", "REFUND_EXCEEDS_CAPTURED")
        self.refunded.append((order_id, payment_id, amount_minor))
        return Refunded(f"refund-{len(self.refunded)}", amount_minor, "COMPLETED")


def config(**overrides: object) -> LoadConfig:
    values: dict[str, object] = {"rate": 100.0, "duration": 0.5, "arrivals": "uniform", "mix": parse_mix("place=1")}
    values.update(overrides)
    return LoadConfig(**values)  # type: ignore[arg-type]


async def test_arrivals_follow_the_schedule_whatever_the_answers_take():
    saga = FakeSaga(delay=0.3)

    traffic = await drive(config(rate=100.0, duration=0.5), saga, CATALOGUE, progress=False)

    assert len(traffic.attempts) == 50
    assert [a.due for a in traffic.attempts[:3]] == [0.0, 0.01, 0.02]
    # A closed loop would have waited 0.3 s per answer; the open model kept sending.
    assert saga.peak >= 25
    assert all(a.outcome == "ok" for a in traffic.attempts)
    assert all(a.latency is not None and 0.3 <= a.latency < 1.0 for a in traffic.attempts)


async def test_latency_counts_from_the_due_time_when_the_sender_itself_stalls():
    saga = FakeSaga(block_loop=0.25)

    traffic = await drive(config(rate=100.0, duration=0.5), saga, CATALOGUE, progress=False)

    # Arrivals due while the loop was blocked were sent late; their wait is part of their latency.
    late = [a for a in traffic.attempts if a.sent is not None and a.sent - a.due > 0.1]
    assert late
    assert all(a.latency is not None and a.latency >= a.sent - a.due for a in late)
    assert max(a.latency for a in traffic.attempts if a.latency is not None) >= 0.2
    assert traffic.late_sends >= len(late)


async def test_arrivals_beyond_the_in_flight_cap_are_not_sent():
    saga = FakeSaga()
    saga.gate.clear()

    async def release_later() -> None:
        await asyncio.sleep(0.6)
        saga.gate.set()

    releaser = asyncio.create_task(release_later())
    traffic = await drive(config(rate=100.0, duration=0.5, max_in_flight=5), saga, CATALOGUE, progress=False)
    await releaser

    outcomes = Counter(a.outcome for a in traffic.attempts)
    assert outcomes == {"ok": 5, "not_sent": 45}
    assert saga.peak == 5
    assert sum(row["not_sent"] for row in traffic.timeline.rows()) == 45
    assert all(a.reason == "NOT_SENT" and a.sent is None for a in traffic.attempts if a.outcome == "not_sent")


async def test_max_requests_bounds_the_arrivals():
    traffic = await drive(config(rate=1000.0, duration=5.0, max_requests=30), FakeSaga(), CATALOGUE, progress=False)

    assert len(traffic.attempts) == 30
    assert traffic.arrivals_ended < 1.0


async def test_a_retrying_client_sends_the_same_request_id_several_times_and_gets_one_order():
    saga = FakeSaga(delay=0.01)

    traffic = await drive(
        config(rate=50.0, duration=0.2, mix=parse_mix("retry=1"), retry_copies=4), saga, CATALOGUE, progress=False
    )

    assert len(traffic.attempts) == 10
    for attempt in traffic.attempts:
        assert saga.calls[attempt.request_id] == 4
        assert attempt.replies == [f"order:{attempt.order_id}"] * 4
    assert len(saga.orders) == 10


async def test_cancellations_take_orders_placed_earlier_each_once_and_never_flash_ones():
    saga = FakeSaga(delay=0.001)

    traffic = await drive(
        config(rate=200.0, duration=1.0, mix=parse_mix("place=1,flash=1,cancel=1")), saga, CATALOGUE, progress=False
    )

    cancels = [a for a in traffic.attempts if a.scenario == "cancel"]
    assert cancels
    assert len(saga.cancelled) == len(set(saga.cancelled)) == len(cancels)
    placed_by = {a.order_id: a for a in traffic.attempts if a.places_order and a.outcome == "ok"}
    for cancel in cancels:
        target = placed_by[cancel.target_order_id]
        assert target.scenario == "place"
        assert target.finished is not None and cancel.sent is not None and target.finished <= cancel.sent


async def test_refunds_take_orders_placed_earlier_and_never_the_ones_cancelled():
    saga, desk = FakeSaga(delay=0.001), FakeRefundDesk()

    traffic = await drive(
        config(rate=200.0, duration=1.0, mix=parse_mix("place=2,cancel=1,refund=1"), refund_minor=500),
        saga,
        CATALOGUE,
        progress=False,
        refunds=desk,
    )

    refunds = [a for a in traffic.attempts if a.scenario == "refund"]
    assert refunds and all(a.outcome == "ok" and a.refund_minor == 500 for a in refunds)
    refunded = [order for order, _, _ in desk.refunded]
    assert len(refunded) == len(set(refunded)) == len(refunds)
    assert not set(refunded) & set(saga.cancelled)
    assert all(payment == f"pay-{order}" for order, payment, _ in desk.refunded)


async def test_a_refused_refund_is_a_refusal_with_its_reason():
    saga = FakeSaga(delay=0.001)
    desk = FakeRefundDesk(refuse=frozenset(f"order-{n}" for n in range(1000)))

    traffic = await drive(
        config(rate=100.0, duration=0.5, mix=parse_mix("place=1,refund=1")),
        saga,
        CATALOGUE,
        progress=False,
        refunds=desk,
    )

    refunds = [a for a in traffic.attempts if a.scenario == "refund"]
    assert refunds
    assert {(a.outcome, a.reason) for a in refunds} == {("refused", "REFUND_EXCEEDS_CAPTURED")}


async def test_declines_and_a_sold_out_flash_sale_are_refusals_with_their_reasons():
    saga = FakeSaga(hot=3)

    traffic = await drive(
        config(rate=100.0, duration=0.5, mix=parse_mix("decline=1,flash=1")), saga, CATALOGUE, progress=False
    )

    reasons = Counter((a.scenario, a.outcome, a.reason) for a in traffic.attempts)
    flash = sum(count for (scenario, _, _), count in reasons.items() if scenario == "flash")
    assert reasons[("flash", "ok", "")] == 3
    assert reasons[("flash", "refused", "INSUFFICIENT_STOCK")] == flash - 3
    declines = sum(count for (scenario, _, _), count in reasons.items() if scenario == "decline")
    assert reasons[("decline", "refused", "PAYMENT_DECLINED")] == declines > 0


async def test_a_client_side_bug_is_counted_not_fatal():
    class Broken(FakeSaga):
        async def place(self, request: saga_pb2.PlaceOrderRequest, timeout: float) -> Placed:
            raise KeyError("boom")

    traffic = await drive(config(rate=50.0, duration=0.1), Broken(), CATALOGUE, progress=False)

    assert {a.reason for a in traffic.attempts} == {"CLIENT_KeyError"}
    assert traffic.client_errors == {"KeyError": len(traffic.attempts)}


def test_remark_tags_round_trip_and_belong_to_their_run():
    assert parse_remark_tag(remark_tag("r1", 42), "r1") == 42
    assert parse_remark_tag(remark_tag("r1", 42), "r2") is None
    assert parse_remark_tag("oms-load:r1:４２", "r1") is None  # full-width digits are not an arrival number
    assert parse_remark_tag("", "r1") is None


def test_buyer_phones_are_valid_mobile_numbers_unique_within_a_run():
    phones = {buyer_phone("abc", n) for n in range(10_000)}

    assert len(phones) == 10_000
    assert all(len(p) == 11 and p[0] == "1" and p[1] in "3456789" and p.isdigit() for p in phones)
