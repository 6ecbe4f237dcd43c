"""The open-model driver: sends each arrival when the clock says, never more than the in-flight cap at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from tools.load.catalogue import Catalogue
from tools.load.config import LoadConfig
from tools.load.scenarios import Attempt, ChannelDesk, RefundDesk, Scenarios, Transport
from tools.load.schedule import RateProfile, arrival_offsets
from tools.load.stats import LatencySummary, Timeline

log = logging.getLogger(__name__)

# When the sender is behind its clock it fires the due arrivals back to back; it still yields this often so
# the requests already in flight make progress (else a slow sender would only ever fill its cap).
_YIELD_EVERY = 32
_PROGRESS_SECONDS = 0.25


@dataclass
class Traffic:
    """Everything the driver saw. Offsets are seconds from ``started_at``."""

    attempts: list[Attempt]
    started_at: datetime
    arrivals_ended: float
    ended: float
    timeline: Timeline
    peak_in_flight: int
    cancel_fallbacks: int
    late_sends: int
    client_errors: Counter[str] = field(default_factory=Counter)

    def of(self, *scenarios: str) -> Iterator[Attempt]:
        return (a for a in self.attempts if a.scenario in scenarios)


def profile_of(config: LoadConfig) -> RateProfile:
    return RateProfile(config.rate, config.duration, config.ramp if config.ramped else 0.0, config.ramp_steps)


class _Live:
    """Counters the progress line shows while the run goes."""

    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()
        self.in_flight = 0
        self.peak_in_flight = 0


async def drive(
    config: LoadConfig,
    transport: Transport,
    catalogue: Catalogue,
    *,
    console: Console | None = None,
    progress: bool = True,
    refunds: RefundDesk | None = None,
    channels: ChannelDesk | None = None,
) -> Traffic:
    """Send the run's arrivals on their schedule and wait for the answers of all that were sent."""
    loop = asyncio.get_running_loop()
    origin = loop.time()

    def clock() -> float:
        return loop.time() - origin

    scenarios = Scenarios(transport, catalogue, config, random.Random(config.seed), clock, refunds, channels)
    profile = profile_of(config)
    offsets = arrival_offsets(
        profile, poisson=config.arrivals == "poisson", rng=random.Random(config.seed + 1), limit=config.max_requests
    )
    timeline = Timeline()
    attempts: list[Attempt] = []
    live = _Live()
    client_errors: Counter[str] = Counter()
    in_flight: set[asyncio.Task[None]] = set()
    late_sends = 0

    async def one(attempt: Attempt) -> None:
        try:
            await scenarios.run(attempt)
        except Exception as exc:  # a bug of the tool or the client library: keep the run, count it, say it
            client_errors[type(exc).__name__] += 1
            if client_errors[type(exc).__name__] == 1:
                log.exception("arrival %d (%s) failed in the client", attempt.number, attempt.scenario)
            attempt.finished = clock()
            attempt.outcome, attempt.code, attempt.reason = "error", "CLIENT", f"CLIENT_{type(exc).__name__}"
        finally:
            live.in_flight -= 1
        if attempt.finished is not None:
            timeline.answered(attempt.finished, attempt.finished - attempt.due, attempt.outcome)
        live.outcomes[attempt.outcome] += 1

    bar = _progress_bar(console, config) if progress else None
    ticker = asyncio.create_task(_tick(bar, clock, timeline, live, config)) if bar is not None else None
    started_at = datetime.now(UTC)
    origin = loop.time()
    try:
        with bar if bar is not None else contextlib.nullcontext():
            for number, due in enumerate(offsets):
                wait = due - clock()
                if wait > 0:
                    await asyncio.sleep(wait)
                elif number % _YIELD_EVERY == 0:
                    await asyncio.sleep(0)
                if due - clock() < -0.010:
                    late_sends += 1
                attempt = scenarios.attempt(number, due)
                attempts.append(attempt)
                timeline.offered(due)
                if live.in_flight >= config.max_in_flight:
                    attempt.outcome, attempt.code, attempt.reason = "not_sent", "NOT_SENT", "NOT_SENT"
                    timeline.not_sent(due)
                    live.outcomes["not_sent"] += 1
                    continue
                live.in_flight += 1
                live.peak_in_flight = max(live.peak_in_flight, live.in_flight)
                task = loop.create_task(one(attempt))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            arrivals_ended = clock()
            if in_flight:
                # Every call carries a deadline, so this ends; the margin covers the retry scenario's copies.
                await asyncio.wait(set(in_flight), timeout=config.timeout * config.retry_copies + 30.0)
    finally:
        if ticker is not None:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
        for task in list(in_flight):
            task.cancel()
        if in_flight:
            await asyncio.gather(*in_flight, return_exceptions=True)
    ended = clock()
    return Traffic(
        attempts=attempts,
        started_at=started_at,
        arrivals_ended=arrivals_ended,
        ended=ended,
        timeline=timeline,
        peak_in_flight=live.peak_in_flight,
        cancel_fallbacks=scenarios.cancel_fallbacks,
        late_sends=late_sends,
        client_errors=client_errors,
    )


def _progress_bar(console: Console | None, config: LoadConfig) -> Progress:
    bar = Progress(
        TextColumn("[bold]load[/bold]"),
        BarColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=console,
        refresh_per_second=4,
    )
    bar.add_task("load", total=config.duration, status="starting")
    return bar


async def _tick(bar: Progress, clock: Callable[[], float], timeline: Timeline, live: _Live, config: LoadConfig) -> None:
    profile = profile_of(config)
    (task,) = bar.task_ids
    while True:
        now = clock()
        last = timeline.last_complete(now)
        p99 = LatencySummary.of(last.latencies).p99 * 1000 if last is not None else 0.0
        offered = profile.rate_at(now)
        phase = f"{offered:,.0f}/s offered" if now < config.duration else "draining"
        status = (
            f"{phase}  in flight {live.in_flight}  ok {live.outcomes['ok']}  refused {live.outcomes['refused']}"
            f"  errors {live.outcomes['error']}  not sent {live.outcomes['not_sent']}  p99(1s) {p99:,.0f} ms"
        )
        bar.update(task, completed=min(now, config.duration), status=status)
        await asyncio.sleep(_PROGRESS_SECONDS)
