"""A service run as several processes on one port (OMS_PROCESSES): real processes, PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import psutil
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shared.embedded import free_ports
from shared.settings import project_root
from tools.oms.stack import wait_serving

SERVING = health_pb2.HealthCheckResponse.SERVING


@dataclass
class RunningService:
    process: asyncio.subprocess.Process
    address: str
    port: int

    @property
    def workers(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children()


@pytest.fixture
async def customers(service_database, redis_url, stream_prefix, tmp_path) -> AsyncIterator[RunningService]:
    """The customers service as three processes on one fixed port."""
    url = await service_database("customers")
    port = free_ports(1)[0]
    environment = {
        **os.environ,
        "OMS_DATABASE_URL": url,
        "OMS_REDIS_URL": redis_url,
        "OMS_STREAM_PREFIX": stream_prefix,
        "OMS_GRPC_ADDRESS": f"127.0.0.1:{port}",
        "OMS_STATE_DIR": str(tmp_path),
        "OMS_PROCESSES": "3",
        "OMS_LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.customers", env=environment, cwd=project_root()
    )
    service = RunningService(process, f"127.0.0.1:{port}", port)
    workers: list[psutil.Process] = []
    try:
        await wait_serving(service.address, timeout=60)
        workers = service.workers
        yield service
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        for worker in workers:
            if worker.is_running():
                worker.kill()


def _pids_on(port: int, status: str) -> set[int]:
    return {
        c.pid
        for c in psutil.net_connections(kind="tcp")
        if c.laddr and c.laddr.port == port and c.status == status and c.pid is not None
    }


async def test_every_process_listens_before_the_service_says_serving(customers: RunningService) -> None:
    workers = customers.workers
    assert len(workers) == 2
    assert _pids_on(customers.port, psutil.CONN_LISTEN) == {customers.process.pid, *(w.pid for w in workers)}


async def test_connections_are_spread_over_the_processes_and_all_answer(customers: RunningService) -> None:
    channels = [
        grpc.aio.insecure_channel(customers.address, options=[("grpc.use_local_subchannel_pool", 1)]) for _ in range(24)
    ]
    try:
        answers = await asyncio.gather(
            *(health_pb2_grpc.HealthStub(c).Check(health_pb2.HealthCheckRequest(), timeout=10) for c in channels)
        )
        assert {a.status for a in answers} == {SERVING}
        # 24 connections hashed over 3 processes all landing on one: odds of 3 in 3**24.
        assert len(_pids_on(customers.port, psutil.CONN_ESTABLISHED)) >= 2
    finally:
        await asyncio.gather(*(c.close() for c in channels))


async def test_a_worker_that_dies_stops_the_whole_service(customers: RunningService) -> None:
    workers = customers.workers
    workers[0].kill()
    await asyncio.wait_for(customers.process.wait(), timeout=60)
    _, alive = await asyncio.to_thread(psutil.wait_procs, workers, 30)
    assert not alive


async def test_sigterm_stops_every_process_cleanly(customers: RunningService) -> None:
    workers = customers.workers
    customers.process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(customers.process.wait(), timeout=60) == 0
    _, alive = await asyncio.to_thread(psutil.wait_procs, workers, 30)
    assert not alive


async def test_several_processes_need_a_fixed_port(service_database, redis_url, tmp_path) -> None:
    environment = {
        **os.environ,
        "OMS_DATABASE_URL": await service_database("customers"),
        "OMS_REDIS_URL": redis_url,
        "OMS_GRPC_ADDRESS": "127.0.0.1:0",
        "OMS_STATE_DIR": str(tmp_path),
        "OMS_PROCESSES": "2",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.customers",
        env=environment,
        cwd=project_root(),
        stderr=asyncio.subprocess.PIPE,
    )
    _, error = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode != 0
    assert b"OMS_PROCESSES=2 needs a fixed port in OMS_GRPC_ADDRESS" in error
