"""Pull mode: fetch the orders a channel modified since its cursor, page by page, backing off on rate limits
and server errors; each page is ingested in one transaction together with the cursor it reached, so a crash
resumes exactly after the last page that committed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from services.orders.application.channel_ingest import IngestContext, ingest_records
from services.orders.application.channel_ports import ChannelsUnitOfWork, HourCounts, PullTarget
from services.orders.domain import channel_events as cev
from services.orders.domain.channels import IngestOutcome, hour_start, retry_delay
from services.orders.domain.errors_channels import ChannelSyncPaused
from shared.kernel.errors import Aborted, OmsError

log = logging.getLogger(__name__)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Page:
    """One page of a channel's order listing: raw records, where the next page starts, whether there is one."""

    records: tuple[bytes, ...]
    next_cursor: str
    has_next: bool


class RateLimited(Exception):
    """The platform answered 429; ``retry_after`` is what it asked for (seconds), when it said."""

    def __init__(self, retry_after: float | None) -> None:
        super().__init__(f"rate limited (retry after {retry_after}s)" if retry_after else "rate limited")
        self.retry_after = retry_after


class SourceUnavailable(Exception):
    """A 5xx, a timeout, a broken connection or a page that is not a listing: worth another try."""


class ChannelSource(Protocol):
    async def fetch(self, target: PullTarget, cursor: str, page_size: int) -> Page:
        """The page after ``cursor`` (the first page since ``target.pull_since`` when the cursor is empty)."""
        ...


@dataclass(frozen=True)
class PullPolicy:
    backoff_base_seconds: float = 1.0
    backoff_cap_seconds: float = 60.0
    page_attempts: int = 6
    max_pages_per_round: int = 1000
    lease_seconds: float = 900.0


@dataclass(frozen=True)
class PullReport:
    channel: str
    pages: int
    records: int
    created: int
    updated: int
    failed: int
    completed: bool
    error: str


class PullFailed(Exception):
    pass


Sleep = Callable[[float], Awaitable[object]]


class ChannelPuller:
    """Runs the pull rounds of every channel that is due, each channel by one process at a time (a lease)."""

    def __init__(
        self,
        unit_of_work: Callable[[], ChannelsUnitOfWork],
        source: ChannelSource,
        ctx: IngestContext,
        policy: PullPolicy,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._uow = unit_of_work
        self._source = source
        self._ctx = ctx
        self._policy = policy
        self._sleep = sleep

    async def pull_due(self) -> list[PullReport]:
        now = self._ctx.clock()
        async with self._uow() as uow:
            targets = await uow.channels.claim_due_pulls(now, now + timedelta(seconds=self._policy.lease_seconds))
            await uow.commit()
        return list(await asyncio.gather(*(self.pull(target) for target in targets)))

    async def pull(self, target: PullTarget) -> PullReport:
        cursor = target.cursor
        pages = records = created = updated = failed = 0
        completed = False
        error = ""
        try:
            while pages < self._policy.max_pages_per_round:
                page = await self._fetch(target, cursor)
                outcomes = await self._ingest(target, page, cursor)
                pages += 1
                records += len(page.records)
                created += outcomes.count(IngestOutcome.CREATED)
                updated += outcomes.count(IngestOutcome.UPDATED)
                failed += outcomes.count(IngestOutcome.FAILED)
                cursor = page.next_cursor or cursor
                if not page.has_next:
                    completed = True
                    break
            else:
                # Caught up enough for one round; the next round goes on from the cursor.
                completed = True
        except ChannelSyncPaused:
            error = "paused by the surge guard"
        except PullFailed as failure:
            error = str(failure)
        except OmsError as refusal:
            error = f"{refusal.reason}: {refusal.message}"
        finally:
            await self._finish(target, completed, error)
        if error:
            log.warning("pull of %s stopped after %d pages: %s", target.channel.value, pages, error)
        return PullReport(target.channel.value, pages, records, created, updated, failed, completed, error)

    async def _fetch(self, target: PullTarget, cursor: str) -> Page:
        last = ""
        for attempt in range(1, self._policy.page_attempts + 1):
            try:
                return await self._source.fetch(target, cursor, target.page_size)
            except RateLimited as limited:
                last = str(limited)
                delay = limited.retry_after or retry_delay(
                    attempt, self._policy.backoff_base_seconds, self._policy.backoff_cap_seconds
                )
            except SourceUnavailable as unavailable:
                last = str(unavailable)
                delay = retry_delay(attempt, self._policy.backoff_base_seconds, self._policy.backoff_cap_seconds)
            if attempt < self._policy.page_attempts:
                log.info("pull of %s: %s; attempt %d again in %.1fs", target.channel.value, last, attempt + 1, delay)
                await self._sleep(min(delay, self._policy.backoff_cap_seconds))
        raise PullFailed(f"gave up on a page after {self._policy.page_attempts} attempts: {last}")

    async def _ingest(self, target: PullTarget, page: Page, cursor: str) -> list[IngestOutcome]:
        async with self._uow() as uow:
            gate, version = await uow.channels.gate(target.channel)
            gate.check_open()
            profile = await self._ctx.profiles.get(uow, target.channel, version)
            result = await ingest_records(uow, self._ctx, gate, profile, page.records, self._ctx.clock(), attempt=False)
            moves = bool(page.next_cursor) and page.next_cursor != cursor
            if moves and not await uow.channels.advance_cursor(target.channel, cursor, page.next_cursor):
                raise Aborted(f"the cursor of {target.channel.value} moved during the pull")
            await uow.commit()
        outcomes = [r.outcome for r in result.results]
        if IngestOutcome.CREATED in outcomes or IngestOutcome.UPDATED in outcomes:
            self._ctx.stock_wanted()
        return outcomes

    async def _finish(self, target: PullTarget, completed: bool, error: str) -> None:
        """Count the round as an attempt of the hour; a completed round is a heartbeat."""
        now = self._ctx.clock()
        async with self._uow() as uow:
            await uow.channels.record_attempt(target.channel, now, error)
            counts = HourCounts(attempts=1, successes=1 if completed else 0)
            await uow.channels.count_hour(target.channel, hour_start(now), hour_start(now) - HOUR, counts)
            if completed:
                stalled_since = await uow.channels.heartbeat(target.channel, now)
                if stalled_since is not None:
                    uow.publish_channel(target.channel, [cev.ChannelSyncRecovered(target.channel, stalled_since, now)])
            await uow.channels.end_pull(target.channel)
            await uow.commit()
