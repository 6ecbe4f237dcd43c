"""Runs a service in-process on a loopback port for integration tests, through the same runtime as production."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import grpc
import oms_client

from shared.runtime import Build, serve
from shared.settings import ServiceSettings


@contextlib.asynccontextmanager
async def running_service(settings: ServiceSettings, build: Build[Any]) -> AsyncIterator[grpc.aio.Channel]:
    """Serve ``build`` with ``settings`` (migrations, relay and background tasks included); yield a channel to it."""
    stop = asyncio.Event()
    port: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(settings, build, stop=stop, ready=port.set_result))
    waiter = asyncio.ensure_future(asyncio.shield(port))
    done, _ = await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        waiter.cancel()
        task.result()
        raise RuntimeError("service stopped before it served")
    channel = oms_client.connect(f"127.0.0.1:{port.result()}", tracing=False)
    try:
        yield channel
    finally:
        await channel.close()
        stop.set()
        await task
