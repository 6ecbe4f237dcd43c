"""The whole suite on one machine: servers, one database per service, one process per service, and the stop.

``oms up``, ``oms demo`` and the end-to-end tests all go through ``Stack.start`` / ``Stack.stop``.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import grpc
import psutil
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shared.auth import Principal, TokenAuthority
from shared.embedded import (
    PROJECT_ROOT,
    LocalServers,
    ProcessRef,
    admin_database_url,
    default_state_dir,
    free_ports,
    kill_group,
    make_dirs,
    processes_in_group,
    redact_url,
    stop_described,
    stop_process_group,
    tail,
)
from shared.migrations import ensure_database

log = logging.getLogger(__name__)

# Every context of the suite, in the order they are started and listed. Only those whose package has a
# __main__.py are started, so the stack keeps working while the team adds services.
SERVICES: tuple[str, ...] = (
    "customers",
    "pricing",
    "inventory",
    "payments",
    "orders",
    "saga",
    "refunds",
    "audit",
    "gateway",
)

# Services that speak HTTP rather than gRPC: they get OMS_HTTP_ADDRESS and an HTTP readiness check.
HTTP_SERVICES = frozenset({"gateway"})
READINESS_PATH = "/readyz"

STATE_FILE = "stack.json"
SECRET_FILE = "auth.secret"
LOCK_FILE = "stack.lock"
STATE_VERSION = 1
SERVING = "SERVING"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

# Retry a refused connection quickly: the default reconnect backoff (1s, growing) would add seconds to
# every start-up, since the first checks always reach a process that is not listening yet.
_HEALTH_CHANNEL_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 500),
)

Progress = Callable[[str], None]


class StackError(RuntimeError):
    """The stack could not start (or stop); ``service`` and ``log_tail`` say where it went wrong."""

    def __init__(self, message: str, *, service: str | None = None, log_tail: str = "") -> None:
        super().__init__(message)
        self.service = service
        self.log_tail = log_tail


@dataclass(frozen=True)
class ServiceSpec:
    """A service to run: its context name and the module ``python -m`` runs (``services.<name>``)."""

    name: str
    module: str = ""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise StackError(f"service name {self.name!r} must be lower_snake_case")
        if not self.module:
            object.__setattr__(self, "module", f"services.{self.name}")

    @classmethod
    def parse(cls, text: str) -> ServiceSpec:
        """``orders`` or ``orders=some.module`` (the form ``oms up --service`` takes)."""
        name, _, module = text.partition("=")
        return cls(name.strip(), module.strip())


def available_services(root: Path = PROJECT_ROOT) -> list[ServiceSpec]:
    """The services of ``SERVICES`` whose package can be run (``services/<ctx>/__main__.py`` exists)."""
    return [ServiceSpec(name) for name in SERVICES if (root / "services" / name / "__main__.py").is_file()]


@dataclass(frozen=True)
class StackConfig:
    """How to run the stack. Unset URLs mean OMS_DATABASE_URL / OMS_REDIS_URL, else embedded servers."""

    state_dir: Path = field(default_factory=default_state_dir)
    database_url: str | None = None
    redis_url: str | None = None
    services: tuple[ServiceSpec, ...] | None = None
    database_prefix: str = "oms_"
    stream_prefix: str | None = None
    startup_timeout: float = 90.0
    stop_timeout: float = 15.0
    extra_env: Mapping[str, str] = field(default_factory=dict)
    python: str = sys.executable
    owner_command: str = "api"
    # Services demand signed caller tokens (roles enforced); the stack keeps the signing secret in its state dir.
    authentication: bool = True
    # How many processes serve a service's port (OMS_PROCESSES), by service name; the others run one.
    processes: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _NAME.match(self.database_prefix):
            raise StackError(f"database prefix {self.database_prefix!r} must be lower_snake_case")
        object.__setattr__(self, "state_dir", Path(self.state_dir).resolve())
        for name, count in self.processes.items():
            if name not in SERVICES or name == "gateway":
                raise StackError(f"--processes {name}={count}: {name!r} is not a gRPC service of the suite")
            if not 1 <= count <= 64:
                raise StackError(f"--processes {name}={count}: a service runs as 1 to 64 processes")

    def chosen_services(self) -> tuple[ServiceSpec, ...]:
        return tuple(available_services()) if self.services is None else self.services


@dataclass
class ServiceProcess:
    """One running service: where it listens, its database, its log, its process (leader of its group)."""

    spec: ServiceSpec
    grpc_address: str
    metrics_address: str
    database: str
    database_url: str
    log_path: Path
    http_address: str = ""
    process: subprocess.Popen[bytes] | None = None
    ref: ProcessRef | None = None
    log_offset: int = 0

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def address(self) -> str:
        """Where it listens: the HTTP address of an HTTP service, else the gRPC one."""
        return self.http_address or self.grpc_address

    @property
    def pid(self) -> int | None:
        return self.ref.pid if self.ref is not None else None

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines, since=self.log_offset)

    def to_json(self) -> dict[str, Any]:
        return {
            "module": self.spec.module,
            "pid": self.pid,
            "create_time": self.ref.create_time if self.ref is not None else None,
            "grpc_address": self.grpc_address,
            "http_address": self.http_address,
            "metrics_address": self.metrics_address,
            "database": self.database,
            "database_url": redact_url(self.database_url),
            "log": str(self.log_path),
        }


def database_url_for(admin_url: str, database: str) -> str:
    """The ``postgresql+asyncpg://`` URL of ``database`` on the server of ``admin_url``."""
    parts = urlsplit(admin_database_url(admin_url))
    return urlunsplit(parts._replace(scheme="postgresql+asyncpg", path=f"/{database}"))


