"""Channel ingest: raw platform records -> unified orders, in one transaction per batch.

Per batch: map every record with the channel's tables (pure), keep the latest snapshot of each channel
order, lock the channel orders already known, create the new ones set-wise, apply the later snapshots of
the known ones (never an older one), put whatever could not be mapped in the failed-ingest queue, ask
inventory for stock, count the hour for the surge guard and beat the channel's heartbeat. An order that
arrives paid (or becomes paid) is auto-reviewed right there, like a payment through MarkOrderPaid.
Everything a batch decides commits together or not at all.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.orders.application.channel_commands import (
    MAX_BATCH,
    BatchKey,
    BatchResult,
    IngestChannelOrders,
    ReceiveWebhook,
    RecordResult,
    RetryFailedIngest,
    RetryResult,
    WebhookKey,
)
from services.orders.application.channel_ports import (
    ChannelOrderRecord,
    ChannelsUnitOfWork,
    FailureRecord,
    HourCounts,
    KnownChannelOrder,
    RetryPolicy,
)
from services.orders.application.handlers import allocated
from services.orders.application.ports import Clock, IdFactory
from services.orders.application.rule_sets import RuleBook, record_decisions
from services.orders.domain import channel_events as cev
from services.orders.domain.channel_mapping import (
    ChannelProfile,
    ChannelSnapshot,
    build_profile,
    map_record,
    parse_payload,
)
from services.orders.domain.channel_orders import (
    CHANNEL_ACTOR,
    ChannelChange,
    apply_snapshot,
    arrival,
    open_channel_order,
)
from services.orders.domain.channels import (
    FailedIngestState,
    IngestOutcome,
    StockIntent,
    SurgePolicy,
    SyncGate,
    hour_start,
    signature_valid,
)
from services.orders.domain.errors_channels import (
    FailedIngestNotFound,
    MappingFailure,
    WebhookNotConfigured,
    WebhookSignatureInvalid,
)
from services.orders.domain.model import Order
from services.orders.domain.review import ReviewDecision, ReviewRules, review_order
from services.orders.domain.values import Actor, Channel, OrderStatus
from shared.kernel.errors import InvalidArgument, OmsError
from shared.kernel.ids import is_valid_id

log = logging.getLogger(__name__)
HOUR = timedelta(hours=1)


class ProfileCache:
    """Each channel's mapping tables, built once per mapping version (SetChannelMappings bumps it)."""

    def __init__(self) -> None:
        self._profiles: dict[Channel, ChannelProfile] = {}

    async def get(self, uow: ChannelsUnitOfWork, channel: Channel, version: int) -> ChannelProfile:
        cached = self._profiles.get(channel)
        if cached is not None and cached.version == version:
            return cached
        profile = build_profile(channel, await uow.channels.mapping_entries(channel), version)
        self._profiles[channel] = profile
        return profile


@dataclass
class IngestContext:
    """What ingest needs besides a unit of work: the clock, ids, policies, and who to wake after a commit."""

    clock: Clock
    new_id: IdFactory
    surge: SurgePolicy = field(default_factory=SurgePolicy)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    profiles: ProfileCache = field(default_factory=ProfileCache)
    actor: Actor = CHANNEL_ACTOR
    # Called after a commit that asked inventory for stock, so the stock reconciler runs at once.
    stock_wanted: Callable[[], None] = lambda: None
    # The active review rules for orders that arrive paid; None: they stay PAID for a person to review.
    review: RuleBook | None = None


