"""The Redis admission gate: sold-out and paused markers that answer hot SKUs before the database does."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping

from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.inventory.application.ports import GateChanges, Marker

log = logging.getLogger(__name__)

# An epoch that never matches, for when the epoch could not be read: then no marker is written.
UNKNOWN_EPOCH = -1
EPOCH_TTL_SECONDS = 86_400

_SET_IF_EPOCH = """
local current = redis.call('GET', KEYS[2]) or '0'
if current ~= ARGV[1] then return 0 end
local previous = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
if previous == ARGV[2] then return 2 end
return 1
"""

_CLEAR = """
local value = redis.call('GET', KEYS[1])
local removed = 0
if value and (ARGV[1] == '' or value == ARGV[1]) then
  redis.call('DEL', KEYS[1])
  removed = 1
end
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return removed
"""


class RedisGate:
    """Markers with a TTL, each guarded by a per-SKU epoch.

    PostgreSQL stays the system of record; a marker only spares the stock rows. Every clear bumps the
    SKU's epoch, and a marker is written only if the epoch is still the one read before the database was
    consulted, so a stock increase committed in between always wins over a stale "sold out". Redis
    outages are logged and read as "no marker": the database then answers everything.
    """

    enabled = True

    def __init__(self, redis: Redis, prefix: str, *, marker_ttl_seconds: int) -> None:
        self._redis = redis
        self._markers = f"{prefix}:inventory:gate:marker:"
        self._epochs = f"{prefix}:inventory:gate:epoch:"
        self._ttl = marker_ttl_seconds
        self._set_if_epoch = redis.register_script(_SET_IF_EPOCH)
        self._clear = redis.register_script(_CLEAR)

    def _keys(self, sku: str) -> list[str]:
        return [self._markers + sku, self._epochs + sku]

    async def markers(self, skus: Collection[str]) -> dict[str, Marker]:
        ordered = list(skus)
        if not ordered:
            return {}
        try:
            found = await self._redis.mget([self._markers + sku for sku in ordered])
        except RedisError:
            log.warning("admission gate unreachable; reserving through the database", exc_info=True)
            return {}
        markers: dict[str, Marker] = {}
        for sku, value in zip(ordered, found, strict=True):
            if value is not None:
                try:
                    markers[sku] = Marker(value.decode() if isinstance(value, bytes) else value)
                except ValueError:
                    log.warning("ignoring unknown gate marker %r", value)
        return markers

    async def epochs(self, skus: Collection[str]) -> dict[str, int]:
        ordered = list(skus)
        if not ordered:
            return {}
        try:
            found = await self._redis.mget([self._epochs + sku for sku in ordered])
        except RedisError:
            log.warning("admission gate unreachable; no marker will be written", exc_info=True)
            return dict.fromkeys(ordered, UNKNOWN_EPOCH)
        return {sku: int(value) if value is not None else 0 for sku, value in zip(ordered, found, strict=True)}

    async def mark(self, sku: str, marker: Marker, epoch: int) -> None:
        if epoch == UNKNOWN_EPOCH:
            return
        try:
            await self._set_if_epoch(keys=self._keys(sku), args=[str(epoch), marker.value, self._ttl])
        except RedisError:
            log.warning("admission gate unreachable; marker for a SKU not written", exc_info=True)

    async def clear(self, skus: Collection[str], marker: Marker) -> None:
        if not skus:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for sku in sorted(skus):
                    await self._clear(keys=self._keys(sku), args=[marker.value, EPOCH_TTL_SECONDS], client=pipe)
                await pipe.execute()
        except RedisError:
            # A marker left behind refuses a SKU that has stock until it expires or Reconcile runs.
            log.error("admission gate unreachable; markers may be stale until reconciled", exc_info=True)

    async def replace(self, sold_out: set[str], paused: set[str], epochs: Mapping[str, int]) -> GateChanges:
        wanted = {sku: Marker.PAUSED for sku in paused} | {sku: Marker.SOLD_OUT for sku in sold_out - paused}
        try:
            stale = [
                key
                async for key in self._redis.scan_iter(match=_glob_escape(self._markers) + "*", count=1000)
                if _decode(key).removeprefix(self._markers) not in wanted
            ]
            removed = await self._redis.delete(*stale) if stale else 0
            writable = sorted(sku for sku in wanted if epochs.get(sku, UNKNOWN_EPOCH) != UNKNOWN_EPOCH)
            async with self._redis.pipeline(transaction=False) as pipe:
                for sku in writable:
                    await self._set_if_epoch(
                        keys=self._keys(sku), args=[str(epochs[sku]), wanted[sku].value, self._ttl], client=pipe
                    )
                outcomes = await pipe.execute() if writable else []
        except RedisError:
            log.error("admission gate unreachable; reconciliation skipped", exc_info=True)
            return GateChanges()
        return GateChanges(markers_set=sum(1 for outcome in outcomes if outcome == 1), markers_removed=removed)


def _decode(key: bytes | str) -> str:
    return key.decode() if isinstance(key, bytes) else key


def _glob_escape(text: str) -> str:
    return "".join(f"\\{ch}" if ch in "*?[]\\" else ch for ch in text)
