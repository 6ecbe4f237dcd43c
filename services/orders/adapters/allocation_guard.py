"""One allocation of an order at a time, across every process and replica of the service: a PostgreSQL
advisory lock held on a connection of its own while the allocation runs (the database frees it if the
process dies, so nothing has to expire)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

_TRY_LOCK = text("SELECT pg_try_advisory_lock(hashtextextended(:key, 0))")
_UNLOCK = text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))")


class AdvisoryAllocationGuard:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def __call__(self, order_id: str) -> AsyncIterator[bool]:
        key = f"allocate-order:{order_id}"
        async with self._engine.connect() as connection:
            alone = bool(await connection.scalar(_TRY_LOCK, {"key": key}))
            await connection.commit()  # the lock is the session's: no transaction stays open meanwhile
            try:
                yield alone
            finally:
                if alone:
                    await connection.execute(_UNLOCK, {"key": key})
                    await connection.commit()
