"""Runs one service process: settings, telemetry, migrations, connections, the gRPC server, background
tasks (the outbox relay among them), and a graceful stop on SIGTERM or SIGINT.

Every ``services/<ctx>/__main__.py`` is ``run("<ctx>", build, Settings)``. With ``OMS_PROCESSES`` > 1 the
service is several such processes on one port (see ``shared.workers``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

import grpc
import oms_client
from prometheus_client import start_http_server
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.auth import Principal, TokenAuthority
from shared.db import UnitOfWork, create_engine, session_factory
from shared.grpc.server import ServiceDefinition, build_server, set_serving
from shared.messaging import OutboxRelay
from shared.metrics import watch_event_loop, watch_pool
from shared.migrations import migrate
from shared.settings import ServiceSettings
from shared.telemetry import configure_telemetry
from shared.workers import WorkerProcesses, announce_ready, fixed_port, metrics_address_of

log = logging.getLogger(__name__)

S = TypeVar("S", bound=ServiceSettings)
U = TypeVar("U", bound=UnitOfWork)


@dataclass
class Infrastructure:
    """The connections a service is built on; created by the runtime (or a test), never at import time."""

    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    channels: list[grpc.aio.Channel] = field(default_factory=list)
    _service_token: tuple[float, tuple[tuple[str, str], ...]] | None = field(default=None, repr=False)

    @classmethod
    def connect(cls, settings: ServiceSettings) -> Infrastructure:
        engine = create_engine(settings)
        return cls(settings, engine, session_factory(engine), Redis.from_url(settings.redis_url))

    def unit_of_work(self, kind: type[U]) -> Callable[[], U]:
        """A factory of ``kind`` units of work writing events to this service's stream."""
        name = self.settings.service_name
        stream = self.settings.stream_name(name)
        return lambda: kind(self.sessions, source=name, stream=stream)

    def service_metadata(self) -> tuple[tuple[str, str], ...]:
        """The credentials this service presents to its peers: a token of its service account when a secret is
        configured (re-minted before it expires), else its declared identity (development without authentication)."""
        name = self.settings.service_name
        if not self.settings.auth_secret:
            return (("x-oms-subject", f"svc:{name}"), ("x-oms-role", "service"))
        now = time.monotonic()
        if self._service_token is None or now - self._service_token[0] > SERVICE_TOKEN_RENEWAL.total_seconds():
            authority = TokenAuthority(self.settings.auth_secret, lifetime=SERVICE_TOKEN_LIFETIME)
            token = authority.issue(Principal(subject=f"svc:{name}", role="service"))
            self._service_token = (now, (("authorization", f"Bearer {token}"),))
        return self._service_token[1]

    def peer_client(self, service: str, *, timeout: float = 5.0, retries: bool = True) -> oms_client.ServiceClient:
        """A client of another service with this service's credentials; its channel closes with the process."""
        channel = oms_client.connect(self.settings.peer_address(service), retries=retries)
        self.channels.append(channel)
        return oms_client.ServiceClient.for_service(channel, service, timeout=timeout, metadata=self.service_metadata)

    def outbox_relay(self) -> OutboxRelay:
        return OutboxRelay(self.engine, self.redis, batch_size=self.settings.relay_batch_size)

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()
        await self.redis.aclose()
        await self.engine.dispose()


# A service's own token lives two hours and is re-minted every hour, so a long-running process never sends an
# expired one and a leaked one is soon worthless.
SERVICE_TOKEN_LIFETIME = timedelta(hours=2)
SERVICE_TOKEN_RENEWAL = timedelta(hours=1)

Build = Callable[[S, Infrastructure], ServiceDefinition]


