"""Channel administration: sync settings and status, surge release, mapping tables, the failed-ingest queue."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from services.orders.application import page_tokens, pagination
from services.orders.application.channel_commands import (
    ConfigureChannel,
    FailedIngestPage,
    ListChannelMappings,
    ListFailedIngests,
    MappingPage,
    MappingRow,
    MappingsSet,
    ReleaseChannelSync,
    SetChannelMappings,
)
from services.orders.application.channel_ports import ChannelStatusView, ChannelsUnitOfWork
from services.orders.application.ports import Clock
from services.orders.domain import channel_events as cev
from services.orders.domain.channel_mapping import validate_entry
from services.orders.domain.channels import hour_start
from services.orders.domain.rules import REASON_MAX, check_text
from services.orders.domain.values import Channel
from shared.kernel.errors import InvalidArgument
from shared.kernel.ids import is_valid_id

MAX_CHANGES = 1000
INTERVAL_RANGE = (10, 86_400)
PAGE_SIZE_RANGE = (1, 1000)
SECRET_RANGE = (16, 256)


def _check_settings(cmd: ConfigureChannel) -> None:
    change = cmd.change
    if change.endpoint_url is not None and change.endpoint_url:
        check_text("endpoint_url", change.endpoint_url, 2000)
        parts = urlsplit(change.endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidArgument.field("endpoint_url", "must be an http or https URL")
    if change.interval_seconds is not None and not INTERVAL_RANGE[0] <= change.interval_seconds <= INTERVAL_RANGE[1]:
        raise InvalidArgument.field("interval_seconds", f"must be between {INTERVAL_RANGE[0]} and {INTERVAL_RANGE[1]}")
    if change.page_size is not None and not PAGE_SIZE_RANGE[0] <= change.page_size <= PAGE_SIZE_RANGE[1]:
        raise InvalidArgument.field("page_size", f"must be between {PAGE_SIZE_RANGE[0]} and {PAGE_SIZE_RANGE[1]}")
    secret = change.webhook_secret
    if secret and not SECRET_RANGE[0] <= len(secret) <= SECRET_RANGE[1]:
        raise InvalidArgument.field(
            "webhook_secret", f"must be {SECRET_RANGE[0]} to {SECRET_RANGE[1]} characters (or empty to remove it)"
        )
    if secret:
        check_text("webhook_secret", secret, SECRET_RANGE[1])


async def configure_channel(cmd: ConfigureChannel, uow: ChannelsUnitOfWork, *, clock: Clock) -> ChannelStatusView:
    _check_settings(cmd)
    now = clock()
    async with uow:
        if (previous := await uow.replay(cmd, ChannelStatusView)) is not None:
            return previous
        await uow.channels.configure(cmd.channel, cmd.change, now)
        status = await uow.channels.status(cmd.channel, now)
        if status.pull_enabled and not status.endpoint_url:
            raise InvalidArgument.field("endpoint_url", "is required to pull orders")
        await uow.remember(cmd, status)
        await uow.commit()
    return status


async def channel_status(channel: Channel, uow: ChannelsUnitOfWork, *, clock: Clock) -> ChannelStatusView:
    async with uow:
        return await uow.channels.status(channel, clock())


async def channel_statuses(uow: ChannelsUnitOfWork, *, clock: Clock) -> tuple[ChannelStatusView, ...]:
    async with uow:
        return tuple(await uow.channels.statuses(clock()))


async def release_channel_sync(cmd: ReleaseChannelSync, uow: ChannelsUnitOfWork, *, clock: Clock) -> ChannelStatusView:
    check_text("note", cmd.note, REASON_MAX)
    now = clock()
    async with uow:
        if (previous := await uow.replay(cmd, ChannelStatusView)) is not None:
            return previous
        # The operator accepted this hour's volume: the guard watches again from the next hour on.
        if await uow.channels.release(cmd.channel, now, hour_start(now) + timedelta(hours=1)):
            uow.publish_channel(cmd.channel, [cev.ChannelSyncReleased(cmd.channel, cmd.actor, cmd.note, now)])
        status = await uow.channels.status(cmd.channel, now)
        await uow.remember(cmd, status)
        await uow.commit()
    return status


async def set_channel_mappings(cmd: SetChannelMappings, uow: ChannelsUnitOfWork, *, clock: Clock) -> MappingsSet:
    if not cmd.changes:
        raise InvalidArgument.field("changes", "must hold at least one change")
    if len(cmd.changes) > MAX_CHANGES:
        raise InvalidArgument.field("changes", f"must hold at most {MAX_CHANGES} changes")
    seen: set[tuple[str, str]] = set()
    for index, change in enumerate(cmd.changes):
        where = f"changes[{index}]"
        if change.remove:
            check_text(f"{where}.key", change.key, 128, required=True)
        else:
            validate_entry(change.kind, change.key, change.value, where)
        if (change.kind.value, change.key) in seen:
            raise InvalidArgument.field(f"{where}.key", "appears twice in this request")
        seen.add((change.kind.value, change.key))
    async with uow:
        if (previous := await uow.replay(cmd, MappingsSet)) is not None:
            return previous
        result = MappingsSet(await uow.channels.set_mappings(cmd.channel, cmd.changes, cmd.actor, clock()))
        await uow.remember(cmd, result)
        await uow.commit()
    return result


async def list_channel_mappings(query: ListChannelMappings, uow: ChannelsUnitOfWork) -> MappingPage:
    limit = pagination.page_size(query.page_size)
    scope = (query.channel.value, query.kind.value if query.kind else "")
    position = page_tokens.decode(query.page_token, scope, 2)
    async with uow:
        rows = list(
            await uow.channels.list_mappings(
                query.channel, query.kind, (position[0], position[1]) if position else None, limit + 1
            )
        )
    page, more = rows[:limit], len(rows) > limit
    token = page_tokens.encode([page[-1][0].kind.value, page[-1][0].key], scope) if more else ""
    return MappingPage(tuple(MappingRow(entry, at, by) for entry, at, by in page), token)


async def list_failed_ingests(query: ListFailedIngests, uow: ChannelsUnitOfWork) -> FailedIngestPage:
    limit = pagination.page_size(query.page_size)
    position = page_tokens.decode(query.page_token, query.filter, 2)
    after = None
    if position is not None:
        try:
            after = (datetime.fromisoformat(position[0]), position[1])
            if after[0].tzinfo is None or not is_valid_id(after[1]):
                raise ValueError("malformed position")
        except ValueError as error:
            raise InvalidArgument.field(
                page_tokens.TOKEN_FIELD, "is not a page token issued by this listing"
            ) from error
    async with uow:
        rows = list(await uow.ingest.list_failed(query.filter, after, limit + 1))
    page, more = rows[:limit], len(rows) > limit
    token = ""
    if more:
        token = page_tokens.encode([page[-1].received_at.isoformat(), page[-1].failed_ingest_id], query.filter)
    return FailedIngestPage(tuple(page), token)
