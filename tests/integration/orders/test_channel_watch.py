"""The channel guards on a real database, with a clock the test moves: the surge guard (300% of the
previous hour pauses a channel until an operator releases it), the stall alarm, and the automatic retries
of the failed-ingest queue."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from oms.events.v1 import events_pb2 as envelope_pb2
from oms.orders.v1 import events_pb2
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from services.orders.adapters.unit_of_work import OrdersUnitOfWork
from services.orders.application import channel_admin
from services.orders.application.channel_commands import IngestChannelOrders, ReleaseChannelSync, SetChannelMappings
from services.orders.application.channel_ingest import IngestContext, ingest_channel_orders
from services.orders.application.channel_ports import ChannelSettingsChange, MappingChange, RetryPolicy
from services.orders.application.channel_pull import ChannelPuller, Page, PullPolicy, SourceUnavailable
from services.orders.application.channel_watch import detect_stalls, retry_due_failures
from services.orders.domain.channel_mapping import MappingKind
from services.orders.domain.channels import IngestOutcome, SurgePolicy, SyncState
from services.orders.domain.errors_channels import ChannelSyncPaused
from services.orders.domain.values import Actor, Channel
from shared.db import session_factory
from shared.kernel.ids import new_id
from tools.marketplace.payloads import OrderFactory, encode

OPERATOR = Actor("ops-lin", "operations")


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, moment: datetime) -> None:
        self.now = moment


@pytest.fixture(scope="module")
async def sessions(service_database) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_async_engine(await service_database("orders"))
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture(scope="module")
def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> Callable[[], OrdersUnitOfWork]:
    return lambda: OrdersUnitOfWork(sessions, source="orders", stream="test.orders")


async def events(sessions: async_sessionmaker[AsyncSession], kind: type) -> list:
    async with sessions() as session:
        rows = await session.execute(
            text("SELECT envelope FROM outbox WHERE event_type = :type ORDER BY position"),
            {"type": kind.DESCRIPTOR.full_name},
        )
        found = []
        for (raw,) in rows:
            event = kind()
            envelope_pb2.EventEnvelope.FromString(raw).payload.Unpack(event)
            found.append(event)
        return found


async def ingest(
    unit_of_work: Callable[[], OrdersUnitOfWork], ctx: IngestContext, channel: Channel, records: list[bytes]
):
    return await ingest_channel_orders(IngestChannelOrders(new_id(), channel, tuple(records)), unit_of_work(), ctx)


def paid_orders(factory: OrderFactory, platform: str, count: int) -> list[bytes]:
    return [encode(platform, factory.make()) for _ in range(count)]


async def test_a_surge_pauses_the_channel_until_an_operator_releases_it(
    unit_of_work: Callable[[], OrdersUnitOfWork], sessions: async_sessionmaker[AsyncSession]
) -> None:
    day = datetime(2026, 11, 11, tzinfo=UTC)
    clock = Clock(day + timedelta(hours=10, minutes=30))
    ctx = IngestContext(clock=clock, new_id=new_id, surge=SurgePolicy(percent=300, floor=10))
    factory = OrderFactory(prefix="61")
    # 20 orders from 10:00 to 11:00; over 300% of that (60) in the next hour is a surge.
    await ingest(unit_of_work, ctx, Channel.PINDUODUO, paid_orders(factory, "pinduoduo", 20))
    clock.at(day + timedelta(hours=11, minutes=10))
    await ingest(unit_of_work, ctx, Channel.PINDUODUO, paid_orders(factory, "pinduoduo", 60))
    assert (
        await channel_admin.channel_status(Channel.PINDUODUO, unit_of_work(), clock=clock)
    ).state is SyncState.ACTIVE
    last = await ingest(unit_of_work, ctx, Channel.PINDUODUO, paid_orders(factory, "pinduoduo", 1))
    assert last.count(IngestOutcome.CREATED) == 1
    status = await channel_admin.channel_status(Channel.PINDUODUO, unit_of_work(), clock=clock)
    assert status.state is SyncState.PAUSED
    assert status.pause_reason.startswith("SURGE: 61 new orders this hour")
    (paused,) = await events(sessions, events_pb2.ChannelSyncPaused)
    assert (paused.orders_this_hour, paused.orders_previous_hour, paused.threshold_percent) == (61, 20, 300)
    # While paused nothing comes in: the platform keeps the orders and delivers them again later.
    with pytest.raises(ChannelSyncPaused):
        await ingest(unit_of_work, ctx, Channel.PINDUODUO, paid_orders(factory, "pinduoduo", 1))
    async with unit_of_work() as uow:
        due = await uow.channels.claim_due_pulls(clock(), clock() + timedelta(minutes=5))
    assert Channel.PINDUODUO not in [target.channel for target in due]
    clock.at(day + timedelta(hours=11, minutes=20))
    released = await channel_admin.release_channel_sync(
        ReleaseChannelSync(new_id(), Channel.PINDUODUO, "双十一 promotion, expected", OPERATOR),
        unit_of_work(),
        clock=clock,
    )
    assert released.state is SyncState.ACTIVE
    assert released.surge_exempt_until == day + timedelta(hours=12)
    (release,) = await events(sessions, events_pb2.ChannelSyncReleased)
    assert (release.actor.subject, release.note) == ("ops-lin", "双十一 promotion, expected")
    # The operator accepted this hour's volume: more of it does not pause the channel again.
    await ingest(unit_of_work, ctx, Channel.PINDUODUO, paid_orders(factory, "pinduoduo", 100))
    assert (
        await channel_admin.channel_status(Channel.PINDUODUO, unit_of_work(), clock=clock)
    ).state is SyncState.ACTIVE
    # The next hour is guarded again, against this hour's 161.
    clock.at(day + timedelta(hours=12, minutes=5))
    await ingest(unit_of_work, ctx, Channel.PINDUODUO, paid_orders(factory, "pinduoduo", 483))
    assert (
        await channel_admin.channel_status(Channel.PINDUODUO, unit_of_work(), clock=clock)
    ).state is SyncState.ACTIVE
    await ingest(unit_of_work, ctx, Channel.PINDUODUO, paid_orders(factory, "pinduoduo", 1))
    assert (
        await channel_admin.channel_status(Channel.PINDUODUO, unit_of_work(), clock=clock)
    ).state is SyncState.PAUSED


async def test_a_silent_channel_raises_one_stall_alarm_and_recovers_on_the_next_sync(
    unit_of_work: Callable[[], OrdersUnitOfWork], sessions: async_sessionmaker[AsyncSession]
) -> None:
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    clock = Clock(start)
    ctx = IngestContext(clock=clock, new_id=new_id)
    factory = OrderFactory(prefix="62")
    await ingest(unit_of_work, ctx, Channel.JD, paid_orders(factory, "jd", 1))
    # Interval 300 s plus 60 s of grace: at 5 minutes the channel is merely quiet.
    clock.at(start + timedelta(seconds=300))
    assert Channel.JD not in [s.channel for s in await detect_stalls(unit_of_work(), ctx, 60)]
    clock.at(start + timedelta(seconds=361))
    stalled = await detect_stalls(unit_of_work(), ctx, 60)
    assert Channel.JD in [s.channel for s in stalled]
    assert Channel.SHOPIFY not in [s.channel for s in stalled]  # never used: nothing to miss
    clock.at(start + timedelta(minutes=47))
    assert Channel.JD not in [s.channel for s in await detect_stalls(unit_of_work(), ctx, 60)]
    alarms = [e for e in await events(sessions, events_pb2.ChannelSyncStalled) if e.channel == 3]
    assert len(alarms) == 1
    assert alarms[0].last_sync_at.ToDatetime(tzinfo=UTC) == start
    status = await channel_admin.channel_status(Channel.JD, unit_of_work(), clock=clock)
    assert status.stalled_since == start + timedelta(seconds=361)
    await ingest(unit_of_work, ctx, Channel.JD, paid_orders(factory, "jd", 1))
    status = await channel_admin.channel_status(Channel.JD, unit_of_work(), clock=clock)
    assert status.stalled_since is None and status.last_sync_at == start + timedelta(minutes=47)
    (recovered,) = [e for e in await events(sessions, events_pb2.ChannelSyncRecovered) if e.channel == 3]
    assert recovered.stalled_since.ToDatetime(tzinfo=UTC) == start + timedelta(seconds=361)


async def test_a_failing_pull_round_is_no_heartbeat(unit_of_work: Callable[[], OrdersUnitOfWork]) -> None:
    start = datetime(2026, 12, 2, 9, tzinfo=UTC)
    clock = Clock(start)
    ctx = IngestContext(clock=clock, new_id=new_id)

    class Down:
        async def fetch(self, target: object, cursor: str, page_size: int) -> Page:
            raise SourceUnavailable("HTTP 503 from the channel")

    async def no_wait(seconds: float) -> None:
        return None

    async with unit_of_work() as uow:
        await uow.channels.configure(
            Channel.SHOPIFY,
            ChannelSettingsChange(pull_enabled=True, endpoint_url="http://127.0.0.1:9"),
            clock(),
        )
        await uow.commit()
    puller = ChannelPuller(unit_of_work, Down(), ctx, PullPolicy(page_attempts=3), sleep=no_wait)
    reports = await puller.pull_due()
    assert [(r.channel, r.completed) for r in reports] == [("SHOPIFY", False)]
    assert "HTTP 503" in reports[0].error
    status = await channel_admin.channel_status(Channel.SHOPIFY, unit_of_work(), clock=clock)
    assert status.last_sync_at is None and "HTTP 503" in status.last_error
    assert (status.recent_hours[0].counts.attempts, status.recent_hours[0].counts.successes) == (1, 0)
    # Scheduled for the next interval, not again at once.
    assert await puller.pull_due() == []
    clock.at(start + timedelta(seconds=301))
    assert len(await puller.pull_due()) == 1
    # Silent past interval + grace while failing: the 47-minute outage is an alarm, not a quiet gap.
    clock.at(start + timedelta(seconds=361))
    assert Channel.SHOPIFY in [s.channel for s in await detect_stalls(unit_of_work(), ctx, 60)]


async def test_failed_ingests_are_retried_with_back_off_until_they_map(
    unit_of_work: Callable[[], OrdersUnitOfWork],
) -> None:
    start = datetime(2026, 12, 3, 9, tzinfo=UTC)
    clock = Clock(start)
    ctx = IngestContext(clock=clock, new_id=new_id, retry=RetryPolicy(base_seconds=60, cap_seconds=600, max_attempts=3))
    await channel_admin.set_channel_mappings(
        SetChannelMappings(
            new_id(), Channel.OWN_SITE, (MappingChange(MappingKind.FORMAT, "sku_mapping", "required"),), OPERATOR
        ),
        unit_of_work(),
        clock=clock,
    )
    factory = OrderFactory(prefix="63")
    first = await ingest(unit_of_work, ctx, Channel.OWN_SITE, paid_orders(factory, "mini_program", 2))
    failed_ids = [r.failed_ingest_id for r in first.results]
    assert [r.reason for r in first.results] == ["SKU_NOT_MAPPED", "SKU_NOT_MAPPED"]
    clock.at(start + timedelta(seconds=59))
    assert await retry_due_failures(unit_of_work, ctx, 100) == 0
    clock.at(start + timedelta(seconds=60))
    assert await retry_due_failures(unit_of_work, ctx, 100) == 2
    async with unit_of_work() as uow:
        entry = await uow.ingest.failed(failed_ids[0])
    assert entry is not None and entry.attempts == 2
    assert entry.next_retry_at == start + timedelta(seconds=180)
    clock.at(start + timedelta(seconds=180))
    assert await retry_due_failures(unit_of_work, ctx, 100) == 2
    async with unit_of_work() as uow:
        entry = await uow.ingest.failed(failed_ids[0])
    # Out of automatic attempts: it waits for a person (RetryFailedIngest), still listed, never dropped.
    assert entry is not None and entry.attempts == 3 and entry.next_retry_at is None
    skus = set(factory.skus)
    await channel_admin.set_channel_mappings(
        SetChannelMappings(
            new_id(),
            Channel.OWN_SITE,
            (
                *(MappingChange(MappingKind.SKU, sku, sku) for sku in sorted(skus)),
                MappingChange(MappingKind.FORMAT, "sku_mapping", "optional"),
            ),
            OPERATOR,
        ),
        unit_of_work(),
        clock=clock,
    )
    async with unit_of_work() as uow:
        await uow.session.execute(
            text("UPDATE failed_ingests SET next_retry_at = :now WHERE failed_ingest_id = ANY(CAST(:ids AS uuid[]))"),
            {"now": clock(), "ids": failed_ids},
        )
        await uow.commit()
    assert await retry_due_failures(unit_of_work, ctx, 100) == 2
    async with unit_of_work() as uow:
        resolved = [await uow.ingest.failed(i) for i in failed_ids]
    assert all(e is not None and e.state.value == "RESOLVED" and e.order_id for e in resolved)