async def serve(
    settings: S,
    build: Build[S],
    *,
    stop: asyncio.Event,
    ready: Callable[[int], None] | None = None,
    before_serving: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Serve until ``stop`` is set: migrate, connect, build, start, then shut down gracefully. ``before_serving``
    runs once the server listens and before the health service says SERVING; ``ready`` gets the port after."""
    await migrate(settings.database_url, settings.service_name)
    infrastructure = Infrastructure.connect(settings)
    definition = build(settings, infrastructure)
    server, port, health_servicer = build_server(settings, definition)
    names = [s.name for s in definition.services]
    tasks: list[asyncio.Task[None]] = []
    # The other processes of a service sharing its port only answer calls: background work runs once.
    first = settings.worker_index == 0
    background = [*definition.background, watch_event_loop] if first else [watch_event_loop]
    pool = infrastructure.engine.pool
    if hasattr(pool, "checkedout"):  # a queue pool (the default); a NullPool has nothing to count
        watch_pool(pool.checkedout, pool.checkedin)
    if settings.relay_enabled and first:
        background.append(infrastructure.outbox_relay().run)
    try:
        # grpc's health servicer starts out SERVING for the whole server: say NOT_SERVING until it is.
        await set_serving(health_servicer, names, False)
        await server.start()
        if before_serving is not None:
            await before_serving()
        for job in background:
            tasks.append(asyncio.create_task(job(stop), name=getattr(job, "__qualname__", "background")))
        await set_serving(health_servicer, names, True)
        log.info("%s serving gRPC on %s", settings.service_name, port)
        if ready is not None:
            ready(port)
        stopped = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait([stopped, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stopped and task.exception() is not None:
                log.error("background task %s died", task.get_name(), exc_info=task.exception())
        stop.set()
    finally:
        await set_serving(health_servicer, names, False)
        await server.stop(settings.shutdown_grace_seconds)
        stop.set()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=settings.shutdown_grace_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        for clean_up in definition.on_stop:
            await clean_up()
        await infrastructure.close()


def tune_garbage_collector(young_threshold: int) -> None:
    """Collect less often and never rescan what start-up loaded. A request allocates thousands of short-lived
    objects (a batch of channel orders, hundreds of thousands), so at Python's default the collector runs every
    few hundred allocations and its older generations keep walking every module, class and constant loaded at
    start-up; measured on batch ingest, this alone cuts 10-25% of the CPU. Call once, after start-up."""
    if young_threshold:
        gc.collect()
        gc.freeze()
        gc.set_threshold(young_threshold, 20, 20)


def run(context: str, build: Build[S], settings_type: type[S] = ServiceSettings) -> None:  # type: ignore[assignment]
    """The entry point of ``python -m services.<context>``: one process, or the first of ``OMS_PROCESSES``
    (which starts the others once it serves)."""
    settings = settings_type(service_name=context)
    logging.basicConfig(level=settings.log_level, format=f"%(asctime)s %(levelname)s {context} %(name)s: %(message)s")
    if settings.processes > 1 and not fixed_port(settings.grpc_address):
        raise SystemExit(f"OMS_PROCESSES={settings.processes} needs a fixed port in OMS_GRPC_ADDRESS")
    provider = configure_telemetry(context, settings)
    if metrics_address := metrics_address_of(settings.metrics_address, settings.worker_index):
        host, _, port = metrics_address.rpartition(":")
        try:
            start_http_server(int(port), addr=host or "127.0.0.1")
        except OSError as error:
            if settings.worker_index == 0:
                raise
            # Worker n takes the metrics port + n; if something else has it, this worker serves without.
            log.warning("worker %d exposes no metrics: %s is taken (%s)", settings.worker_index, metrics_address, error)
    workers = WorkerProcesses(
        context, settings.processes if settings.worker_index == 0 else 1, settings.shutdown_grace_seconds
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        watchers: list[asyncio.Task[None]] = []

        async def start_workers() -> None:
            workers.spawn()
            await workers.ready()
            watchers.append(asyncio.create_task(workers.watch(stop)))

        def serving(_port: int) -> None:
            tune_garbage_collector(settings.gc_threshold)
            announce_ready()

        try:
            await serve(settings, build, stop=stop, ready=serving, before_serving=start_workers)
        finally:
            stop.set()
            await asyncio.to_thread(workers.stop)
            await asyncio.gather(*watchers)

    try:
        asyncio.run(main())
    finally:
        with contextlib.suppress(Exception):
            provider.shutdown()
