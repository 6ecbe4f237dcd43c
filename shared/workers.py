"""The other processes of a service that serves one port from several processes (``OMS_PROCESSES``).

The first process (worker 0) migrates, serves, runs the background work (outbox relay, consumers, sweepers)
and starts the others once it serves; they only serve calls, on the same port (SO_REUSEPORT: the kernel
spreads connections over them). Every process is stateless between calls, so any of them can answer any
call; what they must not do twice (relay, sweeps) stays in worker 0. If one of them exits, worker 0 stops
the service, so the supervisor (``oms up``, Kubernetes) restarts it whole rather than it running short.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
import sys

log = logging.getLogger(__name__)
WORKER_INDEX_ENV = "OMS_WORKER_INDEX"
# A worker writes one byte to this inherited pipe once it serves, so the first process declares the service
# SERVING only when every process takes calls (else clients connecting early would all land on the first).
READY_FD_ENV = "OMS_WORKER_READY_FD"


def announce_ready() -> None:
    """In a worker: tell the first process this one serves (nothing to do in the first process)."""
    descriptor = os.environ.pop(READY_FD_ENV, "")
    if descriptor.isdigit():
        with contextlib.suppress(OSError):
            os.write(int(descriptor), b"1")
            os.close(int(descriptor))


def fixed_port(address: str) -> bool:
    """Whether ``address`` names a port (several processes can share a port only if it is fixed)."""
    port = address.rpartition(":")[2]
    return port.isdigit() and int(port) != 0


def metrics_address_of(address: str, worker_index: int) -> str:
    """Each process exposes its own Prometheus endpoint: the configured port plus its worker index."""
    if not address or worker_index == 0:
        return address
    host, _, port = address.rpartition(":")
    return f"{host}:{int(port) + worker_index}"


class WorkerProcesses:
    """Starts workers 1..count-1 of ``context`` as ``python -m services.<context>`` with this process's
    environment, watches them, and stops them."""

    def __init__(self, context: str, count: int, grace_seconds: float) -> None:
        self._context = context
        self._count = count
        self._grace = grace_seconds
        self._processes: list[subprocess.Popen[bytes]] = []
        self._ready_pipes: list[int] = []

    def spawn(self) -> None:
        """Start the other processes (:meth:`ready` then waits for them to serve)."""
        for index in range(1, self._count):
            reader, writer = os.pipe()
            environment = {**os.environ, WORKER_INDEX_ENV: str(index), READY_FD_ENV: str(writer)}
            self._processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", f"services.{self._context}"], env=environment, pass_fds=(writer,)
                )
            )
            os.close(writer)
            self._ready_pipes.append(reader)

    async def ready(self, timeout: float = 60.0) -> None:
        """Return once every spawned process serves (RuntimeError if one exits first, TimeoutError)."""
        try:
            async with asyncio.timeout(timeout):
                answers = await asyncio.gather(*(asyncio.to_thread(os.read, pipe, 1) for pipe in self._ready_pipes))
        finally:
            for pipe in self._ready_pipes:
                os.close(pipe)
            self._ready_pipes = []
        if not all(answers):
            raise RuntimeError(f"{self._context}: a worker process exited before it served")
        if self._processes:
            log.info("%s: %d more processes serve on the same port", self._context, len(self._processes))

    async def watch(self, stop: asyncio.Event) -> None:
        """Return when ``stop`` is set; set it when a worker exits on its own."""
        if not self._processes:
            await stop.wait()
            return
        exits = [asyncio.ensure_future(asyncio.to_thread(p.wait)) for p in self._processes]
        stopped = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait([stopped, *exits], return_when=asyncio.FIRST_COMPLETED)
        if stopped not in done:
            codes = [p.returncode for p in self._processes if p.returncode is not None]
            log.error("%s: a worker process exited (%s): stopping the service", self._context, codes)
            stop.set()
        stopped.cancel()

    def stop(self) -> None:
        """SIGTERM every worker, wait for them to finish their calls, kill what is left."""
        for process in self._processes:
            if process.poll() is None:
                process.terminate()
        for process in self._processes:
            try:
                process.wait(timeout=self._grace + 5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
