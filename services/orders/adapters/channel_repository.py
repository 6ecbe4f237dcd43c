"""PostgreSQL repositories of channel ingest: the channels table (sync state, mappings, hourly counts) and
the ingest tables (channel orders, failed ingests, stock holds). Batches are written set-wise: arrays are
sent once and unnested in the database, so a batch of thousands of records costs a handful of round trips.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.orders.adapters.channel_tables import (
    channel_mappings,
    channel_sync_hours,
    channels,
    failed_ingests,
)
from services.orders.application.channel_ports import (
    ChannelOrderRecord,
    ChannelSettingsChange,
    ChannelStatusView,
    FailedIngestFilter,
    FailedIngestView,
    FailureRecord,
    HourCounts,
    KnownChannelOrder,
    MappingChange,
    PullTarget,
    RecordedFailure,
    RetryPolicy,
    StalledChannel,
    StockSettlement,
    StockWork,
    SyncHour,
)
from services.orders.domain.channel_mapping import MappingEntry, MappingKind
from services.orders.domain.channels import ChannelState, FailedIngestState, SyncGate, SyncState
from services.orders.domain.values import Actor, Channel
from shared.kernel.errors import InvalidArgument
from shared.kernel.ids import new_id

CHANNEL_ORDER = {channel: index for index, channel in enumerate(Channel)}
STATUS_HOURS = 24


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


class SqlChannelRepository:
    """The channels table and its dependants, through the unit of work's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def gate(self, channel: Channel) -> tuple[SyncGate, int]:
        row = (
            await self._session.execute(
                select(channels.c.state, channels.c.surge_exempt_until, channels.c.mapping_version).where(
                    channels.c.channel == channel.value
                )
            )
        ).first()
        if row is None:
            raise InvalidArgument.field("channel", f"{channel.value} has no channel configuration")
        return SyncGate(channel, SyncState(row.state), _utc(row.surge_exempt_until)), row.mapping_version

    async def mapping_entries(self, channel: Channel) -> Sequence[MappingEntry]:
        rows = await self._session.execute(
            select(channel_mappings.c.kind, channel_mappings.c.key, channel_mappings.c.value).where(
                channel_mappings.c.channel == channel.value
            )
        )
        return [MappingEntry(MappingKind(row.kind), row.key, row.value) for row in rows]

    async def webhook_secret(self, channel: Channel) -> str | None:
        return (
            await self._session.execute(select(channels.c.webhook_secret).where(channels.c.channel == channel.value))
        ).scalar()

    async def count_hour(
        self, channel: Channel, hour: datetime, previous_hour: datetime, counts: HourCounts
    ) -> tuple[int, int]:
        row = (
            await self._session.execute(
                text(
                    """
                    WITH this_hour AS (
                        INSERT INTO channel_sync_hours AS h (channel, hour_start, attempts, successes, records,
                                                             orders_created, orders_updated, failures)
                        VALUES (:channel, :hour, :attempts, :successes, :records, :created, :updated, :failures)
                        ON CONFLICT (channel, hour_start) DO UPDATE SET
                            attempts = h.attempts + excluded.attempts,
                            successes = h.successes + excluded.successes,
                            records = h.records + excluded.records,
                            orders_created = h.orders_created + excluded.orders_created,
                            orders_updated = h.orders_updated + excluded.orders_updated,
                            failures = h.failures + excluded.failures
                        RETURNING orders_created
                    )
                    SELECT this_hour.orders_created,
                           COALESCE((SELECT orders_created FROM channel_sync_hours
                                     WHERE channel = :channel AND hour_start = :previous), 0) AS previous
                    FROM this_hour
                    """
                ),
                {
                    "channel": channel.value,
                    "hour": hour,
                    "previous": previous_hour,
                    "attempts": counts.attempts,
                    "successes": counts.successes,
                    "records": counts.records,
                    "created": counts.orders_created,
                    "updated": counts.orders_updated,
                    "failures": counts.failures,
                },
            )
        ).one()
        return row[0], row[1]

    async def pause(self, channel: Channel, reason: str, now: datetime) -> bool:
        paused = await self._session.execute(
            update(channels)
            .where(
                channels.c.channel == channel.value,
                channels.c.state == SyncState.ACTIVE.value,
                or_(channels.c.surge_exempt_until.is_(None), channels.c.surge_exempt_until <= now),
            )
            .values(state=SyncState.PAUSED.value, pause_reason=reason, paused_at=now, updated_at=now)
            .returning(channels.c.channel)
        )
        return paused.first() is not None

    async def heartbeat(self, channel: Channel, now: datetime) -> datetime | None:
        row = (
            await self._session.execute(
                text(
                    """
                    WITH previous AS (SELECT stalled_since FROM channels WHERE channel = :channel FOR UPDATE)
                    UPDATE channels SET last_sync_at = :now, stalled_since = NULL
                    FROM previous WHERE channels.channel = :channel
                    RETURNING previous.stalled_since
                    """
                ),
                {"channel": channel.value, "now": now},
            )
        ).first()
        return None if row is None else _utc(row[0])

    async def record_attempt(self, channel: Channel, now: datetime, error: str) -> None:
        await self._session.execute(
            update(channels)
            .where(channels.c.channel == channel.value)
            .values(last_attempt_at=now, last_error=error[:1000])
        )

    async def _hours(self, names: Sequence[str], now: datetime) -> dict[str, list[SyncHour]]:
        rows = await self._session.execute(
            select(channel_sync_hours)
            .where(
                channel_sync_hours.c.channel.in_(names),
                channel_sync_hours.c.hour_start > now - timedelta(hours=STATUS_HOURS),
            )
            .order_by(channel_sync_hours.c.hour_start.desc())
        )
        hours: dict[str, list[SyncHour]] = {}
        for row in rows.mappings():
            counts = HourCounts(
                attempts=row["attempts"],
                successes=row["successes"],
                records=row["records"],
                orders_created=row["orders_created"],
                orders_updated=row["orders_updated"],
                failures=row["failures"],
            )
            hours.setdefault(row["channel"], []).append(SyncHour(_utc(row["hour_start"]) or now, counts))
        return hours

    async def _views(self, condition: Any, now: datetime) -> list[ChannelStatusView]:
        pending = (
            select(func.count())
            .where(failed_ingests.c.channel == channels.c.channel, failed_ingests.c.state == "PENDING")
            .scalar_subquery()
            .label("pending")
        )
        rows = list((await self._session.execute(select(channels, pending).where(condition))).mappings())
        hours = await self._hours([row["channel"] for row in rows], now)
        views = [
            ChannelStatusView(
                channel=Channel(row["channel"]),
                platform=row["platform"],
                pull_enabled=row["pull_enabled"],
                endpoint_url=row["endpoint_url"],
                interval_seconds=row["interval_seconds"],
                page_size=row["page_size"],
                webhook_secret_set=bool(row["webhook_secret"]),
                state=SyncState(row["state"]),
                pause_reason=row["pause_reason"],
                paused_at=_utc(row["paused_at"]),
                last_sync_at=_utc(row["last_sync_at"]),
                last_attempt_at=_utc(row["last_attempt_at"]),
                last_error=row["last_error"],
                stalled_since=_utc(row["stalled_since"]),
                pull_since=_utc(row["pull_since"]),
                cursor=row["cursor"],
                mapping_version=row["mapping_version"],
                pending_failed_ingests=row["pending"],
                surge_exempt_until=_utc(row["surge_exempt_until"]),
                recent_hours=tuple(hours.get(row["channel"], ())),
            )
            for row in rows
        ]
        return sorted(views, key=lambda view: CHANNEL_ORDER[view.channel])

    async def status(self, channel: Channel, now: datetime) -> ChannelStatusView:
        views = await self._views(channels.c.channel == channel.value, now)
        if not views:
            raise InvalidArgument.field("channel", f"{channel.value} has no channel configuration")
        return views[0]

    async def statuses(self, now: datetime) -> Sequence[ChannelStatusView]:
        return await self._views(text("true"), now)

    async def configure(self, channel: Channel, change: ChannelSettingsChange, now: datetime) -> None:
        values: dict[str, Any] = {"updated_at": now}
        if change.pull_enabled is not None:
            values["pull_enabled"] = change.pull_enabled
            if change.pull_enabled:
                # A channel just switched on is not silent yet: its watchdog starts counting now.
                values["watch_from"] = now
                values["next_pull_at"] = now
        if change.endpoint_url is not None:
            values["endpoint_url"] = change.endpoint_url
        if change.interval_seconds is not None:
            values["interval_seconds"] = change.interval_seconds
        if change.page_size is not None:
            values["page_size"] = change.page_size
        if change.webhook_secret is not None:
            values["webhook_secret"] = change.webhook_secret or None
            values["watch_from"] = now
        if change.pull_since is not None:
            values["pull_since"] = change.pull_since
        if change.reset_cursor:
            values["cursor"] = ""
        if change.pull_now:
            values["next_pull_at"] = now
        await self._session.execute(update(channels).where(channels.c.channel == channel.value).values(**values))

    async def release(self, channel: Channel, now: datetime, exempt_until: datetime) -> bool:
        released = await self._session.execute(
            update(channels)
            .where(channels.c.channel == channel.value, channels.c.state == SyncState.PAUSED.value)
            .values(
                state=SyncState.ACTIVE.value,
                pause_reason="",
                paused_at=None,
                surge_exempt_until=exempt_until,
                next_pull_at=now,
                watch_from=now,
                updated_at=now,
            )
            .returning(channels.c.channel)
        )
        return released.first() is not None

    async def set_mappings(
        self, channel: Channel, changes: Sequence[MappingChange], actor: Actor, now: datetime
    ) -> int:
        upserts = [c for c in changes if not c.remove]
        removals = [c for c in changes if c.remove]
        if upserts:
            statement = pg_insert(channel_mappings).values(
                [
                    {
                        "channel": channel.value,
                        "kind": c.kind.value,
                        "key": c.key,
                        "value": c.value,
                        "updated_at": now,
                        "updated_by": actor.subject,
                    }
                    for c in upserts
                ]
            )
            await self._session.execute(
                statement.on_conflict_do_update(
                    index_elements=["channel", "kind", "key"],
                    set_={
                        "value": statement.excluded.value,
                        "updated_at": statement.excluded.updated_at,
                        "updated_by": statement.excluded.updated_by,
                    },
                )
            )
        if removals:
            await self._session.execute(
                delete(channel_mappings).where(
                    channel_mappings.c.channel == channel.value,
                    tuple_(channel_mappings.c.kind, channel_mappings.c.key).in_(
                        [(c.kind.value, c.key) for c in removals]
                    ),
                )
            )
        version = await self._session.execute(
            update(channels)
            .where(channels.c.channel == channel.value)
            .values(mapping_version=channels.c.mapping_version + 1, updated_at=now)
            .returning(channels.c.mapping_version)
        )
        return version.scalar_one()

    async def list_mappings(
        self, channel: Channel, kind: MappingKind | None, after: tuple[str, str] | None, limit: int
    ) -> Sequence[tuple[MappingEntry, datetime, str]]:
        statement = select(channel_mappings).where(channel_mappings.c.channel == channel.value)
        if kind is not None:
            statement = statement.where(channel_mappings.c.kind == kind.value)
        if after is not None:
            statement = statement.where(tuple_(channel_mappings.c.kind, channel_mappings.c.key) > tuple_(*after))
        statement = statement.order_by(channel_mappings.c.kind, channel_mappings.c.key).limit(limit)
        rows = (await self._session.execute(statement)).mappings()
        return [
            (MappingEntry(MappingKind(row["kind"]), row["key"], row["value"]), row["updated_at"], row["updated_by"])
            for row in rows
        ]

    async def claim_due_pulls(self, now: datetime, lease_until: datetime) -> Sequence[PullTarget]:
        # The next round is scheduled when this one starts, so a round that fails or overruns does not
        # shift the schedule, and a "pull now" during the round is honoured right after it.
        rows = await self._session.execute(
            text(
                """
                UPDATE channels SET pull_lease_until = :lease,
                       next_pull_at = CAST(:now AS timestamptz) + make_interval(secs => interval_seconds)
                WHERE pull_enabled AND endpoint_url <> '' AND state = 'ACTIVE' AND next_pull_at <= :now
                  AND (pull_lease_until IS NULL OR pull_lease_until < :now)
                RETURNING channel, platform, endpoint_url, page_size, cursor, pull_since, interval_seconds
                """
            ),
            {"now": now, "lease": lease_until},
        )
        return [
            PullTarget(
                channel=Channel(row.channel),
                platform=row.platform,
                endpoint_url=row.endpoint_url,
                page_size=row.page_size,
                cursor=row.cursor,
                pull_since=_utc(row.pull_since),
                interval_seconds=row.interval_seconds,
            )
            for row in rows
        ]

    async def advance_cursor(self, channel: Channel, before: str, after: str) -> bool:
        moved = await self._session.execute(
            update(channels)
            .where(channels.c.channel == channel.value, channels.c.cursor == before)
            .values(cursor=after)
            .returning(channels.c.channel)
        )
        return moved.first() is not None

    async def end_pull(self, channel: Channel) -> None:
        await self._session.execute(
            update(channels).where(channels.c.channel == channel.value).values(pull_lease_until=None)
        )

    async def mark_stalled(self, now: datetime, grace_seconds: float) -> Sequence[StalledChannel]:
        rows = await self._session.execute(
            text(
                """
                UPDATE channels SET stalled_since = :now
                WHERE stalled_since IS NULL AND state = 'ACTIVE'
                  AND (pull_enabled OR webhook_secret IS NOT NULL OR last_sync_at IS NOT NULL)
                  AND COALESCE(last_sync_at, watch_from) < CAST(:now AS timestamptz)
                      - make_interval(secs => interval_seconds + CAST(:grace AS double precision))
                RETURNING channel, last_sync_at, interval_seconds, last_error
                """
            ),
            {"now": now, "grace": grace_seconds},
        )
        return [
            StalledChannel(Channel(row.channel), _utc(row.last_sync_at), row.interval_seconds, row.last_error)
            for row in rows
        ]


