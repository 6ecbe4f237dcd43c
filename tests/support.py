"""Test helpers: wait on a condition with a deadline (never a bare sleep) and pick free loopback ports."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from shared.embedded import free_ports as _free_ports

T = TypeVar("T")


async def eventually(
    predicate: Callable[[], T | Awaitable[T]],
    timeout: float = 10.0,
    interval: float = 0.05,
    *,
    message: str | None = None,
) -> T:
    """Poll ``predicate`` (sync or async) until it returns something truthy, and return that value.

    An exception from the predicate counts as "not yet" (a server still starting refuses connections);
    if the deadline passes, the AssertionError names the condition and chains the last exception.
    """
    what = message or getattr(predicate, "__qualname__", repr(predicate))
    deadline = time.monotonic() + timeout
    last_value: Any = None
    last_error: Exception | None = None
    attempts = 0
    while True:
        attempts += 1
        try:
            outcome = predicate()
            if inspect.isawaitable(outcome):
                outcome = await outcome
            if outcome:
                return outcome
            last_value, last_error = outcome, None
        except Exception as exc:
            last_error = exc
        if time.monotonic() >= deadline:
            detail = f"last error: {last_error!r}" if last_error is not None else f"last value: {last_value!r}"
            raise AssertionError(
                f"{what} did not hold within {timeout}s ({attempts} attempts); {detail}"
            ) from last_error
        await asyncio.sleep(interval)


def free_port(host: str = "127.0.0.1") -> int:
    """One TCP port on ``host`` that nothing listens on right now."""
    return _free_ports(1, host)[0]


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` distinct free TCP ports on ``host``."""
    return _free_ports(count, host)
