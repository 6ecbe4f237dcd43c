"""Small asyncio helpers shared by long-running background tasks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable


async def wait_any(*events: asyncio.Event, timeout: float) -> None:
    """Return when any of ``events`` is set or ``timeout`` seconds pass, whichever comes first."""
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def every(seconds: float, stop: asyncio.Event, action: Callable[[], Awaitable[object]], *, name: str) -> None:
    """Run ``await action()`` every ``seconds`` until ``stop`` is set; a failing run is logged, not fatal."""
    log = logging.getLogger(name)
    while not stop.is_set():
        try:
            await action()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("periodic task %s failed; it runs again in %.0fs", name, seconds)
        await wait_any(stop, timeout=seconds)