def service_env(
    service: ServiceProcess,
    peers: Iterable[ServiceProcess],
    *,
    redis_url: str,
    state_dir: Path,
    stream_prefix: str | None,
    extra: Mapping[str, str],
    base: Mapping[str, str],
) -> dict[str, str]:
    """The environment of one service process: the inherited one, minus stray peer addresses, plus ours."""
    env = {k: v for k, v in base.items() if not (k.startswith("OMS_") and k.endswith("_ADDRESS"))}
    env.update(
        {
            "OMS_SERVICE_NAME": service.name,
            "OMS_DATABASE_URL": service.database_url,
            "OMS_REDIS_URL": redis_url,
            "OMS_GRPC_ADDRESS": service.grpc_address,
            "OMS_METRICS_ADDRESS": service.metrics_address,
            "OMS_STATE_DIR": str(state_dir),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if stream_prefix:
        env["OMS_STREAM_PREFIX"] = stream_prefix
    if service.http_address:
        env["OMS_HTTP_ADDRESS"] = service.http_address
    for peer in peers:
        if peer.name != service.name and peer.grpc_address:
            env[f"OMS_{peer.name.upper()}_ADDRESS"] = peer.grpc_address
    env.update(extra)
    return env


async def wait_serving(address: str, timeout: float) -> None:
    """Return once the gRPC server at ``address`` says SERVING (its health Watch stream: no polling; it waits
    for the port to open). TimeoutError past ``timeout``."""
    async with grpc.aio.insecure_channel(address, options=_HEALTH_CHANNEL_OPTIONS) as channel:
        watch = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(service=""), timeout=timeout, wait_for_ready=True
        )
        try:
            async for answer in watch:
                if answer.status == health_pb2.HealthCheckResponse.SERVING:
                    return
        except grpc.aio.AioRpcError as error:
            if error.code() is grpc.StatusCode.DEADLINE_EXCEEDED:
                raise TimeoutError(f"{address} was not SERVING within {timeout:.0f}s") from error
            raise


async def drop_databases(admin_url: str, names: Iterable[str]) -> None:
    """Drop databases, disconnecting whoever still uses them (tests clean up with this)."""
    connection = await asyncpg.connect(admin_database_url(admin_url), timeout=10)
    try:
        for name in names:
            if not _NAME.match(name):
                raise StackError(f"database name {name!r} must be lower_snake_case")
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def check_health(address: str, timeout: float = 1.0) -> str:
    """The overall health status ("" service) of the gRPC server at ``address``, or why it has none."""
    async with grpc.aio.insecure_channel(address, options=_HEALTH_CHANNEL_OPTIONS) as channel:
        return await _health_status(channel, timeout)


def _http_ready(address: str, timeout: float) -> str:
    try:
        with urllib.request.urlopen(f"http://{address}{READINESS_PATH}", timeout=timeout) as response:
            return SERVING if response.status == 200 else f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (OSError, urllib.error.URLError):
        return "UNAVAILABLE"


async def check_http_ready(address: str, timeout: float = 1.0) -> str:
    """``SERVING`` when the HTTP service at ``address`` answers 200 on its readiness path, else why not."""
    return await asyncio.to_thread(_http_ready, address, timeout)


async def check_entry(entry: Mapping[str, Any], timeout: float = 1.0) -> str:
    """The health of a service as recorded in stack.json (gRPC or HTTP)."""
    if entry.get("http_address"):
        return await check_http_ready(entry["http_address"], timeout)
    return await check_health(entry["grpc_address"], timeout)


async def _health_status(channel: grpc.aio.Channel, timeout: float) -> str:
    stub = health_pb2_grpc.HealthStub(channel)
    try:
        response = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
    except grpc.aio.AioRpcError as exc:
        return exc.code().name
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


def signing_secret(state_dir: Path) -> str:
    """The token-signing secret of the stack in ``state_dir``: made once, readable by its owner only."""
    path = Path(state_dir) / SECRET_FILE
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as sink:
            sink.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def read_state(state_dir: Path) -> dict[str, Any] | None:
    """The recorded state of the stack in ``state_dir``, or None if none is recorded."""
    path = Path(state_dir) / STATE_FILE
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except json.JSONDecodeError as exc:
        raise StackError(f"{path} is not valid JSON ({exc}); remove it after checking no stack runs") from exc
    if data.get("version") != STATE_VERSION:
        raise StackError(f"{path} has version {data.get('version')!r}, expected {STATE_VERSION}")
    return data


def recorded_refs(state: Mapping[str, Any]) -> dict[str, ProcessRef]:
    """Every process a state records, by name (``owner``, ``postgres``, ``redis``, then services)."""
    refs: dict[str, ProcessRef] = {}
    if state.get("owner"):
        refs["owner"] = ProcessRef.from_json(state["owner"])
    servers = state.get("servers") or {}
    for server in ("postgres", "redis"):
        if servers.get(server):
            refs[server] = ProcessRef.from_json(servers[server])
    for name, entry in (state.get("services") or {}).items():
        if entry.get("pid") is not None:
            refs[name] = ProcessRef.from_json(entry)
    return refs


def _write_json_atomically(path: Path, data: Mapping[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    temporary.replace(path)


class Stack:
    """A running stack. Start it with ``await Stack.start(config)`` or ``async with Stack.running(config)``."""

    def __init__(self, config: StackConfig, progress: Progress | None = None) -> None:
        self.config = config
        self.state_dir = config.state_dir
        self.log_dir = config.state_dir / "logs"
        self.state_path = config.state_dir / STATE_FILE
        self.servers: LocalServers | None = None
        self.database_url = ""
        self.redis_url = ""
        self.services: dict[str, ServiceProcess] = {}
        self.started_at: datetime | None = None
        self.startup_seconds: float | None = None
        self._progress = progress or (lambda message: log.info("%s", message))
        self._stopped = False
        self._wrote_state = False
        self._lock: IO[bytes] | None = None
        self.auth_secret = ""

    @classmethod
    async def start(cls, config: StackConfig, progress: Progress | None = None) -> Stack:
        """Start servers and services and wait until every service is SERVING; on any failure (or
        cancellation) stop whatever was started before raising."""
        stack = cls(config, progress)
        began = time.monotonic()
        try:
            await stack._start()
        except BaseException:
            await stack.stop()
            raise
        stack.startup_seconds = time.monotonic() - began
        return stack

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, config: StackConfig, progress: Progress | None = None) -> AsyncIterator[Stack]:
        stack = await cls.start(config, progress)
        try:
            yield stack
        finally:
            await stack.stop()

    async def __aenter__(self) -> Stack:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def pids(self) -> list[int]:
        """Every process this stack started (services, then the embedded servers)."""
        pids = [s.pid for s in self.services.values() if s.pid is not None]
        return pids + (self.servers.pids if self.servers is not None else [])

    async def _start(self) -> None:
        make_dirs(self.log_dir)
        self._take_lock()
        self._refuse_if_running()
        self.started_at = datetime.now(UTC)
        self.auth_secret = signing_secret(self.state_dir)
        await self._start_servers()
        specs = self.config.chosen_services()
        if not specs:
            self._progress("no service packages found (services/<ctx>/__main__.py); running the servers only")
        self._plan(specs)
        for service in self._each():
            try:
                await ensure_database(self.database_url, service.database)
            except Exception as exc:
                raise StackError(
                    f"could not create database {service.database} on {redact_url(self.database_url)}: {exc}",
                    service=service.name,
                ) from exc
        for service in self._each():
            self._spawn(service)
        self._write_state("starting")
        await self._wait_until_serving()
        self._write_state("running")

    def _take_lock(self) -> None:
        """Hold ``stack.lock`` while this stack lives: two stacks starting in one state dir cannot both pass
        the check below. The kernel drops the lock if this process dies."""
        handle = (self.state_dir / LOCK_FILE).open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.close()
            raise StackError(
                f"another stack is starting or running in {self.state_dir}; "
                f"stop it with `oms down` or choose another state directory"
            ) from exc
        self._lock = handle

    def _refuse_if_running(self) -> None:
        state = read_state(self.state_dir)
        if state is None:
            return
        alive = {name: ref.pid for name, ref in recorded_refs(state).items() if ref.alive()}
        if alive:
            listed = ", ".join(f"{name} (pid {pid})" for name, pid in alive.items())
            raise StackError(
                f"a stack is already recorded in {self.state_path} and still runs: {listed}; "
                f"stop it with `oms down` or choose another state directory"
            )
        self.state_path.unlink(missing_ok=True)

    async def _start_servers(self) -> None:
        env = dict(os.environ)
        for variable, value in (
            ("OMS_DATABASE_URL", self.config.database_url),
            ("OMS_REDIS_URL", self.config.redis_url),
        ):
            if value:
                env[variable] = value
        self.servers = servers = LocalServers(self.state_dir, env=env, startup_timeout=self.config.startup_timeout)
        # The servers start in a thread (initdb and the readiness polls block). If we are cancelled
        # meanwhile, let the thread finish so that stop() sees and stops everything it started.
        future = asyncio.get_running_loop().run_in_executor(None, servers.start)
        try:
            urls = await asyncio.shield(future)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await future
            raise
        self.database_url, self.redis_url = urls.database_url, urls.redis_url
        if servers.postgres is not None:
            first = servers.postgres.init_seconds
            detail = f" (new cluster initialised in {first:.2f}s)" if first is not None else ""
            self._progress(f"postgres ready at {redact_url(self.database_url)}{detail}")
        else:
            self._progress(f"using postgres at {redact_url(self.database_url)}")
        verb = "ready at" if servers.redis is not None else "using"
        self._progress(f"redis {verb} {self.redis_url}")

    def _plan(self, specs: Iterable[ServiceSpec]) -> None:
        specs = list(specs)
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise StackError(f"a service is listed twice: {names}")
        ports = free_ports(2 * len(specs))
        for index, spec in enumerate(specs):
            database = f"{self.config.database_prefix}{spec.name}"
            listen = f"127.0.0.1:{ports[2 * index]}"
            http = spec.name in HTTP_SERVICES
            self.services[spec.name] = ServiceProcess(
                spec=spec,
                grpc_address="" if http else listen,
                http_address=listen if http else "",
                metrics_address=f"127.0.0.1:{ports[2 * index + 1]}",
                database=database,
                database_url=database_url_for(self.database_url, database),
                log_path=self.log_dir / f"{spec.name}.log",
            )

    def _auth_env(self) -> dict[str, str]:
        required = "true" if self.config.authentication else "false"
        return {"OMS_AUTH_SECRET": self.auth_secret, "OMS_AUTH_REQUIRED": required}

    def _processes_env(self, service: ServiceProcess) -> dict[str, str]:
        count = self.config.processes.get(service.name)
        return {"OMS_PROCESSES": str(count)} if count else {}

    def token(self, role: str = "admin", subject: str = "oms-cli") -> str:
        """A caller token for this stack's services (tests, the demo and the CLI call with one)."""
        return TokenAuthority(self.auth_secret).issue(Principal(subject=subject, role=role))

    def credentials(self, role: str = "admin", subject: str = "oms-cli") -> tuple[tuple[str, str], ...]:
        """gRPC metadata carrying ``token(role, subject)``."""
        return (("authorization", f"Bearer {self.token(role, subject)}"),)

    def _each(self) -> list[ServiceProcess]:
        return list(self.services.values())

    def _spawn(self, service: ServiceProcess) -> None:
        env = service_env(
            service,
            self._each(),
            redis_url=self.redis_url,
            state_dir=self.state_dir,
            stream_prefix=self.config.stream_prefix,
            extra={**self._auth_env(), **self._processes_env(service), **self.config.extra_env},
            base=os.environ,
        )
        with service.log_path.open("ab") as log_file:
            service.log_offset = log_file.tell()
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            log_file.write(f"=== {stamp} oms: starting {service.spec.module}\n".encode())
            log_file.flush()
            # Its own session (and so process group): Ctrl-C in the terminal reaches only `oms up`,
            # which stops the services in order, and a group kill reaches anything a service spawned.
            service.process = subprocess.Popen(
                [self.config.python, "-m", service.spec.module],
                cwd=PROJECT_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        service.ref = ProcessRef.of(service.process.pid)

    async def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + self.config.startup_timeout
        channels = {
            s.name: grpc.aio.insecure_channel(s.grpc_address, options=_HEALTH_CHANNEL_OPTIONS)
            for s in self._each()
            if s.grpc_address
        }

        async def health_of(name: str) -> str:
            service = self.services[name]
            if service.http_address:
                return await check_http_ready(service.http_address, 1.0)
            return await _health_status(channels[name], 1.0)

        pending = set(self.services)
        last: dict[str, str] = dict.fromkeys(pending, "NOT_STARTED")
        try:
            while pending:
                for name in sorted(pending):
                    process = self.services[name].process
                    if process is not None and process.poll() is not None:
                        service = self.services[name]
                        raise StackError(
                            f"{name} exited with status {process.returncode} during start-up",
                            service=name,
                            log_tail=service.log_tail(),
                        )
                statuses = await asyncio.gather(*(health_of(n) for n in sorted(pending)))
                for name, status in zip(sorted(pending), statuses, strict=True):
                    last[name] = status
                    if status == SERVING:
                        pending.discard(name)
                        self._progress(f"{name} serving on {self.services[name].address}")
                if not pending:
                    break
                if time.monotonic() >= deadline:
                    name = sorted(pending)[0]
                    waiting = ", ".join(f"{n} ({last[n]})" for n in sorted(pending))
                    raise StackError(
                        f"not SERVING within {self.config.startup_timeout:.0f}s: {waiting}",
                        service=name,
                        log_tail=self.services[name].log_tail(),
                    )
                await asyncio.sleep(0.1)
        finally:
            await asyncio.gather(*(channel.close() for channel in channels.values()))

    def state(self, status: str) -> dict[str, Any]:
        """What runs, as written to ``stack.json`` for ``oms down`` and ``oms status``."""
        me = ProcessRef.of(os.getpid())
        return {
            "version": STATE_VERSION,
            "status": status,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "startup_seconds": self.startup_seconds,
            "state_dir": str(self.state_dir),
            "owner": {**me.to_json(), "command": self.config.owner_command},
            "servers": self._servers_state(),
            "services": {s.name: s.to_json() for s in self._each()},
        }

    def _servers_state(self) -> dict[str, Any] | None:
        if self.servers is None or self.servers.urls is None:
            return None
        described = self.servers.describe()
        described["database_url"] = redact_url(described["database_url"])  # the file is world-readable
        described["redis_url"] = redact_url(described["redis_url"])
        return described

    def _write_state(self, status: str) -> None:
        _write_json_atomically(self.state_path, self.state(status))
        self._wrote_state = True

    async def health(self, timeout: float = 1.0) -> dict[str, str]:
        """Each service's overall health status right now (``SERVING`` when well)."""
        names = list(self.services)
        statuses = await asyncio.gather(*(check_entry(self.services[n].to_json(), timeout) for n in names))
        return dict(zip(names, statuses, strict=True))

    def exited(self) -> dict[str, int]:
        """Services whose process has exited, with their exit status."""
        return {
            s.name: s.process.returncode for s in self._each() if s.process is not None and s.process.poll() is not None
        }

    def kill(self, name: str) -> None:
        """SIGKILL one service's process group at once, as a crash would (crash tests use this)."""
        service = self.services[name]
        if service.ref is not None:
            kill_group(service.ref)
        if service.process is not None:
            service.process.wait()

    async def restart(self, name: str) -> None:
        """Start one service again (after ``kill``) on its old address and wait until it is SERVING."""
        service = self.services[name]
        if service.process is not None and service.process.poll() is None:
            raise StackError(f"{name} is still running", service=name)
        self._spawn(service)
        channel = grpc.aio.insecure_channel(service.grpc_address, options=_HEALTH_CHANNEL_OPTIONS)
        deadline = time.monotonic() + self.config.startup_timeout
        try:
            while await _health_status(channel, 1.0) != SERVING:
                exited = service.process is None or service.process.poll() is not None
                if exited or time.monotonic() >= deadline:
                    raise StackError(f"{name} did not come back", service=name, log_tail=service.log_tail())
                await asyncio.sleep(0.05)
        finally:
            await channel.close()
        self._write_state("running")

    async def stop(self) -> None:
        """Stop services (SIGTERM, a bounded wait, then SIGKILL of their groups), then Redis and PostgreSQL.

        Safe to call twice; when it returns no process of the stack is left."""
        if self._stopped:
            return
        self._stopped = True
        running = [s for s in self._each() if s.process is not None]
        for service in running:
            if service.process is not None and service.process.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(service.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.config.stop_timeout
        while any(s.process is not None and s.process.poll() is None for s in running):
            if time.monotonic() >= deadline:
                late = [s.name for s in running if s.process is not None and s.process.poll() is None]
                log.warning("services still running after %.0fs, killing: %s", self.config.stop_timeout, late)
                break
            await asyncio.sleep(0.05)
        for service in running:
            if service.ref is not None:
                kill_group(service.ref)  # leftovers: the leader itself if late, or anything it spawned
        for service in running:
            assert service.process is not None
            await asyncio.to_thread(service.process.wait)
            await _wait_for(lambda pgid=service.process.pid: not processes_in_group(pgid), timeout=5.0)
        if self.servers is not None:
            await asyncio.to_thread(self.servers.stop)
        self._forget_state()

    def _forget_state(self) -> None:
        if self._wrote_state:  # never the file of another stack that made this one refuse to start
            self.state_path.unlink(missing_ok=True)
        if self._lock is not None:
            self._lock.close()  # releases the flock
            self._lock = None


async def _wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.05)
    return True


@dataclass(frozen=True)
class ProcessStatus:
    """One recorded process as ``oms status`` reports it."""

    name: str
    pid: int | None
    alive: bool
    address: str = ""
    health: str = ""


async def stack_status(state_dir: Path) -> tuple[dict[str, Any] | None, list[ProcessStatus]]:
    """What a recorded stack looks like now: each process alive or not, each service's health."""
    state = read_state(state_dir)
    if state is None:
        return None, []
    refs = recorded_refs(state)
    rows: list[ProcessStatus] = []
    owner = refs.get("owner")
    if owner is not None:
        command = state["owner"].get("command", "api")
        rows.append(ProcessStatus(f"owner ({command})", owner.pid, owner.alive()))
    servers = state.get("servers") or {}
    for server, url_key in (("postgres", "database_url"), ("redis", "redis_url")):
        ref = refs.get(server)
        url = redact_url(servers.get(url_key, "")) if servers else ""
        if ref is not None:
            rows.append(ProcessStatus(server, ref.pid, ref.alive(), url))
        elif url:
            rows.append(ProcessStatus(server, None, True, url, "external"))
    services = state.get("services") or {}
    names = list(services)
    healths = await asyncio.gather(*(check_entry(services[n], 1.0) for n in names))
    for name, health in zip(names, healths, strict=True):
        ref = refs.get(name)
        rows.append(
            ProcessStatus(
                name,
                ref.pid if ref else None,
                bool(ref and ref.alive()),
                services[name].get("http_address") or services[name]["grpc_address"],
                health,
            )
        )
    return state, rows


def stop_recorded(state_dir: Path, *, timeout: float = 30.0, progress: Progress | None = None) -> bool:
    """Stop the stack recorded in ``state_dir`` from another process; return whether one was recorded.

    An ``oms up`` owner is asked to stop (SIGTERM) so it shuts down in order; whatever is still alive
    afterwards (the owner was killed, or is a test process) is stopped directly.
    """
    say = progress or (lambda message: log.info("%s", message))
    state = read_state(state_dir)
    if state is None:
        return False
    refs = recorded_refs(state)
    owner = refs.pop("owner", None)
    if owner is not None and owner.alive() and str(state["owner"].get("command", "")).startswith("oms "):
        say(f"asking {state['owner']['command']} (pid {owner.pid}) to stop")
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(owner.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while owner.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
    for name in state.get("services") or {}:
        ref = refs.get(name)
        if ref is not None and ref.alive():
            say(f"stopping {name} (pid {ref.pid})")
            stop_process_group(ref, timeout=min(timeout, 15.0))
    if state.get("servers"):
        stop_described(state["servers"], timeout=timeout)
    left = [f"{name} (pid {ref.pid})" for name, ref in refs.items() if ref.alive()]
    if left:
        raise StackError(f"still running after oms down: {', '.join(left)}")
    (Path(state_dir) / STATE_FILE).unlink(missing_ok=True)
    return True


def child_processes_of(pids: Iterable[int]) -> list[psutil.Process]:
    """Live processes with one of ``pids`` or in a process group led by one of them (for leak checks)."""
    wanted = set(pids)
    found = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if proc.status() == psutil.STATUS_ZOMBIE:
                continue
            if proc.pid in wanted or os.getpgid(proc.pid) in wanted:
                found.append(proc)
    return found
