"""Unit tests of the pull loop (paging, back-off on 429 and 5xx, giving up, pausing), the stock reconciler
(reserve, refuse, retry, release) and the channel gauges, over in-memory fakes of the unit of work, source
and inventory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Self

import pytest
from prometheus_client import REGISTRY

from services.orders.adapters import channel_metrics
from services.orders.application.channel_ingest import IngestContext
from services.orders.application.channel_ports import (
    ChannelStatusView,
    HourCounts,
    PullTarget,
    StockSettlement,
    StockWork,
    SyncHour,
)
from services.orders.application.channel_pull import (
    ChannelPuller,
    Page,
    PullPolicy,
    RateLimited,
    SourceUnavailable,
)
from services.orders.application.stock_sync import (
    InventoryUnavailable,
    StockPolicy,
    StockReconciler,
    StockRefused,
)
from services.orders.domain.channel_orders import CHANNEL_ACTOR
from services.orders.domain.channels import IngestOutcome, SyncState
from services.orders.domain.errors_channels import ChannelSyncPaused
from services.orders.domain.model import Order, OrderDraft, create_order
from services.orders.domain.values import Address, Channel, LineInput, OrderStatus
from shared.kernel.ids import new_id
from shared.kernel.money import Money

NOW = datetime(2026, 11, 11, 10, tzinfo=UTC)
TARGET = PullTarget(Channel.TMALL, "taobao", "http://127.0.0.1:1", 2, "", None, 300)


@dataclass
class Store:
    attempts: list[tuple[str, str]] = field(default_factory=list)
    hours: list[HourCounts] = field(default_factory=list)
    heartbeats: list[datetime] = field(default_factory=list)
    leases_ended: int = 0
    settled: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    # The order ids of each settle_stock_many call.
    settled_together: list[list[str]] = field(default_factory=list)
    retried: dict[str, datetime] = field(default_factory=dict)
    work: list[StockWork] = field(default_factory=list)
    orders: dict[str, Order] = field(default_factory=dict)
    published: list[object] = field(default_factory=list)


class FakeChannels:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def record_attempt(self, channel: Channel, now: datetime, error: str) -> None:
        self.store.attempts.append((channel.value, error))

    async def count_hour(
        self, channel: Channel, hour: datetime, previous: datetime, counts: HourCounts
    ) -> tuple[int, int]:
        self.store.hours.append(counts)
        return 0, 0

    async def heartbeat(self, channel: Channel, now: datetime) -> datetime | None:
        self.store.heartbeats.append(now)
        return None

    async def end_pull(self, channel: Channel) -> None:
        self.store.leases_ended += 1


class FakeIngest:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def claim_stock(self, now: datetime, lease_until: datetime, limit: int) -> Sequence[StockWork]:
        claimed, self.store.work = self.store.work[:limit], self.store.work[limit:]
        return claimed

    async def settle_stock(self, order_id: str, applied: str, reservation_id: str, error: str, now: datetime) -> None:
        self.store.settled[order_id] = (applied, reservation_id, error)

    async def settle_stock_many(self, settlements: Sequence[StockSettlement], now: datetime) -> None:
        self.store.settled_together.append([s.order_id for s in settlements])
        for s in settlements:
            self.store.settled[s.order_id] = (s.applied, s.reservation_id, s.error)

    async def retry_stock(self, order_id: str, error: str, next_attempt_at: datetime, now: datetime) -> None:
        self.store.retried[order_id] = next_attempt_at


class FakeOrders:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def get(self, order_id: str, *, lock: bool = False) -> Order | None:
        return self.store.orders.get(order_id)

    async def update(self, before: Order, after: Order) -> None:
        assert len(after.history) > len(before.history)
        self.store.orders[after.order_id] = after

    async def set_hold_reason(self, before: Order, after: Order) -> None:
        assert after.history == before.history and after.status is before.status
        self.store.orders[after.order_id] = after


class FakeUnitOfWork:
    def __init__(self, store: Store) -> None:
        self.channels = FakeChannels(store)
        self.ingest = FakeIngest(store)
        self.orders = FakeOrders(store)
        self.store = store

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def commit(self) -> None:
        return None

    def publish(self, order_id: str, events: Sequence[object]) -> None:
        self.store.published.extend(events)

    def publish_channel(self, channel: Channel, events: Sequence[object]) -> None:
        self.store.published.extend(events)


class ScriptedSource:
    """Answers fetches from a script: an exception to raise or a page to return, in order."""

    def __init__(self, *script: Page | Exception) -> None:
        self.script = list(script)
        self.cursors: list[str] = []

    async def fetch(self, target: PullTarget, cursor: str, page_size: int) -> Page:
        self.cursors.append(cursor)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


class RecordingPuller(ChannelPuller):
    """The pull loop with its page ingest replaced by a record of the pages (ingest has its own tests)."""

    def __init__(self, store: Store, source: ScriptedSource, policy: PullPolicy, *, paused_after: int = 99) -> None:
        self.sleeps: list[float] = []

        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        super().__init__(
            lambda: FakeUnitOfWork(store), source, IngestContext(clock=lambda: NOW, new_id=new_id), policy, sleep=sleep
        )
        self.pages: list[tuple[tuple[bytes, ...], str]] = []
        self.paused_after = paused_after

    async def _ingest(self, target: PullTarget, page: Page, cursor: str) -> list[IngestOutcome]:
        if len(self.pages) >= self.paused_after:
            raise ChannelSyncPaused(target.channel.value)
        self.pages.append((page.records, cursor))
        return [IngestOutcome.CREATED] * len(page.records)


POLICY = PullPolicy(backoff_base_seconds=0.01, backoff_cap_seconds=1.0, page_attempts=4, max_pages_per_round=10)


async def test_pages_follow_the_cursor_through_rate_limits_and_server_errors() -> None:
    store = Store()
    source = ScriptedSource(
        RateLimited(0.5),
        SourceUnavailable("HTTP 502"),
        Page((b"a", b"b"), "c1", True),
        RateLimited(None),
        Page((b"c",), "c2", False),
    )
    puller = RecordingPuller(store, source, POLICY)
    report = await puller.pull(TARGET)
    assert report.completed and report.error == "" and (report.pages, report.records, report.created) == (2, 3, 3)
    assert source.cursors == ["", "", "", "c1", "c1"]
    assert puller.pages == [((b"a", b"b"), ""), ((b"c",), "c1")]
    # The platform's Retry-After first, then exponential back-off from the base.
    assert puller.sleeps == [0.5, 0.02, 0.01]
    assert store.attempts == [("TMALL", "")]
    assert store.hours == [HourCounts(attempts=1, successes=1)]
    assert store.heartbeats == [NOW] and store.leases_ended == 1


async def test_a_page_that_keeps_failing_ends_the_round_without_a_heartbeat() -> None:
    store = Store()
    source = ScriptedSource(*(SourceUnavailable("HTTP 500 from the channel") for _ in range(4)))
    puller = RecordingPuller(store, source, POLICY)
    report = await puller.pull(TARGET)
    assert not report.completed and "after 4 attempts: HTTP 500" in report.error
    assert puller.sleeps == [0.01, 0.02, 0.04]
    assert store.hours == [HourCounts(attempts=1, successes=0)]
    assert store.heartbeats == [] and store.leases_ended == 1
    assert "HTTP 500" in store.attempts[0][1]


async def test_a_pause_stops_the_round_where_it_is() -> None:
    store = Store()
    source = ScriptedSource(Page((b"a",), "c1", True), Page((b"b",), "c2", True), Page((b"c",), "c3", False))
    puller = RecordingPuller(store, source, POLICY, paused_after=1)
    report = await puller.pull(TARGET)
    assert (report.completed, report.pages, report.error) == (False, 1, "paused by the surge guard")
    assert store.leases_ended == 1


async def test_a_round_stops_after_its_page_budget_and_goes_on_next_time() -> None:
    store = Store()
    source = ScriptedSource(*(Page((b"x",), f"c{i}", True) for i in range(20)))
    puller = RecordingPuller(store, source, PullPolicy(max_pages_per_round=3))
    report = await puller.pull(TARGET)
    assert report.completed and report.pages == 3
    assert source.cursors == ["", "c0", "c1"]


class FakeInventory:
    def __init__(self, outcomes: dict[str, Exception | str]) -> None:
        self.outcomes = outcomes
        self.reserved: list[tuple[str, tuple[tuple[str, int], ...], str, int]] = []
        self.requests: list[tuple[str, list[str]]] = []
        self.released: list[str] = []

    async def reserve(self, order_id: str, lines: Sequence[tuple[str, int]], province: str, ttl: int) -> str:
        self.reserved.append((order_id, tuple(lines), province, ttl))
        outcome = self.outcomes.get(order_id, "R-" + order_id[-4:])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def reserve_many(
        self, request_id: str, orders: Sequence[StockWork], ttl: int
    ) -> list[str | StockRefused | InventoryUnavailable]:
        """Each order decided as reserve() decides it, one request per call."""
        self.requests.append((request_id, [order.order_id for order in orders]))
        outcomes: list[str | StockRefused | InventoryUnavailable] = []
        for order in orders:
            try:
                outcomes.append(await self.reserve(order.order_id, order.lines, order.shipping_province, ttl))
            except (StockRefused, InventoryUnavailable) as refused:
                outcomes.append(refused)
        return outcomes

    async def release(self, order_id: str, reason: str) -> None:
        self.released.append(order_id)
        outcome = self.outcomes.get(order_id)
        if isinstance(outcome, Exception):
            raise outcome


def paid_order() -> Order:
    draft = OrderDraft(
        channel=Channel.JD,
        channel_order_id="J-" + new_id()[-6:],
        customer_id=new_id(),
        lines=(LineInput("SKU-MUG", 3, Money(9900)),),
        total=Money(29700),
        shipping_address=Address(province="江苏省"),
    )
    order, _ = create_order(draft, new_id(), NOW, CHANNEL_ACTOR)
    paid, _ = order.mark_paid("JD:1", Money(29700), NOW, CHANNEL_ACTOR)
    return paid


def work(order_id: str, desired: str = "HELD", attempts: int = 1) -> StockWork:
    return StockWork(order_id, desired, "NONE", attempts, (("SKU-MUG", 3),), "江苏省")


def reconciler(store: Store, inventory: FakeInventory | None) -> StockReconciler:
    return StockReconciler(
        lambda: FakeUnitOfWork(store),
        lambda: inventory,
        lambda: NOW,
        StockPolicy(batch_size=10, concurrency=2, backoff_base_seconds=2, backoff_cap_seconds=60),
    )


async def test_holds_are_reserved_refused_or_retried_by_what_inventory_says() -> None:
    store = Store()
    held, refused, down = paid_order(), paid_order(), paid_order()
    store.orders = {o.order_id: o for o in (held, refused, down)}
    store.work = [work(held.order_id), work(refused.order_id), work(down.order_id, attempts=3)]
    inventory = FakeInventory(
        {
            refused.order_id: StockRefused("INSUFFICIENT_STOCK", "sku=SKU-MUG requested=3 available=1"),
            down.order_id: InventoryUnavailable("UNAVAILABLE: connection refused"),
        }
    )
    assert await reconciler(store, inventory).run_once() == 3
    assert store.settled[held.order_id] == ("HELD", "R-" + held.order_id[-4:], "")
    assert inventory.reserved[0][1:] == ((("SKU-MUG", 3),), "江苏省", 7 * 86_400)
    assert store.settled[refused.order_id][0] == "REFUSED"
    flagged = store.orders[refused.order_id]
    assert flagged.status is OrderStatus.EXCEPTION and flagged.hold_reason.startswith("OUT_OF_STOCK: sku=SKU-MUG")
    assert store.orders[held.order_id].status is OrderStatus.PAID
    # Third failure: 2 s doubled twice.
    assert store.retried == {down.order_id: NOW + timedelta(seconds=8)}
    assert down.order_id not in store.settled


async def test_a_held_order_refused_its_stock_stays_held_and_is_flagged() -> None:
    store = Store()
    paid = paid_order()
    under, _ = paid.transition(OrderStatus.UNDER_REVIEW, "auto-review", "", NOW, CHANNEL_ACTOR)
    held, _ = under.transition(OrderStatus.ON_HOLD, "REVIEW_HOLD:supervisor: otherwise", "", NOW, CHANNEL_ACTOR)
    store.orders = {held.order_id: held}
    store.work = [work(held.order_id)]
    inventory = FakeInventory({held.order_id: StockRefused("INSUFFICIENT_STOCK", "sku=SKU-MUG available=1")})
    assert await reconciler(store, inventory).run_once() == 1
    assert store.settled[held.order_id][0] == "REFUSED"
    flagged = store.orders[held.order_id]
    assert flagged.status is OrderStatus.ON_HOLD and flagged.resume_status is OrderStatus.UNDER_REVIEW
    assert flagged.hold_reason.startswith("OUT_OF_STOCK: sku=SKU-MUG available=1 | REVIEW_HOLD:supervisor")
    assert [type(e).__name__ for e in store.published] == ["OrderFlagged"]


async def test_releases_are_sent_and_a_refused_release_is_recorded_not_retried() -> None:
    store = Store()
    gone, shipped = new_id(), new_id()
    store.work = [work(gone, "RELEASED"), work(shipped, "RELEASED")]
    inventory = FakeInventory({shipped: StockRefused("INVALID_TRANSITION", "from=CONFIRMED to=RELEASED")})
    assert await reconciler(store, inventory).run_once() == 2
    assert inventory.released == [gone, shipped]
    assert store.settled[gone] == ("RELEASED", "", "")
    assert store.settled[shipped][0] == "RELEASED" and "INVALID_TRANSITION" in store.settled[shipped][2]


async def test_a_batch_is_reserved_in_one_call_and_settled_together_past_a_refusal_in_its_middle() -> None:
    store = Store()
    orders = [paid_order() for _ in range(5)]
    store.orders = {o.order_id: o for o in orders}
    store.work = [work(o.order_id) for o in orders]
    refused = orders[2]
    inventory = FakeInventory({refused.order_id: StockRefused("SKU_PAUSED", "sku=SKU-MUG")})
    assert await reconciler(store, inventory).run_once() == 5
    assert [ids for _, ids in inventory.requests] == [[o.order_id for o in orders]]
    others = [o.order_id for o in orders if o is not refused]
    assert store.settled_together == [others]
    assert all(store.settled[order_id] == ("HELD", "R-" + order_id[-4:], "") for order_id in others)
    assert store.settled[refused.order_id][0] == "REFUSED"
    assert store.orders[refused.order_id].hold_reason.startswith("OUT_OF_STOCK: sku=SKU-MUG")


async def test_a_batch_call_is_split_at_the_batch_limit_and_retried_under_the_same_request_id() -> None:
    orders = [work(new_id()) for _ in range(5)]
    inventory = FakeInventory({})
    policy = StockPolicy(batch_size=10, reserve_many_size=2)
    store = Store(work=list(orders))
    await StockReconciler(lambda: FakeUnitOfWork(store), lambda: inventory, lambda: NOW, policy).run_once()
    assert sorted(len(ids) for _, ids in inventory.requests) == [1, 2, 2]
    first = dict((tuple(ids), request_id) for request_id, ids in inventory.requests)
    # The same work claimed at the same time (a retry after a lost answer) asks under the same keys.
    inventory.requests.clear()
    store = Store(work=list(orders))
    await StockReconciler(lambda: FakeUnitOfWork(store), lambda: inventory, lambda: NOW, policy).run_once()
    assert dict((tuple(ids), request_id) for request_id, ids in inventory.requests) == first
    assert len(set(first.values())) == 3


async def test_a_batch_call_that_fails_as_a_whole_retries_every_order_of_it() -> None:
    store = Store()
    orders = [work(new_id(), attempts=2) for _ in range(3)]
    store.work = list(orders)

    class DownInventory(FakeInventory):
        async def reserve_many(
            self, request_id: str, orders: Sequence[StockWork], ttl: int
        ) -> list[str | StockRefused | InventoryUnavailable]:
            raise InventoryUnavailable("DEADLINE_EXCEEDED")

    assert await reconciler(store, DownInventory({})).run_once() == 3
    assert store.retried == {o.order_id: NOW + timedelta(seconds=4) for o in orders}
    assert not store.settled


async def test_without_an_inventory_address_holds_wait() -> None:
    store = Store(work=[work(new_id())])
    assert await reconciler(store, None).run_once() == 0
    assert len(store.work) == 1 and not store.settled


@pytest.mark.parametrize("batch", [1, 3])
async def test_one_batch_at_a_time(batch: int) -> None:
    store = Store(work=[work(new_id()) for _ in range(5)])
    inventory = FakeInventory({})
    handled = await StockReconciler(
        lambda: FakeUnitOfWork(store), lambda: inventory, lambda: NOW, StockPolicy(batch_size=batch)
    ).run_once()
    assert handled == batch and len(store.work) == 5 - batch


def test_channel_gauges_follow_the_statuses() -> None:
    def view(channel: Channel, **changes: object) -> ChannelStatusView:
        fields: dict[str, object] = {
            "channel": channel,
            "platform": "x",
            "pull_enabled": True,
            "endpoint_url": "",
            "interval_seconds": 300,
            "page_size": 100,
            "webhook_secret_set": False,
            "state": SyncState.ACTIVE,
            "pause_reason": "",
            "paused_at": None,
            "last_sync_at": NOW,
            "last_attempt_at": NOW,
            "last_error": "",
            "stalled_since": None,
            "pull_since": None,
            "cursor": "",
            "mapping_version": 1,
            "pending_failed_ingests": 0,
            "surge_exempt_until": None,
        }
        fields.update(changes)
        return ChannelStatusView(**fields)  # type: ignore[arg-type]

    channel_metrics.refresh(
        [
            view(Channel.TMALL, recent_hours=(SyncHour(NOW, HourCounts(attempts=4, successes=3)),)),
            view(Channel.JD, state=SyncState.PAUSED, stalled_since=NOW, pending_failed_ingests=7),
        ]
    )

    def sample(name: str, channel: str) -> float | None:
        return REGISTRY.get_sample_value(name, {"channel": channel})

    assert sample("oms_channel_sync_success_ratio", "TMALL") == 0.75
    assert sample("oms_channel_last_sync_timestamp_seconds", "TMALL") == NOW.timestamp()
    assert (sample("oms_channel_paused", "JD"), sample("oms_channel_stalled", "JD")) == (1, 1)
    assert (sample("oms_channel_paused", "TMALL"), sample("oms_channel_stalled", "TMALL")) == (0, 0)
    assert sample("oms_channel_failed_ingests_pending", "JD") == 7
