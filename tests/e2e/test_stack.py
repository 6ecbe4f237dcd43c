"""The local stack end to end: real processes started through the code of `oms up`, and nothing left after."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import psutil
import pytest
import redis

from shared.embedded import PROJECT_ROOT, LocalServers
from tests.support import eventually
from tools.oms.stack import (
    SERVING,
    STATE_FILE,
    ServiceProcess,
    ServiceSpec,
    Stack,
    StackConfig,
    StackError,
    available_services,
    check_entry,
    database_url_for,
    drop_databases,
    read_state,
    service_env,
)

# A stand-in service: it serves gRPC health like a real one and records what it was given. Its name
# picks a misbehaviour: "crash*" exits before serving, "mute*" serves but never reports SERVING,
# "stubborn*" ignores SIGTERM. Every one leaves a helper process behind in its group, as a careless
# service might, so the tests see that stopping the stack reaches it.
PROBE_SOURCE = '''
"""A stand-in service for the stack tests."""
import asyncio, json, os, pathlib, signal, subprocess, sys

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

NAME = os.environ["OMS_SERVICE_NAME"]


async def main():
    state = pathlib.Path(os.environ["OMS_STATE_DIR"])
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    env = {k: v for k, v in os.environ.items() if k.startswith("OMS_")}
    record = {"pid": os.getpid(), "helper": helper.pid, "env": env}
    (state / f"probe-{NAME}.json").write_text(json.dumps(record))
    if NAME.startswith("crash"):
        print(f"{NAME}: cannot start: this probe was told to crash 𠮷", flush=True)
        sys.exit(3)
    server = grpc.aio.server()
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    server.add_insecure_port(os.environ["OMS_GRPC_ADDRESS"])
    await server.start()
    serving = health_pb2.HealthCheckResponse.SERVING
    await servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING if NAME.startswith("mute") else serving)
    stop = asyncio.Event()
    if NAME.startswith("stubborn"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await server.stop(1)


asyncio.run(main())
'''

PROBE_MODULE = "oms_probe_service"


def probe(name: str) -> ServiceSpec:
    return ServiceSpec(name, PROBE_MODULE)


def present_or_probe() -> tuple[ServiceSpec, ...]:
    """The services the team has shipped so far; a probe while there are none, so the test always runs one."""
    return tuple(available_services()) or (probe("probe"),)


def leftovers(pids: Iterable[int]) -> list[psutil.Process]:
    """Live processes that have one of ``pids`` or belong to a process group led by one of them."""
    wanted = set(pids)
    found = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if proc.status() != psutil.STATUS_ZOMBIE and (proc.pid in wanted or os.getpgid(proc.pid) in wanted):
                found.append(proc)
    return found


def probe_record(state_dir: Path, name: str) -> dict[str, Any]:
    return json.loads((state_dir / f"probe-{name}.json").read_text())


@pytest.fixture
def probe_path(tmp_path: Path) -> Path:
    directory = tmp_path / "probe"
    directory.mkdir()
    (directory / f"{PROBE_MODULE}.py").write_text(PROBE_SOURCE, encoding="utf-8")
    return directory


@pytest.fixture
async def database_prefix(postgres_admin_url: str) -> AsyncIterator[str]:
    """A prefix for this test's service databases, so runs sharing a server never meet; dropped after."""
    prefix = f"oms_e2e_{secrets.token_hex(3)}_"
    yield prefix
    connection = await asyncpg.connect(postgres_admin_url)
    try:
        rows = await connection.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1", f"{prefix}%")
    finally:
        await connection.close()
    await drop_databases(postgres_admin_url, [r["datname"] for r in rows])


@pytest.fixture
def config_for(
    tmp_path: Path, postgres_admin_url: str, redis_url: str, stream_prefix: str, database_prefix: str, probe_path: Path
):
    def make(services: tuple[ServiceSpec, ...], **overrides: Any) -> StackConfig:
        settings: dict[str, Any] = {
            "state_dir": tmp_path / "state",
            "database_url": postgres_admin_url,
            "redis_url": redis_url,
            "services": services,
            "database_prefix": database_prefix,
            "stream_prefix": stream_prefix,
            "startup_timeout": 90.0,
            "extra_env": {"PYTHONPATH": str(probe_path)},
        }
        settings.update(overrides)
        return StackConfig(**settings)

    return make