def _digest(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _failure_of(error: OmsError) -> MappingFailure:
    """A refusal of the domain as the reason a record could not become an order."""
    field_name = error.violations[0].field if error.violations else ""
    reason = "INVALID_ORDER" if error.reason == "INVALID_ARGUMENT" else error.reason
    return MappingFailure(reason, field_name, error.message)


@dataclass
class _Batch:
    """The working state of one batch: what each record came to."""

    channel: Channel
    records: Sequence[bytes]
    results: list[RecordResult | None]
    failures: list[tuple[int, MappingFailure]] = field(default_factory=list)
    latest: dict[str, tuple[int, ChannelSnapshot]] = field(default_factory=dict)
    superseded: list[tuple[int, str]] = field(default_factory=list)
    hold: list[str] = field(default_factory=list)
    release: list[str] = field(default_factory=list)
    succeeded: list[tuple[str, str]] = field(default_factory=list)
    decisions: dict[str, ReviewDecision] = field(default_factory=dict)
    # The active review rules, read once per batch and only if an order needs them (False: not read yet).
    review_rules: tuple[int, ReviewRules] | bool | None = False

    def done(self, index: int, outcome: IngestOutcome, channel_order_id: str, order_id: str) -> None:
        self.results[index] = RecordResult(index, outcome, channel_order_id, order_id)
        self.succeeded.append((_digest(self.records[index]), order_id))

    def stock(self, order_id: str, intent: StockIntent) -> None:
        if intent is StockIntent.HOLD:
            self.hold.append(order_id)
        elif intent is StockIntent.RELEASE:
            self.release.append(order_id)


def _map_all(batch: _Batch, profile: ChannelProfile) -> None:
    for index, raw in enumerate(batch.records):
        try:
            snapshot = map_record(profile, parse_payload(raw))
        except MappingFailure as failure:
            batch.failures.append((index, failure))
            continue
        key = snapshot.channel_order_id
        best = batch.latest.get(key)
        if best is None or snapshot.order_key > best[1].order_key:
            if best is not None:
                batch.superseded.append((best[0], key))
            batch.latest[key] = (index, snapshot)
        else:
            batch.superseded.append((index, key))


async def _reviewed(
    uow: ChannelsUnitOfWork,
    ctx: IngestContext,
    batch: _Batch,
    before: Order | None,
    change: ChannelChange,
    now: datetime,
) -> ChannelChange:
    """``change`` with the order auto-reviewed when ingesting made it PAID to be fulfilled here (its decision
    kept in the batch). An order first seen after it shipped elsewhere holds no stock and is not reviewed.

    Whatever the review decides, a paid order holds its stock at once (one pool across channels), an order
    held for a person included; only an order the review rejects (EXCEPTION) asks for none, as it will not
    ship unless a person decides otherwise."""
    if ctx.review is None or change.order.status is not OrderStatus.PAID or change.stock is not StockIntent.HOLD:
        return change
    if before is not None and before.status is OrderStatus.PAID:
        return change
    if batch.review_rules is False:
        batch.review_rules = await ctx.review.review(uow.rules)
    if not isinstance(batch.review_rules, tuple):
        return change
    version, rules = batch.review_rules
    reviewed = review_order(change.order, rules, version, now)
    batch.decisions[change.order.order_id] = reviewed.decision
    stock = StockIntent.NONE if reviewed.order.status is OrderStatus.EXCEPTION else change.stock
    return ChannelChange(reviewed.order, (*change.events, *reviewed.events), stock)


def _record(snapshot: ChannelSnapshot, order_id: str) -> ChannelOrderRecord:
    return ChannelOrderRecord(
        channel_order_id=snapshot.channel_order_id,
        order_id=order_id,
        platform_status=snapshot.platform_status,
        version=snapshot.version,
        rank=snapshot.state.rank,
        buyer_member_id=snapshot.buyer_member_id,
        buyer_nickname=snapshot.buyer_nickname,
    )


async def _create_new(
    uow: ChannelsUnitOfWork, ctx: IngestContext, batch: _Batch, ids: Sequence[str], now: datetime
) -> tuple[int, dict[str, KnownChannelOrder]]:
    """Create the orders of first-seen channel orders; returns how many, and the channel orders that turned
    out to exist after all (another batch created them meanwhile, or CreateOrder did): those go the way of
    updates."""
    opened: dict[str, ChannelChange] = {}
    for key in ids:
        index, snapshot = batch.latest[key]
        try:
            opened[key] = open_channel_order(snapshot, ctx.new_id(), now, ctx.actor)
        except OmsError as error:
            failure = _failure_of(error)
            failure.channel_order_id = key
            batch.failures.append((index, failure))
            continue
        opened[key] = arrival(await _reviewed(uow, ctx, batch, None, opened[key], now))
    claimed = await uow.ingest.claim(
        batch.channel, [_record(batch.latest[key][1], change.order.order_id) for key, change in opened.items()], now
    )
    raced = [key for key in opened if key not in claimed]
    inserted = await uow.orders.add_many([opened[key].order for key in opened if key in claimed])
    linked = await uow.ingest.link_existing(
        batch.channel, [key for key in claimed if opened[key].order.order_id not in inserted]
    )
    created = 0
    for key in sorted(claimed):
        change = opened[key]
        if change.order.order_id in inserted:
            uow.publish(change.order.order_id, change.events)
            batch.stock(change.order.order_id, change.stock)
            batch.done(batch.latest[key][0], IngestOutcome.CREATED, key, change.order.order_id)
            created += 1
    known = await uow.ingest.lock_known(batch.channel, raced)
    # CreateOrder made these channel orders before any ingest saw them: those orders are the ones, and the
    # snapshot applies to them like any later snapshot (its row is locked: this transaction inserted it).
    for key, order_id in linked.items():
        known[key] = KnownChannelOrder(key, order_id, version=-1, rank=0)
    return created, known


async def _update_known(
    uow: ChannelsUnitOfWork,
    ctx: IngestContext,
    batch: _Batch,
    known: dict[str, KnownChannelOrder],
    now: datetime,
) -> int:
    """Apply the later snapshots of known channel orders (rows locked); returns how many orders changed."""
    later = [key for key in sorted(known) if batch.latest[key][1].order_key > known[key].order_key]
    for key in sorted(known.keys() - set(later)):
        batch.done(batch.latest[key][0], IngestOutcome.UNCHANGED, key, known[key].order_id)
    current = await uow.orders.get_many([known[key].order_id for key in later], lock=True)
    advanced: list[ChannelOrderRecord] = []
    updated = 0
    for key in later:
        index, snapshot = batch.latest[key]
        order = current.get(known[key].order_id)
        if order is None:
            batch.failures.append((index, MappingFailure("INVALID_ORDER", "", "its order vanished", key)))
            continue
        try:
            change = apply_snapshot(order, snapshot, now, ctx.actor)
        except OmsError as error:
            failure = _failure_of(error)
            failure.channel_order_id = key
            batch.failures.append((index, failure))
            continue
        advanced.append(_record(snapshot, order.order_id))
        if not change.changed:
            batch.done(index, IngestOutcome.UNCHANGED, key, order.order_id)
            continue
        change = await _reviewed(uow, ctx, batch, order, change, now)
        if change.order.shipping_address != order.shipping_address:
            await uow.orders.change_address(order, change.order)
        if len(change.order.history) > len(order.history):
            await uow.orders.update(order, change.order)
        if change.order.status is OrderStatus.CANCELLED and allocated(order):
            await uow.shipments.detach_order(order.order_id, now)
        uow.publish(order.order_id, change.events)
        batch.stock(order.order_id, change.stock)
        batch.done(index, IngestOutcome.UPDATED, key, order.order_id)
        updated += 1
    await uow.ingest.advance(batch.channel, advanced, now)
    return updated


async def _record_failures(
    uow: ChannelsUnitOfWork, ctx: IngestContext, batch: _Batch, now: datetime, *, retry: bool
) -> None:
    by_digest: dict[str, FailureRecord] = {}
    for index, failure in batch.failures:
        payload = batch.records[index]
        digest = _digest(payload)
        by_digest.setdefault(
            digest,
            FailureRecord(
                failure.channel_order_id, payload, digest, failure.reason, failure.field, failure.detail[:2000]
            ),
        )
    recorded = {
        r.payload_sha256: r
        for r in await uow.ingest.record_failures(
            batch.channel, list(by_digest.values()), now, retry=retry, policy=ctx.retry
        )
    }
    alerts: list[cev.ChannelEvent] = []
    alerted: set[str] = set()
    for index, failure in batch.failures:
        entry = recorded[_digest(batch.records[index])]
        batch.results[index] = RecordResult(
            index,
            IngestOutcome.FAILED,
            failure.channel_order_id,
            "",
            entry.failed_ingest_id,
            failure.reason,
            failure.field,
            failure.detail,
        )
        if entry.inserted and entry.failed_ingest_id not in alerted:
            alerted.add(entry.failed_ingest_id)
            alerts.append(
                cev.ChannelIngestFailed(
                    entry.failed_ingest_id,
                    batch.channel,
                    failure.channel_order_id,
                    failure.reason,
                    failure.field,
                    failure.detail,
                    now,
                )
            )
    uow.publish_channel(batch.channel, alerts)


async def _count(
    uow: ChannelsUnitOfWork,
    ctx: IngestContext,
    gate: SyncGate,
    counts: HourCounts,
    now: datetime,
) -> None:
    """Count the hour, pause the channel on a surge, beat its heartbeat. Last in the transaction: these
    rows are shared by every batch of the channel, so their locks are held as briefly as possible."""
    channel = gate.channel
    this_hour, previous = await uow.channels.count_hour(channel, hour_start(now), hour_start(now) - HOUR, counts)
    events: list[cev.ChannelEvent] = []
    if counts.orders_created and gate.surge_guarded(now) and ctx.surge.surging(this_hour, previous):
        threshold = ctx.surge.threshold(previous)
        reason = f"SURGE: {this_hour} new orders this hour, over {threshold} ({ctx.surge.percent}% of {previous})"
        if await uow.channels.pause(channel, reason, now):
            log.warning("channel %s paused by the surge guard: %s", channel.value, reason)
            events.append(cev.ChannelSyncPaused(channel, "SURGE", this_hour, previous, ctx.surge.percent, now))
    stalled_since = await uow.channels.heartbeat(channel, now)
    if stalled_since is not None:
        events.append(cev.ChannelSyncRecovered(channel, stalled_since, now))
    uow.publish_channel(channel, events)


async def ingest_records(
    uow: ChannelsUnitOfWork,
    ctx: IngestContext,
    gate: SyncGate,
    profile: ChannelProfile,
    records: Sequence[bytes],
    now: datetime,
    *,
    attempt: bool,
    retry: bool = False,
) -> BatchResult:
    """Ingest ``records`` inside the caller's transaction (its gate checked); ``attempt`` counts the call
    as a sync attempt of the hour, ``retry`` counts failures as retries of entries already queued."""
    batch = _Batch(gate.channel, records, [None] * len(records))
    _map_all(batch, profile)
    latest_ids = sorted(batch.latest)
    known = await uow.ingest.lock_known(batch.channel, latest_ids)
    created, raced = await _create_new(uow, ctx, batch, [key for key in latest_ids if key not in known], now)
    known.update(raced)
    updated = await _update_known(uow, ctx, batch, known, now)
    for index, key in batch.superseded:
        winner = batch.results[batch.latest[key][0]]
        order_id = winner.order_id if winner is not None else ""
        batch.results[index] = RecordResult(index, IngestOutcome.UNCHANGED, key, order_id)
        batch.succeeded.append((_digest(records[index]), order_id))
    await _record_failures(uow, ctx, batch, now, retry=retry)
    await uow.ingest.resolve_failures(batch.channel, batch.succeeded, now)
    # Orders whose insert lost a race to another batch were not created here: their decisions go with them.
    created_ids = {r.order_id for r in batch.results if r is not None and r.outcome is not IngestOutcome.FAILED}
    await record_decisions(uow.reviews, [d for oid, d in batch.decisions.items() if oid in created_ids])
    await uow.ingest.want_stock(batch.hold, batch.release, now)
    counts = HourCounts(
        attempts=1 if attempt else 0,
        successes=1 if attempt else 0,
        records=len(records),
        orders_created=created,
        orders_updated=updated,
        failures=len(batch.failures),
    )
    await _count(uow, ctx, gate, counts, now)
    results = tuple(
        r if r is not None else RecordResult(i, IngestOutcome.UNCHANGED) for i, r in enumerate(batch.results)
    )
    return BatchResult(results)


def _check_records(records: Sequence[bytes]) -> None:
    if not records:
        raise InvalidArgument.field("records", "must hold at least one record")
    if len(records) > MAX_BATCH:
        raise InvalidArgument.field("records", f"must hold at most {MAX_BATCH} records")


async def ingest_channel_orders(cmd: IngestChannelOrders, uow: ChannelsUnitOfWork, ctx: IngestContext) -> BatchResult:
    _check_records(cmd.records)
    key = BatchKey.of(cmd)
    async with uow:
        if (previous := await uow.replay(key, BatchResult)) is not None:
            return previous
        gate, version = await uow.channels.gate(cmd.channel)
        gate.check_open()
        profile = await ctx.profiles.get(uow, cmd.channel, version)
        result = await ingest_records(uow, ctx, gate, profile, cmd.records, ctx.clock(), attempt=True)
        await uow.remember(key, result)
        await uow.commit()
    if any(r.outcome in (IngestOutcome.CREATED, IngestOutcome.UPDATED) for r in result.results):
        ctx.stock_wanted()
    return result


async def receive_webhook(cmd: ReceiveWebhook, uow: ChannelsUnitOfWork, ctx: IngestContext) -> RecordResult:
    if not cmd.payload:
        raise InvalidArgument.field("payload", "is required")
    if not cmd.signature.strip():
        raise InvalidArgument.field("signature", "is required")
    key = WebhookKey(cmd.request_id, cmd.channel, _digest(cmd.payload))
    async with uow:
        # The signature is checked before the idempotency claim: an unsigned delivery must not even
        # reserve a request id.
        secret = await uow.channels.webhook_secret(cmd.channel)
        if not secret:
            raise WebhookNotConfigured(cmd.channel.value)
        if not signature_valid(secret, cmd.payload, cmd.signature):
            raise WebhookSignatureInvalid(cmd.channel.value)
        if (previous := await uow.replay(key, RecordResult)) is not None:
            return previous
        gate, version = await uow.channels.gate(cmd.channel)
        gate.check_open()
        profile = await ctx.profiles.get(uow, cmd.channel, version)
        batch = await ingest_records(uow, ctx, gate, profile, [cmd.payload], ctx.clock(), attempt=True)
        result = batch.results[0]
        await uow.remember(key, result)
        await uow.commit()
    if result.outcome in (IngestOutcome.CREATED, IngestOutcome.UPDATED):
        ctx.stock_wanted()
    return result


async def retry_failed_ingest(cmd: RetryFailedIngest, uow: ChannelsUnitOfWork, ctx: IngestContext) -> RetryResult:
    """Ingest a queued record again with today's tables. An empty request_id (the automatic retrier) skips
    the idempotency record: a retry is harmless to repeat."""
    if not is_valid_id(cmd.failed_ingest_id):
        raise InvalidArgument.field("failed_ingest_id", "must be a UUID")
    async with uow:
        if cmd.request_id and (previous := await uow.replay(cmd, RetryResult)) is not None:
            return previous
        entry = await uow.ingest.failed(cmd.failed_ingest_id, lock=True)
        if entry is None:
            raise FailedIngestNotFound(cmd.failed_ingest_id)
        if entry.state is FailedIngestState.RESOLVED:
            outcome = RetryResult(entry.failed_ingest_id, None)
        else:
            gate, version = await uow.channels.gate(entry.channel)
            gate.check_open()
            profile = await ctx.profiles.get(uow, entry.channel, version)
            batch = await ingest_records(
                uow, ctx, gate, profile, [entry.payload], ctx.clock(), attempt=False, retry=True
            )
            outcome = RetryResult(entry.failed_ingest_id, batch.results[0])
        if cmd.request_id:
            await uow.remember(cmd, outcome)
        await uow.commit()
    if outcome.result is not None and outcome.result.outcome in (IngestOutcome.CREATED, IngestOutcome.UPDATED):
        ctx.stock_wanted()
    return outcome