class SqlIngestRepository:
    """Channel orders, failed ingests and stock holds, written set-wise."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock_known(self, channel: Channel, channel_order_ids: Sequence[str]) -> dict[str, KnownChannelOrder]:
        if not channel_order_ids:
            return {}
        rows = await self._session.execute(
            text(
                """
                SELECT channel_order_id, order_id, version, rank FROM channel_orders
                WHERE channel = :channel AND channel_order_id = ANY(CAST(:ids AS text[]))
                ORDER BY channel_order_id
                FOR UPDATE
                """
            ),
            {"channel": channel.value, "ids": sorted(channel_order_ids)},
        )
        return {
            row.channel_order_id: KnownChannelOrder(row.channel_order_id, str(row.order_id), row.version, row.rank)
            for row in rows
        }

    async def claim(self, channel: Channel, records: Sequence[ChannelOrderRecord], now: datetime) -> set[str]:
        if not records:
            return set()
        rows = await self._session.execute(
            text(
                """
                INSERT INTO channel_orders (channel, channel_order_id, order_id, platform_status, version, rank,
                                            buyer_member_id, buyer_nickname, first_seen_at, last_seen_at)
                SELECT :channel, r.channel_order_id, r.order_id, r.platform_status, r.version, r.rank,
                       r.buyer_member_id, r.buyer_nickname, :now, :now
                FROM json_populate_recordset(NULL::channel_orders, CAST(:rows AS json)) AS r
                ORDER BY r.channel_order_id
                ON CONFLICT (channel, channel_order_id) DO NOTHING
                RETURNING channel_order_id
                """
            ),
            {"channel": channel.value, "now": now, "rows": _records_json(records)},
        )
        return {row[0] for row in rows}

    async def link_existing(self, channel: Channel, channel_order_ids: Sequence[str]) -> dict[str, str]:
        if not channel_order_ids:
            return {}
        rows = await self._session.execute(
            text(
                """
                UPDATE channel_orders AS co SET order_id = o.order_id
                FROM orders AS o
                WHERE co.channel = :channel AND co.channel_order_id = ANY(CAST(:ids AS text[]))
                  AND o.channel = co.channel AND o.channel_order_id = co.channel_order_id
                RETURNING co.channel_order_id, o.order_id
                """
            ),
            {"channel": channel.value, "ids": list(channel_order_ids)},
        )
        return {row[0]: str(row[1]) for row in rows}

    async def advance(self, channel: Channel, records: Sequence[ChannelOrderRecord], now: datetime) -> None:
        if not records:
            return
        await self._session.execute(
            text(
                """
                UPDATE channel_orders AS co SET platform_status = r.platform_status, version = r.version,
                       rank = r.rank, buyer_member_id = r.buyer_member_id, buyer_nickname = r.buyer_nickname,
                       last_seen_at = :now
                FROM json_populate_recordset(NULL::channel_orders, CAST(:rows AS json)) AS r
                WHERE co.channel = :channel AND co.channel_order_id = r.channel_order_id
                  AND (co.version, co.rank) < (r.version, r.rank)
                """
            ),
            {"channel": channel.value, "now": now, "rows": _records_json(records)},
        )

    async def want_stock(self, hold: Sequence[str], release: Sequence[str], now: datetime) -> None:
        if hold:
            # An order holds stock once: a row that exists already (even released) is not held again.
            await self._session.execute(
                text(
                    """
                    INSERT INTO stock_holds (order_id, desired, applied, next_attempt_at, updated_at)
                    SELECT id, 'HELD', 'NONE', :now, :now FROM unnest(CAST(:ids AS uuid[])) AS id ORDER BY id
                    ON CONFLICT (order_id) DO NOTHING
                    """
                ),
                {"ids": sorted(hold), "now": now},
            )
        if release:
            await self._session.execute(
                text(
                    """
                    INSERT INTO stock_holds AS h (order_id, desired, applied, next_attempt_at, updated_at)
                    SELECT id, 'RELEASED', 'NONE', CAST(:now AS timestamptz), CAST(:now AS timestamptz)
                    FROM unnest(CAST(:ids AS uuid[])) AS id ORDER BY id
                    ON CONFLICT (order_id) DO UPDATE SET desired = 'RELEASED', updated_at = CAST(:now AS timestamptz),
                        next_attempt_at = CASE WHEN h.applied = 'RELEASED' THEN NULL ELSE CAST(:now AS timestamptz) END
                    """
                ),
                {"ids": sorted(release), "now": now},
            )

    async def release_if_held(self, order_id: str, now: datetime) -> None:
        await self._session.execute(
            text(
                """
                UPDATE stock_holds SET desired = 'RELEASED', next_attempt_at = CAST(:now AS timestamptz),
                       updated_at = CAST(:now AS timestamptz)
                WHERE order_id = :order_id AND desired <> 'RELEASED'
                """
            ),
            {"order_id": order_id, "now": now},
        )

    async def hold_again(self, order_id: str, now: datetime) -> bool:
        # Only while the channel still reports the order paid: one first seen shipped left a warehouse already.
        held = await self._session.execute(
            text(
                """
                INSERT INTO stock_holds AS h (order_id, desired, applied, next_attempt_at, updated_at)
                SELECT co.order_id, 'HELD', 'NONE', CAST(:now AS timestamptz), CAST(:now AS timestamptz)
                FROM channel_orders AS co
                WHERE co.order_id = :order_id AND co.rank = :paid_rank
                LIMIT 1
                ON CONFLICT (order_id) DO UPDATE SET desired = 'HELD', next_attempt_at = CAST(:now AS timestamptz),
                    updated_at = CAST(:now AS timestamptz)
                WHERE h.applied = 'REFUSED' OR h.desired <> 'HELD'
                RETURNING h.order_id
                """
            ),
            {"order_id": order_id, "now": now, "paid_rank": ChannelState.PAID.rank},
        )
        return held.first() is not None

    async def record_failures(
        self,
        channel: Channel,
        failures: Sequence[FailureRecord],
        now: datetime,
        *,
        retry: bool,
        policy: RetryPolicy,
    ) -> list[RecordedFailure]:
        if not failures:
            return []
        rows = await self._session.execute(
            text(
                """
                INSERT INTO failed_ingests AS f (failed_ingest_id, channel, channel_order_id, payload,
                    payload_sha256, reason, field, detail, state, attempts, occurrences, received_at,
                    last_seen_at, last_attempt_at, next_retry_at)
                SELECT r.id, :channel, r.channel_order_id, r.payload, r.sha, r.reason, r.field, r.detail,
                       'PENDING', 1, 1, :now, :now, :now, :first_retry
                FROM unnest(CAST(:ids AS uuid[]), CAST(:channel_order_ids AS text[]), CAST(:payloads AS bytea[]),
                            CAST(:shas AS text[]), CAST(:reasons AS text[]), CAST(:fields AS text[]),
                            CAST(:details AS text[]))
                     AS r(id, channel_order_id, payload, sha, reason, field, detail)
                ON CONFLICT (channel, payload_sha256) DO UPDATE SET
                    channel_order_id = excluded.channel_order_id, reason = excluded.reason,
                    field = excluded.field, detail = excluded.detail, state = 'PENDING', resolved_at = NULL,
                    order_id = NULL, last_seen_at = :now, last_attempt_at = :now,
                    attempts = f.attempts + :retried,
                    occurrences = f.occurrences + 1 - :retried,
                    next_retry_at = CASE WHEN f.attempts + :retried >= :max_attempts THEN NULL
                        ELSE CAST(:now AS timestamptz) + make_interval(secs => LEAST(CAST(:cap AS double precision),
                                                         :base * power(2, LEAST(f.attempts + :retried - 1, 30))))
                        END
                RETURNING f.failed_ingest_id, f.payload_sha256, (f.xmax = 0) AS inserted
                """
            ),
            {
                "channel": channel.value,
                "now": now,
                "first_retry": now + timedelta(seconds=policy.base_seconds),
                "retried": 1 if retry else 0,
                "max_attempts": policy.max_attempts,
                "base": policy.base_seconds,
                "cap": policy.cap_seconds,
                "ids": [new_id() for _ in failures],
                "channel_order_ids": [f.channel_order_id for f in failures],
                "payloads": [f.payload for f in failures],
                "shas": [f.payload_sha256 for f in failures],
                "reasons": [f.reason for f in failures],
                "fields": [f.field for f in failures],
                "details": [f.detail[:2000] for f in failures],
            },
        )
        return [RecordedFailure(str(row[0]), row[1], bool(row[2])) for row in rows]

    async def resolve_failures(self, channel: Channel, resolved: Sequence[tuple[str, str]], now: datetime) -> None:
        if not resolved:
            return
        await self._session.execute(
            text(
                """
                UPDATE failed_ingests AS f SET state = 'RESOLVED', resolved_at = :now, order_id = r.order_id,
                       next_retry_at = NULL, last_attempt_at = :now
                FROM unnest(CAST(:shas AS text[]), CAST(:order_ids AS uuid[])) AS r(sha, order_id)
                WHERE f.channel = :channel AND f.payload_sha256 = r.sha AND f.state = 'PENDING'
                """
            ),
            {
                "channel": channel.value,
                "now": now,
                "shas": [sha for sha, _ in resolved],
                "order_ids": [order_id or None for _, order_id in resolved],
            },
        )

    async def failed(self, failed_ingest_id: str, *, lock: bool = False) -> FailedIngestView | None:
        statement = select(failed_ingests).where(failed_ingests.c.failed_ingest_id == failed_ingest_id)
        if lock:
            statement = statement.with_for_update()
        row = (await self._session.execute(statement)).mappings().first()
        return None if row is None else _failed_view(row)

    async def list_failed(
        self, query: FailedIngestFilter, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[FailedIngestView]:
        statement = select(failed_ingests)
        if query.channel is not None:
            statement = statement.where(failed_ingests.c.channel == query.channel.value)
        if query.state is not None:
            statement = statement.where(failed_ingests.c.state == query.state.value)
        if after is not None:
            key = tuple_(failed_ingests.c.received_at, failed_ingests.c.failed_ingest_id)
            statement = statement.where(key < tuple_(*after))
        statement = statement.order_by(
            failed_ingests.c.received_at.desc(), failed_ingests.c.failed_ingest_id.desc()
        ).limit(limit)
        return [_failed_view(row) for row in (await self._session.execute(statement)).mappings()]

    async def due_failures(self, now: datetime, limit: int) -> Sequence[str]:
        rows = await self._session.execute(
            select(failed_ingests.c.failed_ingest_id)
            .where(
                failed_ingests.c.state == FailedIngestState.PENDING.value,
                and_(failed_ingests.c.next_retry_at.is_not(None), failed_ingests.c.next_retry_at <= now),
            )
            .order_by(failed_ingests.c.next_retry_at)
            .limit(limit)
        )
        return [str(row[0]) for row in rows]

    async def claim_stock(self, now: datetime, lease_until: datetime, limit: int) -> Sequence[StockWork]:
        claimed = list(
            await self._session.execute(
                text(
                    """
                    WITH due AS (
                        SELECT order_id FROM stock_holds
                        WHERE next_attempt_at <= :now AND (lease_until IS NULL OR lease_until < :now)
                        ORDER BY next_attempt_at LIMIT :limit
                        FOR UPDATE SKIP LOCKED
                    )
                    UPDATE stock_holds AS h SET lease_until = :lease, attempts = h.attempts + 1
                    FROM due WHERE h.order_id = due.order_id
                    RETURNING h.order_id, h.desired, h.applied, h.attempts
                    """
                ),
                {"now": now, "lease": lease_until, "limit": limit},
            )
        )
        if not claimed:
            return []
        ids = [str(row.order_id) for row in claimed]
        lines: dict[str, list[tuple[str, int]]] = {}
        provinces: dict[str, str] = {}
        details = await self._session.execute(
            text(
                """
                SELECT l.order_id, l.sku, sum(l.quantity) AS quantity, o.ship_province
                FROM order_lines AS l JOIN orders AS o ON o.order_id = l.order_id
                WHERE l.order_id = ANY(CAST(:ids AS uuid[]))
                GROUP BY l.order_id, l.sku, o.ship_province
                ORDER BY l.order_id, l.sku
                """
            ),
            {"ids": ids},
        )
        for row in details:
            lines.setdefault(str(row.order_id), []).append((row.sku, int(row.quantity)))
            provinces[str(row.order_id)] = row.ship_province
        return [
            StockWork(
                order_id=str(row.order_id),
                desired=row.desired,
                applied=row.applied,
                attempts=row.attempts,
                lines=tuple(lines.get(str(row.order_id), ())),
                shipping_province=provinces.get(str(row.order_id), ""),
            )
            for row in claimed
        ]

    async def settle_stock(self, order_id: str, applied: str, reservation_id: str, error: str, now: datetime) -> None:
        await self.settle_stock_many([StockSettlement(order_id, applied, reservation_id, error)], now)

    async def settle_stock_many(self, settlements: Sequence[StockSettlement], now: datetime) -> None:
        if not settlements:
            return
        ordered = sorted(settlements, key=lambda s: s.order_id)
        ids = [s.order_id for s in ordered]
        # Rows locked in order id order first, as want_stock takes them, so a concurrent ingest waits instead of
        # deadlocking with a batch.
        await self._session.execute(
            text("SELECT 1 FROM stock_holds WHERE order_id = ANY(CAST(:ids AS uuid[])) ORDER BY order_id FOR UPDATE"),
            {"ids": ids},
        )
        await self._session.execute(
            text(
                """
                UPDATE stock_holds AS h SET applied = s.applied, lease_until = NULL, attempts = 0,
                       last_error = s.error,
                       reservation_id = COALESCE(NULLIF(s.reservation_id, ''), h.reservation_id),
                       updated_at = CAST(:now AS timestamptz),
                       next_attempt_at = CASE
                           WHEN h.desired = s.applied OR (h.desired = 'HELD' AND s.applied = 'REFUSED') THEN NULL
                           ELSE CAST(:now AS timestamptz) END
                FROM unnest(CAST(:ids AS uuid[]), CAST(:applied AS text[]), CAST(:reservations AS text[]),
                            CAST(:errors AS text[])) AS s(order_id, applied, reservation_id, error)
                WHERE h.order_id = s.order_id
                """
            ),
            {
                "ids": ids,
                "applied": [s.applied for s in ordered],
                "reservations": [s.reservation_id for s in ordered],
                "errors": [s.error for s in ordered],
                "now": now,
            },
        )

    async def retry_stock(self, order_id: str, error: str, next_attempt_at: datetime, now: datetime) -> None:
        await self._session.execute(
            text(
                """
                UPDATE stock_holds SET lease_until = NULL, last_error = :error, next_attempt_at = :next,
                       updated_at = :now
                WHERE order_id = :order_id
                """
            ),
            {"order_id": order_id, "error": error[:1000], "next": next_attempt_at, "now": now},
        )


def _records_json(records: Sequence[ChannelOrderRecord]) -> str:
    """Channel order rows as one JSON document, in id order (rows are locked in that order)."""
    return json.dumps(
        [
            {
                "channel_order_id": r.channel_order_id,
                "order_id": r.order_id,
                "platform_status": r.platform_status,
                "version": r.version,
                "rank": r.rank,
                "buyer_member_id": r.buyer_member_id,
                "buyer_nickname": r.buyer_nickname,
            }
            for r in sorted(records, key=lambda r: r.channel_order_id)
        ],
        ensure_ascii=False,
    )


def _failed_view(row: Mapping[str, Any]) -> FailedIngestView:
    return FailedIngestView(
        failed_ingest_id=str(row["failed_ingest_id"]),
        channel=Channel(row["channel"]),
        channel_order_id=row["channel_order_id"],
        reason=row["reason"],
        field=row["field"],
        detail=row["detail"],
        payload=bytes(row["payload"]),
        state=FailedIngestState(row["state"]),
        attempts=row["attempts"],
        occurrences=row["occurrences"],
        received_at=row["received_at"].astimezone(UTC),
        last_attempt_at=row["last_attempt_at"].astimezone(UTC),
        next_retry_at=_utc(row["next_retry_at"]),
        resolved_at=_utc(row["resolved_at"]),
        order_id=str(row["order_id"]) if row["order_id"] else "",
    )