def test_a_service_gets_its_database_its_peers_and_the_stream_prefix() -> None:
    def process(name: str, port: int) -> ServiceProcess:
        url = database_url_for("postgresql://postgres@127.0.0.1:5432/postgres", f"oms_{name}")
        return ServiceProcess(ServiceSpec(name), f"127.0.0.1:{port}", "127.0.0.1:9", f"oms_{name}", url, Path("x"))

    orders, inventory = process("orders", 1001), process("inventory", 1002)
    env = service_env(
        orders,
        [orders, inventory],
        redis_url="redis://127.0.0.1:6379/0",
        state_dir=Path("/state"),
        stream_prefix="run1",
        extra={},
        base={"OMS_GATEWAY_ADDRESS": "127.0.0.1:1", "HOME": "/root"},
    )
    assert env["OMS_DATABASE_URL"] == "postgresql+asyncpg://postgres@127.0.0.1:5432/oms_orders"
    assert env["OMS_INVENTORY_ADDRESS"] == "127.0.0.1:1002"
    assert "OMS_ORDERS_ADDRESS" not in env
    assert "OMS_GATEWAY_ADDRESS" not in env  # a stale address from the shell never reaches a service
    assert env["OMS_GRPC_ADDRESS"] == "127.0.0.1:1001"
    assert env["OMS_STREAM_PREFIX"] == "run1"
    assert env["OMS_SERVICE_NAME"] == "orders"
    assert env["HOME"] == "/root"


def test_service_specs_are_parsed_and_checked() -> None:
    assert ServiceSpec.parse("orders") == ServiceSpec("orders", "services.orders")
    assert ServiceSpec.parse("stub=my.module") == ServiceSpec("stub", "my.module")
    with pytest.raises(StackError, match="lower_snake_case"):
        ServiceSpec.parse("Orders; rm")
    with pytest.raises(StackError, match="lower_snake_case"):
        StackConfig(database_prefix='x"; DROP')


@pytest.mark.e2e
async def test_the_stack_serves_every_present_service_and_leaves_nothing(config_for) -> None:
    services = present_or_probe()
    config = config_for(services)
    async with Stack.running(config) as stack:
        assert set(stack.services) == {s.name for s in services}
        for service in stack.services.values():
            assert await check_entry(service.to_json(), timeout=2.0) == SERVING
        assert set((await stack.health()).values()) == {SERVING}
        recorded = read_state(config.state_dir)
        assert recorded is not None and recorded["status"] == "running"
        assert {n: e["pid"] for n, e in recorded["services"].items()} == {n: s.pid for n, s in stack.services.items()}
        pids = stack.pids
        assert len(pids) == len(services)  # the servers are the test's, so none were started
    assert leftovers(pids) == []
    assert not (config.state_dir / STATE_FILE).exists()


@pytest.mark.e2e
async def test_services_get_databases_peers_and_streams_and_lose_even_stubborn_children(
    config_for, postgres_admin_url: str, stream_prefix: str, database_prefix: str
) -> None:
    config = config_for((probe("alpha"), probe("stubborn")), stop_timeout=1.0)
    async with Stack.running(config) as stack:
        alpha, stubborn = probe_record(config.state_dir, "alpha"), probe_record(config.state_dir, "stubborn")
        env = alpha["env"]
        assert env["OMS_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert env["OMS_DATABASE_URL"].endswith(f"/{database_prefix}alpha")
        assert env["OMS_STUBBORN_ADDRESS"] == stack.services["stubborn"].grpc_address
        assert env["OMS_STREAM_PREFIX"] == stream_prefix
        assert env["OMS_METRICS_ADDRESS"] == stack.services["alpha"].metrics_address
        connection = await asyncpg.connect(postgres_admin_url)
        try:
            names = {r["datname"] for r in await connection.fetch("SELECT datname FROM pg_database")}
        finally:
            await connection.close()
        assert {f"{database_prefix}alpha", f"{database_prefix}stubborn"} <= names
        helpers = {alpha["helper"], stubborn["helper"]}
        assert helpers <= {p.pid for p in leftovers(stack.pids)}  # the helpers live in the services' groups
        pids = stack.pids
    assert leftovers([*pids, *helpers]) == []


def test_processes_per_service_are_checked() -> None:
    assert StackConfig(processes={"orders": 2}).processes == {"orders": 2}
    with pytest.raises(StackError, match="not a gRPC service"):
        StackConfig(processes={"gateway": 2})
    with pytest.raises(StackError, match="not a gRPC service"):
        StackConfig(processes={"nonsense": 2})
    with pytest.raises(StackError, match="1 to 64"):
        StackConfig(processes={"orders": 0})


@pytest.mark.e2e
async def test_a_service_runs_as_several_processes_on_its_port_and_they_all_stop(config_for) -> None:
    config = config_for((ServiceSpec("customers"),), processes={"customers": 2})
    async with Stack.running(config) as stack:
        service = stack.services["customers"]
        assert await check_entry(service.to_json(), timeout=2.0) == SERVING
        (worker,) = psutil.Process(service.pid).children()
        port = int(service.grpc_address.rpartition(":")[2])
        listening = {
            c.pid for c in psutil.net_connections(kind="tcp") if c.laddr.port == port and c.status == psutil.CONN_LISTEN
        }
        assert listening == {service.pid, worker.pid}
        pids = [*stack.pids, worker.pid]
    assert leftovers(pids) == []


@pytest.mark.e2e
async def test_a_service_dying_at_start_up_stops_the_stack_and_shows_its_log(config_for) -> None:
    config = config_for((probe("alpha"), probe("crashing")))
    with pytest.raises(StackError) as failure:
        await Stack.start(config)
    assert failure.value.service == "crashing"
    assert "exited with status 3" in str(failure.value)
    assert "this probe was told to crash 𠮷" in failure.value.log_tail
    records = [probe_record(config.state_dir, name) for name in ("alpha", "crashing")]
    assert leftovers([pid for r in records for pid in (r["pid"], r["helper"])]) == []
    assert not (config.state_dir / STATE_FILE).exists()


@pytest.mark.e2e
async def test_a_service_that_never_serves_fails_the_start_within_the_deadline(config_for) -> None:
    config = config_for((probe("mute"),), startup_timeout=3.0)
    with pytest.raises(StackError, match=r"not SERVING within 3s: mute \(NOT_SERVING\)"):
        await Stack.start(config)
    record = probe_record(config.state_dir, "mute")
    assert leftovers([record["pid"], record["helper"]]) == []


def run_oms(*args: str, env: dict[str, str], **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tools.oms", *args],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


async def oms_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run one `oms` command to completion (in a thread, so the test's event loop keeps going)."""
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "tools.oms", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )


@pytest.fixture
def oms_env(postgres_admin_url: str, redis_url: str, probe_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMS_")}
    env.update({"OMS_DATABASE_URL": postgres_admin_url, "OMS_REDIS_URL": redis_url, "PYTHONPATH": str(probe_path)})
    return env


def up_args(state_dir: Path, services: Iterable[ServiceSpec], database_prefix: str, stream_prefix: str) -> list[str]:
    args = ["up", "--state-dir", str(state_dir), "--database-prefix", database_prefix, "--stream-prefix", stream_prefix]
    for spec in services:
        args += ["--service", f"{spec.name}={spec.module}"]
    return args


@contextlib.contextmanager
def oms_up(args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    process = run_oms(*args, env=env)
    try:
        yield process
    finally:
        if process.poll() is None:  # the test failed half-way: do not leave a stack running
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def recorded_status(state_dir: Path, wanted: str) -> dict[str, Any] | None:
    state = read_state(state_dir)
    return state if state is not None and state["status"] == wanted else None


def all_pids(state: dict[str, Any]) -> list[int]:
    pids = [entry["pid"] for entry in state["services"].values()]
    servers = state["servers"] or {}
    return pids + [servers[s]["pid"] for s in ("postgres", "redis") if servers.get(s)]


@pytest.mark.e2e
async def test_oms_up_runs_until_sigint_and_leaves_no_process(
    tmp_path: Path, oms_env: dict[str, str], database_prefix: str, stream_prefix: str
) -> None:
    state_dir = tmp_path / "state"
    services = present_or_probe()
    with oms_up(up_args(state_dir, services, database_prefix, stream_prefix), oms_env) as up:
        state = await eventually(lambda: recorded_status(state_dir, "running"), timeout=120)
        for entry in state["services"].values():
            assert await check_entry(entry, timeout=2.0) == SERVING
        status = await oms_command("status", "--state-dir", str(state_dir), env=oms_env)
        assert status.returncode == 0, status.stdout + status.stderr
        assert "SERVING" in status.stdout
        second = await oms_command(*up_args(state_dir, services, database_prefix, stream_prefix), env=oms_env)
        assert second.returncode == 1
        assert "another stack is starting or running" in second.stdout and "oms down" in second.stdout
        assert read_state(state_dir) == state  # the refused start left the running stack's record alone
        up.send_signal(signal.SIGINT)
        output, _ = await asyncio.to_thread(up.communicate, timeout=60)
    assert up.returncode == 0, output
    assert "stopped" in output
    assert leftovers(all_pids(state)) == []
    assert not (state_dir / STATE_FILE).exists()


@pytest.mark.e2e
async def test_oms_down_stops_a_running_stack_from_another_process(
    tmp_path: Path, oms_env: dict[str, str], database_prefix: str, stream_prefix: str
) -> None:
    state_dir = tmp_path / "state"
    with oms_up(up_args(state_dir, [probe("alpha"), probe("beta")], database_prefix, stream_prefix), oms_env) as up:
        state = await eventually(lambda: recorded_status(state_dir, "running"), timeout=120)
        down = await oms_command("down", "--state-dir", str(state_dir), env=oms_env)
        assert down.returncode == 0, down.stdout + down.stderr
        assert await asyncio.to_thread(up.wait, timeout=30) == 0
    helpers = [probe_record(state_dir, name)["helper"] for name in ("alpha", "beta")]
    assert leftovers([*all_pids(state), *helpers]) == []
    assert not (state_dir / STATE_FILE).exists()


@pytest.mark.e2e
async def test_sigint_during_start_up_stops_what_had_started(
    tmp_path: Path, oms_env: dict[str, str], database_prefix: str, stream_prefix: str
) -> None:
    state_dir = tmp_path / "state"
    with oms_up(up_args(state_dir, [probe("alpha"), probe("mute")], database_prefix, stream_prefix), oms_env) as up:
        state = await eventually(lambda: recorded_status(state_dir, "starting"), timeout=60)
        # Both stand-ins have started (and recorded their helper) while mute keeps the stack starting.
        await eventually(
            lambda: all((state_dir / f"probe-{name}.json").exists() for name in ("alpha", "mute")), timeout=60
        )
        up.send_signal(signal.SIGINT)
        output, _ = await asyncio.to_thread(up.communicate, timeout=60)
    assert up.returncode == 130, output
    helpers = [probe_record(state_dir, name)["helper"] for name in ("alpha", "mute")]
    assert leftovers([*all_pids(state), *helpers]) == []
    assert not (state_dir / STATE_FILE).exists()


@pytest.fixture
def open_parent() -> Iterator[Path]:
    # Not pytest's tmp_path: its base is 0700, which the unprivileged PostgreSQL user cannot enter.
    # 0751 lets others pass through but not list, an unusual mode any chmod would be caught changing.
    directory = Path(tempfile.mkdtemp(prefix="oms-embedded-"))
    directory.chmod(0o751)
    yield directory
    shutil.rmtree(directory)


@pytest.mark.e2e
def test_embedded_servers_run_unprivileged_on_loopback_and_reuse_their_data(open_parent: Path) -> None:
    parent_before = open_parent.stat()
    servers = LocalServers(open_parent / "state", env={})
    with servers as urls:
        assert urls.database_url.startswith("postgresql://postgres@127.0.0.1:")
        assert urls.redis_url.startswith("redis://127.0.0.1:")
        assert servers.postgres is not None and servers.postgres.init_seconds is not None
        pgdata = servers.postgres.pgdata
        assert stat.S_IMODE(pgdata.stat().st_mode) == 0o700
        postgres = psutil.Process(servers.postgres.ref.pid)
        if os.geteuid() == 0:
            assert postgres.username() == "nobody"
            assert pgdata.stat().st_uid == pwd.getpwnam("nobody").pw_uid
        for pid in servers.pids:
            listening = [c.laddr.ip for c in psutil.Process(pid).net_connections("inet") if c.status == "LISTEN"]
            assert listening and set(listening) == {"127.0.0.1"}
        subprocess.run(
            [str(servers.postgres.bin_dir / "psql"), urls.database_url, "-qc", "CREATE TABLE kept (name text)"],
            check=True,
            capture_output=True,
        )
        assert redis.Redis.from_url(urls.redis_url).ping()
        pids = servers.pids
    assert leftovers(pids) == []

    with servers as urls:  # a second start reuses the cluster: no initdb, the table is still there
        assert servers.postgres is not None and servers.postgres.init_seconds is None
        found = subprocess.run(
            [str(servers.postgres.bin_dir / "psql"), urls.database_url, "-tAc", "SELECT to_regclass('kept')"],
            check=True,
            capture_output=True,
            text=True,
        )
        assert found.stdout.strip() == "kept"
        pids = servers.pids
    assert leftovers(pids) == []

    parent_after = open_parent.stat()
    assert (parent_after.st_mode, parent_after.st_uid, parent_after.st_gid) == (
        parent_before.st_mode,
        parent_before.st_uid,
        parent_before.st_gid,
    )


@pytest.mark.e2e
async def test_oms_down_cleans_up_after_an_oms_up_that_was_killed(
    tmp_path: Path, oms_env: dict[str, str], database_prefix: str, stream_prefix: str
) -> None:
    state_dir = tmp_path / "state"
    with oms_up(up_args(state_dir, [probe("alpha")], database_prefix, stream_prefix), oms_env) as up:
        state = await eventually(lambda: recorded_status(state_dir, "running"), timeout=120)
        up.kill()  # no chance to clean up: the services are orphans now
        await asyncio.to_thread(up.wait, timeout=30)
    assert psutil.pid_exists(state["services"]["alpha"]["pid"])
    status = await oms_command("status", "--state-dir", str(state_dir), env=oms_env)
    assert status.returncode == 1  # the owner is gone, so the stack is not well
    refused = await oms_command(*up_args(state_dir, [probe("alpha")], database_prefix, stream_prefix), env=oms_env)
    assert refused.returncode == 1  # the orphans still run, so no second stack starts beside them
    assert "already recorded" in refused.stdout and "alpha (pid" in refused.stdout
    down = await oms_command("down", "--state-dir", str(state_dir), env=oms_env)
    assert down.returncode == 0, down.stdout + down.stderr
    assert leftovers([*all_pids(state), probe_record(state_dir, "alpha")["helper"]]) == []
    assert not (state_dir / STATE_FILE).exists()
    again = await oms_command("down", "--state-dir", str(state_dir), env=oms_env)
    assert again.returncode == 0 and "no stack is recorded" in again.stdout


@pytest.mark.e2e
async def test_oms_demo_starts_checks_and_stops_the_stack(
    tmp_path: Path, oms_env: dict[str, str], database_prefix: str, stream_prefix: str
) -> None:
    state_dir = tmp_path / "state"
    args = up_args(state_dir, [probe("alpha"), probe("beta")], database_prefix, stream_prefix)
    demo = await oms_command("demo", *args[1:], env=oms_env)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "all 2 services are SERVING" in demo.stdout
    pids = [probe_record(state_dir, name)[key] for name in ("alpha", "beta") for key in ("pid", "helper")]
    assert leftovers(pids) == []
    assert not (state_dir / STATE_FILE).exists()
